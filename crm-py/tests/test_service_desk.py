"""The service desk from Python: working calendars (``crm.Calendar``), SLA
clocks on tickets, escalation, pauses, surveys with follow-up tasks, scope
flags and department tasks, with aware datetimes in and typed results out."""

from __future__ import annotations

import doctest
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict

import pytest

import crm

UTC = timezone.utc
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, 07:00 in Berlin

OFFICE: Dict[str, Any] = {
    "time_zone": "Europe/Berlin",
    "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
    "holidays": ["2026-04-03"],
}

CONFIG: Dict[str, Any] = {
    "assignment": {"rules": [
        {"name": "repairs", "applies_to": ["ticket"], "when": {"field": "category", "eq": "repair"},
         "users": ["tom"], "strategy": "round_robin"}]},
    "sla": {
        "calendars": {"office": OFFICE},
        "policies": [
            {"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400},
            {"name": "urgent", "priority": "urgent", "calendar": "office",
             "first_response_minutes": 30, "resolution_minutes": 240}],
        "escalation": [{"at_percent": 80, "action": "notify_assignee"},
                       {"at_percent": 100, "action": "assign_supervisor"}],
        "survey": {"after_hours": 168},
    },
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def refused(call: Callable[[], object]) -> crm.ValidationError:
    with pytest.raises(crm.ValidationError) as caught:
        call()
    return caught.value


@pytest.fixture
def office() -> crm.Calendar:
    return crm.Calendar(OFFICE)


@pytest.fixture
def desk() -> crm.Crm:
    engine = crm.Crm(now=START, seed=12, config=CONFIG)
    root = crm.Actor("root", roles=["admin"])
    engine.save_team(root, "service", "Service", supervisor="sue")
    engine.save_user(root, "tom", "Tom", team="service", roles=["support"])
    return engine


@pytest.fixture
def root() -> crm.Actor:
    return crm.Actor("root", roles=["admin"])


@pytest.fixture
def sue() -> crm.Actor:
    return crm.Actor("sue", roles=["supervisor"], team="service")


@pytest.fixture
def tom() -> crm.Actor:
    return crm.Actor("tom", roles=["support"], team="service")


# ----- working calendars ---------------------------------------------------------


def test_a_calendar_skips_a_weekend_across_the_daylight_saving_change(office: crm.Calendar) -> None:
    # Friday 16:00 in Berlin (UTC+1); clocks go forward on Sunday 29 March.
    friday = at("2026-03-27T15:00:00Z")
    monday = office.add(friday, 120)
    # One hour on Friday, one on Monday from 09:00 Berlin, now UTC+2.
    assert monday == at("2026-03-30T08:00:00Z")
    assert monday.tzinfo is not None and monday.utcoffset() == timedelta(0)
    assert office.between(friday, monday) == 120
    assert office.between(monday, friday) == -120
    assert office.between(at("2026-03-27T16:00:00Z"), at("2026-03-30T07:00:00Z")) == 0


def test_a_calendar_skips_its_holidays_and_lunch_breaks(office: crm.Calendar) -> None:
    thursday = at("2026-04-02T14:00:00Z")  # 16:00 in Berlin; Friday 3 April is a holiday
    assert office.add(thursday, 120) == at("2026-04-06T08:00:00Z")
    assert office.is_working(thursday)
    assert not office.is_working(at("2026-04-03T09:00:00Z"))  # the holiday, 11:00 in Berlin
    assert not office.is_working(at("2026-03-02T11:30:00Z"))  # 12:30 in Berlin: lunch
    assert office.add(at("2026-03-02T10:30:00Z"), 60) == at("2026-03-02T12:30:00Z")
    # A working day holds 7 hours.
    assert office.between(at("2026-03-02T00:00:00Z"), at("2026-03-03T00:00:00Z")) == 420
    assert office.between_seconds(at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:30Z")) == 30


def test_times_in_any_zone_are_taken_and_given_back_in_utc(office: crm.Calendar) -> None:
    berlin = timezone(timedelta(hours=1))
    assert office.add(datetime(2026, 3, 2, 10, 30, tzinfo=berlin), 60) == at("2026-03-02T10:30:00Z")


def test_a_calendar_is_built_from_a_dict_a_str_of_json_or_another_calendar(office: crm.Calendar) -> None:
    assert crm.Calendar(json.dumps(OFFICE)) == office
    assert crm.Calendar(office) == office
    with_dates = crm.Calendar({**OFFICE, "holidays": [date(2026, 4, 3)],
                               "hours": {"mon-fri": [("09:00", "12:00"), ("13:00", "17:00")]}})
    assert with_dates == office
    assert office.time_zone == "Europe/Berlin"
    as_dict = office.to_dict()
    assert as_dict["holidays"] == [date(2026, 4, 3)]
    assert as_dict["hours"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert "sat" not in as_dict["hours"]
    assert crm.Calendar(as_dict) == office
    assert crm.Calendar(office.to_json()) == office
    assert list(as_dict["hours"]) == ["mon", "tue", "wed", "thu", "fri"]
    assert repr(office) == "Calendar(time_zone='Europe/Berlin', weekly_minutes=2100, holidays=1)"
    assert crm.Calendar({**OFFICE, "holidays": []}) != office


def test_a_bad_calendar_is_refused_naming_the_field() -> None:
    assert refused(lambda: crm.Calendar({"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}})).fields == ["time_zone"]
    bad = refused(lambda: crm.Calendar({"time_zone": "UTC", "hours": {"mon": [["12:00", "09:00"]]}}))
    assert bad.fields == ["hours.mon[0]"]
    assert refused(lambda: crm.Calendar({"time_zone": "UTC", "hours": {"someday": [["09:00", "17:00"]]}})).fields == ["hours.someday"]
    assert refused(lambda: crm.Calendar({"time_zone": "UTC", "hours": {}})).fields == ["hours"]
    assert refused(lambda: crm.Calendar("{not json")).fields == ["calendar"]
    assert refused(lambda: crm.Calendar(42)).fields == ["calendar"]  # type: ignore[arg-type]
    # A ValidationError is a ValueError too.
    with pytest.raises(ValueError):
        crm.Calendar({"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}})


def test_bad_instants_and_minutes_are_refused(office: crm.Calendar) -> None:
    assert refused(lambda: office.add(START, -5)).fields == ["minutes"]
    assert refused(lambda: office.add(START, 1.5)).fields == ["minutes"]  # type: ignore[arg-type]
    assert refused(lambda: office.add(START, True)).fields == ["minutes"]
    assert refused(lambda: office.add(datetime(2026, 3, 2, 9), 5)).fields == ["start"]
    assert refused(lambda: office.between(START, "tomorrow")).fields == ["to"]  # type: ignore[arg-type]
    assert refused(lambda: office.is_working(date(2026, 3, 2))).fields == ["at"]  # type: ignore[arg-type]


def test_columns_of_instants_in_and_out(office: crm.Calendar) -> None:
    starts = [at("2026-03-02T10:30:00Z"), None, at("2026-03-27T15:00:00Z")]
    assert office.add_many(starts, 60) == [at("2026-03-02T12:30:00Z"), None, at("2026-03-27T16:00:00Z")]
    assert office.add_many(starts, [60, 60, 120]) == [at("2026-03-02T12:30:00Z"), None, at("2026-03-30T08:00:00Z")]
    assert office.between_many([START, None], [at("2026-03-02T09:00:00Z"), START]) == [60, None]
    assert office.add_many([], 5) == []
    assert refused(lambda: office.add_many([START, START], [1, -1])).fields == ["minutes[1]"]
    assert refused(lambda: office.add_many([START, datetime(2026, 3, 2)], 5)).fields == ["starts[1]"]
    assert refused(lambda: office.add_many([START], [1, 2])).fields == ["minutes"]
    assert refused(lambda: office.between_many([START], [])).fields == ["tos"]
    assert refused(lambda: office.add_many("2026-03-02", 5)).fields == ["starts"]  # type: ignore[arg-type]


def test_columns_from_pandas(office: crm.Calendar) -> None:
    pd = pytest.importorskip("pandas")
    opened = pd.Series(pd.to_datetime(["2026-03-02T10:30:00Z", "2026-03-27T15:00:00Z"], utc=True))
    minutes = pd.Series([60, 120])  # NumPy integers
    due = office.add_many(opened, minutes)
    assert due == [at("2026-03-02T12:30:00Z"), at("2026-03-30T08:00:00Z")]
    assert office.between_many(opened, pd.Series(due, dtype="datetime64[ns, UTC]")) == [60, 120]


# ----- SLAs, escalation, pauses, surveys in the engine ----------------------------


def test_an_urgent_repair_is_routed_on_opening_and_gets_its_clocks(desk: crm.Crm, tom: crm.Actor, root: crm.Actor) -> None:
    leak = desk.open_ticket(tom, "Press 4 leaks oil", priority="urgent", category="repair", channel="phone")
    assert (leak.status, leak.assignee) == ("assigned", "tom")
    assert leak.out_of_scope is None and leak.survey is None
    sla = leak.sla
    assert isinstance(sla, crm.TicketSla)
    assert (sla.policy, sla.calendar, sla.paused_since) == ("urgent", "office", None)
    first, resolution = sla.clocks
    assert isinstance(first, crm.TargetClock)
    assert (first.target, first.minutes, first.due_at) == ("first_response", 30, at("2026-03-02T08:30:00Z"))
    assert (resolution.target, resolution.due_at) == ("resolution", at("2026-03-02T13:00:00Z"))
    assert first.met is None and first.stopped_at is None and first.started_at == START
    assert sla.next_check_at == at("2026-03-02T08:24:00Z")
    assert leak.to_dict()["sla"] == sla
    assert sla.to_dict()["clocks"] == [first, resolution]
    history = desk.history(root, "ticket", leak.id)
    assert [event.action for event in history] == ["create", "assign"]
    assert history[1].payload["routing"]["rule"] == "repairs"

    work = desk.due_work(root, now=at("2026-03-02T08:00:00Z"))
    assert [(w.user, [i.kind for i in w.items]) for w in work] == [("tom", ["sla", "sla"])]
    assert work[0].items[0].title == "Press 4 leaks oil: first_response"

    states = desk.ticket_sla(root, leak.id, now=at("2026-03-02T08:20:00Z"))
    assert all(isinstance(state, crm.TargetState) for state in states)
    assert [(s.target, s.status, s.consumed_minutes, s.remaining_minutes) for s in states] == [
        ("first_response", "running", 20, 10), ("resolution", "running", 20, 220)]
    assert states[0].to_dict()["due_at"] == at("2026-03-02T08:30:00Z")


def test_escalation_notifies_then_gives_the_ticket_to_the_supervisor(
    desk: crm.Crm, tom: crm.Actor, sue: crm.Actor, root: crm.Actor
) -> None:
    leak = desk.open_ticket(tom, "Press 4 leaks oil", priority="urgent", category="repair")
    assert desk.escalate(sue, now=at("2026-03-02T08:20:00Z")) == []
    [step] = desk.escalate(sue, now=at("2026-03-02T08:25:00Z"))
    assert isinstance(step, crm.TicketEscalation)
    assert (step.ticket, step.target, step.at_percent, step.action, step.to) == (
        leak.id, "first_response", 80, "notify_assignee", "tom")
    assert step.to_dict() == {"ticket": leak.id, "target": "first_response", "at_percent": 80,
                              "action": "notify_assignee", "to": "tom"}
    assert desk.escalate(sue, now=at("2026-03-02T08:26:00Z")) == []  # each step once
    desk.set_now(at("2026-03-02T08:31:00Z"))
    [step] = desk.escalate(sue)  # at the engine's clock
    assert (step.at_percent, step.action, step.to) == (100, "assign_supervisor", "sue")

    ticket = desk.get(root, "ticket", leak.id)
    assert ticket.assignee == "sue"
    assert ticket.sla is not None
    done = ticket.sla.escalations
    assert all(isinstance(e, crm.Escalated) for e in done)
    # Done when the engine's clock said.
    assert [(e.target, e.at_percent, e.action, e.at) for e in done] == [
        ("first_response", 80, "notify_assignee", START),
        ("first_response", 100, "assign_supervisor", at("2026-03-02T08:31:00Z"))]
    messages = desk.take_outbox(10)
    assert [(m.topic, m.recipient) for m in messages][1:] == [("sla_escalation", "tom"), ("sla_escalation", "sue")]


def test_awaiting_the_customer_pauses_the_clocks(desk: crm.Crm, tom: crm.Actor, sue: crm.Actor, root: crm.Actor) -> None:
    leak = desk.open_ticket(tom, "Press 4 leaks oil", priority="urgent", category="repair")
    desk.escalate(sue, now=at("2026-03-02T08:31:00Z"))
    desk.advance_clock(hours=2, minutes=40)  # 08:40 UTC
    started = desk.start_ticket(sue, leak.id)
    assert started.sla is not None
    assert (started.sla.clocks[0].met, started.sla.clocks[0].consumed_seconds) == (False, 2400)
    desk.advance_clock(minutes=20)
    paused = desk.await_customer(sue, leak.id)
    assert paused.sla is not None
    assert paused.sla.paused_since == at("2026-03-02T09:00:00Z")
    assert (paused.sla.clocks[1].due_at, paused.sla.clocks[1].consumed_seconds) == (None, 3600)
    states = desk.ticket_sla(root, leak.id, now=at("2026-03-03T12:00:00Z"))
    assert [(s.status, s.consumed_minutes) for s in states] == [("breached", 40), ("paused", 60)]
    assert states[1].due_at is None
    assert desk.due_work(root, now=at("2026-03-03T12:00:00Z")) == []

    desk.advance_clock(days=2)
    resumed = desk.customer_replied(sue, leak.id)
    assert resumed.sla is not None
    assert resumed.sla.paused_since is None
    assert resumed.sla.clocks[1].due_at == at("2026-03-04T13:00:00Z")
    desk.advance_clock(hours=1)
    resolved = desk.resolve_ticket(sue, leak.id, "new seal")
    assert resolved.sla is not None
    assert (resolved.sla.clocks[1].met, resolved.sla.clocks[1].consumed_seconds) == (True, 7200)
    assert resolved.sla.next_check_at is None
    assert [s.status for s in desk.ticket_sla(root, leak.id)] == ["breached", "met"]


def closed_leak(desk: crm.Crm, tom: crm.Actor, sue: crm.Actor) -> crm.Ticket:
    leak = desk.open_ticket(tom, "Press 4 leaks oil", priority="urgent", category="repair")
    desk.start_ticket(tom, leak.id)
    desk.resolve_ticket(tom, leak.id, "new seal")
    return desk.close_ticket(sue, leak.id)


def test_a_complaint_in_the_survey_creates_a_follow_up_task(
    desk: crm.Crm, tom: crm.Actor, sue: crm.Actor, root: crm.Actor
) -> None:
    closed = closed_leak(desk, tom, sue)
    survey = closed.survey
    assert isinstance(survey, crm.Survey)
    assert (survey.due_at, survey.answered_at, survey.csat, survey.follow_up) == (START + timedelta(hours=168), None, None, None)
    work = desk.due_work(root, now=START + timedelta(hours=168, minutes=5))
    assert [(w.user, w.items[0].kind, w.items[0].overdue) for w in work] == [("tom", "survey", True)]
    assert work[0].items[0].title == "Survey: Press 4 leaks oil"

    answered = desk.answer_survey(sue, closed.id, csat=2, nps=3, feedback="complaint", comment="It took two days.")
    survey = answered.survey
    assert survey is not None
    assert (survey.csat, survey.nps, survey.feedback, survey.comment, survey.answered_at) == (
        2, 3, "complaint", "It took two days.", START)
    assert survey.follow_up is not None
    assert survey.to_dict()["follow_up"] == survey.follow_up
    task = desk.get(root, "task", survey.follow_up)
    assert (task.assignee, task.priority, task.description) == ("sue", "important", "It took two days.")
    assert task.related == crm.RecordKey("ticket", closed.id)
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat=5)).fields == ["survey"]


def test_praise_creates_no_follow_up(desk: crm.Crm, tom: crm.Actor, sue: crm.Actor) -> None:
    closed = closed_leak(desk, tom, sue)
    survey = desk.answer_survey(sue, closed.id, csat=5, nps=10, feedback="praise").survey
    assert survey is not None
    assert (survey.feedback, survey.follow_up) == ("praise", None)


def test_bad_survey_answers_are_refused_naming_the_field(desk: crm.Crm, tom: crm.Actor, sue: crm.Actor) -> None:
    closed = closed_leak(desk, tom, sue)
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat=6)).fields == ["csat"]
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat=0)).fields == ["csat"]
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat=300)).fields == ["csat"]
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat=-1)).fields == ["csat"]
    assert refused(lambda: desk.answer_survey(sue, closed.id, csat="5")).fields == ["csat"]  # type: ignore[arg-type]
    assert refused(lambda: desk.answer_survey(sue, closed.id, nps=11)).fields == ["nps"]
    assert refused(lambda: desk.answer_survey(sue, closed.id, feedback="rant")).fields == ["feedback"]  # type: ignore[arg-type]
    assert refused(lambda: desk.answer_survey(sue, closed.id)).fields == ["survey"]
    fresh = desk.open_ticket(tom, "Another one")
    assert refused(lambda: desk.answer_survey(sue, fresh.id, csat=4)).fields == ["ticket"]


def test_scope_flags_and_the_standard_policy(desk: crm.Crm, tom: crm.Actor) -> None:
    noise = desk.open_ticket(tom, "Noise from the gearbox", order="SO-4711", warranty_until=date(2026, 2, 28))
    assert (noise.status, noise.assignee, noise.order) == ("new", None, "SO-4711")
    assert noise.warranty_until == date(2026, 2, 28)
    assert noise.out_of_scope == "the warranty ended on 2026-02-28"
    assert noise.sla is not None and noise.sla.policy == "standard"
    assert noise.contract is None
    as_dict = noise.to_dict()
    assert (as_dict["order"], as_dict["warranty_until"], as_dict["survey"]) == ("SO-4711", date(2026, 2, 28), None)
    covered = desk.open_ticket(tom, "Rattle", warranty_until=date(2027, 1, 1))
    assert covered.out_of_scope is None
    assert refused(lambda: desk.open_ticket(tom, "x", warranty_until=datetime(2027, 1, 1, tzinfo=UTC))).fields == ["warranty_until"]
    assert refused(lambda: desk.open_ticket(tom, "x", contract="not a contract id")).fields == ["contract"]


def test_a_department_task_is_unassigned_until_handed_out(desk: crm.Crm, sue: crm.Actor, root: crm.Actor) -> None:
    task = desk.create_task(sue, "Check the spare parts stock", team="service", priority="urgent",
                            due_at=at("2026-03-04T08:00:00Z"))
    assert (task.assignee, task.team, task.status) == (None, "service", "open")
    work = desk.due_work(root, now=at("2026-03-04T12:00:00Z"))
    assert [(w.user, w.items[0].kind, w.items[0].title, w.items[0].overdue) for w in work] == [
        ("sue", "task", "Check the spare parts stock", True)]
    mine = desk.create_task(sue, "Mine")
    assert (mine.assignee, mine.team) == ("sue", "service")


def test_without_an_sla_config_tickets_have_no_clocks(engine: crm.Crm, admin: crm.Actor) -> None:
    ticket = engine.open_ticket(admin, "Printer jams")
    assert ticket.sla is None
    assert engine.ticket_sla(admin, ticket.id) == []
    assert engine.escalate(admin) == []


def test_a_calendar_goes_into_the_config_as_it_is(office: crm.Calendar, root: crm.Actor) -> None:
    sla = {"calendars": {"office": office, "dict": office.to_dict()},
           "policies": [{"name": "all", "calendar": "office", "first_response_minutes": 60}]}
    engine = crm.Crm(now=START, seed=1, config={"sla": sla})
    ticket = engine.open_ticket(root, "Printer jams")
    assert ticket.sla is not None
    assert ticket.sla.clocks[0].due_at == at("2026-03-02T09:00:00Z")


def test_a_bad_sla_config_names_the_calendar_field() -> None:
    config = {"sla": {"calendars": {"office": {**OFFICE, "time_zone": "Nowhere/Else"}}}}
    with pytest.raises(crm.CrmError) as caught:
        crm.Crm(config=config)
    assert caught.value.fields == ["sla.calendars.office.time_zone"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", [crm.Calendar, crm.TicketSla], ids=lambda cls: cls.__name__)
def test_the_examples_in_the_docstrings_of_methods_hold(cls: type) -> None:
    """The module's doctest run looks at classes only; these look at their methods too."""
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(cls, globs={"crm": crm})
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
    assert sum(len(test.examples) for test in tests) >= 4
