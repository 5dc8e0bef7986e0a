//! Retention campaigns: a seeded holdout draw and the measure of the effect
//! (repurchase rate and revenue per customer after contact, treated against
//! holdout).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::round_minor;
use crate::random::SplitMix64;
use crate::rfm::Purchase;

/// The most customers one draw takes (a count beyond is an error, not an
/// allocation the process cannot make).
pub const MAX_DRAW: usize = 100_000_000;

/// Draws the holdout group: of `n` targeted customers (in a fixed order, the
/// engine sorts them by id), exactly `round(n * percent / 100)` (half up) are
/// held out, chosen by a Fisher-Yates shuffle seeded with `seed`. Returns one
/// flag per customer, `true` for the holdout. The same `n`, `percent` and
/// `seed` always give the same draw.
///
/// # Errors
///
/// [`Error::Validation`] on `holdout_percent` outside 0 to 100, on `n` above
/// [`MAX_DRAW`].
///
/// # Examples
///
/// ```
/// use crm_core::loyalty::draw_holdout;
/// use rust_decimal::Decimal;
///
/// let draw = draw_holdout(10, Decimal::from(20), 7)?;
/// assert_eq!(draw.iter().filter(|h| **h).count(), 2);
/// assert_eq!(draw, draw_holdout(10, Decimal::from(20), 7)?);
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn draw_holdout(n: usize, percent: Decimal, seed: u64) -> Result<Vec<bool>> {
    if n > MAX_DRAW {
        return Err(Error::invalid("n", format!("must be at most {MAX_DRAW}")).with_value(n));
    }
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(Error::invalid("holdout_percent", "must be from 0 to 100")
            .with_value(percent.normalize()));
    }
    let k = (Decimal::from(n) * percent / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let k = usize::try_from(k.mantissa()).unwrap_or(n).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64(seed);
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut holdout = vec![false; n];
    for &i in &order[..k] {
        holdout[i] = true;
    }
    Ok(holdout)
}

/// One member of a campaign, as the measure sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberOutcome {
    /// The customer's id.
    pub customer: String,
    /// In the holdout group.
    pub holdout: bool,
    /// Contacted (treated members only).
    pub contacted: bool,
    /// Where the member's window starts: the contact, or (holdout, not yet
    /// contacted) the launch.
    pub start: DateTime<Utc>,
    /// Purchases in the window (filled in by the measure).
    #[serde(default)]
    pub purchases: u64,
    /// Money spent in the window, refunds taken off (filled in by the measure).
    #[serde(default)]
    pub revenue: Decimal,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMeasure {
    /// Members.
    pub members: usize,
    /// Members contacted.
    pub contacted: usize,
    /// Members with at least one purchase in their window.
    pub repurchased: usize,
    /// `repurchased / members` (0 when empty).
    pub repurchase_rate: f64,
    /// Money spent in the windows.
    pub revenue: Decimal,
    /// `revenue / members`, rounded half up to the currency's minor unit.
    pub revenue_per_customer: Decimal,
}

/// A campaign's effect: treated against holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignMeasure {
    /// The time measured at.
    pub as_of: DateTime<Utc>,
    /// The window after contact, in days.
    pub window_days: u32,
    /// Whether every member's window has ended by `as_of`.
    pub complete: bool,
    /// The contacted group (all treated members, contacted or not: intent to treat).
    pub treated: GroupMeasure,
    /// The holdout group.
    pub holdout: GroupMeasure,
    /// Treated less holdout repurchase rate (0.05: five percentage points).
    pub rate_lift: f64,
    /// A 95 % confidence interval of `rate_lift` (normal approximation), when
    /// both groups have members.
    pub rate_lift_ci95: Option<[f64; 2]>,
    /// Treated less holdout revenue per customer.
    pub revenue_lift: Decimal,
    /// Every member with their window's purchases and revenue.
    pub members: Vec<MemberOutcome>,
}

/// Measures a campaign: for each member, the purchases from `start` (included)
/// to `start + window_days` (excluded), cut at `as_of`; a member repurchased
/// with at least one purchase of a positive amount; revenue counts refunds
/// (negative amounts) too. `minor_units`: the currency's decimals.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::loyalty::{MemberOutcome, measure_campaign};
/// use crm_core::rfm::Purchase;
/// use rust_decimal::Decimal;
///
/// let day = |d| Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap();
/// let member = |c: &str, holdout| MemberOutcome {
///     customer: c.into(), holdout, contacted: !holdout, start: day(1),
///     purchases: 0, revenue: Decimal::ZERO,
/// };
/// let members = [member("a", false), member("b", false), member("c", true), member("d", true)];
/// let purchases = [
///     Purchase::new("a", day(5), Decimal::new(4000, 2)),
///     Purchase::new("c", day(20), Decimal::new(1000, 2)),
///     Purchase::new("b", day(31), Decimal::new(9900, 2)), // after the 30-day window
/// ];
/// let m = measure_campaign(&members, &purchases, 30, day(31), 2);
/// assert_eq!((m.treated.repurchased, m.holdout.repurchased), (1, 1));
/// assert_eq!(m.treated.revenue_per_customer, Decimal::new(2000, 2));
/// assert_eq!(m.revenue_lift, Decimal::new(1500, 2));
/// assert!(m.complete);
/// ```
pub fn measure_campaign(
    members: &[MemberOutcome],
    purchases: &[Purchase],
    window_days: u32,
    as_of: DateTime<Utc>,
    minor_units: u32,
) -> CampaignMeasure {
    let window = Duration::days(i64::from(window_days));
    let mut out: Vec<MemberOutcome> = members.to_vec();
    let mut by_customer: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, member) in members.iter().enumerate() {
        by_customer
            .entry(member.customer.as_str())
            .or_default()
            .push(i);
    }
    for member in &mut out {
        member.purchases = 0;
        member.revenue = Decimal::ZERO;
    }
    for purchase in purchases {
        let Some(indexes) = by_customer.get(purchase.customer.as_str()) else {
            continue;
        };
        for &i in indexes {
            let member = &mut out[i];
            let end = (member.start + window).min(as_of);
            if purchase.at >= member.start && purchase.at < end {
                if purchase.amount > Decimal::ZERO {
                    member.purchases += 1;
                }
                member.revenue += purchase.amount;
            }
        }
    }
    let group = |holdout: bool| {
        let rows: Vec<&MemberOutcome> = out.iter().filter(|m| m.holdout == holdout).collect();
        let members = rows.len();
        let repurchased = rows.iter().filter(|m| m.purchases > 0).count();
        let revenue: Decimal = rows.iter().map(|m| m.revenue).sum();
        let per = if members == 0 {
            Decimal::ZERO
        } else {
            round_minor(revenue / Decimal::from(members), minor_units)
        };
        GroupMeasure {
            members,
            contacted: rows.iter().filter(|m| m.contacted).count(),
            repurchased,
            repurchase_rate: if members == 0 {
                0.0
            } else {
                repurchased as f64 / members as f64
            },
            revenue,
            revenue_per_customer: per,
        }
    };
    let treated = group(false);
    let holdout = group(true);
    let rate_lift = treated.repurchase_rate - holdout.repurchase_rate;
    let ci95 = (treated.members > 0 && holdout.members > 0).then(|| {
        let var =
            |g: &GroupMeasure| g.repurchase_rate * (1.0 - g.repurchase_rate) / g.members as f64;
        let half = 1.959_963_984_540_054 * (var(&treated) + var(&holdout)).sqrt();
        [rate_lift - half, rate_lift + half]
    });
    CampaignMeasure {
        as_of,
        window_days,
        complete: out.iter().all(|m| m.start + window <= as_of),
        revenue_lift: treated.revenue_per_customer - holdout.revenue_per_customer,
        treated,
        holdout,
        rate_lift,
        rate_lift_ci95: ci95,
        members: out,
    }
}
