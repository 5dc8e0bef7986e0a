//! Contracts: what a won deal becomes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    Access, ContractId, CustomFields, CustomerId, IndexKeys, Meta, Money, OpportunityId, Record,
    RecordKey, SHORT_TEXT, TeamId, UserId, check_opt_text, check_text,
};

/// A contract with a customer, usually from a won opportunity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    /// The contract's id.
    pub id: ContractId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// The contract number people quote (`C-000042`).
    pub number: String,
    /// The lifecycle state (`draft`, `signed`, `active`, `completed`, `terminated`).
    pub status: String,
    /// The customer.
    pub customer: CustomerId,
    /// The opportunity it was won from.
    pub opportunity: Option<OpportunityId>,
    /// The owner.
    pub owner: Option<UserId>,
    /// The owning team.
    pub team: Option<TeamId>,
    /// The total amount.
    pub amount: Money,
    /// When it was signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// When it was completed or terminated.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
    /// The payment plan: installments, payments, credit (set and changed by
    /// the payment commands only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_plan: Option<crate::schedule::PaymentPlan>,
    /// The version of the deal's quote it was won with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_version: Option<u32>,
    /// What was sold: the accepted quote's priced lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<crate::quote::PricedLine>,
}

impl Record for Contract {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Contract;
    const PROTECTED: &'static [&'static str] = &[
        "number",
        "status",
        "customer",
        "opportunity",
        "owner",
        "signed_at",
        "ended_at",
        "termination_reason",
        "payment_plan",
        "quote_version",
        "lines",
    ];

    record_basics!(Contract, status);

    fn entered(
        &mut self,
        state: &crate::lifecycle::StateDef,
        now: DateTime<Utc>,
        reason: Option<&str>,
    ) {
        if state.name == "signed" {
            self.signed_at = Some(now);
        }
        if state.terminal {
            self.ended_at = Some(now);
        }
        if state.name == "terminated" {
            self.termination_reason = reason.map(str::to_string);
        }
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
            status: Some(self.status.clone()),
            parent: Some(RecordKey::from(&self.customer)),
            // The earliest open installment: what payment reminders look for.
            due_at: self.payment_plan.as_ref().and_then(|plan| {
                plan.installments
                    .iter()
                    .filter(|l| l.open() > rust_decimal::Decimal::ZERO)
                    .filter_map(|l| l.due_date)
                    .min()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
            }),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("number", &self.number, SHORT_TEXT)?;
        check_opt_text("termination_reason", &self.termination_reason, SHORT_TEXT)?;
        if self.amount.is_negative() {
            return Err(
                Error::invalid("amount", "must not be negative").with_value(self.amount.amount())
            );
        }
        Ok(())
    }
}
