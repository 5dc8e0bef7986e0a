//! Leads: people or companies that may become customers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    Access, ContactId, CustomFields, CustomerId, IndexKeys, LeadId, Meta, OpportunityId, Record,
    SHORT_TEXT, TeamId, UserId, check_opt_text, normalize_email, normalize_phone,
};

/// What a converted lead became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The customer (new, or the existing one it was converted into).
    pub customer: CustomerId,
    /// The contact.
    pub contact: ContactId,
    /// The opportunity, when one was opened.
    pub opportunity: Option<OpportunityId>,
}

/// A lead: an enquiry not yet qualified into a customer and a deal.
///
/// A lead with no owner is in the pool of its team (or region).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    /// The lead's id.
    pub id: LeadId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// The lifecycle state (`new`, `contacted`, `qualified`, `converted`, `discarded`).
    pub status: String,
    /// Where it came from (web form, trade fair, referral, ...).
    pub source: Option<String>,
    /// The channel (phone, email, chat, ...).
    pub channel: Option<String>,
    /// The marketing campaign it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The company's name.
    pub company: Option<String>,
    /// The person's name.
    pub contact_name: Option<String>,
    /// The person's job title.
    pub title: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The product line asked about.
    pub product_line: Option<String>,
    /// The owner; `None` while the lead is in the pool.
    pub owner: Option<UserId>,
    /// The team (and so the pool) the lead belongs to.
    pub team: Option<TeamId>,
    /// A quality score, 0 to 100.
    pub quality_score: Option<u8>,
    /// When the current owner was given the lead.
    pub assigned_at: Option<DateTime<Utc>>,
    /// When the first contact is due (set on assignment, cleared by the first contact).
    pub first_contact_due_at: Option<DateTime<Utc>>,
    /// When the lead was first contacted.
    pub first_contacted_at: Option<DateTime<Utc>>,
    /// When the next follow-up is due.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// Why the lead was discarded.
    pub discard_reason: Option<String>,
    /// What the lead was converted into.
    pub conversion: Option<Conversion>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

/// What a new lead is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewLead {
    /// Where it came from.
    pub source: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// The marketing campaign it came from.
    pub campaign: Option<String>,
    /// The company's name.
    pub company: Option<String>,
    /// The person's name.
    pub contact_name: Option<String>,
    /// The person's job title.
    pub title: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The product line asked about.
    pub product_line: Option<String>,
    /// The owner; `None` puts the lead in the pool.
    pub owner: Option<UserId>,
    /// The team (and pool).
    pub team: Option<TeamId>,
    /// A quality score, 0 to 100.
    pub quality_score: Option<u8>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Lead {
    /// The earliest of the first-contact and follow-up due times.
    pub fn next_due_at(&self) -> Option<DateTime<Utc>> {
        match (self.first_contact_due_at, self.next_follow_up_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Record for Lead {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Lead;
    const PROTECTED: &'static [&'static str] = &[
        "status",
        "owner",
        "assigned_at",
        "first_contact_due_at",
        "first_contacted_at",
        "discard_reason",
        "conversion",
    ];

    record_basics!(Lead, status);

    fn entered(
        &mut self,
        state: &crate::lifecycle::StateDef,
        now: DateTime<Utc>,
        reason: Option<&str>,
    ) {
        match state.name.as_str() {
            "contacted" => {
                self.first_contacted_at.get_or_insert(now);
                self.first_contact_due_at = None;
            }
            "discarded" => {
                self.discard_reason = reason.map(str::to_string);
                self.first_contact_due_at = None;
                self.next_follow_up_at = None;
            }
            "converted" => {
                self.first_contact_due_at = None;
                self.next_follow_up_at = None;
            }
            "new" => self.discard_reason = None,
            _ => {}
        }
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
            status: Some(self.status.clone()),
            due_at: self.next_due_at(),
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
            parent: None,
            match_keys: crate::dedupe::match_keys_of(&self.match_records()),
        }
    }

    fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("source", &self.source),
            ("channel", &self.channel),
            ("campaign", &self.campaign),
            ("company", &self.company),
            ("contact_name", &self.contact_name),
            ("title", &self.title),
            ("region", &self.region),
            ("product_line", &self.product_line),
            ("discard_reason", &self.discard_reason),
        ] {
            check_opt_text(field, value, SHORT_TEXT)?;
        }
        if self.company.is_none() && self.contact_name.is_none() {
            return Err(Error::Validation {
                fields: vec!["company".into(), "contact_name".into()],
                value: None,
                reason: "a lead needs a company or a contact name".into(),
            });
        }
        if let Some(phone) = &self.phone {
            normalize_phone(phone)?;
        }
        if let Some(email) = &self.email {
            normalize_email(email)?;
        }
        if let Some(score) = self.quality_score {
            if score > 100 {
                return Err(Error::invalid("quality_score", "must be 0 to 100").with_value(score));
            }
        }
        Ok(())
    }
}
