//! Service levels: working calendars, SLA policies, clocks that pause, and
//! escalation.

mod calendar;
#[cfg(test)]
mod calendar_tests;
mod policy;
#[cfg(test)]
mod policy_tests;

pub use calendar::Calendar;
pub(crate) use calendar::local_midnight;
pub(crate) use policy::survey_delay;
pub use policy::{
    Escalated, EscalationAction, EscalationRule, OnReopen, Policy, SlaConfig, SurveyConfig, Target,
    TargetClock, TargetState, TargetStatus, TicketFacts, TicketSla,
};
