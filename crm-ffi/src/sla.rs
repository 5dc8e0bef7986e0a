//! The service desk's time: working [`Calendar`]s (a uniffi object over
//! `crm::sla::Calendar`), a ticket's SLA clocks as the engine keeps them
//! ([`TicketSla`], [`TargetClock`], [`Escalated`]), and what the desk
//! commands return: [`TargetState`] (`ticketSla`) and [`TicketEscalation`]
//! (`escalate`).
//!
//! The closed sets here only come back (what a clock measures, where it
//! stands, what an escalation did), so they are generated enums, as in
//! [`crate::assign`]: [`SlaTarget`] (the core's `Target`, renamed because
//! Kotlin imports an annotation class `Target` into every file),
//! [`TargetStatus`], [`EscalationAction`]. Their entries are the canonical
//! names in upper snake case (`FIRST_RESPONSE` is `"first_response"`).
//!
//! Times are `SystemTime` (`Instant`, `Date`, `datetime`), as everywhere in
//! the binding; working time is whole minutes or seconds as `i64`.

use std::sync::Arc;
use std::time::SystemTime;

use crm::TicketEscalation as CoreTicketEscalation;
use crm::sla::{
    Calendar as CoreCalendar, Escalated as CoreEscalated, EscalationAction as CoreEscalationAction,
    Target as CoreTarget, TargetClock as CoreTargetClock, TargetState as CoreTargetState,
    TargetStatus as CoreTargetStatus, TicketSla as CoreTicketSla,
};

use crate::clock::{from_system_time, to_system_time, to_system_time_opt};
use crate::error::CrmError;
use crate::model::opt_text;

/// A working calendar: a time zone, working intervals per weekday (several a
/// day, so a lunch break is a gap) and holidays. Built from the calendar JSON
/// the configuration's `sla.calendars` use:
///
/// ```json
/// {"time_zone": "Europe/Berlin",
///  "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
///  "holidays": ["2026-12-25"]}
/// ```
///
/// Working time is counted exactly, in instants, across weekends, holidays,
/// year ends and daylight-saving changes. The object is immutable and safe
/// to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct Calendar {
    calendar: CoreCalendar,
}

#[uniffi::export]
impl Calendar {
    /// A calendar from its JSON text (`time_zone`, `hours`, `holidays`).
    ///
    /// # Errors
    ///
    /// `Validation` naming the field: `calendar` (not valid JSON, an unknown
    /// key), `time_zone` (not an IANA name), `hours.KEY` (a bad weekday),
    /// `hours.mon[0]` (a bad, reversed or overlapping interval), `hours` (no
    /// working time in the week).
    #[uniffi::constructor]
    pub fn new(calendar_json: String) -> Result<Arc<Self>, CrmError> {
        Ok(Arc::new(Calendar {
            calendar: CoreCalendar::from_json(&calendar_json)?,
        }))
    }

    /// The instant `minutes` working minutes after `start` (`start` itself
    /// for 0). From a non-working time the count starts when work does.
    ///
    /// # Errors
    ///
    /// `Validation` on `minutes` when negative or the result leaves the
    /// range of supported times, on `start` when it is out of range.
    pub fn add(&self, start: SystemTime, minutes: i64) -> Result<SystemTime, CrmError> {
        let start = from_system_time("start", start)?;
        Ok(to_system_time(self.calendar.add(start, minutes)?))
    }

    /// The working minutes between `from` and `to`, rounded down (negative
    /// when `to` is before `from`).
    ///
    /// # Errors
    ///
    /// `Validation` on `from` or `to` when out of range.
    pub fn between_minutes(&self, from: SystemTime, to: SystemTime) -> Result<i64, CrmError> {
        let from = from_system_time("from", from)?;
        let to = from_system_time("to", to)?;
        Ok(self.calendar.between_minutes(from, to))
    }

    /// The working seconds between `from` and `to` (negative when `to` is
    /// before `from`).
    ///
    /// # Errors
    ///
    /// As `betweenMinutes`.
    pub fn between_seconds(&self, from: SystemTime, to: SystemTime) -> Result<i64, CrmError> {
        let from = from_system_time("from", from)?;
        let to = from_system_time("to", to)?;
        Ok(self.calendar.between_seconds(from, to))
    }

    /// Whether `at` is working time (inside an interval, not on a holiday).
    ///
    /// # Errors
    ///
    /// `Validation` on `at` when out of range.
    pub fn is_working(&self, at: SystemTime) -> Result<bool, CrmError> {
        Ok(self.calendar.is_working(from_system_time("at", at)?))
    }

    /// The calendar's IANA time zone (`"Europe/Berlin"`).
    pub fn time_zone(&self) -> String {
        self.calendar.zone().name().to_owned()
    }

    /// The calendar as JSON text, in the form it is built from (weekdays one
    /// by one, holidays sorted): `Calendar(calendar.toJson())` is the same
    /// calendar.
    pub fn to_json(&self) -> String {
        self.calendar.to_json().to_string()
    }
}

/// What an SLA clock measures (`"first_response"`, `"resolution"` in the
/// canonical JSON; the core's `Target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SlaTarget {
    /// Until the first response.
    FirstResponse,
    /// Until the ticket is resolved.
    Resolution,
}

impl From<CoreTarget> for SlaTarget {
    fn from(target: CoreTarget) -> Self {
        match target {
            CoreTarget::FirstResponse => SlaTarget::FirstResponse,
            CoreTarget::Resolution => SlaTarget::Resolution,
        }
    }
}

/// Where an SLA target stands (`"running"`, ... in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TargetStatus {
    /// Counting, within its time.
    Running,
    /// Stopped by a pause status (`awaiting_customer` by default).
    Paused,
    /// Stopped in time.
    Met,
    /// Past its time, stopped or not.
    Breached,
}

impl From<CoreTargetStatus> for TargetStatus {
    fn from(status: CoreTargetStatus) -> Self {
        match status {
            CoreTargetStatus::Running => TargetStatus::Running,
            CoreTargetStatus::Paused => TargetStatus::Paused,
            CoreTargetStatus::Met => TargetStatus::Met,
            CoreTargetStatus::Breached => TargetStatus::Breached,
        }
    }
}

/// What an escalation step does (`"notify_assignee"`, ... in the canonical
/// JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EscalationAction {
    /// Notify the assignee (the group's supervisor when there is none).
    NotifyAssignee,
    /// Notify the group's supervisor.
    NotifySupervisor,
    /// Give the ticket to the group's supervisor, and notify them.
    AssignSupervisor,
}

impl From<CoreEscalationAction> for EscalationAction {
    fn from(action: CoreEscalationAction) -> Self {
        match action {
            CoreEscalationAction::NotifyAssignee => EscalationAction::NotifyAssignee,
            CoreEscalationAction::NotifySupervisor => EscalationAction::NotifySupervisor,
            CoreEscalationAction::AssignSupervisor => EscalationAction::AssignSupervisor,
        }
    }
}

/// One SLA target's clock on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TargetClock {
    /// What it measures.
    pub target: SlaTarget,
    /// Its working minutes.
    pub minutes: u32,
    /// When it started (the ticket's creation, or a restart on reopening).
    pub started_at: SystemTime,
    /// Working seconds spent in pauses (and, on resume, resolved).
    pub paused_seconds: i64,
    /// When it falls due (`null` while paused or stopped).
    pub due_at: Option<SystemTime>,
    /// When it stopped.
    pub stopped_at: Option<SystemTime>,
    /// Working seconds used when it stopped or paused last.
    pub consumed_seconds: i64,
    /// Whether it was met (set when it stops).
    pub met: Option<bool>,
}

impl From<CoreTargetClock> for TargetClock {
    fn from(clock: CoreTargetClock) -> Self {
        TargetClock {
            target: clock.target.into(),
            minutes: clock.minutes,
            started_at: to_system_time(clock.started_at),
            paused_seconds: clock.paused_seconds,
            due_at: to_system_time_opt(clock.due_at),
            stopped_at: to_system_time_opt(clock.stopped_at),
            consumed_seconds: clock.consumed_seconds,
            met: clock.met,
        }
    }
}

/// An escalation step done on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Escalated {
    /// The target that was late.
    pub target: SlaTarget,
    /// The step's threshold, in percent of the target.
    pub at_percent: u32,
    /// What was done.
    pub action: EscalationAction,
    /// When.
    pub at: SystemTime,
}

impl From<CoreEscalated> for Escalated {
    fn from(done: CoreEscalated) -> Self {
        Escalated {
            target: done.target.into(),
            at_percent: done.at_percent,
            action: done.action.into(),
            at: to_system_time(done.at),
        }
    }
}

/// A ticket's SLA: the policy that applies, its calendar, a clock per
/// target and the escalations done (`Ticket.sla`; set by the engine).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TicketSla {
    /// The policy's name.
    pub policy: String,
    /// The calendar's name (in the configuration's `sla.calendars`).
    pub calendar: String,
    /// A clock per target.
    pub clocks: Vec<TargetClock>,
    /// Paused since, while in a pause status.
    pub paused_since: Option<SystemTime>,
    /// Escalations done, oldest first.
    pub escalations: Vec<Escalated>,
    /// The next instant something falls due: a target or an escalation step
    /// (what `dueWork` looks for).
    pub next_check_at: Option<SystemTime>,
}

impl From<CoreTicketSla> for TicketSla {
    fn from(sla: CoreTicketSla) -> Self {
        TicketSla {
            policy: sla.policy,
            calendar: sla.calendar,
            clocks: sla.clocks.into_iter().map(TargetClock::from).collect(),
            paused_since: to_system_time_opt(sla.paused_since),
            escalations: sla.escalations.into_iter().map(Escalated::from).collect(),
            next_check_at: to_system_time_opt(sla.next_check_at),
        }
    }
}

/// Where one SLA target of a ticket stands at an instant: what `ticketSla`
/// returns per target.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TargetState {
    /// What it measures.
    pub target: SlaTarget,
    /// Where it stands.
    pub status: TargetStatus,
    /// Working minutes used.
    pub consumed_minutes: i64,
    /// Working minutes left (negative past due).
    pub remaining_minutes: i64,
    /// When it falls due, if running.
    pub due_at: Option<SystemTime>,
}

impl From<CoreTargetState> for TargetState {
    fn from(state: CoreTargetState) -> Self {
        TargetState {
            target: state.target.into(),
            status: state.status.into(),
            consumed_minutes: state.consumed_minutes,
            remaining_minutes: state.remaining_minutes,
            due_at: to_system_time_opt(state.due_at),
        }
    }
}

/// An escalation step applied to a ticket: what `escalate` returns per step.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TicketEscalation {
    /// The ticket's id.
    pub ticket: String,
    /// The target that is late.
    pub target: SlaTarget,
    /// The step's threshold, in percent of the target.
    pub at_percent: u32,
    /// What was done.
    pub action: EscalationAction,
    /// Who was notified or given the ticket (`null`: nobody to tell, e.g. a
    /// group without a supervisor).
    pub to: Option<String>,
}

impl From<CoreTicketEscalation> for TicketEscalation {
    fn from(step: CoreTicketEscalation) -> Self {
        TicketEscalation {
            ticket: step.ticket.to_string(),
            target: step.target.into(),
            at_percent: step.at_percent,
            action: step.action.into(),
            to: opt_text(step.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::{Duration, UNIX_EPOCH};

    fn at(text: &str) -> SystemTime {
        SystemTime::from(chrono::DateTime::parse_from_rfc3339(text).unwrap())
    }

    const BERLIN: &str = r#"{"time_zone": "Europe/Berlin",
        "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
        "holidays": ["2026-12-24", "2026-12-25"]}"#;

    #[test]
    fn a_calendar_counts_working_time() {
        let berlin = Calendar::new(BERLIN.into()).unwrap();
        // Friday 16:00 in Berlin + 120 minutes, over the weekend the clocks
        // go forward: 60 on Friday, 60 on Monday morning (CEST).
        assert_eq!(
            berlin.add(at("2026-03-27T15:00:00Z"), 120).unwrap(),
            at("2026-03-30T08:00:00Z")
        );
        assert_eq!(
            berlin
                .between_minutes(at("2026-03-27T15:00:00Z"), at("2026-03-30T08:00:00Z"))
                .unwrap(),
            120
        );
        assert_eq!(
            berlin
                .between_seconds(at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:30Z"))
                .unwrap(),
            30
        );
        assert!(berlin.is_working(at("2026-03-02T08:00:00Z")).unwrap());
        assert!(!berlin.is_working(at("2026-03-02T11:30:00Z")).unwrap());
        assert!(!berlin.is_working(at("2026-12-24T09:00:00Z")).unwrap());
        assert_eq!(berlin.time_zone(), "Europe/Berlin");
        let again = Calendar::new(berlin.to_json()).unwrap();
        assert_eq!(again.calendar, berlin.calendar);
    }

    #[test]
    fn bad_input_names_the_field() {
        let fields = |err: CrmError| match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("wrong case: {other:?}"),
        };
        let zone = Calendar::new(r#"{"time_zone": "Mars/Olympus", "hours": {}}"#.into());
        assert_eq!(fields(zone.unwrap_err()), ["time_zone"]);
        let reversed =
            Calendar::new(r#"{"time_zone": "UTC", "hours": {"mon": [["12:00", "09:00"]]}}"#.into());
        assert_eq!(fields(reversed.unwrap_err()), ["hours.mon[0]"]);
        let berlin = Calendar::new(BERLIN.into()).unwrap();
        let negative = berlin.add(at("2026-03-02T08:00:00Z"), -5);
        assert_eq!(fields(negative.unwrap_err()), ["minutes"]);
        let far = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        assert_eq!(fields(berlin.add(far, 5).unwrap_err()), ["start"]);
        assert_eq!(
            fields(berlin.between_minutes(UNIX_EPOCH, far).unwrap_err()),
            ["to"]
        );
    }

    /// Every core name has its case, spelled the same in snake_case.
    #[test]
    fn enums_cover_the_core() {
        for target in [CoreTarget::FirstResponse, CoreTarget::Resolution] {
            let name = format!("{:?}", SlaTarget::from(target));
            assert_eq!(snake(&name), target.as_str());
        }
        for (status, json) in [
            (CoreTargetStatus::Running, "running"),
            (CoreTargetStatus::Paused, "paused"),
            (CoreTargetStatus::Met, "met"),
            (CoreTargetStatus::Breached, "breached"),
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), json);
            assert_eq!(snake(&format!("{:?}", TargetStatus::from(status))), json);
        }
        for (action, json) in [
            (CoreEscalationAction::NotifyAssignee, "notify_assignee"),
            (CoreEscalationAction::NotifySupervisor, "notify_supervisor"),
            (CoreEscalationAction::AssignSupervisor, "assign_supervisor"),
        ] {
            assert_eq!(serde_json::to_value(action).unwrap(), json);
            assert_eq!(
                snake(&format!("{:?}", EscalationAction::from(action))),
                json
            );
        }
    }

    fn snake(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        }
        out
    }
}
