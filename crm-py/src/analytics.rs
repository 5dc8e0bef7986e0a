//! Analytics and bulk import for Python: metrics as `crm.Table` (rows as
//! dicts, or a pyarrow / pandas / polars frame), customer lifetime value
//! (`Crm.customer_lifetime_value`, `crm.fit_clv` over columns) and
//! `Crm.import_rows`' report and progress.
//!
//! Every definition lives in the core (`crm::analytics`, `crm::import`); this
//! module converts: decimals stay exact (`decimal.Decimal` in rows,
//! `decimal128` in Arrow), times are aware `datetime` (UTC).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::ArrowPrimitiveType;
use arrow_array::types::{Decimal32Type, Decimal64Type, Decimal128Type};
use arrow_array::{
    Array, ArrayAccessor, ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array,
    PrimitiveArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema};
use chrono::{DateTime, Utc};
use crm::analytics::{ClvModel, ClvOptions, ColumnKind, Table};
use crm::rfm::Purchase;
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyMapping, PyString, PyTuple,
};
use pyo3_arrow::input::AnyArray;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::convert::{
    ToPy, column, extract_count, extract_decimal, extract_opt_time, extract_time, extract_u32,
    same_length, to_json,
};
use crate::error::{invalid, to_py};
use crate::plans::value_class;
use crate::rfm::{
    arrow_err, ints, is_int, is_text, micros, module_of, need_pyarrow, row_field, text, to_pyarrow,
};

// ----- tables ------------------------------------------------------------------------

fn bad_cell(column: &str, kind: ColumnKind, value: &Value) -> crm::Error {
    crm::Error::invalid(
        column,
        format!("holds {value}, which is not a {} value", kind.as_str()),
    )
}

fn cell_decimal(column: &str, value: &Value) -> crm::Result<Option<Decimal>> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Decimal::from_str_exact(text)
            .map(Some)
            .map_err(|_| bad_cell(column, ColumnKind::Decimal, value)),
        Value::Number(number) => Decimal::from_str_exact(&number.to_string())
            .map(Some)
            .map_err(|_| bad_cell(column, ColumnKind::Decimal, value)),
        _ => Err(bad_cell(column, ColumnKind::Decimal, value)),
    }
}

fn cell_time(column: &str, value: &Value) -> crm::Result<Option<DateTime<Utc>>> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| bad_cell(column, ColumnKind::Time, value)),
        _ => Err(bad_cell(column, ColumnKind::Time, value)),
    }
}

fn cell_int(column: &str, value: &Value) -> crm::Result<Option<i64>> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => number
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad_cell(column, ColumnKind::Integer, value)),
        _ => Err(bad_cell(column, ColumnKind::Integer, value)),
    }
}

fn cell_float(column: &str, value: &Value) -> crm::Result<Option<f64>> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => number
            .as_f64()
            .map(Some)
            .ok_or_else(|| bad_cell(column, ColumnKind::Float, value)),
        _ => Err(bad_cell(column, ColumnKind::Float, value)),
    }
}

fn cell_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn cell_bool(column: &str, value: &Value) -> crm::Result<Option<bool>> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(*flag)),
        _ => Err(bad_cell(column, ColumnKind::Bool, value)),
    }
}

/// One cell as a Python value of its column's kind.
fn cell(py: Python<'_>, column: &str, kind: ColumnKind, value: &Value) -> PyResult<Py<PyAny>> {
    let err = |e: crm::Error| to_py(e);
    match kind {
        ColumnKind::Text | ColumnKind::Date => cell_text(value).to_py(py),
        ColumnKind::Integer => cell_int(column, value).map_err(err)?.to_py(py),
        ColumnKind::Float => cell_float(column, value).map_err(err)?.to_py(py),
        ColumnKind::Decimal => cell_decimal(column, value).map_err(err)?.to_py(py),
        ColumnKind::Time => cell_time(column, value).map_err(err)?.to_py(py),
        ColumnKind::Bool => cell_bool(column, value).map_err(err)?.to_py(py),
    }
}

/// The values of one column, `null` where a row is short.
fn column_values(table: &Table, at: usize) -> impl Iterator<Item = &Value> {
    table
        .rows
        .iter()
        .map(move |row| row.get(at).unwrap_or(&Value::Null))
}

/// A decimal column as `decimal128(38, scale)`, the scale the most any value
/// has (so every value is exact).
fn decimal_array(table: &Table, at: usize, name: &str) -> crm::Result<(ArrayRef, DataType)> {
    let values = column_values(table, at)
        .map(|v| cell_decimal(name, v))
        .collect::<crm::Result<Vec<_>>>()?;
    let scale = values
        .iter()
        .flatten()
        .map(Decimal::scale)
        .max()
        .unwrap_or(0);
    let limit = 10i128.pow(38);
    let mantissas = values
        .iter()
        .map(|v| {
            v.map(|d| {
                10i128
                    .checked_pow(scale - d.scale())
                    .and_then(|factor| d.mantissa().checked_mul(factor))
                    .filter(|m| m.abs() < limit)
                    .ok_or_else(|| {
                        crm::Error::invalid(name, "does not fit in decimal128(38)")
                            .with_value(d.to_string())
                    })
            })
            .transpose()
        })
        .collect::<crm::Result<Vec<_>>>()?;
    let scale = i8::try_from(scale).unwrap_or(i8::MAX);
    let array = Decimal128Array::from(mantissas)
        .with_precision_and_scale(38, scale)
        .map_err(arrow_err)?;
    Ok((Arc::new(array), DataType::Decimal128(38, scale)))
}

/// The table as one Arrow record batch: text and dates as strings, integers
/// int64, floats float64, decimals decimal128(38, scale), times
/// timestamp[us, UTC], bools bool. The metric's name is in the schema
/// metadata (`crm.metric`).
fn table_batch(table: &Table) -> crm::Result<RecordBatch> {
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (at, column) in table.columns.iter().enumerate() {
        let name = column.name.as_str();
        let (array, data_type): (ArrayRef, DataType) = match column.kind {
            ColumnKind::Text | ColumnKind::Date => (
                Arc::new(StringArray::from(
                    column_values(table, at).map(cell_text).collect::<Vec<_>>(),
                )),
                DataType::Utf8,
            ),
            ColumnKind::Integer => (
                Arc::new(Int64Array::from(
                    column_values(table, at)
                        .map(|v| cell_int(name, v))
                        .collect::<crm::Result<Vec<_>>>()?,
                )),
                DataType::Int64,
            ),
            ColumnKind::Float => (
                Arc::new(Float64Array::from(
                    column_values(table, at)
                        .map(|v| cell_float(name, v))
                        .collect::<crm::Result<Vec<_>>>()?,
                )),
                DataType::Float64,
            ),
            ColumnKind::Bool => (
                Arc::new(BooleanArray::from(
                    column_values(table, at)
                        .map(|v| cell_bool(name, v))
                        .collect::<crm::Result<Vec<_>>>()?,
                )),
                DataType::Boolean,
            ),
            ColumnKind::Time => (
                Arc::new(
                    TimestampMicrosecondArray::from(
                        column_values(table, at)
                            .map(|v| Ok(cell_time(name, v)?.map(|t| t.timestamp_micros())))
                            .collect::<crm::Result<Vec<_>>>()?,
                    )
                    .with_timezone("UTC"),
                ),
                crate::rfm::utc_micros(),
            ),
            ColumnKind::Decimal => decimal_array(table, at, name)?,
        };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    let metadata = [("crm.metric".to_string(), table.metric.clone())].into();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    RecordBatch::try_new(schema, arrays).map_err(arrow_err)
}

/// A metric's result: named, typed columns and rows.
///
/// `columns` is a list of `(name, kind)` (kind `"text"`, `"integer"`,
/// `"float"`, `"decimal"`, `"time"`, `"date"` or `"bool"`); `rows()` gives
/// one dict per row, with `decimal.Decimal` for decimal columns, aware
/// `datetime` for times, `str` for dates and months, `None` where there is
/// no value. `to_arrow()` makes a pyarrow `Table` (decimals as
/// `decimal128(38, s)` with the scale the values need, times as
/// `timestamp[us, tz=UTC]`, integers `int64`, floats `float64`, text and
/// dates `string`); `to_pandas()` and `to_polars()` go through it.
///
/// >>> from datetime import datetime, timezone
/// >>> import crm
/// >>> engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
/// >>> ana = crm.Actor("ana", roles=["sales"])
/// >>> _ = engine.create_lead(ana, source="web", channel="online", campaign="spring", company="Acme", owner="ana")
/// >>> engine.advance_clock(hours=1)
/// >>> table = engine.metric(ana, "lead_conversion")
/// >>> table.columns[:3]
/// [('source', 'text'), ('channel', 'text'), ('campaign', 'text')]
/// >>> table.rows()
/// [{'source': 'web', 'channel': 'online', 'campaign': 'spring', 'leads': 1, 'converted': 0, 'discarded': 0, 'conversion_rate': 0.0}]
#[pyclass(name = "Table", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyTable(pub Table);

#[pymethods]
impl PyTable {
    /// The metric's name (`"win_rate"`, `"clv"`, ...).
    #[getter]
    fn metric(&self) -> String {
        self.0.metric.clone()
    }

    /// The columns: `(name, kind)` pairs, in order.
    #[getter]
    fn columns(&self) -> Vec<(String, &'static str)> {
        self.0
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.kind.as_str()))
            .collect()
    }

    /// The rows, as dicts keyed by column name (in column order).
    fn rows(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let rows = self
            .0
            .rows
            .iter()
            .map(|row| {
                let dict = PyDict::new(py);
                for (at, column) in self.0.columns.iter().enumerate() {
                    let value = row.get(at).unwrap_or(&Value::Null);
                    dict.set_item(&column.name, cell(py, &column.name, column.kind, value)?)?;
                }
                Ok(dict)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, rows)?.unbind())
    }

    /// The table as the JSON of the shared vectors: `{"metric", "columns":
    /// [{"name", "kind"}], "rows": [[value per column]]}`, with values as
    /// `rows()` gives them.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("metric", &self.0.metric)?;
        let columns = self
            .0
            .columns
            .iter()
            .map(|c| {
                let column = PyDict::new(py);
                column.set_item("name", &c.name)?;
                column.set_item("kind", c.kind.as_str())?;
                Ok(column)
            })
            .collect::<PyResult<Vec<_>>>()?;
        dict.set_item("columns", columns)?;
        let rows = self
            .0
            .rows
            .iter()
            .map(|row| {
                let cells = self
                    .0
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(at, c)| cell(py, &c.name, c.kind, row.get(at).unwrap_or(&Value::Null)))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, cells)
            })
            .collect::<PyResult<Vec<_>>>()?;
        dict.set_item("rows", rows)?;
        Ok(dict.unbind())
    }

    /// The table as a pyarrow `Table` (needs pyarrow 14 or later).
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pyarrow = need_pyarrow(py, "Table.to_arrow")?;
        let batch = table_batch(&self.0).map_err(to_py)?;
        to_pyarrow(py, &pyarrow, batch)
    }

    /// The table as a pandas `DataFrame` (through pyarrow; decimal columns
    /// hold `decimal.Decimal` objects).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        need_module(py, "pandas", "Table.to_pandas")?;
        self.to_arrow(py)?.call_method0("to_pandas")
    }

    /// The table as a polars `DataFrame` (through pyarrow).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let polars = need_module(py, "polars", "Table.to_polars")?;
        let table = self.to_arrow(py)?;
        polars.call_method1("from_arrow", (table,))
    }

    fn __len__(&self) -> usize {
        self.0.rows.len()
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self
            .0
            .columns
            .iter()
            .map(|c| format!("'{}'", c.name))
            .collect();
        format!(
            "Table(metric='{}', columns=[{}], rows={})",
            self.0.metric,
            names.join(", "),
            self.0.rows.len()
        )
    }
}

fn need_module<'py>(py: Python<'py>, module: &str, function: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(module).map(Bound::into_any).map_err(|_| {
        PyImportError::new_err(format!(
            "crm.{function} needs {module} (pip install {module}) and pyarrow 14 or later"
        ))
    })
}

// ----- lifetime value ------------------------------------------------------------------

value_class!(
    /// The fitted BG/NBD model: purchase rates `Gamma(r, alpha)` (alpha in
    /// days), drop-out probabilities `Beta(a, b)`, the mean log-likelihood
    /// and the optimiser's iterations.
    PyBgNbd, "BgNbd", crm::analytics::BgNbd,
    fields: [r, alpha, a, b, log_likelihood, iterations],
    repr: [r, alpha, a, b],
    extra: {}
);

value_class!(
    /// The fitted Gamma-Gamma model of the spend per purchase: `p`, `q`,
    /// `v`, the mean log-likelihood and the optimiser's iterations.
    PyGammaGamma, "GammaGamma", crm::analytics::GammaGamma,
    fields: [p, q, v, log_likelihood, iterations],
    repr: [p, q, v],
    extra: {}
);

/// The lifetime-value models fitted on purchases (`crm.fit_clv`): `bg_nbd`,
/// `gamma_gamma`, and `customers`, a `crm.Table` with one row per customer
/// (`customer`, `frequency`, `recency`, `t` in days, `monetary`,
/// `p_alive`, `expected_purchases`, `expected_value`, `clv`).
#[pyclass(name = "ClvModel", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyClvModel(pub ClvModel);

#[pymethods]
impl PyClvModel {
    /// The BG/NBD model.
    #[getter]
    fn bg_nbd(&self) -> PyBgNbd {
        PyBgNbd(self.0.bg_nbd)
    }

    /// The Gamma-Gamma model.
    #[getter]
    fn gamma_gamma(&self) -> PyGammaGamma {
        PyGammaGamma(self.0.gamma_gamma)
    }

    /// One row per customer, by customer id.
    #[getter]
    fn customers(&self) -> PyTable {
        PyTable(Table::from_rows("clv", &self.0.customers))
    }

    /// Every attribute, as a dict (`customers` as `Table.rows()`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("bg_nbd", self.bg_nbd())?;
        dict.set_item("gamma_gamma", self.gamma_gamma())?;
        dict.set_item("customers", self.customers().rows(py)?)?;
        Ok(dict.unbind())
    }

    fn __len__(&self) -> usize {
        self.0.customers.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "ClvModel(customers={}, bg_nbd=BgNbd(r={}, alpha={}, a={}, b={}), gamma_gamma=GammaGamma(p={}, q={}, v={}))",
            self.0.customers.len(),
            self.0.bg_nbd.r,
            self.0.bg_nbd.alpha,
            self.0.bg_nbd.a,
            self.0.bg_nbd.b,
            self.0.gamma_gamma.p,
            self.0.gamma_gamma.q,
            self.0.gamma_gamma.v
        )
    }
}

/// The lifetime value of the customers (`Crm.customer_lifetime_value`): the
/// currency, the fitted models (`None`, with the reason in `not_fitted`,
/// when there is too little history), and `rows`, a `crm.Table` with one
/// row per customer with a purchase (`customer`, `historic`, `frequency`,
/// `recency`, `t`, `monetary`, `p_alive`, `expected_purchases`,
/// `expected_value`, `clv`; the predictions `None` when not fitted).
#[pyclass(name = "ClvReport", module = "crm", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct PyClvReport(pub crm::ClvReport);

#[pymethods]
impl PyClvReport {
    /// The currency of the amounts.
    #[getter]
    fn currency(&self) -> Option<String> {
        self.0.currency.clone()
    }

    /// The BG/NBD model.
    #[getter]
    fn bg_nbd(&self) -> Option<PyBgNbd> {
        self.0.bg_nbd.map(PyBgNbd)
    }

    /// The Gamma-Gamma model.
    #[getter]
    fn gamma_gamma(&self) -> Option<PyGammaGamma> {
        self.0.gamma_gamma.map(PyGammaGamma)
    }

    /// Why the models could not be fitted.
    #[getter]
    fn not_fitted(&self) -> Option<String> {
        self.0.not_fitted.clone()
    }

    /// One row per customer with a purchase.
    #[getter]
    fn rows(&self) -> PyTable {
        PyTable(Table::from_rows("clv", &self.0.rows))
    }

    /// Every attribute, as a dict (`rows` as `Table.rows()`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("currency", self.currency())?;
        dict.set_item("bg_nbd", self.bg_nbd())?;
        dict.set_item("gamma_gamma", self.gamma_gamma())?;
        dict.set_item("not_fitted", self.not_fitted())?;
        dict.set_item("rows", self.rows().rows(py)?)?;
        Ok(dict.unbind())
    }

    fn __len__(&self) -> usize {
        self.0.rows.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "ClvReport(currency={}, rows={}, fitted={})",
            self.0
                .currency
                .as_ref()
                .map_or_else(|| "None".to_string(), |c| format!("'{c}'")),
            self.0.rows.len(),
            if self.0.bg_nbd.is_some() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The horizon in months, from an `int` (1 to 1200, checked by the core).
pub(crate) fn months_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(ClvOptions::default().months);
    };
    let months = extract_count("months", value)?;
    u32::try_from(months).map_err(|_| {
        to_py(crm::Error::invalid("months", "must be from 1 to 1200").with_value(months))
    })
}

/// The currency's minor units money is rounded to, from an `int` (at most
/// 28, checked by the core).
fn minor_units_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    value
        .filter(|v| !v.is_none())
        .map_or(Ok(ClvOptions::default().minor_units), |v| {
            extract_u32("minor_units", v)
        })
}

/// The monthly discount rate, from a `float` (or an `int`, a `Decimal`).
pub(crate) fn discount_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(ClvOptions::default().monthly_discount);
    };
    if value.is_instance_of::<PyBool>() || value.is_instance_of::<PyString>() {
        return Err(invalid(
            "monthly_discount",
            format!("expects a float, got {}", value.get_type().name()?),
        ));
    }
    value.extract::<f64>().map_err(|_| {
        invalid(
            "monthly_discount",
            format!(
                "expects a float, got {}",
                value
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ),
        )
    })
}

/// A column given to `fit_clv`: Arrow arrays (pyarrow, polars, and numpy or
/// pandas through pyarrow), or Python values (a list or another iterable).
enum ColumnData<'py> {
    Arrow(Vec<ArrayRef>),
    Items(Vec<Bound<'py, PyAny>>),
}

impl ColumnData<'_> {
    fn len(&self) -> usize {
        match self {
            ColumnData::Arrow(chunks) => chunks.iter().map(|c| c.len()).sum(),
            ColumnData::Items(items) => items.len(),
        }
    }
}

fn column_data<'py>(
    py: Python<'py>,
    field: &str,
    value: &Bound<'py, PyAny>,
) -> PyResult<ColumnData<'py>> {
    let shape =
        "expects a column: a list, a NumPy array, a pandas or polars Series or a pyarrow array";
    let arrow = |value: &Bound<'py, PyAny>| -> PyResult<ColumnData<'py>> {
        let array: AnyArray = value
            .extract()
            .map_err(|e| invalid(field, format!("is not an Arrow array: {e}")))?;
        let chunked = array
            .into_chunked_array()
            .map_err(|e| invalid(field, format!("cannot be read: {}", PyErr::from(e))))?;
        Ok(ColumnData::Arrow(chunked.into_inner().0))
    };
    if value.hasattr("__arrow_c_array__")? || value.hasattr("__arrow_c_stream__")? {
        return arrow(value);
    }
    let module = module_of(value)?;
    if module.starts_with("numpy") || module.starts_with("pandas") {
        let pyarrow = need_pyarrow(py, "fit_clv")?;
        let array = pyarrow
            .call_method1("array", (value,))
            .map_err(|e| invalid(field, format!("cannot be read as an Arrow array: {e}")))?;
        return arrow(&array);
    }
    column(field, value, shape).map(ColumnData::Items)
}

/// The customer ids: strings, or integers (as their text).
fn customer_ids(field: &str, data: &ColumnData<'_>) -> PyResult<Vec<String>> {
    match data {
        ColumnData::Items(items) => items
            .iter()
            .enumerate()
            .map(|(at, item)| {
                if item.is_instance_of::<PyInt>() && !item.is_instance_of::<PyBool>() {
                    return Ok(item.str()?.to_string());
                }
                text(&row_field(field, at), item)
            })
            .collect(),
        ColumnData::Arrow(chunks) => {
            let mut out = Vec::with_capacity(data.len());
            for chunk in chunks {
                let data_type = chunk.data_type();
                let offset = out.len();
                if is_int(data_type) {
                    let mut buf = Vec::new();
                    let ids = ints(chunk, field, offset, &mut buf).map_err(to_py)?;
                    out.extend(ids.iter().map(i64::to_string));
                    continue;
                }
                if !is_text(data_type) {
                    return Err(invalid(
                        field,
                        format!("is a column of {data_type}; expects strings or integers"),
                    ));
                }
                each_text(chunk, field, offset, |_, id| {
                    out.push(id.to_string());
                    Ok(())
                })?;
            }
            Ok(out)
        }
    }
}

/// Calls `each` with the row (in the chunk) and value of every string of a
/// chunk of `is_text` type, downcast once; a null is an error naming its row.
fn each_text(
    chunk: &ArrayRef,
    field: &str,
    offset: usize,
    mut each: impl FnMut(usize, &str) -> PyResult<()>,
) -> PyResult<()> {
    fn visit<'a>(
        values: impl ArrayAccessor<Item = &'a str>,
        field: &str,
        offset: usize,
        each: &mut impl FnMut(usize, &str) -> PyResult<()>,
    ) -> PyResult<()> {
        for i in 0..values.len() {
            if values.is_null(i) {
                return Err(invalid(&row_field(field, offset + i), "is null"));
            }
            each(i, values.value(i))?;
        }
        Ok(())
    }
    match chunk.data_type() {
        DataType::LargeUtf8 => visit(chunk.as_string::<i64>(), field, offset, &mut each),
        DataType::Utf8View => visit(chunk.as_string_view(), field, offset, &mut each),
        _ => visit(chunk.as_string::<i32>(), field, offset, &mut each),
    }
}

/// The purchase times: aware `datetime` objects, or an Arrow timestamp (of
/// any unit; naive ones are UTC) or date column.
fn purchase_times(
    field: &str,
    data: &ColumnData<'_>,
    as_of: DateTime<Utc>,
) -> PyResult<Vec<DateTime<Utc>>> {
    match data {
        ColumnData::Items(items) => items
            .iter()
            .enumerate()
            .map(|(at, item)| extract_time(&row_field(field, at), item))
            .collect(),
        ColumnData::Arrow(chunks) => {
            let mut out = Vec::with_capacity(data.len());
            for chunk in chunks {
                let mut buf = Vec::new();
                let offset = out.len();
                let values = micros(
                    chunk,
                    field,
                    offset,
                    as_of.timestamp_micros(),
                    false,
                    &mut buf,
                )
                .map_err(to_py)?;
                for (i, us) in values.iter().enumerate() {
                    let time = DateTime::from_timestamp_micros(*us).ok_or_else(|| {
                        to_py(
                            crm::Error::invalid(row_field(field, offset + i), "is out of range")
                                .with_value(*us),
                        )
                    })?;
                    out.push(time);
                }
            }
            Ok(out)
        }
    }
}

/// A decimal of `mantissa` at Arrow's `scale` (a negative scale multiplies);
/// `None` when it does not fit.
fn scaled_decimal(mantissa: i128, scale: i8) -> Option<Decimal> {
    let (mantissa, scale) = if scale >= 0 {
        (mantissa, u32::from(scale.unsigned_abs()))
    } else {
        let factor = 10i128.checked_pow(u32::from(scale.unsigned_abs()))?;
        (mantissa.checked_mul(factor)?, 0)
    };
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// The values of an Arrow decimal chunk at `scale`, onto `out`; a null or a
/// value out of range is an error naming its row.
fn decimals<T>(
    values: &PrimitiveArray<T>,
    scale: i8,
    field: &str,
    offset: usize,
    out: &mut Vec<Decimal>,
) -> PyResult<()>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i128>,
{
    for i in 0..values.len() {
        if values.is_null(i) {
            return Err(invalid(&row_field(field, offset + i), "is null"));
        }
        let mantissa: i128 = values.value(i).into();
        let amount = scaled_decimal(mantissa, scale).ok_or_else(|| {
            to_py(
                crm::Error::invalid(row_field(field, offset + i), "is out of range")
                    .with_value(mantissa),
            )
        })?;
        out.push(amount);
    }
    Ok(())
}

/// The amounts, exactly: `Decimal`, `int` or `str` objects, or an Arrow
/// decimal, integer or string column. Floats are refused.
fn amounts_of(field: &str, data: &ColumnData<'_>) -> PyResult<Vec<Decimal>> {
    match data {
        ColumnData::Items(items) => items
            .iter()
            .enumerate()
            .map(|(at, item)| extract_decimal(&row_field(field, at), item))
            .collect(),
        ColumnData::Arrow(chunks) => {
            let mut out: Vec<Decimal> = Vec::with_capacity(data.len());
            for chunk in chunks {
                let offset = out.len();
                match chunk.data_type() {
                    t if is_int(t) => {
                        let mut buf = Vec::new();
                        let values = ints(chunk, field, offset, &mut buf).map_err(to_py)?;
                        out.extend(values.iter().map(|v| Decimal::from(*v)));
                    }
                    DataType::Decimal128(_, scale) => {
                        let values = chunk.as_primitive::<Decimal128Type>();
                        decimals(values, *scale, field, offset, &mut out)?;
                    }
                    DataType::Decimal64(_, scale) => {
                        let values = chunk.as_primitive::<Decimal64Type>();
                        decimals(values, *scale, field, offset, &mut out)?;
                    }
                    DataType::Decimal32(_, scale) => {
                        let values = chunk.as_primitive::<Decimal32Type>();
                        decimals(values, *scale, field, offset, &mut out)?;
                    }
                    t if is_text(t) => each_text(chunk, field, offset, |i, text| {
                        let amount = Decimal::from_str_exact(text.trim()).map_err(|_| {
                            to_py(
                                crm::Error::invalid(
                                    row_field(field, offset + i),
                                    "is not a decimal number",
                                )
                                .with_value(text.chars().take(40).collect::<String>()),
                            )
                        })?;
                        out.push(amount);
                        Ok(())
                    })?,
                    t @ (DataType::Float16 | DataType::Float32 | DataType::Float64) => {
                        return Err(invalid(
                            field,
                            format!(
                                "is a float column ({t}); floats cannot hold money exactly: pass decimal.Decimal values or a decimal column"
                            ),
                        ));
                    }
                    other => {
                        return Err(invalid(
                            field,
                            format!("is a column of {other}; expects decimals"),
                        ));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// Fits the lifetime-value models (BG/NBD for purchases, Gamma-Gamma for
/// spend, by maximum likelihood as the `lifetimes` package does) on
/// purchases given as three columns of the same length, and predicts every
/// customer over `months` (of 30 days) discounted by `monthly_discount`,
/// rounding `expected_value` and `clv` to `minor_units` decimal places (the
/// currency's minor units: 2 for EUR, 0 for JPY).
///
/// `customers` holds ids (`str`, or integers), `at` aware `datetime` objects,
/// `amounts` exact amounts (`decimal.Decimal`, `int` or `str`; a `float` is
/// refused); each column a list (or another iterable), a NumPy array, a
/// pandas or polars Series or a pyarrow array (a timestamp column of any
/// unit, naive ones read as UTC; a decimal, integer or string column of
/// amounts). Purchases after `as_of` are left out; purchases on the same day
/// count as one.
///
/// Returns a `crm.ClvModel`. Raises `crm.ValidationError` naming the column
/// and row (`amounts[3]`), on `data` when there is too little history to fit
/// (fewer than two customers, or no repeat purchase), on `months`,
/// `monthly_discount` or `minor_units` (more than 28).
///
/// >>> from datetime import datetime, timezone
/// >>> from decimal import Decimal
/// >>> import crm
/// >>> day = lambda m, d: datetime(2026, m, d, 10, tzinfo=timezone.utc)
/// >>> model = crm.fit_clv(["a", "a", "a", "b", "c", "c", "d"],
/// ...     [day(1, 2), day(1, 20), day(2, 25), day(1, 5), day(2, 1), day(3, 15), day(3, 1)],
/// ...     [Decimal("10.00"), Decimal("30.00"), Decimal("50.00"), Decimal("20.00"), Decimal("12.00"), Decimal("8.00"), Decimal("99.00")],
/// ...     as_of=day(4, 1))
/// >>> [(row["customer"], row["frequency"], row["monetary"]) for row in model.customers.rows()]
/// [('a', 2, Decimal('40.00')), ('b', 0, Decimal('0')), ('c', 1, Decimal('8.00')), ('d', 0, Decimal('0'))]
#[pyfunction]
#[pyo3(
    signature = (customers, at, amounts, *, as_of, months = None, monthly_discount = None, minor_units = None),
    text_signature = "(customers, at, amounts, *, as_of, months=12, monthly_discount=0.01, minor_units=2)"
)]
#[allow(clippy::too_many_arguments)]
pub fn fit_clv(
    py: Python<'_>,
    customers: &Bound<'_, PyAny>,
    at: &Bound<'_, PyAny>,
    amounts: &Bound<'_, PyAny>,
    as_of: &Bound<'_, PyAny>,
    months: Option<&Bound<'_, PyAny>>,
    monthly_discount: Option<&Bound<'_, PyAny>>,
    minor_units: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyClvModel> {
    let as_of = extract_time("as_of", as_of)?;
    let options = ClvOptions {
        months: months_of(months)?,
        monthly_discount: discount_of(monthly_discount)?,
        minor_units: minor_units_of(minor_units)?,
    };
    let customers_data = column_data(py, "customers", customers)?;
    let at_data = column_data(py, "at", at)?;
    let amounts_data = column_data(py, "amounts", amounts)?;
    same_length("at", "customers", customers_data.len(), at_data.len())?;
    same_length(
        "amounts",
        "customers",
        customers_data.len(),
        amounts_data.len(),
    )?;
    let ids = customer_ids("customers", &customers_data)?;
    let times = purchase_times("at", &at_data, as_of)?;
    let values = amounts_of("amounts", &amounts_data)?;
    let purchases: Vec<Purchase> = ids
        .into_iter()
        .zip(times)
        .zip(values)
        .map(|((customer, at), amount)| Purchase::new(customer, at, amount))
        .collect();
    py.detach(|| crm::analytics::fit_clv(&purchases, as_of, &options))
        .map(PyClvModel)
        .map_err(to_py)
}

// ----- metric queries ----------------------------------------------------------------

/// A scope: `None` or `"all"`, or a dict `{"user": id}`, `{"team": id}` or
/// `{"region": name}`.
pub(crate) fn scope_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<crm::Scope> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(crm::Scope::All);
    };
    let json = if value.cast::<PyString>().is_ok() {
        Value::String(value.extract()?)
    } else if value.cast::<PyDict>().is_ok() {
        to_json("scope", value)?
    } else {
        return Err(invalid(
            "scope",
            format!(
                "expects \"all\" or a dict with user, team or region, got {}",
                value.get_type().name()?
            ),
        ));
    };
    serde_json::from_value(json).map_err(|e| {
        invalid(
            "scope",
            format!("expects \"all\" or a dict with one of user, team, region ({e})"),
        )
    })
}

/// A list of dicts (`costs`, `targets`) as JSON, naming the item at fault.
fn dict_list(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Value>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if value.cast::<PyList>().is_err() && value.cast::<PyTuple>().is_err() {
        return Err(invalid(
            field,
            format!("expects a list of dicts, got {}", value.get_type().name()?),
        ));
    }
    let items = value
        .try_iter()?
        .enumerate()
        .map(|(at, item)| {
            let item = item?;
            let name = row_field(field, at);
            if item.cast::<PyDict>().is_err() {
                return Err(invalid(
                    &name,
                    format!("expects a dict, got {}", item.get_type().name()?),
                ));
            }
            to_json(&name, &item)
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some(Value::Array(items)))
}

/// The `clv` options of a query: a dict with `months`, `monthly_discount`
/// and `minor_units`, each read as `fit_clv` reads it.
fn clv_options(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ClvOptions>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let Ok(dict) = value.cast::<PyDict>() else {
        return Err(invalid(
            "clv",
            format!(
                "expects a dict with months, monthly_discount and minor_units, got {}",
                value.get_type().name()?
            ),
        ));
    };
    for key in dict.keys() {
        let known = key
            .extract::<String>()
            .is_ok_and(|k| matches!(k.as_str(), "months" | "monthly_discount" | "minor_units"));
        if !known {
            return Err(invalid(
                "clv",
                format!(
                    "has the unknown key {}; expected months, monthly_discount, minor_units",
                    key.repr()?
                ),
            ));
        }
    }
    Ok(Some(ClvOptions {
        months: months_of(dict.get_item("months")?.as_ref())?,
        monthly_discount: discount_of(dict.get_item("monthly_discount")?.as_ref())?,
        minor_units: minor_units_of(dict.get_item("minor_units")?.as_ref())?,
    }))
}

/// What `Crm.metric` was asked, as the core's query (read from its JSON, so
/// an unknown metric is a `crm.ValidationError` on `query`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn metric_query(
    metric: &Bound<'_, PyAny>,
    from: Option<&Bound<'_, PyAny>>,
    until: Option<&Bound<'_, PyAny>>,
    scope: Option<&Bound<'_, PyAny>>,
    group_by: Option<String>,
    costs: Option<&Bound<'_, PyAny>>,
    targets: Option<&Bound<'_, PyAny>>,
    clv: Option<&Bound<'_, PyAny>>,
) -> PyResult<crm::MetricQuery> {
    let mut json = serde_json::Map::new();
    json.insert("metric".into(), Value::String(text("metric", metric)?));
    let from = extract_opt_time("from_", from)?;
    let until = extract_opt_time("until", until)?;
    if let Some(group_by) = group_by {
        json.insert("group_by".into(), Value::String(group_by));
    }
    if let Some(costs) = dict_list("costs", costs)? {
        json.insert("costs".into(), costs);
    }
    if let Some(targets) = dict_list("targets", targets)? {
        json.insert("targets".into(), targets);
    }
    let mut query = crm::MetricQuery::from_json(&Value::Object(json).to_string()).map_err(to_py)?;
    (query.from, query.until) = (from, until);
    query.scope = scope_of(scope)?;
    query.clv = clv_options(clv)?;
    Ok(query)
}

// ----- import --------------------------------------------------------------------------

value_class!(
    /// A row an import refused: its number in the file (in a CSV or a sheet
    /// the header is row 1), the field at fault (`None`: the row as a whole)
    /// and why.
    PyRejectedRow, "RejectedRow", crm::import::Rejected,
    fields: [row, field, reason],
    repr: [row, field, reason],
    extra: {}
);

value_class!(
    /// Where an import stands, given to `Crm.import_rows`' `progress`
    /// callback after each batch: rows read, written and refused so far, and
    /// whether it is still checking (the first pass of an all-or-nothing
    /// import) rather than writing.
    PyImportProgress, "ImportProgress", crm::import::Progress,
    fields: [rows, imported, rejected, checking],
    repr: [rows, imported, rejected, checking],
    extra: {}
);

value_class!(
    /// What an import did: rows read, written, refused as duplicates, the
    /// refused rows (`crm.RejectedRow`, in file order), commits made, and
    /// whether the progress callback stopped it.
    PyImportReport, "ImportReport", crm::import::ImportReport,
    fields: [rows, imported, duplicates, rejected, batches, cancelled],
    repr: [rows, imported, duplicates, batches, cancelled],
    extra: {}
);

impl ToPy for crm::import::Rejected {
    fn to_py(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        PyRejectedRow(self.clone()).into_py_any(py)
    }
}

/// The import spec from a `Mapping` or a `str` of JSON.
pub(crate) fn import_spec(value: &Bound<'_, PyAny>) -> PyResult<crm::import::ImportSpec> {
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else if value.cast::<PyMapping>().is_ok() {
        crate::engine::dumps(value, "import")?
    } else {
        return Err(to_py(crm::Error::config(
            "import",
            format!(
                "must be a dict or a str of JSON, got {}",
                value.get_type().name()?
            ),
        )));
    };
    crm::import::ImportSpec::from_json(&text).map_err(to_py)
}

/// The file to import: a path, or its bytes.
pub(crate) enum ImportSource {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

impl ImportSource {
    pub(crate) fn extract(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = value.cast::<PyBytes>() {
            return Ok(ImportSource::Bytes(bytes.as_bytes().to_vec()));
        }
        if let Ok(bytes) = value.cast::<PyByteArray>() {
            return Ok(ImportSource::Bytes(bytes.to_vec()));
        }
        if value.cast::<PyString>().is_ok() {
            return Ok(ImportSource::Path(PathBuf::from(
                value.extract::<String>()?,
            )));
        }
        if value.hasattr("__fspath__")? {
            let os = value.py().import("os")?;
            let path = os.call_method1("fsdecode", (os.call_method1("fspath", (value,))?,))?;
            return Ok(ImportSource::Path(PathBuf::from(path.extract::<String>()?)));
        }
        Err(invalid(
            "source",
            format!(
                "expects a path (str or os.PathLike) or the file's bytes, got {}",
                value.get_type().name()?
            ),
        ))
    }

    pub(crate) fn source(&self) -> &dyn crm::import::Source {
        match self {
            ImportSource::Path(path) => path,
            ImportSource::Bytes(bytes) => bytes,
        }
    }
}

/// `progress`: a callable, or `None`.
pub(crate) fn progress_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if !value.is_callable() {
        return Err(invalid(
            "progress",
            format!(
                "expects a callable taking a crm.ImportProgress, got {}",
                value.get_type().name()?
            ),
        ));
    }
    Ok(Some(value.clone().unbind()))
}

/// Calls the progress callback (taking the GIL back for it): `None` or a
/// true value goes on, a false value stops; an exception stops the import
/// and is kept in `failure` to be raised when it returns.
pub(crate) fn report_progress(
    callback: &Py<PyAny>,
    progress: &crm::import::Progress,
    failure: &mut Option<PyErr>,
) -> bool {
    if failure.is_some() {
        return false;
    }
    Python::attach(|py| {
        let answer = callback
            .call1(py, (PyImportProgress(*progress),))
            .and_then(|answer| {
                let answer = answer.bind(py);
                if answer.is_none() {
                    Ok(true)
                } else {
                    answer.is_truthy()
                }
            });
        match answer {
            Ok(go_on) => go_on,
            Err(err) => {
                *failure = Some(err);
                false
            }
        }
    })
}
