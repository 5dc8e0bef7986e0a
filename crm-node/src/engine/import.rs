//! Bulk import in the engine: customers, contacts, leads or purchases from a
//! CSV, JSON Lines or Excel file (a path or the file's bytes), mapped, checked
//! row by row and written in batches (see [`crm::import`]).
//!
//! `importRows` takes an optional progress callback, called on the JS thread
//! (the import runs there, synchronously) after each batch; returning `false`
//! stops the import, and an exception thrown in it stops the import and is
//! rethrown by `importRows`. `importRowsAsync` runs on the thread pool and
//! takes no callback: a callback whose answer (go on or stop) the pool thread
//! would wait for could deadlock, since the main thread may itself be waiting
//! for the engine that the import holds (any synchronous command).

use std::borrow::Cow;
use std::path::PathBuf;
use std::ptr;

use napi::bindgen_prelude::{
    FromNapiValue, Function, TypeName, TypedArrayType, Uint8Array, Unknown,
};
use napi::{Env, ValueType, sys};
use napi_derive::napi;
use serde_json::{Map, Value};

use crm::Error;
use crm::import::{ImportReport, ImportSpec, Progress, Rejected};

use crate::access::JsActor;
use crate::convert::{count, counted, snake_case};
use crate::engine::{Command, JsCrm, Pending};
use crate::error;

/// How to import a file, for `importRows`.
#[napi(object, js_name = "ImportSpec", object_to_js = false)]
pub struct JsImportSpec {
    /// What the rows are.
    #[napi(ts_type = "'customer' | 'contact' | 'lead' | 'purchase'")]
    pub kind: String,
    /// The file's format: `csv` (a header row names the columns), `jsonl`
    /// (one object per line) or `xlsx` (a sheet with a header row).
    #[napi(ts_type = "'csv' | 'jsonl' | 'xlsx'")]
    pub format: String,
    /// Field to column: `{ name: 'Company', email: 'E-mail' }`. A field not
    /// mapped is read from the column of its own name. Field names in
    /// snake_case (`contact_name`) or camelCase (`contactName`).
    #[napi(ts_type = "Record<string, string>")]
    pub mapping: Option<Value>,
    /// `all_or_nothing` (the default: every row is checked first, nothing is
    /// written unless all pass) or `best_effort` (good rows are written, bad
    /// ones reported).
    #[napi(ts_type = "'all_or_nothing' | 'best_effort'")]
    pub mode: Option<String>,
    /// `reject` (the default: a row matching a stored record or an earlier
    /// row is refused) or `allow`.
    #[napi(ts_type = "'reject' | 'allow'")]
    pub duplicates: Option<String>,
    /// The CSV delimiter, one character (default `,`).
    pub delimiter: Option<String>,
    /// The workbook's sheet (default: the first).
    pub sheet: Option<String>,
    /// Rows per commit, 1 to 100,000 (default 1000).
    pub batch_size: Option<f64>,
}

impl JsImportSpec {
    /// The core spec, read as the core reads its JSON
    /// (`ImportSpec::from_json`).
    fn into_core(self) -> crm::Result<ImportSpec> {
        let mut json = Map::new();
        json.insert("kind".into(), Value::String(self.kind));
        json.insert("format".into(), Value::String(self.format));
        match self.mapping {
            None | Some(Value::Null) => {}
            Some(Value::Object(mapping)) => {
                let mapping = mapping
                    .into_iter()
                    .map(|(field, column)| (snake_case(&field), column))
                    .collect();
                json.insert("mapping".into(), Value::Object(mapping));
            }
            Some(other) => {
                json.insert("mapping".into(), other);
            }
        }
        let optional = [
            ("mode", self.mode),
            ("duplicates", self.duplicates),
            ("delimiter", self.delimiter),
            ("sheet", self.sheet),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                json.insert(key.into(), Value::String(value));
            }
        }
        if let Some(size) = self.batch_size {
            json.insert("batch_size".into(), Value::from(count("batch_size", size)?));
        }
        ImportSpec::from_json(&Value::Object(json).to_string())
    }
}

/// Where an import stands: what the progress callback of `importRows` is
/// given after each batch.
#[napi(object, js_name = "ImportProgress", object_from_js = false)]
pub struct JsImportProgress {
    /// Rows read so far.
    pub rows: i64,
    /// Rows written.
    pub imported: i64,
    /// Rows refused.
    pub rejected: i64,
    /// `true` while an `all_or_nothing` import checks the file (its first
    /// pass, nothing written), `false` while it writes.
    pub checking: bool,
}

impl From<&Progress> for JsImportProgress {
    fn from(progress: &Progress) -> Self {
        JsImportProgress {
            rows: counted(progress.rows),
            imported: counted(progress.imported),
            rejected: counted(progress.rejected),
            checking: progress.checking,
        }
    }
}

/// A refused row: its number in the file, the field at fault and why.
#[napi(
    object,
    js_name = "RejectedRow",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsRejectedRow {
    /// The row's number in the file: in a CSV or a sheet the header is row 1
    /// and the first data row row 2; in JSON Lines the first line is row 1.
    pub row: i64,
    /// The field at fault (`email`, ...), or `null` for the row as a whole.
    pub field: Option<String>,
    /// Why (`is not an email address`, `repeats the email of row 2`, ...).
    pub reason: String,
}

impl From<Rejected> for JsRejectedRow {
    fn from(rejected: Rejected) -> Self {
        JsRejectedRow {
            row: counted(rejected.row),
            field: rejected.field,
            reason: rejected.reason,
        }
    }
}

/// What an import did.
#[napi(object, js_name = "ImportReport", object_from_js = false)]
pub struct JsImportReport {
    /// Rows read.
    pub rows: i64,
    /// Rows written.
    pub imported: i64,
    /// Of the refused rows, how many as duplicates.
    pub duplicates: i64,
    /// The refused rows, in file order.
    pub rejected: Vec<JsRejectedRow>,
    /// Commits made.
    pub batches: i64,
    /// Whether the progress callback stopped the import (batches written
    /// before stay written).
    pub cancelled: bool,
}

impl From<ImportReport> for JsImportReport {
    fn from(report: ImportReport) -> Self {
        JsImportReport {
            rows: counted(report.rows),
            imported: counted(report.imported),
            duplicates: counted(report.duplicates),
            rejected: report
                .rejected
                .into_iter()
                .map(JsRejectedRow::from)
                .collect(),
            batches: counted(report.batches),
            cancelled: report.cancelled,
        }
    }
}

/// The file to import, as JS passes it: a path (a string) or the file's
/// bytes (a `Buffer` or a `Uint8Array`). Anything else is kept as what it is,
/// so that the command refuses it with a `validation` error on `source`.
pub struct SourceInput(SourceValue);

enum SourceValue {
    Path(String),
    Bytes(Uint8Array),
    Other(String),
}

impl TypeName for SourceInput {
    fn type_name() -> &'static str {
        "string | Buffer | Uint8Array"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    crate::convert::napi_ok(status, "could not read the import source")
}

impl FromNapiValue for SourceInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut raw_type = 0;
        check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
        let value_type = ValueType::from(raw_type);
        if value_type == ValueType::String {
            let path = unsafe { String::from_napi_value(env, value) }?;
            return Ok(SourceInput(SourceValue::Path(path)));
        }
        let mut is_typed_array = false;
        check(unsafe { sys::napi_is_typedarray(env, value, &mut is_typed_array) })?;
        if is_typed_array {
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
            let kind = TypedArrayType::from(kind);
            if kind == TypedArrayType::Uint8 {
                let bytes = unsafe { Uint8Array::from_napi_value(env, value) }?;
                return Ok(SourceInput(SourceValue::Bytes(bytes)));
            }
            return Ok(SourceInput(SourceValue::Other(format!(
                "a {}Array",
                kind.as_ref()
            ))));
        }
        let mut is_array = false;
        check(unsafe { sys::napi_is_array(env, value, &mut is_array) })?;
        let what = if is_array {
            "an Array".to_owned()
        } else {
            value_type.to_string()
        };
        Ok(SourceInput(SourceValue::Other(what)))
    }
}

/// The file, ready to read: a path, or bytes (borrowed from the JS buffer, or
/// copied).
enum Source<'a> {
    Path(PathBuf),
    Bytes(Cow<'a, [u8]>),
    Other(String),
}

impl SourceInput {
    /// The bytes where they are (the synchronous import without a callback:
    /// no JS code runs while it reads them).
    fn borrowed(&self) -> Source<'_> {
        match &self.0 {
            SourceValue::Path(path) => Source::Path(PathBuf::from(path)),
            SourceValue::Bytes(bytes) => Source::Bytes(Cow::Borrowed(&bytes[..])),
            SourceValue::Other(what) => Source::Other(what.clone()),
        }
    }

    /// The bytes copied into Rust memory: for the thread pool, and for an
    /// import whose callback runs JS code that could change or detach the
    /// buffer meanwhile.
    fn owned(self) -> Source<'static> {
        match self.0 {
            SourceValue::Path(path) => Source::Path(PathBuf::from(path)),
            SourceValue::Bytes(bytes) => Source::Bytes(Cow::Owned(bytes.to_vec())),
            SourceValue::Other(what) => Source::Other(what),
        }
    }
}

impl Source<'_> {
    /// Runs `import` over the file.
    fn read<T>(
        &self,
        import: impl FnOnce(&dyn crm::import::Source) -> crm::Result<T>,
    ) -> crm::Result<T> {
        match self {
            Source::Path(path) => import(path),
            Source::Bytes(bytes) => {
                let bytes: &[u8] = bytes;
                import(&bytes)
            }
            Source::Other(what) => Err(Error::invalid(
                "source",
                format!("must be a file path (a string), a Buffer or a Uint8Array, not {what}"),
            )),
        }
    }
}

/// Reads the progress callback: absent (`undefined`, `null`) or a function.
fn callback<'env>(
    progress: Option<Unknown<'env>>,
) -> crm::Result<Option<Function<'env, JsImportProgress, Unknown<'env>>>> {
    let Some(progress) = progress else {
        return Ok(None);
    };
    let what = progress.get_type().unwrap_or(ValueType::Unknown);
    match what {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ValueType::Function => Ok(unsafe { progress.cast() }.ok()),
        other => Err(Error::invalid(
            "progress",
            format!("must be a function, not {other}"),
        )),
    }
}

#[napi]
impl JsCrm {
    /// Imports a file of customers, contacts, leads or purchases: `source` is
    /// a path (a string) or the file's bytes (a `Buffer` or a `Uint8Array`).
    ///
    /// Each row is mapped (`spec.mapping`: field to column), read and checked
    /// as the matching command would (`createCustomer`, `addContact`,
    /// `createLead`, `recordPurchase`), with the actor's permissions; a row
    /// repeating an earlier row's email or phone, or matching a stored record,
    /// is refused as a duplicate unless `duplicates` is `allow`. Refused rows
    /// come back as `{ row, field, reason }`. Records are written `batchSize`
    /// rows per commit, each with an `import` event. `all_or_nothing` (the
    /// default) checks every row first and writes nothing unless all pass.
    ///
    /// `progress`, when given, is called after each batch, on this thread,
    /// with `{ rows, imported, rejected, checking }`: returning `false` stops
    /// the import (`cancelled` in the report; batches written stay written);
    /// any other return value goes on. An exception thrown in it stops the
    /// import too, and `importRows` rethrows it. The callback must not call
    /// this engine's synchronous methods (they throw `internal`: the import
    /// holds the engine).
    ///
    /// @example
    /// ```js
    /// const report = crm.importRows(root, {
    ///   kind: 'customer', format: 'csv', mode: 'best_effort',
    ///   mapping: { name: 'Company', email: 'E-mail' },
    /// }, 'customers.csv', (p) => { console.log(p.rows) })
    /// report.rejected // [{ row: 3, field: 'email', reason: 'is not an email address' }]
    /// ```
    ///
    /// @throws {Error} `config` naming the setting (`import`,
    /// `import.mapping.<field>`, `import.batch_size`) when the spec does not
    /// read; `validation` on `source` (not a path or bytes), on `progress`
    /// (not a function), on `batch_size` (not a whole number), on `sheet`
    /// (no such sheet); `storage` when the file cannot be read or the store
    /// fails; whatever the progress callback throws.
    #[napi]
    pub fn import_rows(
        &self,
        env: Env,
        actor: JsActor,
        spec: JsImportSpec,
        #[napi(ts_arg_type = "string | Buffer | Uint8Array")] source: SourceInput,
        #[napi(ts_arg_type = "(progress: ImportProgress) => boolean | void")] progress: Option<
            Unknown<'_>,
        >,
    ) -> napi::Result<JsImportReport> {
        let callback = callback(progress).map_err(|err| error::to_js(&env, err))?;
        // JS code that runs in the callback could change or detach a buffer
        // read in place: with a callback, the bytes are copied first.
        let source = match callback {
            Some(_) => source.owned(),
            None => source.borrowed(),
        };
        let mut thrown: Option<napi::Error> = None;
        let report = self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let spec = spec.into_core()?;
            let mut tell = |progress: &Progress| -> bool {
                let Some(callback) = &callback else {
                    return true;
                };
                if thrown.is_some() {
                    return false;
                }
                match callback.call(JsImportProgress::from(progress)) {
                    Ok(answer) => {
                        let stop = matches!(answer.get_type(), Ok(ValueType::Boolean))
                            && matches!(unsafe { answer.cast::<bool>() }, Ok(false));
                        !stop
                    }
                    Err(err) => {
                        thrown = Some(err);
                        false
                    }
                }
            };
            source.read(|source| crm.import_rows(&actor, &spec, source, &mut tell))
        });
        match thrown {
            Some(err) => Err(err),
            None => report.map(JsImportReport::from),
        }
    }

    /// `importRows` off the main thread, without a progress callback: a
    /// Promise of the report, rejected with the `Error` that `importRows`
    /// throws. A `Buffer` source is copied before the Promise exists, so
    /// changing it afterwards does not change the import.
    #[napi(ts_return_type = "Promise<ImportReport>")]
    pub fn import_rows_async(
        &self,
        actor: JsActor,
        spec: JsImportSpec,
        #[napi(ts_arg_type = "string | Buffer | Uint8Array")] source: SourceInput,
    ) -> Pending<JsImportReport> {
        self.spawn(import_rows(actor, spec, source.owned()))
    }
}

fn import_rows(
    actor: JsActor,
    spec: JsImportSpec,
    source: Source<'static>,
) -> Command<JsImportReport> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let spec = spec.into_core()?;
        let report = source.read(|source| crm.import_rows(&actor, &spec, source, &mut |_| true))?;
        Ok(report.into())
    })
}
