//! Duplicate matching: finds the customers, contacts or leads among plain
//! records that are the same person or company, as module-level functions (no
//! engine, no store: pure functions of their arguments). The matching is the
//! core's, see [`crm::dedupe`]: normalise, block, compare, score
//! (Fellegi-Sunter and rules), cluster and explain.
//!
//! - `dedupe(records, options?)` scans a batch and returns a `DedupeResult`
//!   ([`crm::dedupe::scan`]): the matched pairs, a cluster id per row, the
//!   clusters, the model it scored with, the blocking report, and `explain`
//!   for any two rows;
//! - `explainMatch(a, b, config?)` explains one pair with the configured (or
//!   default) model ([`crm::dedupe::Matcher`]).
//!
//! Each has an `...Async` twin that runs on libuv's thread pool. Records are
//! read key by key on the main thread (see [`RecordsInput`]): an unknown key
//! or a value that is not a string is a `validation` error naming it
//! (`records[2].first_name`), never a conversion error.

use std::ptr;

use napi::bindgen_prelude::{AsyncTask, FromNapiValue, TypeName};
use napi::{Env, ValueType, sys};
use napi_derive::napi;

use crm::Error;
use crm::dedupe::{
    self, BlockReport, Cluster, DedupeConfig, Explanation, FieldExplanation, MatchRecord, Matcher,
    Scan, ScanOptions,
};

use crate::config::{ConfigInput, dedupe_config};
use crate::convert::{number, size};
use crate::engine::{Job, Pending, guarded};

/// At most this many characters of an unknown key are echoed in an error.
const SHOWN: usize = 40;

/// One record to match, as `dedupe` and `explainMatch` take it: a person
/// (first and last name, or one full `name`) and/or a company, with contact
/// points. Every field is optional; a blank or absent field is no evidence
/// either way (it never makes two records match, nor tells them apart). Any
/// other key is a `validation` error.
#[napi(object, js_name = "MatchRecord", object_to_js = false)]
pub struct JsMatchRecord {
    /// Given name.
    #[napi(ts_type = "string | null")]
    pub first_name: Option<String>,
    /// Family name.
    #[napi(ts_type = "string | null")]
    pub last_name: Option<String>,
    /// The full name, used when `firstName` and `lastName` are both blank:
    /// its first word is read as the first name and the rest as the last name
    /// (both orders are tried when comparing).
    #[napi(ts_type = "string | null")]
    pub name: Option<String>,
    /// Email address.
    #[napi(ts_type = "string | null")]
    pub email: Option<String>,
    /// Phone number, in any format (`'+1 415 555 0134'`, `'(415) 555-0134'`).
    #[napi(ts_type = "string | null")]
    pub phone: Option<String>,
    /// Company name (legal forms such as `Inc.` or `GmbH` are ignored).
    #[napi(ts_type = "string | null")]
    pub company: Option<String>,
    /// Job title.
    #[napi(ts_type = "string | null")]
    pub title: Option<String>,
    /// City (or a light address).
    #[napi(ts_type = "string | null")]
    pub city: Option<String>,
}

/// Where a field's value goes in a record.
type Slot = fn(&mut MatchRecord) -> &mut Option<String>;

/// The keys of a record in JS, with the core's (snake_case) name of each, and
/// where it goes.
const FIELDS: [(&str, &str, Slot); 8] = [
    ("firstName", "first_name", |r| &mut r.first_name),
    ("lastName", "last_name", |r| &mut r.last_name),
    ("name", "name", |r| &mut r.name),
    ("email", "email", |r| &mut r.email),
    ("phone", "phone", |r| &mut r.phone),
    ("company", "company", |r| &mut r.company),
    ("title", "title", |r| &mut r.title),
    ("city", "city", |r| &mut r.city),
];

/// Why a value is no record: where (relative to the argument: `''`, `'[2]'`,
/// `'.email'`, `'[2].email'`) and what is wrong.
struct Refusal {
    at: String,
    reason: String,
}

impl Refusal {
    /// The `validation` error naming the argument `name` and the place in it.
    fn error(self, name: &str) -> Error {
        Error::invalid(format!("{name}{}", self.at), self.reason)
    }

    fn inside(mut self, prefix: &str) -> Refusal {
        self.at.insert_str(0, prefix);
        self
    }
}

/// A record as JS passes it (`explainMatch`'s `a` and `b`): read key by key,
/// or why it is no record (kept, so that the function refuses it with a
/// `validation` error naming the key rather than a conversion error).
pub struct RecordInput(Result<MatchRecord, Refusal>);

/// The records of `dedupe` as JS passes them, an array of records: read, or
/// why not.
pub struct RecordsInput(Result<Vec<MatchRecord>, Refusal>);

impl RecordInput {
    /// The record, or the `validation` error naming the argument `name` and
    /// the key in it (`record.email`): also the candidate of the engine's
    /// `findDuplicates`.
    pub(crate) fn read(self, name: &str) -> crm::Result<MatchRecord> {
        self.0.map_err(|refusal| refusal.error(name))
    }
}

impl TypeName for RecordInput {
    fn type_name() -> &'static str {
        "MatchRecord"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl TypeName for RecordsInput {
    fn type_name() -> &'static str {
        "Array<MatchRecord>"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl FromNapiValue for RecordInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(RecordInput(unsafe { record(env, value) }?))
    }
}

impl FromNapiValue for RecordsInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut is_array = false;
        check(unsafe { sys::napi_is_array(env, value, &mut is_array) })?;
        if !is_array {
            let what = unsafe { type_of(env, value) }?;
            return Ok(RecordsInput(Err(Refusal {
                at: String::new(),
                reason: format!("must be an array of records, not {what}"),
            })));
        }
        let mut length = 0;
        check(unsafe { sys::napi_get_array_length(env, value, &mut length) })?;
        let mut records = Vec::with_capacity(length as usize);
        for row in 0..length {
            let mut element = ptr::null_mut();
            check(unsafe { sys::napi_get_element(env, value, row, &mut element) })?;
            match unsafe { record(env, element) }? {
                Ok(record) => records.push(record),
                Err(refusal) => {
                    return Ok(RecordsInput(Err(refusal.inside(&format!("[{row}]")))));
                }
            }
        }
        Ok(RecordsInput(Ok(records)))
    }
}

/// A JS value's type in words, telling arrays and `null` from objects.
unsafe fn type_of(env: sys::napi_env, value: sys::napi_value) -> napi::Result<String> {
    let mut is_array = false;
    check(unsafe { sys::napi_is_array(env, value, &mut is_array) })?;
    if is_array {
        return Ok("an Array".to_owned());
    }
    let mut raw_type = 0;
    check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
    Ok(ValueType::from(raw_type).to_string())
}

/// One record: a plain object whose keys are among [`FIELDS`], each a string,
/// `null` or `undefined`.
unsafe fn record(
    env: sys::napi_env,
    value: sys::napi_value,
) -> napi::Result<Result<MatchRecord, Refusal>> {
    let mut raw_type = 0;
    check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
    let mut is_array = false;
    check(unsafe { sys::napi_is_array(env, value, &mut is_array) })?;
    if ValueType::from(raw_type) != ValueType::Object || is_array {
        let what = unsafe { type_of(env, value) }?;
        return Ok(Err(Refusal {
            at: String::new(),
            reason: format!("must be a record (an object), not {what}"),
        }));
    }
    let mut keys = ptr::null_mut();
    check(unsafe { sys::napi_get_property_names(env, value, &mut keys) })?;
    let mut count = 0;
    check(unsafe { sys::napi_get_array_length(env, keys, &mut count) })?;
    let mut record = MatchRecord::default();
    for at in 0..count {
        let mut key = ptr::null_mut();
        check(unsafe { sys::napi_get_element(env, keys, at, &mut key) })?;
        let name = unsafe { String::from_napi_value(env, key) }?;
        let Some((_, field, slot)) = FIELDS.iter().find(|(js, _, _)| *js == name) else {
            let shown: String = name.chars().take(SHOWN).collect();
            let mut reason = "is not a field of a record: firstName, lastName, name, email, \
                              phone, company, title or city"
                .to_owned();
            // The core's snake_case name of a field: say the camelCase one.
            if let Some((js, _, _)) = FIELDS.iter().find(|(_, core, _)| *core == name) {
                reason.push_str(&format!(" (the keys are camelCase: {js})"));
            }
            return Ok(Err(Refusal {
                at: format!(".{shown}"),
                reason,
            }));
        };
        let mut inner = ptr::null_mut();
        check(unsafe { sys::napi_get_property(env, value, key, &mut inner) })?;
        let mut inner_type = 0;
        check(unsafe { sys::napi_typeof(env, inner, &mut inner_type) })?;
        match ValueType::from(inner_type) {
            ValueType::String => {
                *slot(&mut record) = Some(unsafe { String::from_napi_value(env, inner) }?)
            }
            ValueType::Null | ValueType::Undefined => {}
            _ => {
                let what = unsafe { type_of(env, inner) }?;
                return Ok(Err(Refusal {
                    at: format!(".{field}"),
                    reason: format!("must be a string or null, not {what}"),
                }));
            }
        }
    }
    Ok(Ok(record))
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    crate::convert::napi_ok(status, "could not read a record")
}

/// Options of `dedupe`.
#[napi(object, js_name = "DedupeOptions", object_to_js = false)]
pub struct JsDedupeOptions {
    /// The duplicate matching configuration JSON (a string, or a plain object
    /// passed through `JSON.stringify`; every key optional): `method`
    /// (`'probabilistic'`, `'rules'` or `'either'`), `threshold`, `rules`,
    /// `default_region`, `email_provider_rules`, `blocking`, `max_block`,
    /// `cluster_min_link`, `train`, `term_frequency`, `model`, `u_samples`,
    /// `seed`. Without it, the defaults.
    #[napi(ts_type = "string | Record<string, any>")]
    pub config: Option<ConfigInput>,
    /// Threads to scan on (a whole number, 1 or more; default 1). The result
    /// is the same whatever the number.
    pub threads: Option<f64>,
}

/// A matched pair of rows.
#[napi(
    object,
    js_name = "MatchPair",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsMatchPair {
    /// The smaller row (a position in the records).
    pub left: u32,
    /// The larger row.
    pub right: u32,
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The match weight (log2 of the odds, prior included).
    pub weight: f64,
    /// The name of the first rule that holds (`'name_email'`, ...), or `null`.
    pub rule: Option<String>,
}

/// A group of two or more rows found to be the same.
#[napi(object, js_name = "MatchCluster", object_from_js = false)]
pub struct JsMatchCluster {
    /// The cluster's id: its smallest row.
    pub id: u32,
    /// Its rows, ascending.
    pub rows: Vec<u32>,
    /// The matched pairs inside it.
    pub pairs: i64,
    /// The weakest matched pair's probability.
    pub min_probability: f64,
}

impl From<Cluster> for JsMatchCluster {
    fn from(cluster: Cluster) -> Self {
        JsMatchCluster {
            id: cluster.id,
            rows: cluster.rows,
            pairs: number(cluster.pairs as u64),
            min_probability: cluster.min_probability,
        }
    }
}

/// What one blocking key contributed to a scan.
#[napi(object, js_name = "BlockReport", object_from_js = false)]
pub struct JsBlockReport {
    /// The key.
    #[napi(
        ts_type = "'email' | 'phone' | 'name' | 'last_company' | 'last_domain' | 'first_company'"
    )]
    pub key: String,
    /// Blocks of two or more records compared.
    pub blocks: i64,
    /// Pairs those blocks hold (before removing pairs other keys found too).
    pub pairs: i64,
    /// Blocks larger than `max_block`, skipped.
    pub skipped_blocks: i64,
    /// Records in the skipped blocks.
    pub skipped_records: i64,
}

impl From<&BlockReport> for JsBlockReport {
    fn from(report: &BlockReport) -> Self {
        JsBlockReport {
            key: report.key.as_str().to_owned(),
            blocks: number(report.blocks),
            pairs: number(report.pairs),
            skipped_blocks: number(report.skipped_blocks),
            skipped_records: number(report.skipped_records),
        }
    }
}

/// One field of an explained pair.
#[napi(
    object,
    js_name = "FieldExplanation",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsFieldExplanation {
    /// The field.
    #[napi(
        ts_type = "'first_name' | 'last_name' | 'email' | 'phone' | 'company' | 'title' | 'city'"
    )]
    pub field: String,
    /// The left record's value, normalised (`null` when blank).
    pub left: Option<String>,
    /// The right record's value, normalised.
    pub right: Option<String>,
    /// How well they agree: `missing` (blank on either side: no evidence),
    /// `different`, `similar`, `close` or `exact`.
    #[napi(ts_type = "'missing' | 'different' | 'similar' | 'close' | 'exact'")]
    pub level: String,
    /// The string similarity behind the level, where one was computed.
    pub similarity: Option<f64>,
    /// Its match weight, log2(m / u) (0 when missing).
    pub weight: f64,
    /// Whether the weight was adjusted for how common the value is.
    pub term_frequency: bool,
}

impl From<FieldExplanation> for JsFieldExplanation {
    fn from(field: FieldExplanation) -> Self {
        JsFieldExplanation {
            field: field.field.as_str().to_owned(),
            left: field.left,
            right: field.right,
            level: field.level.as_str().to_owned(),
            similarity: field.similarity,
            weight: field.weight,
            term_frequency: field.term_frequency,
        }
    }
}

/// Why two records do or do not match.
#[napi(
    object,
    js_name = "MatchExplanation",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsMatchExplanation {
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The total match weight (prior included).
    pub weight: f64,
    /// log2 of the prior odds.
    pub prior_weight: f64,
    /// Per field, in a fixed order: first name, last name, email, phone,
    /// company, title, city.
    pub fields: Vec<JsFieldExplanation>,
    /// The first rule that holds, or `null`.
    pub rule: Option<String>,
    /// Whether the pair is a match under the configured method.
    pub matched: bool,
    /// What decided, e.g. `'probability 0.998 >= 0.9'` or `'rule name_email'`.
    pub decided_by: String,
    /// Whether the names matched in swapped order (first <-> last).
    pub names_swapped: bool,
}

impl From<Explanation> for JsMatchExplanation {
    fn from(why: Explanation) -> Self {
        JsMatchExplanation {
            probability: why.probability,
            weight: why.weight,
            prior_weight: why.prior_weight,
            fields: why
                .fields
                .into_iter()
                .map(JsFieldExplanation::from)
                .collect(),
            rule: why.rule,
            matched: why.matched,
            decided_by: why.decided_by,
            names_swapped: why.names_swapped,
        }
    }
}

/// The result of `dedupe`: the matched pairs, a cluster id per row, the
/// clusters, and why any two rows do or do not match. Rows are positions in
/// the records given.
#[napi]
pub struct DedupeResult {
    scan: Scan,
}

#[napi]
impl DedupeResult {
    /// The matched pairs, by (`left`, `right`).
    #[napi]
    pub fn pairs(&self) -> Vec<JsMatchPair> {
        self.scan
            .pairs()
            .iter()
            .map(|pair| JsMatchPair {
                left: pair.left,
                right: pair.right,
                probability: pair.probability,
                weight: pair.weight,
                rule: self.scan.rule_name(pair).map(str::to_owned),
            })
            .collect()
    }

    /// The cluster id of each row: the smallest row of its group (a row with
    /// no duplicate is its own group, its id its own row).
    #[napi]
    pub fn cluster_ids(&self) -> Vec<u32> {
        self.scan.cluster_ids().to_vec()
    }

    /// The groups of two or more rows, by id.
    #[napi]
    pub fn clusters(&self) -> Vec<JsMatchCluster> {
        self.scan
            .clusters()
            .into_iter()
            .map(JsMatchCluster::from)
            .collect()
    }

    /// Why rows `left` and `right` do or do not match (any two rows, compared
    /// or not): every field's normalised values, level, similarity and
    /// weight, the prior, the probability and the rule that held.
    ///
    /// @throws {Error} `validation` on `left` or `right` when it is not a row
    /// (not a whole number, negative, or not less than `length`).
    #[napi]
    pub fn explain(&self, env: Env, left: f64, right: f64) -> napi::Result<JsMatchExplanation> {
        guarded(|| {
            let left = size("left", left)?;
            let right = size("right", right)?;
            self.scan
                .try_explain(left, right)
                .map(JsMatchExplanation::from)
        })
        .map_err(|failure| failure.into_js(&env))
    }

    /// The model the scan scored with (trained on the records when there are
    /// at least 1,000 and `train` is on; otherwise the configured or default
    /// one), as the configuration's `model` JSON takes it: `{ prior, fields:
    /// { first_name: { m: [...], u: [...] }, ... } }`.
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn model(&self) -> napi::Result<serde_json::Value> {
        serde_json::to_value(self.scan.model())
            .map_err(|err| napi::Error::from_reason(format!("crm: the model: {err}")))
    }

    /// Pairs compared, after blocking.
    #[napi(getter)]
    pub fn candidate_pairs(&self) -> i64 {
        number(self.scan.candidate_pairs())
    }

    /// What each blocking key contributed.
    #[napi(getter)]
    pub fn blocking(&self) -> Vec<JsBlockReport> {
        self.scan
            .blocking()
            .iter()
            .map(JsBlockReport::from)
            .collect()
    }

    /// Rows scanned (the number of records given).
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        // A scan refuses more than u32::MAX records.
        u32::try_from(self.scan.len()).unwrap_or(u32::MAX)
    }
}

/// Finds the duplicates among `records`: pairs of rows that are the same
/// person or company, and the groups they form.
///
/// Names, emails, phones and company names are normalised first (case,
/// accents, phone formats read to E.164 with `default_region`, legal forms),
/// so typos and format variants match; a blank field is no evidence either
/// way. Only records sharing a blocking key are compared; each pair is scored
/// (a match probability, and the rules), and matched pairs join rows into
/// clusters without weak chains. `options.config` is the duplicate matching
/// configuration (a string or a plain object); `options.threads` runs the
/// scan on that many threads, which the call waits for (the result is the
/// same).
///
/// @example
/// ```js
/// const { dedupe } = require('crm')
/// const result = dedupe([
///   { firstName: 'Jonathan', lastName: 'Smith', email: 'jon.smith@acme.com', phone: '+1 415 555 0134' },
///   { firstName: 'Jonathon', lastName: 'SMITH', email: 'Jon.Smith@ACME.com', phone: '(415) 555-0134' },
///   { firstName: 'Maria', lastName: 'Garcia', email: 'maria@example.org' },
/// ])
/// result.clusterIds() // [0, 0, 2]
/// result.explain(0, 1).probability // > 0.99
/// ```
///
/// @throws {Error} `validation` on `records` when it is not an array, on
/// `records[i]` when a record is not an object, on `records[i].<key>` for a
/// key that is not a field, on `records[i].<field>` for a value that is not a
/// string or `null`; on `dedupe.<field>` (`dedupe.threshold`, ...) or
/// `dedupe` when the configuration does not read; on `threads` unless it is a
/// whole number, 1 or more.
#[napi]
pub fn dedupe(
    env: Env,
    #[napi(ts_arg_type = "Array<MatchRecord>")] records: RecordsInput,
    options: Option<JsDedupeOptions>,
) -> napi::Result<DedupeResult> {
    guarded(|| scan_records(records, options)).map_err(|failure| failure.into_js(&env))
}

/// `dedupe` off the main thread: a Promise of the result, rejected with the
/// `Error` that `dedupe` throws. The records are read on the main thread
/// first; the scan runs on libuv's thread pool (and its own threads, with
/// `options.threads`).
#[napi(ts_return_type = "Promise<DedupeResult>")]
pub fn dedupe_async(
    #[napi(ts_arg_type = "Array<MatchRecord>")] records: RecordsInput,
    options: Option<JsDedupeOptions>,
) -> Pending<DedupeResult> {
    AsyncTask::new(Job::new(move || guarded(|| scan_records(records, options))))
}

/// What `dedupe` and `dedupeAsync` run.
fn scan_records(
    records: RecordsInput,
    options: Option<JsDedupeOptions>,
) -> crm::Result<DedupeResult> {
    let (config, threads) = match options {
        Some(options) => (options.config, options.threads),
        None => (None, None),
    };
    let records = records.0.map_err(|refusal| refusal.error("records"))?;
    let config: DedupeConfig = dedupe_config(config)?;
    let threads = match threads {
        None => 1,
        Some(threads) => {
            let whole = size("threads", threads)?;
            if whole == 0 {
                return Err(Error::invalid("threads", "must be at least 1").with_value(threads));
            }
            whole
        }
    };
    let scan = dedupe::scan(
        &records,
        &config,
        &mut ScanOptions {
            threads,
            progress: None,
        },
    )?;
    Ok(DedupeResult { scan })
}

/// Why records `a` and `b` do or do not match, with the configured model (or
/// the default one: a one-pair check has nothing to train on): every field's
/// normalised values, level, similarity and weight, the probability and the
/// rule that held. `config` is the duplicate matching configuration, as
/// `dedupe` takes it (its `model`, e.g. a scan's `model`, is used when set).
///
/// @example
/// ```js
/// const { explainMatch } = require('crm')
/// const why = explainMatch(
///   { firstName: 'Jon', lastName: 'Smith', phone: '+44 20 7946 0958' },
///   { firstName: 'J.', lastName: 'Smyth', phone: '020 7946 0958' },
///   { default_region: 'GB' },
/// )
/// why.fields[3].level // 'exact'
/// ```
///
/// @throws {Error} `validation` on `a` or `b` when it is not an object, on
/// `a.<key>` for a key that is not a field, on `a.<field>` for a value that
/// is not a string or `null` (`b` likewise); on `dedupe.<field>` or `dedupe`
/// when the configuration does not read.
#[napi]
pub fn explain_match(
    env: Env,
    #[napi(ts_arg_type = "MatchRecord")] a: RecordInput,
    #[napi(ts_arg_type = "MatchRecord")] b: RecordInput,
    #[napi(ts_arg_type = "string | Record<string, any>")] config: Option<ConfigInput>,
) -> napi::Result<JsMatchExplanation> {
    guarded(|| explain_pair(a, b, config)).map_err(|failure| failure.into_js(&env))
}

/// `explainMatch` off the main thread: a Promise of the explanation, rejected
/// with the `Error` that `explainMatch` throws.
#[napi(ts_return_type = "Promise<MatchExplanation>")]
pub fn explain_match_async(
    #[napi(ts_arg_type = "MatchRecord")] a: RecordInput,
    #[napi(ts_arg_type = "MatchRecord")] b: RecordInput,
    #[napi(ts_arg_type = "string | Record<string, any>")] config: Option<ConfigInput>,
) -> Pending<JsMatchExplanation> {
    AsyncTask::new(Job::new(move || guarded(|| explain_pair(a, b, config))))
}

/// What `explainMatch` and `explainMatchAsync` run.
fn explain_pair(
    a: RecordInput,
    b: RecordInput,
    config: Option<ConfigInput>,
) -> crm::Result<JsMatchExplanation> {
    let a = a.read("a")?;
    let b = b.read("b")?;
    let matcher = Matcher::new(&dedupe_config(config)?)?;
    Ok(matcher.explain(&a, &b).into())
}
