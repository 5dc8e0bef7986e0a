//! Time, as the host provides it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Where the engine gets the current time from. Nothing in crm reads the system
/// clock: the host passes one in (the `crm` crate has a `SystemClock`), and tests
/// use a [`FixedClock`].
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that stands still until told to move; clones share the same time, so
/// a test can keep one and hand the other to the engine.
///
/// # Examples
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Clock, FixedClock};
///
/// let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
/// let engine_side = clock.clone();
/// clock.advance(Duration::hours(2));
/// assert_eq!(engine_side.now(), Utc.with_ymd_and_hms(2026, 1, 5, 11, 0, 0).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct FixedClock {
    micros: Arc<AtomicI64>,
}

impl FixedClock {
    /// A clock showing `now` (to the microsecond).
    pub fn new(now: DateTime<Utc>) -> Self {
        FixedClock {
            micros: Arc::new(AtomicI64::new(now.timestamp_micros())),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        self.micros.store(now.timestamp_micros(), Ordering::SeqCst);
    }

    /// Moves the time on (or back, with a negative duration). The time stops
    /// at the ends of what a `DateTime` can hold rather than wrap around.
    pub fn advance(&self, by: Duration) {
        let by = by.num_microseconds().unwrap_or(if by < Duration::zero() {
            i64::MIN
        } else {
            i64::MAX
        });
        // A day inside the ends, so that the time always reads back.
        let max = (DateTime::<Utc>::MAX_UTC - Duration::days(1)).timestamp_micros();
        let min = (DateTime::<Utc>::MIN_UTC + Duration::days(1)).timestamp_micros();
        // One writer at a time is what a test clock sees; fetch_update keeps it exact anyway.
        let _ = self
            .micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by).clamp(min, max))
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

/// `now` cut to whole microseconds: the precision every store keeps, so a
/// record reads back equal from any of them.
pub(crate) fn to_micros(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stops_at_the_ends_instead_of_wrapping() {
        let start = DateTime::<Utc>::MAX_UTC - Duration::days(10);
        let clock = FixedClock::new(start);
        clock.advance(Duration::days(365 * 1000));
        assert!(clock.now() > start, "moving on never goes back");
        for _ in 0..3 {
            clock.advance(Duration::MIN);
        }
        assert!(
            clock.now() < DateTime::<Utc>::MIN_UTC + Duration::days(2),
            "{}",
            clock.now()
        );
    }
}
