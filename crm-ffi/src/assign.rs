//! What the assignment commands return: a [`Routing`] with its trace, a
//! user's [`DueWork`], a lead's [`Score`].
//!
//! These are outputs only, so their closed sets (a trace step's result, why a
//! user was passed over, what is due) are generated enums rather than the
//! lowercase strings the inputs use: nothing unknown can come back, and a
//! `when` over them is checked by the compiler.

use std::time::SystemTime;

use crm::DueItem as CoreDueItem;
use crm::DueKind as CoreDueKind;
use crm::DueWork as CoreDueWork;
use crm::assign::{
    Routing as CoreRouting, Score as CoreScore, ScorePart as CoreScorePart,
    SkipReason as CoreSkipReason, Skipped as CoreSkipped, StepResult as CoreStepResult,
    TraceStep as CoreTraceStep,
};

use crate::clock::to_system_time;
use crate::loyalty::CareDue;
use crate::model::{RecordKey, opt_text};

/// Where the assignment rules sent a record, and why: what `route`,
/// `routeLead`, `routePool`, `reclaimOverdue` and `transferWork` return (and
/// what the record's event keeps in its payload).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Routing {
    /// The record decided on.
    pub subject: Option<RecordKey>,
    /// The user chosen; `null`: the record went to the pool.
    pub owner: Option<String>,
    /// The team of the owner, or of the pool (the record's own team when the
    /// rules name none).
    pub team: Option<String>,
    /// The rule that chose (`null` when none did, or when the work was handed
    /// to a named user).
    pub rule: Option<String>,
    /// Why it went to the pool.
    pub pool_reason: Option<String>,
    /// Every rule tried, in order.
    pub trace: Vec<TraceStep>,
}

impl From<CoreRouting> for Routing {
    fn from(routing: CoreRouting) -> Self {
        Routing {
            subject: routing.subject.map(RecordKey::from),
            owner: opt_text(routing.owner),
            team: opt_text(routing.team),
            rule: routing.rule,
            pool_reason: routing.pool_reason,
            trace: routing.trace.into_iter().map(TraceStep::from).collect(),
        }
    }
}

/// One rule tried in a routing decision, in words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TraceStep {
    /// The rule's name.
    pub rule: String,
    /// What became of it.
    pub result: StepResult,
    /// Why: the tests that decided its condition (`region "east" is =
    /// "east"`), or its hours.
    pub detail: String,
    /// The users it passed over, and why.
    pub skipped: Vec<Skipped>,
}

impl From<CoreTraceStep> for TraceStep {
    fn from(step: CoreTraceStep) -> Self {
        TraceStep {
            rule: step.rule,
            result: step.result.into(),
            detail: step.detail,
            skipped: step.skipped.into_iter().map(Skipped::from).collect(),
        }
    }
}

/// What became of one rule in a decision (`"not_matched"`, ... in the
/// canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum StepResult {
    /// Its condition did not hold.
    NotMatched,
    /// It is not active at this time.
    OutsideHours,
    /// It matched, but none of its users could take the record.
    NoOneAvailable,
    /// It matched and chose a user.
    Chosen,
}

impl From<CoreStepResult> for StepResult {
    fn from(result: CoreStepResult) -> Self {
        match result {
            CoreStepResult::NotMatched => StepResult::NotMatched,
            CoreStepResult::OutsideHours => StepResult::OutsideHours,
            CoreStepResult::NoOneAvailable => StepResult::NoOneAvailable,
            CoreStepResult::Chosen => StepResult::Chosen,
        }
    }
}

/// A user a rule passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Skipped {
    /// The user.
    pub user: String,
    /// Why.
    pub reason: SkipReason,
}

impl From<CoreSkipped> for Skipped {
    fn from(skipped: CoreSkipped) -> Self {
        Skipped {
            user: skipped.user.to_string(),
            reason: skipped.reason.into(),
        }
    }
}

/// Why a user was passed over (`"on_leave"`, ... in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SkipReason {
    /// No such user.
    Unknown,
    /// Not active.
    Inactive,
    /// Away now.
    OnLeave,
    /// Given their daily cap today.
    AtDailyCap,
    /// Given their cap within the rolling window.
    AtWindowCap,
    /// Excluded from this decision (the owner the work is taken from).
    Excluded,
}

impl From<CoreSkipReason> for SkipReason {
    fn from(reason: CoreSkipReason) -> Self {
        match reason {
            CoreSkipReason::Unknown => SkipReason::Unknown,
            CoreSkipReason::Inactive => SkipReason::Inactive,
            CoreSkipReason::OnLeave => SkipReason::OnLeave,
            CoreSkipReason::AtDailyCap => SkipReason::AtDailyCap,
            CoreSkipReason::AtWindowCap => SkipReason::AtWindowCap,
            CoreSkipReason::Excluded => SkipReason::Excluded,
        }
    }
}

/// One user's due work, earliest first: what `dueWork` returns per user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueWork {
    /// The user.
    pub user: String,
    /// How many of the items are overdue.
    pub overdue: u32,
    /// The items, earliest first.
    pub items: Vec<DueItem>,
}

impl From<CoreDueWork> for DueWork {
    fn from(work: CoreDueWork) -> Self {
        DueWork {
            user: work.user.to_string(),
            overdue: u32::try_from(work.overdue).unwrap_or(u32::MAX),
            items: work.items.into_iter().map(DueItem::from).collect(),
        }
    }
}

/// One piece of due work.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueItem {
    /// The lead, task, customer, contract or ticket.
    pub subject: RecordKey,
    /// What is due.
    pub kind: DueKind,
    /// What to show: the lead's company or contact, the task's title, the
    /// ticket's subject and target (`"Press 4 leaks oil: first_response"`).
    pub title: String,
    /// When it is (or was) due.
    pub due_at: SystemTime,
    /// Whether that is already past.
    pub overdue: bool,
    /// For a `CARE` item: the rule, the reason and the suggested action.
    pub care: Option<CareDue>,
}

impl From<CoreDueItem> for DueItem {
    fn from(item: CoreDueItem) -> Self {
        DueItem {
            subject: item.subject.into(),
            kind: item.kind.into(),
            title: item.title,
            due_at: to_system_time(item.due_at),
            overdue: item.overdue,
            care: item.care.map(CareDue::from),
        }
    }
}

/// What is due (`"first_contact"`, ... in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum DueKind {
    /// A newly assigned lead's first contact.
    FirstContact,
    /// A lead's next follow-up.
    FollowUp,
    /// A task's due time.
    Task,
    /// Winning back a customer flagged at risk or dormant.
    WinBack,
    /// A contract's installment due soon or overdue.
    Installment,
    /// A ticket's SLA target (first response or resolution): due soon, or
    /// breached.
    Sla,
    /// An escalation step of a ticket's SLA, due and not yet applied
    /// (`escalate`).
    Escalation,
    /// A closed ticket's satisfaction survey, to be sent.
    Survey,
    /// A customer care item of the loyalty program (a thank-you call, a
    /// birthday, no contact for a while): `DueItem.care` says which.
    Care,
}

impl From<CoreDueKind> for DueKind {
    fn from(kind: CoreDueKind) -> Self {
        match kind {
            CoreDueKind::FirstContact => DueKind::FirstContact,
            CoreDueKind::FollowUp => DueKind::FollowUp,
            CoreDueKind::Task => DueKind::Task,
            CoreDueKind::WinBack => DueKind::WinBack,
            CoreDueKind::Installment => DueKind::Installment,
            CoreDueKind::Sla => DueKind::Sla,
            CoreDueKind::Escalation => DueKind::Escalation,
            CoreDueKind::Survey => DueKind::Survey,
            CoreDueKind::Care => DueKind::Care,
        }
    }
}

/// A lead's score and how it was reached: what `scoreLead` returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Score {
    /// The score, 0 to 100 (stored as the lead's `qualityScore`).
    pub score: u8,
    /// Where it started (the scoring rules' `base`).
    pub base: i32,
    /// The rules that gave points, in order.
    pub parts: Vec<ScorePart>,
}

impl From<CoreScore> for Score {
    fn from(score: CoreScore) -> Self {
        Score {
            score: score.score,
            base: score.base,
            parts: score.parts.into_iter().map(ScorePart::from).collect(),
        }
    }
}

/// The points one scoring rule gave.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScorePart {
    /// The rule's name.
    pub rule: String,
    /// Its points (negative ones take away).
    pub points: i32,
    /// Why its condition held.
    pub detail: String,
}

impl From<CoreScorePart> for ScorePart {
    fn from(part: CoreScorePart) -> Self {
        ScorePart {
            rule: part.rule,
            points: part.points,
            detail: part.detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every core name has its case, spelled the same in snake_case.
    #[test]
    fn enums_cover_the_core() {
        let results = [
            CoreStepResult::NotMatched,
            CoreStepResult::OutsideHours,
            CoreStepResult::NoOneAvailable,
            CoreStepResult::Chosen,
        ];
        for result in results {
            let name = format!("{:?}", StepResult::from(result));
            assert_eq!(snake(&name), result.as_str());
        }
        let reasons = [
            CoreSkipReason::Unknown,
            CoreSkipReason::Inactive,
            CoreSkipReason::OnLeave,
            CoreSkipReason::AtDailyCap,
            CoreSkipReason::AtWindowCap,
            CoreSkipReason::Excluded,
        ];
        for reason in reasons {
            let name = format!("{:?}", SkipReason::from(reason));
            assert_eq!(snake(&name), reason.as_str());
        }
        for kind in [
            CoreDueKind::FirstContact,
            CoreDueKind::FollowUp,
            CoreDueKind::Task,
            CoreDueKind::WinBack,
            CoreDueKind::Installment,
            CoreDueKind::Sla,
            CoreDueKind::Escalation,
            CoreDueKind::Survey,
            CoreDueKind::Care,
        ] {
            let name = format!("{:?}", DueKind::from(kind));
            assert_eq!(snake(&name), kind.as_str());
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
