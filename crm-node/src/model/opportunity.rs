//! Opportunities (deals).

use napi_derive::napi;
use serde_json::Value;

use crm::{NewOpportunity, Opportunity, UserId};

use crate::clock::opt_rfc3339;
use crate::convert::{custom, custom_json, date};
use crate::model::{JsMoney, JsQuoteVersion, JsRecordKey, JsShare, MetaFields, opt_string};

/// An opportunity (a deal): moves through the sales pipeline until it is won
/// (into a contract) or lost.
#[napi(
    object,
    js_name = "Opportunity",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsOpportunity {
    /// The deal's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the deal was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the deal last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The name.
    pub name: String,
    /// The pipeline stage: `needs_analysis`, `proposal`, `negotiation`, `won`, `lost`.
    pub stage: String,
    /// The customer's id.
    pub customer: String,
    /// The contact's id.
    pub contact: Option<String>,
    /// The lead it came from.
    pub lead: Option<String>,
    /// The user who owns it.
    pub owner: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// The product line.
    pub product_line: Option<String>,
    /// The expected amount (a string amount; see `Money`).
    pub expected_amount: Option<JsMoney>,
    /// The expected close date, `YYYY-MM-DD`.
    pub expected_close_date: Option<String>,
    /// The win probability in percent, set by the stage.
    pub probability: u32,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// The contract it was won into.
    pub contract: Option<String>,
    /// When it was won or lost (RFC 3339, UTC).
    pub closed_at: Option<String>,
    /// The versions of its quote (`addQuote`), oldest first.
    pub quotes: Vec<JsQuoteVersion>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Opportunity> for JsOpportunity {
    fn from(deal: Opportunity) -> Self {
        let meta = MetaFields::from(deal.meta);
        JsOpportunity {
            id: deal.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            name: deal.name,
            stage: deal.stage,
            customer: deal.customer.to_string(),
            contact: opt_string(deal.contact),
            lead: opt_string(deal.lead),
            owner: opt_string(deal.owner),
            team: opt_string(deal.team),
            product_line: deal.product_line,
            expected_amount: deal.expected_amount.map(JsMoney::from),
            expected_close_date: opt_string(deal.expected_close_date),
            probability: u32::from(deal.probability),
            lost_reason: deal.lost_reason,
            contract: opt_string(deal.contract),
            closed_at: opt_rfc3339(deal.closed_at),
            quotes: deal.quotes.into_iter().map(JsQuoteVersion::from).collect(),
            custom: custom_json(&deal.custom),
        }
    }
}

/// A new deal for `createOpportunity`.
#[napi(object, js_name = "NewOpportunity", object_to_js = false)]
pub struct JsNewOpportunity {
    /// The customer's id.
    pub customer: String,
    /// The name.
    pub name: String,
    /// The contact's id.
    pub contact: Option<String>,
    /// The owner's user id (default: the actor).
    pub owner: Option<String>,
    /// The product line.
    pub product_line: Option<String>,
    /// The expected amount, `{ amount: '12000.00', currency: 'EUR' }`.
    pub expected_amount: Option<JsMoney>,
    /// The expected close date, `YYYY-MM-DD`.
    pub expected_close_date: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewOpportunity {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewOpportunity> {
        Ok(NewOpportunity {
            name: self.name,
            customer: Some(self.customer.parse()?),
            contact: self.contact.map(|id| id.parse()).transpose()?,
            owner: self.owner.map(UserId::new).transpose()?,
            product_line: self.product_line,
            expected_amount: self
                .expected_amount
                .map(|money| money.to_core())
                .transpose()?,
            expected_close_date: self
                .expected_close_date
                .map(|text| date("expected_close_date", &text))
                .transpose()?,
            custom: custom(self.custom)?,
        })
    }
}
