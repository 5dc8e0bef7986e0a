//! Points ledger entries: one per movement of a customer's loyalty points,
//! written once and never changed (`recordPurchase`, `redeemPoints`, ... and
//! `pointsEntries`; `get`, `list` and `history` with kind `"points_entry"`).

use std::time::SystemTime;

use crm::PointsEntry as CorePointsEntry;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::loyalty::{LotUse, PointsKind};
use crate::model::ids::opt_text;
use crate::model::{Money, RecordKey, Share, custom_json, shares};

/// One ledger entry; a customer's balance is the sum of their entries' points.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PointsEntry {
    /// The entry's id.
    pub id: String,
    /// Bumped by one on every write (an entry is written once).
    pub version: u64,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was.
    pub merged_into: Option<RecordKey>,
    /// The customer's id.
    pub customer: String,
    /// The customer's owner when it was posted (for data scopes).
    pub owner: Option<String>,
    /// The customer's team when it was posted.
    pub team: Option<String>,
    /// What moved the points.
    pub kind: PointsKind,
    /// The points: above zero for a credit, below for a debit.
    pub points: i64,
    /// The balance after this entry.
    pub balance: i64,
    /// When it took effect.
    pub at: SystemTime,
    /// When a credit's points expire, if ever.
    pub expires_at: Option<SystemTime>,
    /// The host's reference: the purchase (order number), the reward's, the
    /// bonus's occasion.
    pub reference: Option<String>,
    /// The purchase's amount (`EARN`) or the amount refunded (`REVERSE`,
    /// negative).
    pub amount: Option<Money>,
    /// The rule, bonus event or reward behind it.
    pub rule: Option<String>,
    /// Why (adjustments always say).
    pub reason: Option<String>,
    /// The credits a debit took its points from, oldest first.
    pub lots: Vec<LotUse>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CorePointsEntry> for PointsEntry {
    fn from(entry: CorePointsEntry) -> Self {
        PointsEntry {
            id: entry.id.to_string(),
            version: entry.meta.version,
            created_at: to_system_time(entry.meta.created_at),
            updated_at: to_system_time(entry.meta.updated_at),
            created_by: entry.meta.created_by.to_string(),
            shares: shares(&entry.meta),
            merged_into: entry.meta.merged_into.map(RecordKey::from),
            customer: entry.customer.to_string(),
            owner: opt_text(entry.owner),
            team: opt_text(entry.team),
            kind: entry.kind.into(),
            points: entry.points,
            balance: entry.balance,
            at: to_system_time(entry.at),
            expires_at: to_system_time_opt(entry.expires_at),
            reference: entry.reference,
            amount: entry.amount.map(Money::from),
            rule: entry.rule,
            reason: entry.reason,
            lots: entry.lots.into_iter().map(LotUse::from).collect(),
            custom_json: custom_json(&entry.custom),
        }
    }
}
