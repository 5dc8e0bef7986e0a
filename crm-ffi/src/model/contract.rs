//! Contracts: what a won deal becomes.

use std::time::SystemTime;

use crm::Contract as CoreContract;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::model::ids::opt_text;
use crate::model::{Money, RecordKey, Share, custom_json, shares};
use crate::payments::PricedLine;
use crate::plan::PaymentPlan;

/// A contract with a customer, usually from a won opportunity.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Contract {
    /// The contract's id.
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
    /// The number people quote (`C-000042`).
    pub number: String,
    /// The lifecycle state: `draft`, `signed`, `active`, `completed`, `terminated`.
    pub status: String,
    /// The customer.
    pub customer: String,
    /// The opportunity it was won from.
    pub opportunity: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// The owning team.
    pub team: Option<String>,
    /// The total amount.
    pub amount: Money,
    /// When it was signed.
    pub signed_at: Option<SystemTime>,
    /// When it was completed or terminated.
    pub ended_at: Option<SystemTime>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Custom values as JSON text.
    pub custom_json: String,
    /// Its payment plan (`setPaymentPlan`), if any.
    pub payment_plan: Option<PaymentPlan>,
    /// The version of the deal's quote it was made from, if one was accepted.
    pub quote_version: Option<u32>,
    /// The accepted quote's priced lines (empty without one).
    pub lines: Vec<PricedLine>,
}

impl From<CoreContract> for Contract {
    fn from(contract: CoreContract) -> Self {
        Contract {
            id: contract.id.to_string(),
            version: contract.meta.version,
            created_at: to_system_time(contract.meta.created_at),
            updated_at: to_system_time(contract.meta.updated_at),
            created_by: contract.meta.created_by.to_string(),
            shares: shares(&contract.meta),
            merged_into: contract.meta.merged_into.map(RecordKey::from),
            number: contract.number,
            status: contract.status,
            customer: contract.customer.to_string(),
            opportunity: opt_text(contract.opportunity),
            owner: opt_text(contract.owner),
            team: opt_text(contract.team),
            amount: contract.amount.into(),
            signed_at: to_system_time_opt(contract.signed_at),
            ended_at: to_system_time_opt(contract.ended_at),
            termination_reason: contract.termination_reason,
            custom_json: custom_json(&contract.custom),
            payment_plan: contract.payment_plan.map(PaymentPlan::from),
            quote_version: contract.quote_version,
            lines: contract.lines.into_iter().map(PricedLine::from).collect(),
        }
    }
}
