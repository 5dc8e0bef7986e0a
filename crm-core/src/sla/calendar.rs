//! Working calendars: when work happens, in the calendar's own time zone.
//!
//! A [`Calendar`] is a time zone, working hours per weekday (several intervals
//! a day, so a lunch break is a gap) and holidays (whole local days off). Two
//! questions, both answered exactly in UTC instants, to the second:
//!
//! - [`Calendar::add`]: the instant a number of working minutes after another;
//! - [`Calendar::between`]: how much working time lies between two instants.
//!
//! Local times are turned into instants with the zone's rules of that day, so
//! an interval that contains a daylight-saving change is as long as it really
//! is (08:00-12:00 on the night clocks go forward from 02:00 to 03:00 still
//! holds 4 hours, 00:00-06:00 holds 5). A bound that falls in a gap (02:30 on
//! that night) is the first instant after it; an ambiguous bound (02:30 when
//! clocks go back) is its first occurrence.
//!
//! Neither walks minute by minute: they walk interval by interval, and whole
//! weeks without a holiday or a change of UTC offset are skipped in one step.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::sla::Calendar;
//!
//! let berlin = Calendar::from_json(r#"{
//!     "time_zone": "Europe/Berlin",
//!     "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
//!     "holidays": ["2026-12-25", "2026-12-26"]
//! }"#)?;
//! // Friday 16:30 in Berlin (15:30 UTC) + 60 working minutes: 30 on Friday,
//! // 30 on Monday morning.
//! let friday = Utc.with_ymd_and_hms(2026, 3, 6, 15, 30, 0).unwrap();
//! assert_eq!(berlin.add(friday, 60)?, Utc.with_ymd_and_hms(2026, 3, 9, 8, 30, 0).unwrap());
//! // A working day holds 7 hours: the lunch break is not working time.
//! let monday = Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap();
//! assert_eq!(berlin.between_minutes(monday, monday + chrono::Duration::days(1)), 7 * 60);
//! # Ok::<(), crm_core::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The weekday names a calendar's `hours` accept, Monday first.
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A working calendar: a time zone, working intervals per weekday and
/// holidays. Build it with [`Calendar::new`] or [`Calendar::from_json`].
#[derive(Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
    /// Per weekday (Monday = 0), sorted, disjoint `[start, end)` intervals in
    /// seconds after local midnight (the end may be 86,400: midnight).
    week: [Vec<(i64, i64)>; 7],
    /// Nominal working seconds per weekday.
    day_seconds: [i64; 7],
    /// Nominal working seconds in a week.
    week_seconds: i64,
    holidays: BTreeSet<NaiveDate>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("time_zone", &self.zone.name())
            .field("week_seconds", &self.week_seconds)
            .field("holidays", &self.holidays.len())
            .finish()
    }
}

/// A local time `HH:MM` (or `24:00` for the end of the day) in seconds.
fn parse_time(field: &str, text: &str) -> Result<i64> {
    if text == "24:00" {
        return Ok(DAY);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map(|t| i64::from(t.num_seconds_from_midnight()))
        .map_err(|_| Error::invalid(field, "must be a time HH:MM (or 24:00)").with_value(text))
}

fn show_time(seconds: i64) -> String {
    format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// The weekdays a key of `hours` names: `mon`, `mon-fri`, `sat,sun`.
fn weekdays_of(field: &str, key: &str) -> Result<Vec<usize>> {
    let index = |name: &str| {
        WEEKDAYS
            .iter()
            .position(|w| *w == name.trim())
            .ok_or_else(|| {
                Error::invalid(field, "names weekdays as mon ... sun, mon-fri or sat,sun")
                    .with_value(key)
            })
    };
    let mut days = Vec::new();
    for part in key.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (index(from)?, index(to)?);
                if from > to {
                    return Err(
                        Error::invalid(field, "a range of weekdays runs forward").with_value(key)
                    );
                }
                days.extend(from..=to);
            }
            None => days.push(index(part)?),
        }
    }
    Ok(days)
}

/// The JSON form of a calendar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarJson {
    time_zone: String,
    hours: serde_json::Map<String, Value>,
    #[serde(default)]
    holidays: Vec<NaiveDate>,
}

impl Calendar {
    /// A calendar from a zone, intervals per weekday (Monday first, local
    /// `(start, end)` times; an end of `None` is midnight) and holidays.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `hours.DAY[i]` for an empty, reversed or
    /// overlapping interval, on `hours` when the week has no working time.
    pub fn new(
        zone: Tz,
        week: [Vec<(NaiveTime, Option<NaiveTime>)>; 7],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar> {
        let week = week.map(|day| {
            day.into_iter()
                .map(|(start, end)| {
                    (
                        i64::from(start.num_seconds_from_midnight()),
                        end.map_or(DAY, |e| i64::from(e.num_seconds_from_midnight())),
                    )
                })
                .collect::<Vec<_>>()
        });
        Calendar::build(zone, week, holidays.into_iter().collect())
    }

    fn build(
        zone: Tz,
        mut week: [Vec<(i64, i64)>; 7],
        holidays: BTreeSet<NaiveDate>,
    ) -> Result<Calendar> {
        let mut day_seconds = [0; 7];
        for (day, intervals) in week.iter_mut().enumerate() {
            intervals.sort_unstable();
            for (i, &(start, end)) in intervals.iter().enumerate() {
                let field = format!("hours.{}[{i}]", WEEKDAYS[day]);
                if start >= end {
                    return Err(Error::invalid(field, "must end after it starts")
                        .with_value(format!("{}-{}", show_time(start), show_time(end))));
                }
                if i > 0 && intervals[i - 1].1 > start {
                    return Err(Error::invalid(field, "overlaps the interval before it")
                        .with_value(format!("{}-{}", show_time(start), show_time(end))));
                }
                day_seconds[day] += end - start;
            }
        }
        let week_seconds = day_seconds.iter().sum();
        if week_seconds == 0 {
            return Err(Error::invalid(
                "hours",
                "a calendar needs some working time",
            ));
        }
        Ok(Calendar {
            zone,
            week,
            day_seconds,
            week_seconds,
            holidays,
        })
    }

    /// Reads and checks a calendar from JSON:
    ///
    /// ```json
    /// {"time_zone": "America/New_York",
    ///  "hours": {"mon-fri": [["08:30", "12:00"], ["13:00", "17:30"]], "sat": [["10:00", "14:00"]]},
    ///  "holidays": ["2026-07-03", "2026-12-25"]}
    /// ```
    ///
    /// `hours` keys name a weekday (`mon` ... `sun`), a range (`mon-fri`) or a
    /// list (`sat,sun`); a day named twice gets both sets of intervals, a day
    /// not named is off. `24:00` ends an interval at midnight.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the field: `calendar` (not valid JSON),
    /// `time_zone` (not an IANA name), `hours.KEY` (a bad weekday), `hours.DAY[i]`
    /// (a bad, reversed or overlapping interval), `hours` (no working time).
    pub fn from_json(json: &str) -> Result<Calendar> {
        let raw: CalendarJson = serde_json::from_str(json)
            .map_err(|e| Error::invalid("calendar", format!("is not a valid calendar: {e}")))?;
        Calendar::from_parts(raw)
    }

    fn from_parts(raw: CalendarJson) -> Result<Calendar> {
        let zone = Tz::from_str(&raw.time_zone).map_err(|_| {
            Error::invalid("time_zone", "is not an IANA time zone").with_value(&raw.time_zone)
        })?;
        let mut week: [Vec<(i64, i64)>; 7] = Default::default();
        for (key, intervals) in &raw.hours {
            let field = format!("hours.{key}");
            let days = weekdays_of(&field, key)?;
            let pairs: Vec<(String, String)> =
                serde_json::from_value(intervals.clone()).map_err(|_| {
                    Error::invalid(&field, "must be a list of [\"HH:MM\", \"HH:MM\"] pairs")
                })?;
            for (i, (start, end)) in pairs.iter().enumerate() {
                let at = format!("{field}[{i}]");
                let interval = (parse_time(&at, start)?, parse_time(&at, end)?);
                for &day in &days {
                    week[day].push(interval);
                }
            }
        }
        Calendar::build(zone, week, raw.holidays.into_iter().collect())
    }

    /// The calendar's JSON form (what [`Calendar::from_json`] reads).
    pub fn to_json(&self) -> Value {
        let mut hours = serde_json::Map::new();
        for (day, intervals) in self.week.iter().enumerate() {
            if !intervals.is_empty() {
                let pairs: Vec<[String; 2]> = intervals
                    .iter()
                    .map(|&(s, e)| [show_time(s), show_time(e)])
                    .collect();
                hours.insert(WEEKDAYS[day].into(), serde_json::json!(pairs));
            }
        }
        serde_json::json!({
            "time_zone": self.zone.name(),
            "hours": hours,
            "holidays": self.holidays,
        })
    }

    /// The time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Whether a local day is a holiday.
    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        self.holidays.contains(&day)
    }

    /// The instant a local time of a day is, by the zone's rules: a time in a
    /// gap is the first instant after the gap, an ambiguous one its first
    /// occurrence.
    fn instant(&self, day: NaiveDate, seconds: i64) -> DateTime<Utc> {
        let local = day.and_time(NaiveTime::MIN) + Duration::seconds(seconds);
        resolve(self.zone, local)
    }

    /// The UTC offset in force at an instant, in seconds.
    fn offset_at(&self, at: DateTime<Utc>) -> i64 {
        i64::from(
            self.zone
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// The working intervals of a local day, as instants (none on a holiday
    /// or a day off). `walk` carries the next day's start and offset from one
    /// call to the next, so consecutive days cost one offset lookup each.
    fn intervals(
        &self,
        day: NaiveDate,
        walk: &mut Option<(NaiveDate, DateTime<Utc>, i64)>,
        out: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>,
    ) {
        out.clear();
        // Where the day starts, and the offset that makes its midnight that
        // instant (wrong when midnight fell in a gap: then the check below
        // fails and the day takes the slow path).
        let (start, offset) = match *walk {
            Some((next, start, offset)) if next == day => (start, offset),
            _ => {
                let start = self.instant(day, 0);
                let midnight = day.and_time(NaiveTime::MIN);
                (start, (midnight - start.naive_utc()).num_seconds())
            }
        };
        // One offset all day (the usual case): plain arithmetic.
        let plain = self.offset_at(start + Duration::seconds(DAY - 1)) == offset;
        *walk = match (plain, day.succ_opt()) {
            (true, Some(next)) => Some((next, start + Duration::seconds(DAY), offset)),
            _ => None,
        };
        if self.holidays.contains(&day) {
            return;
        }
        let intervals = &self.week[day.weekday().num_days_from_monday() as usize];
        if plain {
            for &(s, e) in intervals {
                out.push((start + Duration::seconds(s), start + Duration::seconds(e)));
            }
        } else {
            for &(s, e) in intervals {
                let (s, e) = (self.instant(day, s), self.instant(day, e));
                if s < e {
                    out.push((s, e));
                }
            }
        }
    }

    /// The local day an instant falls on.
    fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// Whether the week of local days from `day` may be skipped whole: no
    /// holiday in it, and one UTC offset from its first midnight to the
    /// next week's, both of which exist (a midnight in a gap shortens its
    /// day: such a week is walked day by day).
    fn plain_week(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let next = day.checked_add_days(Days::new(7))?;
        if self.holidays.range(day..next).next().is_some() {
            return None;
        }
        let (start, end) = (self.instant(day, 0), self.instant(next, 0));
        let offset = self.offset_at(start);
        let exact = |at: DateTime<Utc>, midnight: NaiveDate| {
            at.naive_utc() + Duration::seconds(offset) == midnight.and_time(NaiveTime::MIN)
        };
        (offset == self.offset_at(end) && exact(start, day) && exact(end, next))
            .then_some((start, end))
    }

    /// The instant `minutes` working minutes after `start` (`start` itself
    /// for 0). From a non-working time the count starts when work does.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `minutes` when negative or beyond the
    /// calendar's range.
    pub fn add(&self, start: DateTime<Utc>, minutes: i64) -> Result<DateTime<Utc>> {
        if minutes < 0 {
            return Err(Error::invalid("minutes", "must not be negative").with_value(minutes));
        }
        let seconds = minutes
            .checked_mul(60)
            .ok_or_else(|| Error::invalid("minutes", "is too large").with_value(minutes))?;
        self.add_seconds(start, seconds).ok_or_else(|| {
            Error::invalid("minutes", "goes beyond the calendar").with_value(minutes)
        })
    }

    /// [`Calendar::add`] in seconds; `None` past the end of time.
    pub fn add_seconds(&self, start: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
        if seconds <= 0 {
            return Some(start);
        }
        let mut left = seconds;
        let mut day = self.local_day(start);
        let mut buffer = Vec::with_capacity(4);
        let mut walk = None;
        // The first (partial) day, then whole days and weeks.
        loop {
            self.intervals(day, &mut walk, &mut buffer);
            for &(s, e) in &buffer {
                if e <= start {
                    continue;
                }
                let from = s.max(start);
                let available = (e - from).num_seconds();
                if left <= available {
                    return Some(from + Duration::seconds(left));
                }
                left -= available;
            }
            day = day.succ_opt()?;
            // Skip whole plain weeks while more than a week of work is left.
            while left > self.week_seconds {
                match self.plain_week(day) {
                    Some((from, _)) if from > start => {
                        left -= self.week_seconds;
                        day = day.checked_add_days(Days::new(7))?;
                    }
                    _ => break,
                }
            }
        }
    }

    /// The working seconds between two instants (negative when `to` is
    /// before `from`).
    pub fn between_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to < from {
            return -self.between_seconds(to, from);
        }
        let mut total = 0;
        let mut day = self.local_day(from);
        let last = self.local_day(to);
        let mut buffer = Vec::with_capacity(4);
        let mut walk = None;
        while day <= last {
            // Whole weeks strictly inside the span.
            if let Some((start, end)) = self.plain_week(day) {
                if start >= from && end <= to {
                    total += self.week_seconds;
                    match day.checked_add_days(Days::new(7)) {
                        Some(next) => {
                            day = next;
                            continue;
                        }
                        None => break,
                    }
                }
            }
            self.intervals(day, &mut walk, &mut buffer);
            for &(s, e) in &buffer {
                let (s, e) = (s.max(from), e.min(to));
                if s < e {
                    total += (e - s).num_seconds();
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }

    /// The working minutes between two instants, whole minutes rounded
    /// down (negative when `to` is before `from`).
    pub fn between_minutes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let seconds = self.between_seconds(from, to);
        if seconds < 0 {
            -((-seconds) / 60)
        } else {
            seconds / 60
        }
    }

    /// Whether an instant is working time.
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        let mut buffer = Vec::with_capacity(4);
        self.intervals(self.local_day(at), &mut None, &mut buffer);
        buffer.iter().any(|&(s, e)| s <= at && at < e)
    }

    /// Nominal working seconds of a weekday (Monday = 0), holidays aside.
    pub fn day_seconds(&self, weekday: Weekday) -> i64 {
        self.day_seconds[weekday.num_days_from_monday() as usize]
    }
}

/// The first instant of a local day in `zone` (after a gap at midnight, when
/// the clocks first read a time of that day).
pub(crate) fn local_midnight(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    resolve(zone, day.and_time(NaiveTime::MIN))
}

/// A local time as an instant in `zone`: in a gap, the first instant after
/// it; when ambiguous, the earlier.
fn resolve(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        LocalResult::None => {
            // A gap (clocks jumped forward): every local time in it is the
            // instant of the jump, when clocks first read a valid time
            // again. Gaps are whole minutes (an hour, usually): probe by the
            // minute.
            let mut probe = local
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(local);
            for _ in 0..(26 * 60) {
                probe += Duration::minutes(1);
                if let Some(at) = zone.from_local_datetime(&probe).earliest() {
                    return at.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

impl Serialize for Calendar {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Calendar {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = CalendarJson::deserialize(deserializer)?;
        Calendar::from_parts(raw).map_err(serde::de::Error::custom)
    }
}
