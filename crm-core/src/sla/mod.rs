//! Service levels: working calendars, SLA policies, clocks that pause, and
//! escalation.

mod calendar;
#[cfg(test)]
mod calendar_tests;

pub use calendar::Calendar;
