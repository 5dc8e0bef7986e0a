"""Customer value in the engine across the FFI: `refresh_customer_value`
scores the stored customers from their signed contracts, moves tiers and
lifecycle stages (a typed `ValueRefresh`; `Customer.stage_since`), and the
customers it flags come due as win-backs (`DueKind.WIN_BACK`)."""

import datetime
import json

import pytest

import crm_ffi as ffi

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
ADMIN = ffi.Actor(user="root", roles=["admin"])
SUE = ffi.Actor(user="sue", roles=["supervisor"], team="east")
ANA = ffi.Actor(user="ana", roles=["sales"], team="east")


def buy(crm, customer_id, amount, currency="EUR"):
    """A deal won and its contract signed now: one purchase of the customer."""
    deal = crm.create_opportunity(ANA, ffi.NewOpportunity(
        customer=customer_id, name="deal", expected_amount=ffi.Money(amount=amount, currency=currency)))
    crm.advance_opportunity(ANA, deal.id)
    crm.sign_contract(SUE, crm.win_opportunity(ANA, deal.id).contract.id)


@pytest.fixture
def crm():
    """Weekly buys three weeks in a row, Once buys once; 46 days later both
    are due a refresh."""
    crm = ffi.Crm(now=START, seed=3, config_json=json.dumps({"rfm": {"ties": "equal"}}))
    crm.save_team(ADMIN, ffi.TeamInput(id="east", name="East", supervisor="sue"))
    crm.save_user(ADMIN, ffi.UserInput(id="ana", name="Ana", team="east", roles=["sales"]))
    weekly = crm.create_customer(ANA, ffi.NewCustomer(name="Weekly", owner="ana"))
    once = crm.create_customer(ANA, ffi.NewCustomer(name="Once", owner="ana"))
    buy(crm, weekly.id, "100.00")
    buy(crm, once.id, "50.00")
    for _ in range(2):
        crm.advance_clock(days=7)
        buy(crm, weekly.id, "100.00")
    crm.advance_clock(days=46)
    return crm


def customer(crm, name):
    [found] = [r.record for r in crm.list(ANA, "customer") if r.record.name == name]
    assert isinstance(found, ffi.Customer)
    return found


def test_a_new_customer_knows_since_when_it_is_in_its_stage():
    crm = ffi.Crm(now=START, seed=1)
    created = crm.create_customer(ANA, ffi.NewCustomer(name="Acme", owner="ana"))
    assert (created.stage, created.stage_since) == ("prospect", START)


def test_refresh_moves_stage_and_tier(crm):
    before = customer(crm, "Weekly")
    assert (before.stage, before.tier) == ("new", None)  # signing made it a customer

    refresh = crm.refresh_customer_value(ADMIN)  # as_of: the engine's clock
    assert isinstance(refresh, ffi.ValueRefresh)
    assert refresh == ffi.ValueRefresh(scored=2, tiers_changed=2, stages_changed=2, batches=1,
                                       skipped=ffi.RfmSkipped(future=0, refund_only=0))

    weekly = customer(crm, "Weekly")
    # A weekly buyer silent for 46 days: dormant, since now.
    assert (weekly.stage, weekly.tier, weekly.stage_since) == ("dormant", "B", crm.now())
    assert weekly.version > before.version
    once = customer(crm, "Once")
    assert (once.stage, once.tier) == ("active", "C")
    assert crm.history(ANA, "customer", weekly.id)[-1].action == "value"

    # Nothing changed since: nothing written.
    again = crm.refresh_customer_value(ADMIN)
    assert (again.scored, again.tiers_changed, again.stages_changed, again.batches) == (2, 0, 0, 0)


def test_an_earlier_as_of_leaves_later_contracts_out(crm):
    refresh = crm.refresh_customer_value(ADMIN, START + DAY)
    assert refresh.scored == 2
    assert refresh.skipped.future == 2  # Weekly's second and third contracts


def test_a_win_back_comes_due_to_the_owner(crm):
    crm.refresh_customer_value(ADMIN)
    weekly = customer(crm, "Weekly")
    crm.advance_clock(days=4)
    [work] = crm.due_work(ANA)
    [item] = work.items
    assert (work.user, work.overdue) == ("ana", 1)
    assert item.kind is ffi.DueKind.WIN_BACK
    assert (item.subject, item.title) == (ffi.RecordKey(kind="customer", id=weekly.id), "Weekly")
    assert item.due_at == weekly.stage_since + 3 * DAY  # the default follow-up time
    assert item.overdue


def test_refresh_needs_edit_rights_and_writes_nothing_without(crm):
    outsider = ffi.Actor(user="zed", roles=["sales"], team="west")
    with pytest.raises(ffi.CrmError.Forbidden):
        crm.refresh_customer_value(outsider)
    assert customer(crm, "Weekly").stage == "new"


def test_a_bad_as_of_is_refused_before_the_call(crm):
    # Python's datetime cannot leave the core's range (the typed
    # Validation(fields=["as_of"]) for that is checked in Kotlin with
    # Instant.MAX); the generated code refuses what is not an aware datetime.
    with pytest.raises(TypeError):
        crm.refresh_customer_value(ADMIN, "2026-03-01T00:00:00Z")
    with pytest.raises(TypeError):
        crm.refresh_customer_value(ADMIN, datetime.datetime(2026, 3, 1))  # naive
    assert customer(crm, "Weekly").stage == "new"


def test_contracts_in_two_currencies_need_value_currency(crm):
    buy(crm, customer(crm, "Once").id, "10.00", currency="USD")
    with pytest.raises(ffi.CrmError.Config) as caught:
        crm.refresh_customer_value(ADMIN)
    assert caught.value.path == "value_currency"


def test_the_rfm_config_goes_through_the_engine_config():
    with pytest.raises(ffi.CrmError.Config) as caught:
        ffi.Crm(config_json='{"rfm": {"bins": 1}}')
    assert caught.value.path == "rfm.bins"
    crm = ffi.Crm(now=START, config_json='{"rfm": {"ties": "position"}, "value_currency": "EUR"}')
    assert crm.refresh_customer_value(ADMIN).scored == 0
