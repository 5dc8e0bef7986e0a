"""Quotes and payment terms from Python: ``crm.split_payments``,
``crm.reach_milestone`` and ``crm.price_quote``, pure functions over
``crm.Money``, ``Decimal`` and ``datetime.date``."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List

import pytest

import crm

BASE = date(2026, 1, 15)

THIRTY_SEVENTY: Dict[str, Any] = {
    "name": "30/70 on acceptance",
    "lines": [
        {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
        {
            "label": "on acceptance",
            "percent": "70",
            "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}},
        },
    ],
}


def thirds(*dues: Dict[str, Any]) -> Dict[str, Any]:
    rules = list(dues) or [{"days_after": 0}, {"days_after": 30}, {"days_after": 60}]
    return {
        "name": "thirds",
        "lines": [
            {"label": f"{at + 1}/3", "percent": percent, "due": due}
            for at, (percent, due) in enumerate(zip(["33.33", "33.33", "33.34"], rules))
        ],
    }


def refused(call: Callable[[], object]) -> crm.ValidationError:
    with pytest.raises(crm.ValidationError) as caught:
        call()
    return caught.value


# ----- split_payments -------------------------------------------------------------


def test_thirty_seventy_with_a_milestone() -> None:
    plan = crm.split_payments(crm.Money(Decimal("1000.00"), "EUR"), THIRTY_SEVENTY, base=BASE)
    assert [type(i) for i in plan] == [crm.Installment, crm.Installment]
    down, rest = plan
    assert down.label == "down payment"
    assert down.amount == crm.Money(Decimal("300.00"), "EUR")
    assert isinstance(down.amount.amount, Decimal) and str(down.amount.amount) == "300.00"
    assert down.due_date == BASE and down.milestone is None and down.due == {"days_after": 0}
    assert rest.amount == crm.Money(Decimal("700.00"), "EUR")
    assert rest.due_date is None and rest.milestone == "delivery_accepted"
    assert rest.due == {"milestone": {"event": "delivery_accepted", "plus_days": 30}}
    assert rest.to_dict() == {
        "label": "on acceptance",
        "amount": crm.Money(Decimal("700.00"), "EUR"),
        "due_date": None,
        "milestone": "delivery_accepted",
        "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}},
    }
    assert repr(down) == (
        "Installment(label='down payment', amount=Money('300.00', 'EUR'), due_date='2026-01-15', milestone=None)"
    )

    # The milestone dates the line waiting for it, 30 days after; the rest is as it was.
    accepted = crm.reach_milestone(plan, "delivery_accepted", date(2026, 2, 20))
    assert [i.due_date for i in accepted] == [BASE, date(2026, 3, 22)]
    assert accepted[0] == down and accepted[1] != rest
    assert rest.due_date is None  # installments are immutable: a new list comes back
    with pytest.raises(AttributeError):
        setattr(rest, "due_date", BASE)
    # Another event, or the same one again, dates nothing more.
    assert crm.reach_milestone(accepted, "delivery_accepted", date(2027, 1, 1)) == accepted
    assert crm.reach_milestone(plan, "contract_signed", BASE) == plan


def test_terms_as_a_str_of_json_and_whole_percents_as_int() -> None:
    total = crm.Money("1000.00", "EUR")
    as_json = crm.split_payments(total, json.dumps(THIRTY_SEVENTY), base=BASE)
    as_ints = json.loads(json.dumps(THIRTY_SEVENTY))
    as_ints["lines"][0]["percent"], as_ints["lines"][1]["percent"] = 30, Decimal("70")
    assert crm.split_payments(total, as_ints, base=BASE) == as_json
    assert crm.split_payments(total, THIRTY_SEVENTY, base=BASE) == as_json
    as_tuple = {**THIRTY_SEVENTY, "lines": tuple(THIRTY_SEVENTY["lines"])}
    assert crm.split_payments(total, as_tuple, base=BASE) == as_json


def test_five_forty_seven_in_thirds_sums_exactly() -> None:
    due = ({"end_of_month": {"plus_days": 10}}, {"months_after_end_of_month": 1},
           {"day_of_next_month": {"day": 10, "after_days": 30}})
    plan = crm.split_payments(crm.Money(Decimal("5.47"), "EUR"), thirds(*due), base=date(2026, 1, 31))
    amounts = [i.amount.amount for i in plan]
    assert amounts == [Decimal("1.82"), Decimal("1.82"), Decimal("1.83")]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert sum(amounts) == Decimal("5.47")
    assert [i.due_date for i in plan] == [date(2026, 2, 10), date(2026, 2, 28), date(2026, 4, 10)]


def test_a_jpy_total_splits_in_whole_yen_and_without_a_base_has_no_dates() -> None:
    plan = crm.split_payments(crm.Money(1000, "JPY"), thirds())
    assert [str(i.amount.amount) for i in plan] == ["333", "333", "334"]
    assert {i.amount.currency for i in plan} == {"JPY"}
    assert [i.due_date for i in plan] == [None, None, None]


def test_fixed_lines_first_and_three_decimal_currencies() -> None:
    terms = {
        "name": "fee and quarters",
        "lines": [{"label": "fee", "fixed": Decimal("0.010"), "due": {"days_after": 0}}]
        + [{"label": f"q{q}", "percent": 25, "due": {"days_after": 90 * q}} for q in range(1, 5)],
    }
    plan = crm.split_payments(crm.Money("0.020", "KWD"), terms, base=BASE)
    assert [str(i.amount.amount) for i in plan] == ["0.010", "0.003", "0.003", "0.003", "0.001"]
    assert plan[4].due_date == date(2027, 1, 10)


@pytest.mark.parametrize("seed", range(5))
def test_any_split_sums_to_its_total(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        cents = rng.randrange(0, 10_000_000)
        total = crm.Money(Decimal(cents) / 100, "EUR")
        first = Decimal(rng.randrange(1, 9_999)) / 100
        terms = {"name": "two", "rounding": rng.choice(["half_up", "half_even", "down"]), "lines": [
            {"label": "a", "percent": first, "due": {"days_after": 0}},
            {"label": "b", "percent": 100 - first, "due": {"days_after": 30}},
        ]}
        plan = crm.split_payments(total, terms)
        assert sum(i.amount.amount for i in plan) == total.amount
        assert all(i.amount.amount >= 0 for i in plan)


def test_a_bad_template_names_the_path() -> None:
    total = crm.Money("100.00", "EUR")
    cases: List[Any] = [
        ({"name": "bad", "lines": [{"label": "a", "percent": "99.9999", "due": {"days_after": 0}}]}, "terms.lines"),
        ({"name": "none", "lines": []}, "terms.lines"),
        ({"name": "", "lines": [{"label": "a", "percent": "100", "due": {"days_after": 0}}]}, "terms.name"),
        ({"name": "x", "lines": [{"label": "a", "percent": "100", "due": {"days_after": 0}},
                                 {"label": "b", "percent": "0", "due": {"days_after": 0}}]}, "terms.lines[1].percent"),
        ({"name": "x", "lines": [{"label": "fee", "fixed": "150.00", "due": {"days_after": 0}},
                                 {"label": "rest", "percent": "100", "due": {"days_after": 30}}]}, "terms.lines[0].fixed"),
        ({"name": "x", "lines": [{"label": "a", "percent": "100",
                                  "due": {"day_of_next_month": {"day": 32}}}]}, "terms.lines[0].due.day_of_next_month.day"),
        # A float is never a percent or an amount.
        ({"name": "x", "lines": [{"label": "a", "percent": 100.0, "due": {"days_after": 0}}]}, "terms.lines[0].percent"),
        ({"name": "x", "lines": [{"label": "a", "percent": "100", "due": {"weekly": 1}}]}, "terms"),
        ("{not json", "terms"),
        (42, "terms"),
    ]
    for terms, field in cases:
        err = refused(lambda: crm.split_payments(total, terms))
        assert err.fields == [field], (terms, err)
        assert err.code == "validation" and isinstance(err, ValueError)
    err = refused(lambda: crm.split_payments(total, {"name": "bad", "lines": [
        {"label": "a", "percent": "99.9999", "due": {"days_after": 0}}]}))
    assert "100" in err.reason


def test_a_bad_total_or_base_is_refused() -> None:
    terms = thirds()
    bad: List[Any] = [
        (lambda: crm.split_payments(Decimal("10"), terms), "total"),  # type: ignore[arg-type]
        (lambda: crm.split_payments(10.0, terms), "total"),  # type: ignore[arg-type]
        (lambda: crm.split_payments(crm.Money("-1", "EUR"), terms), "total"),
        (lambda: crm.split_payments(crm.Money("1", "EUR"), terms, base="2026-01-15"), "base"),  # type: ignore[arg-type]
        (lambda: crm.split_payments(crm.Money("1", "EUR"), terms, base=datetime(2026, 1, 15, tzinfo=timezone.utc)), "base"),
    ]
    for call, field in bad:
        assert refused(call).fields == [field]


def test_reach_milestone_checks_its_arguments() -> None:
    plan = crm.split_payments(crm.Money("10", "EUR"), THIRTY_SEVENTY)
    bad: List[Any] = [
        (lambda: crm.reach_milestone([plan[0], {"label": "x"}], "delivery_accepted", BASE), "installments[1]"),  # type: ignore[list-item]
        (lambda: crm.reach_milestone("plan", "delivery_accepted", BASE), "installments"),  # type: ignore[arg-type]
        (lambda: crm.reach_milestone(plan, 7, BASE), "event"),  # type: ignore[arg-type]
        (lambda: crm.reach_milestone(plan, "delivery_accepted", "2026-01-15"), "on"),  # type: ignore[arg-type]
    ]
    for call, field in bad:
        assert refused(call).fields == [field]
    # Any iterable of installments will do.
    assert crm.reach_milestone(tuple(plan), "delivery_accepted", BASE)[1].due_date == date(2026, 2, 14)


# ----- price_quote ----------------------------------------------------------------

PRICES: Dict[str, Any] = {"name": "2026", "currency": "EUR", "prices": {"seat": Decimal("49.90"), "sms": Decimal("0.0125")}}
LINES: List[Dict[str, Any]] = [
    {"product": "seat", "description": "CRM seat", "quantity": 3, "discount_percent": Decimal("10"), "tax_percent": Decimal("19")},
    {"product": "sms", "quantity": Decimal("1000"), "tax_percent": 19},
    {"product": "setup", "quantity": "1", "unit_price": Decimal("99.995"), "discount_amount": Decimal("10.00"), "tax_percent": 0},
]


def test_a_quote_with_a_price_list_and_tax_per_line() -> None:
    quote = crm.price_quote(LINES, "EUR", price_list=PRICES)
    assert isinstance(quote, crm.PricedQuote) and len(quote) == 3
    seat, sms, setup = quote.lines
    assert (seat.product, seat.description, seat.quantity, seat.unit_price) == ("seat", "CRM seat", Decimal("3"), Decimal("49.90"))
    assert seat.gross == Decimal("149.70") and seat.discount == crm.Money("14.97", "EUR")
    assert seat.net == crm.Money("134.73", "EUR")
    assert seat.tax == crm.Money("25.60", "EUR")  # 25.5987, rounded on the line
    assert seat.total == crm.Money("160.33", "EUR") and seat.tax_percent == Decimal("19")
    # A unit price finer than a cent, exactly; gross is not rounded.
    assert sms.unit_price == Decimal("0.0125") and sms.gross == Decimal("12.5000")
    assert sms.net == crm.Money("12.50", "EUR") and sms.tax == crm.Money("2.38", "EUR")  # 2.375 half-up
    assert setup.description is None and setup.net == crm.Money("90.00", "EUR")  # 99.995 - 10.00 = 89.995
    assert setup.tax == crm.Money("0", "EUR")
    assert quote.subtotal == crm.Money("237.23", "EUR")
    assert quote.discount == crm.Money("24.97", "EUR")
    assert quote.tax == crm.Money("27.98", "EUR")
    assert quote.total == crm.Money("265.21", "EUR")
    assert sum(line.total.amount for line in quote.lines) == quote.total.amount
    assert quote.total.amount == quote.subtotal.amount + quote.tax.amount
    for money in (seat.net, seat.tax, quote.total):
        assert isinstance(money.amount, Decimal)
    as_dict = quote.to_dict()
    assert as_dict["total"] == quote.total and as_dict["lines"][0] == seat.to_dict()
    assert as_dict["lines"][1]["unit_price"] == Decimal("0.0125")
    assert repr(quote) == (
        "PricedQuote(lines=3, subtotal='237.23', discount='24.97', tax='27.98', total='265.21', currency='EUR')"
    )
    assert repr(seat).startswith("PricedLine(product='seat', quantity='3', unit_price='49.90', net='134.73'")
    # The price list as a str of JSON, as the core writes it, prices the same.
    as_json = json.dumps({**PRICES, "prices": {k: str(v) for k, v in PRICES["prices"].items()}})
    assert crm.price_quote(LINES, "EUR", as_json) == quote


def test_a_jpy_quote_rounds_to_whole_yen() -> None:
    quote = crm.price_quote([{"product": "item", "quantity": 3, "unit_price": "333.5", "tax_percent": 10}], "jpy")
    assert quote.lines[0].net == crm.Money("1001", "JPY")  # 1000.5 half-up
    assert quote.total == crm.Money("1101", "JPY")
    assert crm.price_quote([], "EUR").total == crm.Money("0", "EUR")


def test_a_bad_quote_names_the_line_and_field() -> None:
    one: Dict[str, Any] = {"product": "x", "quantity": 1, "unit_price": 1}
    cases: List[Any] = [
        ([{"product": "x", "quantity": 1}], None, "lines[0].unit_price"),
        ([one, {**one, "quantity": 0}], None, "lines[1].quantity"),
        ([{**one, "quantity": 1.5}], None, "lines[0].quantity"),
        ([{**one, "unit_price": 0.1}], None, "lines[0].unit_price"),
        ([{**one, "unit_price": "-1"}], None, "lines[0].unit_price"),
        ([{**one, "discount_percent": 1, "discount_amount": 1}], None, "lines[0].discount_percent"),
        ([{**one, "discount_amount": 2}], None, "lines[0].discount_amount"),
        ([{**one, "tax_percent": 101}], None, "lines[0].tax_percent"),
        ([{**one, "tax_percent": "nineteen"}], None, "lines[0].tax_percent"),
        ([{**one, "colour": "red"}], None, "lines[0].colour"),
        ([{**one, "product": 7}], None, "lines[0].product"),
        (["seat"], None, "lines[0]"),
        ("seat", None, "lines"),
        ([one], {"name": "x", "currency": "USD", "prices": {}}, "price_list"),
        ([one], {"name": "x", "currency": "EUR", "prices": {"x": "-1"}}, "price_list.prices.x"),
        ([one], {"name": "x", "currency": "EUR", "prices": {"x": 1.5}}, "price_list.prices.x"),
        ([one], "{not json", "price_list"),
        ([one], 3, "price_list"),
    ]
    for lines, price_list, field in cases:
        err = refused(lambda: crm.price_quote(lines, "EUR", price_list))
        assert err.fields == [field], (lines, price_list, err)
    assert refused(lambda: crm.price_quote([one], "EURO")).fields == ["currency"]
    assert refused(lambda: crm.price_quote([one], 978)).fields == ["currency"]  # type: ignore[arg-type]


def test_every_new_name_is_exported() -> None:
    for name in ("Installment", "PricedLine", "PricedQuote", "split_payments", "reach_milestone", "price_quote"):
        assert name in crm.__all__ and hasattr(crm, name)
