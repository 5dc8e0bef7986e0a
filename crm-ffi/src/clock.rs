//! Time across the boundary: `SystemTime` on the Rust side, which uniffi turns
//! into `java.time.Instant` (Kotlin), `Date` (Swift) and an aware `datetime`
//! (Python); calendar dates as `YYYY-MM-DD` strings.
//!
//! The core keeps times to the microsecond. Kotlin's `Instant` carries
//! nanoseconds and Python's `datetime` microseconds, so both round-trip exactly.
//! Swift's `Date` is a `Double` (about 0.1 µs of resolution today), so a time
//! read from crm may come back a fraction of a microsecond off; times coming in
//! are therefore rounded to the *nearest* microsecond, which gives back exactly
//! the time crm handed out.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, Utc};
use crm::Error as CoreError;

/// A core time as a `SystemTime`.
pub(crate) fn to_system_time(time: DateTime<Utc>) -> SystemTime {
    SystemTime::from(time)
}

/// An optional core time as an optional `SystemTime`.
pub(crate) fn to_system_time_opt(time: Option<DateTime<Utc>>) -> Option<SystemTime> {
    time.map(to_system_time)
}

/// A `SystemTime` from the foreign side as a core time, rounded to the nearest
/// microsecond.
///
/// # Errors
///
/// A validation error on `field` when the time is outside chrono's range
/// (about ±262,000 years).
pub(crate) fn from_system_time(field: &str, time: SystemTime) -> Result<DateTime<Utc>, CoreError> {
    let nanos: i128 = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    let micros = nanos.saturating_add(500).div_euclid(1000);
    i64::try_from(micros)
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| CoreError::invalid(field, "is outside the range of supported times"))
}

/// [`from_system_time`] for an optional time.
pub(crate) fn from_system_time_opt(
    field: &str,
    time: Option<SystemTime>,
) -> Result<Option<DateTime<Utc>>, CoreError> {
    time.map(|time| from_system_time(field, time)).transpose()
}

/// A calendar date as `YYYY-MM-DD`.
pub(crate) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Parses a calendar date given as `YYYY-MM-DD`.
///
/// # Errors
///
/// A validation error on `field` naming the expected form.
pub(crate) fn parse_date(field: &str, text: &str) -> Result<NaiveDate, CoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        CoreError::invalid(field, "is not a date in the form YYYY-MM-DD").with_value(shown)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rounds_to_the_nearest_microsecond() {
        let base = UNIX_EPOCH + Duration::from_secs(1_767_603_600);
        let almost = base + Duration::from_nanos(999);
        let got = from_system_time("at", almost).unwrap();
        assert_eq!(got.timestamp_micros(), 1_767_603_600_000_001);
        let just_over = base + Duration::from_nanos(1_000_400);
        let got = from_system_time("at", just_over).unwrap();
        assert_eq!(got.timestamp_micros(), 1_767_603_600_001_000);
        // Before 1970 too.
        let before = UNIX_EPOCH - Duration::from_nanos(1_499);
        assert_eq!(
            from_system_time("at", before).unwrap().timestamp_micros(),
            -1
        );
    }

    #[test]
    fn out_of_range_is_a_validation_error() {
        let far = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        let err = from_system_time("due_at", far).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid due_at: is outside the range of supported times"
        );
    }

    #[test]
    fn dates_are_iso() {
        let date = parse_date("d", "2026-03-31").unwrap();
        assert_eq!(date_text(date), "2026-03-31");
        assert!(parse_date("d", "31.03.2026").is_err());
    }
}
