//! Tickets: service requests after the sale.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{
    Access, ContactId, CustomFields, CustomerId, IndexKeys, LONG_TEXT, Meta, Record, RecordKey,
    SHORT_TEXT, TeamId, TicketId, UserId, check_opt_text, check_text,
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
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("subject", &self.subject, SHORT_TEXT)?;
        check_opt_text("category", &self.category, SHORT_TEXT)?;
        check_opt_text("channel", &self.channel, SHORT_TEXT)?;
        check_opt_text("resolution", &self.resolution, LONG_TEXT)
    }
}
