//! Record keys, and ids read from JS strings.

use napi_derive::napi;

use crm::{EntityKind, RecordKey, TeamId, UserId};

/// A record named by kind and id: `{ kind: 'lead', id: '0194…' }`.
#[napi(object, js_name = "RecordKey")]
pub struct JsRecordKey {
    /// The kind of record.
    #[napi(
        ts_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
    )]
    pub kind: String,
    /// The record's id (a UUID, or the name-like id of a user or team).
    pub id: String,
}

impl From<RecordKey> for JsRecordKey {
    fn from(key: RecordKey) -> Self {
        JsRecordKey {
            kind: key.kind.as_str().to_owned(),
            id: key.id,
        }
    }
}

impl JsRecordKey {
    /// The core key, checked as [`record_key`] checks it.
    pub(crate) fn to_core(&self) -> crm::Result<RecordKey> {
        record_key(&self.kind, &self.id)
    }
}

/// The key of a record named by kind and id. The id is parsed through its typed
/// id, so that a malformed id is the same `validation` error (`lead_id`,
/// `user_id`, ...) as in the typed commands; an unknown kind is a `validation`
/// error on `entity`.
pub fn record_key(kind: &str, id: &str) -> crm::Result<RecordKey> {
    let kind: EntityKind = kind.parse()?;
    let id = match kind {
        EntityKind::User => UserId::new(id)?.to_string(),
        EntityKind::Team => TeamId::new(id)?.to_string(),
        EntityKind::Lead => id.parse::<crm::LeadId>()?.to_string(),
        EntityKind::Customer => id.parse::<crm::CustomerId>()?.to_string(),
        EntityKind::Contact => id.parse::<crm::ContactId>()?.to_string(),
        EntityKind::Opportunity => id.parse::<crm::OpportunityId>()?.to_string(),
        EntityKind::Contract => id.parse::<crm::ContractId>()?.to_string(),
        EntityKind::Ticket => id.parse::<crm::TicketId>()?.to_string(),
        EntityKind::Activity => id.parse::<crm::ActivityId>()?.to_string(),
        EntityKind::Task => id.parse::<crm::TaskId>()?.to_string(),
        EntityKind::PointsEntry => id.parse::<crm::PointsEntryId>()?.to_string(),
        EntityKind::Campaign => id.parse::<crm::CampaignId>()?.to_string(),
    };
    Ok(RecordKey::new(kind, id))
}
