"""Assignment from Python: configuration, routing with its trace, the pool,
due work, reclaim, transfer and lead scores, as typed values."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Dict, List

import pytest

import crm

from conftest import START

CONFIG: Dict[str, Any] = {
    "claim_limit": 1,
    "lead_scoring": {
        "base": 10,
        "rules": [{"name": "referral", "when": {"field": "source", "eq": "referral"}, "points": 50}],
    },
    "assignment": {
        "rules": [
            {"name": "east", "when": {"field": "region", "eq": "east"}, "team": "east"},
            {"name": "tickets", "applies_to": ["ticket"], "users": ["bo"]},
        ]
    },
}
MISSING = "0194a000-0000-7000-8000-000000000000"


@pytest.fixture
def assigning(admin: crm.Actor) -> crm.Crm:
    engine = crm.Crm(now=START, seed=1, config=CONFIG)
    engine.save_team(admin, "east", "East", supervisor="sue")
    engine.save_user(admin, "sue", "Sue", team="east", roles=["supervisor"],
                     away=[{"from": START - timedelta(days=1), "until": START + timedelta(days=365)}])
    engine.save_user(admin, "ana", "Ana", team="east", roles=["sales"])
    engine.save_user(admin, "bo", "Bo", team="east", roles=["sales"])
    return engine


# ----- configuration ------------------------------------------------------------


def test_config_as_a_mapping_or_json_text(admin: crm.Actor) -> None:
    for config in (CONFIG, json.dumps(CONFIG), MappingProxyType(CONFIG)):
        engine = crm.Crm(now=START, seed=1, config=config)
        engine.save_user(admin, "ana", "Ana", team="east")
        assert engine.create_lead(admin, company="Acme", region="east").owner == "ana"
    assert crm.Crm(config=None).create_lead(admin, company="Acme", region="east").owner is None


@pytest.mark.parametrize(
    "config, path",
    [
        ({"claim_limt": 2}, "config"),
        ('{"claim_limit": ', "config"),
        ("[]", "config"),
        (42, "config"),
        ({"claim_limit": -1}, "claim_limit"),
        ({"due_ahead_hours": 0}, "due_ahead_hours"),
        ({"due_ahead_hours": float("nan")}, "config"),
        ({"due_ahead_hours": object()}, "config"),
        ({"reclaim": {"to": "nowhere"}}, "reclaim"),
        ({"assignment": {"rules": [{"name": "x", "strategy": "bogus"}]}}, "assignment"),
        ({"lead_scoring": {"rules": [{"name": "x", "points": 500}]}}, "lead_scoring"),
    ],
)
def test_bad_config_is_a_config_error_naming_the_path(config: Any, path: str) -> None:
    with pytest.raises(crm.ConfigError) as caught:
        crm.Crm(config=config)
    assert caught.value.code == "config"
    assert caught.value.path.startswith(path), caught.value
    assert caught.value.reason


def test_open_takes_a_config_and_checks_it_before_touching_the_store(tmp_path: Path, admin: crm.Actor) -> None:
    path = tmp_path / "crm.db"
    with pytest.raises(crm.ConfigError) as caught:
        crm.open(str(path), config={"claim_limt": 2})
    assert caught.value.path == "config" and "claim_limt" in caught.value.reason
    assert not path.exists()
    engine = crm.open(str(path), now=START, config=CONFIG)
    engine.save_user(admin, "ana", "Ana", team="east")
    assert engine.create_lead(admin, company="Acme", region="east").owner == "ana"


# ----- users' absences ----------------------------------------------------------


def test_absences_are_typed_and_round_trip(assigning: crm.Crm, admin: crm.Actor) -> None:
    [sue] = [u for u in assigning.list(admin, "user") if u.id == "sue"]
    [away] = sue.away
    assert isinstance(away, crm.Absence)
    assert away.from_ == START - timedelta(days=1) and away.from_.tzinfo is not None
    assert away.until == START + timedelta(days=365) and away.reason is None
    assert sue.to_dict()["away"] == [away]
    holiday = crm.Absence(START, START + timedelta(days=7), "holiday")
    assert repr(holiday) == "Absence(from_='2026-01-05T09:00:00Z', until='2026-01-12T09:00:00Z', reason='holiday')"
    again = assigning.save_user(admin, "sue", "Sue", team="east", away=[*sue.away, holiday])
    assert again.away == [away, holiday]
    assert assigning.save_user(admin, "sue", "Sue", team="east").away == []


@pytest.mark.parametrize(
    "away, field",
    [
        ([{"from": START, "until": START - timedelta(days=1)}], "away[0].until"),
        ([{"from": datetime(2026, 1, 5), "until": START}], "away[0].from"),
        ([{"until": START}], "away[0].from"),
        ([{"from": START, "until": START + timedelta(days=1), "why": "x"}], "away[0]"),
        ([{"from": START, "until": START + timedelta(days=1), "reason": 5}], "away[0].reason"),
        ([crm.Absence(START, START + timedelta(days=1)), "tomorrow"], "away[1]"),
        ("tomorrow", "away"),
        (5, "away"),
    ],
)
def test_bad_absences_are_validation_errors(engine: crm.Crm, admin: crm.Actor, away: Any, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        engine.save_user(admin, "ana", "Ana", away=away)
    assert caught.value.fields == [field], caught.value


def test_an_absence_refuses_naive_times() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.Absence(datetime(2026, 1, 5), START)
    assert caught.value.fields == ["from_"]


# ----- routing ------------------------------------------------------------------


def test_a_routing_and_its_trace_are_typed(assigning: crm.Crm, admin: crm.Actor, sue: crm.Actor) -> None:
    lead = assigning.create_lead(admin, company="Acme", region="east")
    assert (lead.owner, lead.team) == ("ana", "east")
    assert assigning.route_lead(sue, lead.id).owner == "bo"
    routing = assigning.route_lead(sue, lead.id)  # round robin: sue is next, but away
    assert isinstance(routing, crm.Routing)
    assert routing.subject == crm.RecordKey("lead", lead.id)
    assert (routing.owner, routing.team, routing.rule, routing.pool_reason) == ("ana", "east", "east", None)
    [step] = routing.trace
    assert isinstance(step, crm.TraceStep)
    assert (step.rule, step.result) == ("east", "chosen")
    assert step.detail == 'region "east" is = "east"'
    [skipped] = step.skipped
    assert isinstance(skipped, crm.Skipped)
    assert (skipped.user, skipped.reason) == ("sue", "on_leave")
    assert repr(skipped) == "Skipped(user='sue', reason='on_leave')"
    assert repr(step) == "TraceStep(rule='east', result='chosen', skipped=1)"
    assert repr(routing) == (
        f"Routing(subject=RecordKey('lead', '{lead.id}'), owner='ana', team='east', rule='east', pool_reason=None)"
    )
    assert routing == routing and routing != assigning.route_lead(sue, lead.id)
    assert assigning.get(sue, "lead", lead.id).owner == "bo"
    routed = [e.payload["routing"]["owner"] for e in assigning.history(admin, "lead", lead.id) if e.action == "route"]
    assert routed == ["bo", "ana", "bo"]


def test_route_many_and_the_pool(assigning: crm.Crm, admin: crm.Actor, sue: crm.Actor, ana: crm.Actor) -> None:
    north = assigning.create_lead(admin, company="North", region="north", team="east")
    south = assigning.create_lead(admin, company="South", region="south", team="east")
    routings = assigning.route(sue, "lead", (south.id, north.id))
    assert [r.subject.id for r in routings if r.subject] == [south.id, north.id]
    assert [(r.owner, r.pool_reason) for r in routings] == [(None, "no rule matches")] * 2
    assert [r.trace[0].result for r in routings] == ["not_matched", "not_matched"]
    pool = assigning.pool(ana, "lead")
    assert sorted(lead.id for lead in pool) == sorted([north.id, south.id])
    assert all(isinstance(lead, crm.Lead) for lead in pool)
    claimed = assigning.claim(ana, "lead", north.id)
    assert isinstance(claimed, crm.Lead) and (claimed.owner, claimed.team) == ("ana", "east")
    with pytest.raises(crm.ValidationError) as limit:
        assigning.claim(ana, "lead", south.id)
    assert limit.value.fields == ["claim_limit"] and limit.value.value == "1"
    released = assigning.release(ana, "lead", north.id, "not mine")
    assert released.owner is None and released.first_contact_due_at is None
    routed = assigning.route_pool(sue, "lead", team="east")
    assert sorted(r.subject.id for r in routed if r.subject) == sorted([north.id, south.id])
    assert {r.owner for r in routed} == {None}
    assert len(assigning.pool(ana, "lead", team="east")) == 2
    assert assigning.pool(ana, "lead", team="west") == []


def test_tickets_route_by_their_rules(assigning: crm.Crm, admin: crm.Actor, sue: crm.Actor) -> None:
    ticket = assigning.open_ticket(admin, "Line down", group="east")
    [routing] = assigning.route(sue, "ticket", [ticket.id])
    assert (routing.owner, routing.rule) == ("bo", "tickets")
    assert assigning.get(sue, "ticket", ticket.id).assignee == "bo"


# ----- due work, reclaim, transfer ----------------------------------------------


def test_due_work_with_an_explicit_now(assigning: crm.Crm, admin: crm.Actor, sue: crm.Actor) -> None:
    lead = assigning.create_lead(admin, company="Acme", region="east")
    task = assigning.create_task(admin, "Send the quote", assignee="ana", due_at=START + timedelta(hours=30))
    assert lead.first_contact_due_at == START + timedelta(hours=24)

    assert assigning.due_work(sue) == []  # due in exactly the look-ahead: not yet
    [work] = assigning.due_work(sue, now=START + timedelta(hours=1))
    assert isinstance(work, crm.DueWork)
    assert (work.user, work.overdue) == ("ana", 0)
    [item] = work.items
    assert isinstance(item, crm.DueItem)
    assert (item.subject, item.kind, item.title, item.due_at, item.overdue) == (
        crm.RecordKey("lead", lead.id), "first_contact", "Acme", START + timedelta(hours=24), False,
    )

    later = START + timedelta(hours=25)
    [work] = assigning.due_work(sue, now=later)
    assert work.overdue == 1
    assert [(i.kind, i.subject.id, i.overdue) for i in work.items] == [
        ("first_contact", lead.id, True), ("task", task.id, False),
    ]
    assert repr(work) == "DueWork(user='ana', overdue=1, items=2)"
    assert repr(work.items[0]).startswith(f"DueItem(subject=RecordKey('lead', '{lead.id}'), kind='first_contact'")
    assert assigning.now() == START  # an explicit `now` does not move the clock


def test_reclaim_and_transfer(assigning: crm.Crm, admin: crm.Actor, sue: crm.Actor) -> None:
    lead = assigning.create_lead(admin, company="Acme", region="east")
    assert assigning.reclaim_overdue(sue) == []
    [taken] = assigning.reclaim_overdue(sue, now=START + timedelta(days=2))
    assert taken.owner is None
    assert taken.pool_reason == "first contact was due at 2026-01-06T09:00:00Z"
    assigning.claim(crm.Actor("bo", roles=["sales"], team="east"), "lead", lead.id)
    [moved] = assigning.transfer_work(sue, "bo", to="ana", reason="covering")
    assert (moved.subject, moved.owner, moved.rule, moved.trace) == (crm.RecordKey("lead", lead.id), "ana", None, [])
    [routed] = assigning.transfer_work(sue, "ana", reason="leaving")
    assert (routed.owner, routed.rule) == ("bo", "east")
    assert [step.result for step in routed.trace] == ["chosen"]


def test_score_lead_is_typed(assigning: crm.Crm, admin: crm.Actor) -> None:
    lead = assigning.create_lead(admin, company="Acme", source="referral")
    assert lead.quality_score == 60
    score = assigning.score_lead(admin, lead.id)
    assert isinstance(score, crm.Score)
    assert (score.score, score.base) == (60, 10)
    [part] = score.parts
    assert isinstance(part, crm.ScorePart)
    assert (part.rule, part.points) == ("referral", 50) and "referral" in part.detail
    assert repr(score) == "Score(score=60, base=10, parts=1)"
    assert repr(part) == "ScorePart(rule='referral', points=50)"


# ----- bad input ----------------------------------------------------------------

BAD: List[Any] = [
    (lambda e, a: e.release(a, "lead", MISSING, "  "), "reason"),
    (lambda e, a: e.transfer_work(a, "ana", reason=" "), "reason"),
    (lambda e, a: e.transfer_work(a, "ana", to="ana", reason="x"), "to"),
    (lambda e, a: e.transfer_work(a, "", reason="x"), "from_user"),
    (lambda e, a: e.transfer_work(a, "ana", to="", reason="x"), "to"),
    (lambda e, a: e.pool(a, "spaceship"), "entity"),
    (lambda e, a: e.pool(a, "activity"), "kind"),
    (lambda e, a: e.pool(a, "lead", team=""), "team"),
    (lambda e, a: e.route_pool(a, "user"), "kind"),
    (lambda e, a: e.route(a, "spaceship", ["x"]), "entity"),
    (lambda e, a: e.route(a, "lead", ["not-a-uuid"]), "lead_id"),
    (lambda e, a: e.route(a, "lead", [MISSING, MISSING]), "ids"),
    (lambda e, a: e.route_lead(a, ""), "lead_id"),
    (lambda e, a: e.claim(a, "lead", "x"), "lead_id"),
    (lambda e, a: e.claim(a, "spaceship", "x"), "entity"),
    (lambda e, a: e.release(a, "ticket", "x", "why"), "ticket_id"),
    (lambda e, a: e.score_lead(a, "x"), "lead_id"),
    (lambda e, a: e.due_work(a, now=datetime(2026, 1, 5)), "now"),
    (lambda e, a: e.due_work(a, now="2026-01-05"), "now"),
    (lambda e, a: e.reclaim_overdue(a, now=datetime(2026, 1, 5)), "now"),
]


@pytest.mark.parametrize("call, field", BAD)
def test_bad_input_to_assignment_is_a_validation_error(
    engine: crm.Crm, admin: crm.Actor, call: Callable[[crm.Crm, crm.Actor], object], field: str
) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        call(engine, admin)
    assert caught.value.fields == [field], caught.value


def test_missing_and_closed_records_are_typed_errors(engine: crm.Crm, admin: crm.Actor) -> None:
    with pytest.raises(crm.NotFoundError):
        engine.route_lead(admin, MISSING)
    with pytest.raises(crm.NotFoundError):
        engine.score_lead(admin, MISSING)
    lead = engine.create_lead(admin, company="Acme")
    engine.discard_lead(admin, lead.id, "spam")
    with pytest.raises(crm.InvalidTransitionError) as closed:
        engine.claim(admin, "lead", lead.id)
    assert (closed.value.from_state, closed.value.action) == ("discarded", "claim")
    with pytest.raises(TypeError):
        engine.transfer_work(admin, "ana")  # type: ignore[call-arg]
