//! Points ledger entries: one per movement of a customer's loyalty points.

use napi_derive::napi;
use serde_json::Value;

use crm::PointsEntry;

use crate::clock::{opt_rfc3339, rfc3339};
use crate::convert::custom_json;
use crate::model::{JsLotUse, JsMoney, JsRecordKey, JsShare, MetaFields, opt_string};

/// One entry of a customer's points ledger (`pointsEntries`, a posting's
/// `entries`, `get(actor, 'points_entry', id)`). Entries are written once and
/// never changed; a customer's balance is the sum of their entries' points.
#[napi(
    object,
    js_name = "PointsEntry",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPointsEntry {
    /// The entry's id (a UUID).
    pub id: String,
    /// The record's version (entries are never changed: 1).
    pub version: i64,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who wrote it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into, or `null`.
    pub merged_into: Option<JsRecordKey>,
    /// The customer's id.
    pub customer: String,
    /// The customer's owner when it was posted (for data scopes).
    pub owner: Option<String>,
    /// The customer's team when it was posted.
    pub team: Option<String>,
    /// What moved the points: `earn` (a purchase), `bonus` (an event),
    /// `redeem` (a reward), `expire`, `adjust` (by hand, with a reason),
    /// `reverse` (a refund).
    #[napi(ts_type = "'earn' | 'bonus' | 'redeem' | 'expire' | 'adjust' | 'reverse'")]
    pub kind: String,
    /// The points: above zero for a credit, below for a debit.
    pub points: i64,
    /// The balance after this entry.
    pub balance: i64,
    /// When it took effect (RFC 3339, UTC).
    pub at: String,
    /// When a credit's points expire (RFC 3339, UTC), or `null`: never.
    pub expires_at: Option<String>,
    /// The host's reference: the purchase (order number), the reward, the
    /// bonus's occasion.
    pub reference: Option<String>,
    /// The purchase's amount (`earn`) or the amount refunded (`reverse`,
    /// negative), or `null`.
    pub amount: Option<JsMoney>,
    /// The rule, bonus event or reward behind it.
    pub rule: Option<String>,
    /// Why (adjustments always say).
    pub reason: Option<String>,
    /// The credits a debit took its points from, oldest first (empty for a
    /// credit).
    pub lots: Vec<JsLotUse>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<PointsEntry> for JsPointsEntry {
    fn from(entry: PointsEntry) -> Self {
        let meta = MetaFields::from(entry.meta);
        JsPointsEntry {
            id: entry.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            customer: entry.customer.to_string(),
            owner: opt_string(entry.owner),
            team: opt_string(entry.team),
            kind: entry.kind.to_string(),
            points: entry.points,
            balance: entry.balance,
            at: rfc3339(entry.at),
            expires_at: opt_rfc3339(entry.expires_at),
            reference: entry.reference,
            amount: entry.amount.map(JsMoney::from),
            rule: entry.rule,
            reason: entry.reason,
            lots: entry.lots.into_iter().map(JsLotUse::from).collect(),
            custom: custom_json(&entry.custom),
        }
    }
}
