//! Loyalty and customer care: what a customer's loyalty account looks like
//! ([`Membership`], [`Lot`], [`WindowItem`], [`PendingDowngrade`]), what the
//! engine's loyalty commands (in `engine/loyalty.rs`) take ([`PurchaseInput`],
//! [`PurchaseLine`], [`CampaignInput`]) and return ([`PointsPosting`],
//! [`Earning`], [`LevelChange`], [`LoyaltyReview`], [`CampaignMeasure`]), a
//! due care item ([`CareDue`]), and two free functions, no engine involved:
//! `loyaltyPoints` (what a purchase earns by a program) and `drawHoldout` (a
//! campaign's seeded holdout draw).
//!
//! They run `crm::loyalty` (see its module documentation for the program's
//! JSON, earning, levels and care rules) and only convert: points are whole
//! numbers (`i64`), amounts without a currency, multipliers and percents are
//! decimal strings (`"161.50"`, `"1.5"`, `"50"`), money is [`Money`], times
//! are `SystemTime`s, rates and lifts are `f64` (they are statistics, not
//! money), and what a ledger entry is ([`PointsKind`]) only comes back, so it
//! is a generated enum.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::loyalty::{
    CampaignMeasure as CoreCampaignMeasure, CareDue as CoreCareDue, Earning as CoreEarning,
    GroupMeasure as CoreGroupMeasure, LevelChange as CoreLevelChange, Lot as CoreLot,
    LotUse as CoreLotUse, LoyaltyConfig, MemberOutcome as CoreMemberOutcome,
    Membership as CoreMembership, PendingDowngrade as CorePendingDowngrade,
    PurchaseLine as CorePurchaseLine, WindowItem as CoreWindowItem,
};
use crm::{
    CampaignInput as CoreCampaignInput, LoyaltyReview as CoreLoyaltyReview,
    MemberLevelChange as CoreMemberLevelChange, PointsKind as CorePointsKind,
    PointsPosting as CorePointsPosting, PurchaseInput as CorePurchaseInput,
};

use crate::clock::{from_system_time_opt, to_system_time, to_system_time_opt};
use crate::error::CrmError;
use crate::model::{Customer, Money, PointsEntry, count, money_at, parse_json};
use crate::payments::decimal;

/// What moved a customer's points (`"earn"`, ... in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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

impl From<CorePointsKind> for PointsKind {
    fn from(kind: CorePointsKind) -> Self {
        match kind {
            CorePointsKind::Earn => PointsKind::Earn,
            CorePointsKind::Bonus => PointsKind::Bonus,
            CorePointsKind::Redeem => PointsKind::Redeem,
            CorePointsKind::Expire => PointsKind::Expire,
            CorePointsKind::Adjust => PointsKind::Adjust,
            CorePointsKind::Reverse => PointsKind::Reverse,
        }
    }
}

/// A credit with points left, consumed oldest first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Lot {
    /// The ledger entry that credited it.
    pub entry: String,
    /// When it was credited.
    pub earned_at: SystemTime,
    /// When what is left of it expires, if ever.
    pub expires_at: Option<SystemTime>,
    /// The points credited.
    pub points: i64,
    /// The points not yet consumed.
    pub remaining: i64,
}

impl From<CoreLot> for Lot {
    fn from(lot: CoreLot) -> Self {
        Lot {
            entry: lot.entry.to_string(),
            earned_at: to_system_time(lot.earned_at),
            expires_at: to_system_time_opt(lot.expires_at),
            points: lot.points,
            remaining: lot.remaining,
        }
    }
}

/// Points a debit took from one credit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LotUse {
    /// The ledger entry of the credit.
    pub entry: String,
    /// How many points.
    pub points: i64,
}

impl From<CoreLotUse> for LotUse {
    fn from(used: CoreLotUse) -> Self {
        LotUse {
            entry: used.entry.to_string(),
            points: used.points,
        }
    }
}

/// One posting inside the qualifying window of member levels.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WindowItem {
    /// When it was credited.
    pub at: SystemTime,
    /// Qualifying points (negative for a reversal).
    pub points: i64,
    /// Money spent (negative for a refund), in the program's currency, as a
    /// decimal string.
    pub spend: String,
}

impl From<CoreWindowItem> for WindowItem {
    fn from(item: CoreWindowItem) -> Self {
        WindowItem {
            at: to_system_time(item.at),
            points: item.points,
            spend: item.spend.to_string(),
        }
    }
}

/// A downgrade waiting for its grace period to end.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingDowngrade {
    /// The level the member would move to (`null`: no level).
    pub to: Option<String>,
    /// When the grace period ends.
    pub at: SystemTime,
}

impl From<CorePendingDowngrade> for PendingDowngrade {
    fn from(down: CorePendingDowngrade) -> Self {
        PendingDowngrade {
            to: down.to,
            at: to_system_time(down.at),
        }
    }
}

/// A customer's loyalty account (`Customer.loyalty`): the balance and its
/// open lots, the member level, and what the level and care rules read.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Membership {
    /// When the customer joined (their first posting).
    pub joined_at: SystemTime,
    /// Points available: the sum of every ledger entry.
    pub balance: i64,
    /// Points ever credited.
    pub earned: i64,
    /// Points ever redeemed (a positive number).
    pub redeemed: i64,
    /// Points ever expired (a positive number).
    pub expired: i64,
    /// The credits with points left, oldest first.
    pub lots: Vec<Lot>,
    /// The member level, if the program has levels.
    pub level: Option<String>,
    /// Since when.
    pub level_since: Option<SystemTime>,
    /// The level before.
    pub previous_level: Option<String>,
    /// A downgrade waiting for its grace period.
    pub downgrade: Option<PendingDowngrade>,
    /// The postings inside the qualifying window.
    pub window: Vec<WindowItem>,
    /// The first purchase.
    pub first_purchase_at: Option<SystemTime>,
    /// The last purchase.
    pub last_purchase_at: Option<SystemTime>,
    /// Purchases recorded.
    pub purchases: u64,
    /// When `reviewLoyalty` next has something to do for the member (an
    /// expiry, a downgrade, the window moving on).
    pub next_check_at: Option<SystemTime>,
}

impl From<CoreMembership> for Membership {
    fn from(m: CoreMembership) -> Self {
        Membership {
            joined_at: to_system_time(m.joined_at),
            balance: m.balance,
            earned: m.earned,
            redeemed: m.redeemed,
            expired: m.expired,
            lots: m.lots.into_iter().map(Lot::from).collect(),
            level: m.level,
            level_since: to_system_time_opt(m.level_since),
            previous_level: m.previous_level,
            downgrade: m.downgrade.map(PendingDowngrade::from),
            window: m.window.into_iter().map(WindowItem::from).collect(),
            first_purchase_at: to_system_time_opt(m.first_purchase_at),
            last_purchase_at: to_system_time_opt(m.last_purchase_at),
            purchases: m.purchases,
            next_check_at: to_system_time_opt(m.next_check_at),
        }
    }
}

/// One line of a purchase, for earning. The amount is a decimal string
/// (`"20.50"`), never a float.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurchaseLine {
    /// The product (rate rules naming it apply first).
    #[uniffi(default)]
    pub product: Option<String>,
    /// The product's category (rate rules naming it apply next).
    #[uniffi(default)]
    pub category: Option<String>,
    /// What the line cost, a decimal string.
    pub amount: String,
}

impl PurchaseLine {
    /// The core's line.
    ///
    /// # Errors
    ///
    /// A validation error on `lines[row].amount` when it is not a decimal
    /// number.
    fn into_core(self, row: usize) -> Result<CorePurchaseLine, CoreError> {
        Ok(CorePurchaseLine {
            amount: decimal(&format!("lines[{row}].amount"), &self.amount)?,
            product: self.product,
            category: self.category,
        })
    }
}

/// The core's lines.
fn lines(lines: Vec<PurchaseLine>) -> Result<Vec<CorePurchaseLine>, CoreError> {
    lines
        .into_iter()
        .enumerate()
        .map(|(row, line)| line.into_core(row))
        .collect()
}

/// What a purchase earns, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Earning {
    /// Whole points earned (rounded down once, after the multipliers).
    pub points: i64,
    /// The lines' points before multipliers and rounding, a decimal string
    /// (`"161.50"`).
    pub base: String,
    /// The product of the multipliers that applied, a decimal string
    /// (`"1"`, `"1.5"`).
    pub multiplier: String,
    /// The rules that applied, in order: rates, then multipliers.
    pub rules: Vec<String>,
}

impl From<CoreEarning> for Earning {
    fn from(earning: CoreEarning) -> Self {
        Earning {
            points: earning.points,
            base: earning.base.to_string(),
            multiplier: earning.multiplier.to_string(),
            rules: earning.rules,
        }
    }
}

/// A member's move from one level to another.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LevelChange {
    /// The level before (`null`: none).
    pub from: Option<String>,
    /// The level after (`null`: none).
    pub to: Option<String>,
    /// Why, in words (`"311 points and 220.50 spent in the last 365 days
    /// reach gold"`).
    pub reason: String,
}

impl From<CoreLevelChange> for LevelChange {
    fn from(change: CoreLevelChange) -> Self {
        LevelChange {
            from: change.from,
            to: change.to,
            reason: change.reason,
        }
    }
}

/// What a purchase, refund, redemption, adjustment or bonus did: the
/// customer after it, the ledger entries written, what the purchase earned
/// and the level change it caused.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PointsPosting {
    /// The customer, with its `loyalty` account updated.
    pub customer: Customer,
    /// The entries written, in order (a first purchase writes its `EARN` and
    /// the `first_purchase` `BONUS`).
    pub entries: Vec<PointsEntry>,
    /// What the purchase earned (purchases only).
    pub earning: Option<Earning>,
    /// The level change it caused, if any.
    pub level_change: Option<LevelChange>,
}

impl From<CorePointsPosting> for PointsPosting {
    fn from(posting: CorePointsPosting) -> Self {
        PointsPosting {
            customer: posting.customer.into(),
            entries: posting.entries.into_iter().map(PointsEntry::from).collect(),
            earning: posting.earning.map(Earning::from),
            level_change: posting.level_change.map(LevelChange::from),
        }
    }
}

/// One member's level change found by `reviewLoyalty`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MemberLevelChange {
    /// The customer's id.
    pub customer: String,
    /// The change.
    pub change: LevelChange,
}

impl From<CoreMemberLevelChange> for MemberLevelChange {
    fn from(change: CoreMemberLevelChange) -> Self {
        MemberLevelChange {
            customer: change.customer.to_string(),
            change: change.change.into(),
        }
    }
}

/// What `reviewLoyalty` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoyaltyReview {
    /// Members checked (those with something due).
    pub checked: u64,
    /// Points expired (a positive number).
    pub expired_points: i64,
    /// Ledger entries written.
    pub entries: u64,
    /// Level changes, by member.
    pub level_changes: Vec<MemberLevelChange>,
    /// Commits made.
    pub batches: u64,
}

impl From<CoreLoyaltyReview> for LoyaltyReview {
    fn from(review: CoreLoyaltyReview) -> Self {
        LoyaltyReview {
            checked: count(review.checked),
            expired_points: review.expired_points,
            entries: count(review.entries),
            level_changes: review
                .level_changes
                .into_iter()
                .map(MemberLevelChange::from)
                .collect(),
            batches: count(review.batches),
        }
    }
}

/// A care item due for a customer (`DueItem.care` of a `CARE` item).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CareDue {
    /// The care rule's name.
    pub rule: String,
    /// When it falls (or fell) due.
    pub due_at: SystemTime,
    /// Why, in words: `"first purchase on 2026-01-05"`.
    pub reason: String,
    /// The suggested action.
    pub action: String,
    /// Which occurrence this is; `actOnCare` marks it handled.
    pub occurrence: String,
}

impl From<CoreCareDue> for CareDue {
    fn from(care: CoreCareDue) -> Self {
        CareDue {
            rule: care.rule,
            due_at: to_system_time(care.due_at),
            reason: care.reason,
            action: care.action,
            occurrence: care.occurrence,
        }
    }
}

/// A purchase to record: `recordPurchase`'s input.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurchaseInput {
    /// The customer's id.
    pub customer: String,
    /// The host's reference (the order number), unique per customer.
    pub reference: String,
    /// What was paid, in the program's currency.
    pub amount: Money,
    /// When (default: now; never in the future).
    #[uniffi(default)]
    pub at: Option<SystemTime>,
    /// The lines, for earning by product or category (default: the amount
    /// as one line); they must add up to the amount.
    #[uniffi(default)]
    pub lines: Vec<PurchaseLine>,
    /// The campaign the purchase was made in (its multiplier applies).
    #[uniffi(default)]
    pub campaign: Option<String>,
}

impl TryFrom<PurchaseInput> for CorePurchaseInput {
    type Error = CoreError;

    fn try_from(input: PurchaseInput) -> Result<Self, CoreError> {
        Ok(CorePurchaseInput {
            customer: input.customer.parse()?,
            reference: input.reference,
            amount: money_at("amount.", &input.amount)?,
            at: from_system_time_opt("at", input.at)?,
            lines: lines(input.lines)?,
            campaign: input.campaign,
        })
    }
}

/// A campaign to launch: `launchCampaign`'s input.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CampaignInput {
    /// The campaign's name (purchases name it to earn its multiplier).
    pub name: String,
    /// What the treated customers are offered or told.
    #[uniffi(default)]
    pub action: Option<String>,
    /// Which customers it targets: a condition on the customer's JSON as
    /// JSON text (`{"field": "tags", "eq": "lapsed"}`; fields such as
    /// `stage`, `tier`, `segment`, `loyalty.level`, `custom.NAME`).
    pub segment_json: String,
    /// The share held out, in percent, a decimal string from `"0"` to `"100"`.
    pub holdout_percent: String,
    /// The seed of the holdout draw (the same seed draws the same holdout).
    pub seed: u64,
    /// How many days after contact purchases count (above 0).
    pub window_days: u32,
}

impl TryFrom<CampaignInput> for CoreCampaignInput {
    type Error = CoreError;

    fn try_from(input: CampaignInput) -> Result<Self, CoreError> {
        let segment: serde_json::Value =
            parse_json("segment", "a JSON condition", &input.segment_json)?;
        Ok(CoreCampaignInput {
            name: input.name,
            action: input.action,
            segment: crm::assign::Condition::from_value(&segment, "segment")?,
            holdout_percent: decimal("holdout_percent", &input.holdout_percent)?,
            seed: input.seed,
            window_days: input.window_days,
        })
    }
}

/// One group of a campaign (treated or held out), measured.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GroupMeasure {
    /// Members in the group.
    pub members: u64,
    /// Of them, contacted.
    pub contacted: u64,
    /// Of them, who bought again inside the window.
    pub repurchased: u64,
    /// `repurchased / members` (0 for an empty group).
    pub repurchase_rate: f64,
    /// What they spent inside the window, a decimal string.
    pub revenue: String,
    /// `revenue / members`, a decimal string in minor units.
    pub revenue_per_customer: String,
}

impl From<CoreGroupMeasure> for GroupMeasure {
    fn from(group: CoreGroupMeasure) -> Self {
        GroupMeasure {
            members: count(group.members),
            contacted: count(group.contacted),
            repurchased: count(group.repurchased),
            repurchase_rate: group.repurchase_rate,
            revenue: group.revenue.to_string(),
            revenue_per_customer: group.revenue_per_customer.to_string(),
        }
    }
}

/// One member's outcome in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MemberOutcome {
    /// The customer's id.
    pub customer: String,
    /// Held out.
    pub holdout: bool,
    /// Contacted.
    pub contacted: bool,
    /// Where their window starts (the contact, or the launch for the holdout
    /// and members not contacted).
    pub start: SystemTime,
    /// Purchases inside the window.
    pub purchases: u64,
    /// What they spent inside the window, a decimal string.
    pub revenue: String,
}

impl From<CoreMemberOutcome> for MemberOutcome {
    fn from(member: CoreMemberOutcome) -> Self {
        MemberOutcome {
            customer: member.customer,
            holdout: member.holdout,
            contacted: member.contacted,
            start: to_system_time(member.start),
            purchases: member.purchases,
            revenue: member.revenue.to_string(),
        }
    }
}

/// A campaign measured against its holdout: what `campaignResults` returns.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CampaignMeasure {
    /// The time it was measured at.
    pub as_of: SystemTime,
    /// The campaign's window, in days.
    pub window_days: u32,
    /// Whether every member's window has ended by `asOf`.
    pub complete: bool,
    /// The treated group.
    pub treated: GroupMeasure,
    /// The holdout group.
    pub holdout: GroupMeasure,
    /// Treated repurchase rate minus the holdout's.
    pub rate_lift: f64,
    /// A 95 % confidence interval of `rateLift` (two numbers), when both
    /// groups have members.
    pub rate_lift_ci95: Option<Vec<f64>>,
    /// Treated revenue per customer minus the holdout's, a decimal string.
    pub revenue_lift: String,
    /// Every member's outcome, in the campaign's order.
    pub members: Vec<MemberOutcome>,
}

impl From<CoreCampaignMeasure> for CampaignMeasure {
    fn from(m: CoreCampaignMeasure) -> Self {
        CampaignMeasure {
            as_of: to_system_time(m.as_of),
            window_days: m.window_days,
            complete: m.complete,
            treated: m.treated.into(),
            holdout: m.holdout.into(),
            rate_lift: m.rate_lift,
            rate_lift_ci95: m.rate_lift_ci95.map(|ci| ci.to_vec()),
            revenue_lift: m.revenue_lift.to_string(),
            members: m.members.into_iter().map(MemberOutcome::from).collect(),
        }
    }
}

/// What a purchase of `lines` earns by the loyalty program `programJson`
/// (the configuration's `"loyalty"` section as JSON text), for a member of
/// `level` buying in `campaign`. A pure function: no engine, no store.
///
/// Each line earns at the most specific rate rule that matches it (product,
/// then category, then neither): `amount / per * points`; the sum is
/// multiplied by every multiplier rule that applies and rounded down once.
///
/// # Errors
///
/// `Validation` on `program` for JSON that does not parse, on
/// `lines[i].amount` for an amount that is not a decimal number; `Config`
/// naming the path of a problem in the program (`loyalty.earn[1].per`, ...).
#[uniffi::export(default(level = None, campaign = None))]
pub fn loyalty_points(
    program_json: String,
    lines: Vec<PurchaseLine>,
    level: Option<String>,
    campaign: Option<String>,
) -> Result<Earning, CrmError> {
    let program: serde_json::Value = parse_json("program", "a JSON object", &program_json)?;
    let program = LoyaltyConfig::from_value(program)?;
    let lines = self::lines(lines)?;
    Ok(program
        .points_for(&lines, level.as_deref(), campaign.as_deref())
        .into())
}

/// A campaign's holdout draw: `n` flags, `true` for a member held out,
/// `percent` of them (a decimal string, rounded to whole members), drawn by
/// `seed` (the same seed always draws the same). A pure function.
///
/// # Errors
///
/// `Validation` on `percent` when it is not a decimal number, on
/// `holdout_percent` when it is not from 0 to 100, on `n` above 100,000,000.
#[uniffi::export]
pub fn draw_holdout(n: u32, percent: String, seed: u64) -> Result<Vec<bool>, CrmError> {
    let percent = decimal("percent", &percent)?;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    Ok(crm::loyalty::draw_holdout(n, percent, seed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(category: Option<&str>, amount: &str) -> PurchaseLine {
        PurchaseLine {
            product: None,
            category: category.map(str::to_owned),
            amount: amount.into(),
        }
    }

    const PROGRAM: &str = r#"{"earn": [
        {"name": "base", "per": "1.00", "points": 1},
        {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3},
        {"name": "summer", "campaign": "summer", "multiply": "1.5"}]}"#;

    #[test]
    fn points_are_exact_and_decimals_are_text() {
        let earning = loyalty_points(
            PROGRAM.into(),
            vec![line(Some("coffee"), "20.50"), line(Some("mugs"), "100.00")],
            None,
            None,
        )
        .unwrap();
        assert_eq!(earning.points, 161);
        assert_eq!(earning.base, "161.50");
        assert_eq!(earning.rules, ["coffee", "base"]);
        let summer = loyalty_points(
            PROGRAM.into(),
            vec![line(None, "9.99")],
            None,
            Some("summer".into()),
        )
        .unwrap();
        assert_eq!((summer.points, summer.multiplier.as_str()), (14, "1.5"));
    }

    #[test]
    fn bad_input_names_the_field() {
        let field = |err: CrmError| match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("wrong case: {other:?}"),
        };
        let bad = loyalty_points(PROGRAM.into(), vec![line(None, "1e3")], None, None);
        assert_eq!(field(bad.unwrap_err()), ["lines[0].amount"]);
        let bad = loyalty_points("{".into(), vec![], None, None);
        assert_eq!(field(bad.unwrap_err()), ["program"]);
        match loyalty_points(r#"{"earn": 3}"#.into(), vec![], None, None).unwrap_err() {
            CrmError::Config { path, .. } => assert!(path.starts_with("loyalty"), "{path}"),
            other => panic!("wrong case: {other:?}"),
        }
        assert_eq!(
            field(draw_holdout(10, "half".into(), 1).unwrap_err()),
            ["percent"]
        );
        assert_eq!(
            field(draw_holdout(10, "101".into(), 1).unwrap_err()),
            ["holdout_percent"]
        );
        assert_eq!(
            field(draw_holdout(u32::MAX, "5".into(), 1).unwrap_err()),
            ["n"]
        );
    }

    #[test]
    fn the_draw_is_seeded() {
        let draw = draw_holdout(10, "20".into(), 7).unwrap();
        assert_eq!(draw.iter().filter(|h| **h).count(), 2);
        assert_eq!(draw, draw_holdout(10, "20".into(), 7).unwrap());
    }

    #[test]
    fn points_kinds_cover_the_core() {
        for kind in [
            CorePointsKind::Earn,
            CorePointsKind::Bonus,
            CorePointsKind::Redeem,
            CorePointsKind::Expire,
            CorePointsKind::Adjust,
            CorePointsKind::Reverse,
        ] {
            let name = format!("{:?}", PointsKind::from(kind)).to_lowercase();
            assert_eq!(name, kind.as_str());
        }
    }
}
