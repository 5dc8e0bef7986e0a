//! Records as plain JS objects, with camelCase keys.
//!
//! Each record carries its meta (`version`, `createdAt`, `updatedAt`,
//! `createdBy`, `shares`, `mergedInto`) beside its own fields, as the core's
//! JSON does. Absent optional values are `null`; times are RFC 3339 strings in
//! UTC; money is [`JsMoney`] with a string amount; custom values are JSON.
//!
//! Every wrapper is made by a `From<core type>` impl: it converts, it never
//! decides.

// Declared in the order their types are used (see lib.rs): keys, money,
// payment plans and quotes, a ticket's SLA and survey, grantees and shares
// before the records, the records before `AnyRecord`.
mod desk;
mod ids;
mod loyalty;
mod money;
mod plan;
mod quote;

use napi_derive::napi;

use crm::{AnyRecord, Grantee, Meta, Share, TeamId, UserId};

use crate::clock::rfc3339;
use crate::convert::number;

pub use activity::{JsActivity, JsNewActivity};
pub use campaign::{JsCampaign, JsCampaignMember};
pub use contact::{JsContact, JsNewContact};
pub use contract::JsContract;
pub use customer::{JsCustomer, JsNewCustomer};
pub(crate) use desk::feedback;
pub use desk::{
    JsEscalated, JsSurvey, JsTargetClock, JsTargetState, JsTicketEscalation, JsTicketSla,
};
pub use ids::{JsRecordKey, record_key};
pub use lead::{JsConversion, JsLead, JsNewLead};
pub use loyalty::{
    JsCareDue, JsEarning, JsLevelChange, JsLot, JsLotUse, JsMembership, JsPendingDowngrade,
    JsWindowItem,
};
pub use money::JsMoney;
pub use opportunity::{JsNewOpportunity, JsOpportunity};
pub use plan::{JsAllocation, JsPayment, JsPaymentPlan, JsPlanLine, JsReversal, JsWriteOff};
pub use points::JsPointsEntry;
pub use quote::{JsPricedLine, JsPricedQuote, JsQuoteLine, JsQuoteVersion};
pub use task::{JsNewTask, JsTask, JsTaskLogEntry};
pub use ticket::{JsNewTicket, JsTicket};
pub use user::{JsAbsence, JsTeam, JsUser};

/// The meta every record carries, converted once for all kinds.
pub(crate) struct MetaFields {
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: String,
    pub shares: Vec<JsShare>,
    pub merged_into: Option<JsRecordKey>,
}

impl From<Meta> for MetaFields {
    fn from(meta: Meta) -> Self {
        MetaFields {
            version: number(meta.version),
            created_at: rfc3339(meta.created_at),
            updated_at: rfc3339(meta.updated_at),
            created_by: meta.created_by.to_string(),
            shares: meta.shares.into_iter().map(JsShare::from).collect(),
            merged_into: meta.merged_into.map(JsRecordKey::from),
        }
    }
}

/// Whom a record is shared with: exactly one of `user` and `team` is set.
/// `share` and `unshare` take the same shape.
#[napi(object, js_name = "Grantee")]
pub struct JsGrantee {
    /// A user's id.
    pub user: Option<String>,
    /// A team's id (every member of the team).
    pub team: Option<String>,
}

impl JsGrantee {
    /// The core grantee; naming both or neither is a `validation` error on
    /// `grantee`.
    pub(crate) fn to_core(&self) -> crm::Result<Grantee> {
        match (&self.user, &self.team) {
            (Some(user), None) => Ok(Grantee::User(UserId::new(user.as_str())?)),
            (None, Some(team)) => Ok(Grantee::Team(TeamId::new(team.as_str())?)),
            _ => Err(crm::Error::invalid("grantee", "name a user or a team")),
        }
    }
}

impl From<Grantee> for JsGrantee {
    fn from(grantee: Grantee) -> Self {
        match grantee {
            Grantee::User(user) => JsGrantee {
                user: Some(user.to_string()),
                team: None,
            },
            Grantee::Team(team) => JsGrantee {
                user: None,
                team: Some(team.to_string()),
            },
        }
    }
}

/// One share of a record: who, and what they may do.
#[napi(object, js_name = "Share", object_from_js = false)]
pub struct JsShare {
    /// Who it is shared with.
    pub grantee: JsGrantee,
    /// `read` (the record and its history) or `edit` (also change it and move it
    /// through its lifecycle).
    #[napi(ts_type = "'read' | 'edit'")]
    pub access: String,
}

impl From<Share> for JsShare {
    fn from(share: Share) -> Self {
        JsShare {
            grantee: share.grantee.into(),
            access: share.access.to_string(),
        }
    }
}

// The records, each with its wrapper and the input of its create command.
mod activity;
mod campaign;
mod contact;
mod contract;
mod customer;
mod lead;
mod opportunity;
mod points;
mod task;
mod ticket;
mod user;

/// Any one record, tagged with its kind: what the generic commands (`get`,
/// `transition`, `update`, `share`, `unshare`) return.
///
/// `entity` names the kind, and exactly one property, the one named by
/// `entity`, holds the record; the others are absent:
///
/// ```js
/// const any = crm.get(ana, 'lead', leadId)
/// any.entity      // 'lead'
/// any.lead.status // 'new'
/// any[any.entity] // the record, whatever its kind
/// ```
#[napi(object, js_name = "AnyRecord", object_from_js = false)]
pub struct JsAnyRecord {
    /// The kind of record, and the name of the property that holds it.
    #[napi(
        ts_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
    )]
    pub entity: String,
    /// The record, when `entity` is `customer`.
    pub customer: Option<JsCustomer>,
    /// The record, when `entity` is `contact`.
    pub contact: Option<JsContact>,
    /// The record, when `entity` is `lead`.
    pub lead: Option<JsLead>,
    /// The record, when `entity` is `opportunity`.
    pub opportunity: Option<JsOpportunity>,
    /// The record, when `entity` is `contract`.
    pub contract: Option<JsContract>,
    /// The record, when `entity` is `ticket`.
    pub ticket: Option<JsTicket>,
    /// The record, when `entity` is `activity`.
    pub activity: Option<JsActivity>,
    /// The record, when `entity` is `task`.
    pub task: Option<JsTask>,
    /// The record, when `entity` is `user`.
    pub user: Option<JsUser>,
    /// The record, when `entity` is `team`.
    pub team: Option<JsTeam>,
    /// The record, when `entity` is `points_entry` (a ledger entry; the
    /// property is named as the kind, so that `any[any.entity]` holds).
    #[napi(js_name = "points_entry")]
    pub points_entry: Option<JsPointsEntry>,
    /// The record, when `entity` is `campaign`.
    pub campaign: Option<JsCampaign>,
}

impl From<AnyRecord> for JsAnyRecord {
    fn from(record: AnyRecord) -> Self {
        let mut any = JsAnyRecord {
            entity: record.kind().as_str().to_owned(),
            customer: None,
            contact: None,
            lead: None,
            opportunity: None,
            contract: None,
            ticket: None,
            activity: None,
            task: None,
            user: None,
            team: None,
            points_entry: None,
            campaign: None,
        };
        match record {
            AnyRecord::Customer(record) => any.customer = Some(record.into()),
            AnyRecord::Contact(record) => any.contact = Some(record.into()),
            AnyRecord::Lead(record) => any.lead = Some(record.into()),
            AnyRecord::Opportunity(record) => any.opportunity = Some(record.into()),
            AnyRecord::Contract(record) => any.contract = Some(record.into()),
            AnyRecord::Ticket(record) => any.ticket = Some(record.into()),
            AnyRecord::Activity(record) => any.activity = Some(record.into()),
            AnyRecord::Task(record) => any.task = Some(record.into()),
            AnyRecord::User(record) => any.user = Some(record.into()),
            AnyRecord::Team(record) => any.team = Some(record.into()),
            AnyRecord::PointsEntry(record) => any.points_entry = Some(record.into()),
            AnyRecord::Campaign(record) => any.campaign = Some(record.into()),
        }
        any
    }
}

/// An optional id or name, as JS shows it.
pub(crate) fn opt_string(value: Option<impl ToString>) -> Option<String> {
    value.map(|value| value.to_string())
}
