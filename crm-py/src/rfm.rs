//! Customer value (RFM) for Python: `crm.score_rfm` over rows, and over Arrow
//! columns `crm.score_rfm_frame`, `crm.rfm_aggregate` and
//! `crm.score_rfm_aggregates`.
//!
//! The columnar functions read any object with the Arrow PyCapsule stream
//! interface (`__arrow_c_stream__`: pyarrow, polars, pandas, duckdb, ...)
//! batch by batch, without a Python object per row, and add each batch with
//! the GIL released to one `crm::rfm::Aggregator` (one per-customer table kept
//! across the batches), so memory is bounded by the customers, not the rows.
//! An int64 column goes in as the batch's own buffer; only what needs
//! converting (other integer widths, time units, decimals, string ids) is
//! converted, into buffers reused from batch to batch. The definition itself
//! lives in the core.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Int8Type, Int16Type,
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, DictionaryArray, Int16Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, RecordBatchReader, StringArray, TimestampMicrosecondArray,
    UInt8Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Utc};
use crm::rfm::{Aggregate, Aggregator, CustomerValue, Purchase, RfmConfig, RfmTable, Skipped};
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use pyo3_arrow::{PyRecordBatchReader, PyTable};
use rust_decimal::Decimal;

use crate::convert::{extract_decimal, extract_time, stamp};
use crate::error::{invalid, to_py};

// ----- the row API ---------------------------------------------------------------

/// One purchase (or, with a negative amount, a refund): who, when, how much.
/// The amount is exact: `decimal.Decimal`, `int` or `str`, never `float`.
///
/// >>> from datetime import datetime, timezone
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> crm.Purchase("ann", datetime(2026, 1, 2, 12, tzinfo=timezone.utc), Decimal("50.00"))
/// Purchase(customer='ann', at='2026-01-02T12:00:00Z', amount='50.00')
#[pyclass(name = "Purchase", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyPurchase(pub Purchase);

#[pymethods]
impl PyPurchase {
    #[new]
    fn new(
        customer: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Self(Purchase::new(
            text("customer", customer)?,
            extract_time("at", at)?,
            extract_decimal("amount", amount)?,
        )))
    }

    /// The customer's id.
    #[getter]
    fn customer(&self) -> String {
        self.0.customer.clone()
    }

    /// When.
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// How much (negative: a refund).
    #[getter]
    fn amount(&self) -> Decimal {
        self.0.amount
    }

    fn __repr__(&self) -> String {
        format!(
            "Purchase(customer='{}', at='{}', amount='{}')",
            self.0.customer,
            stamp(self.0.at),
            self.0.amount
        )
    }
}

/// One customer's value: recency, frequency, monetary, their scores (1 to
/// `bins`, higher is better), the segment, the tier (`"A"`, `"B"` or `"C"`)
/// and the activity signal (`"active"`, `"at_risk"`, `"dormant"` or
/// `"churned"`).
#[pyclass(name = "CustomerValue", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyCustomerValue(pub CustomerValue);

#[pymethods]
impl PyCustomerValue {
    /// The customer's id.
    #[getter]
    fn customer(&self) -> String {
        self.0.customer.clone()
    }

    /// Whole calendar days (UTC) from the last purchase to `as_of`.
    #[getter]
    fn recency_days(&self) -> i64 {
        self.0.recency_days
    }

    /// The number of purchases (refunds are not purchases).
    #[getter]
    fn frequency(&self) -> u64 {
        self.0.frequency
    }

    /// Purchases minus refunds (or their mean), exactly, in the currency.
    #[getter]
    fn monetary(&self) -> Decimal {
        self.0.monetary
    }

    /// The first purchase.
    #[getter]
    fn first_purchase(&self) -> DateTime<Utc> {
        self.0.first_purchase
    }

    /// Days from the first purchase to `as_of`.
    #[getter]
    fn tenure_days(&self) -> i64 {
        self.0.tenure_days
    }

    /// The recency score.
    #[getter]
    fn r(&self) -> u8 {
        self.0.r
    }

    /// The frequency score.
    #[getter]
    fn f(&self) -> u8 {
        self.0.f
    }

    /// The monetary score.
    #[getter]
    fn m(&self) -> u8 {
        self.0.m
    }

    /// `floor((f + m + 1) / 2)`.
    #[getter]
    fn fm(&self) -> u8 {
        self.0.fm
    }

    /// The segment (`"Champions"`, `"Loyal Customers"`, ...).
    #[getter]
    fn segment(&self) -> String {
        self.0.segment.clone()
    }

    /// `"A"`, `"B"` or `"C"`.
    #[getter]
    fn tier(&self) -> String {
        self.0.tier.clone()
    }

    /// `"active"`, `"at_risk"`, `"dormant"` or `"churned"`.
    #[getter]
    fn signal(&self) -> String {
        self.0.signal.clone()
    }

    /// Every attribute, as a dict of Python values.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let v = &self.0;
        let dict = PyDict::new(py);
        dict.set_item("customer", &v.customer)?;
        dict.set_item("recency_days", v.recency_days)?;
        dict.set_item("frequency", v.frequency)?;
        dict.set_item("monetary", v.monetary)?;
        dict.set_item("first_purchase", v.first_purchase)?;
        dict.set_item("tenure_days", v.tenure_days)?;
        dict.set_item("r", v.r)?;
        dict.set_item("f", v.f)?;
        dict.set_item("m", v.m)?;
        dict.set_item("fm", v.fm)?;
        dict.set_item("segment", &v.segment)?;
        dict.set_item("tier", &v.tier)?;
        dict.set_item("signal", &v.signal)?;
        Ok(dict.unbind())
    }

    fn __repr__(&self) -> String {
        let v = &self.0;
        format!(
            "CustomerValue(customer='{}', recency_days={}, frequency={}, monetary='{}', r={}, f={}, m={}, segment='{}', tier='{}', signal='{}')",
            v.customer,
            v.recency_days,
            v.frequency,
            v.monetary,
            v.r,
            v.f,
            v.m,
            v.segment,
            v.tier,
            v.signal
        )
    }
}

/// What an RFM run left out: rows dated after `as_of` (`future`) and
/// customers with refunds only (`refund_only`).
#[pyclass(name = "RfmSkipped", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyRfmSkipped(pub Skipped);

#[pymethods]
impl PyRfmSkipped {
    /// Rows dated after `as_of`.
    #[getter]
    fn future(&self) -> u64 {
        self.0.future
    }

    /// Customers with refunds only: nothing to score.
    #[getter]
    fn refund_only(&self) -> u64 {
        self.0.refund_only
    }

    fn __repr__(&self) -> String {
        format!(
            "RfmSkipped(future={}, refund_only={})",
            self.0.future, self.0.refund_only
        )
    }
}

/// The scored customers (ordered by customer id) and what was left out.
///
/// >>> from datetime import datetime, timezone
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> day = lambda d: datetime(2026, 1, d, 12, tzinfo=timezone.utc)
/// >>> result = crm.score_rfm([("ann", day(2), Decimal("50.00")), ("ann", day(20), 25), ("bob", day(10), Decimal("9"))], day(31))
/// >>> ann = result.customers[0]
/// >>> ann.customer, ann.recency_days, ann.frequency, ann.monetary
/// ('ann', 11, 2, Decimal('75.00'))
/// >>> ann.r, ann.f, ann.m, ann.segment, ann.tier, ann.signal
/// (3, 3, 3, 'Need Attention', 'B', 'active')
/// >>> result.skipped
/// RfmSkipped(future=0, refund_only=0)
#[pyclass(name = "RfmResult", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyRfmResult {
    customers: Vec<CustomerValue>,
    skipped: Skipped,
}

#[pymethods]
impl PyRfmResult {
    /// The scored customers, ordered by customer id.
    #[getter]
    fn customers(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let items = self
            .customers
            .iter()
            .map(|c| Py::new(py, PyCustomerValue(c.clone())))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.unbind())
    }

    /// What was left out.
    #[getter]
    fn skipped(&self) -> PyRfmSkipped {
        PyRfmSkipped(self.skipped)
    }

    fn __len__(&self) -> usize {
        self.customers.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "RfmResult(customers={}, skipped=RfmSkipped(future={}, refund_only={}))",
            self.customers.len(),
            self.skipped.future,
            self.skipped.refund_only
        )
    }
}

/// Scores purchases: RFM, segments, tiers and signals as of `as_of`.
///
/// `purchases` is an iterable of `crm.Purchase`, `(customer, at, amount)`
/// tuples or dicts with `customer`, `at` and `amount`: `customer` a `str`,
/// `at` a timezone-aware `datetime`, `amount` a `decimal.Decimal` or `int`
/// (negative: a refund; a `float` is refused). `config` is the RFM
/// configuration (a `str` of JSON or a `Mapping`: `bins`, `ties`, `monetary`,
/// `thresholds`, `segments`, `tiers`, `signals`, `minor_units`, `threads`).
///
/// Raises `crm.ValidationError` naming `purchases[i].amount` (and so on) for
/// bad input, `crm.ConfigError` naming the path for a bad configuration.
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> as_of = datetime(2026, 1, 31, tzinfo=timezone.utc)
/// >>> crm.score_rfm([], as_of)
/// RfmResult(customers=0, skipped=RfmSkipped(future=0, refund_only=0))
#[pyfunction]
#[pyo3(signature = (purchases, as_of, config = None))]
pub fn score_rfm(
    py: Python<'_>,
    purchases: &Bound<'_, PyAny>,
    as_of: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyRfmResult> {
    let rows = purchase_rows(purchases)?;
    let as_of = extract_time("as_of", as_of)?;
    let config = rfm_config(config)?;
    let table = py
        .detach(|| crm::rfm::score(&rows, as_of, &config))
        .map_err(to_py)?;
    Ok(PyRfmResult {
        customers: table.rows(),
        skipped: table.skipped,
    })
}

const PURCHASE_SHAPE: &str =
    "expects a crm.Purchase, a (customer, at, amount) tuple or a dict with customer, at and amount";

fn purchase_rows(purchases: &Bound<'_, PyAny>) -> PyResult<Vec<Purchase>> {
    if purchases.hasattr("__arrow_c_stream__")? {
        return Err(invalid(
            "purchases",
            "is a table; score tables with crm.score_rfm_frame",
        ));
    }
    if purchases.cast::<PyString>().is_ok() || purchases.cast::<PyMapping>().is_ok() {
        return Err(invalid("purchases", "expects an iterable of purchases"));
    }
    let items = purchases
        .try_iter()
        .map_err(|_| invalid("purchases", "expects an iterable of purchases"))?;
    let mut rows = Vec::new();
    for (at, item) in items.enumerate() {
        rows.push(purchase(&item?, at)?);
    }
    Ok(rows)
}

fn purchase(item: &Bound<'_, PyAny>, row: usize) -> PyResult<Purchase> {
    let field = format!("purchases[{row}]");
    if let Ok(purchase) = item.cast::<PyPurchase>() {
        return Ok(purchase.get().0.clone());
    }
    let (customer, at, amount) = if item.cast::<PyTuple>().is_ok() || item.cast::<PyList>().is_ok()
    {
        if item.len()? != 3 {
            return Err(invalid(&field, PURCHASE_SHAPE));
        }
        (item.get_item(0)?, item.get_item(1)?, item.get_item(2)?)
    } else if let Ok(map) = item.cast::<PyMapping>() {
        for key in map.keys()?.iter() {
            let known = key
                .extract::<String>()
                .is_ok_and(|k| matches!(k.as_str(), "customer" | "at" | "amount"));
            if !known {
                return Err(invalid(
                    &field,
                    format!(
                        "has the unknown key {}; expected customer, at, amount",
                        key.repr()?
                    ),
                ));
            }
        }
        let get = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            if map.contains(name)? {
                map.get_item(name)
            } else {
                Err(invalid(&format!("{field}.{name}"), "is required"))
            }
        };
        (get("customer")?, get("at")?, get("amount")?)
    } else {
        return Err(invalid(&field, PURCHASE_SHAPE));
    };
    Ok(Purchase::new(
        text(&format!("{field}.customer"), &customer)?,
        extract_time(&format!("{field}.at"), &at)?,
        extract_decimal(&format!("{field}.amount"), &amount)?,
    ))
}

/// A `str`, or a `crm.ValidationError` on `field`.
pub(crate) fn text(field: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.cast::<PyString>().is_err() {
        return Err(invalid(
            field,
            format!("expects a str, got {}", value.get_type().name()?),
        ));
    }
    value.extract()
}

/// The RFM configuration from a `str` of JSON or a `Mapping`; the default
/// without one.
fn rfm_config(value: Option<&Bound<'_, PyAny>>) -> PyResult<RfmConfig> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(RfmConfig::default());
    };
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else if value.cast::<PyMapping>().is_ok() {
        crate::engine::dumps(value, "rfm")?
    } else {
        return Err(to_py(crm::Error::config(
            "rfm",
            format!(
                "must be a str of JSON or a Mapping, got {}",
                value.get_type().name()?
            ),
        )));
    };
    RfmConfig::from_json(&text).map_err(to_py)
}

// ----- the columnar API ------------------------------------------------------------

use crm::rfm::{SIGNALS, TIERS};
const DAY: i64 = 86_400_000_000;

const META_AS_OF: &str = "crm.rfm.as_of";
const META_MINOR_UNITS: &str = "crm.rfm.minor_units";
const META_FUTURE: &str = "crm.rfm.skipped.future";
const META_REFUND_ONLY: &str = "crm.rfm.skipped.refund_only";

/// Scores a table of purchases: one row per purchase, one row per customer out.
///
/// `data` is anything with the Arrow PyCapsule stream interface
/// (`__arrow_c_stream__`): a pyarrow `Table` or `RecordBatchReader`, a polars
/// or pandas `DataFrame`, a duckdb relation... It is read batch by batch,
/// never as Python objects, and aggregated with the GIL released into one
/// per-customer table: memory grows with the customers, not the rows, and
/// int64 and microsecond timestamp columns are read in place, without a copy.
///
/// Columns (names given by `customer`, `at`, `amount`):
/// - `customer`: integers (any width; int64 out) or strings (str out);
/// - `at`: an Arrow timestamp of any unit, with or without a time zone (a naive
///   one is read as UTC), or a date;
/// - `amount`: with `amount_unit="minor"` (the default) integers in minor
///   units (cents); with `amount_unit="major"` decimals (or integers) in the
///   currency, exactly: more decimal places than `minor_units` are refused.
///   A float column is refused.
///
/// Nulls, a missing column or a column of the wrong type raise
/// `crm.ValidationError` naming the column (and the row: `amount_cents[12]`).
///
/// The result is a table with the customer column (under its own name),
/// `recency_days` (int32), `frequency` (int64), `monetary` (decimal128(38,
/// minor_units)), `first_purchase` (timestamp[us, tz=UTC]), `tenure_days`
/// (int32), `r`, `f`, `m`, `fm` (uint8) and `segment`, `tier`, `signal`
/// (dictionary<int16, string>), ordered by customer; of the kind passed in: a
/// polars `DataFrame` for a polars `DataFrame`, a pandas `DataFrame` for a
/// pandas one, a pyarrow `Table` otherwise. What was left out is in the
/// schema metadata (`crm.rfm.skipped.future`, `crm.rfm.skipped.refund_only`)
/// of a pyarrow `Table` and in `DataFrame.attrs["crm.rfm.skipped"]` of a pandas
/// one. Needs pyarrow (14 or later).
///
/// `threads` (default: the configuration's, 1) aggregates on more threads.
///
/// >>> from datetime import datetime, timezone
/// >>> import pyarrow as pa
/// >>> import crm
/// >>> day = lambda d: datetime(2026, 1, d, 12, tzinfo=timezone.utc)
/// >>> data = pa.table({"customer_id": [7, 7, 9], "ts": [day(2), day(20), day(10)], "amount_cents": [5000, 2500, 900]})
/// >>> scored = crm.score_rfm_frame(data, as_of=day(31))
/// >>> scored.column("customer_id").to_pylist(), scored.column("monetary").to_pylist()
/// ([7, 9], [Decimal('75.00'), Decimal('9.00')])
/// >>> scored.column("segment").to_pylist(), scored.schema.metadata[b"crm.rfm.skipped.future"]
/// (['Need Attention', 'Lost'], b'0')
#[pyfunction]
#[pyo3(signature = (data, *, as_of, customer = "customer_id", at = "ts", amount = "amount_cents", amount_unit = "minor", config = None, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn score_rfm_frame<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    customer: &str,
    at: &str,
    amount: &str,
    amount_unit: &str,
    config: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let pyarrow = need_pyarrow(py, "score_rfm_frame")?;
    let job = Job::new(as_of, amount_unit, config, threads)?;
    let names = Names {
        customer,
        at,
        amount,
    };
    let purchases = read_purchases(py, data, &names, &job)?;
    let batch = py
        .detach(|| {
            let (aggregates, ids, future) = purchases.finish(amount)?;
            let skipped = Skipped {
                future,
                refund_only: 0,
            };
            let table = crm::rfm::score_aggregates(aggregates, skipped, job.as_of, &job.config)?;
            scored_batch(&table, customer, ids.as_ref(), job.as_of)
        })
        .map_err(to_py)?;
    let skipped = skipped_of(&batch);
    let table = to_pyarrow(py, &pyarrow, batch)?;
    callers_kind(py, data, table, skipped)
}

/// Aggregates a partition of purchases (as `score_rfm_frame` reads them) into
/// per-customer partial aggregates, to score later with
/// `crm.score_rfm_aggregates` after gathering the partitions of a distributed
/// job (concatenate them, or pass them as a list).
///
/// Returns a pyarrow `Table`, ordered by customer: the customer column, `first`
/// and `last` (timestamp[us, tz=UTC]: the first and last purchase; null for a
/// customer with refunds only), `purchases`, `refunds` and `monetary_minor`
/// (int64: purchases minus refunds in minor units). Its schema metadata keeps
/// `as_of`, `minor_units` and the rows dated after `as_of`.
///
/// `config` matters only for `minor_units` (with `amount_unit="major"`) and
/// `threads`.
///
/// >>> from datetime import datetime, timezone
/// >>> import pyarrow as pa
/// >>> import crm
/// >>> day = lambda d: datetime(2026, 1, d, 12, tzinfo=timezone.utc)
/// >>> part1 = pa.table({"customer_id": ["ann", "bob"], "ts": [day(2), day(10)], "amount_cents": [5000, 900]})
/// >>> part2 = pa.table({"customer_id": ["ann"], "ts": [day(20)], "amount_cents": [2500]})
/// >>> partials = [crm.rfm_aggregate(part, as_of=day(31)) for part in (part1, part2)]
/// >>> partials[0].column("purchases").to_pylist()
/// [1, 1]
/// >>> scored = crm.score_rfm_aggregates(partials, as_of=day(31))
/// >>> scored.column("customer_id").to_pylist(), scored.column("frequency").to_pylist()
/// (['ann', 'bob'], [2, 1])
#[pyfunction]
#[pyo3(signature = (data, *, as_of, customer = "customer_id", at = "ts", amount = "amount_cents", amount_unit = "minor", config = None, threads = None))]
#[allow(clippy::too_many_arguments)]
pub fn rfm_aggregate<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    customer: &str,
    at: &str,
    amount: &str,
    amount_unit: &str,
    config: Option<&Bound<'py, PyAny>>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let pyarrow = need_pyarrow(py, "rfm_aggregate")?;
    let job = Job::new(as_of, amount_unit, config, threads)?;
    let names = Names {
        customer,
        at,
        amount,
    };
    let purchases = read_purchases(py, data, &names, &job)?;
    let batch = py
        .detach(|| {
            let (aggregates, ids, future) = purchases.finish(amount)?;
            partial_batch(&aggregates, ids.as_ref(), customer, &job, future)
        })
        .map_err(to_py)?;
    to_pyarrow(py, &pyarrow, batch)
}

/// Scores partial aggregates (from `crm.rfm_aggregate` over the partitions of
/// a job): merges the partials of each customer exactly, then scores them as
/// `crm.score_rfm_frame` would have scored all the purchases at once, with the
/// same result table.
///
/// `partials` is one Arrow stream (e.g. the partitions' tables concatenated)
/// or a list of them. The rows dated after `as_of` are counted from each
/// stream's schema metadata (a concatenation keeps only the first table's:
/// pass the list to count them all). Partials aggregated at another `as_of`,
/// or for other `minor_units`, are refused.
#[pyfunction]
#[pyo3(signature = (partials, *, as_of, customer = "customer_id", config = None))]
pub fn score_rfm_aggregates<'py>(
    py: Python<'py>,
    partials: &Bound<'py, PyAny>,
    as_of: &Bound<'py, PyAny>,
    customer: &str,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let pyarrow = need_pyarrow(py, "score_rfm_aggregates")?;
    let job = Job::new(as_of, "minor", config, None)?;
    let streams: Vec<(String, Bound<'py, PyAny>)> = if partials.hasattr("__arrow_c_stream__")? {
        vec![(String::new(), partials.clone())]
    } else if (partials.cast::<PyList>().is_ok() || partials.cast::<PyTuple>().is_ok())
        && partials.len()? > 0
    {
        partials
            .try_iter()?
            .enumerate()
            .map(|(i, p)| p.map(|p| (format!("partials[{i}]."), p)))
            .collect::<PyResult<_>>()?
    } else {
        return Err(invalid(
            "partials",
            format!(
                "expects a table of partial aggregates (from crm.rfm_aggregate) or a non-empty list of them, got {}",
                partials.get_type().name()?
            ),
        ));
    };
    let mut merged: Option<Partials> = None;
    for (prefix, stream) in &streams {
        let mut reader = open_stream(
            py,
            stream,
            if prefix.is_empty() {
                "partials"
            } else {
                prefix.trim_end_matches('.')
            },
        )?;
        let schema = reader.schema();
        check_metadata(&schema, prefix, &job)?;
        let columns = PartialColumns::find(&schema, customer, prefix).map_err(to_py)?;
        let customer_type = schema.field(columns.customer).data_type();
        let customer_field = format!("{prefix}{customer}");
        match &merged {
            Some(state) => state
                .ids
                .check_same(customer_type, &customer_field)
                .map_err(to_py)?,
            None => {
                let ids = Ids::for_type(customer_type, &customer_field).map_err(to_py)?;
                merged = Some(Partials::new(ids));
            }
        }
        let state = merged.as_mut().expect("set just above");
        state.future += future_of(&schema);
        let mut offset = 0;
        while let Some(batch) = next_batch(&mut reader)? {
            let rows = batch.num_rows();
            py.detach(|| state.add(&batch, &columns, prefix, offset))
                .map_err(to_py)?;
            offset += rows;
        }
    }
    let merged = merged.expect("at least one stream was read");
    let batch = py
        .detach(|| {
            let (table, ids) = merged.score(job.as_of, &job.config)?;
            scored_batch(&table, customer, ids.as_ref(), job.as_of)
        })
        .map_err(to_py)?;
    let skipped = skipped_of(&batch);
    let table = to_pyarrow(py, &pyarrow, batch)?;
    callers_kind(py, &streams[0].1, table, skipped)
}

/// What one columnar call was asked.
struct Job {
    as_of: DateTime<Utc>,
    unit: Unit,
    config: RfmConfig,
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Minor,
    Major,
}

impl Job {
    fn new(
        as_of: &Bound<'_, PyAny>,
        amount_unit: &str,
        config: Option<&Bound<'_, PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let as_of = extract_time("as_of", as_of)?;
        let unit = match amount_unit {
            "minor" => Unit::Minor,
            "major" => Unit::Major,
            _ => {
                return Err(to_py(
                    crm::Error::invalid("amount_unit", "must be \"minor\" or \"major\"")
                        .with_value(amount_unit),
                ));
            }
        };
        let mut config = rfm_config(config)?;
        if let Some(threads) = threads {
            if threads == 0 {
                return Err(invalid("threads", "must be at least 1"));
            }
            config.threads = threads;
        }
        Ok(Job {
            as_of,
            unit,
            config,
        })
    }

    fn as_of_micros(&self) -> i64 {
        self.as_of.timestamp_micros()
    }
}

/// The names of the purchase columns.
struct Names<'a> {
    customer: &'a str,
    at: &'a str,
    amount: &'a str,
}

pub(crate) fn need_pyarrow<'py>(py: Python<'py>, function: &str) -> PyResult<Bound<'py, PyAny>> {
    let missing = || {
        PyImportError::new_err(format!(
            "crm.{function} needs pyarrow 14 or later (pip install 'pyarrow>=14')"
        ))
    };
    let pyarrow = py.import("pyarrow").map_err(|_| missing())?;
    let version: String = pyarrow.getattr("__version__")?.extract()?;
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 14 {
        return Err(missing());
    }
    Ok(pyarrow.into_any())
}

/// An Arrow stream reader over `data`; pandas without the PyCapsule
/// interface (before 2.2) goes through `pyarrow.Table.from_pandas`.
pub(crate) fn open_stream(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    field: &str,
) -> PyResult<Box<dyn RecordBatchReader + Send>> {
    let data = if !data.hasattr("__arrow_c_stream__")? && module_of(data)?.starts_with("pandas") {
        let kwargs = PyDict::new(py);
        kwargs.set_item("preserve_index", false)?;
        py.import("pyarrow")?.getattr("Table")?.call_method(
            "from_pandas",
            (data,),
            Some(&kwargs),
        )?
    } else {
        data.clone()
    };
    if !data.hasattr("__arrow_c_stream__")? {
        return Err(invalid(
            field,
            format!(
                "expects a table with the Arrow PyCapsule stream interface (__arrow_c_stream__: pyarrow, polars, pandas, duckdb, ...), got {}",
                data.get_type().name()?
            ),
        ));
    }
    data.extract::<PyRecordBatchReader>()?.into_reader()
}

/// The next batch. Pulled with the GIL held: a stream may call back into
/// Python (a pyarrow reader over a generator does).
pub(crate) fn next_batch(
    reader: &mut Box<dyn RecordBatchReader + Send>,
) -> PyResult<Option<RecordBatch>> {
    match reader.next() {
        None => Ok(None),
        Some(Ok(batch)) => Ok(Some(batch)),
        Some(Err(err)) => Err(pyo3_arrow::error::PyArrowError::from(err).into()),
    }
}

pub(crate) fn module_of(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(value.get_type().module()?.to_string())
}

/// Reads every batch of purchases into one aggregator.
fn read_purchases(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    names: &Names<'_>,
    job: &Job,
) -> PyResult<Purchases> {
    let mut reader = open_stream(py, data, "data")?;
    let schema = reader.schema();
    let columns = PurchaseColumns::find(&schema, names, job.unit).map_err(to_py)?;
    let ids =
        Ids::for_type(schema.field(columns.customer).data_type(), names.customer).map_err(to_py)?;
    let mut purchases = Purchases::new(ids, job).map_err(to_py)?;
    let mut offset = 0;
    while let Some(batch) = next_batch(&mut reader)? {
        let rows = batch.num_rows();
        py.detach(|| purchases.add(&batch, &columns, names, job, offset))
            .map_err(to_py)?;
        offset += rows;
    }
    Ok(purchases)
}

/// The positions of the purchase columns, their types checked.
struct PurchaseColumns {
    customer: usize,
    at: usize,
    amount: usize,
}

impl PurchaseColumns {
    fn find(schema: &Schema, names: &Names<'_>, unit: Unit) -> crm::Result<Self> {
        let columns = PurchaseColumns {
            customer: column(schema, names.customer)?,
            at: column(schema, names.at)?,
            amount: column(schema, names.amount)?,
        };
        check_time_type(schema.field(columns.at).data_type(), names.at)?;
        check_amount_type(schema.field(columns.amount).data_type(), names.amount, unit)?;
        Ok(columns)
    }
}

/// The positions of the partial aggregates' columns.
struct PartialColumns {
    customer: usize,
    first: usize,
    last: usize,
    purchases: usize,
    refunds: usize,
    monetary: usize,
}

impl PartialColumns {
    fn find(schema: &Schema, customer: &str, prefix: &str) -> crm::Result<Self> {
        let find =
            |name: &str| column(schema, name).map_err(|e| e.in_field(&format!("{prefix}{name}")));
        let columns = PartialColumns {
            customer: find(customer)?,
            first: find("first")?,
            last: find("last")?,
            purchases: find("purchases")?,
            refunds: find("refunds")?,
            monetary: find("monetary_minor")?,
        };
        for (at, name) in [(columns.first, "first"), (columns.last, "last")] {
            check_time_type(schema.field(at).data_type(), &format!("{prefix}{name}"))?;
        }
        for (at, name) in [
            (columns.purchases, "purchases"),
            (columns.refunds, "refunds"),
            (columns.monetary, "monetary_minor"),
        ] {
            let data_type = schema.field(at).data_type();
            if !is_int(data_type) {
                return Err(crm::Error::invalid(
                    format!("{prefix}{name}"),
                    format!("is a column of {data_type}; expects integers"),
                ));
            }
        }
        Ok(columns)
    }
}

fn column(schema: &Schema, name: &str) -> crm::Result<usize> {
    schema.index_of(name).map_err(|_| {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        crm::Error::invalid(
            name,
            format!(
                "is not a column of the table (its columns: {})",
                names.join(", ")
            ),
        )
    })
}

fn check_time_type(data_type: &DataType, field: &str) -> crm::Result<()> {
    match data_type {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => Ok(()),
        other => Err(crm::Error::invalid(
            field,
            format!(
                "is a column of {other}; expects timestamps (any unit, naive ones are UTC) or dates"
            ),
        )),
    }
}

pub(crate) fn is_int(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

fn check_amount_type(data_type: &DataType, field: &str, unit: Unit) -> crm::Result<()> {
    match (data_type, unit) {
        (t, _) if is_int(t) => Ok(()),
        (DataType::Float16 | DataType::Float32 | DataType::Float64, _) => Err(crm::Error::invalid(
            field,
            format!(
                "is a float column ({data_type}); floats cannot hold money exactly: pass integer minor units (amount_unit=\"minor\") or decimals (amount_unit=\"major\")"
            ),
        )),
        (
            DataType::Decimal32(_, _) | DataType::Decimal64(_, _) | DataType::Decimal128(_, _),
            Unit::Major,
        ) => Ok(()),
        (
            DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _),
            Unit::Minor,
        ) => Err(crm::Error::invalid(
            field,
            format!(
                "is a decimal column ({data_type}) of amounts in the currency: pass amount_unit=\"major\""
            ),
        )),
        (DataType::Decimal256(_, _), Unit::Major) => Err(crm::Error::invalid(
            field,
            "is a decimal256 column; cast it to decimal128",
        )),
        (other, _) => Err(crm::Error::invalid(
            field,
            format!(
                "is a column of {other}; expects integer minor units (amount_unit=\"minor\") or decimals (amount_unit=\"major\")"
            ),
        )),
    }
}

pub(crate) fn row_field(field: &str, row: usize) -> String {
    format!("{field}[{row}]")
}

/// An error if `array` has a null; naming its first row.
fn no_nulls(array: &dyn Array, field: &str, offset: usize) -> crm::Result<()> {
    if array.null_count() == 0 {
        return Ok(());
    }
    let row = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
    Err(crm::Error::invalid(
        row_field(field, offset + row),
        "is null",
    ))
}

/// Refills `buf` from `values`, converting each: the buffer's allocation is
/// kept from one batch to the next.
fn refill<'a, T: Copy>(
    buf: &'a mut Vec<i64>,
    values: &[T],
    convert: impl Fn(T) -> i64,
) -> &'a [i64] {
    buf.clear();
    buf.extend(values.iter().map(|v| convert(*v)));
    buf
}

/// Like [`refill`], for a conversion that can fail at a row.
fn try_refill<'a, T: Copy>(
    buf: &'a mut Vec<i64>,
    values: &[T],
    convert: impl Fn(usize, T) -> crm::Result<i64>,
) -> crm::Result<&'a [i64]> {
    buf.clear();
    buf.reserve(values.len());
    for (i, v) in values.iter().enumerate() {
        buf.push(convert(i, *v)?);
    }
    Ok(buf)
}

/// Integers as i64: an int64 column's own values (no copy), other widths
/// converted into `buf`.
pub(crate) fn ints<'a>(
    array: &'a ArrayRef,
    field: &str,
    offset: usize,
    buf: &'a mut Vec<i64>,
) -> crm::Result<&'a [i64]> {
    no_nulls(array, field, offset)?;
    Ok(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().values(),
        DataType::Int32 => refill(buf, array.as_primitive::<Int32Type>().values(), i64::from),
        DataType::Int16 => refill(buf, array.as_primitive::<Int16Type>().values(), i64::from),
        DataType::Int8 => refill(buf, array.as_primitive::<Int8Type>().values(), i64::from),
        DataType::UInt32 => refill(buf, array.as_primitive::<UInt32Type>().values(), i64::from),
        DataType::UInt16 => refill(buf, array.as_primitive::<UInt16Type>().values(), i64::from),
        DataType::UInt8 => refill(buf, array.as_primitive::<UInt8Type>().values(), i64::from),
        DataType::UInt64 => {
            try_refill(buf, array.as_primitive::<UInt64Type>().values(), |i, v| {
                i64::try_from(v).map_err(|_| {
                    crm::Error::invalid(row_field(field, offset + i), "is too large for int64")
                        .with_value(v)
                })
            })?
        }
        other => {
            return Err(crm::Error::invalid(
                field,
                format!("is a column of {other}; expects integers"),
            ));
        }
    })
}

/// Scales each value by `factor` into `buf`, naming the row that overflows
/// (null slots hold 0).
fn scaled<'a, T: Copy + Into<i64>>(
    buf: &'a mut Vec<i64>,
    values: &[T],
    factor: i64,
    field: &str,
    offset: usize,
    nulls: Option<&NullBuffer>,
) -> crm::Result<&'a [i64]> {
    try_refill(buf, values, |i, v| {
        let v: i64 = v.into();
        if nulls.is_some_and(|n| n.is_null(i)) {
            return Ok(0);
        }
        v.checked_mul(factor).ok_or_else(|| {
            crm::Error::invalid(row_field(field, offset + i), "is out of range").with_value(v)
        })
    })
}

/// Times as microseconds since 1970 (UTC): a naive timestamp is read as UTC,
/// a date as its midnight. Microseconds are the column's own values (no
/// copy); other units are converted into `buf`. Nanoseconds round down,
/// except that a time after `as_of` stays after it. Nulls are refused unless
/// `nullable` (their slots then hold anything).
pub(crate) fn micros<'a>(
    array: &'a ArrayRef,
    field: &str,
    offset: usize,
    as_of: i64,
    nullable: bool,
    buf: &'a mut Vec<i64>,
) -> crm::Result<&'a [i64]> {
    if !nullable {
        no_nulls(array, field, offset)?;
    }
    let nulls = array.nulls();
    Ok(match array.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => scaled(
            buf,
            array.as_primitive::<TimestampMillisecondType>().values(),
            1_000,
            field,
            offset,
            nulls,
        )?,
        DataType::Timestamp(TimeUnit::Second, _) => scaled(
            buf,
            array.as_primitive::<TimestampSecondType>().values(),
            1_000_000,
            field,
            offset,
            nulls,
        )?,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => refill(
            buf,
            array.as_primitive::<TimestampNanosecondType>().values(),
            |ns| {
                let (us, rest) = (ns.div_euclid(1_000), ns.rem_euclid(1_000));
                if us == as_of && rest > 0 { us + 1 } else { us }
            },
        ),
        DataType::Date32 => scaled(
            buf,
            array.as_primitive::<Date32Type>().values(),
            DAY,
            field,
            offset,
            nulls,
        )?,
        DataType::Date64 => scaled(
            buf,
            array.as_primitive::<Date64Type>().values(),
            1_000,
            field,
            offset,
            nulls,
        )?,
        other => {
            return Err(crm::Error::invalid(
                field,
                format!("is a column of {other}; expects timestamps or dates"),
            ));
        }
    })
}

/// Amounts in minor units: integers as they are (`minor`: an int64 column's
/// own values, no copy) or times `10^minor_units` (`major`); decimals
/// exactly, refusing a value with more decimal places than `minor_units`.
/// What needs converting is converted into `buf`.
fn minor<'a>(
    array: &'a ArrayRef,
    field: &str,
    offset: usize,
    unit: Unit,
    minor_units: u32,
    buf: &'a mut Vec<i64>,
) -> crm::Result<&'a [i64]> {
    check_amount_type(array.data_type(), field, unit)?;
    if is_int(array.data_type()) {
        return match unit {
            Unit::Minor => ints(array, field, offset, buf),
            Unit::Major => {
                // Integers in the currency (rare): widened first when narrower.
                let mut widened = Vec::new();
                let values = ints(array, field, offset, &mut widened)?;
                scaled(buf, values, 10i64.pow(minor_units), field, offset, None)
            }
        };
    }
    no_nulls(array, field, offset)?;
    match array.data_type() {
        DataType::Decimal128(_, scale) => decimals(
            buf,
            array.as_primitive::<Decimal128Type>().values(),
            *scale,
            field,
            offset,
            minor_units,
        ),
        DataType::Decimal64(_, scale) => decimals(
            buf,
            array.as_primitive::<Decimal64Type>().values(),
            *scale,
            field,
            offset,
            minor_units,
        ),
        DataType::Decimal32(_, scale) => decimals(
            buf,
            array.as_primitive::<Decimal32Type>().values(),
            *scale,
            field,
            offset,
            minor_units,
        ),
        _ => unreachable!("check_amount_type let only integers and decimals through"),
    }
}

/// Decimals of `scale` as exact minor units into `buf`.
fn decimals<'a, T: Copy + Into<i128>>(
    buf: &'a mut Vec<i64>,
    values: &[T],
    scale: i8,
    field: &str,
    offset: usize,
    minor_units: u32,
) -> crm::Result<&'a [i64]> {
    let shift = i32::try_from(minor_units).unwrap_or(i32::MAX) - i32::from(scale);
    let factor = if shift >= 0 {
        10i128.checked_pow(shift as u32)
    } else {
        None
    };
    let divisor = if shift < 0 {
        10i128.checked_pow((-shift) as u32)
    } else {
        None
    };
    try_refill(buf, values, |i, v| {
        let v: i128 = v.into();
        let at = || row_field(field, offset + i);
        let too_precise = || {
            crm::Error::invalid(at(), format!("has more than {minor_units} decimal places"))
                .with_value(show_decimal(v, scale))
        };
        let exact = if shift >= 0 {
            factor.and_then(|f| v.checked_mul(f))
        } else {
            match divisor {
                Some(d) if v % d != 0 => return Err(too_precise()),
                Some(d) => Some(v / d),
                None if v == 0 => Some(0),
                None => return Err(too_precise()),
            }
        };
        exact.and_then(|m| i64::try_from(m).ok()).ok_or_else(|| {
            crm::Error::invalid(at(), "is too large for 64-bit minor units")
                .with_value(show_decimal(v, scale))
        })
    })
}

/// A decimal's text from its unscaled value and scale.
fn show_decimal(value: i128, scale: i8) -> String {
    if scale <= 0 {
        return format!("{value}{}", "0".repeat(usize::from(scale.unsigned_abs())));
    }
    let digits = value.unsigned_abs().to_string();
    let scale = usize::from(scale.unsigned_abs());
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{whole}.{fraction}")
}

/// A fast hasher for integer keys (FxHash's multiply-rotate).
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word: [u8; 8] = chunk.try_into().expect("chunks of 8 bytes");
            self.write_u64(u64::from_le_bytes(word));
        }
        for byte in chunks.remainder() {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;
type NameMap = HashMap<Box<str>, i64, BuildHasherDefault<IdHasher>>;

/// Customer ids as the core takes them (i64): integers as they are, strings
/// numbered as they come and renumbered in sorted order at the end (so ties
/// broken by id break as the row API breaks them).
enum Ids {
    Ints,
    Text { numbers: NameMap, large: bool },
}

/// String ids in sorted order, by number.
struct SortedNames {
    names: Vec<Box<str>>,
    large: bool,
}

pub(crate) fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

impl Ids {
    fn for_type(data_type: &DataType, field: &str) -> crm::Result<Self> {
        let text = match data_type {
            t if is_int(t) => false,
            t if is_text(t) => true,
            DataType::Dictionary(_, values) if is_text(values) => true,
            other => {
                return Err(crm::Error::invalid(
                    field,
                    format!("is a column of {other}; expects integer or string customer ids"),
                ));
            }
        };
        Ok(if text {
            Ids::Text {
                numbers: NameMap::default(),
                large: matches!(data_type, DataType::LargeUtf8),
            }
        } else {
            Ids::Ints
        })
    }

    /// Another stream's customer column must hold the same kind of ids.
    fn check_same(&self, data_type: &DataType, field: &str) -> crm::Result<()> {
        let other = Ids::for_type(data_type, field)?;
        if matches!(self, Ids::Ints) == matches!(other, Ids::Ints) {
            Ok(())
        } else {
            Err(crm::Error::invalid(
                field,
                "holds other ids than the first table's (integers and strings do not mix)",
            ))
        }
    }

    fn number(numbers: &mut NameMap, name: &str) -> i64 {
        if let Some(n) = numbers.get(name) {
            return *n;
        }
        let n = numbers.len() as i64;
        numbers.insert(name.into(), n);
        n
    }

    /// The ids of a batch as i64: an int64 column's own values (no copy),
    /// anything else converted into `buf`.
    fn of<'a>(
        &mut self,
        array: &'a ArrayRef,
        field: &str,
        offset: usize,
        buf: &'a mut Vec<i64>,
    ) -> crm::Result<&'a [i64]> {
        let Ids::Text { numbers, .. } = self else {
            return ints(array, field, offset, buf);
        };
        buf.clear();
        buf.reserve(array.len());
        match array.data_type() {
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let keys = dict.keys();
                no_nulls(keys, field, offset)?;
                let values = dict.values();
                // Dictionary entries numbered when first used.
                let mut mapped = vec![-1i64; values.len()];
                for (i, key) in dict.normalized_keys().into_iter().enumerate() {
                    if mapped[key] < 0 {
                        if values.is_null(key) {
                            return Err(crm::Error::invalid(
                                row_field(field, offset + i),
                                "is null",
                            ));
                        }
                        mapped[key] = Self::number(numbers, text_at(values, key));
                    }
                    buf.push(mapped[key]);
                }
            }
            _ => {
                no_nulls(array, field, offset)?;
                match array.data_type() {
                    DataType::Utf8 => {
                        for s in array.as_string::<i32>().iter() {
                            buf.push(Self::number(numbers, s.unwrap_or_default()));
                        }
                    }
                    DataType::LargeUtf8 => {
                        for s in array.as_string::<i64>().iter() {
                            buf.push(Self::number(numbers, s.unwrap_or_default()));
                        }
                    }
                    DataType::Utf8View => {
                        for s in array.as_string_view().iter() {
                            buf.push(Self::number(numbers, s.unwrap_or_default()));
                        }
                    }
                    other => {
                        return Err(crm::Error::invalid(
                            field,
                            format!(
                                "is a column of {other}; expects integer or string customer ids"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(buf)
    }

    /// Renumbers the aggregates' customers in the names' sorted order.
    fn finish(self, aggregates: &mut [Aggregate]) -> Option<SortedNames> {
        let Ids::Text { numbers, large } = self else {
            return None;
        };
        let mut entries: Vec<(Box<str>, i64)> = numbers.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut rank = vec![0i64; entries.len()];
        for (position, (_, number)) in entries.iter().enumerate() {
            rank[*number as usize] = position as i64;
        }
        for aggregate in aggregates.iter_mut() {
            aggregate.customer = rank[aggregate.customer as usize];
        }
        Some(SortedNames {
            names: entries.into_iter().map(|(name, _)| name).collect(),
            large,
        })
    }
}

fn text_at(values: &ArrayRef, i: usize) -> &str {
    match values.data_type() {
        DataType::Utf8 => values.as_string::<i32>().value(i),
        DataType::LargeUtf8 => values.as_string::<i64>().value(i),
        DataType::Utf8View => values.as_string_view().value(i),
        _ => unreachable!("Ids::for_type let only string dictionaries through"),
    }
}

/// Purchases read batch by batch into one [`Aggregator`]: one per-customer
/// table kept across the batches (memory grows with the customers, not the
/// rows). A batch goes in as its own int64 buffers where it can, converted
/// into buffers reused from batch to batch where it must.
///
/// Two kinds of rows are copied and held back instead, in one bounded buffer:
/// - the first rows, until they are enough for the ids they span (or
///   `WARM_UP_CAP` of them): the aggregator picks its id-indexed table only
///   when the ids span at most a few times the rows it has seen, and a stream
///   of small batches of a large customer base (a Parquet file in time order)
///   would otherwise make it pick a hash map for good at the first batch
///   (ids too sparse for any warm-up go at once);
/// - batches under `DIRECT` rows: gathered to `GATHER` rows so that the
///   aggregator's threads have work and its per-call cost is paid rarely.
struct Purchases {
    ids: Ids,
    aggregator: Aggregator,
    /// Conversion buffers: customers, times, amounts.
    buffers: [Vec<i64>; 3],
    held: Held,
    /// Whether the aggregator has been given its first rows.
    warm: bool,
}

/// Rows copied and held back for the aggregator, and the ids they span.
#[derive(Default)]
struct Held {
    customers: Vec<i64>,
    at: Vec<i64>,
    amounts: Vec<i64>,
    lo: i64,
    hi: i64,
}

/// Rows the first call to the aggregator gets at most (24 bytes a row).
const WARM_UP_CAP: usize = 1 << 22;
/// Batches of at least this many rows go to the aggregator as they are.
const DIRECT: usize = 1 << 16;
/// Rows of smaller batches gathered before a call to the aggregator.
const GATHER: usize = 1 << 20;

impl Held {
    fn extend(&mut self, customers: &[i64], at: &[i64], amounts: &[i64]) {
        if let (Some(lo), Some(hi)) = (customers.iter().min(), customers.iter().max()) {
            if self.customers.is_empty() {
                (self.lo, self.hi) = (*lo, *hi);
            } else {
                (self.lo, self.hi) = (self.lo.min(*lo), self.hi.max(*hi));
            }
        }
        self.customers.extend_from_slice(customers);
        self.at.extend_from_slice(at);
        self.amounts.extend_from_slice(amounts);
    }

    /// Whether the held rows should go to the aggregator as its first: they
    /// are enough for the ids they span (one row per four ids or more: the
    /// aggregator's rule for its table, with room to spare), or as many as are
    /// held at most, or the ids span more than that many rows could ever
    /// cover (sparse ids: hashed whatever comes).
    fn ready_to_warm_up(&self) -> bool {
        let rows = self.customers.len();
        let span = i128::from(self.hi) - i128::from(self.lo) + 1;
        rows >= WARM_UP_CAP || 4 * rows as i128 >= span || span > 4 * WARM_UP_CAP as i128
    }
}

impl Purchases {
    fn new(ids: Ids, job: &Job) -> crm::Result<Self> {
        Ok(Purchases {
            ids,
            aggregator: Aggregator::new(job.as_of_micros(), job.config.threads)?,
            buffers: [Vec::new(), Vec::new(), Vec::new()],
            held: Held::default(),
            warm: false,
        })
    }

    fn add(
        &mut self,
        batch: &RecordBatch,
        columns: &PurchaseColumns,
        names: &Names<'_>,
        job: &Job,
        offset: usize,
    ) -> crm::Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let [customer_buf, at_buf, amount_buf] = &mut self.buffers;
        let customers = self.ids.of(
            batch.column(columns.customer),
            names.customer,
            offset,
            customer_buf,
        )?;
        let at = micros(
            batch.column(columns.at),
            names.at,
            offset,
            job.as_of_micros(),
            false,
            at_buf,
        )?;
        let amounts = minor(
            batch.column(columns.amount),
            names.amount,
            offset,
            job.unit,
            job.config.minor_units,
            amount_buf,
        )?;
        if self.warm && customers.len() >= DIRECT {
            return self.aggregator.add(customers, at, amounts);
        }
        self.held.extend(customers, at, amounts);
        let rows = self.held.customers.len();
        let ready = if self.warm {
            rows >= GATHER
        } else {
            self.held.ready_to_warm_up()
        };
        if ready {
            self.flush()?;
        }
        Ok(())
    }

    /// Gives the held rows to the aggregator (the buffer is kept for reuse).
    fn flush(&mut self) -> crm::Result<()> {
        let held = &mut self.held;
        self.aggregator
            .add(&held.customers, &held.at, &held.amounts)?;
        held.customers.clear();
        held.at.clear();
        held.amounts.clear();
        self.warm = true;
        Ok(())
    }

    /// The aggregates, ordered by customer (strings renumbered in sorted
    /// order), the names, and the rows dated after `as_of`. A customer's
    /// total that does not fit in 64 bits is an error on the amount column.
    fn finish(mut self, amount: &str) -> crm::Result<(Vec<Aggregate>, Option<SortedNames>, u64)> {
        if !self.held.customers.is_empty() {
            self.flush()?;
        }
        let (mut aggregates, skipped) = self.aggregator.finish().map_err(|e| e.in_field(amount))?;
        let names = self.ids.finish(&mut aggregates);
        if names.is_some() {
            aggregates.sort_unstable_by_key(|a| a.customer);
        }
        Ok((aggregates, names, skipped.future))
    }
}

/// Partial aggregates (from `rfm_aggregate`) merged per customer.
struct Partials {
    ids: Ids,
    aggregates: IdMap<Aggregate>,
    future: u64,
}

impl Partials {
    fn new(ids: Ids) -> Self {
        Partials {
            ids,
            aggregates: IdMap::default(),
            future: 0,
        }
    }

    /// Merges one aggregate into the set (`Aggregate::merge`), refusing a
    /// total that no longer fits in 64 bits instead of saturating.
    fn absorb(&mut self, aggregate: Aggregate, field: &str) -> crm::Result<()> {
        match self.aggregates.entry(aggregate.customer) {
            Entry::Vacant(slot) => {
                slot.insert(aggregate);
            }
            Entry::Occupied(mut slot) => {
                if !slot.get_mut().merge(&aggregate) {
                    return Err(crm::Error::invalid(
                        field,
                        "a customer's total does not fit in 64-bit minor units",
                    ));
                }
            }
        }
        Ok(())
    }

    fn add(
        &mut self,
        batch: &RecordBatch,
        columns: &PartialColumns,
        prefix: &str,
        offset: usize,
    ) -> crm::Result<()> {
        let name = |at: usize| format!("{prefix}{}", batch.schema_ref().field(at).name());
        let mut buffers: [Vec<i64>; 4] = Default::default();
        let [customer_buf, purchase_buf, refund_buf, money_buf] = &mut buffers;
        let customers = self.ids.of(
            batch.column(columns.customer),
            &name(columns.customer),
            offset,
            customer_buf,
        )?;
        let purchases = ints(
            batch.column(columns.purchases),
            &name(columns.purchases),
            offset,
            purchase_buf,
        )?;
        let refunds = ints(
            batch.column(columns.refunds),
            &name(columns.refunds),
            offset,
            refund_buf,
        )?;
        let monetary = ints(
            batch.column(columns.monetary),
            &name(columns.monetary),
            offset,
            money_buf,
        )?;
        // First and last: null (or anything) for a customer with no purchase.
        let times = |at: usize, none: i64| -> crm::Result<Vec<i64>> {
            let array = batch.column(at);
            let field = name(at);
            let mut buf = Vec::new();
            let mut out = micros(array, &field, offset, i64::MAX, true, &mut buf)?.to_vec();
            for (i, time) in out.iter_mut().enumerate() {
                if purchases[i] == 0 {
                    *time = none;
                } else if array.is_null(i) {
                    return Err(crm::Error::invalid(
                        row_field(&field, offset + i),
                        "is null for a customer with purchases",
                    ));
                }
            }
            Ok(out)
        };
        let first = times(columns.first, i64::MAX)?;
        let last = times(columns.last, i64::MIN)?;
        let money_field = name(columns.monetary);
        for i in 0..batch.num_rows() {
            let count = |v: i64, at: usize| {
                u64::try_from(v).map_err(|_| {
                    crm::Error::invalid(row_field(&name(at), offset + i), "must be zero or more")
                        .with_value(v)
                })
            };
            let aggregate = Aggregate {
                customer: customers[i],
                first: first[i],
                last: last[i],
                purchases: count(purchases[i], columns.purchases)?,
                refunds: count(refunds[i], columns.refunds)?,
                monetary: monetary[i],
            };
            self.absorb(aggregate, &money_field)?;
        }
        Ok(())
    }

    fn score(
        self,
        as_of: DateTime<Utc>,
        config: &RfmConfig,
    ) -> crm::Result<(RfmTable, Option<SortedNames>)> {
        let mut aggregates: Vec<Aggregate> = self.aggregates.into_values().collect();
        let names = self.ids.finish(&mut aggregates);
        aggregates.sort_unstable_by_key(|a| a.customer);
        let skipped = Skipped {
            future: self.future,
            refund_only: 0,
        };
        let table = crm::rfm::score_aggregates(aggregates, skipped, as_of, config)?;
        Ok((table, names))
    }
}

/// The partials' schema metadata must agree with this job: the same `as_of`
/// and `minor_units`. Their count of rows after `as_of` is added up.
fn check_metadata(schema: &Schema, prefix: &str, job: &Job) -> PyResult<()> {
    let meta = schema.metadata();
    if let Some(as_of) = meta.get(META_AS_OF) {
        let theirs = DateTime::parse_from_rfc3339(as_of).map(|t| t.with_timezone(&Utc));
        if theirs.ok() != Some(job.as_of) {
            return Err(to_py(
                crm::Error::invalid(
                    "as_of",
                    format!(
                        "differs from the as_of the {}partials were aggregated at",
                        prefix
                    ),
                )
                .with_value(as_of),
            ));
        }
    }
    if let Some(units) = meta.get(META_MINOR_UNITS) {
        if units.parse::<u32>().ok() != Some(job.config.minor_units) {
            return Err(to_py(crm::Error::config(
                "rfm.minor_units",
                format!(
                    "is {} but the {}partials were aggregated with {units}",
                    job.config.minor_units, prefix
                ),
            )));
        }
    }
    Ok(())
}

fn future_of(schema: &Schema) -> u64 {
    schema
        .metadata()
        .get(META_FUTURE)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

fn customer_column(customers: &[i64], names: Option<&SortedNames>) -> (ArrayRef, DataType) {
    match names {
        None => (
            Arc::new(Int64Array::from(customers.to_vec())),
            DataType::Int64,
        ),
        Some(sorted) => {
            let of = |c: &i64| -> &str { &sorted.names[*c as usize] };
            let bytes: usize = customers.iter().map(|c| of(c).len()).sum();
            if sorted.large || bytes > i32::MAX as usize {
                (
                    Arc::new(LargeStringArray::from_iter_values(customers.iter().map(of))),
                    DataType::LargeUtf8,
                )
            } else {
                (
                    Arc::new(StringArray::from_iter_values(customers.iter().map(of))),
                    DataType::Utf8,
                )
            }
        }
    }
}

pub(crate) fn arrow_err(err: ArrowError) -> crm::Error {
    crm::Error::invalid("data", err.to_string())
}

pub(crate) fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn dictionary(codes: impl Iterator<Item = i16>, values: &[&str]) -> crm::Result<ArrayRef> {
    let keys = Int16Array::from_iter_values(codes);
    let values: ArrayRef = Arc::new(StringArray::from_iter_values(values.iter().copied()));
    Ok(Arc::new(
        DictionaryArray::<Int16Type>::try_new(keys, values).map_err(arrow_err)?,
    ))
}

fn days(values: &[i64]) -> Int32Array {
    // Days between two times of an i64 of microseconds always fit in 32 bits.
    Int32Array::from_iter_values(values.iter().map(|d| i32::try_from(*d).unwrap_or(i32::MAX)))
}

/// The scored table as one record batch.
fn scored_batch(
    table: &RfmTable,
    customer: &str,
    names: Option<&SortedNames>,
    as_of: DateTime<Utc>,
) -> crm::Result<RecordBatch> {
    let (customers, customer_type) = customer_column(&table.customer, names);
    let segment_names: Vec<&str> = table.segment_names.iter().map(String::as_str).collect();
    if segment_names.len() > i16::MAX as usize {
        return Err(crm::Error::config("rfm.segments", "too many segments"));
    }
    let label = || DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8));
    let fields = vec![
        Field::new(customer, customer_type, false),
        Field::new("recency_days", DataType::Int32, false),
        Field::new("frequency", DataType::Int64, false),
        Field::new(
            "monetary",
            DataType::Decimal128(38, table.minor_units as i8),
            false,
        ),
        Field::new("first_purchase", utc_micros(), false),
        Field::new("tenure_days", DataType::Int32, false),
        Field::new("r", DataType::UInt8, false),
        Field::new("f", DataType::UInt8, false),
        Field::new("m", DataType::UInt8, false),
        Field::new("fm", DataType::UInt8, false),
        Field::new("segment", label(), false),
        Field::new("tier", label(), false),
        Field::new("signal", label(), false),
    ];
    let metadata = HashMap::from([
        (META_AS_OF.to_string(), stamp(as_of)),
        (META_MINOR_UNITS.to_string(), table.minor_units.to_string()),
        (META_FUTURE.to_string(), table.skipped.future.to_string()),
        (
            META_REFUND_ONLY.to_string(),
            table.skipped.refund_only.to_string(),
        ),
    ]);
    let schema: SchemaRef = Arc::new(Schema::new_with_metadata(fields, metadata));
    let monetary =
        Decimal128Array::from_iter_values(table.monetary_minor.iter().map(|m| i128::from(*m)))
            .with_precision_and_scale(38, table.minor_units as i8)
            .map_err(arrow_err)?;
    let columns: Vec<ArrayRef> = vec![
        customers,
        Arc::new(days(&table.recency_days)),
        Arc::new(Int64Array::from_iter_values(
            table
                .frequency
                .iter()
                .map(|f| i64::try_from(*f).unwrap_or(i64::MAX)),
        )),
        Arc::new(monetary),
        Arc::new(
            TimestampMicrosecondArray::from(table.first_purchase.clone()).with_timezone("UTC"),
        ),
        Arc::new(days(&table.tenure_days)),
        Arc::new(UInt8Array::from(table.r.clone())),
        Arc::new(UInt8Array::from(table.f.clone())),
        Arc::new(UInt8Array::from(table.m.clone())),
        Arc::new(UInt8Array::from(table.fm.clone())),
        dictionary(table.segment.iter().map(|s| *s as i16), &segment_names)?,
        dictionary(table.tier.iter().map(|t| i16::from(*t)), &TIERS)?,
        dictionary(table.signal.iter().map(|s| i16::from(*s)), &SIGNALS)?,
    ];
    RecordBatch::try_new(schema, columns).map_err(arrow_err)
}

/// The partial aggregates as one record batch.
fn partial_batch(
    aggregates: &[Aggregate],
    names: Option<&SortedNames>,
    customer: &str,
    job: &Job,
    future: u64,
) -> crm::Result<RecordBatch> {
    let ids: Vec<i64> = aggregates.iter().map(|a| a.customer).collect();
    let (customers, customer_type) = customer_column(&ids, names);
    let fields = vec![
        Field::new(customer, customer_type, false),
        Field::new("first", utc_micros(), true),
        Field::new("last", utc_micros(), true),
        Field::new("purchases", DataType::Int64, false),
        Field::new("refunds", DataType::Int64, false),
        Field::new("monetary_minor", DataType::Int64, false),
    ];
    let metadata = HashMap::from([
        (META_AS_OF.to_string(), stamp(job.as_of)),
        (
            META_MINOR_UNITS.to_string(),
            job.config.minor_units.to_string(),
        ),
        (META_FUTURE.to_string(), future.to_string()),
    ]);
    let when = |pick: fn(&Aggregate) -> i64| {
        TimestampMicrosecondArray::from_iter(
            aggregates
                .iter()
                .map(|a| (a.purchases > 0).then(|| pick(a))),
        )
        .with_timezone("UTC")
    };
    let count = |pick: fn(&Aggregate) -> u64| {
        Int64Array::from_iter_values(
            aggregates
                .iter()
                .map(|a| i64::try_from(pick(a)).unwrap_or(i64::MAX)),
        )
    };
    let columns: Vec<ArrayRef> = vec![
        customers,
        Arc::new(when(|a| a.first)),
        Arc::new(when(|a| a.last)),
        Arc::new(count(|a| a.purchases)),
        Arc::new(count(|a| a.refunds)),
        Arc::new(Int64Array::from_iter_values(
            aggregates.iter().map(|a| a.monetary),
        )),
    ];
    RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, metadata)),
        columns,
    )
    .map_err(arrow_err)
}

fn skipped_of(batch: &RecordBatch) -> Skipped {
    let meta = batch.schema_ref().metadata();
    let get = |key: &str| meta.get(key).and_then(|v| v.parse().ok()).unwrap_or(0);
    Skipped {
        future: get(META_FUTURE),
        refund_only: get(META_REFUND_ONLY),
    }
}

pub(crate) fn to_pyarrow<'py>(
    py: Python<'py>,
    pyarrow: &Bound<'py, PyAny>,
    batch: RecordBatch,
) -> PyResult<Bound<'py, PyAny>> {
    let schema = batch.schema();
    let table = PyTable::try_new(vec![batch], schema)?;
    pyarrow.getattr("table")?.call1((table.into_pyobject(py)?,))
}

/// The scored table as the kind of frame the caller passed: polars in, polars
/// out; pandas in, pandas out; a pyarrow `Table` otherwise.
fn callers_kind<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    table: Bound<'py, PyAny>,
    skipped: Skipped,
) -> PyResult<Bound<'py, PyAny>> {
    let module = module_of(data)?;
    if module.starts_with("polars") {
        return py.import("polars")?.call_method1("from_arrow", (table,));
    }
    if module.starts_with("pandas") {
        let frame = table.call_method0("to_pandas")?;
        let counts = PyDict::new(py);
        counts.set_item("future", skipped.future)?;
        counts.set_item("refund_only", skipped.refund_only)?;
        frame
            .getattr("attrs")?
            .set_item("crm.rfm.skipped", counts)?;
        return Ok(frame);
    }
    Ok(table)
}
