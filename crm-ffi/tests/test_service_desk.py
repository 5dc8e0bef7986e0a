"""The service desk across the FFI: a working `Calendar` object over the
calendar JSON, tickets routed on opening with typed SLA clocks (`TicketSla`,
`TargetClock`, `Escalated`), `ticket_sla` (`TargetState`), `escalate`
(`TicketEscalation`), pauses, surveys answered with a complaint and their
follow-up task, scope flags, department tasks and the new due-item kinds; bad
input as typed errors naming the field. The story follows
tests/vectors/service_sla.json and calendar.json."""

import datetime
import json

import pytest

import crm_ffi as ffi

UTC = datetime.timezone.utc

ROOT = ffi.Actor(user="root", roles=["admin"])
SUE = ffi.Actor(user="sue", roles=["supervisor"], team="service")
TOM = ffi.Actor(user="tom", roles=["support"], team="service")

BERLIN = {"time_zone": "Europe/Berlin",
          "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
          "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"]}

CONFIG = {
    "assignment": {"rules": [
        {"name": "repairs", "applies_to": ["ticket"], "when": {"field": "category", "eq": "repair"},
         "users": ["tom"], "strategy": "round_robin"}]},
    "sla": {
        "calendars": {"office": {"time_zone": "Europe/Berlin",
                                 "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
                                 "holidays": ["2026-04-03"]}},
        "policies": [
            {"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400},
            {"name": "urgent", "priority": "urgent", "calendar": "office",
             "first_response_minutes": 30, "resolution_minutes": 240}],
        "escalation": [{"at_percent": 80, "action": "notify_assignee"},
                       {"at_percent": 100, "action": "assign_supervisor"}],
        "survey": {"after_hours": 168},
    },
}


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def validation_fields(call, *args, **kwargs):
    with pytest.raises(ffi.CrmError.Validation) as info:
        call(*args, **kwargs)
    return info.value.fields


# ----- working calendars ---------------------------------------------------------


def test_a_calendar_across_a_daylight_saving_change_and_holidays():
    berlin = ffi.Calendar(json.dumps(BERLIN))
    # Friday 16:00 in Berlin + 2 working hours: one on Friday, one on Monday,
    # after the clocks went forward (09:00 CEST is 07:00 UTC).
    assert berlin.add(utc("2026-03-27T15:00:00Z"), 120) == utc("2026-03-30T08:00:00Z")
    assert berlin.between_minutes(utc("2026-03-27T15:00:00Z"), utc("2026-03-30T08:00:00Z")) == 120
    # Christmas Eve and Day are holidays: a working day of 8 hours (480
    # minutes) from Thursday 10:00 runs over the weekend to Tuesday.
    assert berlin.add(utc("2026-12-24T09:00:00Z"), 480) == utc("2026-12-29T09:00:00Z")
    assert not berlin.is_working(utc("2026-12-24T09:00:00Z"))
    # The lunch break is not working time; a day holds 7 hours.
    assert berlin.is_working(utc("2026-03-02T08:00:00Z"))
    assert not berlin.is_working(utc("2026-03-02T11:30:00Z"))
    monday = utc("2026-03-02T00:00:00Z")
    assert berlin.between_minutes(monday, monday + datetime.timedelta(days=1)) == 7 * 60
    assert berlin.between_seconds(utc("2026-03-02T08:00:00Z"), utc("2026-03-02T08:00:30Z")) == 30
    # Backwards is negative.
    assert berlin.between_minutes(utc("2026-03-02T09:00:00Z"), utc("2026-03-02T08:00:00Z")) == -60
    # A 23-hour day in London, all of it working time.
    london = ffi.Calendar(json.dumps({"time_zone": "Europe/London", "hours": {"mon-sun": [["00:00", "24:00"]]}}))
    assert london.between_minutes(utc("2026-03-29T00:00:00Z"), utc("2026-03-29T23:00:00Z")) == 23 * 60
    # JSON text both ways; the zone by name.
    assert berlin.time_zone() == "Europe/Berlin"
    again = ffi.Calendar(berlin.to_json())
    assert json.loads(again.to_json()) == json.loads(berlin.to_json())
    assert json.loads(berlin.to_json())["holidays"] == BERLIN["holidays"]


@pytest.mark.parametrize("calendar, field", [
    ({"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}}, "time_zone"),
    ({"time_zone": "UTC", "hours": {"mon": [["12:00", "09:00"]]}}, "hours.mon[0]"),
    ({"time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"], ["16:00", "18:00"]]}}, "hours.mon[1]"),
    ({"time_zone": "UTC", "hours": {"moon": [["09:00", "17:00"]]}}, "hours.moon"),
    ({"time_zone": "UTC", "hours": {}}, "hours"),
    ({"time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}, "weekends": []}, "calendar"),
])
def test_a_bad_calendar_names_the_field(calendar, field):
    assert validation_fields(ffi.Calendar, json.dumps(calendar)) == [field]


def test_bad_calendar_input_names_the_field():
    assert validation_fields(ffi.Calendar, "{") == ["calendar"]
    berlin = ffi.Calendar(json.dumps(BERLIN))
    assert validation_fields(berlin.add, utc("2026-03-02T06:00:00Z"), -5) == ["minutes"]


# ----- the desk in the engine ----------------------------------------------------------


@pytest.fixture
def crm():
    crm = ffi.Crm(now=utc("2026-03-02T06:00:00Z"), seed=12, config_json=json.dumps(CONFIG))
    crm.save_team(ROOT, ffi.TeamInput(id="service", name="Service", supervisor="sue"))
    crm.save_user(ROOT, ffi.UserInput(id="tom", name="Tom", team="service", roles=["support"]))
    return crm


def open_leak(crm):
    return crm.open_ticket(TOM, ffi.NewTicket(subject="Press 4 leaks oil", priority="urgent",
                                              category="repair", channel="phone"))


def test_an_urgent_repair_is_routed_and_escalated(crm):
    leak = open_leak(crm)
    # Routed at once by the assignment rules, with typed SLA clocks.
    assert (leak.status, leak.assignee) == ("assigned", "tom")
    sla = leak.sla
    assert isinstance(sla, ffi.TicketSla)
    assert (sla.policy, sla.calendar, sla.paused_since, sla.escalations) == ("urgent", "office", None, [])
    first, resolution = sla.clocks
    assert isinstance(first, ffi.TargetClock)
    assert (first.target, first.minutes, first.due_at) == (
        ffi.SlaTarget.FIRST_RESPONSE, 30, utc("2026-03-02T08:30:00Z"))
    assert first.started_at == utc("2026-03-02T06:00:00Z")
    assert (first.met, first.stopped_at, first.consumed_seconds) == (None, None, 0)
    assert (resolution.target, resolution.due_at) == (ffi.SlaTarget.RESOLUTION, utc("2026-03-02T13:00:00Z"))
    assert sla.next_check_at == utc("2026-03-02T08:24:00Z")  # 80 % of the first response
    assert leak.out_of_scope is None and leak.survey is None
    routed = crm.history(ROOT, "ticket", leak.id)[1]
    assert routed.action == "assign" and json.loads(routed.payload_json)["routing"]["rule"] == "repairs"

    # The SLA targets come due to the assignee.
    (work,) = crm.due_work(ROOT, utc("2026-03-02T08:00:00Z"))
    assert work.user == "tom"
    assert [i.kind for i in work.items] == [ffi.DueKind.SLA, ffi.DueKind.SLA]
    assert work.items[0].title == "Press 4 leaks oil: first_response"

    states = crm.ticket_sla(ROOT, leak.id, utc("2026-03-02T08:20:00Z"))
    assert all(isinstance(s, ffi.TargetState) for s in states)
    assert [(s.target, s.status, s.consumed_minutes, s.remaining_minutes) for s in states] == [
        (ffi.SlaTarget.FIRST_RESPONSE, ffi.TargetStatus.RUNNING, 20, 10),
        (ffi.SlaTarget.RESOLUTION, ffi.TargetStatus.RUNNING, 20, 220)]
    assert states[0].due_at == utc("2026-03-02T08:30:00Z")

    # 80 %: the assignee is told; once.
    (step,) = crm.escalate(SUE, utc("2026-03-02T08:25:00Z"))
    assert step == ffi.TicketEscalation(ticket=leak.id, target=ffi.SlaTarget.FIRST_RESPONSE, at_percent=80,
                                        action=ffi.EscalationAction.NOTIFY_ASSIGNEE, to="tom")
    assert crm.escalate(SUE, utc("2026-03-02T08:26:00Z")) == []
    # Breached: the supervisor takes the ticket.
    (step,) = crm.escalate(SUE, utc("2026-03-02T08:31:00Z"))
    assert (step.at_percent, step.action, step.to) == (100, ffi.EscalationAction.ASSIGN_SUPERVISOR, "sue")
    ticket = crm.get(ROOT, "ticket", leak.id).record
    assert ticket.assignee == "sue"
    assert [(e.target, e.at_percent, e.action) for e in ticket.sla.escalations] == [
        (ffi.SlaTarget.FIRST_RESPONSE, 80, ffi.EscalationAction.NOTIFY_ASSIGNEE),
        (ffi.SlaTarget.FIRST_RESPONSE, 100, ffi.EscalationAction.ASSIGN_SUPERVISOR)]
    assert isinstance(ticket.sla.escalations[0], ffi.Escalated)
    assert ticket.sla.escalations[1].at == crm.now()  # when the command ran, by the engine's clock
    outbox = crm.take_outbox(10)
    assert [(m.topic, m.recipient) for m in outbox[1:]] == [("sla_escalation", "tom"), ("sla_escalation", "sue")]
    # Without `now`, the engine's clock.
    assert crm.escalate(SUE) == []


def test_a_pause_while_the_customer_answers(crm):
    leak = open_leak(crm)
    crm.set_now(utc("2026-03-02T08:40:00Z"))
    started = crm.start_ticket(TOM, leak.id)
    assert started.sla.clocks[0].met is False  # 40 working minutes for a 30-minute response
    assert started.sla.clocks[0].consumed_seconds == 2400
    crm.advance_clock(minutes=20)
    waiting = crm.await_customer(TOM, leak.id)
    assert waiting.sla.paused_since == utc("2026-03-02T09:00:00Z")
    assert (waiting.sla.clocks[1].due_at, waiting.sla.clocks[1].consumed_seconds) == (None, 3600)
    # A day later the resolution clock has not moved; nothing is due.
    later = utc("2026-03-03T12:00:00Z")
    first, resolution = crm.ticket_sla(ROOT, leak.id, later)
    assert first.status == ffi.TargetStatus.BREACHED
    assert (resolution.status, resolution.consumed_minutes, resolution.due_at) == (
        ffi.TargetStatus.PAUSED, 60, None)
    assert crm.due_work(ROOT, later) == []
    crm.advance_clock(days=2)
    replied = crm.customer_replied(TOM, leak.id)
    assert replied.sla.paused_since is None
    assert replied.sla.clocks[1].due_at == utc("2026-03-04T13:00:00Z")
    # Without `now`, the engine's clock (2026-03-04T09:00Z, 10:00 in Berlin).
    assert crm.ticket_sla(ROOT, leak.id)[1].remaining_minutes == 180


def test_a_survey_with_a_complaint_creates_a_follow_up_task(crm):
    leak = open_leak(crm)
    crm.set_now(utc("2026-03-02T09:00:00Z"))
    crm.start_ticket(TOM, leak.id)
    crm.resolve_ticket(TOM, leak.id, "new seal")
    # Not closed, no rating given yet: nothing to answer.
    assert validation_fields(crm.answer_survey, TOM, leak.id, ffi.SurveyAnswer()) == ["survey"]
    closed = crm.close_ticket(TOM, leak.id)
    assert isinstance(closed.survey, ffi.Survey)
    assert (closed.survey.due_at, closed.survey.answered_at) == (utc("2026-03-09T09:00:00Z"), None)
    (work,) = crm.due_work(ROOT, utc("2026-03-09T09:05:00Z"))
    (item,) = work.items
    assert (work.user, item.kind, item.overdue, item.title) == (
        "tom", ffi.DueKind.SURVEY, True, "Survey: Press 4 leaks oil")
    assert item.subject == ffi.RecordKey(kind="ticket", id=leak.id)

    assert validation_fields(crm.answer_survey, TOM, leak.id, ffi.SurveyAnswer(csat=6)) == ["csat"]
    assert validation_fields(crm.answer_survey, TOM, leak.id, ffi.SurveyAnswer(nps=11)) == ["nps"]
    with pytest.raises(ffi.CrmError.Validation) as info:
        crm.answer_survey(TOM, leak.id, ffi.SurveyAnswer(feedback="rant"))
    assert (info.value.fields, info.value.value) == (["feedback"], "rant")

    answered = crm.answer_survey(TOM, leak.id, ffi.SurveyAnswer(
        csat=2, nps=3, feedback="complaint", comment="It took two days."))
    survey = answered.survey
    assert (survey.csat, survey.nps, survey.feedback, survey.comment) == (2, 3, "complaint", "It took two days.")
    assert survey.answered_at == utc("2026-03-02T09:00:00Z")
    task = crm.get(ROOT, "task", survey.follow_up).record
    assert (task.assignee, task.priority, task.description) == ("sue", "important", "It took two days.")
    assert task.related == ffi.RecordKey(kind="ticket", id=leak.id)
    # Answered once.
    assert validation_fields(crm.answer_survey, TOM, leak.id, ffi.SurveyAnswer(csat=5)) == ["survey"]


def test_scope_flags_and_a_department_task(crm):
    gearbox = crm.open_ticket(TOM, ffi.NewTicket(subject="Noise from the gearbox", order="SO-4711",
                                                 warranty_until="2026-02-28"))
    assert (gearbox.status, gearbox.assignee, gearbox.order) == ("new", None, "SO-4711")
    assert gearbox.warranty_until == "2026-02-28"
    assert gearbox.out_of_scope == "the warranty ended on 2026-02-28"
    assert gearbox.sla.policy == "standard"
    assert gearbox.contract is None
    assert validation_fields(crm.open_ticket, TOM, ffi.NewTicket(subject="x", warranty_until="28.02.2026")) == [
        "warranty_until"]
    assert validation_fields(crm.open_ticket, TOM, ffi.NewTicket(subject="x", contract="C-404")) == ["contract_id"]
    with pytest.raises(ffi.CrmError.NotFound):
        crm.open_ticket(TOM, ffi.NewTicket(subject="x", contract="00000000-0000-4000-8000-000000000404"))

    # A department's task: a team and no assignee; due to the team's supervisor.
    task = crm.create_task(SUE, ffi.NewTask(title="Check the spare parts stock", team="service",
                                            priority="urgent", due_at=utc("2026-03-04T08:00:00Z")))
    assert (task.assignee, task.team, task.status) == (None, "service", "open")
    work = {w.user: w for w in crm.due_work(ROOT, utc("2026-03-04T12:00:00Z"))}
    (item,) = [i for i in work["sue"].items if i.subject.id == task.id]
    assert (item.kind, item.title, item.overdue) == (ffi.DueKind.TASK, "Check the spare parts stock", True)
    # The unassigned gearbox ticket's SLA and escalation steps are its group supervisor's too.
    assert {i.kind for i in work["sue"].items if i.subject.id == gearbox.id} >= {ffi.DueKind.ESCALATION}
