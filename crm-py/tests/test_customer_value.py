"""Customer value in the engine: ``Crm.refresh_customer_value`` scores the
customers from their signed contracts, moves tiers and lifecycle stages, and
the customers it flags come due as win-backs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import crm

from conftest import START


def buy(engine: crm.Crm, ana: crm.Actor, sue: crm.Actor, customer: str, amount: str) -> None:
    """A deal won and its contract signed now: one purchase of the customer."""
    deal = engine.create_opportunity(ana, customer, "deal", expected_amount=crm.Money(Decimal(amount), "EUR"))
    engine.advance_opportunity(ana, deal.id)
    _, contract = engine.win_opportunity(ana, deal.id)
    engine.sign_contract(sue, contract.id)


@pytest.fixture
def shop(engine: crm.Crm, admin: crm.Actor, ana: crm.Actor, sue: crm.Actor) -> crm.Crm:
    """Weekly buys three weeks in a row, Once buys once; 46 days later both
    are due a refresh."""
    engine.save_team(admin, "east", "East", supervisor="sue")
    engine.save_user(admin, "ana", "Ana", team="east", roles=["sales"])
    weekly = engine.create_customer(ana, "Weekly", owner="ana")
    once = engine.create_customer(ana, "Once", owner="ana")
    buy(engine, ana, sue, weekly.id, "100.00")
    buy(engine, ana, sue, once.id, "50.00")
    for _ in range(2):
        engine.advance_clock(days=7)
        buy(engine, ana, sue, weekly.id, "100.00")
    engine.advance_clock(days=46)
    return engine


def customer(engine: crm.Crm, actor: crm.Actor, name: str) -> crm.Customer:
    (found,) = [c for c in engine.list(actor, "customer") if isinstance(c, crm.Customer) and c.name == name]
    return found


def test_a_new_customer_knows_since_when_it_is_in_its_stage(engine: crm.Crm, ana: crm.Actor) -> None:
    created = engine.create_customer(ana, "Acme", owner="ana")
    assert (created.stage, created.stage_since) == ("prospect", START)
    assert created.to_dict()["stage_since"] == START


def test_refresh_moves_stage_and_tier(shop: crm.Crm, admin: crm.Actor, ana: crm.Actor) -> None:
    before = customer(shop, ana, "Weekly")
    assert (before.stage, before.tier) == ("new", None)  # signing made it a customer

    refresh = shop.refresh_customer_value(admin)
    assert isinstance(refresh, crm.ValueRefresh)
    assert (refresh.scored, refresh.tiers_changed, refresh.stages_changed, refresh.batches) == (2, 2, 2, 1)
    assert isinstance(refresh.skipped, crm.RfmSkipped)
    assert refresh.skipped == crm.score_rfm([], shop.now()).skipped
    assert (refresh.skipped.future, refresh.skipped.refund_only) == (0, 0)
    assert repr(refresh).startswith("ValueRefresh(scored=2, tiers_changed=2, stages_changed=2, batches=1,")

    weekly = customer(shop, ana, "Weekly")
    # A weekly buyer silent for 46 days: dormant, since now.
    assert (weekly.stage, weekly.tier, weekly.stage_since) == ("dormant", "B", shop.now())
    assert weekly.version > before.version
    once = customer(shop, ana, "Once")
    assert (once.stage, once.tier) == ("active", "C")
    assert [e.action for e in shop.history(ana, "customer", weekly.id)][-1] == "value"

    # Nothing changed since: nothing written.
    again = shop.refresh_customer_value(admin)
    assert (again.scored, again.tiers_changed, again.stages_changed, again.batches) == (2, 0, 0, 0)


def test_an_earlier_as_of_leaves_later_contracts_out(shop: crm.Crm, admin: crm.Actor) -> None:
    refresh = shop.refresh_customer_value(admin, as_of=START + timedelta(days=1))
    assert refresh.scored == 2
    assert refresh.skipped.future == 2  # Weekly's second and third contracts


def test_a_win_back_comes_due_to_the_owner(shop: crm.Crm, admin: crm.Actor, ana: crm.Actor) -> None:
    shop.refresh_customer_value(admin)
    weekly = customer(shop, ana, "Weekly")
    assert weekly.stage_since is not None
    shop.advance_clock(days=4)
    (work,) = shop.due_work(ana)
    (item,) = work.items
    assert (work.user, work.overdue) == ("ana", 1)
    assert item.kind == "win_back"
    assert (item.subject.kind, item.subject.id, item.title) == ("customer", weekly.id, "Weekly")
    assert item.due_at == weekly.stage_since + timedelta(days=3)  # the default follow-up time
    assert item.overdue


def test_refresh_needs_edit_rights_and_writes_nothing_without(shop: crm.Crm, ana: crm.Actor) -> None:
    outsider = crm.Actor("zed", roles=["sales"], team="west")
    with pytest.raises(crm.ForbiddenError):
        shop.refresh_customer_value(outsider)
    assert customer(shop, ana, "Weekly").stage == "new"


@pytest.mark.parametrize(
    "as_of",
    [datetime(2026, 3, 1), "2026-03-01T00:00:00Z", 1_772_323_200],
    ids=["naive", "str", "int"],
)
def test_a_bad_as_of_is_a_validation_error(shop: crm.Crm, admin: crm.Actor, as_of: Any) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        shop.refresh_customer_value(admin, as_of=as_of)
    assert caught.value.fields == ["as_of"]


def test_the_rfm_config_goes_through_the_engine_config(admin: crm.Actor) -> None:
    with pytest.raises(crm.ConfigError) as caught:
        crm.Crm(now=START, config={"rfm": {"bins": 1}})
    assert caught.value.path.startswith("rfm")
    engine = crm.Crm(now=START, config={"rfm": {"ties": "position"}, "value_currency": "EUR"})
    assert engine.refresh_customer_value(admin).scored == 0
    aware = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert engine.refresh_customer_value(admin, as_of=aware).batches == 0
