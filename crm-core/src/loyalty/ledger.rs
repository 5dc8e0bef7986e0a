//! The points ledger's arithmetic: lots of earned points, consumed oldest
//! first by redemptions, negative adjustments, reversals and expiry.
//!
//! A [`Membership`] keeps the open lots (credits with points left) and the
//! balance; each movement returns the lots it touched, which the engine writes
//! into the ledger entry. A point is taken from exactly one lot exactly once,
//! whether a redemption or the expiry takes it, so the balance always equals
//! the sum of the entries and never goes below zero.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::PointsEntryId;

/// A credit with points left: what an earning, a bonus or a positive
/// adjustment put on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// The ledger entry that credited it.
    pub entry: PointsEntryId,
    /// When it was credited (lots are consumed in this order).
    pub earned_at: DateTime<Utc>,
    /// When what is left of it expires, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The points credited.
    pub points: i64,
    /// The points not yet consumed.
    pub remaining: i64,
}

/// Points taken from one lot by a debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotUse {
    /// The credit they came from.
    pub entry: PointsEntryId,
    /// How many.
    pub points: i64,
}

/// One purchase inside the qualifying window of member levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowItem {
    /// When it was credited.
    pub at: DateTime<Utc>,
    /// Qualifying points (negative for a reversal).
    pub points: i64,
    /// Money spent (negative for a refund), in the program's currency.
    pub spend: Decimal,
}

/// A downgrade waiting for its grace period to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDowngrade {
    /// The level the member would move to (`None`: no level).
    pub to: Option<String>,
    /// When the grace period ends.
    pub at: DateTime<Utc>,
}

/// A customer's loyalty account: the points balance and its open lots, the
/// member level, and what the level and care rules read.
///
/// Derived from the ledger entries (the entries are the record); kept on the
/// customer so a posting reads one record and two servers posting at once
/// conflict instead of both spending the same points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// When the customer joined (their first posting).
    pub joined_at: DateTime<Utc>,
    /// Points available: the sum of every ledger entry.
    pub balance: i64,
    /// Points ever credited (earnings, bonuses, positive adjustments).
    pub earned: i64,
    /// Points ever redeemed.
    pub redeemed: i64,
    /// Points ever expired.
    pub expired: i64,
    /// The credits with points left, oldest first.
    #[serde(default)]
    pub lots: Vec<Lot>,
    /// The member level, if one applies.
    pub level: Option<String>,
    /// Since when.
    pub level_since: Option<DateTime<Utc>>,
    /// The level before it.
    pub previous_level: Option<String>,
    /// A downgrade in its grace period.
    pub downgrade: Option<PendingDowngrade>,
    /// Purchases and reversals inside the qualifying window.
    #[serde(default)]
    pub window: Vec<WindowItem>,
    /// The first purchase recorded.
    pub first_purchase_at: Option<DateTime<Utc>>,
    /// The last purchase recorded.
    pub last_purchase_at: Option<DateTime<Utc>>,
    /// Purchases recorded.
    pub purchases: u64,
    /// The next time something changes by itself (a lot expires, a grace
    /// period ends, a purchase leaves the window): the customer's due time,
    /// which [`Crm::review_loyalty`](crate::Crm::review_loyalty) reads.
    pub next_check_at: Option<DateTime<Utc>>,
}

impl Membership {
    /// A new, empty account.
    pub fn new(joined_at: DateTime<Utc>) -> Self {
        Membership {
            joined_at,
            balance: 0,
            earned: 0,
            redeemed: 0,
            expired: 0,
            lots: Vec::new(),
            level: None,
            level_since: None,
            previous_level: None,
            downgrade: None,
            window: Vec::new(),
            first_purchase_at: None,
            last_purchase_at: None,
            purchases: 0,
            next_check_at: None,
        }
    }

    /// The points that would be available at `now`: the balance less what
    /// has expired by then but is not yet posted.
    pub fn available(&self, now: DateTime<Utc>) -> i64 {
        self.balance
            - self
                .lots
                .iter()
                .filter(|lot| lot.expires_at.is_some_and(|at| at <= now))
                .map(|lot| lot.remaining)
                .sum::<i64>()
    }

    /// Credits `points` (above zero) as a new lot.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `points` when it is not above zero or the
    /// balance would overflow.
    pub fn credit(
        &mut self,
        entry: PointsEntryId,
        points: i64,
        at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        if points <= 0 {
            return Err(Error::invalid("points", "must be above zero").with_value(points));
        }
        let balance = self
            .balance
            .checked_add(points)
            .ok_or_else(|| Error::invalid("points", "is too large").with_value(points))?;
        self.balance = balance;
        self.earned += points;
        let lot = Lot {
            entry,
            earned_at: at,
            expires_at,
            points,
            remaining: points,
        };
        // Lots stay ordered by when they were credited (then by entry id).
        let place = self
            .lots
            .partition_point(|l| (l.earned_at, l.entry) <= (lot.earned_at, lot.entry));
        self.lots.insert(place, lot);
        Ok(())
    }

    /// Takes `points` (above zero) from the lots, oldest first, `first` (a
    /// lot to take from before the others, e.g. the purchase being reversed)
    /// aside. Lots that have expired by `at` are not touched: run
    /// [`expire`](Self::expire) first.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `points` when it is not above zero or more
    /// than the points available; nothing is taken then.
    pub fn debit(
        &mut self,
        points: i64,
        at: DateTime<Utc>,
        first: Option<PointsEntryId>,
    ) -> Result<Vec<LotUse>> {
        if points <= 0 {
            return Err(Error::invalid("points", "must be above zero").with_value(points));
        }
        let live = |lot: &Lot| lot.expires_at.is_none_or(|e| e > at) && lot.remaining > 0;
        let available = self.available(at);
        if points > available {
            return Err(Error::invalid(
                "points",
                format!("is more than the {available} points available"),
            )
            .with_value(points));
        }
        let mut order: Vec<usize> = (0..self.lots.len()).collect();
        if let Some(first) = first {
            order.sort_by_key(|&i| self.lots[i].entry != first);
        }
        let mut left = points;
        let mut uses = Vec::new();
        for i in order {
            if left == 0 {
                break;
            }
            let lot = &mut self.lots[i];
            if !live(lot) {
                continue;
            }
            let take = left.min(lot.remaining);
            lot.remaining -= take;
            left -= take;
            uses.push(LotUse {
                entry: lot.entry,
                points: take,
            });
        }
        self.balance -= points;
        self.lots.retain(|lot| lot.remaining > 0);
        Ok(uses)
    }

    /// Expires what is left of every lot whose time has come by `now`,
    /// returning the lots expired (each with the points it lost), oldest first.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Vec<LotUse> {
        let mut uses = Vec::new();
        for lot in &mut self.lots {
            if lot.expires_at.is_some_and(|at| at <= now) && lot.remaining > 0 {
                uses.push(LotUse {
                    entry: lot.entry,
                    points: lot.remaining,
                });
                self.balance -= lot.remaining;
                self.expired += lot.remaining;
                lot.remaining = 0;
            }
        }
        self.lots.retain(|lot| lot.remaining > 0);
        uses
    }

    /// When the next lot expires.
    pub fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.lots.iter().filter_map(|lot| lot.expires_at).min()
    }
}
