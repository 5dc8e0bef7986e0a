"""Customer value (RFM) from Python: the row API (``crm.score_rfm``), the
columnar API over Arrow streams (``crm.score_rfm_frame``) compared with it on
generated data, and the distributed helpers (``crm.rfm_aggregate``,
``crm.score_rfm_aggregates``)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

import pytest

import crm

AS_OF = datetime(2025, 1, 1, tzinfo=timezone.utc)
UTC = timezone.utc
COLUMNS = [
    "recency_days", "frequency", "monetary", "first_purchase", "tenure_days",
    "r", "f", "m", "fm", "segment", "tier", "signal",
]
CONFIGS: List[Optional[Dict[str, Any]]] = [
    None,
    {"ties": "position"},
    {"monetary": "mean"},
    {
        "bins": 3,
        "thresholds": {"recency_days": [30, 180], "frequency": [2, 5], "monetary": ["50", "500"]},
        "segments": {"rules": [{"name": "top", "r": [3, 3], "fm": [2, 3]}], "default": "rest"},
        "tiers": {"a": ["top"], "b": []},
    },
]


def arrow() -> Any:
    """pyarrow, with ``pyarrow.compute`` loaded; the test is skipped without it."""
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("pyarrow.compute")
    return pa


def day(d: int) -> datetime:
    return datetime(2024, 12, d, 12, tzinfo=UTC)


Row = Tuple[str, datetime, int]


def generate(rows: int, customers: int, seed: int) -> List[Row]:
    """Purchases (customer, at, cents): refunds, zero amounts, rows after
    AS_OF, customers with refunds only, many ties."""
    rng = random.Random(seed)
    out: List[Row] = []
    for _ in range(rows):
        customer = f"c{rng.randrange(customers):05d}"
        at = AS_OF - timedelta(seconds=rng.randrange(-5 * 86_400, 400 * 86_400))
        cents = rng.choice([0, 500, 1000, 1999, 2500, rng.randrange(1, 100_000)])
        if rng.random() < 0.1:
            cents = -cents
        out.append((customer, at, cents))
    out.append(("z-refund-only", AS_OF - timedelta(days=3), -700))
    return out


def as_table(rows: List[Row], ids: str = "str") -> Any:
    pa = arrow()
    customers: List[Any] = [c for c, _, _ in rows]
    if ids == "int":
        customers = [int(c[1:]) if c.startswith("c") else 32_000 for c in customers]
    return pa.table({
        "customer_id": pa.array(customers, pa.int64() if ids == "int" else pa.string()),
        "ts": pa.array([at for _, at, _ in rows], pa.timestamp("us", tz="UTC")),
        "amount_cents": pa.array([cents for _, _, cents in rows], pa.int64()),
    })


def by_rows(rows: List[Row], config: Optional[Dict[str, Any]] = None) -> crm.RfmResult:
    return crm.score_rfm([(c, at, Decimal(cents) / 100) for c, at, cents in rows], AS_OF, config)


def frame_rows(table: Any, customer: str = "customer_id") -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = table.to_pylist()
    for row in rows:
        row["customer"] = str(row.pop(customer))
    return rows


def value_rows(result: crm.RfmResult) -> List[Dict[str, Any]]:
    return [value.to_dict() for value in result.customers]


def skipped(table: Any) -> Tuple[int, int]:
    meta = table.schema.metadata
    return int(meta[b"crm.rfm.skipped.future"]), int(meta[b"crm.rfm.skipped.refund_only"])


# ----- the row API ----------------------------------------------------------------


def test_rows_scored_as_documented() -> None:
    purchases: List[Any] = [
        crm.Purchase("ann", day(30), Decimal("50.00")),
        ("ann", day(1), Decimal("30")),
        {"customer": "ann", "at": datetime(2024, 11, 1, 12, tzinfo=UTC), "amount": 20},
        ["bob", datetime(2024, 6, 1, 12, tzinfo=UTC), "500.00"],
    ]
    result = crm.score_rfm(purchases, AS_OF)
    assert len(result) == 2
    ann = result.customers[0]
    assert (ann.customer, ann.recency_days, ann.frequency, ann.monetary) == ("ann", 2, 3, Decimal("100.00"))
    assert ann.first_purchase == datetime(2024, 11, 1, 12, tzinfo=UTC)
    assert ann.tenure_days == 61
    assert ann.tier in ("A", "B", "C") and ann.signal == "active"
    assert ann.to_dict()["monetary"] == Decimal("100.00")
    assert "CustomerValue(customer='ann'" in repr(ann)
    assert result == crm.score_rfm(purchases, AS_OF)
    assert result.skipped == crm.score_rfm([], AS_OF).skipped


def test_empty_input() -> None:
    result = crm.score_rfm([], AS_OF)
    assert result.customers == [] and len(result) == 0
    assert (result.skipped.future, result.skipped.refund_only) == (0, 0)
    assert repr(result) == "RfmResult(customers=0, skipped=RfmSkipped(future=0, refund_only=0))"


def test_refunds_future_rows_and_refund_only_customers() -> None:
    result = crm.score_rfm(
        [
            ("cyd", day(25), Decimal("10.00")),
            ("cyd", day(26), Decimal("-4.50")),  # a refund: lowers monetary, not a purchase
            ("fay", day(1), Decimal("-5.00")),  # refunds only: left out, counted
            ("eve", AS_OF + timedelta(days=1), Decimal("99")),  # after as_of: left out, counted
        ],
        AS_OF,
    )
    assert [c.customer for c in result.customers] == ["cyd"]
    cyd = result.customers[0]
    assert (cyd.frequency, cyd.monetary, cyd.recency_days) == (1, Decimal("5.50"), 7)
    assert (result.skipped.future, result.skipped.refund_only) == (1, 1)


def test_too_many_decimals_names_the_purchase() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm([("ann", day(1), Decimal("1.00")), ("ann", day(2), Decimal("1.234"))], AS_OF)
    assert caught.value.fields == ["purchases[1].amount"]
    assert caught.value.value == "1.234"
    # With three minor units it is fine.
    result = crm.score_rfm([("ann", day(2), Decimal("1.234"))], AS_OF, {"minor_units": 3})
    assert result.customers[0].monetary == Decimal("1.234")


@pytest.mark.parametrize(
    "purchase, field",
    [
        (("ann", day(1), 1.5), "purchases[0].amount"),
        (("ann", day(1), True), "purchases[0].amount"),
        (("ann", datetime(2024, 12, 1), 1), "purchases[0].at"),
        ((7, day(1), 1), "purchases[0].customer"),
        (("ann", day(1)), "purchases[0]"),
        ({"customer": "ann", "at": day(1)}, "purchases[0].amount"),
        ({"customer": "ann", "at": day(1), "amount": 1, "note": "x"}, "purchases[0]"),
        (42, "purchases[0]"),
    ],
)
def test_bad_purchases_are_validation_errors(purchase: Any, field: str) -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm([purchase], AS_OF)
    assert caught.value.fields == [field]


def test_float_amount_in_a_purchase_is_refused() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.Purchase("ann", day(1), 9.99)  # type: ignore[arg-type]
    assert caught.value.fields == ["amount"] and "float" in caught.value.reason


def test_bad_purchases_argument_and_as_of() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm("ann", AS_OF)  # type: ignore[arg-type]
    assert caught.value.fields == ["purchases"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm([], datetime(2025, 1, 1))
    assert caught.value.fields == ["as_of"]


@pytest.mark.parametrize(
    "config, path",
    [
        ({"bins": 4}, "rfm.segments"),
        ({"bins": 11}, "rfm.bins"),
        ({"threads": 0}, "rfm.threads"),
        ({"thresholds": {"recency_days": [1], "frequency": [1], "monetary": [1]}}, "rfm.thresholds.recency_days"),
        ({"ties": "random"}, "rfm"),
        ({"bogus": 1}, "rfm"),
        ('{"bins": ', "rfm"),
        ({"signals": {float("nan"): 1}}, "rfm"),
        (42, "rfm"),
    ],
)
def test_bad_config_is_a_config_error_with_the_path(config: Any, path: str) -> None:
    with pytest.raises(crm.ConfigError) as caught:
        crm.score_rfm([("ann", day(1), 1)], AS_OF, config)
    assert caught.value.path == path


def test_config_as_json_text_or_mapping() -> None:
    rows = generate(300, 40, seed=3)
    config = {"ties": "position", "monetary": "mean"}
    assert by_rows(rows, config) == by_rows(rows, json.loads(json.dumps(config)))
    assert value_rows(by_rows(rows, config)) == value_rows(
        crm.score_rfm([(c, at, Decimal(cents) / 100) for c, at, cents in rows], AS_OF, json.dumps(config))
    )


def test_a_table_given_to_the_row_api_points_to_the_frame_api() -> None:
    table = as_table(generate(10, 3, seed=1))
    with pytest.raises(crm.ValidationError, match="score_rfm_frame"):
        crm.score_rfm(table, AS_OF)


# ----- the columnar API: the same answers as the row API ------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "position", "mean", "thresholds"])
def test_frame_equals_rows_on_generated_data(config: Optional[Dict[str, Any]]) -> None:
    rows = generate(4000, 250, seed=7)
    expected = by_rows(rows, config)
    for ids in ("str", "int"):
        table = crm.score_rfm_frame(as_table(rows, ids), as_of=AS_OF, config=config)
        got = frame_rows(table)
        want = value_rows(expected)
        if ids == "int":
            # Zero-padded names sort as the numbers do: the same tie breaks.
            for row in want:
                row["customer"] = str(int(row["customer"][1:]))
        assert got == want, ids
        assert skipped(table) == (expected.skipped.future, expected.skipped.refund_only)
        assert expected.skipped.future > 0 and expected.skipped.refund_only >= 1


def test_frame_batches_and_threads_do_not_change_the_answer() -> None:
    pa = arrow()
    rows = generate(3000, 200, seed=11)
    table = as_table(rows)
    whole = crm.score_rfm_frame(table, as_of=AS_OF, config={"ties": "position"})
    small = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=97))
    assert crm.score_rfm_frame(small, as_of=AS_OF, config={"ties": "position"}).equals(whole)
    assert crm.score_rfm_frame(table, as_of=AS_OF, config={"ties": "position"}, threads=2).equals(whole)


def test_big_input_through_the_buffered_and_direct_paths() -> None:
    pa = arrow()
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(5)
    n = 1_300_000
    as_of_us = int(AS_OF.timestamp() * 1_000_000)
    table = pa.table({
        "customer_id": pa.array(rng.integers(0, 50_000, n), pa.int64()),
        "ts": pa.array(as_of_us - rng.integers(-86_400_000_000, 300 * 86_400_000_000, n), pa.timestamp("us")),
        "amount_cents": pa.array(rng.integers(-2_000, 100_000, n), pa.int64()),
    })
    one = crm.score_rfm_frame(table.combine_chunks(), as_of=AS_OF)
    chunks = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=300_000))
    assert crm.score_rfm_frame(chunks, as_of=AS_OF, threads=2).equals(one)
    # Frequency and monetary agree with a plain group-by of the purchases.
    past = table.filter(pa.compute.less_equal(table["ts"], pa.scalar(AS_OF.replace(tzinfo=None), pa.timestamp("us"))))
    grouped = past.group_by("customer_id").aggregate([("amount_cents", "sum")]).sort_by("customer_id")
    assert grouped["customer_id"].to_pylist()[:100] == one["customer_id"].to_pylist()[:100]
    sums = [Decimal(v) / 100 for v in grouped["amount_cents_sum"].to_pylist()[:100]]
    assert one["monetary"].to_pylist()[:100] == sums


def test_streams_of_every_shape_give_one_answer() -> None:
    """One aggregator over the whole stream, whatever the batches: small ones
    over a wide range of ids (held back until they cover it), big ones passed
    as they are, small ones after big ones (gathered), sparse ids (hashed),
    and ids that need converting (int32, strings)."""
    pa = arrow()
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(8)
    n = 200_000
    as_of_us = int(AS_OF.timestamp() * 1_000_000)
    ts = np.sort(as_of_us - rng.integers(-3 * 86_400_000_000, 400 * 86_400_000_000, n))
    amounts = rng.integers(-3_000, 90_000, n)
    for ids in (rng.integers(1, 300_000, n), rng.integers(0, 2**62, 10_000)[rng.integers(0, 10_000, n)]):
        table = pa.table({
            "customer_id": pa.array(ids, pa.int64()),
            "ts": pa.array(ts, pa.timestamp("us")),
            "amount_cents": pa.array(amounts, pa.int64()),
        })
        want = crm.score_rfm_frame(table.combine_chunks(), as_of=AS_OF, config={"ties": "position"})
        assert want.num_rows > 9_000 and skipped(want)[0] > 0
        sizes = [4_000] * 20 + [66_000, 3_000] + [1_000] * 20 + [66_000]
        batches: List[Any] = []
        at = 0
        while at < n:
            size = sizes[len(batches) % len(sizes)]
            batches.extend(table.slice(at, size).to_batches())
            at += size
        for threads in (1, 3):
            stream = pa.RecordBatchReader.from_batches(table.schema, batches)
            got = crm.score_rfm_frame(stream, as_of=AS_OF, config={"ties": "position"}, threads=threads)
            assert got.equals(want) and skipped(got) == skipped(want), threads
        partial = crm.rfm_aggregate(pa.RecordBatchReader.from_batches(table.schema, batches), as_of=AS_OF)
        assert crm.score_rfm_aggregates(partial, as_of=AS_OF, config={"ties": "position"}).equals(want)
    small = table.slice(0, 50_000)
    want = crm.score_rfm_frame(small, as_of=AS_OF)
    narrow = small.set_column(0, "customer_id", pa.array(small["customer_id"].to_numpy() % 3_000, pa.int32()))
    as_text = narrow.set_column(0, "customer_id", pa.compute.cast(narrow["customer_id"], pa.string()))
    for converted in (narrow, as_text):
        one = crm.score_rfm_frame(converted, as_of=AS_OF)
        streamed = pa.RecordBatchReader.from_batches(converted.schema, converted.to_batches(max_chunksize=700))
        assert crm.score_rfm_frame(streamed, as_of=AS_OF).equals(one)
        assert one.num_rows <= want.num_rows


def test_a_total_past_64_bits_names_the_callers_amount_column() -> None:
    pa = arrow()
    half = 2**62
    table = pa.table({
        "who": pa.array([1, 2, 1, 1], pa.int64()),
        "when": pa.array([day(1), day(2), day(3), day(4)], pa.timestamp("us", tz="UTC")),
        "cents": pa.array([half, 5, half, half], pa.int64()),
    })
    # One batch, or one row per batch: the sum still does not fit.
    for data in (table, pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=1))):
        with pytest.raises(crm.ValidationError) as caught:
            crm.score_rfm_frame(data, as_of=AS_OF, customer="who", at="when", amount="cents")
        assert caught.value.fields == ["cents"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.rfm_aggregate(table, as_of=AS_OF, customer="who", at="when", amount="cents")
    assert caught.value.fields == ["cents"]
    # Partials that fit one by one but not merged: the partials' column.
    partials = [
        crm.rfm_aggregate(table.slice(i, 1), as_of=AS_OF, customer="who", at="when", amount="cents") for i in (0, 2, 3)
    ]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_aggregates(partials, as_of=AS_OF, customer="who")
    assert caught.value.fields == ["partials[1].monetary_minor"]


def test_output_schema() -> None:
    pa = arrow()
    table = crm.score_rfm_frame(as_table(generate(50, 5, seed=2)), as_of=AS_OF, config={"minor_units": 3})
    label = pa.dictionary(pa.int16(), pa.string())
    assert table.schema.names == ["customer_id"] + COLUMNS
    assert [table.schema.field(c).type for c in table.schema.names] == [
        pa.string(), pa.int32(), pa.int64(), pa.decimal128(38, 3), pa.timestamp("us", tz="UTC"),
        pa.int32(), pa.uint8(), pa.uint8(), pa.uint8(), pa.uint8(), label, label, label,
    ]
    assert table.schema.metadata[b"crm.rfm.minor_units"] == b"3"
    empty = crm.score_rfm_frame(as_table([]), as_of=AS_OF)
    assert empty.num_rows == 0 and empty.schema.names == table.schema.names


def test_the_caller_gets_the_kind_of_frame_it_passed() -> None:
    pa = arrow()
    pl = pytest.importorskip("polars")
    pd = pytest.importorskip("pandas")
    rows = generate(500, 30, seed=4)
    table = as_table(rows)
    want = crm.score_rfm_frame(table, as_of=AS_OF)
    assert isinstance(want, pa.Table)

    reader = crm.score_rfm_frame(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), as_of=AS_OF)
    assert isinstance(reader, pa.Table) and reader.equals(want)

    polars_out = crm.score_rfm_frame(pl.from_arrow(table), as_of=AS_OF)
    assert isinstance(polars_out, pl.DataFrame)
    assert polars_out["customer_id"].to_list() == want["customer_id"].to_pylist()
    assert polars_out["segment"].cast(pl.String).to_list() == want["segment"].to_pylist()
    assert polars_out["monetary"].to_list() == want["monetary"].to_pylist()

    pandas_out = crm.score_rfm_frame(table.to_pandas(), as_of=AS_OF)
    assert isinstance(pandas_out, pd.DataFrame)
    assert list(pandas_out["customer_id"]) == want["customer_id"].to_pylist()
    assert list(pandas_out["monetary"]) == want["monetary"].to_pylist()
    assert str(pandas_out["tier"].dtype) == "category"
    future, refund_only = skipped(want)
    assert pandas_out.attrs["crm.rfm.skipped"] == {"future": future, "refund_only": refund_only}


def test_string_ids_of_every_arrow_kind() -> None:
    pa = arrow()
    pl = pytest.importorskip("polars")
    rows = generate(800, 60, seed=9)
    want = frame_rows(crm.score_rfm_frame(as_table(rows), as_of=AS_OF, config={"ties": "position"}))
    table = as_table(rows)
    for kind in (pa.large_string(), pa.string_view(), pa.dictionary(pa.int32(), pa.string())):
        cast = table.set_column(0, "customer_id", table["customer_id"].cast(kind))
        got = crm.score_rfm_frame(cast, as_of=AS_OF, config={"ties": "position"})
        assert frame_rows(got) == want, kind
    categorical = pl.from_arrow(table).with_columns(pl.col("customer_id").cast(pl.Categorical))
    got_pl = crm.score_rfm_frame(categorical, as_of=AS_OF, config={"ties": "position"})
    assert got_pl["customer_id"].to_list() == [row["customer"] for row in want]


def test_integer_ids_of_every_width() -> None:
    pa = arrow()
    rows = generate(400, 50, seed=12)
    table = as_table(rows, "int")
    want = crm.score_rfm_frame(table, as_of=AS_OF)
    for kind in (pa.int32(), pa.uint32(), pa.uint64(), pa.int16()):
        cast = table.set_column(0, "customer_id", table["customer_id"].cast(kind))
        assert crm.score_rfm_frame(cast, as_of=AS_OF).equals(want), kind
    too_big = pa.table({
        "customer_id": pa.array([1, 2**63], pa.uint64()),
        "ts": pa.array([day(1), day(2)], pa.timestamp("us", tz="UTC")),
        "amount_cents": [1, 2],
    })
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(too_big, as_of=AS_OF)
    assert caught.value.fields == ["customer_id[1]"]


def test_every_time_unit_with_or_without_a_zone_and_dates() -> None:
    pa = arrow()
    rows = generate(600, 40, seed=13)
    # Whole seconds, so that every unit holds the same instants.
    rows = [(c, at.replace(microsecond=0), cents) for c, at, cents in rows]
    table = as_table(rows)
    want = crm.score_rfm_frame(table, as_of=AS_OF)
    for unit in ("s", "ms", "us", "ns"):
        for tz in (None, "UTC", "Asia/Tokyo"):
            cast = table.set_column(1, "ts", table["ts"].cast(pa.timestamp(unit, tz=tz)))
            assert crm.score_rfm_frame(cast, as_of=AS_OF).equals(want), (unit, tz)
    # A date is its midnight (UTC): the same recency in days.
    dates = table.set_column(1, "ts", table["ts"].cast(pa.date32()))
    by_date = crm.score_rfm_frame(dates, as_of=AS_OF)
    assert by_date["recency_days"].equals(want["recency_days"])


def test_a_nanosecond_after_as_of_is_in_the_future() -> None:
    pa = arrow()
    as_of_ns = int(AS_OF.timestamp()) * 10**9
    table = pa.table({
        "customer_id": [1, 1, 2],
        "ts": pa.array([as_of_ns - 10**9, as_of_ns + 1, as_of_ns], pa.timestamp("ns", tz="UTC")),
        "amount_cents": [100, 200, 300],
    })
    scored = crm.score_rfm_frame(table, as_of=AS_OF)
    assert scored["frequency"].to_pylist() == [1, 1]
    assert skipped(scored) == (1, 0)


def test_decimal_amounts_in_the_currency() -> None:
    pa = arrow()
    rows = generate(500, 30, seed=14)
    table = as_table(rows)
    want = crm.score_rfm_frame(table, as_of=AS_OF)
    for kind in (pa.decimal128(12, 2), pa.decimal128(20, 4), pa.decimal128(38, 0)):
        values = [Decimal(cents) / 100 for _, _, cents in rows]
        if kind.scale == 0:
            values = [Decimal(cents) for _, _, cents in rows]
        major = table.set_column(2, "amount", pa.array(values, kind))
        config = {"minor_units": 0} if kind.scale == 0 else None
        got = crm.score_rfm_frame(major, as_of=AS_OF, amount="amount", amount_unit="major", config=config)
        if kind.scale == 0:
            assert got["monetary"].to_pylist() == [m * 100 for m in want["monetary"].to_pylist()]
        else:
            assert got.equals(want), kind
    # Whole units as integers, in the currency.
    whole = table.set_column(2, "amount_cents", pa.array([1, 2] * (table.num_rows // 2) + [3] * (table.num_rows % 2)))
    got = crm.score_rfm_frame(whole, as_of=AS_OF, amount_unit="major")
    assert all(m == m.quantize(Decimal(1)) for m in got["monetary"].to_pylist())


def test_more_decimals_than_the_minor_unit_names_the_row() -> None:
    pa = arrow()
    table = pa.table({
        "customer_id": [1, 2, 3],
        "ts": pa.array([day(1)] * 3, pa.timestamp("us", tz="UTC")),
        "amount": pa.array([Decimal("1.1000"), Decimal("-2.2500"), Decimal("3.3330")], pa.decimal128(10, 4)),
    })
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(table, as_of=AS_OF, amount="amount", amount_unit="major")
    assert caught.value.fields == ["amount[2]"]
    assert caught.value.value == "3.3330"
    assert "more than 2 decimal places" in caught.value.reason
    assert crm.score_rfm_frame(table, as_of=AS_OF, amount="amount", amount_unit="major",
                               config={"minor_units": 3})["monetary"].to_pylist() == [Decimal("1.100"), Decimal("3.333")]


def test_float_and_other_wrong_columns_are_refused() -> None:
    pa = arrow()
    table = as_table(generate(20, 3, seed=1))
    floats = table.set_column(2, "amount_cents", table["amount_cents"].cast(pa.float64()))
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(floats, as_of=AS_OF)
    assert caught.value.fields == ["amount_cents"]
    assert "float" in caught.value.reason and "minor" in caught.value.reason and "major" in caught.value.reason
    decimals = table.set_column(2, "amount_cents", table["amount_cents"].cast(pa.decimal128(24, 2)))
    with pytest.raises(crm.ValidationError, match="amount_unit=\"major\""):
        crm.score_rfm_frame(decimals, as_of=AS_OF)
    texts = table.set_column(1, "ts", table["ts"].cast(pa.string()))
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(texts, as_of=AS_OF)
    assert caught.value.fields == ["ts"]
    doubles = table.set_column(0, "customer_id", pa.array([1.0] * table.num_rows))
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(doubles, as_of=AS_OF)
    assert caught.value.fields == ["customer_id"]


@pytest.mark.parametrize("column", ["customer_id", "ts", "amount_cents"])
def test_a_null_names_the_column_and_the_row(column: str) -> None:
    pa = arrow()
    table = as_table(generate(30, 4, seed=1))
    values = table[column].to_pylist()
    values[17] = None
    nulled = table.set_column(table.schema.get_field_index(column), column, pa.array(values, table[column].type))
    batches = pa.RecordBatchReader.from_batches(nulled.schema, nulled.to_batches(max_chunksize=10))
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(batches, as_of=AS_OF)
    assert caught.value.fields == [f"{column}[17]"]
    assert caught.value.reason == "is null"


def test_bad_arguments_of_the_frame_api() -> None:
    table = as_table(generate(20, 3, seed=1))
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(table, as_of=AS_OF, amount="cents")
    assert caught.value.fields == ["cents"] and "amount_cents" in caught.value.reason
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(table, as_of=AS_OF, amount_unit="cents")  # type: ignore[arg-type]
    assert caught.value.fields == ["amount_unit"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(table, as_of=AS_OF, threads=0)
    assert caught.value.fields == ["threads"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame([1, 2, 3], as_of=AS_OF)  # type: ignore[arg-type]
    assert caught.value.fields == ["data"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_frame(table, as_of=datetime(2025, 1, 1))
    assert caught.value.fields == ["as_of"]
    with pytest.raises(crm.ConfigError) as config_error:
        crm.score_rfm_frame(table, as_of=AS_OF, config={"bins": 4})
    assert config_error.value.path == "rfm.segments"
    renamed = table.rename_columns(["id", "when", "cents"])
    got = crm.score_rfm_frame(renamed, as_of=AS_OF, customer="id", at="when", amount="cents")
    assert got.schema.names[0] == "id"
    assert got.drop_columns(["id"]).equals(crm.score_rfm_frame(table, as_of=AS_OF).drop_columns(["customer_id"]))


# ----- distributed: partial aggregates merged exactly --------------------------------


def test_partials_merge_into_the_same_scores() -> None:
    pa = arrow()
    rows = generate(3000, 150, seed=21)
    # A customer whose refund is in one partition and purchase in another is
    # not "refund only" once merged.
    rows = [("split", day(3), -250)] + rows + [("split", day(20), 1000)]
    table = as_table(rows)
    want = crm.score_rfm_frame(table, as_of=AS_OF, config={"ties": "position"})
    parts = [table.slice(0, 1000), table.slice(1000, 1000), table.slice(2000)]
    partials = [crm.rfm_aggregate(part, as_of=AS_OF) for part in parts]
    assert partials[0].schema.names == ["customer_id", "first", "last", "purchases", "refunds", "monetary_minor"]
    split = partials[0].filter(pa.compute.equal(partials[0]["customer_id"], "split")).to_pylist()
    assert split == [{"customer_id": "split", "first": None, "last": None, "purchases": 0, "refunds": 1, "monetary_minor": -250}]
    got = crm.score_rfm_aggregates(partials, as_of=AS_OF, config={"ties": "position"})
    assert got.equals(want)
    assert skipped(got) == skipped(want)
    assert "split" in got["customer_id"].to_pylist()
    # Concatenated, the scores are the same; the rows after as_of are counted
    # from the first table's metadata only.
    concatenated = crm.score_rfm_aggregates(pa.concat_tables(partials), as_of=AS_OF, config={"ties": "position"})
    assert concatenated.equals(want)
    assert skipped(concatenated)[0] == int(partials[0].schema.metadata[b"crm.rfm.skipped.future"])


def test_partials_as_the_caller_kind_and_with_integer_ids() -> None:
    pl = pytest.importorskip("polars")
    rows = generate(900, 80, seed=22)
    table = as_table(rows, "int")
    want = crm.score_rfm_frame(table, as_of=AS_OF)
    partials = [crm.rfm_aggregate(table.slice(i, 300), as_of=AS_OF) for i in (0, 300, 600)]
    got = crm.score_rfm_aggregates([pl.from_arrow(p) for p in partials], as_of=AS_OF)
    assert isinstance(got, pl.DataFrame)
    assert got["customer_id"].to_list() == want["customer_id"].to_pylist()
    assert got["r"].to_list() == want["r"].to_pylist()


def test_partials_of_another_as_of_or_minor_unit_are_refused() -> None:
    arrow()
    table = as_table(generate(100, 10, seed=23))
    partial = crm.rfm_aggregate(table, as_of=AS_OF)
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_aggregates(partial, as_of=AS_OF + timedelta(days=1))
    assert caught.value.fields == ["as_of"]
    with pytest.raises(crm.ConfigError) as config_error:
        crm.score_rfm_aggregates([partial], as_of=AS_OF, config={"minor_units": 3})
    assert config_error.value.path == "rfm.minor_units"
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_aggregates([], as_of=AS_OF)
    assert caught.value.fields == ["partials"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.score_rfm_aggregates([partial, table], as_of=AS_OF)
    assert caught.value.fields == ["partials[1].first"]

