//! Time between JS and the engine: RFC 3339 strings out, strings or `Date`s in,
//! and the options that pick the engine's clock.
//!
//! Times leave crm as RFC 3339 strings in UTC (`2026-01-05T09:00:00Z`, with
//! fractional seconds only when there are any), exact to the microsecond the
//! engine keeps, which a JS `Date` (milliseconds) could not hold.

use chrono::{DateTime, SecondsFormat, Utc};
use napi::bindgen_prelude::{FromNapiValue, TypeName};
use napi::{ValueType, sys};
use napi_derive::napi;

use crm::Error;

use crate::config::ConfigInput;

/// How a `Crm` is set up: `new Crm({ now, seed, config })`.
#[napi(object, js_name = "CrmOptions", object_to_js = false)]
pub struct JsCrmOptions {
    /// Start a fixed clock at this time (RFC 3339, e.g. `2026-01-05T09:00:00Z`,
    /// or a `Date`): the engine's time then moves only through
    /// `advanceClock` and `setNow`. Without it the engine reads the system clock.
    #[napi(ts_type = "string | Date")]
    pub now: Option<TimeInput>,
    /// Seed the id generator (a whole number, 0 to 2^53 - 1) so that ids repeat
    /// from run to run. Without it ids are seeded from the system's randomness.
    pub seed: Option<f64>,
    /// The engine's configuration (lifecycles, fields, policy, assignment
    /// rules, lead scoring, claim limit, reclaim policy, customer value:
    /// `rfm` and `value_currency`, ...): the Config JSON
    /// as a string, or a plain object, passed through `JSON.stringify`. Without
    /// it, the defaults. Unknown keys and values that do not fit are a `config`
    /// error naming the path (`claim_limit`, `assignment.rules[0].team`, ...).
    #[napi(ts_type = "string | Record<string, any>")]
    pub config: Option<ConfigInput>,
}

/// How far to move a fixed clock: the parts add up. Each is a whole number;
/// negative numbers move the clock back.
#[napi(object, js_name = "ClockAdvance", object_to_js = false)]
pub struct JsClockAdvance {
    /// Minutes to add.
    pub minutes: Option<f64>,
    /// Hours to add.
    pub hours: Option<f64>,
    /// Days (of 24 hours) to add.
    pub days: Option<f64>,
}

/// A time as JS passes it: an RFC 3339 string or a `Date`. Anything else is
/// kept as its JS type, so that the command refuses it with a `validation`
/// error naming the field rather than a conversion error.
pub struct TimeInput(TimeValue);

enum TimeValue {
    Text(String),
    EpochMillis(f64),
    Other(ValueType),
}

impl TypeName for TimeInput {
    fn type_name() -> &'static str {
        "string | Date"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl FromNapiValue for TimeInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut raw_type = 0;
        check(unsafe { sys::napi_typeof(env, value, &mut raw_type) })?;
        let value_type = ValueType::from(raw_type);
        let time = match value_type {
            ValueType::String => TimeValue::Text(unsafe { String::from_napi_value(env, value) }?),
            ValueType::Object => {
                let mut is_date = false;
                check(unsafe { sys::napi_is_date(env, value, &mut is_date) })?;
                if is_date {
                    let mut millis = 0.0;
                    check(unsafe { sys::napi_get_date_value(env, value, &mut millis) })?;
                    TimeValue::EpochMillis(millis)
                } else {
                    TimeValue::Other(value_type)
                }
            }
            other => TimeValue::Other(other),
        };
        Ok(TimeInput(time))
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    crate::convert::napi_ok(status, "could not read a time value")
}

/// Reads a time from JS, naming `field` when it is not one.
pub(crate) fn time(field: &str, input: TimeInput) -> crm::Result<DateTime<Utc>> {
    match input.0 {
        TimeValue::Text(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| {
                let shown: String = text.chars().take(40).collect();
                Error::invalid(
                    field,
                    "is not an RFC 3339 time such as 2026-01-05T09:00:00Z",
                )
                .with_value(shown)
            }),
        TimeValue::EpochMillis(millis) => {
            let valid = millis.is_finite() && millis.fract() == 0.0;
            valid
                .then(|| DateTime::from_timestamp_millis(millis as i64))
                .flatten()
                .ok_or_else(|| Error::invalid(field, "is an invalid Date"))
        }
        TimeValue::Other(value_type) => Err(Error::invalid(
            field,
            format!("must be an RFC 3339 string or a Date, not {value_type}"),
        )),
    }
}

/// [`time`] for an optional field.
pub(crate) fn opt_time(
    field: &str,
    input: Option<TimeInput>,
) -> crm::Result<Option<DateTime<Utc>>> {
    input.map(|input| time(field, input)).transpose()
}

/// A time for JS: RFC 3339 in UTC with a `Z`, as the core's JSON has it.
pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// [`rfc3339`] for an optional time.
pub(crate) fn opt_rfc3339(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(rfc3339)
}
