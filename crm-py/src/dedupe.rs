//! Duplicate matching for Python: `crm.dedupe` (a batch scan over a list of
//! dicts or any Arrow table, giving a `crm.DedupeResult`) and
//! `crm.explain_match` (why two records do or do not match).
//!
//! Both run `crm::dedupe` (normalising, blocking, the Fellegi-Sunter and rule
//! scores, clustering and explanations all live there) and only convert:
//! records in, pairs, clusters and explanations out. A table is read batch by
//! batch from the Arrow PyCapsule stream interface, as the columnar RFM API
//! reads it; the scan runs with the GIL released.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, RecordBatchReader, StringArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema};
use crm::dedupe::{DedupeConfig, MatchRecord, Matcher, Progress, Scan, ScanOptions};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString};
use pyo3_arrow::{PyArray, PyTable};

use crate::error::{invalid, to_py};
use crate::rfm::{module_of, next_batch};

/// The fields of a record, in the order of `MatchRecord`.
const FIELDS: [&str; 8] = [
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "company",
    "title",
    "city",
];

const FIELD_LIST: &str = "first_name, last_name, name, email, phone, company, title, city";

/// The duplicates a scan found among its rows: the matched pairs, a cluster id
/// per row, the clusters, an explanation for any two rows, the model scored
/// with and what blocking did.
///
/// >>> import crm
/// >>> result = crm.dedupe([
/// ...     {"first_name": "Jonathan", "last_name": "Smith", "email": "jon.smith@acme.com", "phone": "+1 415 555 0134"},
/// ...     {"first_name": "Jonathon", "last_name": "SMITH", "email": "Jon.Smith@ACME.com", "phone": "(415) 555-0134"},
/// ...     {"first_name": "Maria", "last_name": "Garcia", "email": "maria@example.org"},
/// ... ])
/// >>> len(result), result.clusters()
/// (3, [{'id': 0, 'rows': [0, 1], 'pairs': 1, 'min_probability': ...}])
/// >>> why = result.explain(0, 1)
/// >>> why["matched"], why["rule"], [f["level"] for f in why["fields"]][:4]
/// (True, 'name_email', ['close', 'exact', 'exact', 'exact'])
#[pyclass(name = "DedupeResult", module = "crm", frozen)]
pub struct PyDedupeResult(Scan);

#[pymethods]
impl PyDedupeResult {
    /// The matched pairs, by (left, right): a pyarrow `Table` with `left`,
    /// `right` (uint32: rows, left < right), `probability`, `weight`
    /// (float64: the match probability and log2 odds) and `rule` (string: the
    /// first rule that holds, or null); a list of dicts with those keys when
    /// pyarrow (14 or later) is not installed.
    fn pairs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let scan = &self.0;
        let pairs = scan.pairs();
        if pyarrow(py).is_some() {
            let schema = Arc::new(Schema::new(vec![
                Field::new("left", DataType::UInt32, false),
                Field::new("right", DataType::UInt32, false),
                Field::new("probability", DataType::Float64, false),
                Field::new("weight", DataType::Float64, false),
                Field::new("rule", DataType::Utf8, true),
            ]));
            let columns: Vec<ArrayRef> = vec![
                Arc::new(UInt32Array::from_iter_values(pairs.iter().map(|p| p.left))),
                Arc::new(UInt32Array::from_iter_values(pairs.iter().map(|p| p.right))),
                Arc::new(Float64Array::from_iter_values(
                    pairs.iter().map(|p| p.probability),
                )),
                Arc::new(Float64Array::from_iter_values(
                    pairs.iter().map(|p| p.weight),
                )),
                Arc::new(StringArray::from_iter(
                    pairs.iter().map(|p| scan.rule_name(p)),
                )),
            ];
            let batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|e| to_py(crm::Error::invalid("pairs", e.to_string())))?;
            let table = PyTable::try_new(vec![batch], schema)?;
            return Ok(table.into_pyarrow(py)?.unbind());
        }
        let items = pairs
            .iter()
            .map(|p| {
                let dict = PyDict::new(py);
                dict.set_item("left", p.left)?;
                dict.set_item("right", p.right)?;
                dict.set_item("probability", p.probability)?;
                dict.set_item("weight", p.weight)?;
                dict.set_item("rule", scan.rule_name(p))?;
                Ok(dict)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any().unbind())
    }

    /// The cluster id of each row (one per input row, in order): the smallest
    /// row of its group; a row with no duplicate is its own group. A pyarrow
    /// `UInt32Array`, or a list of int when pyarrow is not installed.
    fn cluster_ids(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let ids = self.0.cluster_ids();
        if pyarrow(py).is_some() {
            let array: ArrayRef = Arc::new(UInt32Array::from(ids.to_vec()));
            return Ok(PyArray::from_array_ref(array).to_pyarrow(py)?.unbind());
        }
        Ok(PyList::new(py, ids)?.into_any().unbind())
    }

    /// The groups of two or more rows, by id: dicts with `id` (the smallest
    /// row), `rows` (ascending), `pairs` (the matched pairs inside) and
    /// `min_probability` (the weakest of them).
    fn clusters(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, serde_json::to_string(&self.0.clusters()))
    }

    /// Why rows `left` and `right` do or do not match (any two rows, compared
    /// or not): a dict with `probability`, `weight`, `prior_weight`, `fields`
    /// (per field: `field`, `left`, `right`, `level`, `similarity`, `weight`,
    /// `term_frequency`), `rule`, `matched`, `decided_by` and
    /// `names_swapped`. A row out of range is a `crm.ValidationError` on
    /// `left` or `right`.
    fn explain(&self, py: Python<'_>, left: i64, right: i64) -> PyResult<Py<PyAny>> {
        let row = |field: &str, value: i64| {
            usize::try_from(value).map_err(|_| {
                to_py(crm::Error::invalid(field, "must be zero or more").with_value(value))
            })
        };
        let (left, right) = (row("left", left)?, row("right", right)?);
        let explanation = self.0.try_explain(left, right).map_err(to_py)?;
        to_python(py, serde_json::to_string(&explanation))
    }

    /// The model the scan scored with (trained on the rows when there are
    /// enough of them and `train` is on): `{"prior": ..., "fields":
    /// {"first_name": {"m": [...], "u": [...]}, ...}}`, the shape the
    /// configuration's `model` takes.
    #[getter]
    fn model(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, serde_json::to_string(self.0.model()))
    }

    /// Pairs compared, after blocking.
    #[getter]
    fn candidate_pairs(&self) -> u64 {
        self.0.candidate_pairs()
    }

    /// What each blocking key contributed: dicts with `key`, `blocks`,
    /// `pairs`, `skipped_blocks` and `skipped_records` (blocks larger than
    /// `max_block` are skipped).
    #[getter]
    fn blocking(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, serde_json::to_string(self.0.blocking()))
    }

    /// Rows scanned.
    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "DedupeResult(rows={}, pairs={}, clusters={}, candidate_pairs={})",
            self.0.len(),
            self.0.pairs().len(),
            self.0.clusters().len(),
            self.0.candidate_pairs()
        )
    }
}

/// Finds the duplicates among records: normalises, blocks, compares, scores
/// (Fellegi-Sunter probability and match rules), clusters.
///
/// `data` is a list of dicts with any of the keys `first_name`, `last_name`,
/// `name` (a full name, used when first and last are blank), `email`,
/// `phone`, `company`, `title` and `city` (each a `str` or `None`; a missing
/// or blank field is no evidence and never matches), or a table: anything with
/// the Arrow PyCapsule stream interface (a pyarrow `Table` or
/// `RecordBatchReader`, a polars or pandas `DataFrame`, ...), whose columns of
/// those names are read (a missing column is blank, other columns are
/// ignored; they must hold strings). Row numbers in the result are positions
/// in `data`.
///
/// `config` is the dedupe configuration (a `str` of JSON or a `Mapping`:
/// `method`, `threshold`, `rules`, `default_region`, `email_provider_rules`,
/// `blocking`, `max_block`, `cluster_min_link`, `train`, `term_frequency`,
/// `model`, `u_samples`, `seed`). `threads` (default 1) scans on more threads,
/// with the same result. `progress`, if given, is called as
/// `progress(stage, done, total)` on the calling thread while the scan runs
/// (`stage` is `"normalise"`, `"block"`, `"compare"`, `"train"`, `"score"`
/// or `"cluster"`; `done` of `total` units): `progress=lambda s, d, t: ...`,
/// e.g. with a tqdm bar `progress=lambda s, d, t: (bar.set_description(s),
/// bar.reset(t) if bar.total != t else None, bar.update(d - bar.n))`. An
/// exception it raises stops the reports and is
/// raised when the scan ends.
///
/// Raises `crm.ValidationError` naming the field for bad input
/// (`data[3].email`, `data[2].nickname`, the column `phone` of a table,
/// `dedupe.threshold` in the configuration, `threads`).
///
/// >>> import crm
/// >>> rows = [
/// ...     {"name": "Zhang Wei", "email": "WEI.ZHANG@huawei.com"},
/// ...     {"first_name": "Wei", "last_name": "Zhang", "email": "wei.zhang@huawei.com"},
/// ...     {},
/// ... ]
/// >>> result = crm.dedupe(rows, config={"method": "rules"})
/// >>> result
/// DedupeResult(rows=3, pairs=1, clusters=1, candidate_pairs=1)
/// >>> result.clusters()
/// [{'id': 0, 'rows': [0, 1], 'pairs': 1, 'min_probability': 0.99...}]
#[pyfunction]
#[pyo3(signature = (data, *, config = None, threads = 1, progress = None))]
pub fn dedupe(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
    threads: i64,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyDedupeResult> {
    let config = dedupe_config(config)?;
    let threads = usize::try_from(threads)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            to_py(crm::Error::invalid("threads", "must be at least 1").with_value(threads))
        })?;
    let progress: Option<Py<PyAny>> = match progress.filter(|p| !p.is_none()) {
        Some(callback) if !callback.is_callable() => {
            return Err(invalid(
                "progress",
                format!(
                    "must be callable as progress(stage, done, total), got {}",
                    callback.get_type().name()?
                ),
            ));
        }
        callback => callback.map(|c| c.clone().unbind()),
    };
    let records = records_of(py, data)?;
    let mut failure: Option<PyErr> = None;
    let scan = py.detach(|| {
        // The core reports on the caller's thread: take the GIL back for the
        // call, and keep the first exception for after the scan.
        let mut report = |step: Progress| {
            let Some(callback) = progress.as_ref() else {
                return;
            };
            if failure.is_some() {
                return;
            }
            Python::attach(|py| {
                if let Err(err) = callback.call1(py, (step.stage, step.done, step.total)) {
                    failure = Some(err);
                }
            });
        };
        let mut options = ScanOptions {
            threads,
            progress: None,
        };
        if progress.is_some() {
            options.progress = Some(&mut report);
        }
        crm::dedupe::scan(&records, &config, &mut options)
    });
    if let Some(err) = failure {
        return Err(err);
    }
    Ok(PyDedupeResult(scan.map_err(to_py)?))
}

/// Why two records do or do not match, without a scan: each a dict with the
/// keys `crm.dedupe` reads, scored with the configuration's `model` (or the
/// default one). Returns the explanation `DedupeResult.explain` gives.
///
/// >>> import crm
/// >>> why = crm.explain_match(
/// ...     {"first_name": "Jon", "last_name": "Smith", "phone": "+44 20 7946 0958"},
/// ...     {"first_name": "J.", "last_name": "Smyth", "phone": "020 7946 0958"},
/// ...     config={"default_region": "GB"},
/// ... )
/// >>> [(f["field"], f["level"]) for f in why["fields"]][:4]
/// [('first_name', 'similar'), ('last_name', 'similar'), ('email', 'missing'), ('phone', 'exact')]
#[pyfunction]
#[pyo3(signature = (a, b, config = None))]
pub fn explain_match(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let a = record(a, "a")?;
    let b = record(b, "b")?;
    let matcher = Matcher::new(&dedupe_config(config)?).map_err(to_py)?;
    to_python(py, serde_json::to_string(&matcher.explain(&a, &b)))
}

/// The dedupe configuration from a `str` of JSON or a `Mapping`; the default
/// without one. Errors are validation errors on `dedupe` or `dedupe.<field>`,
/// as the core reports them.
fn dedupe_config(value: Option<&Bound<'_, PyAny>>) -> PyResult<DedupeConfig> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(DedupeConfig::default());
    };
    let text = if value.cast::<PyString>().is_ok() {
        value.extract::<String>()?
    } else if value.cast::<PyMapping>().is_ok() {
        crate::engine::dumps(value, "dedupe").map_err(|err| {
            // What json.dumps cannot write comes back as a ConfigError: here it
            // is a validation error on the configuration, as the core's are.
            let py = value.py();
            match err.value(py).getattr("reason") {
                Ok(reason) if err.value(py).hasattr("path").unwrap_or(false) => invalid(
                    "dedupe",
                    format!(
                        "is not JSON: {}",
                        reason.str().map(|s| s.to_string()).unwrap_or_default()
                    ),
                ),
                _ => err,
            }
        })?
    } else {
        return Err(invalid(
            "dedupe",
            format!(
                "must be a str of JSON or a Mapping, got {}",
                value.get_type().name()?
            ),
        ));
    };
    DedupeConfig::from_json(&text).map_err(to_py)
}

// ----- records in ------------------------------------------------------------------

/// The records of `data`: a list of dicts, or a table.
fn records_of(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Vec<MatchRecord>> {
    if data.hasattr("__arrow_c_stream__")? || module_of(data)?.starts_with("pandas") {
        return table_records(py, data);
    }
    let shape = || {
        Ok::<_, PyErr>(invalid(
            "data",
            format!(
                "expects a list of dicts or a table (pyarrow, polars, pandas, ...), got {}",
                data.get_type().name()?
            ),
        ))
    };
    if data.cast::<PyString>().is_ok() || data.cast::<PyMapping>().is_ok() {
        return Err(shape()?);
    }
    let Ok(items) = data.try_iter() else {
        return Err(shape()?);
    };
    let mut records = Vec::new();
    for (at, item) in items.enumerate() {
        records.push(record(&item?, &format!("data[{at}]"))?);
    }
    Ok(records)
}

/// One record from a `Mapping` of field names to `str` or `None` (also the
/// candidate of `Crm.find_duplicates`), errors on `field` and `field.<key>`.
pub(crate) fn record(item: &Bound<'_, PyAny>, field: &str) -> PyResult<MatchRecord> {
    let Ok(map) = item.cast::<PyMapping>() else {
        return Err(invalid(
            field,
            format!(
                "expects a dict with any of the keys {FIELD_LIST}, got {}",
                item.get_type().name()?
            ),
        ));
    };
    let mut record = MatchRecord::default();
    for pair in map.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract()?;
        let Ok(key) = key.cast::<PyString>().map(|k| k.to_string()) else {
            return Err(invalid(
                field,
                format!("has the key {}, which is not a str", key.repr()?),
            ));
        };
        let at = format!("{field}.{key}");
        let slot = match key.as_str() {
            "first_name" => &mut record.first_name,
            "last_name" => &mut record.last_name,
            "name" => &mut record.name,
            "email" => &mut record.email,
            "phone" => &mut record.phone,
            "company" => &mut record.company,
            "title" => &mut record.title,
            "city" => &mut record.city,
            _ => {
                return Err(invalid(
                    &at,
                    format!("is not a field of a record; expected {FIELD_LIST}"),
                ));
            }
        };
        *slot = if value.is_none() {
            None
        } else if value.cast::<PyString>().is_ok() {
            Some(value.extract()?)
        } else {
            return Err(invalid(
                &at,
                format!("expects a str or None, got {}", value.get_type().name()?),
            ));
        };
    }
    Ok(record)
}

/// The records of a table, batch by batch; each batch is converted with the
/// GIL released.
fn table_records(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Vec<MatchRecord>> {
    let mut reader = open_stream(py, data)?;
    let schema = reader.schema();
    let mut columns: [Option<usize>; 8] = [None; 8];
    for (slot, name) in columns.iter_mut().zip(FIELDS) {
        let Ok(at) = schema.index_of(name) else {
            continue;
        };
        let kind = schema.field(at).data_type();
        if !is_text(kind) {
            return Err(invalid(
                name,
                format!("is a column of {kind}; a record's fields are strings"),
            ));
        }
        *slot = Some(at);
    }
    let mut records = Vec::new();
    while let Some(batch) = next_batch(&mut reader)? {
        py.detach(|| add_batch(&batch, &columns, &mut records))
            .map_err(to_py)?;
    }
    Ok(records)
}

fn is_text(kind: &DataType) -> bool {
    match kind {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

fn add_batch(
    batch: &RecordBatch,
    columns: &[Option<usize>; 8],
    records: &mut Vec<MatchRecord>,
) -> crm::Result<()> {
    let rows = batch.num_rows();
    let mut values: Vec<Vec<Option<String>>> = Vec::with_capacity(8);
    for (column, name) in columns.iter().zip(FIELDS) {
        values.push(match column {
            Some(at) => strings(batch.column(*at), name)?,
            None => vec![None; rows],
        });
    }
    let mut fields: Vec<_> = values.into_iter().map(Vec::into_iter).collect();
    let mut next = |i: usize| fields[i].next().flatten();
    for _ in 0..rows {
        records.push(MatchRecord {
            first_name: next(0),
            last_name: next(1),
            name: next(2),
            email: next(3),
            phone: next(4),
            company: next(5),
            title: next(6),
            city: next(7),
        });
    }
    Ok(())
}

/// A string column's values (null: `None`).
fn strings(array: &ArrayRef, column: &str) -> crm::Result<Vec<Option<String>>> {
    let own = |s: Option<&str>| s.map(str::to_owned);
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().map(own).collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().map(own).collect(),
        DataType::Utf8View => array.as_string_view().iter().map(own).collect(),
        DataType::Null => vec![None; array.len()],
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let values = strings(dictionary.values(), column)?;
            if values.is_empty() {
                vec![None; array.len()]
            } else {
                dictionary
                    .normalized_keys()
                    .into_iter()
                    .enumerate()
                    .map(|(i, key)| {
                        if array.is_null(i) {
                            None
                        } else {
                            values[key].clone()
                        }
                    })
                    .collect()
            }
        }
        other => {
            return Err(crm::Error::invalid(
                column,
                format!("is a column of {other}; a record's fields are strings"),
            ));
        }
    })
}

/// An Arrow stream reader over `data` (as the RFM functions read tables),
/// with polars' all-null record columns cast to strings first.
fn open_stream(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<Box<dyn RecordBatchReader + Send>> {
    if module_of(data)?.starts_with("polars") {
        crate::rfm::open_stream(py, &strings_for_nulls(py, data)?, "data")
    } else {
        crate::rfm::open_stream(py, data, "data")
    }
}

/// A polars frame with its all-null (`Null` typed) record columns cast to
/// strings: arrow-rs refuses the validity buffer polars exports for a null
/// array ("The datatype Null doesn't expect buffer at index 0").
fn strings_for_nulls<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if !data.hasattr("schema")? || !data.hasattr("with_columns")? {
        return Ok(data.clone());
    }
    let polars = py.import("polars")?;
    let null = polars.getattr("Null")?;
    let schema = data.getattr("schema")?;
    let mut casts = Vec::new();
    for name in FIELDS {
        let kind = schema.call_method1("get", (name,))?;
        if !kind.is_none() && kind.eq(&null)? {
            casts.push(
                polars
                    .call_method1("col", (name,))?
                    .call_method1("cast", (polars.getattr("String")?,))?,
            );
        }
    }
    if casts.is_empty() {
        return Ok(data.clone());
    }
    data.call_method1("with_columns", (casts,))
}

// ----- results out -----------------------------------------------------------------

/// pyarrow, when it is installed in version 14 or later.
fn pyarrow(py: Python<'_>) -> Option<Bound<'_, PyModule>> {
    let pyarrow = py.import("pyarrow").ok()?;
    let version: String = pyarrow.getattr("__version__").ok()?.extract().ok()?;
    let major: u32 = version.split('.').next()?.parse().ok()?;
    (major >= 14).then_some(pyarrow)
}

/// A core value as plain Python values (dicts, lists, str, int, float, None)
/// through its serde form, keys in the order the core declares them.
pub(crate) fn to_python(py: Python<'_>, json: serde_json::Result<String>) -> PyResult<Py<PyAny>> {
    let json = json.map_err(|e| to_py(crm::Error::invalid("dedupe", e.to_string())))?;
    Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
}
