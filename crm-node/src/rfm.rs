//! Customer value (RFM): recency, frequency and monetary scores, segments,
//! tiers and activity signals, as module-level functions (no engine, no store:
//! pure functions of their arguments). The definition is the core's, see
//! [`crm::rfm`].
//!
//! The same computation comes in two shapes:
//!
//! - rows: `scoreRfm(purchases, asOf, config?)` takes `{ customer, at, amount }`
//!   objects (amounts as decimal strings, times as RFC 3339 strings or
//!   `Date`s) and returns a plain object per customer ([`crm::rfm::score`]);
//! - columns: `scoreRfmColumns({ customers, at, amountsMinor }, asOf,
//!   options?)` takes typed arrays and returns typed arrays, for millions of
//!   rows ([`crm::rfm::score_columns`]). The input arrays are read where they
//!   are (napi's typed array views: no JS value per row), and the result
//!   columns are Rust vectors handed over as the memory of new typed arrays.
//!
//! Each has an `...Async` twin that scores on libuv's thread pool. The
//! columnar one copies its input columns into Rust memory on the main thread
//! first (one copy of the bytes each, no conversion per value): JS code running
//! meanwhile could otherwise change, detach or transfer the arrays while the
//! thread pool reads them.

use std::borrow::Cow;
use std::ptr;

use napi::bindgen_prelude::{
    AsyncTask, BigInt64Array, Float64Array, FromNapiValue, Int32Array, TypeName, TypedArrayType,
    Uint8Array, Uint16Array,
};
use napi::{Env, ValueType, sys};
use napi_derive::napi;

use crm::Error;
use crm::rfm::{CustomerValue, Purchase, RfmTable, Skipped};

use crate::clock::{TimeInput, rfc3339, time};
use crate::config::{ConfigInput, rfm_config};
use crate::convert::{MAX_SAFE_INTEGER, number, size};
use crate::engine::{Job, Pending, guarded};

use crm::rfm::{SIGNALS, TIERS};

/// One purchase, as `scoreRfm` takes it; a negative amount is a refund.
#[napi(object, js_name = "Purchase", object_to_js = false)]
pub struct JsPurchase {
    /// The customer's id.
    pub customer: String,
    /// When (an RFC 3339 string, exact to the microsecond, or a `Date`).
    #[napi(ts_type = "string | Date")]
    pub at: TimeInput,
    /// How much, a decimal string such as `'49.90'` (never a JS number);
    /// negative: a refund. More decimal places than the configured minor unit
    /// (default 2) is a `validation` error.
    pub amount: String,
}

/// What was left out of the scores, and why.
#[napi(object, js_name = "RfmSkipped", object_from_js = false)]
pub struct JsRfmSkipped {
    /// Purchases dated after `asOf` (not yet happened, as of then).
    pub future: i64,
    /// Customers with refunds only: nothing to score.
    pub refund_only: i64,
}

impl From<Skipped> for JsRfmSkipped {
    fn from(skipped: Skipped) -> Self {
        JsRfmSkipped {
            future: number(skipped.future),
            refund_only: number(skipped.refund_only),
        }
    }
}

/// One customer's value: what they bought, their scores (1 to `bins`, higher
/// is better), segment, tier and activity signal.
#[napi(object, js_name = "CustomerValue", object_from_js = false)]
pub struct JsCustomerValue {
    /// The customer's id.
    pub customer: String,
    /// Whole calendar days (UTC) from the last purchase to `asOf`.
    pub recency_days: i64,
    /// How many purchases (refunds are not purchases).
    pub frequency: i64,
    /// The sum of the amounts, refunds taken off (or, with `"monetary":
    /// "mean"`, that sum per purchase), a decimal string with the minor unit's
    /// places (`'100.00'`).
    pub monetary: String,
    /// The first purchase (RFC 3339, UTC, exact to the microsecond).
    pub first_purchase: String,
    /// Days from the first purchase to `asOf`.
    pub tenure_days: i64,
    /// Recency score: the most recent customers score highest.
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// `floor((f + m + 1) / 2)`.
    pub fm: u8,
    /// The segment (by default one of the standard 11: `'Champions'`,
    /// `'Loyal Customers'`, ..., `'Lost'`).
    pub segment: String,
    /// The tier of the segment.
    #[napi(ts_type = "'A' | 'B' | 'C'")]
    pub tier: String,
    /// How long the customer has been silent, compared with their own
    /// cadence.
    #[napi(ts_type = "'active' | 'at_risk' | 'dormant' | 'churned'")]
    pub signal: String,
}

impl From<CustomerValue> for JsCustomerValue {
    fn from(value: CustomerValue) -> Self {
        JsCustomerValue {
            customer: value.customer,
            recency_days: value.recency_days,
            frequency: number(value.frequency),
            monetary: value.monetary.to_string(),
            first_purchase: rfc3339(value.first_purchase),
            tenure_days: value.tenure_days,
            r: value.r,
            f: value.f,
            m: value.m,
            fm: value.fm,
            segment: value.segment,
            tier: value.tier,
            signal: value.signal,
        }
    }
}

/// What `scoreRfm` returns: the scored customers, ordered by id, and what was
/// left out.
#[napi(object, js_name = "RfmResult", object_from_js = false)]
pub struct JsRfmResult {
    /// One entry per customer with at least one purchase, ordered by id.
    pub customers: Vec<JsCustomerValue>,
    /// What was left out.
    pub skipped: JsRfmSkipped,
}

impl From<RfmTable> for JsRfmResult {
    fn from(table: RfmTable) -> Self {
        JsRfmResult {
            customers: table
                .rows()
                .into_iter()
                .map(JsCustomerValue::from)
                .collect(),
            skipped: table.skipped.into(),
        }
    }
}

/// Scores purchases: per customer, recency, frequency and monetary, their
/// scores (1 to `bins`), the segment, the tier and the activity signal.
///
/// Purchases after `asOf` are left out (counted in `skipped.future`). A
/// negative amount is a refund: it lowers monetary but is no purchase (it
/// moves neither frequency nor recency); a customer with refunds only is left
/// out (counted in `skipped.refundOnly`). `config` is the RFM configuration
/// JSON (a string, or a plain object passed through `JSON.stringify`; every
/// key optional): `bins`, `ties` (`'equal'` or `'position'`), `monetary`
/// (`'sum'` or `'mean'`), `thresholds`, `segments`, `tiers`, `signals`,
/// `minor_units`, `threads`. Without it, the defaults: 5 bins, equal values
/// score equal, the standard segments.
///
/// For many rows, `scoreRfmColumns` takes typed arrays instead.
///
/// @example
/// ```js
/// const { scoreRfm } = require('crm')
/// const { customers } = scoreRfm(
///   [
///     { customer: 'ann', at: '2026-01-02T12:00:00Z', amount: '50.00' },
///     { customer: 'ann', at: '2026-01-20T12:00:00Z', amount: '25.00' },
///     { customer: 'bob', at: '2026-01-10T12:00:00Z', amount: '9.00' },
///   ],
///   '2026-01-31T12:00:00Z',
/// )
/// customers[0].monetary // '75.00'
/// ```
///
/// @throws {Error} `config` naming the path (`rfm.bins`, `rfm.segments`,
/// `rfm.thresholds.monetary`, ...) when the configuration does not read;
/// `validation` on `as_of`, on `purchases[i].at` for a malformed time, on
/// `purchases[i].amount` for an amount that is not a decimal number or has more
/// decimal places than the minor unit.
#[napi]
pub fn score_rfm(
    env: Env,
    purchases: Vec<JsPurchase>,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    #[napi(ts_arg_type = "string | Record<string, any>")] config: Option<ConfigInput>,
) -> napi::Result<JsRfmResult> {
    guarded(|| score_rows(purchases, as_of, config)).map_err(|failure| failure.into_js(&env))
}

/// `scoreRfm` off the main thread: a Promise of the result, rejected with the
/// `Error` that `scoreRfm` throws.
#[napi(ts_return_type = "Promise<RfmResult>")]
pub fn score_rfm_async(
    purchases: Vec<JsPurchase>,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    #[napi(ts_arg_type = "string | Record<string, any>")] config: Option<ConfigInput>,
) -> Pending<JsRfmResult> {
    AsyncTask::new(Job::new(move || {
        guarded(|| score_rows(purchases, as_of, config))
    }))
}

/// What `scoreRfm` and `scoreRfmAsync` run.
fn score_rows(
    purchases: Vec<JsPurchase>,
    as_of: TimeInput,
    config: Option<ConfigInput>,
) -> crm::Result<JsRfmResult> {
    let config = rfm_config(config)?;
    let as_of = time("as_of", as_of)?;
    let purchases = core_purchases(purchases)?;
    crm::rfm::score(&purchases, as_of, &config).map(JsRfmResult::from)
}

/// The purchases as the core takes them, each time and amount read and
/// refused naming its row (`purchases[1].amount`): what `scoreRfm` and
/// `fitClv` read.
pub(crate) fn core_purchases(purchases: Vec<JsPurchase>) -> crm::Result<Vec<Purchase>> {
    purchases
        .into_iter()
        .enumerate()
        .map(|(row, purchase)| {
            let at = time(&format!("purchases[{row}].at"), purchase.at)?;
            // The core's exact decimal, read as its JSON reader reads it.
            let amount = purchase.amount.trim().parse().map_err(|_| {
                let shown: String = purchase.amount.chars().take(40).collect();
                Error::invalid(
                    format!("purchases[{row}].amount"),
                    "is not a decimal number",
                )
                .with_value(shown)
            })?;
            Ok(Purchase::new(purchase.customer, at, amount))
        })
        .collect()
}

/// A column of `scoreRfmColumns`, as JS passes it: one of the typed arrays the
/// column takes, held by reference (its memory is read where it is). Anything
/// else is kept as what it is, so that the function refuses it with a
/// `validation` error naming the column rather than a conversion error.
pub struct ColumnInput(Column);

enum Column {
    BigInt64(BigInt64Array),
    Int32(Int32Array),
    Float64(Float64Array),
    /// Not a typed array the columns take: what it is, in words.
    Other(String),
}

impl TypeName for ColumnInput {
    fn type_name() -> &'static str {
        "BigInt64Array | Int32Array | Float64Array"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl FromNapiValue for ColumnInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut is_typed_array = false;
        check(unsafe { sys::napi_is_typedarray(env, value, &mut is_typed_array) })?;
        if !is_typed_array {
            let mut is_array = false;
            check(unsafe { sys::napi_is_array(env, value, &mut is_array) })?;
            let mut raw_type = 0;
            check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
            let what = if is_array {
                "an Array".to_owned()
            } else {
                ValueType::from(raw_type).to_string()
            };
            return Ok(ColumnInput(Column::Other(what)));
        }
        let mut kind = 0;
        check(unsafe {
            sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        })?;
        let column = match TypedArrayType::from(kind) {
            TypedArrayType::BigInt64 => {
                Column::BigInt64(unsafe { BigInt64Array::from_napi_value(env, value) }?)
            }
            TypedArrayType::Int32 => {
                Column::Int32(unsafe { Int32Array::from_napi_value(env, value) }?)
            }
            TypedArrayType::Float64 => {
                Column::Float64(unsafe { Float64Array::from_napi_value(env, value) }?)
            }
            other => Column::Other(article(&format!("{}Array", other.as_ref()))),
        };
        Ok(ColumnInput(column))
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    crate::convert::napi_ok(status, "could not read a column")
}

impl ColumnInput {
    /// The values where they are, in the typed array's memory: what the
    /// synchronous function reads (no JS code runs while it does).
    fn view(&self) -> View<'_> {
        match &self.0 {
            Column::BigInt64(array) => View::I64(array),
            Column::Int32(array) => View::I32(array),
            Column::Float64(array) => View::F64(array),
            Column::Other(what) => View::Other(what),
        }
    }

    /// The values copied into Rust memory (the bytes, as they are): what the
    /// `...Async` function takes to the thread pool.
    fn owned(self) -> Owned {
        match self.0 {
            Column::BigInt64(array) => Owned::I64(array.to_vec()),
            Column::Int32(array) => Owned::I32(array.to_vec()),
            Column::Float64(array) => Owned::F64(array.to_vec()),
            Column::Other(what) => Owned::Other(what),
        }
    }
}

/// A column's values in Rust memory.
enum Owned {
    I64(Vec<i64>),
    I32(Vec<i32>),
    F64(Vec<f64>),
    Other(String),
}

impl Owned {
    fn view(&self) -> View<'_> {
        match self {
            Owned::I64(values) => View::I64(values),
            Owned::I32(values) => View::I32(values),
            Owned::F64(values) => View::F64(values),
            Owned::Other(what) => View::Other(what),
        }
    }
}

/// A column's values, wherever they are.
#[derive(Clone, Copy)]
enum View<'a> {
    I64(&'a [i64]),
    I32(&'a [i32]),
    F64(&'a [f64]),
    Other(&'a str),
}

impl View<'_> {
    fn len(self) -> usize {
        match self {
            View::I64(values) => values.len(),
            View::I32(values) => values.len(),
            View::F64(values) => values.len(),
            View::Other(_) => 0,
        }
    }

    /// What the value is, in words, when it is not a column `accepted` takes.
    fn refused(self, accepted: &[&str]) -> Option<String> {
        let name = match self {
            View::I64(_) => "BigInt64Array",
            View::I32(_) => "Int32Array",
            View::F64(_) => "Float64Array",
            View::Other(what) => return Some(what.to_owned()),
        };
        (!accepted.contains(&name)).then(|| article(name))
    }
}

/// A type's name with its article: `an Int32Array`, `a Uint8Array` (said
/// "you-int").
fn article(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// The purchases as columns, one entry per purchase, all the same length.
#[napi(object, js_name = "PurchaseColumns", object_to_js = false)]
pub struct JsPurchaseColumns {
    /// The customer ids: a `BigInt64Array`, an `Int32Array`, or a
    /// `Float64Array` of whole numbers (up to 2^53 - 1).
    #[napi(ts_type = "BigInt64Array | Int32Array | Float64Array")]
    pub customers: ColumnInput,
    /// When: a `BigInt64Array` of microseconds since 1970 (UTC), or a
    /// `Float64Array` of whole milliseconds since 1970 (what `Date.getTime()`
    /// gives: the microseconds are lost, so recency and signals are then
    /// exact to the millisecond).
    #[napi(ts_type = "BigInt64Array | Float64Array")]
    pub at: ColumnInput,
    /// How much, in minor units (cents, by default): a `BigInt64Array` or an
    /// `Int32Array`; negative: a refund.
    #[napi(ts_type = "BigInt64Array | Int32Array")]
    pub amounts_minor: ColumnInput,
}

/// Options of `scoreRfmColumns`.
#[napi(object, js_name = "RfmColumnsOptions", object_to_js = false)]
pub struct JsRfmColumnsOptions {
    /// The RFM configuration JSON, as `scoreRfm` takes it.
    #[napi(ts_type = "string | Record<string, any>")]
    pub config: Option<ConfigInput>,
    /// Threads to aggregate on (a whole number, 1 or more; default: the
    /// configuration's `threads`, 1). More pay off from about 100,000 rows;
    /// fewer rows use fewer threads.
    pub threads: Option<f64>,
}

/// What `scoreRfmColumns` returns: the scored customers as columns, one entry
/// per customer, ordered by customer id.
#[napi(object, js_name = "RfmColumns", object_from_js = false)]
pub struct JsRfmColumns {
    /// The customer ids (as given; a `BigInt64Array` whatever the input
    /// column was).
    pub customer: BigInt64Array,
    /// Whole calendar days (UTC) from the last purchase to `asOf`.
    pub recency_days: Int32Array,
    /// How many purchases (whole numbers, exact).
    pub frequency: Float64Array,
    /// Monetary in minor units: the sum, refunds taken off, or with
    /// `"monetary": "mean"` the sum per purchase, rounded half away from zero.
    pub monetary_minor: BigInt64Array,
    /// The first purchase, in microseconds since 1970 (UTC).
    pub first_purchase: BigInt64Array,
    /// Days from the first purchase to `asOf`.
    pub tenure_days: Int32Array,
    /// Recency scores (1 to `bins`).
    pub r: Uint8Array,
    /// Frequency scores.
    pub f: Uint8Array,
    /// Monetary scores.
    pub m: Uint8Array,
    /// `floor((f + m + 1) / 2)`.
    pub fm: Uint8Array,
    /// The segments, as positions in `segmentNames`.
    pub segment: Uint16Array,
    /// The segment names, by position.
    pub segment_names: Vec<String>,
    /// The tiers: 0 = A, 1 = B, 2 = C (positions in `tierNames`).
    pub tier: Uint8Array,
    /// `['A', 'B', 'C']`.
    #[napi(ts_type = "Array<'A' | 'B' | 'C'>")]
    pub tier_names: Vec<String>,
    /// The signals: 0 = active, 1 = at risk, 2 = dormant, 3 = churned
    /// (positions in `signalNames`).
    pub signal: Uint8Array,
    /// `['active', 'at_risk', 'dormant', 'churned']`.
    #[napi(ts_type = "Array<'active' | 'at_risk' | 'dormant' | 'churned'>")]
    pub signal_names: Vec<String>,
    /// The decimal places of the minor unit (2 by default): `monetaryMinor`
    /// 12345n is 123.45.
    pub minor_units: u32,
    /// What was left out.
    pub skipped: JsRfmSkipped,
}

/// Whole calendar days as an `Int32Array` entry. Days between two times
/// microseconds since 1970 can hold are within 2^28: they always fit.
fn days(values: Vec<i64>) -> Int32Array {
    Int32Array::new(
        values
            .into_iter()
            .map(|d| i32::try_from(d).unwrap_or(if d < 0 { i32::MIN } else { i32::MAX }))
            .collect(),
    )
}

impl From<RfmTable> for JsRfmColumns {
    fn from(table: RfmTable) -> Self {
        let names = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
        JsRfmColumns {
            customer: BigInt64Array::new(table.customer),
            recency_days: days(table.recency_days),
            // Counts are far below 2^53: exact as doubles.
            frequency: Float64Array::new(table.frequency.into_iter().map(|f| f as f64).collect()),
            monetary_minor: BigInt64Array::new(table.monetary_minor),
            first_purchase: BigInt64Array::new(table.first_purchase),
            tenure_days: days(table.tenure_days),
            r: Uint8Array::new(table.r),
            f: Uint8Array::new(table.f),
            m: Uint8Array::new(table.m),
            fm: Uint8Array::new(table.fm),
            segment: Uint16Array::new(table.segment),
            segment_names: table.segment_names,
            tier: Uint8Array::new(table.tier),
            tier_names: names(&TIERS),
            signal: Uint8Array::new(table.signal),
            signal_names: names(&SIGNALS),
            minor_units: table.minor_units,
            skipped: table.skipped.into(),
        }
    }
}

/// Scores purchases given as columns (typed arrays), as `scoreRfm` scores
/// rows, and returns the customers as columns (typed arrays): for millions of
/// purchases, where a JS object per row would cost more than the scoring.
///
/// The input arrays are read where they are, not converted value by value
/// into JS numbers; a `BigInt64Array` column is not copied at all, an
/// `Int32Array` or `Float64Array` one is widened to 64 bits in Rust. The
/// result arrays are the scoring's own memory. Customer ids are numbers here:
/// keep a table from your ids to them (`customer` comes back ordered by id).
///
/// `options.config` is the RFM configuration as `scoreRfm` takes it (amount
/// thresholds in the currency, e.g. `"100.00"`; `minor_units` says what a
/// minor unit is); `options.threads` splits the aggregation over that many
/// threads, which the call waits for.
///
/// @example
/// ```js
/// const { scoreRfmColumns } = require('crm')
/// const micros = (iso) => BigInt(Date.parse(iso)) * 1000n
/// const result = scoreRfmColumns(
///   {
///     customers: new Int32Array([1, 1, 2]),
///     at: new BigInt64Array(['2026-01-02T12:00:00Z', '2026-01-20T12:00:00Z', '2026-01-10T12:00:00Z'].map(micros)),
///     amountsMinor: new BigInt64Array([5000n, 2500n, 900n]),
///   },
///   '2026-01-31T12:00:00Z',
/// )
/// result.monetaryMinor[0] // 7500n
/// result.segmentNames[result.segment[0]]
/// ```
///
/// @throws {Error} `validation` on `customers`, `at` or `amounts_minor` when a
/// column is not one of the typed arrays it takes, when its length differs from
/// that of `customers`, or when a `Float64Array` holds a value that is not a
/// whole number (NaN, infinite, fractional, beyond 2^53 - 1); on `amounts` when
/// a customer's total does not fit in 64 bits; on `as_of`; on `threads` unless
/// it is a whole number, 1 or more; `config` naming the path when the
/// configuration does not read.
#[napi]
pub fn score_rfm_columns(
    env: Env,
    columns: JsPurchaseColumns,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    options: Option<JsRfmColumnsOptions>,
) -> napi::Result<JsRfmColumns> {
    let views = [
        columns.customers.view(),
        columns.at.view(),
        columns.amounts_minor.view(),
    ];
    guarded(|| score_columns(views, as_of, options)).map_err(|failure| failure.into_js(&env))
}

/// `scoreRfmColumns` off the main thread: a Promise of the columns, rejected
/// with the `Error` that `scoreRfmColumns` throws.
///
/// The input columns are copied (as bytes, one copy each) on the main thread
/// before the Promise exists, so changing the arrays afterwards does not
/// change the result; the scoring runs on libuv's thread pool.
#[napi(ts_return_type = "Promise<RfmColumns>")]
pub fn score_rfm_columns_async(
    columns: JsPurchaseColumns,
    #[napi(ts_arg_type = "string | Date")] as_of: TimeInput,
    options: Option<JsRfmColumnsOptions>,
) -> Pending<JsRfmColumns> {
    let owned = [
        columns.customers.owned(),
        columns.at.owned(),
        columns.amounts_minor.owned(),
    ];
    AsyncTask::new(Job::new(move || {
        guarded(|| score_columns(owned.each_ref().map(Owned::view), as_of, options))
    }))
}

/// What `scoreRfmColumns` and `scoreRfmColumnsAsync` run, over the customers,
/// times and amounts.
fn score_columns(
    [customers, at, amounts]: [View<'_>; 3],
    as_of: TimeInput,
    options: Option<JsRfmColumnsOptions>,
) -> crm::Result<JsRfmColumns> {
    let (config, threads) = match options {
        Some(options) => (options.config, options.threads),
        None => (None, None),
    };
    let mut config = rfm_config(config)?;
    if let Some(threads) = threads {
        config.threads = size("threads", threads)?;
        if config.threads == 0 {
            return Err(Error::invalid("threads", "must be at least 1").with_value(threads));
        }
    }
    let as_of = time("as_of", as_of)?;

    let columns = [
        (
            "customers",
            customers,
            &["BigInt64Array", "Int32Array", "Float64Array"][..],
            "a BigInt64Array, an Int32Array or a Float64Array",
        ),
        (
            "at",
            at,
            &["BigInt64Array", "Float64Array"][..],
            "a BigInt64Array (microseconds) or a Float64Array (milliseconds)",
        ),
        (
            "amounts_minor",
            amounts,
            &["BigInt64Array", "Int32Array"][..],
            "a BigInt64Array or an Int32Array",
        ),
    ];
    for (field, view, accepted, said) in columns {
        if let Some(what) = view.refused(accepted) {
            return Err(Error::invalid(field, format!("must be {said}, not {what}")));
        }
    }
    for (field, view, _, _) in &columns[1..] {
        if view.len() != customers.len() {
            return Err(Error::invalid(
                *field,
                format!(
                    "must have one entry per purchase, as customers has: {} entries, customers {}",
                    view.len(),
                    customers.len()
                ),
            ));
        }
    }

    let customers = integers("customers", customers)?;
    let at = match at {
        // Milliseconds within 2^53 are microseconds within 2^63.
        View::F64(millis) => Cow::Owned(
            whole("at", millis)?
                .into_iter()
                .map(|ms| ms * 1000)
                .collect(),
        ),
        other => integers("at", other)?,
    };
    let amounts = integers("amounts_minor", amounts)?;
    crm::rfm::score_columns(&customers, &at, &amounts, as_of, &config).map(JsRfmColumns::from)
}

/// A column as 64-bit integers: a `BigInt64Array` as it is, others widened.
fn integers<'a>(field: &str, view: View<'a>) -> crm::Result<Cow<'a, [i64]>> {
    match view {
        View::I64(values) => Ok(Cow::Borrowed(values)),
        View::I32(values) => Ok(Cow::Owned(values.iter().map(|v| i64::from(*v)).collect())),
        View::F64(values) => whole(field, values).map(Cow::Owned),
        View::Other(what) => Err(Error::invalid(field, format!("must not be {what}"))),
    }
}

/// A `Float64Array` column of whole numbers (within 2^53 - 1, where doubles
/// are exact) as integers.
fn whole(field: &str, values: &[f64]) -> crm::Result<Vec<i64>> {
    values
        .iter()
        .enumerate()
        .map(|(row, value)| {
            if value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
                Ok(*value as i64)
            } else {
                Err(Error::invalid(
                    field,
                    format!(
                        "must hold whole numbers from -(2^53 - 1) to 2^53 - 1; entry {row} is {value}"
                    ),
                )
                .with_value(value))
            }
        })
        .collect()
}
