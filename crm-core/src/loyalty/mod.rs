//! Loyalty and customer care: a points ledger, member levels with benefits,
//! care triggers, and retention campaigns measured against a holdout group.
//!
//! Everything here is pure: the engine (`record_purchase`, `redeem_points`,
//! `review_loyalty`, `launch_campaign`, ... on [`Crm`](crate::Crm)) reads the
//! records, calls these functions and writes what changed with its events.
//!
//! # The program, as data
//!
//! The configuration's `"loyalty"` key ([`LoyaltyConfig`]):
//!
//! ```json
//! {
//!   "currency": "EUR",
//!   "earn": [
//!     { "name": "base", "per": "1.00", "points": 1 },
//!     { "name": "coffee", "category": "coffee", "per": "1.00", "points": 3 },
//!     { "name": "gold double", "level": "gold", "multiply": 2 },
//!     { "name": "summer", "campaign": "summer", "multiply": "1.5" }
//!   ],
//!   "bonuses": { "survey_answered": 50, "first_purchase": 100 },
//!   "expire_after_days": 365,
//!   "levels": [
//!     { "name": "member" },
//!     { "name": "silver", "min_points": 500 },
//!     { "name": "gold", "min_points": 2000, "min_spend": "1500.00", "rfm_tiers": ["A"],
//!       "benefits": { "quote_discount_percent": 5, "ticket_priority": "high",
//!                     "free_service": ["installation"] } }
//!   ],
//!   "window_days": 365, "grace_days": 30,
//!   "care": [ { "name": "birthday", "yearly": "custom.birthday", "action": "send a card" } ]
//! }
//! ```
//!
//! # Earning
//!
//! A purchase earns from its lines (or, without lines, from its total as one
//! line). Each line earns at the most specific **rate** rule that matches it
//! (one naming its product, else one naming its category, else one naming
//! neither; list order breaks ties): `amount / per * points`. The lines' points
//! are summed, multiplied by every **multiplier** rule that applies (one naming
//! the member's level or the purchase's campaign, or neither), and rounded
//! down to whole points once. So 1 point per 1.00 gives 9 points for 9.99.
//!
//! # Levels
//!
//! Levels are listed lowest first. A level's conditions are alternatives: it
//! is reached with `min_points` qualifying points (earned from purchases and
//! bonuses in the last `window_days`, less reversals), **or** `min_spend` spent
//! in that window (less refunds), **or** an RFM tier in `rfm_tiers`. A level
//! without conditions is reached by every member. The member's level is the
//! highest reached. Upgrades apply at once; a downgrade waits `grace_days`
//! and is dropped if the member qualifies again meanwhile.

mod campaign;
mod care;
mod ledger;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Currency, TicketPriority, Tier};

pub use campaign::{CampaignMeasure, GroupMeasure, MemberOutcome, draw_holdout, measure_campaign};
pub use care::{CareDue, CareRule, CareTrigger, care_due};
pub use ledger::{Lot, LotUse, Membership, PendingDowngrade, WindowItem};

/// One earn rule: a rate (`per` and `points`) or a multiplier (`multiply`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarnRule {
    /// The rule's name, shown in the earning's breakdown.
    pub name: String,
    /// A rate: `points` for every `per` spent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal_json::opt"
    )]
    pub per: Option<Decimal>,
    /// A rate: the points for every `per` spent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal_json::opt"
    )]
    pub points: Option<Decimal>,
    /// A multiplier of the purchase's points.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal_json::opt"
    )]
    pub multiply: Option<Decimal>,
    /// A rate for lines of this product only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// A rate for lines of this category only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A multiplier for members of this level only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// A multiplier for purchases made in this campaign only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

/// What a member level gives, applied where the modules exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefits {
    /// A discount in percent on quote lines that carry no discount of their
    /// own (applied by `add_quote`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal_json::opt"
    )]
    pub quote_discount_percent: Option<Decimal>,
    /// Ticket categories served free: a ticket in one of them is not flagged
    /// out of scope when its warranty has ended (applied by `open_ticket`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub free_service: Vec<String>,
    /// The lowest priority the member's tickets open with, which selects
    /// their SLA policy (applied by `open_ticket`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_priority: Option<TicketPriority>,
}

/// One member level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// The level's name.
    pub name: String,
    /// Reached with this many qualifying points in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_points: Option<i64>,
    /// Reached with this much spent in the window.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal_json::opt"
    )]
    pub min_spend: Option<Decimal>,
    /// Reached with one of these RFM tiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rfm_tiers: Vec<Tier>,
    /// What it gives.
    #[serde(default)]
    pub benefits: Benefits,
}

impl Level {
    fn unconditional(&self) -> bool {
        self.min_points.is_none() && self.min_spend.is_none() && self.rfm_tiers.is_empty()
    }
}

/// The loyalty program: earn rules, bonuses, expiry, levels and care rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyConfig {
    /// The currency purchases are recorded in (default: any one, as long as
    /// all purchases use it; a customer's purchases in another are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Rates and multipliers.
    #[serde(default)]
    pub earn: Vec<EarnRule>,
    /// Points given for an event, by the event's name. The engine awards
    /// `survey_answered` (when a ticket's customer answers its survey) and
    /// `first_purchase` by itself; others through `award_bonus`.
    #[serde(default)]
    pub bonuses: BTreeMap<String, i64>,
    /// Earned points expire this many days after they were credited (default:
    /// never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after_days: Option<u32>,
    /// The roles that may adjust balances (default `admin` and `supervisor`).
    #[serde(default = "default_adjust_roles")]
    pub adjust_roles: Vec<String>,
    /// Member levels, lowest first.
    #[serde(default)]
    pub levels: Vec<Level>,
    /// The qualifying window of levels, in days (default 365).
    #[serde(default = "default_window")]
    pub window_days: u32,
    /// How long a member keeps a level they no longer reach (default 30 days).
    #[serde(default = "default_grace")]
    pub grace_days: u32,
    /// Care triggers.
    #[serde(default)]
    pub care: Vec<CareRule>,
    /// The time zone of customers who have none (default UTC), for yearly
    /// care items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

fn default_adjust_roles() -> Vec<String> {
    vec!["admin".into(), "supervisor".into()]
}

fn default_window() -> u32 {
    365
}

fn default_grace() -> u32 {
    30
}

impl Default for LoyaltyConfig {
    fn default() -> Self {
        LoyaltyConfig {
            currency: None,
            earn: Vec::new(),
            bonuses: BTreeMap::new(),
            expire_after_days: None,
            adjust_roles: default_adjust_roles(),
            levels: Vec::new(),
            window_days: default_window(),
            grace_days: default_grace(),
            care: Vec::new(),
            time_zone: None,
        }
    }
}

/// One line of a purchase, for earning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLine {
    /// The product.
    #[serde(default)]
    pub product: Option<String>,
    /// The product's category.
    #[serde(default)]
    pub category: Option<String>,
    /// What the line cost.
    pub amount: Decimal,
}

/// What a purchase earns, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earning {
    /// Whole points earned.
    pub points: i64,
    /// The lines' points before multipliers and rounding.
    pub base: Decimal,
    /// The product of the multipliers that applied.
    pub multiplier: Decimal,
    /// The rules that applied, in order: rates, then multipliers.
    pub rules: Vec<String>,
}

/// A member's move from one level to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelChange {
    /// The level before.
    pub from: Option<String>,
    /// The level after.
    pub to: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl LoyaltyConfig {
    /// Reads a program from JSON text (what the engine's config holds under
    /// `"loyalty"`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] on `loyalty` when the text is not JSON, else as
    /// [`from_value`](Self::from_value).
    pub fn from_json(text: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::config("loyalty", format!("is not JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Reads the `"loyalty"` section.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the path of what is wrong, e.g.
    /// `loyalty.earn[1].per`.
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        let config: LoyaltyConfig = serde_json::from_value(value)
            .map_err(|e| Error::config("loyalty", format!("is not a valid program: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the program.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the first rule at fault.
    pub fn validate(&self) -> Result<()> {
        for (i, rule) in self.earn.iter().enumerate() {
            let at = |field: &str| format!("loyalty.earn[{i}].{field}");
            if rule.name.trim().is_empty() {
                return Err(Error::config(at("name"), "must not be blank"));
            }
            match (rule.per, rule.points, rule.multiply) {
                (Some(per), Some(points), None) => {
                    if per <= Decimal::ZERO {
                        return Err(Error::config(
                            at("per"),
                            format!("must be above 0, not {per}"),
                        ));
                    }
                    if points < Decimal::ZERO {
                        return Err(Error::config(
                            at("points"),
                            format!("must not be negative, not {points}"),
                        ));
                    }
                    if rule.level.is_some() || rule.campaign.is_some() {
                        return Err(Error::config(
                            at("level"),
                            "a rate applies to products or categories; use a multiplier for levels and campaigns",
                        ));
                    }
                }
                (None, None, Some(multiply)) => {
                    if multiply < Decimal::ZERO {
                        return Err(Error::config(
                            at("multiply"),
                            format!("must not be negative, not {multiply}"),
                        ));
                    }
                    if rule.product.is_some() || rule.category.is_some() {
                        return Err(Error::config(
                            at("product"),
                            "a multiplier applies to levels or campaigns; use a rate for products and categories",
                        ));
                    }
                    if let Some(level) = &rule.level {
                        if !self.levels.iter().any(|l| &l.name == level) {
                            return Err(Error::config(
                                at("level"),
                                format!("names no level: `{level}`"),
                            ));
                        }
                    }
                }
                _ => {
                    return Err(Error::config(
                        format!("loyalty.earn[{i}]"),
                        "must be a rate (`per` and `points`) or a multiplier (`multiply`)",
                    ));
                }
            }
        }
        for (event, points) in &self.bonuses {
            if *points <= 0 {
                return Err(Error::config(
                    format!("loyalty.bonuses.{event}"),
                    format!("must be above 0, not {points}"),
                ));
            }
        }
        if self.expire_after_days == Some(0) {
            return Err(Error::config(
                "loyalty.expire_after_days",
                "must be above 0",
            ));
        }
        if self.window_days == 0 {
            return Err(Error::config("loyalty.window_days", "must be above 0"));
        }
        for (i, level) in self.levels.iter().enumerate() {
            let at = |field: &str| format!("loyalty.levels[{i}].{field}");
            if level.name.trim().is_empty() {
                return Err(Error::config(at("name"), "must not be blank"));
            }
            if self.levels[..i].iter().any(|l| l.name == level.name) {
                return Err(Error::config(
                    at("name"),
                    format!("`{}` is listed twice", level.name),
                ));
            }
            if level.min_points.is_some_and(|p| p < 0) {
                return Err(Error::config(at("min_points"), "must not be negative"));
            }
            if level.min_spend.is_some_and(|s| s < Decimal::ZERO) {
                return Err(Error::config(at("min_spend"), "must not be negative"));
            }
            if let Some(percent) = level.benefits.quote_discount_percent {
                if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                    return Err(Error::config(
                        at("benefits.quote_discount_percent"),
                        format!("must be above 0 and at most 100, not {percent}"),
                    ));
                }
            }
        }
        if let Some(zone) = &self.time_zone {
            zone.parse::<chrono_tz::Tz>().map_err(|_| {
                Error::config(
                    "loyalty.time_zone",
                    format!("`{zone}` is not an IANA time zone"),
                )
            })?;
        }
        for (i, rule) in self.care.iter().enumerate() {
            rule.validate(&format!("loyalty.care[{i}]"))?;
            if self.care[..i].iter().any(|r| r.name == rule.name) {
                return Err(Error::config(
                    format!("loyalty.care[{i}].name"),
                    format!("`{}` is listed twice", rule.name),
                ));
            }
        }
        Ok(())
    }

    /// The level named `name`.
    pub fn level(&self, name: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.name == name)
    }

    /// The benefits of a member at `level`.
    pub fn benefits(&self, level: Option<&str>) -> Option<&Benefits> {
        level.and_then(|name| self.level(name)).map(|l| &l.benefits)
    }

    /// When points credited at `at` expire.
    pub fn expiry(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.expire_after_days
            .map(|days| at + Duration::days(i64::from(days)))
    }

    /// What a purchase of `lines` earns for a member at `level`, in
    /// `campaign`. See the [module](self) for the rules.
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::loyalty::{LoyaltyConfig, PurchaseLine};
    /// use rust_decimal::Decimal;
    ///
    /// let program = LoyaltyConfig::from_value(serde_json::json!({
    ///     "earn": [
    ///         { "name": "base", "per": "1.00", "points": 1 },
    ///         { "name": "coffee", "category": "coffee", "per": "1.00", "points": 3 },
    ///         { "name": "summer", "campaign": "summer", "multiply": "1.5" }
    ///     ]
    /// }))?;
    /// let line = |category: &str, cents| PurchaseLine {
    ///     product: None,
    ///     category: Some(category.into()),
    ///     amount: Decimal::new(cents, 2),
    /// };
    /// // 9.99 of tea at 1 point per 1.00, 5.00 of coffee at 3: 9.99 + 15 = 24.99.
    /// let earning = program.points_for(&[line("tea", 999), line("coffee", 500)], None, None);
    /// assert_eq!(earning.points, 24);
    /// // In the summer campaign, x 1.5: 37.485, rounded down.
    /// let summer = program.points_for(&[line("tea", 999), line("coffee", 500)], None, Some("summer"));
    /// assert_eq!(summer.points, 37);
    /// assert_eq!(summer.rules, ["base", "coffee", "summer"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn points_for(
        &self,
        lines: &[PurchaseLine],
        level: Option<&str>,
        campaign: Option<&str>,
    ) -> Earning {
        let mut base = Decimal::ZERO;
        let mut rules: Vec<String> = Vec::new();
        let mut note = |name: &str| {
            if !rules.iter().any(|r| r == name) {
                rules.push(name.to_string());
            }
        };
        for line in lines {
            if line.amount <= Decimal::ZERO {
                continue;
            }
            let rate = self
                .earn
                .iter()
                .filter(|r| r.per.is_some())
                .filter_map(|r| {
                    let specificity = match (&r.product, &r.category) {
                        (Some(p), _) if line.product.as_ref() == Some(p) => 2,
                        (Some(_), _) => return None,
                        (None, Some(c)) if line.category.as_ref() == Some(c) => 1,
                        (None, Some(_)) => return None,
                        (None, None) => 0,
                    };
                    Some((specificity, r))
                })
                // The most specific; the first listed among equals.
                .fold(None::<(i32, &EarnRule)>, |best, (s, r)| match best {
                    Some((b, _)) if b >= s => best,
                    _ => Some((s, r)),
                });
            if let Some((_, rule)) = rate {
                let (Some(per), Some(points)) = (rule.per, rule.points) else {
                    continue;
                };
                base += line.amount.checked_div(per).unwrap_or_default() * points;
                note(&rule.name);
            }
        }
        let mut multiplier = Decimal::ONE;
        for rule in &self.earn {
            let Some(factor) = rule.multiply else {
                continue;
            };
            let applies = rule.level.as_deref().is_none_or(|l| Some(l) == level)
                && rule.campaign.as_deref().is_none_or(|c| Some(c) == campaign);
            if applies {
                multiplier *= factor;
                note(&rule.name);
            }
        }
        let points = (base * multiplier).floor().try_into().unwrap_or(i64::MAX);
        Earning {
            points,
            base,
            multiplier,
            rules,
        }
    }

    /// The window's qualifying points and spend at `now`.
    fn window_totals(&self, membership: &Membership, now: DateTime<Utc>) -> (i64, Decimal) {
        let since = now - Duration::days(i64::from(self.window_days));
        membership
            .window
            .iter()
            .filter(|item| item.at > since)
            .fold((0, Decimal::ZERO), |(p, s), item| {
                (p + item.points, s + item.spend)
            })
    }

    /// The highest level reached, by index.
    fn reached(
        &self,
        membership: &Membership,
        tier: Option<Tier>,
        now: DateTime<Utc>,
    ) -> Option<usize> {
        let (points, spend) = self.window_totals(membership, now);
        self.levels.iter().rposition(|level| {
            level.unconditional()
                || level.min_points.is_some_and(|min| points >= min)
                || level.min_spend.is_some_and(|min| spend >= min)
                || tier.is_some_and(|t| level.rfm_tiers.contains(&t))
        })
    }

    /// Brings a member's level up to date at `now` (`tier`: the customer's
    /// RFM tier): an upgrade at once, a downgrade after the grace period, and
    /// purchases that left the window dropped. Sets the next check time.
    /// Returns the change, if the level changed.
    pub fn review(
        &self,
        membership: &mut Membership,
        tier: Option<Tier>,
        now: DateTime<Utc>,
    ) -> Option<LevelChange> {
        let window = Duration::days(i64::from(self.window_days));
        membership.window.retain(|item| item.at + window > now);
        let index_of = |name: &Option<String>| {
            name.as_ref()
                .and_then(|n| self.levels.iter().position(|l| &l.name == n))
        };
        let current = index_of(&membership.level);
        let target = self.reached(membership, tier, now);
        let name = |i: Option<usize>| i.map(|i| self.levels[i].name.clone());
        let (points, spend) = self.window_totals(membership, now);
        let mut change = None;
        let mut move_to = |m: &mut Membership, to: Option<usize>, why: String| {
            let from = m.level.clone();
            m.previous_level = from.clone();
            m.level = name(to);
            m.level_since = Some(now);
            m.downgrade = None;
            change = Some(LevelChange {
                from,
                to: m.level.clone(),
                reason: why,
            });
        };
        let why = |to: Option<usize>| match to {
            Some(i) => {
                format!(
                    "{points} points and {spend} spent in the last {} days{}",
                    self.window_days,
                    tier.map(|t| format!(", RFM tier {t}")).unwrap_or_default()
                ) + &format!(" reach {}", self.levels[i].name)
            }
            None => format!(
                "{points} points and {spend} spent in the last {} days reach no level",
                self.window_days
            ),
        };
        // A level no longer configured counts as none.
        let rank = |i: Option<usize>| i.map_or(-1, |i| i as i64);
        if rank(target) > rank(current) || (current.is_none() && membership.level.is_some()) {
            let reason = why(target);
            move_to(membership, target, reason);
        } else if rank(target) == rank(current) {
            membership.downgrade = None;
        } else {
            let grace = Duration::days(i64::from(self.grace_days));
            match &membership.downgrade {
                Some(pending) if pending.at <= now => {
                    let reason = format!("{}; the grace period ended", why(target));
                    move_to(membership, target, reason);
                }
                Some(pending) => {
                    let at = pending.at;
                    membership.downgrade = Some(PendingDowngrade {
                        to: name(target),
                        at,
                    });
                }
                None if grace.is_zero() => {
                    let reason = why(target);
                    move_to(membership, target, reason);
                }
                None => {
                    membership.downgrade = Some(PendingDowngrade {
                        to: name(target),
                        at: now + grace,
                    });
                }
            }
        }
        membership.next_check_at = self.next_check(membership);
        change
    }

    /// The next time the account changes by itself.
    pub fn next_check(&self, membership: &Membership) -> Option<DateTime<Utc>> {
        let window = Duration::days(i64::from(self.window_days));
        let leaves = if self.levels.is_empty() {
            None
        } else {
            membership.window.iter().map(|item| item.at + window).min()
        };
        [
            membership.next_expiry(),
            membership.downgrade.as_ref().map(|d| d.at),
            leaves,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
