"""Quote versions and payment plans in the engine, across the FFI: typed
records (`QuoteVersion`, `PaymentPlan`, `PlanLine`, `Payment`, `Receivable`,
`Collected`), money as `Money` with decimal strings, dates as `YYYY-MM-DD`,
and bad input as typed errors naming the field."""

import datetime
import json
from decimal import Decimal

import pytest

import crm_ffi as ffi

ROOT = ffi.Actor(user="root", roles=["admin"])  # the default policy: sales users may not edit contracts
ANA = ffi.Actor(user="ana", roles=["sales"])

PRICES = json.dumps({"name": "2026", "currency": "EUR", "prices": {"seat": "49.90"}})

ON_SIGNING_30_70 = json.dumps({"name": "30/70", "lines": [
    {"label": "on signing", "percent": "30", "due": {"milestone": {"event": "contract_signed", "plus_days": 0}}},
    {"label": "on acceptance", "percent": "70",
     "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}},
]})


def eur(amount):
    return ffi.Money(amount=amount, currency="EUR")


def validation_fields(call, *args, **kwargs):
    with pytest.raises(ffi.CrmError.Validation) as info:
        call(*args, **kwargs)
    return info.value.fields


@pytest.fixture
def crm():
    return ffi.Crm(now=datetime.datetime(2026, 1, 15, 9, tzinfo=datetime.timezone.utc), seed=5)


@pytest.fixture
def acme(crm):
    return crm.create_customer(ANA, ffi.NewCustomer(name="Acme"))


def won_contract(crm, acme, amount="1000.00"):
    deal = crm.create_opportunity(ANA, ffi.NewOpportunity(customer=acme.id, name="Rollout",
                                                         expected_amount=eur(amount)))
    crm.advance_opportunity(ANA, deal.id)
    return crm.win_opportunity(ANA, deal.id).contract


def test_quote_versions_and_the_accepted_one_as_the_contract(crm, acme):
    deal = crm.create_opportunity(ANA, ffi.NewOpportunity(customer=acme.id, name="Seats"))
    v1 = crm.add_quote(ANA, deal.id, ffi.QuoteInput(
        lines=[ffi.QuoteLine(product="seat", quantity="10", tax_percent="19")], price_list_json=PRICES))
    (quote,) = v1.quotes
    assert isinstance(quote, ffi.QuoteVersion)
    assert (quote.version, quote.status, quote.price_list) == (1, ffi.QuoteStatus.OPEN, "2026")
    assert quote.priced.total == eur("593.81")
    assert quote.created_at == datetime.datetime(2026, 1, 15, 9, tzinfo=datetime.timezone.utc)

    v2 = crm.add_quote(ANA, deal.id, ffi.QuoteInput(
        lines=[ffi.QuoteLine(product="seat", quantity="10", discount_percent="10", tax_percent="19")],
        price_list_json=PRICES, valid_until="2026-01-31", note="10 % off"))
    assert [q.status for q in v2.quotes] == [ffi.QuoteStatus.SUPERSEDED, ffi.QuoteStatus.OPEN]
    assert v2.quotes[1].lines[0].discount_percent == "10"
    assert (v2.quotes[1].valid_until, v2.quotes[1].note) == ("2026-01-31", "10 % off")
    assert v2.quotes[1].priced.lines[0].net == eur("449.10")
    assert v2.expected_amount is None

    assert validation_fields(crm.accept_quote, ANA, deal.id, 1) == ["version"]  # superseded
    assert validation_fields(crm.accept_quote, ANA, deal.id, 7) == ["version"]  # no such version
    accepted = crm.accept_quote(ANA, deal.id, 2)
    assert accepted.quotes[1].status == ffi.QuoteStatus.ACCEPTED
    assert accepted.expected_amount == eur("534.43")

    crm.advance_opportunity(ANA, deal.id)
    contract = crm.win_opportunity(ANA, deal.id).contract
    assert contract.amount == eur("534.43")
    assert contract.quote_version == 2
    assert [(line.product, line.total) for line in contract.lines] == [("seat", eur("534.43"))]
    assert contract.payment_plan is None


def test_bad_quotes_name_the_field(crm, acme):
    deal = crm.create_opportunity(ANA, ffi.NewOpportunity(customer=acme.id, name="Seats"))
    seat = ffi.QuoteLine(product="seat", quantity="1")
    assert validation_fields(crm.add_quote, ANA, deal.id, ffi.QuoteInput(lines=[], currency="EUR")) == ["lines"]
    assert validation_fields(crm.add_quote, ANA, deal.id, ffi.QuoteInput(lines=[seat])) == ["currency"]
    assert validation_fields(crm.add_quote, ANA, deal.id, ffi.QuoteInput(lines=[seat], currency="EUR")) == [
        "lines[0].unit_price"]
    assert validation_fields(crm.add_quote, ANA, deal.id, ffi.QuoteInput(lines=[seat], price_list_json="{")) == [
        "price_list"]
    assert validation_fields(crm.add_quote, ANA, deal.id, ffi.QuoteInput(
        lines=[seat], price_list_json=PRICES, valid_until="31.01.2026")) == ["valid_until"]


def test_a_30_70_plan_paid_bounced_delivered_and_completed(crm, acme):
    contract = won_contract(crm, acme)
    with pytest.raises(ffi.CrmError.Forbidden):
        crm.set_payment_plan(ANA, contract.id, ON_SIGNING_30_70)
    assert validation_fields(crm.set_payment_plan, ROOT, contract.id, "{") == ["terms"]
    assert validation_fields(crm.set_payment_plan, ROOT, contract.id, ON_SIGNING_30_70, base="soon") == ["base"]

    plan = crm.set_payment_plan(ROOT, contract.id, ON_SIGNING_30_70).payment_plan
    assert isinstance(plan, ffi.PaymentPlan)
    assert (plan.terms, plan.currency, plan.credit) == ("30/70", "EUR", eur("0.00"))
    assert [line.amount for line in plan.installments] == [eur("300.00"), eur("700.00")]
    assert [line.due_date for line in plan.installments] == [None, None]
    assert [line.milestone for line in plan.installments] == ["contract_signed", "delivery_accepted"]
    assert json.loads(plan.installments[1].due_json) == {
        "milestone": {"event": "delivery_accepted", "plus_days": 30}}
    assert plan.installments[0].status("2026-01-15") == ffi.InstallmentStatus.PLANNED

    # Signing dates the first line.
    crm.advance_clock(days=1)
    signed = crm.sign_contract(ROOT, contract.id)
    assert [line.due_date for line in signed.payment_plan.installments] == ["2026-01-16", None]
    assert signed.payment_plan.milestones == {"contract_signed": "2026-01-16"}
    assert signed.payment_plan.installments[0].status("2026-01-16") == ffi.InstallmentStatus.DUE

    # A partial payment.
    plan = crm.record_payment(ROOT, contract.id, ffi.PaymentInput(id="b1", amount=eur("100.00"))).payment_plan
    first = plan.installments[0]
    assert first.paid == eur("100.00")
    assert first.status("2026-01-16") == ffi.InstallmentStatus.PARTIALLY_PAID
    assert plan.payments[0] == ffi.Payment(id="b1", on="2026-01-16", amount=eur("100.00"),
                                           allocations=[ffi.Allocation(installment=1, amount=eur("100.00"))],
                                           credit=eur("0.00"), reversed=None)
    assert (plan.total(), plan.paid(), plan.outstanding()) == (eur("1000.00"), eur("100.00"), eur("900.00"))
    assert not plan.is_settled()

    # Errors naming the field.
    assert validation_fields(crm.record_payment, ROOT, contract.id,
                             ffi.PaymentInput(id="b1", amount=eur("5.00"))) == ["id"]
    assert validation_fields(crm.record_payment, ROOT, contract.id,
                             ffi.PaymentInput(id="b9", amount=ffi.Money(amount="5.00", currency="USD"))) == ["amount"]
    assert validation_fields(crm.record_payment, ROOT, contract.id,
                             ffi.PaymentInput(id="b9", amount=eur("5e0"))) == ["amount.amount"]
    assert validation_fields(crm.record_payment, ROOT, contract.id,
                             ffi.PaymentInput(id="b9", amount=eur("5.00"), on="16.01.2026")) == ["on"]
    assert validation_fields(crm.record_payment, ROOT, contract.id,
                             ffi.PaymentInput(id="b9", amount=eur("5.00"), to=[9])) == ["installment"]
    assert validation_fields(crm.reschedule_payments, ROOT, contract.id, ON_SIGNING_30_70, " ") == ["reason"]
    with pytest.raises(ffi.CrmError.Forbidden):
        crm.write_off_installment(ANA, contract.id, 1, "goodwill")

    # A payment that pays the line, then bounces and reopens it.
    plan = crm.record_payment(ROOT, contract.id, ffi.PaymentInput(id="b2", amount=eur("200.00"), to=[1])).payment_plan
    assert plan.installments[0].status("2026-01-16") == ffi.InstallmentStatus.PAID
    plan = crm.reverse_payment(ROOT, contract.id, "b2", "returned by the bank").payment_plan
    assert plan.installments[0].paid == eur("100.00")
    assert plan.installments[0].status("2026-01-17") == ffi.InstallmentStatus.OVERDUE
    assert plan.payments[1].reversed == ffi.Reversal(on="2026-01-16", reason="returned by the bank")
    assert validation_fields(crm.reverse_payment, ROOT, contract.id, "b2", "again") == ["id"]

    # Delivery accepted dates the rest.
    crm.activate_contract(ROOT, contract.id)
    delivered = crm.reach_milestone(ROOT, contract.id, "delivery_accepted", on="2026-02-01")
    assert delivered.status == "active"
    assert delivered.payment_plan.installments[1].due_date == "2026-03-03"
    assert validation_fields(crm.reach_milestone, ROOT, contract.id, "delivery_accepted") == ["event"]

    # Paid in full and delivered: the contract completes itself.
    done = crm.record_payment(ROOT, contract.id, ffi.PaymentInput(id="b3", amount=eur("900.00")))
    assert done.status == "completed"
    assert done.payment_plan.is_settled()
    assert done.payment_plan.outstanding() == eur("0.00")
    assert [e.action for e in crm.history(ROOT, "contract", contract.id)[-2:]] == ["payment", "complete"]


def test_receivables_aging_and_collected(crm, acme):
    contract = won_contract(crm, acme)
    other = won_contract(crm, crm.create_customer(ANA, ffi.NewCustomer(name="Globex")), amount="50.00")
    crm.set_payment_plan(ROOT, contract.id, ON_SIGNING_30_70)
    crm.advance_clock(days=1)
    crm.sign_contract(ROOT, contract.id)
    crm.record_payment(ROOT, contract.id, ffi.PaymentInput(id="b1", amount=eur("100.00")))
    crm.record_payment(ROOT, contract.id, ffi.PaymentInput(id="b2", amount=eur("50.00"), on="2026-02-10"))
    crm.reverse_payment(ROOT, contract.id, "b2", "bounced")
    crm.reach_milestone(ROOT, contract.id, "delivery_accepted", on="2026-02-01")
    assert crm.receivables(ROOT, "2026-03-20", customer=acme.id) == [ffi.Receivable(
        contract=contract.id, number=contract.number, customer=acme.id, owner="ana",
        total=eur("1000.00"), paid=eur("100.00"), outstanding=eur("900.00"), credit=eur("0.00"),
        aging=ffi.Aging(current=eur("0.00"), days_1_to_30=eur("700.00"), days_31_to_60=eur("0.00"),
                        days_61_to_90=eur("200.00"), days_90_plus=eur("0.00")))]
    # The other contract has no plan, so it owes nothing here.
    assert [r.contract for r in crm.receivables(ROOT, "2026-03-20")] == [contract.id]
    assert other.payment_plan is None
    # Reversed payments are left out; `until` is excluded.
    assert crm.collected(ROOT, "2026-01-01", "2026-03-01") == [
        ffi.Collected(owner="ana", amount=eur("100.00"), payments=1)]
    assert crm.collected(ROOT, "2026-01-01", "2026-01-16") == []
    assert sum(Decimal(c.amount.amount) for c in crm.collected(ROOT, "2026-01-16", "2026-01-17")) == Decimal("100")
    assert validation_fields(crm.receivables, ROOT, "20.03.2026") == ["today"]
    assert validation_fields(crm.collected, ROOT, "2026-01-01", "soon") == ["until"]
    assert validation_fields(crm.collected, ROOT, "x", "2026-02-01") == ["from"]
