//! Working calendars as a JS class: `new Calendar(calendar)`, the core's
//! [`crm::sla::Calendar`] (a time zone, working intervals per weekday,
//! holidays), with working time added and measured exactly, across weekends,
//! holidays and daylight-saving changes. No engine, no store: the same
//! calendars the engine's SLA clocks count in (`sla.calendars` in the config).
//!
//! The class is named `Calendar` in Rust too (napi writes a `type JsX = X`
//! alias into index.d.ts for a renamed class); the core's type is
//! `crm::sla::Calendar`.

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crate::clock::{TimeInput, rfc3339, time};
use crate::config::{self, ConfigInput};
use crate::convert::integer;
use crate::engine::guarded;

/// A working calendar: a time zone, working hours per weekday (several
/// intervals a day, so a lunch break is a gap) and holidays (whole local days
/// off), built from the core's calendar JSON, a string or a plain object:
///
/// ```json
/// { "time_zone": "Europe/Berlin",
///   "hours": { "mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]] },
///   "holidays": ["2026-12-25"] }
/// ```
///
/// `hours` maps weekdays (`mon`, `mon-fri`, `sat,sun`) to `[start, end]`
/// local times (`HH:MM`, `24:00` for midnight). Local times become instants by
/// the zone's rules of that day, so an interval across a daylight-saving
/// change is as long as it really is. Times go in as RFC 3339 strings or
/// `Date`s and come out as RFC 3339 strings in UTC.
///
/// @example
/// ```js
/// const { Calendar } = require('crm')
/// const berlin = new Calendar({
///   time_zone: 'Europe/Berlin',
///   hours: { 'mon-fri': [['09:00', '12:00'], ['13:00', '17:00']] },
///   holidays: ['2026-12-25', '2026-12-26'],
/// })
/// // Friday 16:30 in Berlin + 60 working minutes: 30 on Friday, 30 on Monday.
/// berlin.add('2026-03-06T15:30:00Z', 60) // '2026-03-09T08:30:00Z'
/// berlin.betweenMinutes('2026-03-09T00:00:00Z', '2026-03-10T00:00:00Z') // 420
/// berlin.isWorking('2026-03-09T11:30:00Z') // false: the lunch break
/// ```
#[napi]
pub struct Calendar {
    calendar: crm::sla::Calendar,
}

#[napi]
impl Calendar {
    /// A calendar from the core's calendar JSON (a string, or a plain object
    /// passed through `JSON.stringify`): `{ time_zone, hours, holidays? }`.
    ///
    /// @throws {Error} `validation` on `time_zone` when it is not an IANA
    /// time zone; on `hours.DAY` or `hours.DAY[i]` (`hours.mon[0]`) for a
    /// malformed, empty, reversed or overlapping interval or an unknown
    /// weekday; on `hours` when the week has no working time; on `calendar`
    /// when the value is missing or does not read as a calendar (an unknown
    /// key, a malformed holiday).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "string | Record<string, any>")] calendar: ConfigInput,
    ) -> napi::Result<Self> {
        guarded(|| config::calendar(Some(calendar)))
            .map(|calendar| Calendar { calendar })
            .map_err(|failure| failure.into_js(&env))
    }

    /// The instant `minutes` working minutes after `start` (an RFC 3339
    /// string or a `Date`), as an RFC 3339 string in UTC. Time outside the
    /// working hours, and holidays, do not count: from a time off, the count
    /// starts when work does. `add(start, 0)` is `start`.
    ///
    /// @throws {Error} `validation` on `start` when it is not a time; on
    /// `minutes` when it is not a whole number, is negative or goes beyond
    /// what the calendar can reach.
    #[napi]
    pub fn add(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Date")] start: TimeInput,
        minutes: f64,
    ) -> napi::Result<String> {
        guarded(|| {
            let start = time("start", start)?;
            let minutes = integer("minutes", minutes)?;
            Ok(rfc3339(self.calendar.add(start, minutes)?))
        })
        .map_err(|failure| failure.into_js(&env))
    }

    /// The working time between `from` and `to` (RFC 3339 strings or
    /// `Date`s), in whole minutes (a part of a minute left out); negative
    /// when `to` is before `from`.
    ///
    /// @throws {Error} `validation` on `from` or `to` when it is not a time.
    #[napi]
    pub fn between_minutes(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Date")] from: TimeInput,
        #[napi(ts_arg_type = "string | Date")] to: TimeInput,
    ) -> napi::Result<i64> {
        guarded(|| {
            let from = time("from", from)?;
            let to = time("to", to)?;
            Ok(self.calendar.between_minutes(from, to))
        })
        .map_err(|failure| failure.into_js(&env))
    }

    /// Whether `at` (an RFC 3339 string or a `Date`) is working time: inside
    /// an interval of its local weekday, and not on a holiday.
    ///
    /// @throws {Error} `validation` on `at` when it is not a time.
    #[napi]
    pub fn is_working(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Date")] at: TimeInput,
    ) -> napi::Result<bool> {
        guarded(|| Ok(self.calendar.is_working(time("at", at)?)))
            .map_err(|failure| failure.into_js(&env))
    }

    /// The calendar as the core's JSON (`{ time_zone, hours, holidays }`,
    /// normalised: one key per weekday), which `new Calendar` reads back and
    /// `JSON.stringify` writes.
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, any>")]
    pub fn to_json(&self) -> Value {
        self.calendar.to_json()
    }
}
