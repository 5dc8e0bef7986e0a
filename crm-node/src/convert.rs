//! Turning JS input into core values: numbers, choices, dates, custom fields.
//!
//! Every refusal is a [`crm::Error::Validation`] naming the field (snake_case,
//! as the core names its fields), so that bad input from JS is a `validation`
//! error like any other, never a panic.

use chrono::NaiveDate;
use napi::bindgen_prelude::{FromNapiValue, Object, TypeName};
use napi::{Unknown, ValueType, sys};
use serde_json::Value;

use crm::{CustomFields, Error};

/// The largest integer a JS number holds exactly (2^53 - 1).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// At most this many characters of a rejected value are echoed in an error.
const SHOWN: usize = 40;

/// `text` cut to what an error echoes.
pub(crate) fn shown(text: &str) -> String {
    text.chars().take(SHOWN).collect()
}

/// A JS number that must be a whole number (not NaN, not infinite, no fraction,
/// exact in a double).
pub(crate) fn integer(field: &str, value: f64) -> crm::Result<i64> {
    if !value.is_finite() {
        return Err(Error::invalid(field, "must be a finite number").with_value(value));
    }
    if value.fract() != 0.0 {
        return Err(Error::invalid(field, "must be a whole number").with_value(value));
    }
    if value.abs() > MAX_SAFE_INTEGER {
        return Err(Error::invalid(field, "is larger than 2^53 - 1").with_value(value));
    }
    Ok(value as i64)
}

/// A JS number that must be a whole number, zero or more.
pub(crate) fn count(field: &str, value: f64) -> crm::Result<u64> {
    let whole = integer(field, value)?;
    u64::try_from(whole)
        .map_err(|_| Error::invalid(field, "must not be negative").with_value(value))
}

/// [`count`] as a `usize`.
pub(crate) fn size(field: &str, value: f64) -> crm::Result<usize> {
    let whole = count(field, value)?;
    usize::try_from(whole).map_err(|_| Error::invalid(field, "is too large").with_value(value))
}

/// [`count`] for a field of at most 255 (a score).
pub(crate) fn small(field: &str, value: f64) -> crm::Result<u8> {
    let whole = count(field, value)?;
    u8::try_from(whole).map_err(|_| Error::invalid(field, "is out of range").with_value(value))
}

/// [`count`] for a number the core keeps as a `u32` (a quote version, an
/// installment's number).
pub(crate) fn count_u32(field: &str, value: f64) -> crm::Result<u32> {
    let whole = count(field, value)?;
    u32::try_from(whole).map_err(|_| Error::invalid(field, "is too large").with_value(value))
}

/// An optional name of a core enum value (`"urgent"`), the core's default
/// when absent; a wrong name is the core's validation error on the enum's
/// field, listing the names.
pub(crate) fn parse_or_default<T>(text: Option<&str>) -> crm::Result<T>
where
    T: std::str::FromStr<Err = Error> + Default,
{
    text.map(str::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// A core count or version as a JS number (exact up to 2^53, far beyond any
/// version or sequence number a store reaches).
pub(crate) fn number(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A count (of rows, entries, members) as a JS number.
pub(crate) fn counted(value: usize) -> i64 {
    number(u64::try_from(value).unwrap_or(u64::MAX))
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date(field: &str, text: &str) -> crm::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "is not a date (YYYY-MM-DD)").with_value(shown(text)))
}

/// Custom field values in their canonical JSON form, `{"key": {"text": "..."}}`.
pub(crate) fn custom(value: Option<Value>) -> crm::Result<CustomFields> {
    match value {
        None | Some(Value::Null) => Ok(CustomFields::new()),
        // The values may be personal data: the reason does not echo them.
        Some(value) => serde_json::from_value(value).map_err(|_| {
            Error::invalid(
                "custom",
                "must map field keys to typed values such as {\"text\": \"...\"} or {\"number\": 3}",
            )
        }),
    }
}

/// Custom field values as JSON, for JS.
pub(crate) fn custom_json(custom: &CustomFields) -> Value {
    serde_json::to_value(custom).unwrap_or_default()
}

/// A record field name in the core's snake_case: `expectedAmount` becomes
/// `expected_amount`; snake_case names stay as they are.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields of an update: a JS object whose keys are record fields in
/// camelCase or snake_case and whose values are canonical JSON.
pub(crate) fn fields(value: Value) -> crm::Result<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map
            .into_iter()
            .map(|(key, value)| (snake_case(&key), value))
            .collect()),
        _ => Err(Error::invalid(
            "fields",
            "must be an object of field names and values",
        )),
    }
}

/// A JSON value's type in words.
pub(crate) fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an Array",
        Value::Object(_) => "an object",
    }
}

/// A decimal string, read as the core's JSON reader reads it.
pub(crate) fn decimal<T: std::str::FromStr>(field: &str, text: &str) -> crm::Result<T> {
    text.trim()
        .parse()
        .map_err(|_| Error::invalid(field, "is not a decimal number").with_value(shown(text)))
}

/// A decimal given as a JS value: a string, never a JS number (a double
/// cannot hold every decimal exactly).
pub(crate) fn decimal_value<T: std::str::FromStr>(field: &str, value: Value) -> crm::Result<T> {
    match value {
        Value::String(text) => decimal(field, &text),
        other => Err(Error::invalid(
            field,
            format!(
                "must be a decimal string such as '50' (never a JS number), not {}",
                type_of(&other)
            ),
        )),
    }
}

/// The keys a plain JS object read as a [`Strict`] may have.
pub trait Fields {
    /// What the object is, for an error (`"a channel cost"`).
    const WHAT: &'static str;
    /// Its keys as JS writes them (camelCase), in declaration order.
    const FIELDS: &'static [&'static str];
}

/// A plain JS object read as `T` (a `#[napi(object)]`), remembering its first
/// key that is not one of `T`'s [`Fields`]: napi drops unknown keys, so a
/// misspelt optional key would silently mean "absent". A key whose value is
/// `undefined` counts as absent, as everywhere in JS.
pub struct Strict<T> {
    value: T,
    unknown: Option<String>,
}

impl<T: Fields> Strict<T> {
    /// The object, or a `validation` error on `{at}.{key}` for a key that is
    /// not one of its fields (`costs[0].campaing`).
    pub(crate) fn checked(self, at: &str) -> crm::Result<T> {
        match self.unknown {
            None => Ok(self.value),
            Some(key) => {
                let (last, rest) = T::FIELDS.split_last().unwrap_or((&"", &[]));
                Err(Error::invalid(
                    format!("{at}.{}", shown(&key)),
                    format!(
                        "is not a field of {}: {} or {last}",
                        T::WHAT,
                        rest.join(", ")
                    ),
                ))
            }
        }
    }
}

impl<T: TypeName> TypeName for Strict<T> {
    fn type_name() -> &'static str {
        T::type_name()
    }

    fn value_type() -> ValueType {
        T::value_type()
    }
}

impl<T: FromNapiValue + Fields> FromNapiValue for Strict<T> {
    unsafe fn from_napi_value(env: sys::napi_env, raw: sys::napi_value) -> napi::Result<Self> {
        // `T` refuses what is not an object, as before.
        let value = unsafe { T::from_napi_value(env, raw) }?;
        let object = unsafe { Object::from_napi_value(env, raw) }?;
        let mut unknown = None;
        for key in Object::keys(&object)? {
            if !T::FIELDS.contains(&key.as_str()) && object.get::<Unknown>(&key)?.is_some() {
                unknown = Some(key);
                break;
            }
        }
        Ok(Strict { value, unknown })
    }
}

/// A raw napi call's status as a result: an error saying what could not be
/// read (`"could not read a column"`) unless it is `napi_ok`.
pub(crate) fn napi_ok(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(napi::Status::from(status), what))
    }
}
