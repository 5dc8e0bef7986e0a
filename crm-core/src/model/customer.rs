//! Customers: the companies and people a business sells to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{
    Access, CustomFields, CustomerId, IndexKeys, LeadId, Meta, Record, SHORT_TEXT, TeamId, UserId,
    check_labels, check_opt_text, check_text, normalize_email, normalize_phone,
};

/// Whether a customer is a company or a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A company (B2B).
    #[default]
    Company,
    /// A person (B2C).
    Person,
}

/// A customer's value tier: A high value, B potential, C sleeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// High value.
    A,
    /// Potential.
    B,
    /// Sleeping.
    C,
}

/// A customer: a company or a person that buys, or may buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// Company or person.
    pub kind: CustomerKind,
    /// The company's or the person's name.
    pub name: String,
    /// The lifecycle stage (`prospect`, `new`, `active`, `at_risk`, `dormant`, `churned`).
    pub stage: String,
    /// Since when it has been in that stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_since: Option<DateTime<Utc>>,
    /// The value tier, once scored.
    pub tier: Option<Tier>,
    /// The account owner.
    pub owner: Option<UserId>,
    /// The owning team.
    pub team: Option<TeamId>,
    /// The sales region.
    pub region: Option<String>,
    /// The industry.
    pub industry: Option<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The main phone number.
    pub phone: Option<String>,
    /// The main email.
    pub email: Option<String>,
    /// The lead this customer was converted from.
    pub source_lead: Option<LeadId>,
    /// The customer's IANA time zone (`Europe/Berlin`), for yearly care items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The RFM segment, once scored (`champions`, `at_risk`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// When an activity was last logged on the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_at: Option<DateTime<Utc>>,
    /// The loyalty account, once the customer has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<crate::loyalty::Membership>,
    /// Care items handled: the occurrence last acted on, by rule.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub care_done: BTreeMap<String, String>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

/// What a new customer is made of; the rest is filled in by the engine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCustomer {
    /// Company or person.
    pub kind: CustomerKind,
    /// The company's or the person's name.
    pub name: String,
    /// The account owner (defaults to the creator).
    pub owner: Option<UserId>,
    /// The owning team (defaults to the owner's team).
    pub team: Option<TeamId>,
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
    /// The customer's IANA time zone.
    pub time_zone: Option<String>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Record for Customer {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Customer;
    const PROTECTED: &'static [&'static str] = &[
        "stage",
        "owner",
        "source_lead",
        "segment",
        "last_contact_at",
        "loyalty",
        "care_done",
    ];

    record_basics!(Customer, stage);

    fn entered(
        &mut self,
        _state: &crate::lifecycle::StateDef,
        now: DateTime<Utc>,
        _reason: Option<&str>,
    ) {
        self.stage_since = Some(now);
    }

    fn access(&self) -> Access {
        Access {
            owners: self.owner.iter().cloned().collect(),
            team: self.team.clone(),
            region: self.region.clone(),
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.owner.clone(),
            team: self.team.clone(),
            status: Some(self.stage.clone()),
            phones: self
                .phone
                .iter()
                .filter_map(|p| normalize_phone(p).ok())
                .collect(),
            emails: self
                .email
                .iter()
                .filter_map(|e| normalize_email(e).ok())
                .collect(),
            match_keys: crate::dedupe::match_keys_of(&self.match_records()),
            due_at: self.loyalty.as_ref().and_then(|m| m.next_check_at),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("region", &self.region, SHORT_TEXT)?;
        check_opt_text("industry", &self.industry, SHORT_TEXT)?;
        check_labels("tags", &self.tags)?;
        if let Some(phone) = &self.phone {
            normalize_phone(phone)?;
        }
        if let Some(email) = &self.email {
            normalize_email(email)?;
        }
        if let Some(zone) = &self.time_zone {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                let shown: String = zone.chars().take(40).collect();
                return Err(
                    crate::Error::invalid("time_zone", "is not an IANA time zone")
                        .with_value(shown),
                );
            }
        }
        Ok(())
    }
}
