//! The engine's configuration from JS: the Config JSON as a string, or a plain
//! object that the binding passes through `JSON.stringify`.
//!
//! Either way the text goes to [`crm::Config::from_json`], so a bad
//! configuration is the core's `config` error naming the path
//! (`assignment.rules[0].team`, `claim_limit`, ...), never a crash. The RFM
//! functions take their configuration the same way, read by
//! [`crm::rfm::RfmConfig::from_json`] (paths `rfm.bins`, `rfm.segments`, ...),
//! and so do the duplicate matching functions, read by
//! [`crm::dedupe::DedupeConfig::from_json`] (`validation` errors on
//! `dedupe.threshold`, `dedupe.default_region`, ...). The payment functions
//! take their terms templates and price lists the same way too, read by
//! [`crm::schedule::Terms::from_json`] and [`crm::quote::PriceList::from_json`]
//! (`validation` errors on `terms.lines[1].percent`, `price_list`, ...), and
//! so does `new Calendar`, read by [`crm::sla::Calendar::from_json`]
//! (`validation` errors on `time_zone`, `hours.mon[0]`, ...). `loyaltyPoints`
//! takes its loyalty program the same way, read by
//! [`crm::loyalty::LoyaltyConfig::from_value`] (`config` errors on
//! `loyalty.earn[1].per`, ...), as the engine reads its `loyalty` key.

use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, TypeName};
use napi::{ValueType, sys};

use crm::dedupe::DedupeConfig;
use crm::loyalty::LoyaltyConfig;
use crm::quote::PriceList;
use crm::rfm::RfmConfig;
use crm::schedule::Terms;
use crm::sla::Calendar;
use crm::{Config, Error};

/// At most this many characters of the first line of a JS exception's
/// message are kept in an error (`JSON.stringify` failing on the object).
const SHOWN: usize = 200;

/// A configuration as JS passes it: a JSON string, or an object serialised
/// with `JSON.stringify`; `null` is none (the defaults). Anything else is kept
/// as its JS type, so that the engine refuses it with a `config` error rather
/// than a conversion error.
pub struct ConfigInput(ConfigValue);

enum ConfigValue {
    /// `null` (or `undefined`): the defaults.
    Absent,
    /// The JSON text.
    Json(String),
    /// `JSON.stringify` threw (a cycle, a BigInt, a throwing getter) or gave
    /// nothing; why.
    Unserialisable(String),
    /// Neither a string nor an object.
    Other(ValueType),
}

impl TypeName for ConfigInput {
    fn type_name() -> &'static str {
        "string | Record<string, any>"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl FromNapiValue for ConfigInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let value_type = unsafe { type_of(env, value) }?;
        let config = match value_type {
            ValueType::String => ConfigValue::Json(unsafe { String::from_napi_value(env, value) }?),
            ValueType::Object => unsafe { stringify(env, value) }?,
            ValueType::Null | ValueType::Undefined => ConfigValue::Absent,
            other => ConfigValue::Other(other),
        };
        Ok(ConfigInput(config))
    }
}

unsafe fn type_of(env: sys::napi_env, value: sys::napi_value) -> napi::Result<ValueType> {
    let mut raw_type = 0;
    check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
    Ok(ValueType::from(raw_type))
}

/// `JSON.stringify(value)`, catching what it throws.
unsafe fn stringify(env: sys::napi_env, value: sys::napi_value) -> napi::Result<ConfigValue> {
    let mut global = ptr::null_mut();
    check(unsafe { sys::napi_get_global(env, &mut global) })?;
    let json = unsafe { property(env, global, c"JSON") }?;
    let function = unsafe { property(env, json, c"stringify") }?;
    let mut text = ptr::null_mut();
    let status = unsafe { sys::napi_call_function(env, json, function, 1, &value, &mut text) };
    if status == sys::Status::napi_pending_exception {
        let mut exception = ptr::null_mut();
        check(unsafe { sys::napi_get_and_clear_last_exception(env, &mut exception) })?;
        let mut message = ptr::null_mut();
        let why = if unsafe { sys::napi_coerce_to_string(env, exception, &mut message) }
            == sys::Status::napi_ok
        {
            unsafe { String::from_napi_value(env, message) }?
        } else {
            "it threw".to_owned()
        };
        let first_line = why.lines().next().unwrap_or_default();
        return Ok(ConfigValue::Unserialisable(
            first_line.chars().take(SHOWN).collect(),
        ));
    }
    check(status)?;
    if unsafe { type_of(env, text) }? == ValueType::String {
        Ok(ConfigValue::Json(unsafe {
            String::from_napi_value(env, text)
        }?))
    } else {
        Ok(ConfigValue::Unserialisable("it gave no JSON".to_owned()))
    }
}

unsafe fn property(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &std::ffi::CStr,
) -> napi::Result<sys::napi_value> {
    let mut value = ptr::null_mut();
    check(unsafe { sys::napi_get_named_property(env, object, name.as_ptr(), &mut value) })?;
    Ok(value)
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    crate::convert::napi_ok(status, "could not read the configuration")
}

/// The engine's configuration: the default without one; otherwise the JSON
/// read by [`Config::from_json`].
///
/// # Errors
///
/// [`Error::Config`] naming the path of what is wrong; on `config` when the
/// value is neither a string nor an object, or the object does not serialise.
pub(crate) fn config(input: Option<ConfigInput>) -> crm::Result<Config> {
    match json(input, "config")? {
        None => Ok(Config::default()),
        Some(text) => Config::from_json(&text),
    }
}

/// An RFM configuration (`scoreRfm`, `scoreRfmColumns`): the default without
/// one; otherwise the JSON read by [`RfmConfig::from_json`].
///
/// # Errors
///
/// [`Error::Config`] naming the path of what is wrong (`rfm.bins`,
/// `rfm.thresholds.monetary`, ...); on `rfm` when the value is neither a
/// string nor an object, or the object does not serialise.
pub(crate) fn rfm_config(input: Option<ConfigInput>) -> crm::Result<RfmConfig> {
    match json(input, "rfm")? {
        None => Ok(RfmConfig::default()),
        Some(text) => RfmConfig::from_json(&text),
    }
}

/// A duplicate matching configuration (`dedupe`, `explainMatch`): the default
/// without one; otherwise the JSON read by [`DedupeConfig::from_json`].
///
/// # Errors
///
/// [`Error::Validation`] naming the field (`dedupe.threshold`,
/// `dedupe.rules[0]`, ...), as the core reports it; on `dedupe` when the JSON
/// does not read as a configuration, when the value is neither a string nor an
/// object, or the object does not serialise.
pub(crate) fn dedupe_config(input: Option<ConfigInput>) -> crm::Result<DedupeConfig> {
    let text = json(input, "dedupe").map_err(|err| match err {
        // The core reports its dedupe configuration as `validation` errors:
        // the binding's refusals of the value say the same.
        Error::Config { path, reason } => Error::invalid(path, reason),
        other => other,
    })?;
    match text {
        None => Ok(DedupeConfig::default()),
        Some(text) => DedupeConfig::from_json(&text),
    }
}

/// The JSON text of an input the core reports as `validation` errors: the
/// binding's refusals of the value say the same.
fn validation_json(input: Option<ConfigInput>, path: &str) -> crm::Result<Option<String>> {
    json(input, path).map_err(|err| match err {
        Error::Config { path, reason } => Error::invalid(path, reason),
        other => other,
    })
}

/// A terms template (`splitPayments`): the JSON read by [`Terms::from_json`].
///
/// # Errors
///
/// [`Error::Validation`] naming the path (`terms.lines[1].percent`,
/// `terms.lines`, ...), as the core reports it; on `terms` when the JSON does
/// not read as a template, when the value is absent or neither a string nor
/// an object, or the object does not serialise.
pub(crate) fn terms(input: ConfigInput) -> crm::Result<Terms> {
    match validation_json(Some(input), "terms")? {
        None => Err(Error::invalid(
            "terms",
            "is required: a terms template (a JSON string or an object)",
        )),
        Some(text) => Terms::from_json(&text),
    }
}

/// A working calendar (`new Calendar`): the JSON read by
/// [`Calendar::from_json`].
///
/// # Errors
///
/// [`Error::Validation`] on `calendar` when the value is absent, neither a
/// string nor an object, does not serialise, or does not read as a calendar;
/// on `time_zone`, `hours`, `hours.DAY[i]`, ... as the core names them.
pub(crate) fn calendar(input: Option<ConfigInput>) -> crm::Result<Calendar> {
    match validation_json(input, "calendar")? {
        None => Err(Error::invalid(
            "calendar",
            "is required: a calendar (a JSON string or an object)",
        )),
        Some(text) => Calendar::from_json(&text),
    }
}

/// A price list (`priceQuote`): none without one; otherwise the JSON read by
/// [`PriceList::from_json`].
///
/// # Errors
///
/// [`Error::Validation`] on `price_list` when the JSON does not read as a
/// price list, when the value is neither a string nor an object, or the
/// object does not serialise; on `price_list.prices.PRODUCT` for a negative
/// price.
pub(crate) fn price_list(input: Option<ConfigInput>) -> crm::Result<Option<PriceList>> {
    validation_json(input, "price_list")?
        .map(|text| PriceList::from_json(&text))
        .transpose()
}

/// A loyalty program (`loyaltyPoints`): the JSON of the configuration's
/// `loyalty` key, read by [`LoyaltyConfig::from_value`].
///
/// # Errors
///
/// [`Error::Config`] naming the path of what is wrong (`loyalty.earn[1].per`,
/// ...), as the engine reports its `loyalty` key; on `loyalty` when the value
/// is absent, is neither a string nor an object, does not serialise, or is not
/// JSON.
pub(crate) fn loyalty_program(input: Option<ConfigInput>) -> crm::Result<LoyaltyConfig> {
    let Some(text) = json(input, "loyalty")? else {
        return Err(Error::config(
            "loyalty",
            "is required: a loyalty program (a JSON string or an object)",
        ));
    };
    LoyaltyConfig::from_json(&text)
}

/// The JSON text of a configuration, `None` when absent; a value that is no
/// configuration is a `config` error on `path`.
fn json(input: Option<ConfigInput>, path: &str) -> crm::Result<Option<String>> {
    match input.map(|input| input.0) {
        None | Some(ConfigValue::Absent) => Ok(None),
        Some(ConfigValue::Json(text)) => Ok(Some(text)),
        Some(ConfigValue::Unserialisable(why)) => Err(Error::config(
            path,
            format!("does not serialise with JSON.stringify: {why}"),
        )),
        Some(ConfigValue::Other(value_type)) => Err(Error::config(
            path,
            format!("must be a JSON string or an object, not {value_type}"),
        )),
    }
}
