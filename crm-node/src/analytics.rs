//! Analytics as module-level pieces: metric results as tables, and the
//! lifetime-value fit as a pure function (no engine, no store). The models
//! are the core's, see [`crm::analytics`].
//!
//! - `Table`: what the engine's `metric` returns, `{ metric, columns, rows }`,
//!   its rows plain objects keyed by column name, with decimals (money) as
//!   strings, times as RFC 3339 strings, dates and months (`2026-03`) as
//!   strings and `null` where there is no value;
//! - `fitClv(purchases, asOf, options?)` summarises purchases (`{ customer,
//!   at, amount }`, as `scoreRfm` takes them), fits the BG/NBD and Gamma-Gamma
//!   models and values every customer ([`crm::analytics::fit_clv`]), with an
//!   `...Async` twin that fits on libuv's thread pool.
//!
//! Model parameters, probabilities and expected counts are JS numbers; money
//! (monetary, expected value, CLV) decimal strings.

use std::ffi::CString;

use napi::bindgen_prelude::{AsyncTask, JsObjectValue, Object, ToNapiValue, TypeName};
use napi::{Env, JsValue, ValueType, sys};
use napi_derive::napi;
use serde_json::Value;

use crm::analytics::{BgNbd, ClvModel, ClvOptions, ClvPrediction, Column, GammaGamma, Table};

use crate::clock::{TimeInput, time};
use crate::convert::count_u32;
use crate::engine::{Job, Pending, guarded};
use crate::rfm::{JsPurchase, core_purchases};

/// One column of a `Table`: its name (the key of the rows' values) and what
/// it holds.
#[napi(object, js_name = "TableColumn", object_from_js = false)]
pub struct JsTableColumn {
    /// The column's name, in snake_case as the core names it
    /// (`conversion_rate`): the key of its value in each row.
    pub name: String,
    /// What its values are: `text` (strings), `integer` and `float` (JS
    /// numbers), `decimal` (exact decimal strings such as `'1000.00'`), `time`
    /// (RFC 3339 strings in UTC), `date` (`2026-03-10`, or a month `2026-03`)
    /// or `bool`; `null` where a row has no value.
    #[napi(ts_type = "'text' | 'integer' | 'float' | 'decimal' | 'time' | 'date' | 'bool'")]
    pub kind: String,
}

impl From<Column> for JsTableColumn {
    fn from(column: Column) -> Self {
        JsTableColumn {
            name: column.name,
            kind: column.kind.as_str().to_owned(),
        }
    }
}

/// A metric's result as a table: typed columns, and one plain object per row
/// keyed by column name.
///
/// Values keep the binding's policies: decimals (money) are strings, never JS
/// numbers; times RFC 3339 strings; integers and floats JS numbers; `null`
/// where there is none. `columns` gives the order and the kinds, for a grid
/// or a data frame.
#[napi(object, js_name = "Table", object_from_js = false)]
pub struct JsTable {
    /// The metric's name (`lead_conversion`, `win_rate`, ...).
    pub metric: String,
    /// The columns, in order.
    pub columns: Vec<JsTableColumn>,
    /// The rows: `{ [column name]: value }`, the keys in column order.
    #[napi(ts_type = "Array<Record<string, string | number | boolean | null>>")]
    pub rows: TableRows,
}

impl From<Table> for JsTable {
    fn from(table: Table) -> Self {
        let names = table.columns.iter().map(|c| c.name.clone()).collect();
        JsTable {
            metric: table.metric,
            columns: table.columns.into_iter().map(JsTableColumn::from).collect(),
            rows: TableRows {
                names,
                rows: table.rows,
            },
        }
    }
}

/// The rows of a table, for JS: an array of plain objects whose keys are the
/// column names in column order (a JSON map would sort them). The names are
/// made property keys once, for every row.
pub struct TableRows {
    names: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl TypeName for TableRows {
    fn type_name() -> &'static str {
        "Array<Record<string, string | number | boolean | null>>"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for TableRows {
    unsafe fn to_napi_value(env: sys::napi_env, table: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let keys = table
            .names
            .into_iter()
            .map(CString::new)
            .collect::<Result<Vec<_>, _>>()?;
        let len = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
        let mut array = env.create_array(len)?;
        for (index, values) in (0..len).zip(table.rows) {
            let mut object = Object::new(&env)?;
            for (key, value) in keys.iter().zip(values) {
                object.set_c_named_property(key, value)?;
            }
            array.set(index, object)?;
        }
        Ok(array.raw())
    }
}

/// How lifetime value is predicted: the horizon, the discount and (for
/// `fitClv`) the rounding of money. Every key is optional.
#[napi(object, js_name = "ClvOptions", object_to_js = false)]
pub struct JsClvOptions {
    /// The horizon, in months of 30 days (a whole number, 1 to 1200; default
    /// 12).
    pub months: Option<f64>,
    /// The monthly discount rate, a JS number (a rate, not money; default
    /// 0.01).
    pub monthly_discount: Option<f64>,
    /// The minor units money is rounded to (default 2). In the engine (the
    /// `clv` metric) the purchases' currency decides, when there is one.
    pub minor_units: Option<f64>,
}

impl JsClvOptions {
    /// The core options, the defaults where a key is absent.
    pub(crate) fn into_core(self) -> crm::Result<ClvOptions> {
        let mut options = ClvOptions::default();
        if let Some(months) = self.months {
            options.months = count_u32("months", months)?;
        }
        if let Some(discount) = self.monthly_discount {
            options.monthly_discount = discount;
        }
        if let Some(minor) = self.minor_units {
            options.minor_units = count_u32("minor_units", minor)?;
        }
        Ok(options)
    }
}

/// [`JsClvOptions::into_core`] for absent options.
pub(crate) fn clv_options(options: Option<JsClvOptions>) -> crm::Result<ClvOptions> {
    options.map_or_else(|| Ok(ClvOptions::default()), JsClvOptions::into_core)
}

/// The fitted BG/NBD model of repeat purchases (JS numbers).
#[napi(object, js_name = "BgNbd", object_from_js = false)]
pub struct JsBgNbd {
    /// The shape of the purchase rate's gamma distribution.
    pub r: f64,
    /// Its scale, in days.
    pub alpha: f64,
    /// The first shape of the dropout probability's beta distribution.
    pub a: f64,
    /// Its second shape.
    pub b: f64,
    /// The mean log-likelihood at the fit.
    pub log_likelihood: f64,
    /// The optimiser's iterations.
    pub iterations: u32,
}

impl From<BgNbd> for JsBgNbd {
    fn from(model: BgNbd) -> Self {
        JsBgNbd {
            r: model.r,
            alpha: model.alpha,
            a: model.a,
            b: model.b,
            log_likelihood: model.log_likelihood,
            iterations: model.iterations,
        }
    }
}

/// The fitted Gamma-Gamma model of spend per purchase (JS numbers).
#[napi(object, js_name = "GammaGamma", object_from_js = false)]
pub struct JsGammaGamma {
    /// The shape of the spend's gamma distribution.
    pub p: f64,
    /// The shape of its scale's gamma distribution.
    pub q: f64,
    /// The scale of that distribution.
    pub v: f64,
    /// The mean log-likelihood at the fit.
    pub log_likelihood: f64,
    /// The optimiser's iterations.
    pub iterations: u32,
}

impl From<GammaGamma> for JsGammaGamma {
    fn from(model: GammaGamma) -> Self {
        JsGammaGamma {
            p: model.p,
            q: model.q,
            v: model.v,
            log_likelihood: model.log_likelihood,
            iterations: model.iterations,
        }
    }
}

/// One customer's summary (in days, purchases grouped by calendar day in
/// UTC) and predicted value.
#[napi(object, js_name = "ClvPrediction", object_from_js = false)]
pub struct JsClvPrediction {
    /// The customer's id.
    pub customer: String,
    /// Repeat purchase days (purchase days less one).
    pub frequency: u32,
    /// Days from the first purchase day to the last.
    pub recency: u32,
    /// Days from the first purchase day to `asOf`.
    pub t: u32,
    /// The mean day total after the first day, a decimal string (`'0'`
    /// without repeat days).
    pub monetary: String,
    /// The probability the customer is still active, a JS number.
    pub p_alive: f64,
    /// Purchases expected in the horizon, a JS number.
    pub expected_purchases: f64,
    /// The expected spend per purchase, a decimal string rounded to the minor
    /// unit.
    pub expected_value: String,
    /// The discounted value of the horizon's purchases, a decimal string
    /// rounded to the minor unit.
    pub clv: String,
}

impl From<ClvPrediction> for JsClvPrediction {
    fn from(prediction: ClvPrediction) -> Self {
        JsClvPrediction {
            customer: prediction.summary.customer,
            frequency: prediction.summary.frequency,
            recency: prediction.summary.recency,
            t: prediction.summary.t,
            monetary: prediction.summary.monetary.to_string(),
            p_alive: prediction.p_alive,
            expected_purchases: prediction.expected_purchases,
            expected_value: prediction.expected_value.to_string(),
            clv: prediction.clv.to_string(),
        }
    }
}

/// What `fitClv` returns: both models and every customer's prediction.
#[napi(object, js_name = "ClvModel", object_from_js = false)]
pub struct JsClvModel {
    /// The BG/NBD model.
    pub bg_nbd: JsBgNbd,
    /// The Gamma-Gamma model.
    pub gamma_gamma: JsGammaGamma,
    /// One entry per customer, ordered by id.
    pub customers: Vec<JsClvPrediction>,
}

impl From<ClvModel> for JsClvModel {
    fn from(model: ClvModel) -> Self {
        JsClvModel {
            bg_nbd: model.bg_nbd.into(),
            gamma_gamma: model.gamma_gamma.into(),
            customers: model
                .customers
                .into_iter()
                .map(JsClvPrediction::from)
                .collect(),
        }
    }
}

/// Fits lifetime value on purchases, as the `lifetimes` package does:
/// summarises them per customer up to `asOf` (purchases grouped by calendar
/// day in UTC; frequency is the repeat days, recency and `t` in days,
/// monetary the mean repeat-day total), fits the BG/NBD and Gamma-Gamma
/// models by maximum likelihood, and values every customer over the horizon
/// (`options.months`, default 12, discounted by `options.monthlyDiscount`
/// per month, default 0.01).
///
/// `purchases` are `{ customer, at, amount }` as `scoreRfm` takes them
/// (amounts as decimal strings, never JS numbers; times as RFC 3339 strings
/// or `Date`s); those after `asOf` are left out.
///
/// @example
/// ```js
/// const { fitClv } = require('crm')
/// const model = fitClv(purchases, '2026-04-01T00:00:00Z', { months: 6 })
/// model.bgNbd.r              // a JS number
/// model.customers[0].clv     // '123.45', a decimal string
/// ```
///
/// @throws {Error} `validation` on `data` when there is too little history to
/// fit (no repeat purchases), on `as_of`, on `purchases[i].at` or
/// `purchases[i].amount`, on `months` (not a whole number, 0 or above 1200),
/// on `monthly_discount` (negative or not finite), on `minor_units`.
#[napi]
pub fn fit_clv(
    env: Env,
    purchases: Vec<JsPurchase>,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    options: Option<JsClvOptions>,
) -> napi::Result<JsClvModel> {
    guarded(|| fit(purchases, as_of, options)).map_err(|failure| failure.into_js(&env))
}

/// `fitClv` off the main thread: a Promise of the model, rejected with the
/// `Error` that `fitClv` throws.
#[napi(ts_return_type = "Promise<ClvModel>")]
pub fn fit_clv_async(
    purchases: Vec<JsPurchase>,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    options: Option<JsClvOptions>,
) -> Pending<JsClvModel> {
    AsyncTask::new(Job::new(move || guarded(|| fit(purchases, as_of, options))))
}

/// What `fitClv` and `fitClvAsync` run.
fn fit(
    purchases: Vec<JsPurchase>,
    as_of: TimeInput,
    options: Option<JsClvOptions>,
) -> crm::Result<JsClvModel> {
    let as_of = time("as_of", as_of)?;
    let options = clv_options(options)?;
    let purchases = core_purchases(purchases)?;
    crm::analytics::fit_clv(&purchases, as_of, &options).map(JsClvModel::from)
}
