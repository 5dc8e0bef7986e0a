//! Customer value: RFM (recency, frequency, monetary) scores, segments, tiers
//! and activity signals, as pure functions over purchases.
//!
//! # The definition
//!
//! From purchases (customer, time, amount) and an `as_of` time:
//!
//! - **recency** = whole calendar days (UTC) from the last purchase to `as_of`;
//! - **frequency** = the number of purchases;
//! - **monetary** = the sum of the amounts in minor units (cents), exactly;
//!   or, with `"monetary": "mean"`, that sum divided by the purchases,
//!   rounded half away from zero to a whole minor unit;
//! - **first purchase** and **tenure** (days from the first purchase to `as_of`).
//!
//! Rows after `as_of` are left out (and counted). A negative amount is a
//! **refund**: it lowers monetary but is not a purchase (it moves neither
//! frequency nor recency); a customer with refunds only is left out (and
//! counted). A zero amount is a purchase.
//!
//! **Scores** run 1 to `bins` (default 5), higher is better (the most recent
//! get the top recency score). With quantiles (the default), customers are
//! ordered by the metric (recency: most days first; frequency and monetary:
//! smallest first) and a customer at 0-based position `p` of `n` would score
//! `floor(bins * p / n) + 1`. The **tie rule** (`"ties": "equal"`, the
//! default): equal values always score equal, taking the score of the first
//! customer with that value. When many customers share a value (e.g. 40 % of
//! them bought once), they all take the lowest score of that run and the next
//! value starts where its own position falls, so some scores may not occur.
//! `"ties": "position"` instead breaks ties by customer id (ascending), like
//! pandas `rank(method="first")` or SQL `NTILE`: equal-sized bins, but two
//! equal customers may score differently. With `"thresholds"`, the scores
//! come from the cut points given instead.
//!
//! `fm = floor((f + m + 1) / 2)`. The **segment** is looked up in a segment
//! map (by default the widely used 11-segment grid over recency and FM, see
//! [`SegmentMap::standard`]); the **tier** (A, B, C) from the segment; the
//! **signal** (active, at risk, dormant, churned) compares recency with the
//! customer's own cadence (see [`Signals`]).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::rfm::{self, Purchase, RfmConfig};
//! use rust_decimal::Decimal;
//!
//! let day = |d| Utc.with_ymd_and_hms(2026, 1, d, 12, 0, 0).unwrap();
//! let buy = |c: &str, d, cents| Purchase::new(c, day(d), Decimal::new(cents, 2));
//! let purchases = [buy("ann", 2, 5000), buy("ann", 20, 2500), buy("bob", 10, 900)];
//! let table = rfm::score(&purchases, day(31), &RfmConfig::default())?;
//! let ann = &table.rows()[0];
//! assert_eq!((ann.customer.as_str(), ann.recency_days, ann.frequency), ("ann", 11, 2));
//! assert_eq!(ann.monetary, Decimal::new(7500, 2));
//! assert_eq!((ann.r, ann.f, ann.m), (3, 3, 3));
//! # Ok::<(), crm_core::Error>(())
//! ```

mod aggregate;
mod score;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use aggregate::{Aggregate, Aggregator, Skipped, aggregate, merge};
pub use score::{CustomerValue, RfmTable, SIGNALS, TIERS, score_aggregates};

/// One purchase (or, with a negative amount, a refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// The customer's id.
    pub customer: String,
    /// When.
    pub at: DateTime<Utc>,
    /// How much (negative: a refund).
    pub amount: Decimal,
}

impl Purchase {
    /// A purchase.
    pub fn new(customer: impl Into<String>, at: DateTime<Utc>, amount: Decimal) -> Self {
        Purchase {
            customer: customer.into(),
            at,
            amount,
        }
    }
}

/// How ties are scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ties {
    /// Equal values score equal (the default).
    #[default]
    Equal,
    /// Ties broken by customer id: equal-sized bins (`rank(method="first")`).
    Position,
}

/// What monetary is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monetary {
    /// The sum of the amounts (the default).
    #[default]
    Sum,
    /// The sum divided by the purchases.
    Mean,
}

/// Fixed cut points instead of quantiles: `bins - 1` ascending values per
/// metric. Recency: a customer whose recency is at most the first cut scores
/// `bins`, at most the second `bins - 1`, ...; frequency and monetary: each cut
/// reached adds one to a score of 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Recency cuts in days.
    pub recency_days: Vec<i64>,
    /// Frequency cuts in purchases.
    pub frequency: Vec<u64>,
    /// Monetary cuts, in the currency (`"100.00"` or `100`).
    #[serde(with = "crate::decimal_json::list")]
    pub monetary: Vec<Decimal>,
}

/// One segment of a [`SegmentMap`]: inclusive score ranges, each optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// Recency score from, to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<[u8; 2]>,
    /// Frequency score from, to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<[u8; 2]>,
    /// Monetary score from, to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<[u8; 2]>,
    /// FM score from, to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fm: Option<[u8; 2]>,
}

/// Segments by score: the first rule that matches names the segment, else
/// `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentMap {
    /// The rules, tried in order.
    pub rules: Vec<SegmentRule>,
    /// The segment when none matches.
    pub default: String,
}

/// Tiers from segments: the segments in A, those in B, and C for the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierMap {
    /// The high-value segments.
    pub a: Vec<String>,
    /// The segments with potential.
    pub b: Vec<String>,
}

/// Activity signals: how long a customer has been silent compared with their
/// own cadence, the average gap between their purchases
/// (`(last - first) / (purchases - 1)`; for one purchase,
/// `single_purchase_gap_days`), and never less than `min_gap_days`. Silent for
/// more than `at_risk_after` gaps: at risk; more than `dormant_after`:
/// dormant; more than `churned_after`: churned. So a weekly buyer silent for a
/// month is flagged long before a yearly buyer is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Signals {
    /// Gaps of silence before a customer is at risk (default 2).
    #[serde(with = "crate::decimal_json")]
    pub at_risk_after: Decimal,
    /// Gaps before dormant (default 4).
    #[serde(with = "crate::decimal_json")]
    pub dormant_after: Decimal,
    /// Gaps before churned (default 8).
    #[serde(with = "crate::decimal_json")]
    pub churned_after: Decimal,
    /// The smallest gap assumed, in days (default 7).
    pub min_gap_days: u32,
    /// The gap of a customer with one purchase, in days (default 90).
    pub single_purchase_gap_days: u32,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            at_risk_after: Decimal::from(2),
            dormant_after: Decimal::from(4),
            churned_after: Decimal::from(8),
            min_gap_days: 7,
            single_purchase_gap_days: 90,
        }
    }
}

/// How to score: see the [module](self) for the definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RfmConfig {
    /// Scores run 1 to this (2 to 10; default 5).
    pub bins: u8,
    /// The tie rule for quantiles.
    pub ties: Ties,
    /// Sum or mean.
    pub monetary: Monetary,
    /// Fixed cut points instead of quantiles.
    pub thresholds: Option<Thresholds>,
    /// Segments (default: [`SegmentMap::standard`], which needs 5 bins).
    pub segments: Option<SegmentMap>,
    /// Tiers (default: [`TierMap::standard`]).
    pub tiers: Option<TierMap>,
    /// Activity signals.
    pub signals: Signals,
    /// Decimal places of the currency's minor unit (default 2: cents).
    pub minor_units: u32,
    /// Threads to aggregate on (default 1: the caller's own). More only when
    /// the caller asks: the core starts no thread on its own.
    pub threads: usize,
}

impl Default for RfmConfig {
    fn default() -> Self {
        RfmConfig {
            bins: 5,
            ties: Ties::Equal,
            monetary: Monetary::Sum,
            thresholds: None,
            segments: None,
            tiers: None,
            signals: Signals::default(),
            minor_units: 2,
            threads: 1,
        }
    }
}

/// The names of the standard segments, in the order of [`SegmentMap::standard`].
pub const STANDARD_SEGMENTS: [&str; 11] = [
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
];

impl SegmentMap {
    /// The widely used 11-segment grid over recency (R) and FM:
    ///
    /// | R | FM 1 | FM 2 | FM 3 | FM 4 | FM 5 |
    /// | --- | --- | --- | --- | --- | --- |
    /// | 5 | New Customers | Potential Loyalist | Potential Loyalist | Champions | Champions |
    /// | 4 | Promising | Potential Loyalist | Potential Loyalist | Loyal Customers | Loyal Customers |
    /// | 3 | About To Sleep | About To Sleep | Need Attention | Loyal Customers | Loyal Customers |
    /// | 2 | Hibernating | Hibernating | At Risk | At Risk | Can't Lose Them |
    /// | 1 | Lost | Lost | At Risk | At Risk | Can't Lose Them |
    pub fn standard() -> Self {
        let rule = |name: &str, r: [u8; 2], fm: [u8; 2]| SegmentRule {
            name: name.into(),
            r: Some(r),
            f: None,
            m: None,
            fm: Some(fm),
        };
        SegmentMap {
            rules: vec![
                rule("Champions", [5, 5], [4, 5]),
                rule("Loyal Customers", [3, 4], [4, 5]),
                rule("Potential Loyalist", [4, 5], [2, 3]),
                rule("New Customers", [5, 5], [1, 1]),
                rule("Promising", [4, 4], [1, 1]),
                rule("Need Attention", [3, 3], [3, 3]),
                rule("About To Sleep", [3, 3], [1, 2]),
                rule("At Risk", [1, 2], [3, 4]),
                rule("Can't Lose Them", [1, 2], [5, 5]),
                rule("Hibernating", [2, 2], [1, 2]),
                rule("Lost", [1, 1], [1, 2]),
            ],
            default: "Unsegmented".into(),
        }
    }
}

impl TierMap {
    /// A: Champions, Loyal Customers, Can't Lose Them; B: Potential Loyalist,
    /// New Customers, Promising, Need Attention, At Risk; C: the rest (About To
    /// Sleep, Hibernating, Lost).
    pub fn standard() -> Self {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        TierMap {
            a: names(&["Champions", "Loyal Customers", "Can't Lose Them"]),
            b: names(&[
                "Potential Loyalist",
                "New Customers",
                "Promising",
                "Need Attention",
                "At Risk",
            ]),
        }
    }
}

impl RfmConfig {
    /// Reads and checks a configuration from JSON (every key optional).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is wrong.
    ///
    /// ```
    /// use crm_core::rfm::RfmConfig;
    ///
    /// let config = RfmConfig::from_json(r#"{ "ties": "position", "monetary": "mean" }"#)?;
    /// assert_eq!(config.bins, 5);
    /// let err = RfmConfig::from_json(r#"{ "bins": 4 }"#).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid configuration at rfm.segments: the standard segment map is for 5 bins; give a segment map for 4");
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let config: RfmConfig =
            serde_json::from_str(json).map_err(|e| Error::config("rfm", e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        if !(2..=10).contains(&self.bins) {
            return Err(Error::config("rfm.bins", "must be from 2 to 10"));
        }
        if self.threads == 0 {
            return Err(Error::config("rfm.threads", "must be at least 1"));
        }
        if self.minor_units > 9 {
            return Err(Error::config("rfm.minor_units", "must be from 0 to 9"));
        }
        if self.segments.is_none() && self.bins != 5 {
            return Err(Error::config(
                "rfm.segments",
                format!(
                    "the standard segment map is for 5 bins; give a segment map for {}",
                    self.bins
                ),
            ));
        }
        if let Some(t) = &self.thresholds {
            let want = usize::from(self.bins) - 1;
            let lens = [
                ("recency_days", t.recency_days.len()),
                ("frequency", t.frequency.len()),
                ("monetary", t.monetary.len()),
            ];
            for (name, len) in lens {
                if len != want {
                    return Err(Error::config(
                        format!("rfm.thresholds.{name}"),
                        format!("needs {want} cut points for {} bins, has {len}", self.bins),
                    ));
                }
            }
            let ascending = t.recency_days.windows(2).all(|w| w[0] < w[1])
                && t.frequency.windows(2).all(|w| w[0] < w[1])
                && t.monetary.windows(2).all(|w| w[0] < w[1]);
            if !ascending {
                return Err(Error::config(
                    "rfm.thresholds",
                    "cut points must rise strictly",
                ));
            }
        }
        if let Some(map) = &self.segments {
            for (i, rule) in map.rules.iter().enumerate() {
                for (name, range) in [("r", rule.r), ("f", rule.f), ("m", rule.m), ("fm", rule.fm)]
                {
                    if let Some([lo, hi]) = range {
                        if lo < 1 || hi > self.bins || lo > hi {
                            return Err(Error::config(
                                format!("rfm.segments.rules[{i}].{name}"),
                                format!("[{lo}, {hi}] is not a range within 1 to {}", self.bins),
                            ));
                        }
                    }
                }
            }
        }
        let s = &self.signals;
        if !(Decimal::ZERO < s.at_risk_after
            && s.at_risk_after <= s.dormant_after
            && s.dormant_after <= s.churned_after)
        {
            return Err(Error::config(
                "rfm.signals",
                "needs 0 < at_risk_after <= dormant_after <= churned_after",
            ));
        }
        if s.min_gap_days == 0 || s.single_purchase_gap_days == 0 {
            return Err(Error::config("rfm.signals", "gaps must be at least 1 day"));
        }
        Ok(())
    }

    fn segment_map(&self) -> SegmentMap {
        self.segments.clone().unwrap_or_else(SegmentMap::standard)
    }

    fn tier_map(&self) -> TierMap {
        self.tiers.clone().unwrap_or_else(TierMap::standard)
    }
}

/// Scores purchases with string customer ids.
///
/// # Errors
///
/// [`Error::Config`] for an invalid configuration; [`Error::Validation`] on
/// `amount` (naming the row) when an amount has more decimal places than the
/// currency's minor unit.
pub fn score(purchases: &[Purchase], as_of: DateTime<Utc>, config: &RfmConfig) -> Result<RfmTable> {
    config.validate()?;
    let mut names: Vec<&str> = purchases.iter().map(|p| p.customer.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let index: BTreeMap<&str, i64> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i as i64))
        .collect();
    let mut customers = Vec::with_capacity(purchases.len());
    let mut at = Vec::with_capacity(purchases.len());
    let mut amounts = Vec::with_capacity(purchases.len());
    for (row, p) in purchases.iter().enumerate() {
        customers.push(index[p.customer.as_str()]);
        at.push(p.at.timestamp_micros());
        amounts.push(
            to_minor(p.amount, config.minor_units)
                .map_err(|e| e.in_field(&format!("purchases[{row}].amount")))?,
        );
    }
    let mut table = score_columns(&customers, &at, &amounts, as_of, config)?;
    table.names = Some(names.iter().map(|n| n.to_string()).collect());
    Ok(table)
}

/// Scores purchase columns: customer ids, times (microseconds since 1970,
/// UTC) and amounts in minor units, all the same length. No allocation per
/// row; aggregated on `config.threads` threads.
///
/// # Errors
///
/// As [`score`]; [`Error::Validation`] on `columns` when the lengths differ.
pub fn score_columns(
    customers: &[i64],
    at: &[i64],
    amounts: &[i64],
    as_of: DateTime<Utc>,
    config: &RfmConfig,
) -> Result<RfmTable> {
    config.validate()?;
    let as_of_micros = as_of.timestamp_micros();
    let (aggregates, skipped) = aggregate(customers, at, amounts, as_of_micros, config.threads)?;
    score_aggregates(aggregates, skipped, as_of, config)
}

/// An amount in minor units.
fn to_minor(amount: Decimal, minor_units: u32) -> Result<i64> {
    let scaled = amount * Decimal::from(10i64.pow(minor_units));
    if scaled.fract() != Decimal::ZERO {
        return Err(Error::invalid(
            "amount",
            format!("has more than {minor_units} decimal places"),
        )
        .with_value(amount));
    }
    use rust_decimal::prelude::ToPrimitive;
    scaled
        .to_i64()
        .ok_or_else(|| Error::invalid("amount", "is too large").with_value(amount))
}

/// Minor units as an amount.
pub(crate) fn from_minor(minor: i64, minor_units: u32) -> Decimal {
    Decimal::new(minor, minor_units)
}
