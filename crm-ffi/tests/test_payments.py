"""Quotes and payment terms across the FFI: `split_payments`,
`reach_milestone` and `price_quote`, free functions with typed results (money
as `Money` with decimal strings, dates as `YYYY-MM-DD`), and bad input as
typed errors naming the field."""

import json
from decimal import Decimal

import pytest

import crm_ffi as ffi

THIRTY_SEVENTY = json.dumps({"name": "30/70", "lines": [
    {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
    {"label": "on acceptance", "percent": "70",
     "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}},
]})

THIRDS = json.dumps({"name": "thirds", "lines": [
    {"label": "1/3", "percent": "33.33", "due": {"days_after": 0}},
    {"label": "2/3", "percent": "33.33", "due": {"days_after": 30}},
    {"label": "3/3", "percent": "33.34", "due": {"days_after": 60}},
]})

PRICES = json.dumps({"name": "2026", "currency": "EUR", "prices": {"seat": "49.90", "sms": "0.0125"}})


def eur(amount):
    return ffi.Money(amount=amount, currency="EUR")


def validation_fields(call, *args, **kwargs):
    with pytest.raises(ffi.CrmError.Validation) as info:
        call(*args, **kwargs)
    return info.value.fields


def test_thirty_seventy_with_a_milestone():
    plan = ffi.split_payments(eur("1000.00"), THIRTY_SEVENTY, base="2026-01-15")
    assert all(isinstance(i, ffi.Installment) for i in plan)
    assert [i.label for i in plan] == ["down payment", "on acceptance"]
    assert [i.amount for i in plan] == [eur("300.00"), eur("700.00")]
    assert [i.due_date for i in plan] == ["2026-01-15", None]
    assert [i.milestone for i in plan] == [None, "delivery_accepted"]
    assert [json.loads(i.due_json) for i in plan] == [
        {"days_after": 0}, {"milestone": {"event": "delivery_accepted", "plus_days": 30}}]

    dated = ffi.reach_milestone(plan, "delivery_accepted", "2026-03-01")
    assert [i.due_date for i in dated] == ["2026-01-15", "2026-03-31"]
    assert plan[1].due_date is None  # records are values: the input is unchanged
    assert ffi.reach_milestone(plan, "contract_signed", "2026-03-01") == plan
    # Dated once, a line keeps its date.
    assert ffi.reach_milestone(dated, "delivery_accepted", "2026-06-01") == dated


def test_thirds_of_5_47_sum_exactly():
    plan = ffi.split_payments(eur("5.47"), THIRDS, base="2026-01-15")
    amounts = [Decimal(i.amount.amount) for i in plan]
    assert amounts == [Decimal("1.82"), Decimal("1.82"), Decimal("1.83")]
    assert sum(amounts) == Decimal("5.47")
    assert [i.due_date for i in plan] == ["2026-01-15", "2026-02-14", "2026-03-16"]


def test_a_jpy_total_splits_in_whole_yen_and_no_base_means_no_dates():
    plan = ffi.split_payments(ffi.Money(amount="1000", currency="JPY"), THIRDS)
    assert [i.amount for i in plan] == [ffi.Money(amount=a, currency="JPY") for a in ("333", "333", "334")]
    assert [i.due_date for i in plan] == [None, None, None]


def test_due_rules_and_a_fixed_fee():
    terms = json.dumps({"name": "fee and rest", "lines": [
        {"label": "fee", "fixed": "50.00", "due": {"end_of_month": {"plus_days": 10}}},
        {"label": "half", "percent": "50", "due": {"months_after_end_of_month": 1}},
        {"label": "rest", "percent": "50", "due": {"day_of_next_month": {"day": 31, "after_days": 0}}},
    ]})
    plan = ffi.split_payments(eur("150.01"), terms, base="2026-01-15")
    assert [i.amount.amount for i in plan] == ["50.00", "50.01", "50.00"]  # half-up, the remainder last
    assert [i.due_date for i in plan] == ["2026-02-10", "2026-02-28", "2026-02-28"]


def test_bad_templates_and_inputs_name_the_field():
    bad = json.dumps({"name": "bad", "lines": [{"label": "a", "percent": "99.9999", "due": {"days_after": 0}}]})
    assert validation_fields(ffi.split_payments, eur("100.00"), bad) == ["terms.lines"]
    second = json.dumps({"name": "bad", "lines": [
        {"label": "a", "percent": "50", "due": {"days_after": 0}},
        {"label": "b", "percent": "150", "due": {"days_after": 0}}]})
    assert validation_fields(ffi.split_payments, eur("100.00"), second) == ["terms.lines[1].percent"]
    too_big = json.dumps({"name": "fee", "lines": [
        {"label": "fee", "fixed": "150.00", "due": {"days_after": 0}},
        {"label": "rest", "percent": "100", "due": {"days_after": 30}}]})
    assert validation_fields(ffi.split_payments, eur("100.00"), too_big) == ["terms.lines[0].fixed"]
    assert validation_fields(ffi.split_payments, eur("1"), "{not json") == ["terms"]
    assert validation_fields(ffi.split_payments, eur("1"), '{"name": "x", "lines": [], "extra": 1}') == ["terms"]
    assert validation_fields(ffi.split_payments, eur("1e3"), THIRDS) == ["total.amount"]
    assert validation_fields(ffi.split_payments, eur("0.001"), THIRDS) == ["total.amount"]
    assert validation_fields(ffi.split_payments, ffi.Money(amount="1", currency="EURO"), THIRDS) == ["total.currency"]
    assert validation_fields(ffi.split_payments, eur("-1.00"), THIRDS) == ["total"]
    assert validation_fields(ffi.split_payments, eur("1"), THIRDS, base="15.01.2026") == ["base"]

    plan = ffi.split_payments(eur("1000.00"), THIRTY_SEVENTY)
    assert validation_fields(ffi.reach_milestone, plan, "delivery_accepted", "soon") == ["on"]
    broken = [plan[0], ffi.Installment(label="x", amount=eur("1.00"), due_date=None, milestone=None,
                                       due_json='{"weekly": 1}')]
    assert validation_fields(ffi.reach_milestone, broken, "delivery_accepted", "2026-03-01") == [
        "installments[1].due"]


def test_a_quote_with_a_price_list_and_tax_per_line():
    lines = [
        ffi.QuoteLine(product="seat", quantity="3", discount_percent="10", tax_percent="19"),
        ffi.QuoteLine(product="sms", quantity="1000", tax_percent="19"),
        ffi.QuoteLine(product="setup", description="Onboarding", quantity="1", unit_price="99.995",
                      discount_amount="10.00"),  # tax_percent defaults to "0"
    ]
    quote = ffi.price_quote(lines, "EUR", price_list_json=PRICES)
    assert isinstance(quote, ffi.PricedQuote)
    seat, sms, setup = quote.lines
    assert (seat.unit_price, seat.gross, seat.discount, seat.net, seat.tax) == (
        "49.90", "149.70", eur("14.97"), eur("134.73"), eur("25.60"))  # 25.5987 -> 25.60
    assert (sms.unit_price, sms.net, sms.tax, sms.total) == ("0.0125", eur("12.50"), eur("2.38"), eur("14.88"))
    assert (setup.description, setup.net, setup.tax_percent, setup.tax) == (
        "Onboarding", eur("90.00"), "0", eur("0.00"))  # 99.995 - 10.00 = 89.995 -> 90.00
    assert quote.subtotal == eur("237.23")
    assert quote.discount == eur("24.97")
    assert quote.tax == eur("27.98")
    assert quote.total == eur("265.21")
    # Decimals all the way: the total is the sum of the line totals, exactly.
    assert sum(Decimal(line.total.amount) for line in quote.lines) == Decimal(quote.total.amount)

    yen = ffi.price_quote([ffi.QuoteLine(product="item", quantity="3", unit_price="333.5", tax_percent="10")], "JPY")
    assert (yen.subtotal.amount, yen.total.amount) == ("1001", "1101")


def test_bad_quote_lines_name_the_field():
    def quote(*lines, currency="EUR", prices=None):
        return ffi.price_quote(list(lines), currency, price_list_json=prices)

    assert validation_fields(quote, ffi.QuoteLine(product="x", quantity="1")) == ["lines[0].unit_price"]
    assert validation_fields(quote, ffi.QuoteLine(product="x", quantity="1", unit_price="1"),
                             ffi.QuoteLine(product="x", quantity="0", unit_price="1")) == ["lines[1].quantity"]
    assert validation_fields(quote, ffi.QuoteLine(product="x", quantity="1.5e1", unit_price="1")) == [
        "lines[0].quantity"]
    assert validation_fields(quote, ffi.QuoteLine(product="x", quantity="1", unit_price="1",
                                                  discount_percent="5", discount_amount="0.10")) == [
        "lines[0].discount_percent"]
    assert validation_fields(quote, ffi.QuoteLine(product="x", quantity="1", unit_price="1",
                                                  tax_percent="101")) == ["lines[0].tax_percent"]
    assert validation_fields(quote, currency="EURO") == ["currency"]
    assert validation_fields(quote, prices="{") == ["price_list"]
    assert validation_fields(quote, prices=PRICES, currency="USD") == ["price_list"]
    negative = json.dumps({"name": "x", "currency": "EUR", "prices": {"seat": "-1"}})
    assert validation_fields(quote, prices=negative) == ["price_list.prices.seat"]
