//! Tickets: service requests after the sale.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::NewTicket as CoreNewTicket;
use crm::Ticket as CoreTicket;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{
    RecordKey, Share, custom_json, opt_team, parse_custom, parse_name_or_default, shares,
};

/// A service ticket.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Ticket {
    /// The ticket's id.
    pub id: String,
    /// Bumped by one on every write.
    pub version: u64,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was (`merge`; `unmerge`
    /// clears it).
    pub merged_into: Option<RecordKey>,
    /// What it is about, in a line.
    pub subject: String,
    /// The lifecycle state: `new`, `assigned`, `in_progress`,
    /// `awaiting_customer`, `resolved`, `closed`, `reopened`.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The category (complaint, repair, question, ...).
    pub category: Option<String>,
    /// The channel it came in by.
    pub channel: Option<String>,
    /// The customer.
    pub customer: Option<String>,
    /// The contact who raised it.
    pub contact: Option<String>,
    /// The service group handling it.
    pub group: Option<String>,
    /// The agent handling it.
    pub assignee: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// How many times it was reopened.
    pub reopen_count: u32,
    /// When it was last resolved.
    pub resolved_at: Option<SystemTime>,
    /// When it was closed.
    pub closed_at: Option<SystemTime>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreTicket> for Ticket {
    fn from(ticket: CoreTicket) -> Self {
        Ticket {
            id: ticket.id.to_string(),
            version: ticket.meta.version,
            created_at: to_system_time(ticket.meta.created_at),
            updated_at: to_system_time(ticket.meta.updated_at),
            created_by: ticket.meta.created_by.to_string(),
            shares: shares(&ticket.meta),
            merged_into: ticket.meta.merged_into.map(RecordKey::from),
            subject: ticket.subject,
            status: ticket.status,
            priority: ticket.priority.to_string(),
            category: ticket.category,
            channel: ticket.channel,
            customer: opt_text(ticket.customer),
            contact: opt_text(ticket.contact),
            group: opt_text(ticket.group),
            assignee: opt_text(ticket.assignee),
            resolution: ticket.resolution,
            reopen_count: ticket.reopen_count,
            resolved_at: to_system_time_opt(ticket.resolved_at),
            closed_at: to_system_time_opt(ticket.closed_at),
            custom_json: custom_json(&ticket.custom),
        }
    }
}

/// What a new ticket is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewTicket {
    /// What it is about, in a line.
    pub subject: String,
    /// `low`, `normal` (the default), `high` or `urgent`.
    #[uniffi(default)]
    pub priority: Option<String>,
    /// The category.
    #[uniffi(default)]
    pub category: Option<String>,
    /// The channel it came in by.
    #[uniffi(default)]
    pub channel: Option<String>,
    /// The customer's id.
    #[uniffi(default)]
    pub customer: Option<String>,
    /// The id of the contact who raised it.
    #[uniffi(default)]
    pub contact: Option<String>,
    /// The service group to handle it (default: the opener's team).
    #[uniffi(default)]
    pub group: Option<String>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewTicket> for CoreNewTicket {
    type Error = CoreError;

    fn try_from(new: NewTicket) -> Result<Self, CoreError> {
        Ok(CoreNewTicket {
            subject: new.subject,
            priority: parse_name_or_default(new.priority)?,
            category: new.category,
            channel: new.channel,
            customer: new.customer.map(|id| id.parse()).transpose()?,
            contact: new.contact.map(|id| id.parse()).transpose()?,
            group: opt_team(new.group)?,
            custom: parse_custom(new.custom_json)?,
        })
    }
}
