"""Analytics and import across the FFI: a metric as a table of typed cells
(`MetricTable`, `MetricColumn`, `ColumnKind`, `MetricValue`: decimals stay
strings, times are datetimes), lifetime value in the engine (`ClvReport`) and
as a pure function (`fit_clv`: `ClvModel`, `BgNbd`, `GammaGamma`), and
`import_rows` from a file path with a refused row (row, field, reason), with
a progress listener that can stop it; bad input as typed errors naming the
field. The story follows tests/vectors/analytics.json."""

import datetime
import json
from decimal import Decimal

import pytest

import crm_ffi as ffi

ROOT = ffi.Actor(user="root", roles=["admin"])
ANA = ffi.Actor(user="ana", roles=["sales"])
PERIOD = {"from": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def validation_fields(call, *args, **kwargs):
    with pytest.raises(ffi.CrmError.Validation) as info:
        call(*args, **kwargs)
    return info.value.fields


@pytest.fixture
def crm():
    return ffi.Crm(now=utc("2026-01-05T09:00:00Z"), seed=31)


@pytest.fixture
def converted(crm):
    """Two spring leads from the web; Alpha converted with a deal of 1000.00 EUR."""
    alpha = crm.create_lead(ANA, ffi.NewLead(source="web", channel="online", campaign="spring",
                                             company="Alpha", contact_name="Al", owner="ana"))
    crm.create_lead(ANA, ffi.NewLead(source="web", channel="online", campaign="spring", company="Beta", owner="ana"))
    crm.qualify_lead(ANA, alpha.id)
    return crm.convert_lead(ANA, alpha.id, ffi.ConvertLeadOptions(
        expected_amount=ffi.Money(amount="1000.00", currency="EUR")))


def metric(crm, actor, **query):
    return crm.metric(actor, json.dumps(query))


def test_a_lead_keeps_its_campaign(crm):
    lead = crm.create_lead(ANA, ffi.NewLead(company="Acme", campaign="spring", owner="ana"))
    assert lead.campaign == "spring"
    assert crm.get(ANA, "lead", lead.id).record.campaign == "spring"


def test_a_metric_is_a_table_of_typed_cells(crm, converted):
    table = metric(crm, ANA, metric="lead_conversion", **PERIOD)
    assert table.metric == "lead_conversion"
    assert [(c.name, c.kind) for c in table.columns] == [
        ("source", ffi.ColumnKind.TEXT), ("channel", ffi.ColumnKind.TEXT), ("campaign", ffi.ColumnKind.TEXT),
        ("leads", ffi.ColumnKind.INTEGER), ("converted", ffi.ColumnKind.INTEGER),
        ("discarded", ffi.ColumnKind.INTEGER), ("conversion_rate", ffi.ColumnKind.FLOAT)]
    assert table.rows == [[ffi.MetricValue.TEXT(value="web"), ffi.MetricValue.TEXT(value="online"),
                           ffi.MetricValue.TEXT(value="spring"), ffi.MetricValue.INTEGER(value=2),
                           ffi.MetricValue.INTEGER(value=1), ffi.MetricValue.INTEGER(value=0),
                           ffi.MetricValue.FLOAT(value=0.5)]]


def test_decimal_cells_are_strings_and_times_datetimes(crm, converted):
    roi = metric(crm, ANA, metric="channel_roi", **PERIOD, costs=[
        {"channel": "online", "campaign": "spring", "amount": {"amount": "250.00", "currency": "EUR"}}])
    names = [c.name for c in roi.columns]
    cost, per_lead = names.index("cost"), names.index("cost_per_lead")
    assert roi.columns[cost].kind == ffi.ColumnKind.DECIMAL
    (row,) = roi.rows
    assert row[cost] == ffi.MetricValue.DECIMAL(value="250.00")
    assert Decimal(row[per_lead].value) == Decimal("125")
    targets = metric(crm, ROOT, metric="targets", targets=[
        {"user": "ana", **PERIOD, "amount": {"amount": "4000.00", "currency": "EUR"}, "new_customers": 4}])
    cells = dict(zip((c.name for c in targets.columns), targets.rows[0]))
    assert cells["from"] == ffi.MetricValue.TIME(value=utc("2026-01-01T00:00:00Z"))
    assert cells["who"] == ffi.MetricValue.TEXT(value="ana")
    assert cells["amount_target"] == ffi.MetricValue.DECIMAL(value="4000.00")


def test_a_cell_without_a_value_is_null(crm):
    crm.create_lead(ANA, ffi.NewLead(source="fair", company="Gamma", owner="ana"))
    (row,) = metric(crm, ANA, metric="lead_conversion", **PERIOD).rows
    assert row[2] == ffi.MetricValue.NULL() and row[2].is_NULL()


def test_bad_queries_name_the_field(crm):
    assert validation_fields(metric, crm, ANA, metric="win_rates") == ["query"]
    assert validation_fields(crm.metric, ANA, "{") == ["query"]
    assert validation_fields(metric, crm, ANA, metric="win_rate", colour="red") == ["query"]
    assert validation_fields(metric, crm, ANA, metric="service", group_by="colour") == ["group_by"]
    assert validation_fields(metric, crm, ANA, metric="win_rate",
                             **{"from": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}) == ["until"]


def test_lifetime_value_in_the_engine(crm, converted):
    bare = crm.customer_lifetime_value(ANA, utc("2026-02-01T00:00:00Z"))
    assert (bare.bg_nbd, bare.gamma_gamma, bare.rows) == (None, None, [])
    assert bare.not_fitted
    crm.advance_opportunity(ANA, converted.opportunity)
    crm.advance_opportunity(ANA, converted.opportunity)
    crm.sign_contract(ROOT, crm.win_opportunity(ANA, converted.opportunity).contract.id)
    report = crm.customer_lifetime_value(ANA, utc("2026-02-01T00:00:00Z"), scope=ffi.MetricScope.USER(id="ana"))
    assert report.currency == "EUR"
    (row,) = report.rows
    assert (row.customer, row.historic, row.frequency, row.clv) == (converted.customer, "1000.00", 0, None)
    assert crm.customer_lifetime_value(ROOT, scope=ffi.MetricScope.TEAM(id="west")).rows == []


PURCHASES = [("a", "2026-01-02T10:00:00Z", "10.00"), ("a", "2026-01-20T10:00:00Z", "30.00"),
             ("a", "2026-02-25T10:00:00Z", "50.00"), ("b", "2026-01-05T10:00:00Z", "20.00"),
             ("b", "2026-01-05T18:00:00Z", "5.00"), ("c", "2026-02-01T10:00:00Z", "12.00"),
             ("c", "2026-03-15T10:00:00Z", "8.00"), ("d", "2026-03-01T10:00:00Z", "99.00")]


def purchases(rows=PURCHASES):
    return [ffi.Purchase(customer=c, at=utc(at), amount=amount) for c, at, amount in rows]


def test_fit_clv_returns_typed_models_and_exact_values():
    model = ffi.fit_clv(purchases(), utc("2026-04-01T00:00:00Z"))
    assert isinstance(model.bg_nbd, ffi.BgNbd) and isinstance(model.gamma_gamma, ffi.GammaGamma)
    assert model.bg_nbd.r > 0 and model.bg_nbd.alpha > 0 and model.gamma_gamma.q > 0
    a = model.customers[0]
    assert (a.customer, a.frequency, a.recency, a.t, a.monetary) == ("a", 2, 54, 89, "40.00")
    assert [c.customer for c in model.customers] == ["a", "b", "c", "d"]
    assert all(0 <= c.p_alive <= 1 for c in model.customers)
    assert all(Decimal(c.clv).as_tuple().exponent == -2 for c in model.customers)
    yen = ffi.fit_clv(purchases(), utc("2026-04-01T00:00:00Z"), months=1, monthly_discount=0.0, minor_units=0)
    assert "." not in yen.customers[0].clv
    assert Decimal(yen.customers[0].clv) < Decimal(a.clv)


def test_fit_clv_names_the_field_of_bad_input():
    as_of = utc("2026-04-01T00:00:00Z")
    assert validation_fields(ffi.fit_clv, purchases(PURCHASES[:1]), as_of) == ["data"]
    assert validation_fields(ffi.fit_clv, purchases([PURCHASES[0], ("a", PURCHASES[1][1], "3e1")]),
                             as_of) == ["purchases[1].amount"]
    assert validation_fields(ffi.fit_clv, purchases(), as_of, months=0) == ["months"]
    assert validation_fields(ffi.fit_clv, purchases(), as_of, monthly_discount=float("nan")) == ["monthly_discount"]


CUSTOMERS = {"kind": "customer", "format": "csv", "mode": "best_effort",
             "mapping": {"name": "Company", "email": "E-mail"}}


def test_import_from_a_path_reports_the_refused_rows(crm, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("Company,E-mail\nOmega,hi@omega.example\nPsi,not-an-email\nOmega two,HI@omega.example\n")
    report = crm.import_rows(ROOT, json.dumps(CUSTOMERS), path=str(path))
    assert (report.rows, report.imported, report.duplicates, report.batches, report.cancelled) == (3, 1, 1, 1, False)
    assert report.rejected == [ffi.RejectedRow(row=3, field="email", reason="is not an email address"),
                               ffi.RejectedRow(row=4, field="email", reason="repeats the email of row 2")]
    assert [c.record.name for c in crm.list(ROOT, "customer")] == ["Omega"]


def test_all_or_nothing_writes_nothing_when_a_row_is_refused(crm):
    report = crm.import_rows(ROOT, json.dumps({"kind": "lead", "format": "jsonl"}),
                             data=b'{"company": "Zeta"}\n{"source": "web"}\n')
    assert report.imported == 0
    assert report.rejected == [ffi.RejectedRow(row=2, field="company",
                                               reason="a lead needs a company or a contact_name")]
    assert crm.list(ROOT, "lead") == []


THREE = b'{"company": "K1"}\n{"company": "K2"}\n{"company": "K3"}\n'
BY_ONE = json.dumps({"kind": "lead", "format": "jsonl", "mode": "best_effort", "batch_size": 1})


class Listener(ffi.ImportProgressListener):
    def __init__(self, answer):
        self.seen = []
        self.answer = answer

    def on_progress(self, progress):
        self.seen.append(progress)
        return self.answer(progress)


def test_the_progress_listener_can_stop_the_import(crm):
    listener = Listener(lambda p: p.imported < 2)
    report = crm.import_rows(ROOT, BY_ONE, data=THREE, progress=listener)
    assert report.cancelled and report.imported == 2
    assert [(p.rows, p.imported, p.checking) for p in listener.seen] == [(1, 1, False), (2, 2, False)]
    assert len(crm.list(ROOT, "lead")) == 2


def test_an_all_or_nothing_import_reports_its_check(crm):
    listener = Listener(lambda p: True)
    spec = json.dumps({"kind": "lead", "format": "jsonl", "batch_size": 2})
    assert crm.import_rows(ROOT, spec, data=THREE, progress=listener).imported == 3
    assert [p.checking for p in listener.seen] == [True, True, False, False]


def test_a_listener_that_raises_stops_the_import(crm):
    def boom(_):
        raise RuntimeError("boom")

    assert validation_fields(crm.import_rows, ROOT, BY_ONE, data=THREE, progress=Listener(boom)) == ["progress"]
    assert len(crm.list(ROOT, "lead")) == 1  # the first batch stays written

    def forbidden(_):
        raise ffi.CrmError.Forbidden(actor="host", action="import", entity="lead", id=None)

    with pytest.raises(ffi.CrmError.Forbidden) as info:
        crm.import_rows(ROOT, BY_ONE, data=THREE, progress=Listener(forbidden))
    assert info.value.actor == "host"


def test_the_listener_may_not_call_the_crm_running_the_import(crm):
    errors = []

    def reenter(_):
        try:
            crm.now()
        except ffi.CrmError.Validation as err:
            errors.append(err.fields)
        return True

    listener = Listener(reenter)
    assert crm.import_rows(ROOT, BY_ONE, data=THREE, progress=listener).imported == 3
    assert len(listener.seen) >= 3  # after each batch, and once at the end
    assert errors == [["progress"]] * len(listener.seen)
    assert crm.now() == utc("2026-01-05T09:00:00Z")  # and works again after


def test_bad_imports_are_typed(crm, tmp_path):
    spec = json.dumps(CUSTOMERS)
    assert validation_fields(crm.import_rows, ROOT, spec) == ["source"]
    assert validation_fields(crm.import_rows, ROOT, spec, path=str(tmp_path / "x.csv"), data=b"") == ["source"]
    with pytest.raises(ffi.CrmError.Config) as info:
        crm.import_rows(ROOT, json.dumps({**CUSTOMERS, "mapping": {"colour": "C"}}), data=b"")
    assert info.value.path == "import.mapping.colour"
    with pytest.raises(ffi.CrmError.Storage):
        crm.import_rows(ROOT, spec, path=str(tmp_path / "missing.csv"))
    # An actor who may not create customers at all is refused once, before any row.
    with pytest.raises(ffi.CrmError.Forbidden) as refused:
        crm.import_rows(ffi.Actor(user="eve", roles=[]), spec, data=b"Company\nAcme\n")
    assert refused.value.entity == "customer"
