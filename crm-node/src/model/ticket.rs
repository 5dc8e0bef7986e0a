//! Service tickets.

use napi_derive::napi;
use serde_json::Value;

use crm::{NewTicket, TeamId, Ticket, TicketPriority};

use crate::clock::opt_rfc3339;
use crate::convert::{custom, custom_json, date};
use crate::model::{JsRecordKey, JsShare, JsSurvey, JsTicketSla, MetaFields, opt_string};

/// A service ticket: assigned, worked, resolved and closed (or reopened).
#[napi(
    object,
    js_name = "Ticket",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsTicket {
    /// The ticket's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the ticket was opened (RFC 3339, UTC).
    pub created_at: String,
    /// When the ticket last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who opened it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The subject.
    pub subject: String,
    /// The lifecycle state: `new`, `assigned`, `in_progress`,
    /// `awaiting_customer`, `resolved`, `closed`, `reopened`.
    pub status: String,
    /// The priority.
    #[napi(ts_type = "'low' | 'normal' | 'high' | 'urgent'")]
    pub priority: String,
    /// The category.
    pub category: Option<String>,
    /// The channel it came through.
    pub channel: Option<String>,
    /// The customer's id.
    pub customer: Option<String>,
    /// The contact's id.
    pub contact: Option<String>,
    /// The team (queue) it is in.
    pub group: Option<String>,
    /// The user working on it.
    pub assignee: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// How often it was reopened.
    pub reopen_count: u32,
    /// When it was resolved (RFC 3339, UTC).
    pub resolved_at: Option<String>,
    /// When it was closed (RFC 3339, UTC).
    pub closed_at: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
    /// The id of the contract it is about.
    pub contract: Option<String>,
    /// The order it is about (the host's reference).
    pub order: Option<String>,
    /// The last day of the warranty of what it is about, `YYYY-MM-DD`.
    pub warranty_until: Option<String>,
    /// Why the request is outside the warranty or the contract's scope, set
    /// when the ticket is opened (`'the warranty ended on 2026-02-28'`); `null`
    /// when it is within scope or nothing says.
    pub out_of_scope: Option<String>,
    /// Its SLA clocks, set from the configured policies (`sla` in the
    /// config) when it is opened; `null` when no policy applies.
    pub sla: Option<JsTicketSla>,
    /// Its satisfaction survey, scheduled when it is closed (with
    /// `sla.survey` configured) or created by `answerSurvey`; else `null`.
    pub survey: Option<JsSurvey>,
}

impl From<Ticket> for JsTicket {
    fn from(ticket: Ticket) -> Self {
        let meta = MetaFields::from(ticket.meta);
        JsTicket {
            id: ticket.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            subject: ticket.subject,
            status: ticket.status,
            priority: ticket.priority.to_string(),
            category: ticket.category,
            channel: ticket.channel,
            customer: opt_string(ticket.customer),
            contact: opt_string(ticket.contact),
            group: opt_string(ticket.group),
            assignee: opt_string(ticket.assignee),
            resolution: ticket.resolution,
            reopen_count: ticket.reopen_count,
            resolved_at: opt_rfc3339(ticket.resolved_at),
            closed_at: opt_rfc3339(ticket.closed_at),
            custom: custom_json(&ticket.custom),
            contract: opt_string(ticket.contract),
            order: ticket.order,
            warranty_until: ticket.warranty_until.map(|day| day.to_string()),
            out_of_scope: ticket.out_of_scope,
            sla: ticket.sla.map(JsTicketSla::from),
            survey: ticket.survey.map(JsSurvey::from),
        }
    }
}

/// A new ticket for `openTicket`.
#[napi(object, js_name = "NewTicket", object_to_js = false)]
pub struct JsNewTicket {
    /// The subject.
    pub subject: String,
    /// The priority (default `normal`).
    #[napi(ts_type = "'low' | 'normal' | 'high' | 'urgent'")]
    pub priority: Option<String>,
    /// The category.
    pub category: Option<String>,
    /// The channel it came through.
    pub channel: Option<String>,
    /// The customer's id.
    pub customer: Option<String>,
    /// The contact's id.
    pub contact: Option<String>,
    /// The team (queue) to put it in (default: the actor's team); the
    /// assignment rules that apply to tickets route it at once.
    pub group: Option<String>,
    /// The id of the contract it is about (a contract not in force, a draft
    /// or an ended one, puts it out of scope).
    pub contract: Option<String>,
    /// The order it is about (the host's reference).
    pub order: Option<String>,
    /// The last day of the warranty of what it is about, `YYYY-MM-DD` (a
    /// warranty ended before today puts it out of scope).
    pub warranty_until: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewTicket {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewTicket> {
        Ok(NewTicket {
            subject: self.subject,
            priority: crate::convert::parse_or_default::<TicketPriority>(self.priority.as_deref())?,
            category: self.category,
            channel: self.channel,
            customer: self.customer.map(|id| id.parse()).transpose()?,
            contact: self.contact.map(|id| id.parse()).transpose()?,
            group: self.group.map(TeamId::new).transpose()?,
            contract: self.contract.map(|id| id.parse()).transpose()?,
            order: self.order,
            warranty_until: self
                .warranty_until
                .map(|text| date("warranty_until", &text))
                .transpose()?,
            custom: custom(self.custom)?,
        })
    }
}
