//! Opportunities: deals moving through a sales pipeline.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    Access, ContactId, ContractId, CustomFields, CustomerId, IndexKeys, LeadId, Meta, Money,
    OpportunityId, Record, RecordKey, SHORT_TEXT, TeamId, UserId, check_opt_text, check_text,
};

/// An opportunity (a deal): a chance to sell to a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    /// The opportunity's id.
    pub id: OpportunityId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// A short name for the deal.
    pub name: String,
    /// The pipeline stage (`needs_analysis`, `proposal`, `negotiation`, `won`, `lost` by default).
    pub stage: String,
    /// The customer.
    pub customer: CustomerId,
    /// The main contact.
    pub contact: Option<ContactId>,
    /// The lead it came from.
    pub lead: Option<LeadId>,
    /// The owner.
    pub owner: Option<UserId>,
    /// The owning team.
    pub team: Option<TeamId>,
    /// The product line.
    pub product_line: Option<String>,
    /// The amount expected.
    pub expected_amount: Option<Money>,
    /// The date it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// The win probability in percent, from the stage.
    pub probability: u8,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// The contract it was won with.
    pub contract: Option<ContractId>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
    /// The versions of its quote, oldest first (changed by the quote
    /// commands only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotes: Vec<crate::quote::QuoteVersion>,
}

/// What a new opportunity is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewOpportunity {
    /// A short name for the deal.
    pub name: String,
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The main contact.
    pub contact: Option<ContactId>,
    /// The owner (defaults to the creator).
    pub owner: Option<UserId>,
    /// The product line.
    pub product_line: Option<String>,
    /// The amount expected.
    pub expected_amount: Option<Money>,
    /// The date it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Record for Opportunity {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Opportunity;
    const PROTECTED: &'static [&'static str] = &[
        "stage",
        "owner",
        "customer",
        "lead",
        "probability",
        "lost_reason",
        "contract",
        "closed_at",
        "quotes",
    ];

    record_basics!(Opportunity, stage);

    fn entered(
        &mut self,
        state: &crate::lifecycle::StateDef,
        now: DateTime<Utc>,
        reason: Option<&str>,
    ) {
        if let Some(probability) = state.probability {
            self.probability = probability;
        }
        self.closed_at = state.terminal.then_some(now);
        self.lost_reason = if state.name == "lost" {
            reason.map(str::to_string)
        } else {
            None
        };
    }

    fn access(&self) -> Access {
        Access {
            owners: self.owner.iter().cloned().collect(),
            team: self.team.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.owner.clone(),
            team: self.team.clone(),
            status: Some(self.stage.clone()),
            parent: Some(RecordKey::from(&self.customer)),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("product_line", &self.product_line, SHORT_TEXT)?;
        check_opt_text("lost_reason", &self.lost_reason, SHORT_TEXT)?;
        if let Some(amount) = &self.expected_amount {
            if amount.is_negative() {
                return Err(Error::invalid("expected_amount", "must not be negative")
                    .with_value(amount.amount()));
            }
        }
        if self.probability > 100 {
            return Err(
                Error::invalid("probability", "must be 0 to 100").with_value(self.probability)
            );
        }
        Ok(())
    }
}
