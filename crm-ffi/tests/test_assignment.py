"""Assignment across the FFI: the configuration, typed routings (with their
trace), due work at an explicit time, scores, and bad input as typed errors."""

import datetime
import json

import pytest

import crm_ffi as ffi

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)
ADMIN = ffi.Actor(user="root", roles=["admin"])
BO = ffi.Actor(user="bo", roles=["sales"])
CONFIG = {
    "assignment": {"rules": [
        {"name": "east", "when": {"field": "region", "eq": "east"}, "users": ["ana", "bo"]},
    ]},
    "lead_scoring": {"base": 10, "rules": [
        {"name": "cold", "when": {"field": "source", "eq": "cold_call"}, "points": -5},
    ]},
}
HOLIDAY = ffi.Absence(_from=START - HOUR, until=START + 24 * HOUR, reason="holiday")


@pytest.fixture
def crm():
    crm = ffi.Crm(now=START, seed=11, config_json=json.dumps(CONFIG))
    crm.save_user(ADMIN, ffi.UserInput(id="ana", name="Ana", roles=["sales"], away=[HOLIDAY]))
    crm.save_user(ADMIN, ffi.UserInput(id="bo", name="Bo", roles=["sales"]))
    return crm


@pytest.fixture
def lead(crm):
    return crm.create_lead(ADMIN, ffi.NewLead(company="Acme", region="east", source="cold_call"))


@pytest.mark.parametrize("config, path", [
    ("{", "config"),
    ("[]", "config"),
    ('{"claim_limt": 2}', "config"),
    ('{"claim_limit": "two"}', "claim_limit"),
    ('{"reclaim": {"to": "moon"}}', "reclaim"),
], ids=["malformed", "not an object", "unknown key", "bad value", "bad reclaim"])
def test_a_bad_configuration_is_a_config_error_naming_the_path(config, path):
    with pytest.raises(ffi.CrmError.Config) as caught:
        ffi.Crm(config_json=config)
    assert caught.value.path == path


def test_open_checks_the_configuration_before_making_the_file(tmp_path):
    file = tmp_path / "crm.db"
    with pytest.raises(ffi.CrmError.Config) as caught:
        ffi.Crm.open(str(file), config_json='{"claim_limt": 2}')
    assert caught.value.path == "config"
    assert not file.exists()


def test_users_keep_their_absences(crm):
    ana = crm.get(ADMIN, "user", "ana")
    assert isinstance(ana, ffi.AnyRecord.USER)
    assert ana.record.away == [HOLIDAY]


def test_a_routing_is_typed_and_its_trace_readable(crm, lead):
    assert lead.owner == "bo"  # ana is on holiday
    crm.release(ADMIN, "lead", lead.id, "route it again")
    routing = crm.route_lead(ADMIN, lead.id)
    assert isinstance(routing, ffi.Routing)
    assert routing.subject == ffi.RecordKey(kind="lead", id=lead.id)
    assert (routing.owner, routing.rule, routing.pool_reason) == ("bo", "east", None)
    [step] = routing.trace
    assert isinstance(step, ffi.TraceStep)
    assert step.result is ffi.StepResult.CHOSEN
    assert step.detail == 'region "east" is = "east"'
    assert step.skipped == [ffi.Skipped(user="ana", reason=ffi.SkipReason.ON_LEAVE)]


def test_due_work_at_an_explicit_time(crm, lead):
    [work] = crm.due_work(ADMIN, START + HOUR)
    assert (work.user, work.overdue) == ("bo", 0)
    [item] = work.items
    assert item.kind is ffi.DueKind.FIRST_CONTACT
    assert (item.subject.id, item.title, item.overdue) == (lead.id, "Acme", False)
    assert item.due_at == START + 24 * HOUR
    [late] = crm.due_work(ADMIN, START + 48 * HOUR)
    assert late.overdue == 1 and late.items[0].overdue
    assert crm.now() == START  # an explicit time does not move the clock
    crm.advance_clock(hours=1)
    assert crm.due_work(ADMIN) == [work]  # by default, at the engine's clock


def test_scores_explain_themselves(crm, lead):
    score = crm.score_lead(ADMIN, lead.id)
    assert (score.score, score.base) == (5, 10)
    assert [(p.rule, p.points) for p in score.parts] == [("cold", -5)]


def test_pool_claim_and_transfer(crm, lead):
    crm.release(BO, "lead", lead.id, "not mine")
    assert [r.record.id for r in crm.pool(ADMIN, "lead")] == [lead.id]
    claimed = crm.claim(BO, "lead", lead.id)
    assert isinstance(claimed, ffi.AnyRecord.LEAD) and claimed.record.owner == "bo"
    moved = crm.transfer_work(ADMIN, "bo", "leaving", to="ana")
    assert [(m.owner, m.rule) for m in moved] == [("ana", None)]


@pytest.mark.parametrize("call, field", [
    (lambda crm, lead: crm.release(ADMIN, "lead", lead.id, "  "), "reason"),
    (lambda crm, lead: crm.transfer_work(ADMIN, "bo", ""), "reason"),
    (lambda crm, lead: crm.transfer_work(ADMIN, "", "leaving"), "from"),
    (lambda crm, lead: crm.transfer_work(ADMIN, "bo", "leaving", to="bo"), "to"),
    (lambda crm, lead: crm.route(ADMIN, "spaceship", [lead.id]), "entity"),
    (lambda crm, lead: crm.route(ADMIN, "lead", ["not-a-uuid"]), "lead_id"),
    (lambda crm, lead: crm.route(ADMIN, "lead", [lead.id, lead.id]), "ids"),
    (lambda crm, lead: crm.pool(ADMIN, "spaceship"), "entity"),
    (lambda crm, lead: crm.pool(ADMIN, "activity"), "kind"),
    (lambda crm, lead: crm.route_pool(ADMIN, "lead", " east"), "team"),
    (lambda crm, lead: crm.claim(ADMIN, "lead", ""), "lead_id"),
    (lambda crm, lead: crm.route_lead(ADMIN, "x"), "lead_id"),
    (lambda crm, lead: crm.score_lead(ADMIN, "x" * 100_000), "lead_id"),
    (lambda crm, lead: crm.save_user(ADMIN, ffi.UserInput(id="cy", name="Cy", away=[
        ffi.Absence(_from=START, until=START - HOUR)])), "away[0].until"),
], ids=["release blank reason", "transfer blank reason", "transfer empty from", "transfer to itself",
        "route unknown kind", "route bad id", "route id twice", "pool unknown kind",
        "pool kind nobody owns", "route_pool bad team", "claim empty id", "route_lead bad id",
        "score huge id", "absence ends first"])
def test_bad_input_is_a_typed_validation_error(crm, lead, call, field):
    with pytest.raises(ffi.CrmError.Validation) as caught:
        call(crm, lead)
    assert caught.value.fields == [field]
