//! Tickets: service requests after the sale.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{
    Access, ContactId, ContractId, CustomFields, CustomerId, IndexKeys, LONG_TEXT, Meta, Record,
    RecordKey, SHORT_TEXT, TeamId, TicketId, UserId, check_opt_text, check_text,
};

/// How urgent a ticket is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    /// Can wait.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

/// A service ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket's id.
    pub id: TicketId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// What it is about, in a line.
    pub subject: String,
    /// The lifecycle state (`new`, `assigned`, `in_progress`, `awaiting_customer`,
    /// `resolved`, `closed`, `reopened`).
    pub status: String,
    /// How urgent it is.
    pub priority: TicketPriority,
    /// The category (complaint, repair, question, ...).
    pub category: Option<String>,
    /// The channel it came in by.
    pub channel: Option<String>,
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The contact who raised it.
    pub contact: Option<ContactId>,
    /// The service group handling it.
    pub group: Option<TeamId>,
    /// The agent handling it.
    pub assignee: Option<UserId>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// How many times it was reopened.
    pub reopen_count: u32,
    /// When it was last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
    /// The contract it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractId>,
    /// The order it is about (the host's reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The last day of the warranty of what it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_until: Option<NaiveDate>,
    /// Why the request is outside warranty or contract scope, when it is
    /// (set when the ticket is opened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<String>,
    /// Its SLA clocks (set by the engine from the configured policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<crate::sla::TicketSla>,
    /// Its satisfaction survey (scheduled when it is closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
}

/// What a customer said about the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// A question.
    Inquiry,
    /// An idea.
    Suggestion,
    /// A complaint.
    Complaint,
    /// Praise.
    Praise,
}

/// A satisfaction survey of a ticket: due some time after closing, answered
/// with a CSAT (1-5), an NPS answer (0-10) and typed feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// When it is to be sent.
    pub due_at: DateTime<Utc>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Satisfaction with the ticket, 1 (very unhappy) to 5.
    pub csat: Option<u8>,
    /// How likely they are to recommend us, 0 to 10.
    pub nps: Option<u8>,
    /// What kind of feedback they gave.
    pub feedback: Option<FeedbackKind>,
    /// In their words.
    pub comment: Option<String>,
    /// The follow-up task a low score or a complaint created.
    pub follow_up: Option<crate::model::TaskId>,
}

/// What a new ticket is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewTicket {
    /// What it is about, in a line.
    pub subject: String,
    /// How urgent it is.
    pub priority: TicketPriority,
    /// The category.
    pub category: Option<String>,
    /// The channel it came in by.
    pub channel: Option<String>,
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The contact who raised it.
    pub contact: Option<ContactId>,
    /// The service group to handle it.
    pub group: Option<TeamId>,
    /// The contract it is about.
    pub contract: Option<ContractId>,
    /// The order it is about (the host's reference).
    pub order: Option<String>,
    /// The last day of the warranty of what it is about.
    pub warranty_until: Option<NaiveDate>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Record for Ticket {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Ticket;
    const PROTECTED: &'static [&'static str] = &[
        "status",
        "group",
        "assignee",
        "reopen_count",
        "resolved_at",
        "closed_at",
        "out_of_scope",
        "sla",
        "survey",
    ];

    record_basics!(Ticket, status);

    fn entered(
        &mut self,
        state: &crate::lifecycle::StateDef,
        now: DateTime<Utc>,
        _reason: Option<&str>,
    ) {
        match state.name.as_str() {
            "resolved" => self.resolved_at = Some(now),
            "closed" => self.closed_at = Some(now),
            "reopened" => {
                self.reopen_count += 1;
                self.resolved_at = None;
            }
            _ => {}
        }
    }

    fn access(&self) -> Access {
        Access {
            owners: self.assignee.iter().cloned().collect(),
            team: self.group.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.assignee.clone(),
            team: self.group.clone(),
            status: Some(self.status.clone()),
            parent: self.customer.as_ref().map(RecordKey::from),
            // What due_work looks for: the next SLA check, or an unanswered survey.
            due_at: [
                self.sla.as_ref().and_then(|s| s.next_check_at),
                self.survey
                    .as_ref()
                    .filter(|s| s.answered_at.is_none())
                    .map(|s| s.due_at),
            ]
            .into_iter()
            .flatten()
            .min(),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("subject", &self.subject, SHORT_TEXT)?;
        check_opt_text("category", &self.category, SHORT_TEXT)?;
        check_opt_text("channel", &self.channel, SHORT_TEXT)?;
        check_opt_text("resolution", &self.resolution, LONG_TEXT)?;
        check_opt_text("order", &self.order, SHORT_TEXT)?;
        if let Some(survey) = &self.survey {
            check_opt_text("comment", &survey.comment, LONG_TEXT)?;
        }
        Ok(())
    }
}
