"""Quote versions, payment plans, payments, receivables and collections in the
engine, from Python: ``Crm.add_quote`` ... ``Crm.collected``, with
``crm.Money`` and ``datetime.date`` in and typed results out."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, Tuple

import pytest

import crm

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

THIRTY_SEVENTY: Dict[str, Any] = {
    "name": "30/70",
    "lines": [
        {"label": "on signing", "percent": "30",
         "due": {"milestone": {"event": "contract_signed", "plus_days": 0}}},
        {"label": "on acceptance", "percent": Decimal("70"),
         "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}},
    ],
}

HALVES: Dict[str, Any] = {
    "name": "halves",
    "lines": [
        {"label": "first half", "percent": 50, "due": {"days_after": 0}},
        {"label": "second half", "percent": 50, "due": {"days_after": 30}},
    ],
}

PRICES: Dict[str, Any] = {"name": "2026", "currency": "EUR", "prices": {"seat": Decimal("49.90")}}


def eur(amount: str) -> crm.Money:
    return crm.Money(Decimal(amount), "EUR")


def refused(call: Callable[[], object]) -> crm.ValidationError:
    with pytest.raises(crm.ValidationError) as caught:
        call()
    return caught.value


@pytest.fixture
def engine() -> crm.Crm:
    return crm.Crm(now=START, seed=3)


@pytest.fixture
def sue() -> crm.Actor:
    """A supervisor: the default policy leaves contract changes to supervisors and admins."""
    return crm.Actor("sue", roles=["supervisor"], team="east")


def won_contract(engine: crm.Crm, admin: crm.Actor) -> Tuple[crm.Customer, crm.Contract]:
    """A customer and the draft contract of a deal of 1,000.00 EUR that ana (of
    team east, whose supervisor is sue) won."""
    ana = crm.Actor("ana", roles=["sales"], team="east")
    engine.save_team(admin, "east", "Sales East", supervisor="sue")
    acme = engine.create_customer(ana, "Acme", owner="ana")
    deal = engine.create_opportunity(ana, acme.id, "Rollout", owner="ana", expected_amount=eur("1000.00"))
    deal = engine.advance_opportunity(ana, deal.id)
    _, contract = engine.win_opportunity(ana, deal.id)
    return acme, contract


def test_thirty_seventy_signing_dates_the_first_line_then_pay_bounce_accept_and_complete(
    engine: crm.Crm, admin: crm.Actor, sue: crm.Actor, ana: crm.Actor
) -> None:
    _, contract = won_contract(engine, admin)
    assert contract.amount == eur("1000.00") and contract.payment_plan is None

    # Sales users may not change contracts (the default policy).
    with pytest.raises(crm.ForbiddenError):
        engine.set_payment_plan(ana, contract.id, THIRTY_SEVENTY)

    contract = engine.set_payment_plan(sue, contract.id, THIRTY_SEVENTY)
    plan = contract.payment_plan
    assert isinstance(plan, crm.PaymentPlan)
    assert plan.terms == "30/70" and plan.currency == "EUR"
    first, rest = plan.installments
    assert isinstance(first, crm.PlanLine)
    assert (first.number, first.label, first.amount) == (1, "on signing", eur("300.00"))
    assert first.due_date is None and first.milestone == "contract_signed"
    assert first.due == {"milestone": {"event": "contract_signed", "plus_days": 0}}
    assert rest.amount == eur("700.00") and rest.paid == eur("0.00") and rest.written_off is None
    assert isinstance(rest.amount.amount, Decimal)
    assert plan.total == eur("1000.00") and plan.outstanding == eur("1000.00") and not plan.is_settled
    assert plan.milestones == {} and plan.payments == []

    # Signing fires `contract_signed`: the first line falls due that day.
    engine.advance_clock(days=1)
    contract = engine.sign_contract(sue, contract.id)
    plan = contract.payment_plan
    assert plan is not None
    assert plan.installments[0].due_date == date(2026, 1, 6)
    assert plan.installments[1].due_date is None
    assert plan.milestones == {"contract_signed": date(2026, 1, 6)}
    assert plan.installments[0].status(date(2026, 1, 6)) == "due"
    assert plan.installments[0].status(date(2026, 1, 7)) == "overdue"
    assert plan.installments[1].status(date(2026, 1, 7)) == "planned"

    # A partial payment, on the oldest open line.
    contract = engine.record_payment(sue, contract.id, "bank-1", eur("100.00"))
    plan = contract.payment_plan
    assert plan is not None
    payment = plan.payments[0]
    assert isinstance(payment, crm.Payment)
    assert (payment.id, payment.on, payment.amount) == ("bank-1", date(2026, 1, 6), eur("100.00"))
    assert payment.allocations == [plan.payments[0].allocations[0]]
    allocation = payment.allocations[0]
    assert isinstance(allocation, crm.Allocation)
    assert (allocation.installment, allocation.amount) == (1, eur("100.00"))
    assert payment.credit == eur("0.00") and payment.reversed is None
    assert plan.installments[0].paid == eur("100.00") and plan.installments[0].open == eur("200.00")
    assert plan.installments[0].status(date(2026, 1, 6)) == "partially_paid"
    assert plan.paid == eur("100.00") and plan.outstanding == eur("900.00")

    # A second one spills into the next line; then it bounces and all it paid is owed again.
    contract = engine.record_payment(sue, contract.id, "bank-2", eur("250.00"), on=date(2026, 1, 6))
    plan = contract.payment_plan
    assert plan is not None
    assert [(a.installment, a.amount) for a in plan.payments[1].allocations] == [
        (1, eur("200.00")), (2, eur("50.00"))]
    contract = engine.reverse_payment(sue, contract.id, "bank-2", "returned by the bank")
    plan = contract.payment_plan
    assert plan is not None
    reversal = plan.payments[1].reversed
    assert isinstance(reversal, crm.Reversal)
    assert (reversal.on, reversal.reason) == (date(2026, 1, 6), "returned by the bank")
    assert [line.paid for line in plan.installments] == [eur("100.00"), eur("0.00")]
    assert plan.installments[0].status(date(2026, 1, 6)) == "partially_paid"

    # Delivery accepted: the rest falls due 30 days later; paying everything completes the contract.
    contract = engine.activate_contract(sue, contract.id)
    contract = engine.reach_milestone(sue, contract.id, "delivery_accepted", on=date(2026, 1, 10))
    assert contract.status == "active"
    plan = contract.payment_plan
    assert plan is not None
    assert plan.installments[1].due_date == date(2026, 2, 9)
    assert plan.milestones["delivery_accepted"] == date(2026, 1, 10)
    contract = engine.record_payment(sue, contract.id, "bank-3", eur("900.00"))
    assert contract.status == "completed"
    plan = contract.payment_plan
    assert plan is not None
    assert plan.is_settled and plan.outstanding == eur("0.00") and plan.paid == eur("1000.00")
    assert [line.status(date(2026, 3, 1)) for line in plan.installments] == ["paid", "paid"]
    actions = [event.action for event in engine.history(admin, "contract", contract.id)]
    assert actions[-2:] == ["payment", "complete"]
    assert "reverse_payment" in actions and "milestone" in actions

    # The plan is a value: to_dict, repr, ==.
    assert plan.to_dict()["installments"] == plan.installments
    assert set(plan.to_dict()) == {"terms", "currency", "installments", "payments", "credit", "milestones"}
    assert repr(plan) == "PaymentPlan(terms='30/70', currency='EUR', credit=Money('0.00', 'EUR'))"
    assert engine.get(admin, "contract", contract.id).payment_plan == plan
    assert contract.to_dict()["payment_plan"] == plan
    with pytest.raises(AttributeError):
        setattr(plan, "terms", "other")


def test_quote_versions_and_the_accepted_one_becomes_the_contract(
    engine: crm.Crm, admin: crm.Actor, ana: crm.Actor
) -> None:
    acme = engine.create_customer(ana, "Acme", owner="ana")
    deal = engine.create_opportunity(ana, acme.id, "Seats", owner="ana")
    line = {"product": "seat", "quantity": 10, "tax_percent": Decimal("19")}
    deal = engine.add_quote(ana, deal.id, [line], price_list=PRICES, valid_until=date(2026, 1, 31))
    (v1,) = deal.quotes
    assert isinstance(v1, crm.QuoteVersion)
    assert (v1.version, v1.status, v1.price_list, v1.note) == (1, "open", "2026", None)
    assert v1.valid_until == date(2026, 1, 31) and v1.created_at == START
    assert isinstance(v1.priced, crm.PricedQuote) and v1.priced.total == eur("593.81")
    assert v1.lines == [{
        "product": "seat", "description": None, "quantity": Decimal("10"), "unit_price": None,
        "discount_percent": None, "discount_amount": None, "tax_percent": Decimal("19"),
    }]
    # The lines as given go back in as they are.
    assert crm.price_quote(v1.lines, "EUR", price_list=PRICES) == v1.priced

    discounted = {**line, "discount_percent": "10"}
    deal = engine.add_quote(ana, deal.id, [discounted], price_list=PRICES, note="10 % off for the rollout")
    v1, v2 = deal.quotes
    assert (v1.status, v2.status, v2.version) == ("superseded", "open", 2)
    assert v2.note == "10 % off for the rollout"
    assert v2.priced.lines[0].net == eur("449.10") and v2.priced.total == eur("534.43")
    assert deal.expected_amount is None
    assert repr(v2) == "QuoteVersion(version=2, status='open')"

    deal = engine.accept_quote(ana, deal.id, 2)
    assert deal.quotes[1].status == "accepted" and deal.expected_amount == eur("534.43")
    assert deal.to_dict()["quotes"] == deal.quotes

    deal = engine.advance_opportunity(ana, deal.id)
    deal, contract = engine.win_opportunity(ana, deal.id)
    assert contract.amount == deal.quotes[1].priced.total == eur("534.43")
    assert contract.quote_version == 2
    assert contract.lines == deal.quotes[1].priced.lines
    assert [type(item) for item in contract.lines] == [crm.PricedLine]
    assert contract.lines[0].product == "seat" and contract.lines[0].total == eur("534.43")


def test_errors_name_their_fields(engine: crm.Crm, admin: crm.Actor, sue: crm.Actor, ana: crm.Actor) -> None:
    _, contract = won_contract(engine, admin)
    contract = engine.set_payment_plan(sue, contract.id, HALVES)
    engine.record_payment(sue, contract.id, "bank-1", eur("100.00"))

    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-1", eur("5.00"))).fields == ["id"]
    err = refused(lambda: engine.record_payment(sue, contract.id, "bank-x", crm.Money("5.00", "USD")))
    assert err.fields == ["amount"]
    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-y", eur("0.00"))).fields == ["amount"]
    err = refused(lambda: engine.reschedule_payments(sue, contract.id, HALVES, reason="  "))
    assert err.fields == ["reason"]
    assert refused(lambda: engine.reverse_payment(sue, contract.id, "nope", "why")).fields == ["id"]
    assert refused(lambda: engine.reverse_payment(sue, contract.id, "bank-1", "")).fields == ["reason"]
    assert refused(lambda: engine.reach_milestone(sue, contract.id, " ")).fields == ["event"]
    err = refused(lambda: engine.write_off_installment(sue, contract.id, 9, "goodwill"))
    assert err.fields == ["installment"]
    assert refused(lambda: engine.set_payment_plan(sue, contract.id, HALVES)).fields == ["contract"]
    bad_terms = {**HALVES, "lines": [{**HALVES["lines"][0], "percent": 40}, HALVES["lines"][1]]}
    assert refused(lambda: engine.reschedule_payments(sue, contract.id, bad_terms, reason="x")).fields == [
        "terms.lines"]

    # Input the binding refuses before the engine sees it.
    amount: Any = 5.0
    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-z", amount)).fields == ["amount"]
    on: Any = datetime(2026, 1, 6, tzinfo=timezone.utc)
    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-z", eur("1.00"), on=on)).fields == ["on"]
    to: Any = "1"
    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-z", eur("1.00"), to=to)).fields == ["to"]
    to = [1, True]
    assert refused(lambda: engine.record_payment(sue, contract.id, "bank-z", eur("1.00"), to=to)).fields == ["to[1]"]
    number: Any = -1
    assert refused(lambda: engine.write_off_installment(sue, contract.id, number, "x")).fields == ["installment"]
    today: Any = "2026-01-06"
    assert refused(lambda: engine.receivables(sue, today=today)).fields == ["today"]

    # Only the write-off roles may write off: not a sales user.
    with pytest.raises(crm.ForbiddenError):
        engine.write_off_installment(ana, contract.id, 1, "goodwill")
    contract = engine.write_off_installment(sue, contract.id, 1, "goodwill")
    plan = contract.payment_plan
    assert plan is not None
    write_off = plan.installments[0].written_off
    assert isinstance(write_off, crm.WriteOff)
    assert (write_off.on, write_off.reason, write_off.amount) == (date(2026, 1, 5), "goodwill", eur("400.00"))
    assert plan.installments[0].status(date(2026, 1, 5)) == "written_off"

    # A superseded quote version cannot be accepted; a closed deal takes no quote.
    acme = engine.create_customer(ana, "Globex", owner="ana")
    deal = engine.create_opportunity(ana, acme.id, "Seats", owner="ana")
    seat = {"product": "seat", "quantity": 1}
    engine.add_quote(ana, deal.id, [seat], price_list=PRICES)
    engine.add_quote(ana, deal.id, [seat], price_list=PRICES)
    assert refused(lambda: engine.accept_quote(ana, deal.id, 1)).fields == ["version"]
    assert refused(lambda: engine.accept_quote(ana, deal.id, 7)).fields == ["version"]
    assert refused(lambda: engine.add_quote(ana, deal.id, [])).fields == ["lines"]
    assert refused(lambda: engine.add_quote(ana, deal.id, [seat])).fields == ["currency"]
    assert refused(lambda: engine.add_quote(ana, deal.id, [seat], currency="EUR")).fields == ["lines[0].unit_price"]
    assert refused(lambda: engine.add_quote(ana, deal.id, [{"product": "seat", "quantity": 1.5}],
                                            currency="EUR")).fields == ["lines[0].quantity"]
    valid_until: Any = "2026-02-01"
    assert refused(lambda: engine.add_quote(ana, deal.id, [seat], price_list=PRICES,
                                            valid_until=valid_until)).fields == ["valid_until"]
    with pytest.raises(crm.NotFoundError):
        engine.set_payment_plan(sue, "00000000-0000-4000-8000-000000000000", HALVES)
    assert refused(lambda: engine.set_payment_plan(sue, "ct-nope", HALVES)).fields == ["contract"]


def test_receivables_with_aging_and_collected_per_owner(engine: crm.Crm, admin: crm.Actor, sue: crm.Actor) -> None:
    acme, contract = won_contract(engine, admin)
    contract = engine.set_payment_plan(sue, contract.id, HALVES, base=date(2026, 1, 5))
    plan = contract.payment_plan
    assert plan is not None
    assert [line.due_date for line in plan.installments] == [date(2026, 1, 5), date(2026, 2, 4)]
    engine.record_payment(sue, contract.id, "bank-1", eur("200.00"), on=date(2026, 1, 6))
    engine.record_payment(sue, contract.id, "bank-2", eur("50.00"), on=date(2026, 2, 2), to=[2])
    engine.record_payment(sue, contract.id, "bank-3", eur("70.00"), on=date(2026, 2, 3))
    contract = engine.reverse_payment(sue, contract.id, "bank-3", "bounced")

    (owed,) = engine.receivables(sue, today=date(2026, 3, 10))
    assert isinstance(owed, crm.Receivable)
    assert (owed.contract, owed.number, owed.customer, owed.owner) == (contract.id, contract.number, acme.id, "ana")
    assert (owed.total, owed.paid, owed.outstanding, owed.credit) == (
        eur("1000.00"), eur("250.00"), eur("750.00"), eur("0.00"))
    aging = owed.aging
    assert isinstance(aging, crm.Aging)
    # 300.00 of the first half is 64 days late, 450.00 of the second 34 days.
    assert (aging.current, aging.days_1_30, aging.days_31_60, aging.days_61_90, aging.days_90_plus) == (
        eur("0.00"), eur("0.00"), eur("450.00"), eur("300.00"), eur("0.00"))
    assert contract.payment_plan is not None and contract.payment_plan.aging(date(2026, 3, 10)) == aging
    assert owed.to_dict()["aging"] == aging
    # Default today: the engine's clock (2026-01-05: nothing is late yet).
    (now,) = engine.receivables(sue)
    assert now.aging.current == eur("750.00")
    # One customer's only.
    assert len(engine.receivables(sue, customer=acme.id, today=date(2026, 3, 10))) == 1
    other = engine.create_customer(admin, "Globex")
    assert engine.receivables(sue, customer=other.id) == []

    # Collected per owner: the bounced payment left out, `until` excluded.
    (january,) = engine.collected(sue, date(2026, 1, 1), date(2026, 2, 1))
    assert isinstance(january, crm.Collected)
    assert (january.owner, january.amount, january.payments) == ("ana", eur("200.00"), 1)
    (both,) = engine.collected(sue, from_=date(2026, 1, 1), until=date(2026, 3, 1))
    assert (both.amount, both.payments) == (eur("250.00"), 2)
    assert engine.collected(sue, date(2026, 2, 3), date(2026, 2, 4)) == []
    assert repr(both) == "Collected(owner='ana', amount=Money('250.00', 'EUR'), payments=2)"
    start: Any = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert refused(lambda: engine.collected(sue, start, date(2026, 3, 1))).fields == ["from_"]


def test_a_reschedule_keeps_what_was_paid_and_numbers_new_lines_after_the_last(
    engine: crm.Crm, admin: crm.Actor, sue: crm.Actor
) -> None:
    _, contract = won_contract(engine, admin)
    engine.set_payment_plan(sue, contract.id, HALVES, base=date(2026, 1, 5))
    engine.record_payment(sue, contract.id, "bank-1", eur("600.00"))
    contract = engine.reschedule_payments(sue, contract.id, HALVES, base=date(2026, 3, 1), reason="customer asked")
    plan = contract.payment_plan
    assert plan is not None
    assert [(line.number, line.amount, line.replaced) for line in plan.installments] == [
        (1, eur("500.00"), False), (2, eur("100.00"), True), (3, eur("200.00"), False), (4, eur("200.00"), False)]
    assert plan.installments[1].open == eur("0.00")
    assert [line.due_date for line in plan.installments[2:]] == [date(2026, 3, 1), date(2026, 3, 31)]
    assert plan.total == eur("1000.00") and plan.outstanding == eur("400.00")
    (event,) = [e for e in engine.history(admin, "contract", contract.id) if e.action == "reschedule"]
    assert event.reason == "customer asked" and event.payload["added"] == [3, 4]
