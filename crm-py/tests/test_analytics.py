"""Analytics and import from Python: metrics as tables (rows as dicts, and
pyarrow / pandas / polars frames with exact decimal columns), customer
lifetime value in the engine and fitted on columns, and bulk import from a
path or bytes with refused rows, a progress callback that can stop it, and
typed errors naming the field."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, List, Optional

import pytest

import crm

UTC = timezone.utc
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
ROOT = crm.Actor("root", roles=["admin"])
ANA = crm.Actor("ana", roles=["sales"])
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
EUR = "EUR"


def pipeline() -> crm.Crm:
    """Three leads from two channels: one converted and won, one discarded,
    one converted and lost; a third deal open for March."""
    engine = crm.Crm(now=START, seed=31)
    l1 = engine.create_lead(ANA, source="web", channel="online", campaign="spring", company="Alpha", contact_name="Al", owner="ana")
    l2 = engine.create_lead(ANA, source="web", channel="online", campaign="spring", company="Beta", contact_name="Bea", owner="ana")
    l3 = engine.create_lead(ANA, source="fair", channel="offline", company="Gamma", contact_name="Gus", owner="ana")
    engine.qualify_lead(ANA, l1.id)
    d1 = engine.convert_lead(ANA, l1.id, expected_amount=crm.Money("1000.00", EUR))
    engine.discard_lead(ANA, l2.id, "no budget")
    engine.qualify_lead(ANA, l3.id)
    d2 = engine.convert_lead(ANA, l3.id, expected_amount=crm.Money("400.00", EUR))
    assert d1.opportunity is not None and d2.opportunity is not None
    engine.create_opportunity(ANA, d1.customer, "Extra", expected_amount=crm.Money("2000.00", EUR),
                              expected_close_date=datetime(2026, 3, 10).date())
    engine.advance_clock(days=2)
    engine.advance_opportunity(ANA, d1.opportunity)
    engine.advance_opportunity(ANA, d2.opportunity)
    engine.advance_clock(days=8)
    _, contract = engine.win_opportunity(ANA, engine.advance_opportunity(ANA, d1.opportunity).id)
    engine.sign_contract(ROOT, contract.id)
    engine.lose_opportunity(ANA, d2.opportunity, "price")
    return engine


# ----- metrics ----------------------------------------------------------------------------


def test_a_lead_keeps_its_campaign(engine: crm.Crm) -> None:
    lead = engine.create_lead(ANA, source="web", campaign="spring", company="Acme", owner="ana")
    assert lead.campaign == "spring"
    assert engine.create_lead(ANA, company="Other", owner="ana").campaign is None


def test_a_metric_is_a_table_of_typed_columns_and_rows() -> None:
    table = pipeline().metric(ANA, "lead_conversion", from_=JAN, until=FEB)
    assert isinstance(table, crm.Table)
    assert table.metric == "lead_conversion"
    assert table.columns == [
        ("source", "text"), ("channel", "text"), ("campaign", "text"), ("leads", "integer"),
        ("converted", "integer"), ("discarded", "integer"), ("conversion_rate", "float"),
    ]
    assert len(table) == 2
    assert table.rows() == [
        {"source": "fair", "channel": "offline", "campaign": None, "leads": 1, "converted": 1, "discarded": 0,
         "conversion_rate": 1.0},
        {"source": "web", "channel": "online", "campaign": "spring", "leads": 2, "converted": 1, "discarded": 1,
         "conversion_rate": 0.5},
    ]
    assert table.to_dict()["rows"][1] == ["web", "online", "spring", 2, 1, 1, 0.5]
    assert repr(table).startswith("Table(metric='lead_conversion', columns=['source', ")


def test_a_period_and_a_scope_narrow_a_metric() -> None:
    engine = pipeline()
    assert len(engine.metric(ANA, "lead_conversion", until=JAN)) == 0
    assert len(engine.metric(ANA, "lead_conversion", scope={"user": "ana"})) == 2
    assert len(engine.metric(ANA, "lead_conversion", scope={"user": "bob"})) == 0
    assert len(engine.metric(ANA, "lead_conversion", scope="all")) == 2
    assert engine.metric(ANA, "win_rate", from_=JAN, until=FEB).rows() == [
        {"owner": "ana", "won": 1, "lost": 1, "win_rate": 0.5},
    ]


def test_decimal_columns_stay_exact_in_rows_and_frames() -> None:
    engine = pipeline()
    table = engine.metric(ANA, "channel_roi", from_=JAN, until=FEB,
                          costs=[{"channel": "online", "campaign": "spring", "amount": crm.Money("250.00", EUR)}])
    online = table.rows()[1]
    assert online["cost"] == Decimal("250.00") and online["cost_per_lead"] == Decimal("125.00")
    assert online["revenue"] == Decimal("1000.00")
    assert isinstance(online["cost"], Decimal)

    pa = pytest.importorskip("pyarrow")
    arrow = table.to_arrow()
    assert arrow.schema.field("cost").type == pa.decimal128(38, 2)
    assert arrow.schema.field("leads").type == pa.int64()
    assert arrow.schema.field("roi").type == pa.float64()
    assert arrow.schema.metadata[b"crm.metric"] == b"channel_roi"
    # "0" (offline, no cost) and "250.00" share the scale the values need.
    assert arrow.column("cost").to_pylist() == [Decimal("0.00"), Decimal("250.00")]
    assert arrow.column("cost_per_lead").to_pylist() == [None, Decimal("125.00")]

    pd = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["cost"]) == [Decimal("0.00"), Decimal("250.00")]
    assert list(frame["leads"]) == [1, 2]

    pl = pytest.importorskip("polars")
    polars = table.to_polars()
    assert isinstance(polars, pl.DataFrame)
    assert polars["cost"].dtype == pl.Decimal(38, 2)
    assert polars["cost"].to_list() == [Decimal("0.00"), Decimal("250.00")]


def test_time_columns_are_utc_timestamps_in_frames() -> None:
    engine = pipeline()
    table = engine.metric(ROOT, "targets", targets=[
        {"user": "ana", "from": JAN, "until": FEB, "amount": crm.Money("4000.00", EUR), "new_customers": 4}])
    row = table.rows()[0]
    assert row["who"] == "ana" and row["from"] == JAN and row["until"] == FEB
    assert row["amount_actual"] == Decimal("1000.00") and row["amount_attainment"] == 0.25
    pa = pytest.importorskip("pyarrow")
    arrow = table.to_arrow()
    assert arrow.schema.field("from").type == pa.timestamp("us", tz="UTC")
    assert arrow.column("from").to_pylist()[0] == JAN


def test_dates_and_months_stay_text() -> None:
    table = pipeline().metric(ANA, "forecast")
    assert ("month", "date") in table.columns
    assert table.rows()[0]["month"] == "2026-03"
    assert table.rows()[0]["amount"] == Decimal("2000.00")


def test_an_empty_table_still_converts() -> None:
    engine = crm.Crm(now=START, seed=1)
    table = engine.metric(ANA, "forecast")
    assert len(table) == 0 and table.rows() == []
    pa = pytest.importorskip("pyarrow")
    arrow = table.to_arrow()
    assert arrow.num_rows == 0
    assert arrow.schema.names == [name for name, _ in table.columns]


def test_a_missing_frame_library_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    table = pipeline().metric(ANA, "forecast")
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"crm\.Table\.to_polars needs polars \(pip install polars\)"):
        table.to_polars()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"crm\.Table\.to_pandas needs pandas"):
        table.to_pandas()


def test_bad_queries_name_the_field() -> None:
    engine = pipeline()
    typo: Any = "win_rates"
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, typo)
    assert caught.value.fields == ["query"]
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "service", group_by="colour")
    assert caught.value.fields == ["group_by"]
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "win_rate", from_=FEB, until=JAN)
    assert caught.value.fields == ["until"]
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "win_rate", from_=datetime(2026, 1, 1))
    assert caught.value.fields == ["from_"]
    planet: Any = {"planet": "mars"}
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "win_rate", scope=planet)
    assert caught.value.fields == ["scope"]
    float_cost: Any = [{"channel": "fair", "amount": 12.5}]
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "channel_roi", costs=float_cost)
    assert caught.value.fields == ["costs[0].amount"]
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "clv", clv={"months": -1})
    assert caught.value.fields == ["months"]
    colour: Any = {"colour": 1}
    with pytest.raises(crm.ValidationError) as caught:
        engine.metric(ANA, "clv", clv=colour)
    assert caught.value.fields == ["clv"]
    assert "colour" in str(caught.value)


# ----- lifetime value ---------------------------------------------------------------------


def test_lifetime_value_without_enough_history_is_historic_only() -> None:
    report = pipeline().customer_lifetime_value(ANA, as_of=FEB)
    assert isinstance(report, crm.ClvReport)
    assert report.currency == EUR
    assert report.bg_nbd is None and report.gamma_gamma is None and report.not_fitted
    rows = report.rows.rows()
    assert len(rows) == 1 and len(report) == 1
    assert rows[0]["historic"] == Decimal("1000.00")
    assert rows[0]["frequency"] == 0 and rows[0]["t"] == 17 and rows[0]["clv"] is None
    assert report.rows.metric == "clv"


def day(month: int, dom: int, hour: int = 10) -> datetime:
    return datetime(2026, month, dom, hour, tzinfo=UTC)


CUSTOMERS = ["a", "a", "a", "b", "b", "c", "c", "d"]
AT = [day(1, 2), day(1, 20), day(2, 25), day(1, 5), day(1, 5, 18), day(2, 1), day(3, 15), day(3, 1)]
AMOUNTS = [Decimal(x) for x in ("10.00", "30.00", "50.00", "20.00", "5.00", "12.00", "8.00", "99.00")]
AS_OF = datetime(2026, 4, 1, tzinfo=UTC)


def test_fit_clv_over_lists() -> None:
    model = crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF)
    assert isinstance(model.bg_nbd, crm.BgNbd) and isinstance(model.gamma_gamma, crm.GammaGamma)
    assert model.bg_nbd.r > 0 and model.bg_nbd.alpha > 0 and model.bg_nbd.iterations > 0
    assert model.gamma_gamma.p > 0 and isinstance(model.gamma_gamma.v, float)
    # On so little history the parameters run far out along a flat ridge of
    # the likelihood (the core's fit is checked against `lifetimes` on a
    # million purchases); what they predict is pinned instead.
    rows = model.customers.rows()
    assert [r["customer"] for r in rows] == ["a", "b", "c", "d"] and len(model) == 4
    assert rows[1]["expected_value"] == pytest.approx(Decimal("29.01"), rel=Decimal("1e-6"))
    assert rows[1]["clv"] == pytest.approx(Decimal("110.87"), rel=Decimal("1e-6"))
    assert rows[1]["expected_purchases"] == pytest.approx(4.074870989704719, rel=1e-4)
    table = model.customers
    assert table.metric == "clv"
    assert [name for name, _ in table.columns] == [
        "customer", "frequency", "recency", "t", "monetary", "p_alive", "expected_purchases", "expected_value", "clv"]
    assert all(r["expected_purchases"] is not None and r["expected_value"] is not None for r in rows)
    assert (rows[0]["frequency"], rows[0]["recency"], rows[0]["t"]) == (2, 54, 89)
    assert rows[0]["monetary"] == Decimal("40.00")
    assert rows[1]["frequency"] == 0 and rows[1]["t"] == 86
    assert rows[3]["p_alive"] == 1.0
    clv = rows[0]["clv"]
    assert isinstance(clv, Decimal) and clv > 0
    # A longer horizon, undiscounted, is worth more.
    longer = crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF, months=24, monthly_discount=0)
    longer_clv = longer.customers.rows()[0]["clv"]
    assert isinstance(longer_clv, Decimal) and longer_clv > clv
    assert longer.bg_nbd == model.bg_nbd


def test_fit_clv_rounds_to_the_minor_units_given() -> None:
    cents = crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF).customers.rows()
    whole = crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF, minor_units=0).customers.rows()
    for row, in_cents in zip(whole, cents):
        for key in ("expected_value", "clv"):
            value, exact = row[key], in_cents[key]
            assert isinstance(value, Decimal) and isinstance(exact, Decimal)
            assert value.as_tuple().exponent == 0 and exact.as_tuple().exponent == -2
            assert abs(value - exact) <= Decimal("0.5")
    assert (whole[0]["expected_value"], whole[0]["clv"]) == (Decimal("40"), Decimal("153"))
    for bad in (-1, 29, 2**40, True, 1.5, "2"):
        wrong: Any = bad
        with pytest.raises(crm.ValidationError) as caught:
            crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF, minor_units=wrong)
        assert caught.value.fields == ["minor_units"]


def test_the_clv_metric_reads_its_options_as_fit_clv_does() -> None:
    engine = crm.Crm(now=AS_OF, seed=3, config={"loyalty": {"currency": EUR, "earn": [{"name": "base", "per": "1.00", "points": 1}]}})
    ids = {c: engine.create_customer(ANA, c).id for c in sorted(set(CUSTOMERS))}
    for n, (customer, at, amount) in enumerate(zip(CUSTOMERS, AT, AMOUNTS)):
        engine.record_purchase(ANA, ids[customer], f"R-{n}", crm.Money(amount, EUR), at=at)
    default = engine.metric(ANA, "clv").rows()
    assert [r["clv"] for r in default] == [Decimal("152.89"), Decimal("110.87"), Decimal("30.58"), Decimal("110.89")]
    # `minor_units` is an option the core knows; in the engine the purchases'
    # currency (EUR: cents) decides.
    assert engine.metric(ANA, "clv", clv={"minor_units": 0}).rows() == default
    longer = engine.metric(ANA, "clv", clv={"months": 24, "monthly_discount": 0.0, "minor_units": 2}).rows()
    assert all(isinstance(r["clv"], Decimal) and isinstance(d["clv"], Decimal) and r["clv"] > d["clv"]
               for r, d in zip(longer, default))
    for bad, field in (({"minor_units": -1}, "minor_units"), ({"minor_units": 29}, "minor_units"),
                       ({"months": 0}, "months"), ({"monthly_discount": float("nan")}, "monthly_discount"),
                       ({"minor_unit": 0}, "clv")):
        wrong: Any = bad
        with pytest.raises(crm.ValidationError) as caught:
            engine.metric(ANA, "clv", clv=wrong)
        assert caught.value.fields == [field]
    misspelt: Any = {"minor_unit": 0}
    with pytest.raises(crm.ValidationError, match="unknown key 'minor_unit'"):
        engine.metric(ANA, "clv", clv=misspelt)


def test_fit_clv_over_arrow_numpy_and_pandas_columns() -> None:
    expected = crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF).customers.rows()
    pa = pytest.importorskip("pyarrow")
    model = crm.fit_clv(
        pa.array(CUSTOMERS), pa.chunked_array([AT[:3], AT[3:]], pa.timestamp("ms", tz="UTC")),
        pa.array(AMOUNTS, pa.decimal128(10, 2)), as_of=AS_OF,
    )
    assert model.customers.rows() == expected
    # Integer ids become text; integer amounts are whole units.
    ids = {"a": 1, "b": 2, "c": 3, "d": 4}
    whole = crm.fit_clv(pa.array([ids[c] for c in CUSTOMERS]), AT, [int(a) for a in AMOUNTS], as_of=AS_OF)
    assert [r["customer"] for r in whole.customers.rows()] == ["1", "2", "3", "4"]
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    frame = pd.DataFrame({"customer": CUSTOMERS, "at": AT, "amount": AMOUNTS})
    model = crm.fit_clv(frame["customer"], frame["at"], frame["amount"], as_of=AS_OF)
    assert model.customers.rows() == expected
    naive = np.array([t.replace(tzinfo=None) for t in AT], dtype="datetime64[us]")
    model = crm.fit_clv(np.array(CUSTOMERS), naive, np.array(AMOUNTS, dtype=object), as_of=AS_OF)
    assert model.customers.rows() == expected
    frame = model.customers.to_pandas()
    assert list(frame["monetary"]) == [Decimal("40.00"), Decimal("0.00"), Decimal("8.00"), Decimal("0.00")]


def test_fit_clv_refuses_bad_columns_naming_them() -> None:
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(CUSTOMERS, AT, [*AMOUNTS[:3], 9.99, *AMOUNTS[4:]], as_of=AS_OF)
    assert caught.value.fields == ["amounts[3]"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(CUSTOMERS, [*AT[:2], datetime(2026, 1, 3), *AT[3:]], AMOUNTS, as_of=AS_OF)
    assert caught.value.fields == ["at[2]"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(CUSTOMERS, AT[:-1], AMOUNTS, as_of=AS_OF)
    assert caught.value.fields == ["at"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(["a"], [AT[0]], [AMOUNTS[0]], as_of=AS_OF)
    assert caught.value.fields == ["data"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(CUSTOMERS, AT, AMOUNTS, as_of=AS_OF, monthly_discount=-0.5)
    assert caught.value.fields == ["monthly_discount"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv("abc", AT, AMOUNTS, as_of=AS_OF)
    assert caught.value.fields == ["customers"]
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(CUSTOMERS, AT, pa.array([float(a) for a in AMOUNTS]), as_of=AS_OF)
    assert caught.value.fields == ["amounts"]
    with pytest.raises(crm.ValidationError) as caught:
        crm.fit_clv(pa.array(["a", None, "a", "b", "b", "c", "c", "d"]), AT, AMOUNTS, as_of=AS_OF)
    assert caught.value.fields == ["customers[1]"]


# ----- import -----------------------------------------------------------------------------

CSV = "Company,E-mail\nOmega,hi@omega.example\nPsi,not-an-email\nOmega two,HI@omega.example\n"
SPEC = {"kind": "customer", "format": "csv", "mode": "best_effort", "mapping": {"name": "Company", "email": "E-mail"}}


def test_an_import_from_a_path_reports_refused_rows(tmp_path: Path) -> None:
    engine = crm.Crm(now=START, seed=1)
    path = tmp_path / "customers.csv"
    path.write_text(CSV)
    report = engine.import_rows(ROOT, SPEC, path)
    assert isinstance(report, crm.ImportReport)
    assert (report.rows, report.imported, report.duplicates, report.batches, report.cancelled) == (3, 1, 1, 1, False)
    assert [(r.row, r.field, r.reason) for r in report.rejected] == [
        (3, "email", "is not an email address"),
        (4, "email", "repeats the email of row 2"),
    ]
    assert [c.name for c in engine.list(ROOT, "customer") if isinstance(c, crm.Customer)] == ["Omega"]
    # A str path works as well; the stored Omega is now a duplicate.
    again = engine.import_rows(ROOT, SPEC, str(path))
    assert again.imported == 0 and again.rejected[0].row == 2 and again.rejected[0].field is None


def test_all_or_nothing_writes_nothing_when_a_row_is_refused() -> None:
    engine = crm.Crm(now=START, seed=1)
    report = engine.import_rows(ROOT, {**SPEC, "mode": "all_or_nothing"}, CSV.encode())
    assert report.imported == 0 and len(report.rejected) == 2
    assert engine.list(ROOT, "customer") == []


def leads(n: int) -> bytes:
    return "".join(f'{{"company": "Firm {i}", "email": "x{i}@firm{i}.example"}}\n' for i in range(n)).encode()


LEADS = {"kind": "lead", "format": "jsonl", "mode": "best_effort", "batch_size": 2}


def test_progress_is_reported_after_each_batch_and_can_stop_it() -> None:
    engine = crm.Crm(now=START, seed=1)
    seen: List[crm.ImportProgress] = []

    def stop_after_two(progress: crm.ImportProgress) -> Optional[bool]:
        seen.append(progress)
        return progress.imported < 4

    report = engine.import_rows(ROOT, LEADS, leads(7), progress=stop_after_two)
    assert report.cancelled and report.imported == 4 and report.batches == 2
    assert [(p.rows, p.imported, p.checking) for p in seen] == [(2, 2, False), (4, 4, False)]
    assert len(engine.list(ROOT, "lead")) == 4
    # None goes on.
    full = engine.import_rows(ROOT, {**LEADS, "duplicates": "allow"}, leads(3), progress=lambda p: None)
    assert not full.cancelled and full.imported == 3


def test_an_exception_in_progress_stops_the_import_and_propagates() -> None:
    engine = crm.Crm(now=START, seed=1)

    def boom(progress: crm.ImportProgress) -> bool:
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        engine.import_rows(ROOT, LEADS, leads(5), progress=boom)
    assert len(engine.list(ROOT, "lead")) == 2  # the first batch stays written
    # The engine is usable afterwards.
    assert engine.import_rows(ROOT, LEADS, leads(1)).imported == 0  # a duplicate now


def test_progress_may_not_call_the_importing_engine() -> None:
    engine = crm.Crm(now=START, seed=1)
    other = crm.Crm(now=START, seed=2)
    calls: List[Any] = []

    def peek(progress: crm.ImportProgress) -> bool:
        calls.append(other.now())  # another engine is fine
        engine.list(ROOT, "lead")
        return True

    with pytest.raises(crm.ValidationError) as caught:
        engine.import_rows(ROOT, LEADS, leads(3), progress=peek)
    assert caught.value.fields == ["progress"] and calls == [START]
    assert engine.now() == START  # released


def test_bad_imports_name_the_setting() -> None:
    engine = crm.Crm(now=START, seed=1)
    with pytest.raises(crm.ConfigError) as caught:
        engine.import_rows(ROOT, {**SPEC, "mapping": {"colour": "Company"}}, CSV.encode())
    assert caught.value.path == "import.mapping.colour"
    with pytest.raises(crm.ConfigError) as config:
        engine.import_rows(ROOT, {"kind": "planet", "format": "csv"}, CSV.encode())
    assert config.value.path == "import"
    not_a_file: Any = 42
    not_a_callable: Any = "yes"
    with pytest.raises(crm.ValidationError) as invalid:
        engine.import_rows(ROOT, SPEC, not_a_file)
    assert invalid.value.fields == ["source"]
    with pytest.raises(crm.ValidationError) as invalid:
        engine.import_rows(ROOT, SPEC, CSV.encode(), progress=not_a_callable)
    assert invalid.value.fields == ["progress"]
    with pytest.raises(crm.StorageError):
        engine.import_rows(ROOT, SPEC, "/no/such/file.csv")
    # An actor who may not create customers at all is refused once, before any row.
    with pytest.raises(crm.ForbiddenError):
        engine.import_rows(crm.Actor("guest", roles=[]), SPEC, CSV.encode())
    assert engine.list(ROOT, "customer") == []


def test_import_then_measure() -> None:
    """Imported leads count in the metrics like any other."""
    engine = crm.Crm(now=START, seed=1)
    data = b'{"company": "A", "source": "web", "campaign": "fall"}\n{"company": "B", "source": "web", "campaign": "fall"}\n'
    assert engine.import_rows(ROOT, {"kind": "lead", "format": "jsonl"}, data).imported == 2
    engine.advance_clock(days=1)
    rows = engine.metric(ROOT, "lead_conversion", from_=START - timedelta(days=1)).rows()
    assert rows == [{"source": "web", "channel": None, "campaign": "fall", "leads": 2, "converted": 0, "discarded": 0,
                     "conversion_rate": 0.0}]
