//! Customers: the companies and people a business sells to.

use std::collections::HashMap;
use std::time::SystemTime;

use crm::Customer as CoreCustomer;
use crm::Error as CoreError;
use crm::NewCustomer as CoreNewCustomer;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::loyalty::Membership;
use crate::model::ids::opt_text;
use crate::model::{
    RecordKey, Share, custom_json, opt_team, opt_user, parse_custom, parse_name_or_default, shares,
};

/// A customer: a company or a person that buys, or may buy.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Customer {
    /// The customer's id.
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
    /// `company` or `person`.
    pub kind: String,
    /// The company's or the person's name.
    pub name: String,
    /// The lifecycle stage: `prospect`, `new`, `active`, `at_risk`, `dormant`, `churned`.
    pub stage: String,
    /// When the customer entered its stage (`null` only for customers stored
    /// before crm kept it); a win-back comes due the follow-up time after it.
    pub stage_since: Option<SystemTime>,
    /// The value tier, once scored: `A` (high value), `B` (potential), `C` (sleeping).
    pub tier: Option<String>,
    /// The account owner.
    pub owner: Option<String>,
    /// The owning team.
    pub team: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The industry.
    pub industry: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// The main phone number.
    pub phone: Option<String>,
    /// The main email.
    pub email: Option<String>,
    /// The lead this customer was converted from.
    pub source_lead: Option<String>,
    /// The customer's IANA time zone (`Europe/Berlin`), for yearly care items.
    pub time_zone: Option<String>,
    /// The RFM segment, once scored (`champions`, `at_risk`, ...).
    pub segment: Option<String>,
    /// When an activity was last logged on the customer.
    pub last_contact_at: Option<SystemTime>,
    /// The loyalty account, once the customer has one (their first posting).
    pub loyalty: Option<Membership>,
    /// Care items handled: the occurrence last acted on, by care rule.
    pub care_done: HashMap<String, String>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreCustomer> for Customer {
    fn from(customer: CoreCustomer) -> Self {
        Customer {
            id: customer.id.to_string(),
            version: customer.meta.version,
            created_at: to_system_time(customer.meta.created_at),
            updated_at: to_system_time(customer.meta.updated_at),
            created_by: customer.meta.created_by.to_string(),
            shares: shares(&customer.meta),
            merged_into: customer.meta.merged_into.map(RecordKey::from),
            kind: customer.kind.to_string(),
            name: customer.name,
            stage: customer.stage,
            stage_since: to_system_time_opt(customer.stage_since),
            tier: customer.tier.map(|tier| tier.to_string()),
            owner: opt_text(customer.owner),
            team: opt_text(customer.team),
            region: customer.region,
            industry: customer.industry,
            tags: customer.tags,
            phone: customer.phone,
            email: customer.email,
            source_lead: opt_text(customer.source_lead),
            time_zone: customer.time_zone,
            segment: customer.segment,
            last_contact_at: to_system_time_opt(customer.last_contact_at),
            loyalty: customer.loyalty.map(Membership::from),
            care_done: customer.care_done.into_iter().collect(),
            custom_json: custom_json(&customer.custom),
        }
    }
}

/// What a new customer is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewCustomer {
    /// The company's or the person's name.
    pub name: String,
    /// `company` (the default) or `person`.
    #[uniffi(default)]
    pub kind: Option<String>,
    /// The account owner (default: the creator).
    #[uniffi(default)]
    pub owner: Option<String>,
    /// The owning team (default: the owner's team).
    #[uniffi(default)]
    pub team: Option<String>,
    /// The sales region.
    #[uniffi(default)]
    pub region: Option<String>,
    /// The industry.
    #[uniffi(default)]
    pub industry: Option<String>,
    /// Free tags.
    #[uniffi(default)]
    pub tags: Vec<String>,
    /// The main phone number.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// The main email.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
    /// The customer's IANA time zone (`Europe/Rome`), for yearly care items
    /// (default: the loyalty program's).
    #[uniffi(default)]
    pub time_zone: Option<String>,
}

impl TryFrom<NewCustomer> for CoreNewCustomer {
    type Error = CoreError;

    fn try_from(new: NewCustomer) -> Result<Self, CoreError> {
        Ok(CoreNewCustomer {
            kind: parse_name_or_default(new.kind)?,
            name: new.name,
            owner: opt_user(new.owner)?,
            team: opt_team(new.team)?,
            region: new.region,
            industry: new.industry,
            tags: new.tags,
            phone: new.phone,
            email: new.email,
            custom: parse_custom(new.custom_json)?,
            time_zone: new.time_zone,
        })
    }
}
