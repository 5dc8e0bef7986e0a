"""Customer value (RFM) across the FFI: `score_rfm` over purchase rows and
`score_rfm_columns` over purchase columns, free functions with typed results,
and bad input as typed errors."""

import datetime
from decimal import Decimal

import pytest

import crm_ffi as ffi

UTC = datetime.timezone.utc
AS_OF = datetime.datetime(2025, 1, 1, tzinfo=UTC)


def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def buy(customer, when, amount):
    return ffi.Purchase(customer=customer, at=at(when), amount=amount)


PURCHASES = [
    buy("ann", "2024-12-30T12:00:00Z", "50.00"),
    buy("ann", "2024-12-01T12:00:00Z", "30"),
    buy("ann", "2024-11-01T12:00:00Z", "20.5"),
    buy("ann", "2024-12-31T09:00:00Z", "-0.50"),  # a refund
    buy("bob", "2024-06-01T12:00:00Z", "500.00"),
    buy("dee", "2024-10-01T12:00:00Z", "40.00"),
    buy("dee", "2024-10-15T12:00:00Z", "40.00"),
    buy("eve", "2025-02-01T12:00:00Z", "99.00"),  # after as_of
    buy("fay", "2024-12-01T12:00:00Z", "-5.00"),  # refunds only
]


def test_typed_rows():
    result = ffi.score_rfm(PURCHASES, AS_OF)
    assert isinstance(result, ffi.RfmResult)
    assert [c.customer for c in result.customers] == ["ann", "bob", "dee"]
    assert result.skipped == ffi.RfmSkipped(future=1, refund_only=1)
    ann = result.customers[0]
    assert isinstance(ann, ffi.CustomerValue)
    assert (ann.recency_days, ann.frequency, ann.monetary) == (2, 3, "100.00")
    assert ann.first_purchase == at("2024-11-01T12:00:00Z")
    assert ann.tenure_days == 61
    assert (ann.r, ann.f, ann.m, ann.fm) == (4, 4, 2, 3)
    assert ann.segment == "Potential Loyalist"
    assert [(c.tier, c.signal) for c in result.customers] == [
        (ffi.RfmTier.B, ffi.RfmSignal.ACTIVE),
        (ffi.RfmTier.B, ffi.RfmSignal.AT_RISK),
        (ffi.RfmTier.C, ffi.RfmSignal.DORMANT),
    ]


def test_refunds_lower_monetary_but_are_not_purchases():
    result = ffi.score_rfm([
        buy("a", "2024-12-01T00:00:00Z", "10.00"),
        buy("a", "2024-12-20T00:00:00Z", "-10.00"),
        buy("b", "2024-12-01T00:00:00Z", "-3"),
    ], AS_OF)
    (a,) = result.customers
    assert (a.customer, a.monetary, a.frequency, a.recency_days) == ("a", "0.00", 1, 31)
    assert result.skipped.refund_only == 1


def test_empty_input():
    result = ffi.score_rfm([], AS_OF)
    assert result.customers == []
    assert result.skipped == ffi.RfmSkipped(future=0, refund_only=0)
    columns = ffi.score_rfm_columns([], [], [], AS_OF)
    assert columns.customer == [] and columns.r == b""


def test_a_config_is_json_text():
    result = ffi.score_rfm(PURCHASES, AS_OF, config_json='{"monetary": "mean", "ties": "position"}')
    assert result.customers[0].monetary == "33.33"
    yen = ffi.score_rfm([buy("a", "2024-12-01T00:00:00Z", "1500")], AS_OF, '{"minor_units": 0}')
    assert yen.customers[0].monetary == "1500"


@pytest.mark.parametrize("config, path", [
    ("{", "rfm"),
    ('{"binz": 4}', "rfm"),
    ('{"bins": 11}', "rfm.bins"),
    ('{"bins": 4}', "rfm.segments"),
    ('{"signals": {"at_risk_after": 5, "dormant_after": 4}}', "rfm.signals"),
    ('{"bins": 3, "segments": {"rules": [], "default": "all"},'
     ' "thresholds": {"recency_days": [7], "frequency": [2, 3], "monetary": ["50", "200"]}}',
     "rfm.thresholds.recency_days"),
], ids=["malformed", "unknown key", "bins", "segments for 4 bins", "signals", "thresholds"])
def test_a_bad_config_is_a_config_error_naming_the_path(config, path):
    with pytest.raises(ffi.CrmError.Config) as caught:
        ffi.score_rfm(PURCHASES, AS_OF, config)
    assert caught.value.path == path


@pytest.mark.parametrize("amount, config", [
    ("1.005", None),
    ("12,50", None),
    ("1e3", None),
    ("", None),
    ("1.5", '{"minor_units": 0}'),
])
def test_a_bad_amount_names_its_row(amount, config):
    purchases = [buy("a", "2024-12-01T00:00:00Z", "1.00"), buy("b", "2024-12-01T00:00:00Z", amount)]
    with pytest.raises(ffi.CrmError.Validation) as caught:
        ffi.score_rfm(purchases, AS_OF, config)
    assert caught.value.fields == ["purchases[1].amount"]
    assert caught.value.value == amount


def test_a_float_amount_never_goes_in():
    with pytest.raises(TypeError):
        ffi.score_rfm([ffi.Purchase(customer="a", at=AS_OF, amount=1.5)], AS_OF)
    with pytest.raises(TypeError):
        ffi.score_rfm([ffi.Purchase(customer="a", at=AS_OF, amount=Decimal("1.5"))], AS_OF)


def micros(t):
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def test_columns_give_the_rows_values():
    rows = ffi.score_rfm(PURCHASES, AS_OF)
    ids = ["ann", "bob", "dee", "eve", "fay"]
    cols = ffi.score_rfm_columns(
        [ids.index(p.customer) for p in PURCHASES],
        [micros(p.at) for p in PURCHASES],
        [int(Decimal(p.amount) * 100) for p in PURCHASES],
        AS_OF,
        threads=2,
    )
    assert isinstance(cols, ffi.RfmColumns)
    assert cols.customer == [0, 1, 2]
    assert isinstance(cols.r, bytes)
    assert cols.skipped == rows.skipped
    for i, row in enumerate(rows.customers):
        assert (cols.r[i], cols.f[i], cols.m[i], cols.fm[i]) == (row.r, row.f, row.m, row.fm)
        assert cols.segment_names[cols.segment[i]] == row.segment
        assert (cols.tier[i], cols.signal[i]) == (row.tier, row.signal)
        assert Decimal(cols.monetary_minor[i]).scaleb(-cols.minor_units) == Decimal(row.monetary)
        assert cols.first_purchase_micros[i] == micros(row.first_purchase)
        assert (cols.recency_days[i], cols.frequency[i], cols.tenure_days[i]) == (
            row.recency_days, row.frequency, row.tenure_days)


def test_columns_on_several_threads_give_what_one_gives():
    n = 200_000
    customers = [(i * 7919) % 5000 for i in range(n)]
    times = [micros(AS_OF) - (i % 1000) * 86_400_000_000 - 1 for i in range(n)]
    amounts = [((i * 31) % 20_000) - 1_000 for i in range(n)]
    one = ffi.score_rfm_columns(customers, times, amounts, AS_OF)
    four = ffi.score_rfm_columns(customers, times, amounts, AS_OF, threads=4)
    assert one == four
    assert len(one.customer) == 5000


def test_bad_columns_are_typed_errors():
    with pytest.raises(ffi.CrmError.Validation) as caught:
        ffi.score_rfm_columns([1, 2], [0], [100, 200], AS_OF)
    assert caught.value.fields == ["columns"]
    with pytest.raises(ffi.CrmError.Validation) as caught:
        ffi.score_rfm_columns([], [], [], AS_OF, threads=0)
    assert caught.value.fields == ["threads"]
    with pytest.raises(ffi.CrmError.Config) as caught:
        ffi.score_rfm_columns([], [], [], AS_OF, config_json='{"threads": 0}')
    assert caught.value.path == "rfm.threads"
    with pytest.raises(ffi.CrmError.Validation) as caught:
        ffi.score_rfm_columns([1, 1], [0, 0], [2**62, 2**62], AS_OF)
    assert caught.value.fields == ["amounts"]
