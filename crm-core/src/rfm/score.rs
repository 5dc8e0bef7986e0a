//! Scores, segments, tiers and signals from per-customer aggregates.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::rfm::{Aggregate, Monetary, RfmConfig, Skipped, Ties, from_minor};

const DAY: i64 = 86_400_000_000;

/// The scored customers, as columns (one entry per customer, ordered by
/// customer id): what the columnar bindings hand back without a copy per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RfmTable {
    /// Customer ids (for [`score`](crate::rfm::score): positions in `names`).
    pub customer: Vec<i64>,
    /// The customer ids as text, when they were text.
    pub names: Option<Vec<String>>,
    /// Days since the last purchase.
    pub recency_days: Vec<i64>,
    /// Purchases.
    pub frequency: Vec<u64>,
    /// Monetary in minor units (sum, or mean rounded half away from zero).
    pub monetary_minor: Vec<i64>,
    /// The first purchase (microseconds since 1970, UTC).
    pub first_purchase: Vec<i64>,
    /// Days since the first purchase.
    pub tenure_days: Vec<i64>,
    /// Scores, 1 to `bins`.
    pub r: Vec<u8>,
    /// Frequency scores.
    pub f: Vec<u8>,
    /// Monetary scores.
    pub m: Vec<u8>,
    /// `floor((f + m + 1) / 2)`.
    pub fm: Vec<u8>,
    /// Segment, as a position in `segment_names`.
    pub segment: Vec<u16>,
    /// The segment names.
    pub segment_names: Vec<String>,
    /// Tier: 0 = A, 1 = B, 2 = C.
    pub tier: Vec<u8>,
    /// Signal: 0 = active, 1 = at risk, 2 = dormant, 3 = churned.
    pub signal: Vec<u8>,
    /// The minor unit's decimal places (for `monetary`).
    pub minor_units: u32,
    /// What was left out.
    pub skipped: Skipped,
}

/// The tier names, by code.
pub const TIERS: [&str; 3] = ["A", "B", "C"];
/// The signal names, by code.
pub const SIGNALS: [&str; 4] = ["active", "at_risk", "dormant", "churned"];

/// One customer's value, row-wise: for small results, the shared vectors and
/// the bindings that take rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerValue {
    /// The customer's id.
    pub customer: String,
    /// Days since the last purchase.
    pub recency_days: i64,
    /// Purchases.
    pub frequency: u64,
    /// Monetary, in the currency.
    pub monetary: Decimal,
    /// The first purchase.
    pub first_purchase: DateTime<Utc>,
    /// Days since the first purchase.
    pub tenure_days: i64,
    /// Recency score.
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// FM score.
    pub fm: u8,
    /// Segment.
    pub segment: String,
    /// Tier: `A`, `B` or `C`.
    pub tier: String,
    /// `active`, `at_risk`, `dormant` or `churned`.
    pub signal: String,
}

impl RfmTable {
    /// How many customers.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether no customer was scored.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The customers as rows.
    pub fn rows(&self) -> Vec<CustomerValue> {
        (0..self.len())
            .map(|i| CustomerValue {
                customer: match &self.names {
                    Some(names) => names[self.customer[i] as usize].clone(),
                    None => self.customer[i].to_string(),
                },
                recency_days: self.recency_days[i],
                frequency: self.frequency[i],
                monetary: from_minor(self.monetary_minor[i], self.minor_units),
                first_purchase: DateTime::from_timestamp_micros(self.first_purchase[i])
                    .unwrap_or_default(),
                tenure_days: self.tenure_days[i],
                r: self.r[i],
                f: self.f[i],
                m: self.m[i],
                fm: self.fm[i],
                segment: self.segment_names[usize::from(self.segment[i])].clone(),
                tier: TIERS[usize::from(self.tier[i])].to_string(),
                signal: SIGNALS[usize::from(self.signal[i])].to_string(),
            })
            .collect()
    }
}

/// Scores per-customer aggregates (e.g. [`merge`](crate::rfm::merge)d from the
/// partitions of a distributed job): the second, single pass of the
/// definition.
///
/// # Errors
///
/// [`Error::Config`](crate::Error::Config) for an invalid configuration.
pub fn score_aggregates(
    mut aggregates: Vec<Aggregate>,
    skipped: Skipped,
    as_of: DateTime<Utc>,
    config: &RfmConfig,
) -> Result<RfmTable> {
    config.validate()?;
    // Merge first: a partition's refunds-only aggregate belongs with the
    // same customer's purchases in another partition.
    if !aggregates.windows(2).all(|w| w[0].customer < w[1].customer) {
        aggregates = crate::rfm::merge(aggregates)?;
    }
    let mut skipped = skipped;
    let before = aggregates.len();
    aggregates.retain(|a| a.purchases > 0);
    skipped.refund_only += (before - aggregates.len()) as u64;
    let n = aggregates.len();
    let as_of_day = as_of.timestamp_micros().div_euclid(DAY);
    let as_of_micros = as_of.timestamp_micros();
    let mut t = RfmTable {
        customer: Vec::with_capacity(n),
        recency_days: Vec::with_capacity(n),
        frequency: Vec::with_capacity(n),
        monetary_minor: Vec::with_capacity(n),
        first_purchase: Vec::with_capacity(n),
        tenure_days: Vec::with_capacity(n),
        minor_units: config.minor_units,
        skipped,
        ..RfmTable::default()
    };
    for a in &aggregates {
        t.customer.push(a.customer);
        t.recency_days.push(as_of_day - a.last.div_euclid(DAY));
        t.frequency.push(a.purchases);
        t.monetary_minor.push(match config.monetary {
            Monetary::Sum => a.monetary,
            Monetary::Mean => mean(a.monetary, a.purchases),
        });
        t.first_purchase.push(a.first);
        t.tenure_days.push(as_of_day - a.first.div_euclid(DAY));
    }
    let bins = config.bins;
    match &config.thresholds {
        None => {
            // Recency: most days first, so the most recent score highest.
            let neg: Vec<i64> = t.recency_days.iter().map(|d| -d).collect();
            t.r = quantiles(&neg, bins, config.ties);
            let freq: Vec<i64> = t.frequency.iter().map(|f| *f as i64).collect();
            t.f = quantiles(&freq, bins, config.ties);
            t.m = quantiles(&t.monetary_minor, bins, config.ties);
        }
        Some(cuts) => {
            t.r = t
                .recency_days
                .iter()
                .map(|d| bins - cuts.recency_days.iter().filter(|c| d > c).count() as u8)
                .collect();
            t.f = t
                .frequency
                .iter()
                .map(|f| 1 + cuts.frequency.iter().filter(|c| f >= c).count() as u8)
                .collect();
            let money: Vec<Decimal> = t
                .monetary_minor
                .iter()
                .map(|m| from_minor(*m, config.minor_units))
                .collect();
            t.m = money
                .iter()
                .map(|m| 1 + cuts.monetary.iter().filter(|c| m >= c).count() as u8)
                .collect();
        }
    }
    t.fm =
        t.f.iter()
            .zip(&t.m)
            .map(|(f, m)| (f + m).div_ceil(2))
            .collect();

    let segments = config.segment_map();
    t.segment_names = segments.rules.iter().map(|r| r.name.clone()).collect();
    if !t.segment_names.contains(&segments.default) {
        t.segment_names.push(segments.default.clone());
    }
    let default = t
        .segment_names
        .iter()
        .position(|s| *s == segments.default)
        .unwrap_or(0) as u16;
    // Every (r, f, m) triple maps to one segment: look it up in a table.
    let b = usize::from(bins);
    let mut lookup = vec![default; b * b * b];
    for r in 1..=bins {
        for f in 1..=bins {
            for m in 1..=bins {
                let fm = (f + m).div_ceil(2);
                let inside =
                    |range: Option<[u8; 2]>, v: u8| range.is_none_or(|[lo, hi]| lo <= v && v <= hi);
                if let Some(i) = segments.rules.iter().position(|s| {
                    inside(s.r, r) && inside(s.f, f) && inside(s.m, m) && inside(s.fm, fm)
                }) {
                    let at =
                        (usize::from(r) - 1) * b * b + (usize::from(f) - 1) * b + usize::from(m)
                            - 1;
                    lookup[at] = i as u16;
                }
            }
        }
    }
    t.segment = (0..n)
        .map(|i| {
            let (r, f, m) = (
                usize::from(t.r[i]),
                usize::from(t.f[i]),
                usize::from(t.m[i]),
            );
            lookup[(r - 1) * b * b + (f - 1) * b + m - 1]
        })
        .collect();
    let tiers = config.tier_map();
    let tier_of: Vec<u8> = t
        .segment_names
        .iter()
        .map(|s| {
            if tiers.a.contains(s) {
                0
            } else if tiers.b.contains(s) {
                1
            } else {
                2
            }
        })
        .collect();
    t.tier = t.segment.iter().map(|s| tier_of[usize::from(*s)]).collect();

    let s = &config.signals;
    let per_mille = |d: Decimal| -> i128 {
        use rust_decimal::prelude::ToPrimitive;
        (d * Decimal::from(1000))
            .round()
            .to_i128()
            .unwrap_or(i128::MAX)
    };
    let limits = [
        per_mille(s.at_risk_after),
        per_mille(s.dormant_after),
        per_mille(s.churned_after),
    ];
    let single = i128::from(s.single_purchase_gap_days) * i128::from(DAY);
    let floor = i128::from(s.min_gap_days) * i128::from(DAY);
    t.signal = aggregates
        .iter()
        .map(|a| {
            // Silent time and cadence in microseconds; silence > limit × gap
            // compared in integers: silence × 1000 > limit‰ × gap.
            let silence = (i128::from(as_of_micros) - i128::from(a.last)).max(0);
            let gap = if a.purchases > 1 {
                ((i128::from(a.last) - i128::from(a.first)) / i128::from(a.purchases - 1))
                    .max(floor)
            } else {
                single.max(floor)
            };
            limits
                .iter()
                .filter(|limit| silence * 1000 > **limit * gap)
                .count() as u8
        })
        .collect();
    Ok(t)
}

fn mean(sum: i64, count: u64) -> i64 {
    let count = i128::from(count);
    let sum = i128::from(sum);
    let half = count / 2;
    let rounded = if sum >= 0 {
        (sum + half) / count
    } else {
        (sum - half) / count
    };
    rounded as i64
}

/// Quantile scores of `values` (higher is better), customers in id order.
fn quantiles(values: &[i64], bins: u8, ties: Ties) -> Vec<u8> {
    let n = values.len();
    // Customers are in id order, so a stable order by value is (value, id).
    let order = stable_order(values);
    let mut scores = vec![0u8; n];
    let bins = bins as usize;
    let score = |pos: usize| (bins * pos / n + 1) as u8;
    match ties {
        Ties::Position => {
            for (pos, i) in order.iter().enumerate() {
                scores[*i as usize] = score(pos);
            }
        }
        Ties::Equal => {
            let mut start = 0;
            for (pos, i) in order.iter().enumerate() {
                if pos > 0 && values[order[pos - 1] as usize] != values[*i as usize] {
                    start = pos;
                }
                scores[*i as usize] = score(start);
            }
        }
    }
    scores
}

/// The positions of `values` ordered by value, equal values in position
/// order: a counting sort when the values span little (recency in days,
/// purchase counts), else a least-significant-digit radix sort; both linear.
fn stable_order(values: &[i64]) -> Vec<u32> {
    let n = values.len();
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let span = (i128::from(*hi) - i128::from(*lo)) as u128;
    if span < (4 * n as u128).max(1 << 16) {
        let mut counts = vec![0u32; span as usize + 2];
        for v in values {
            counts[(v - lo) as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut order = vec![0u32; n];
        for (i, v) in values.iter().enumerate() {
            let at = &mut counts[(v - lo) as usize];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        return order;
    }
    let keys: Vec<u64> = values.iter().map(|v| v.wrapping_sub(*lo) as u64).collect();
    let bits = 64 - (span as u64).leading_zeros();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut spare = vec![0u32; n];
    let mut shift = 0;
    while shift < bits {
        let mut counts = vec![0u32; (1 << 11) + 1];
        for i in &order {
            counts[((keys[*i as usize] >> shift) & 0x7ff) as usize + 1] += 1;
        }
        for d in 1..counts.len() {
            counts[d] += counts[d - 1];
        }
        for i in &order {
            let at = &mut counts[((keys[*i as usize] >> shift) & 0x7ff) as usize];
            spare[*at as usize] = *i;
            *at += 1;
        }
        std::mem::swap(&mut order, &mut spare);
        shift += 11;
    }
    order
}
