"""The error mapping across the FFI: every failure is a typed CrmError case
with the core's fields, and bad input never crashes the interpreter."""

import datetime
import json

import pytest

import crm_ffi as ffi

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)
ADMIN = ffi.Actor(user="root", roles=["admin"])
ANA = ffi.Actor(user="ana", roles=["sales"], team="east")
BO = ffi.Actor(user="bo", roles=["sales"], team="east")


@pytest.fixture
def crm():
    return ffi.Crm(now=START, seed=1)


@pytest.fixture
def deal(crm):
    customer = crm.create_customer(ANA, ffi.NewCustomer(name="Acme"))
    return crm.create_opportunity(ANA, ffi.NewOpportunity(customer=customer.id, name="Deal"))


def test_validation_carries_fields_value_and_reason(crm):
    with pytest.raises(ffi.CrmError.Validation) as caught:
        crm.get(ANA, "lead", "not-a-uuid")
    err = caught.value
    assert err.fields == ["lead_id"]
    assert err.value == "not-a-uuid"
    assert err.reason == "is not a UUID"
    assert isinstance(err, ffi.CrmError)


def test_invalid_transition(crm):
    lead = crm.create_lead(ANA, ffi.NewLead(company="Acme", owner="ana"))
    with pytest.raises(ffi.CrmError.InvalidTransition) as caught:
        crm.transition(ANA, "lead", lead.id, "fly", ffi.TransitionOptions())
    assert (caught.value.entity, caught.value.id, caught.value._from, caught.value.action) == (
        "lead", lead.id, "new", "fly")


def test_not_found(crm):
    missing = "0194a000-0000-7000-8000-000000000000"
    with pytest.raises(ffi.CrmError.NotFound) as caught:
        crm.get(ADMIN, "ticket", missing)
    assert (caught.value.entity, caught.value.id) == ("ticket", missing)


def test_conflict(crm, deal):
    with pytest.raises(ffi.CrmError.Conflict) as caught:
        crm.update(ANA, "opportunity", deal.id, 5, json.dumps({"name": "Stale"}))
    assert (caught.value.expected_version, caught.value.found) == (5, 1)


def test_forbidden(crm, deal):
    with pytest.raises(ffi.CrmError.Forbidden) as caught:
        crm.get(BO, "opportunity", deal.id)
    err = caught.value
    assert (err.actor, err.action, err.entity, err.id) == ("bo", "read", "opportunity", deal.id)


@pytest.mark.parametrize("call, field", [
    (lambda crm, deal: crm.create_opportunity(ANA, ffi.NewOpportunity(
        customer=deal.customer, name="N", expected_amount=ffi.Money(amount="-5", currency="EUR"))), "expected_amount"),
    (lambda crm, deal: crm.qualify_lead(ANA, ""), "lead_id"),
    (lambda crm, deal: crm.create_lead(ANA, ffi.NewLead(company="x" * 1_000_000)), "company"),
    (lambda crm, deal: crm.update(ANA, "opportunity", deal.id, 1, "{\"name\": "), "fields"),
    (lambda crm, deal: crm.update(ANA, "opportunity", deal.id, 1, "[]"), "fields"),
    (lambda crm, deal: crm.get(ANA, "spaceship", deal.id), "entity"),
    (lambda crm, deal: crm.open_ticket(ANA, ffi.NewTicket(subject="Leak", priority="asap")), "priority"),
    (lambda crm, deal: crm.share(ANA, "opportunity", deal.id, ffi.Grantee.USER(id="bo"), "own"), "access"),
    (lambda crm, deal: crm.advance_clock(minutes=0, hours=0, days=2**62), "clock"),
    (lambda crm, deal: ffi.Crm(now=None, seed=None).set_now(START), "clock"),
], ids=["negative amount", "empty id", "huge string", "malformed JSON", "JSON not an object",
        "unknown kind", "unknown priority", "unknown access", "clock overflow", "system clock"])
def test_bad_input_is_a_typed_validation_error(crm, deal, call, field):
    with pytest.raises(ffi.CrmError.Validation) as caught:
        call(crm, deal)
    assert caught.value.fields == [field]


def test_times_and_money_keep_their_precision(crm, deal):
    precise = ffi.Crm(now=START.replace(microsecond=123456), seed=1)
    assert precise.now() == START.replace(microsecond=123456)
    updated = crm.update(ANA, "opportunity", deal.id, 1,
                         json.dumps({"expected_amount": {"amount": "0.1", "currency": "EUR"}}))
    assert isinstance(updated, ffi.AnyRecord.OPPORTUNITY)
    assert updated.record.expected_amount == ffi.Money(amount="0.10", currency="EUR")
