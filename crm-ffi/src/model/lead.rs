//! Leads: what a lead looks like, what a new one is made of, and how it is
//! converted.

use std::time::SystemTime;

use crm::Conversion as CoreConversion;
use crm::Error as CoreError;
use crm::Lead as CoreLead;
use crm::NewLead as CoreNewLead;
use crm::{ConvertLead as CoreConvertLead, DealFromLead as CoreDealFromLead};

use crate::clock::{parse_date, to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::money::opt_money;
use crate::model::{
    Money, RecordKey, Share, custom_json, opt_team, opt_user, parse_custom, shares,
};

/// A lead: an enquiry not yet qualified into a customer and a deal. With no
/// owner it sits in its team's pool.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Lead {
    /// The lead's id.
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
    /// The lifecycle state: `new`, `contacted`, `qualified`, `converted`, `discarded`.
    pub status: String,
    /// Where it came from (web form, trade fair, referral, ...).
    pub source: Option<String>,
    /// The channel (phone, email, chat, ...).
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
    /// The owner; `null` while the lead is in the pool.
    pub owner: Option<String>,
    /// The team (and so the pool).
    pub team: Option<String>,
    /// A quality score, 0 to 100.
    pub quality_score: Option<u8>,
    /// When the current owner was given the lead.
    pub assigned_at: Option<SystemTime>,
    /// When the first contact is due.
    pub first_contact_due_at: Option<SystemTime>,
    /// When the lead was first contacted.
    pub first_contacted_at: Option<SystemTime>,
    /// When the next follow-up is due.
    pub next_follow_up_at: Option<SystemTime>,
    /// Why the lead was discarded.
    pub discard_reason: Option<String>,
    /// What the lead was converted into.
    pub conversion: Option<Conversion>,
    /// Custom values as JSON text: `{"key": {"text": "..."}}`.
    pub custom_json: String,
}

impl From<CoreLead> for Lead {
    fn from(lead: CoreLead) -> Self {
        Lead {
            id: lead.id.to_string(),
            version: lead.meta.version,
            created_at: to_system_time(lead.meta.created_at),
            updated_at: to_system_time(lead.meta.updated_at),
            created_by: lead.meta.created_by.to_string(),
            shares: shares(&lead.meta),
            merged_into: lead.meta.merged_into.map(RecordKey::from),
            status: lead.status,
            source: lead.source,
            channel: lead.channel,
            campaign: lead.campaign,
            company: lead.company,
            contact_name: lead.contact_name,
            title: lead.title,
            phone: lead.phone,
            email: lead.email,
            region: lead.region,
            product_line: lead.product_line,
            owner: opt_text(lead.owner),
            team: opt_text(lead.team),
            quality_score: lead.quality_score,
            assigned_at: to_system_time_opt(lead.assigned_at),
            first_contact_due_at: to_system_time_opt(lead.first_contact_due_at),
            first_contacted_at: to_system_time_opt(lead.first_contacted_at),
            next_follow_up_at: to_system_time_opt(lead.next_follow_up_at),
            discard_reason: lead.discard_reason,
            conversion: lead.conversion.map(Conversion::from),
            custom_json: custom_json(&lead.custom),
        }
    }
}

/// What a new lead is made of. It needs a company or a contact name; with an
/// owner it is assigned at once, without one it goes to its team's pool.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewLead {
    /// Where it came from.
    #[uniffi(default)]
    pub source: Option<String>,
    /// The channel.
    #[uniffi(default)]
    pub channel: Option<String>,
    /// The marketing campaign it came from (`leadConversion` and
    /// `channelRoi` count by it).
    #[uniffi(default)]
    pub campaign: Option<String>,
    /// The company's name.
    #[uniffi(default)]
    pub company: Option<String>,
    /// The person's name.
    #[uniffi(default)]
    pub contact_name: Option<String>,
    /// The person's job title.
    #[uniffi(default)]
    pub title: Option<String>,
    /// Phone number.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Email.
    #[uniffi(default)]
    pub email: Option<String>,
    /// The sales region.
    #[uniffi(default)]
    pub region: Option<String>,
    /// The product line asked about.
    #[uniffi(default)]
    pub product_line: Option<String>,
    /// The owner; `null` puts the lead in the pool.
    #[uniffi(default)]
    pub owner: Option<String>,
    /// The team (and pool).
    #[uniffi(default)]
    pub team: Option<String>,
    /// A quality score, 0 to 100.
    #[uniffi(default)]
    pub quality_score: Option<u8>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewLead> for CoreNewLead {
    type Error = CoreError;

    fn try_from(new: NewLead) -> Result<Self, CoreError> {
        Ok(CoreNewLead {
            source: new.source,
            channel: new.channel,
            campaign: new.campaign,
            company: new.company,
            contact_name: new.contact_name,
            title: new.title,
            phone: new.phone,
            email: new.email,
            region: new.region,
            product_line: new.product_line,
            owner: opt_user(new.owner)?,
            team: opt_team(new.team)?,
            quality_score: new.quality_score,
            custom: parse_custom(new.custom_json)?,
        })
    }
}

/// What a converted lead became: ids of the customer, the contact and the
/// opportunity (when one was opened).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Conversion {
    /// The customer (new, or the one it was converted into).
    pub customer: String,
    /// The contact.
    pub contact: String,
    /// The opportunity, when one was opened.
    pub opportunity: Option<String>,
}

impl From<CoreConversion> for Conversion {
    fn from(conversion: CoreConversion) -> Self {
        Conversion {
            customer: conversion.customer.to_string(),
            contact: conversion.contact.to_string(),
            opportunity: opt_text(conversion.opportunity),
        }
    }
}

/// How to convert a lead; the defaults create a new customer and contact and
/// open a deal named after the lead.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConvertLeadOptions {
    /// Convert into this existing customer instead of creating one.
    #[uniffi(default)]
    pub into_customer: Option<String>,
    /// Whether to open an opportunity (default `true`).
    #[uniffi(default = true)]
    pub create_opportunity: bool,
    /// The opportunity's name (default: the company, or the contact's name,
    /// and the product line).
    #[uniffi(default)]
    pub opportunity_name: Option<String>,
    /// The amount the opportunity is expected to bring.
    #[uniffi(default)]
    pub expected_amount: Option<Money>,
    /// When it is expected to close, `YYYY-MM-DD`.
    #[uniffi(default)]
    pub expected_close_date: Option<String>,
    /// Create a new customer even when one with the lead's email or phone exists.
    #[uniffi(default = false)]
    pub allow_duplicate: bool,
}

impl Default for ConvertLeadOptions {
    fn default() -> Self {
        ConvertLeadOptions {
            into_customer: None,
            create_opportunity: true,
            opportunity_name: None,
            expected_amount: None,
            expected_close_date: None,
            allow_duplicate: false,
        }
    }
}

impl TryFrom<ConvertLeadOptions> for CoreConvertLead {
    type Error = CoreError;

    fn try_from(options: ConvertLeadOptions) -> Result<Self, CoreError> {
        let opportunity = if options.create_opportunity {
            Some(CoreDealFromLead {
                name: options.opportunity_name,
                expected_amount: opt_money(options.expected_amount)?,
                expected_close_date: options
                    .expected_close_date
                    .map(|date| parse_date("expected_close_date", &date))
                    .transpose()?,
            })
        } else {
            None
        };
        Ok(CoreConvertLead {
            into_customer: options.into_customer.map(|id| id.parse()).transpose()?,
            opportunity,
            allow_duplicate: options.allow_duplicate,
        })
    }
}
