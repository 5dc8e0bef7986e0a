//! The service desk's parts of a ticket (`Ticket.sla`, `Ticket.survey`) and
//! the results of its commands (`ticketSla`, `escalate`), as the core keeps
//! them (see [`crm::sla`]). Declared here, before the ticket that names them
//! (see lib.rs).
//!
//! The enum-like values are the core's names in its JSON (`first_response`,
//! `assign_supervisor`, `complaint`), typed in index.d.ts as unions of those
//! strings; each is mapped by an exhaustive `match`, so a new value in the
//! core does not compile here until it is named.

use napi_derive::napi;

use crm::sla::{
    Escalated, EscalationAction, Target, TargetClock, TargetState, TargetStatus, TicketSla,
};
use crm::{Error, FeedbackKind, Survey, TicketEscalation};

use crate::clock::{opt_rfc3339, rfc3339};
use crate::model::opt_string;

/// A target's name: `first_response` or `resolution`.
fn target_name(target: Target) -> String {
    target.as_str().to_owned()
}

/// An escalation action's name.
fn action_name(action: EscalationAction) -> String {
    match action {
        EscalationAction::NotifyAssignee => "notify_assignee",
        EscalationAction::NotifySupervisor => "notify_supervisor",
        EscalationAction::AssignSupervisor => "assign_supervisor",
    }
    .to_owned()
}

/// A target status's name.
fn status_name(status: TargetStatus) -> String {
    match status {
        TargetStatus::Running => "running",
        TargetStatus::Paused => "paused",
        TargetStatus::Met => "met",
        TargetStatus::Breached => "breached",
    }
    .to_owned()
}

/// The kinds of feedback, by name.
const FEEDBACK: [(&str, FeedbackKind); 4] = [
    ("inquiry", FeedbackKind::Inquiry),
    ("suggestion", FeedbackKind::Suggestion),
    ("complaint", FeedbackKind::Complaint),
    ("praise", FeedbackKind::Praise),
];

/// A kind of feedback's name.
fn feedback_name(feedback: FeedbackKind) -> String {
    match feedback {
        FeedbackKind::Inquiry => "inquiry",
        FeedbackKind::Suggestion => "suggestion",
        FeedbackKind::Complaint => "complaint",
        FeedbackKind::Praise => "praise",
    }
    .to_owned()
}

/// A kind of feedback from its name; another name is a `validation` error on
/// `feedback`, listing the names.
pub(crate) fn feedback(text: &str) -> crm::Result<FeedbackKind> {
    FEEDBACK
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, kind)| *kind)
        .ok_or_else(|| {
            let shown: String = text.chars().take(40).collect();
            Error::invalid(
                "feedback",
                "is not one of inquiry, suggestion, complaint, praise",
            )
            .with_value(shown)
        })
}

/// One SLA target's clock on a ticket.
#[napi(
    object,
    js_name = "TargetClock",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsTargetClock {
    /// What it measures: the `first_response`, or the `resolution`.
    #[napi(ts_type = "'first_response' | 'resolution'")]
    pub target: String,
    /// The target, in working minutes of the policy's calendar.
    pub minutes: u32,
    /// When it started: the ticket's creation, or a restart on reopening
    /// (RFC 3339, UTC).
    pub started_at: String,
    /// Working seconds spent in pauses (and, on resume, resolved).
    pub paused_seconds: i64,
    /// When it falls due (RFC 3339, UTC); `null` while paused or stopped.
    pub due_at: Option<String>,
    /// When it stopped (RFC 3339, UTC), or `null`.
    pub stopped_at: Option<String>,
    /// Working seconds used when it last stopped or paused.
    pub consumed_seconds: i64,
    /// Whether the target was met; `null` until the clock stops.
    pub met: Option<bool>,
}

impl From<TargetClock> for JsTargetClock {
    fn from(clock: TargetClock) -> Self {
        JsTargetClock {
            target: target_name(clock.target),
            minutes: clock.minutes,
            started_at: rfc3339(clock.started_at),
            paused_seconds: clock.paused_seconds,
            due_at: opt_rfc3339(clock.due_at),
            stopped_at: opt_rfc3339(clock.stopped_at),
            consumed_seconds: clock.consumed_seconds,
            met: clock.met,
        }
    }
}

/// An escalation step done on a ticket (each is done once).
#[napi(object, js_name = "Escalated", object_from_js = false)]
pub struct JsEscalated {
    /// The target that was late.
    #[napi(ts_type = "'first_response' | 'resolution'")]
    pub target: String,
    /// The step's threshold, in percent of the target's time (100: breached).
    pub at_percent: u32,
    /// What was done.
    #[napi(ts_type = "'notify_assignee' | 'notify_supervisor' | 'assign_supervisor'")]
    pub action: String,
    /// When (RFC 3339, UTC).
    pub at: String,
}

impl From<Escalated> for JsEscalated {
    fn from(escalated: Escalated) -> Self {
        JsEscalated {
            target: target_name(escalated.target),
            at_percent: escalated.at_percent,
            action: action_name(escalated.action),
            at: rfc3339(escalated.at),
        }
    }
}

/// A ticket's SLA (`Ticket.sla`): the policy that applies to it (the most
/// specific of the configured `sla.policies`), the calendar its minutes are
/// counted in, a clock per target, and the escalations done.
#[napi(
    object,
    js_name = "TicketSla",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsTicketSla {
    /// The policy's name.
    pub policy: String,
    /// The calendar's name (a key of the configured `sla.calendars`).
    pub calendar: String,
    /// A clock per target.
    pub clocks: Vec<JsTargetClock>,
    /// Since when the clocks are paused (RFC 3339, UTC), while the ticket is
    /// in a pause status (`awaiting_customer`); else `null`.
    pub paused_since: Option<String>,
    /// The escalation steps done, oldest first.
    pub escalations: Vec<JsEscalated>,
    /// The next time something falls due, a target or an escalation step
    /// (RFC 3339, UTC); what `dueWork` and `escalate` look for.
    pub next_check_at: Option<String>,
}

impl From<TicketSla> for JsTicketSla {
    fn from(sla: TicketSla) -> Self {
        JsTicketSla {
            policy: sla.policy,
            calendar: sla.calendar,
            clocks: sla.clocks.into_iter().map(JsTargetClock::from).collect(),
            paused_since: opt_rfc3339(sla.paused_since),
            escalations: sla.escalations.into_iter().map(JsEscalated::from).collect(),
            next_check_at: opt_rfc3339(sla.next_check_at),
        }
    }
}

/// A ticket's satisfaction survey (`Ticket.survey`): scheduled when the
/// ticket is closed (with `sla.survey` configured), answered with
/// `answerSurvey`.
#[napi(
    object,
    js_name = "Survey",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsSurvey {
    /// When it is to be sent (RFC 3339, UTC).
    pub due_at: String,
    /// When it was answered (RFC 3339, UTC), or `null`.
    pub answered_at: Option<String>,
    /// Satisfaction with the ticket, 1 (very unhappy) to 5.
    pub csat: Option<u32>,
    /// How likely they are to recommend us, 0 to 10.
    pub nps: Option<u32>,
    /// What kind of feedback they gave.
    #[napi(ts_type = "'inquiry' | 'suggestion' | 'complaint' | 'praise'")]
    pub feedback: Option<String>,
    /// In their words.
    pub comment: Option<String>,
    /// The id of the follow-up task a low score or a complaint created.
    pub follow_up: Option<String>,
}

impl From<Survey> for JsSurvey {
    fn from(survey: Survey) -> Self {
        JsSurvey {
            due_at: rfc3339(survey.due_at),
            answered_at: opt_rfc3339(survey.answered_at),
            csat: survey.csat.map(u32::from),
            nps: survey.nps.map(u32::from),
            feedback: survey.feedback.map(feedback_name),
            comment: survey.comment,
            follow_up: opt_string(survey.follow_up),
        }
    }
}

/// Where one SLA target of a ticket stands at an instant: what `ticketSla`
/// returns, one per target.
#[napi(
    object,
    js_name = "TargetState",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsTargetState {
    /// What it measures.
    #[napi(ts_type = "'first_response' | 'resolution'")]
    pub target: String,
    /// `running` (counting, within its time), `paused`, `met` (stopped in
    /// time) or `breached` (past its time, stopped or not).
    #[napi(ts_type = "'running' | 'paused' | 'met' | 'breached'")]
    pub status: String,
    /// Working minutes used.
    pub consumed_minutes: i64,
    /// Working minutes left (negative past due).
    pub remaining_minutes: i64,
    /// When it falls due (RFC 3339, UTC), if running; else `null`.
    pub due_at: Option<String>,
}

impl From<TargetState> for JsTargetState {
    fn from(state: TargetState) -> Self {
        JsTargetState {
            target: target_name(state.target),
            status: status_name(state.status),
            consumed_minutes: state.consumed_minutes,
            remaining_minutes: state.remaining_minutes,
            due_at: opt_rfc3339(state.due_at),
        }
    }
}

/// An escalation step applied by `escalate`.
#[napi(
    object,
    js_name = "TicketEscalation",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsTicketEscalation {
    /// The ticket's id.
    pub ticket: String,
    /// The target that is late.
    #[napi(ts_type = "'first_response' | 'resolution'")]
    pub target: String,
    /// The step's threshold, in percent of the target's time.
    pub at_percent: u32,
    /// What was done: the assignee notified (the group's supervisor when there
    /// is none), the supervisor notified, or the ticket given to the
    /// supervisor.
    #[napi(ts_type = "'notify_assignee' | 'notify_supervisor' | 'assign_supervisor'")]
    pub action: String,
    /// Who was notified or given the ticket; `null`: nobody to tell (a group
    /// without a supervisor).
    pub to: Option<String>,
}

impl From<TicketEscalation> for JsTicketEscalation {
    fn from(step: TicketEscalation) -> Self {
        JsTicketEscalation {
            ticket: step.ticket.to_string(),
            target: target_name(step.target),
            at_percent: step.at_percent,
            action: action_name(step.action),
            to: opt_string(step.to),
        }
    }
}
