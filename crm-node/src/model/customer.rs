//! Customers.

use std::collections::BTreeMap;

use napi_derive::napi;
use serde_json::Value;

use crm::{Customer, CustomerKind, NewCustomer, TeamId, UserId};

use crate::clock::opt_rfc3339;
use crate::convert::{custom, custom_json};
use crate::model::{JsMembership, JsRecordKey, JsShare, MetaFields, opt_string};

/// A customer: a company or a person the business sells to.
#[napi(
    object,
    js_name = "Customer",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsCustomer {
    /// The customer's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the customer was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the customer last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// A company or a person.
    #[napi(ts_type = "'company' | 'person'")]
    pub kind: String,
    /// The name.
    pub name: String,
    /// The lifecycle stage: `prospect`, `new`, `active`, `at_risk`, `dormant`,
    /// `churned` (the last four as `refreshCustomerValue` sets them), ...
    pub stage: String,
    /// Since when it has been in that stage (RFC 3339, UTC); `null` for
    /// customers stored before crm kept it.
    pub stage_since: Option<String>,
    /// The tier, `A`, `B` or `C`, when rated.
    #[napi(ts_type = "'A' | 'B' | 'C' | null")]
    pub tier: Option<String>,
    /// The user who owns it.
    pub owner: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The industry.
    pub industry: Option<String>,
    /// Free labels.
    pub tags: Vec<String>,
    /// The main phone number.
    pub phone: Option<String>,
    /// The main email address.
    pub email: Option<String>,
    /// The lead it was converted from.
    pub source_lead: Option<String>,
    /// The customer's IANA time zone (`'Europe/Rome'`), for yearly care
    /// items; `null`: the loyalty program's.
    pub time_zone: Option<String>,
    /// The RFM segment `refreshCustomerValue` put it in (`'champions'`,
    /// `'at_risk'`, ...), or `null`.
    pub segment: Option<String>,
    /// When it was last contacted (an activity logged on it; RFC 3339, UTC).
    pub last_contact_at: Option<String>,
    /// The loyalty account (points, level, ...), or `null` until the first
    /// posting (`recordPurchase`, `awardBonus`, ...).
    pub loyalty: Option<JsMembership>,
    /// The care rules handled, by rule name: the occurrence acted on
    /// (`actOnCare`), such as `{ thanks: 'first' }`.
    #[napi(ts_type = "Record<string, string>")]
    pub care_done: BTreeMap<String, String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Customer> for JsCustomer {
    fn from(customer: Customer) -> Self {
        let meta = MetaFields::from(customer.meta);
        JsCustomer {
            id: customer.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            kind: customer.kind.to_string(),
            name: customer.name,
            stage: customer.stage,
            stage_since: opt_rfc3339(customer.stage_since),
            tier: customer.tier.map(|tier| tier.to_string()),
            owner: opt_string(customer.owner),
            team: opt_string(customer.team),
            region: customer.region,
            industry: customer.industry,
            tags: customer.tags,
            phone: customer.phone,
            email: customer.email,
            source_lead: opt_string(customer.source_lead),
            time_zone: customer.time_zone,
            segment: customer.segment,
            last_contact_at: opt_rfc3339(customer.last_contact_at),
            loyalty: customer.loyalty.map(JsMembership::from),
            care_done: customer.care_done,
            custom: custom_json(&customer.custom),
        }
    }
}

/// A new customer for `createCustomer`.
#[napi(object, js_name = "NewCustomer", object_to_js = false)]
pub struct JsNewCustomer {
    /// The name.
    pub name: String,
    /// `company` (the default) or `person`.
    #[napi(ts_type = "'company' | 'person'")]
    pub kind: Option<String>,
    /// The owner's user id (default: the actor).
    pub owner: Option<String>,
    /// The team's id (default: the owner's team).
    pub team: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The industry.
    pub industry: Option<String>,
    /// The main phone number.
    pub phone: Option<String>,
    /// The main email address.
    pub email: Option<String>,
    /// Free labels.
    pub tags: Option<Vec<String>>,
    /// The customer's IANA time zone (`'Europe/Rome'`), for yearly care
    /// items (default: the loyalty program's).
    pub time_zone: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewCustomer {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewCustomer> {
        Ok(NewCustomer {
            kind: crate::convert::parse_or_default::<CustomerKind>(self.kind.as_deref())?,
            name: self.name,
            owner: self.owner.map(UserId::new).transpose()?,
            team: self.team.map(TeamId::new).transpose()?,
            region: self.region,
            industry: self.industry,
            tags: self.tags.unwrap_or_default(),
            phone: self.phone,
            email: self.email,
            time_zone: self.time_zone,
            custom: custom(self.custom)?,
        })
    }
}
