//! What assignment returns, as plain JS objects: a routing (where a record
//! went, by which rule, and the trace of every rule tried), a user's due work,
//! and a lead's score with the rules that gave it points.
//!
//! The enum-like values (`result`, `reason`, `kind`) are the core's names in
//! its JSON (`no_one_available`, `on_leave`, `first_contact`), typed in
//! index.d.ts as unions of those strings.

use napi_derive::napi;

use crm::assign::{Routing, Score, ScorePart, Skipped, TraceStep};
use crm::{DueItem, DueWork};

use crate::clock::rfc3339;
use crate::model::{JsCareDue, JsRecordKey, opt_string};

/// A user a rule passed over, and why.
#[napi(object, js_name = "Skipped", object_from_js = false)]
pub struct JsSkipped {
    /// The user's id.
    pub user: String,
    /// Why: `unknown` (no such user), `inactive`, `on_leave` (away now),
    /// `at_daily_cap`, `at_window_cap` (given their cap), `excluded` (e.g. the
    /// owner the record is taken from).
    #[napi(
        ts_type = "'unknown' | 'inactive' | 'on_leave' | 'at_daily_cap' | 'at_window_cap' | 'excluded'"
    )]
    pub reason: String,
}

impl From<Skipped> for JsSkipped {
    fn from(skipped: Skipped) -> Self {
        JsSkipped {
            user: skipped.user.to_string(),
            reason: skipped.reason.as_str().to_owned(),
        }
    }
}

/// One rule tried in a routing, in words.
#[napi(object, js_name = "TraceStep", object_from_js = false)]
pub struct JsTraceStep {
    /// The rule's name.
    pub rule: String,
    /// What became of it: `not_matched` (its condition did not hold),
    /// `outside_hours` (not active at this time), `no_one_available` (it
    /// matched, but none of its users could take the record), `chosen`.
    #[napi(ts_type = "'not_matched' | 'outside_hours' | 'no_one_available' | 'chosen'")]
    pub result: String,
    /// Why: the tests that decided its condition (`region "east" is =
    /// "east"`), or its hours.
    pub detail: String,
    /// The users it passed over, and why.
    pub skipped: Vec<JsSkipped>,
}

impl From<TraceStep> for JsTraceStep {
    fn from(step: TraceStep) -> Self {
        JsTraceStep {
            rule: step.rule,
            result: step.result.as_str().to_owned(),
            detail: step.detail,
            skipped: step.skipped.into_iter().map(JsSkipped::from).collect(),
        }
    }
}

/// Where a record went, and why: what `route`, `routeLead`, `routePool`,
/// `reclaimOverdue` and `transferWork` return, one per record (the same
/// routing is kept in the record's event, under `payload.routing`).
#[napi(
    object,
    js_name = "Routing",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsRouting {
    /// The record decided on.
    pub subject: Option<JsRecordKey>,
    /// The user it went to; `null`: it went to the pool.
    pub owner: Option<String>,
    /// The team of the owner, or of the pool.
    pub team: Option<String>,
    /// The rule that chose the owner (`null` when none did, or the work was
    /// transferred to a named user).
    pub rule: Option<String>,
    /// Why it went to the pool (`no rule matches`, `no user is available under
    /// rule east`, ...).
    pub pool_reason: Option<String>,
    /// Every rule tried, in order.
    pub trace: Vec<JsTraceStep>,
}

impl From<Routing> for JsRouting {
    fn from(routing: Routing) -> Self {
        JsRouting {
            subject: routing.subject.map(JsRecordKey::from),
            owner: opt_string(routing.owner),
            team: opt_string(routing.team),
            rule: routing.rule,
            pool_reason: routing.pool_reason,
            trace: routing.trace.into_iter().map(JsTraceStep::from).collect(),
        }
    }
}

/// One piece of due work: a lead's first contact or follow-up, a task, an
/// installment, winning back a customer, a ticket's SLA target, escalation
/// or survey, or caring for a customer.
#[napi(
    object,
    js_name = "DueItem",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsDueItem {
    /// The lead, task, contract, customer or ticket.
    pub subject: JsRecordKey,
    /// What is due: a newly assigned lead's `first_contact`, a lead's
    /// `follow_up`, a `task`, an `installment` of a contract, the `win_back` of
    /// a customer that `refreshCustomerValue` moved to `at_risk` or `dormant`
    /// (due the configured follow-up time after it entered that stage), a
    /// ticket's SLA target (`sla`, for its assignee or the group's
    /// supervisor), an `escalation` step due on a ticket (run `escalate`), or
    /// a ticket's satisfaction `survey` to send, or `care` of a customer by
    /// one of the loyalty program's care rules (see `care`).
    #[napi(
        ts_type = "'first_contact' | 'follow_up' | 'task' | 'win_back' | 'installment' | 'sla' | 'escalation' | 'survey' | 'care'"
    )]
    pub kind: String,
    /// What to show: the lead's company or contact, the task's title, the
    /// customer's name, the ticket's subject (with the target, for `sla`).
    pub title: String,
    /// When it is (or was) due (RFC 3339, UTC).
    pub due_at: String,
    /// Whether that is already past.
    pub overdue: bool,
    /// For a `care` item: the rule, why, what to do and which occurrence
    /// (act on it with `actOnCare`); `null` for the other kinds.
    pub care: Option<JsCareDue>,
}

impl From<DueItem> for JsDueItem {
    fn from(item: DueItem) -> Self {
        JsDueItem {
            subject: item.subject.into(),
            kind: item.kind.as_str().to_owned(),
            title: item.title,
            due_at: rfc3339(item.due_at),
            overdue: item.overdue,
            care: item.care.map(JsCareDue::from),
        }
    }
}

/// One user's due work, earliest first.
#[napi(object, js_name = "DueWork", object_from_js = false)]
pub struct JsDueWork {
    /// The user's id.
    pub user: String,
    /// How many of the items are overdue.
    pub overdue: u32,
    /// The items, earliest first.
    pub items: Vec<JsDueItem>,
}

impl From<DueWork> for JsDueWork {
    fn from(work: DueWork) -> Self {
        JsDueWork {
            user: work.user.to_string(),
            overdue: u32::try_from(work.overdue).unwrap_or(u32::MAX),
            items: work.items.into_iter().map(JsDueItem::from).collect(),
        }
    }
}

/// Points given by one scoring rule.
#[napi(object, js_name = "ScorePart", object_from_js = false)]
pub struct JsScorePart {
    /// The rule's name.
    pub rule: String,
    /// Its points (negative ones take away).
    pub points: i32,
    /// Why its condition held.
    pub detail: String,
}

impl From<ScorePart> for JsScorePart {
    fn from(part: ScorePart) -> Self {
        JsScorePart {
            rule: part.rule,
            points: part.points,
            detail: part.detail,
        }
    }
}

/// A lead's score and how it was reached: `base` plus the points of every
/// rule whose condition holds, kept within 0 to 100.
#[napi(object, js_name = "Score", object_from_js = false)]
pub struct JsScore {
    /// The score, a whole number 0 to 100 (the lead's `qualityScore`).
    pub score: u32,
    /// Where it started (the configured base).
    pub base: i32,
    /// The rules that gave points, in order.
    pub parts: Vec<JsScorePart>,
}

impl From<Score> for JsScore {
    fn from(score: Score) -> Self {
        JsScore {
            score: u32::from(score.score),
            base: score.base,
            parts: score.parts.into_iter().map(JsScorePart::from).collect(),
        }
    }
}
