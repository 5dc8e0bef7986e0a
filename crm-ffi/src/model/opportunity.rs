//! Opportunities: deals moving through a sales pipeline, and what winning one
//! gives.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::NewOpportunity as CoreNewOpportunity;
use crm::Opportunity as CoreOpportunity;

use crate::clock::{date_text, parse_date, to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::money::opt_money;
use crate::model::{
    Contract, Money, RecordKey, Share, custom_json, opt_user, parse_custom, shares,
};
use crate::plan::QuoteVersion;

/// An opportunity (a deal): a chance to sell to a customer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Opportunity {
    /// The opportunity's id.
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
    /// A short name for the deal.
    pub name: String,
    /// The pipeline stage (`needs_analysis`, `proposal`, `negotiation`, `won`,
    /// `lost` by default).
    pub stage: String,
    /// The customer.
    pub customer: String,
    /// The main contact.
    pub contact: Option<String>,
    /// The lead it came from.
    pub lead: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// The owning team.
    pub team: Option<String>,
    /// The product line.
    pub product_line: Option<String>,
    /// The amount expected.
    pub expected_amount: Option<Money>,
    /// When it is expected to close, `YYYY-MM-DD`.
    pub expected_close_date: Option<String>,
    /// The win probability in percent, from the stage.
    pub probability: u8,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// The contract it was won with.
    pub contract: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<SystemTime>,
    /// Custom values as JSON text.
    pub custom_json: String,
    /// The versions of its quote (`addQuote`), oldest first.
    pub quotes: Vec<QuoteVersion>,
}

impl From<CoreOpportunity> for Opportunity {
    fn from(deal: CoreOpportunity) -> Self {
        Opportunity {
            id: deal.id.to_string(),
            version: deal.meta.version,
            created_at: to_system_time(deal.meta.created_at),
            updated_at: to_system_time(deal.meta.updated_at),
            created_by: deal.meta.created_by.to_string(),
            shares: shares(&deal.meta),
            merged_into: deal.meta.merged_into.map(RecordKey::from),
            name: deal.name,
            stage: deal.stage,
            customer: deal.customer.to_string(),
            contact: opt_text(deal.contact),
            lead: opt_text(deal.lead),
            owner: opt_text(deal.owner),
            team: opt_text(deal.team),
            product_line: deal.product_line,
            expected_amount: deal.expected_amount.map(Money::from),
            expected_close_date: deal.expected_close_date.map(date_text),
            probability: deal.probability,
            lost_reason: deal.lost_reason,
            contract: opt_text(deal.contract),
            closed_at: to_system_time_opt(deal.closed_at),
            custom_json: custom_json(&deal.custom),
            quotes: deal.quotes.into_iter().map(QuoteVersion::from).collect(),
        }
    }
}

/// What a new opportunity is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewOpportunity {
    /// The customer's id.
    pub customer: String,
    /// A short name for the deal.
    pub name: String,
    /// The main contact's id.
    #[uniffi(default)]
    pub contact: Option<String>,
    /// The owner (default: the creator).
    #[uniffi(default)]
    pub owner: Option<String>,
    /// The product line.
    #[uniffi(default)]
    pub product_line: Option<String>,
    /// The amount expected (not negative).
    #[uniffi(default)]
    pub expected_amount: Option<Money>,
    /// When it is expected to close, `YYYY-MM-DD`.
    #[uniffi(default)]
    pub expected_close_date: Option<String>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewOpportunity> for CoreNewOpportunity {
    type Error = CoreError;

    fn try_from(new: NewOpportunity) -> Result<Self, CoreError> {
        Ok(CoreNewOpportunity {
            name: new.name,
            customer: Some(new.customer.parse()?),
            contact: new.contact.map(|id| id.parse()).transpose()?,
            owner: opt_user(new.owner)?,
            product_line: new.product_line,
            expected_amount: opt_money(new.expected_amount)?,
            expected_close_date: new
                .expected_close_date
                .map(|date| parse_date("expected_close_date", &date))
                .transpose()?,
            custom: parse_custom(new.custom_json)?,
        })
    }
}

/// A won deal and the draft contract it produced.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Win {
    /// The opportunity, now `won`.
    pub opportunity: Opportunity,
    /// The new contract, in `draft`.
    pub contract: Contract,
}

impl From<(CoreOpportunity, crm::Contract)> for Win {
    fn from((opportunity, contract): (CoreOpportunity, crm::Contract)) -> Self {
        Win {
            opportunity: opportunity.into(),
            contract: contract.into(),
        }
    }
}
