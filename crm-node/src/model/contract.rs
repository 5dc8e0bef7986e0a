//! Contracts.

use napi_derive::napi;
use serde_json::Value;

use crm::Contract;

use crate::clock::opt_rfc3339;
use crate::convert::custom_json;
use crate::model::{
    JsMoney, JsPaymentPlan, JsPricedLine, JsRecordKey, JsShare, MetaFields, opt_string,
};

/// A contract, drafted when a deal is won: signed, activated, then completed
/// or terminated.
#[napi(
    object,
    js_name = "Contract",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsContract {
    /// The contract's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the contract was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the contract last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The contract number, such as `C-000001`.
    pub number: String,
    /// The lifecycle state: `draft`, `signed`, `active`, `completed`, `terminated`.
    pub status: String,
    /// The customer's id.
    pub customer: String,
    /// The deal it was won from.
    pub opportunity: Option<String>,
    /// The user who owns it.
    pub owner: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// The amount (a string amount; see `Money`).
    pub amount: JsMoney,
    /// When it was signed (RFC 3339, UTC).
    pub signed_at: Option<String>,
    /// When it ended (RFC 3339, UTC).
    pub ended_at: Option<String>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Its payment plan (`setPaymentPlan`), or `null`.
    pub payment_plan: Option<JsPaymentPlan>,
    /// The version of the deal's quote it was won with (`acceptQuote`), or
    /// `null`.
    pub quote_version: Option<u32>,
    /// What was sold: the accepted quote's priced lines (empty without one).
    pub lines: Vec<JsPricedLine>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Contract> for JsContract {
    fn from(contract: Contract) -> Self {
        let meta = MetaFields::from(contract.meta);
        JsContract {
            id: contract.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            number: contract.number,
            status: contract.status,
            customer: contract.customer.to_string(),
            opportunity: opt_string(contract.opportunity),
            owner: opt_string(contract.owner),
            team: opt_string(contract.team),
            amount: contract.amount.into(),
            signed_at: opt_rfc3339(contract.signed_at),
            ended_at: opt_rfc3339(contract.ended_at),
            termination_reason: contract.termination_reason,
            payment_plan: contract.payment_plan.map(JsPaymentPlan::from),
            quote_version: contract.quote_version,
            lines: contract.lines.into_iter().map(JsPricedLine::from).collect(),
            custom: custom_json(&contract.custom),
        }
    }
}
