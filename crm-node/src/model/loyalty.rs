//! Loyalty as the records carry it: a customer's account (`Membership`, with
//! its open lots, its qualifying window and a downgrade in its grace period),
//! the lots a debit took its points from (`LotUse`), what a purchase earns
//! (`Earning`), a member's move between levels (`LevelChange`), and a care
//! item due (`CareDue`, on `DueItem.care`).
//!
//! Points are whole JS numbers; money and other decimals are decimal strings
//! (`'161.50'`), never JS numbers; times are RFC 3339 strings in UTC. They are
//! declared here, before the records that name them (see lib.rs).

use napi_derive::napi;

use crm::loyalty::{
    CareDue, Earning, LevelChange, Lot, LotUse, Membership, PendingDowngrade, WindowItem,
};

use crate::clock::{opt_rfc3339, rfc3339};
use crate::convert::number;

/// A credit with points left: what an earning, a bonus or a positive
/// adjustment put on the account.
#[napi(object, js_name = "Lot", object_from_js = false, use_nullable = true)]
pub struct JsLot {
    /// The ledger entry that credited it (a `points_entry` id).
    pub entry: String,
    /// When it was credited (lots are consumed in this order; RFC 3339, UTC).
    pub earned_at: String,
    /// When what is left of it expires (RFC 3339, UTC), or `null`: never.
    pub expires_at: Option<String>,
    /// The points credited.
    pub points: i64,
    /// The points not yet consumed.
    pub remaining: i64,
}

impl From<Lot> for JsLot {
    fn from(lot: Lot) -> Self {
        JsLot {
            entry: lot.entry.to_string(),
            earned_at: rfc3339(lot.earned_at),
            expires_at: opt_rfc3339(lot.expires_at),
            points: lot.points,
            remaining: lot.remaining,
        }
    }
}

/// Points a debit (a redemption, an expiry, a reversal, a negative
/// adjustment) took from one credit.
#[napi(object, js_name = "LotUse", object_from_js = false)]
pub struct JsLotUse {
    /// The ledger entry of the credit they came from.
    pub entry: String,
    /// How many points.
    pub points: i64,
}

impl From<LotUse> for JsLotUse {
    fn from(used: LotUse) -> Self {
        JsLotUse {
            entry: used.entry.to_string(),
            points: used.points,
        }
    }
}

/// One purchase (or reversal) inside the qualifying window of member levels.
#[napi(object, js_name = "WindowItem", object_from_js = false)]
pub struct JsWindowItem {
    /// When it was credited (RFC 3339, UTC).
    pub at: String,
    /// Qualifying points (negative for a reversal).
    pub points: i64,
    /// Money spent, in the program's currency, a decimal string (negative for
    /// a refund).
    pub spend: String,
}

impl From<WindowItem> for JsWindowItem {
    fn from(item: WindowItem) -> Self {
        JsWindowItem {
            at: rfc3339(item.at),
            points: item.points,
            spend: item.spend.to_string(),
        }
    }
}

/// A downgrade waiting for its grace period to end; it is dropped if the
/// member qualifies again meanwhile.
#[napi(
    object,
    js_name = "PendingDowngrade",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPendingDowngrade {
    /// The level the member would move to, or `null`: no level.
    pub to: Option<String>,
    /// When the grace period ends (RFC 3339, UTC).
    pub at: String,
}

impl From<PendingDowngrade> for JsPendingDowngrade {
    fn from(downgrade: PendingDowngrade) -> Self {
        JsPendingDowngrade {
            to: downgrade.to,
            at: rfc3339(downgrade.at),
        }
    }
}

/// A customer's loyalty account (`customer.loyalty`, `null` until their first
/// posting): the points balance and its open lots, the member level, and what
/// the level and care rules read. Derived from the ledger entries
/// (`pointsEntries`), which are the record.
#[napi(
    object,
    js_name = "Membership",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsMembership {
    /// When the customer joined: their first posting (RFC 3339, UTC).
    pub joined_at: String,
    /// Points available: the sum of every ledger entry.
    pub balance: i64,
    /// Points ever credited (earnings, bonuses, positive adjustments).
    pub earned: i64,
    /// Points ever redeemed.
    pub redeemed: i64,
    /// Points ever expired.
    pub expired: i64,
    /// The credits with points left, oldest first.
    pub lots: Vec<JsLot>,
    /// The member level, or `null` when none applies.
    pub level: Option<String>,
    /// Since when (RFC 3339, UTC).
    pub level_since: Option<String>,
    /// The level before it.
    pub previous_level: Option<String>,
    /// A downgrade in its grace period, or `null`.
    pub downgrade: Option<JsPendingDowngrade>,
    /// Purchases and reversals inside the qualifying window.
    pub window: Vec<JsWindowItem>,
    /// The first purchase recorded (RFC 3339, UTC).
    pub first_purchase_at: Option<String>,
    /// The last purchase recorded (RFC 3339, UTC).
    pub last_purchase_at: Option<String>,
    /// Purchases recorded.
    pub purchases: i64,
    /// The next time the account changes by itself (a lot expires, a grace
    /// period ends, a purchase leaves the window): when `reviewLoyalty` next
    /// looks at it (RFC 3339, UTC).
    pub next_check_at: Option<String>,
}

impl From<Membership> for JsMembership {
    fn from(account: Membership) -> Self {
        JsMembership {
            joined_at: rfc3339(account.joined_at),
            balance: account.balance,
            earned: account.earned,
            redeemed: account.redeemed,
            expired: account.expired,
            lots: account.lots.into_iter().map(JsLot::from).collect(),
            level: account.level,
            level_since: opt_rfc3339(account.level_since),
            previous_level: account.previous_level,
            downgrade: account.downgrade.map(JsPendingDowngrade::from),
            window: account.window.into_iter().map(JsWindowItem::from).collect(),
            first_purchase_at: opt_rfc3339(account.first_purchase_at),
            last_purchase_at: opt_rfc3339(account.last_purchase_at),
            purchases: number(account.purchases),
            next_check_at: opt_rfc3339(account.next_check_at),
        }
    }
}

/// What a purchase earns, and why (`loyaltyPoints`, and a purchase's
/// posting).
#[napi(object, js_name = "Earning", object_from_js = false)]
pub struct JsEarning {
    /// Whole points earned: `base` x `multiplier`, rounded down once.
    pub points: i64,
    /// The lines' points before multipliers and rounding, a decimal string
    /// (`'161.50'`).
    pub base: String,
    /// The product of the multipliers that applied, a decimal string (`'1'`
    /// when none did).
    pub multiplier: String,
    /// The rules that applied, in order: rates, then multipliers.
    pub rules: Vec<String>,
}

impl From<Earning> for JsEarning {
    fn from(earning: Earning) -> Self {
        JsEarning {
            points: earning.points,
            base: earning.base.to_string(),
            multiplier: earning.multiplier.to_string(),
            rules: earning.rules,
        }
    }
}

/// A member's move from one level to another.
#[napi(
    object,
    js_name = "LevelChange",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsLevelChange {
    /// The level before, or `null`.
    pub from: Option<String>,
    /// The level after, or `null`: no level.
    pub to: Option<String>,
    /// Why, in words (`'311 points and 220.50 spent in the last 365 days
    /// reach gold'`).
    pub reason: String,
}

impl From<LevelChange> for JsLevelChange {
    fn from(change: LevelChange) -> Self {
        JsLevelChange {
            from: change.from,
            to: change.to,
            reason: change.reason,
        }
    }
}

/// A care item due for a customer, by one of the loyalty program's care
/// rules (`DueItem.care` of a `care` item): act on it with `actOnCare`.
#[napi(object, js_name = "CareDue", object_from_js = false)]
pub struct JsCareDue {
    /// The care rule's name.
    pub rule: String,
    /// When it falls (or fell) due (RFC 3339, UTC).
    pub due_at: String,
    /// Why, in words: `'first purchase on 2026-01-05'`, `'no contact for 30
    /// days'`.
    pub reason: String,
    /// The suggested action.
    pub action: String,
    /// Which occurrence this is (the date of a yearly item, the last contact
    /// time, ...): acting on it marks this occurrence handled.
    pub occurrence: String,
}

impl From<CareDue> for JsCareDue {
    fn from(care: CareDue) -> Self {
        JsCareDue {
            rule: care.rule,
            due_at: rfc3339(care.due_at),
            reason: care.reason,
            action: care.action,
            occurrence: care.occurrence,
        }
    }
}
