//! Points ledger entries: one per movement of a customer's loyalty points.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::loyalty::LotUse;
use crate::model::{
    Access, CustomFields, CustomerId, IndexKeys, Meta, Money, PointsEntryId, Record, RecordKey,
    SHORT_TEXT, TeamId, UserId, check_opt_text,
};

/// What moved the points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsKind {
    /// Earned by a purchase.
    Earn,
    /// Given for an event (a survey answered, a first purchase, ...).
    Bonus,
    /// Exchanged for a reward.
    Redeem,
    /// Expired.
    Expire,
    /// Corrected by hand, with a reason.
    Adjust,
    /// Taken back because a purchase was refunded.
    Reverse,
}

crate::model::named!(PointsKind, "kind", {
    Earn => "earn", Bonus => "bonus", Redeem => "redeem", Expire => "expire",
    Adjust => "adjust", Reverse => "reverse"
});

/// One ledger entry. Entries are written once and never changed; a
/// customer's balance is the sum of their entries' points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsEntry {
    /// The entry's id.
    pub id: PointsEntryId,
    /// Version, times, creator.
    #[serde(flatten)]
    pub meta: Meta,
    /// The customer.
    pub customer: CustomerId,
    /// The customer's owner when it was posted (for data scopes).
    pub owner: Option<UserId>,
    /// The customer's team when it was posted.
    pub team: Option<TeamId>,
    /// What moved the points.
    pub kind: PointsKind,
    /// The points: above zero for a credit, below for a debit.
    pub points: i64,
    /// The balance after this entry.
    pub balance: i64,
    /// When it took effect.
    pub at: DateTime<Utc>,
    /// When a credit's points expire, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The host's reference: the purchase (order number), the reward, the
    /// bonus's occasion.
    pub reference: Option<String>,
    /// The purchase's amount (earn) or the amount refunded (reverse).
    pub amount: Option<Money>,
    /// The rule, bonus event or reward behind it.
    pub rule: Option<String>,
    /// Why (adjustments always say).
    pub reason: Option<String>,
    /// The credits a debit took its points from, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotUse>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

impl Record for PointsEntry {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::PointsEntry;
    // Every field: an entry is never edited, only followed by another.
    const PROTECTED: &'static [&'static str] = &[
        "customer",
        "owner",
        "team",
        "kind",
        "points",
        "balance",
        "at",
        "expires_at",
        "reference",
        "amount",
        "rule",
        "reason",
        "lots",
        "custom",
    ];

    record_basics!(PointsEntry);

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
            status: Some(self.kind.as_str().to_string()),
            parent: Some(RecordKey::from(&self.customer)),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_opt_text("reference", &self.reference, SHORT_TEXT)?;
        check_opt_text("rule", &self.rule, SHORT_TEXT)?;
        check_opt_text("reason", &self.reason, crate::model::LONG_TEXT)?;
        let fits = match self.kind {
            // A purchase earning nothing, or a refund with nothing left to
            // take back, is still on the ledger.
            PointsKind::Earn => self.points >= 0,
            PointsKind::Reverse => self.points <= 0,
            PointsKind::Bonus => self.points > 0,
            PointsKind::Redeem | PointsKind::Expire => self.points < 0,
            PointsKind::Adjust => self.points != 0,
        };
        if !fits || self.balance < 0 {
            return Err(Error::invalid(
                "points",
                format!("a {} entry cannot move {} points", self.kind, self.points),
            )
            .with_value(self.points));
        }
        Ok(())
    }
}
