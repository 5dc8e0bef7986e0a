//! Leads.

use napi_derive::napi;
use serde_json::Value;

use crm::{Conversion, Lead, NewLead, TeamId, UserId};

use crate::clock::opt_rfc3339;
use crate::convert::{custom, custom_json, small};
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// What a lead was converted into: the ids of the customer, the contact and
/// the deal (`null` when the conversion opened none).
#[napi(
    object,
    js_name = "Conversion",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsConversion {
    /// The customer's id (new, or the one converted into).
    pub customer: String,
    /// The contact's id.
    pub contact: String,
    /// The deal's id, when one was opened.
    pub opportunity: Option<String>,
}

impl From<Conversion> for JsConversion {
    fn from(conversion: Conversion) -> Self {
        JsConversion {
            customer: conversion.customer.to_string(),
            contact: conversion.contact.to_string(),
            opportunity: opt_string(conversion.opportunity),
        }
    }
}

/// A lead: an enquiry that is worked (contacted, qualified) until it is
/// converted into a customer, a contact and a deal, or discarded.
#[napi(object, js_name = "Lead", object_from_js = false, use_nullable = true)]
pub struct JsLead {
    /// The lead's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the lead was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the lead last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The lifecycle state: `new`, `contacted`, `qualified`, `converted`, `discarded`.
    pub status: String,
    /// Where it came from (`web_form`, `fair`, ...).
    pub source: Option<String>,
    /// The channel it came through.
    pub channel: Option<String>,
    /// The marketing campaign it came from (`channelRoi` and
    /// `leadConversion` metrics group by it).
    pub campaign: Option<String>,
    /// The company's name.
    pub company: Option<String>,
    /// The person's name.
    pub contact_name: Option<String>,
    /// The person's title.
    pub title: Option<String>,
    /// A phone number, as given.
    pub phone: Option<String>,
    /// An email address, as given.
    pub email: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The product line asked about.
    pub product_line: Option<String>,
    /// The user who owns it (`null`: in the team's pool).
    pub owner: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// A quality score, 0 to 100.
    pub quality_score: Option<u32>,
    /// When it was last assigned.
    pub assigned_at: Option<String>,
    /// When the first contact is due (cleared once contacted).
    pub first_contact_due_at: Option<String>,
    /// When it was first contacted.
    pub first_contacted_at: Option<String>,
    /// When the next follow-up is due.
    pub next_follow_up_at: Option<String>,
    /// Why it was discarded.
    pub discard_reason: Option<String>,
    /// What it was converted into.
    pub conversion: Option<JsConversion>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Lead> for JsLead {
    fn from(lead: Lead) -> Self {
        let meta = MetaFields::from(lead.meta);
        JsLead {
            id: lead.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
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
            owner: opt_string(lead.owner),
            team: opt_string(lead.team),
            quality_score: lead.quality_score.map(u32::from),
            assigned_at: opt_rfc3339(lead.assigned_at),
            first_contact_due_at: opt_rfc3339(lead.first_contact_due_at),
            first_contacted_at: opt_rfc3339(lead.first_contacted_at),
            next_follow_up_at: opt_rfc3339(lead.next_follow_up_at),
            discard_reason: lead.discard_reason,
            conversion: lead.conversion.map(JsConversion::from),
            custom: custom_json(&lead.custom),
        }
    }
}

/// A new lead for `createLead`. It needs a `company` or a `contactName`.
#[napi(object, js_name = "NewLead", object_to_js = false)]
pub struct JsNewLead {
    /// Where it came from (`web_form`, `fair`, ...).
    pub source: Option<String>,
    /// The channel it came through.
    pub channel: Option<String>,
    /// The marketing campaign it came from (`channelRoi` and
    /// `leadConversion` metrics group by it).
    pub campaign: Option<String>,
    /// The company's name.
    pub company: Option<String>,
    /// The person's name.
    pub contact_name: Option<String>,
    /// The person's title.
    pub title: Option<String>,
    /// A phone number.
    pub phone: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// The sales region.
    pub region: Option<String>,
    /// The product line asked about.
    pub product_line: Option<String>,
    /// The owner's user id (omit it to leave the lead in the team's pool).
    pub owner: Option<String>,
    /// The team's id (default: the owner's team, else the actor's).
    pub team: Option<String>,
    /// A quality score, a whole number 0 to 100.
    pub quality_score: Option<f64>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewLead {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewLead> {
        Ok(NewLead {
            source: self.source,
            channel: self.channel,
            campaign: self.campaign,
            company: self.company,
            contact_name: self.contact_name,
            title: self.title,
            phone: self.phone,
            email: self.email,
            region: self.region,
            product_line: self.product_line,
            owner: self.owner.map(UserId::new).transpose()?,
            team: self.team.map(TeamId::new).transpose()?,
            quality_score: self
                .quality_score
                .map(|score| small("quality_score", score))
                .transpose()?,
            custom: custom(self.custom)?,
        })
    }
}
