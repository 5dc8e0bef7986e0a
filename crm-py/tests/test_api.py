"""The Python conventions of the binding: types, errors, bad input."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import crm

from conftest import START


def test_records_are_typed_python_values(engine: crm.Crm, ana: crm.Actor) -> None:
    customer = engine.create_customer(ana, "Acme GmbH", region="north", tags=["key"])
    deal = engine.create_opportunity(
        ana, customer.id, "Presses",
        expected_amount=crm.Money(Decimal("12000.5"), "EUR"), expected_close_date=date(2026, 3, 31),
    )
    assert isinstance(deal.expected_amount, crm.Money)
    assert deal.expected_amount.amount == Decimal("12000.50")
    assert isinstance(deal.expected_amount.amount, Decimal)
    assert deal.expected_close_date == date(2026, 3, 31)
    assert deal.created_at == START and deal.created_at.tzinfo is not None
    assert deal.probability == 10 and deal.version == 1
    assert customer.tags == ["key"] and customer.kind == "company"
    assert repr(deal) == f"Opportunity(id='{deal.id}', version=1, state='needs_analysis')"
    assert engine.get(ana, "opportunity", deal.id) == deal
    assert deal.to_dict()["expected_amount"] == crm.Money("12000.50", "EUR")


def test_money_is_exact_and_never_a_float() -> None:
    assert repr(crm.Money(Decimal("0.1"), "usd")) == "Money('0.10', 'USD')"
    assert crm.Money("5", "JPY").amount == Decimal("5")
    assert crm.Money(7, "EUR") == crm.Money("7.00", "EUR")
    with pytest.raises(crm.ValidationError) as caught:
        crm.Money(12.5, "EUR")  # type: ignore[arg-type]
    assert caught.value.fields == ["amount"]
    with pytest.raises(crm.ValidationError, match="decimal places"):
        crm.Money(Decimal("0.001"), "EUR")
    with pytest.raises(crm.ValidationError, match="finite"):
        crm.Money(Decimal("NaN"), "EUR")
    with pytest.raises(crm.ValidationError) as caught:
        crm.Money("1", "XYZ")
    assert caught.value.field == "currency" and caught.value.value == "XYZ"


def test_history_iterates_events(engine: crm.Crm, ana: crm.Actor) -> None:
    lead = engine.create_lead(ana, company="Acme", contact_name="Jo", owner="ana")
    engine.advance_clock(hours=2)
    engine.log_activity(ana, "lead", lead.id, "call", "Needs presses")
    engine.qualify_lead(ana, lead.id)
    events = engine.history(ana, "lead", lead.id)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("create", None, "new"), ("contact", "new", "contacted"), ("qualify", "contacted", "qualified"),
    ]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert events[1].at == START + timedelta(hours=2)
    assert events[1].entity == crm.RecordKey("lead", lead.id)
    assert any(change.field == "status" and change.new == "qualified" for change in events[2].changes)
    assert events[1].payload["activity"]


def test_errors_are_typed_and_carry_their_fields(engine: crm.Crm, ana: crm.Actor, sue: crm.Actor) -> None:
    lead = engine.create_lead(ana, company="Acme", owner="ana")
    with pytest.raises(crm.InvalidTransitionError) as transition:
        engine.transition(ana, "lead", lead.id, "teleport")
    assert (transition.value.entity, transition.value.from_state, transition.value.action) == ("lead", "new", "teleport")
    assert transition.value.code == "invalid_transition"
    with pytest.raises(crm.ConflictError) as conflict:
        engine.update(ana, "lead", lead.id, 7, {"title": "CTO"})
    assert (conflict.value.expected_version, conflict.value.found) == (7, 1)
    bo = crm.Actor("bo", roles=["sales"])
    with pytest.raises(crm.ForbiddenError) as forbidden:
        engine.qualify_lead(bo, lead.id)
    assert isinstance(forbidden.value, PermissionError)
    assert (forbidden.value.actor, forbidden.value.action, forbidden.value.entity) == ("bo", "edit", "lead")
    with pytest.raises(crm.NotFoundError) as missing:
        engine.get(ana, "lead", "0194a000-0000-7000-8000-000000000000")
    assert isinstance(missing.value, LookupError)
    with pytest.raises(ValueError):
        engine.discard_lead(ana, lead.id, "")


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda e, a: e.create_lead(a, company="Acme", quality_score=-1), "quality_score"),
        (lambda e, a: e.create_lead(a, company="Acme", quality_score=1000), "quality_score"),
        (lambda e, a: e.create_lead(a, company="Acme", quality_score=float("nan")), "quality_score"),
        (lambda e, a: e.create_lead(a, company="x" * 1_000_000), "company"),
        (lambda e, a: e.create_lead(a, company="Acme", owner=""), "owner"),
        (lambda e, a: e.get(a, "lead", ""), "lead_id"),
        (lambda e, a: e.get(a, "spaceship", "x"), "entity"),
        (lambda e, a: e.take_outbox(math.inf), "limit"),
        (lambda e, a: e.take_outbox(-1), "limit"),
        (lambda e, a: e.open_ticket(a, "Broken", priority="whenever"), "priority"),
        (lambda e, a: e.create_task(a, "Call back", due_at=datetime(2026, 1, 6, 9)), "due_at"),
        (lambda e, a: e.update(a, "lead", "0194a000-0000-7000-8000-000000000000", 1, {"title": 1.5}), "fields"),
        (lambda e, a: e.share(a, "lead", "0194a000-0000-7000-8000-000000000000"), "grantee"),
    ],
)
def test_bad_input_is_a_validation_error(engine: crm.Crm, admin: crm.Actor, call: object, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        call(engine, admin)  # type: ignore[operator]
    assert caught.value.fields[0].startswith(field), caught.value


def test_names_that_cannot_exist_are_bad_input(engine: crm.Crm, ana: crm.Actor) -> None:
    lead = engine.create_lead(ana, company="Acme", owner="ana")
    with pytest.raises(crm.ValidationError) as caught:
        engine.transition(ana, "lead", lead.id, "x" * 1_000_000)
    assert caught.value.fields == ["action"]
    assert caught.value.value is not None and len(caught.value.value) == 40


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.Crm(now=datetime(2026, 1, 5, 9))
    assert caught.value.fields == ["now"]
    assert "time zone" in caught.value.reason


def test_the_system_clock_cannot_be_moved(ana: crm.Actor) -> None:
    engine = crm.Crm()
    before = engine.now()
    assert abs(before - datetime.now(timezone.utc)) < timedelta(minutes=1)
    with pytest.raises(crm.ValidationError) as caught:
        engine.advance_clock(hours=1)
    assert caught.value.fields == ["clock"]
    # Ids come from the operating system's entropy: two engines do not collide.
    assert engine.create_lead(ana, company="A", owner="ana").id != crm.Crm().create_lead(ana, company="A", owner="ana").id


def test_outbox_take_and_ack(engine: crm.Crm, ana: crm.Actor) -> None:
    customer = engine.create_customer(ana, "Acme")
    deal = engine.create_opportunity(ana, customer.id, "D", expected_amount=crm.Money("10", "EUR"))
    engine.advance_opportunity(ana, deal.id)
    [message] = engine.take_outbox(10)
    assert (message.topic, message.recipient, message.attempts) == ("send_quote_template", "ana", 1)
    assert message.record == crm.RecordKey("opportunity", deal.id)
    assert engine.take_outbox(10) == []
    engine.advance_clock(minutes=5)
    [again] = engine.take_outbox(10)
    assert again.id == message.id and again.attempts == 2
    assert engine.ack_outbox([message.id]) == 1
    engine.advance_clock(hours=1)
    assert engine.take_outbox(10) == []


def test_list_respects_scopes(engine: crm.Crm, ana: crm.Actor, sue: crm.Actor) -> None:
    engine.create_lead(ana, company="Mine", owner="ana", team="east")
    engine.create_lead(sue, company="Pool", team="east")
    assert [lead.company for lead in engine.list(ana, "lead")] == ["Mine"]
    assert sorted(str(lead.company) for lead in engine.list(sue, "lead")) == ["Mine", "Pool"]
    assert len(engine.list(sue, "lead", limit=1)) == 1
