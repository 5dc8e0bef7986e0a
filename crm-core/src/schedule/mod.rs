//! Payment schedules: terms templates and the exact split of a total into
//! installments with their due dates.
//!
//! A [`Terms`] template is a list of lines, each a **share** of the total
//! (a percent, or a fixed amount) and a **due rule** ([`Due`]):
//!
//! | rule | JSON | example (base 2026-01-15) |
//! | --- | --- | --- |
//! | days after the base date | `{"days_after": 30}` | 2026-02-14 |
//! | end of the base month + days | `{"end_of_month": {"plus_days": 10}}` | 2026-02-10 |
//! | end of the month N months after the base month | `{"months_after_end_of_month": 1}` | 2026-02-28 |
//! | day N of the month after base + days, clamped to the month's length | `{"day_of_next_month": {"day": 10, "after_days": 0}}` ("end of month on the 10th") | 2026-02-10 |
//! | a milestone + days | `{"milestone": {"event": "delivery_accepted", "plus_days": 30}}` | no date until the event |
//!
//! # The split
//!
//! Amounts are whole minor units of the currency (ISO 4217: JPY 0 decimals,
//! EUR 2, KWD 3). Fixed lines are taken first, exactly; the percent lines
//! share what remains and must sum to exactly 100 (a `Decimal`, so `33.33 +
//! 33.33 + 33.34` is 100 and `99.9999` is not). Each percent line is rounded
//! to a minor unit by the template's [`Rounding`] (half-up by default), and
//! the **remainder line** (the last percent line, or the one named by
//! `remainder_line`) takes what is left, so the installments always sum to
//! the total exactly. Should that leave the remainder line negative (only
//! possible when the total is a handful of minor units, e.g. 0.02 in four
//! quarters), every percent line rounds down instead, which never can. A fixed
//! line larger than what is left of the total is an error naming the line.
//!
//! ```
//! use chrono::NaiveDate;
//! use crm_core::Money;
//! use crm_core::schedule::{self, Terms};
//!
//! let terms = Terms::from_json(r#"{"name": "thirds", "lines": [
//!     {"label": "1/3", "percent": "33.33", "due": {"days_after": 0}},
//!     {"label": "2/3", "percent": "33.33", "due": {"days_after": 30}},
//!     {"label": "3/3", "percent": "33.34", "due": {"days_after": 60}}]}"#)?;
//! let base = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
//! let plan = schedule::split(&Money::parse("5.47", "EUR")?, &terms, Some(base))?;
//! let amounts: Vec<String> = plan.iter().map(|i| i.amount.amount().to_string()).collect();
//! assert_eq!(amounts, ["1.82", "1.82", "1.83"]); // sums to 5.47, never 5.46
//! assert_eq!(plan[2].due_date, NaiveDate::from_ymd_opt(2026, 3, 16));
//! # Ok::<(), crm_core::Error>(())
//! ```

mod plan;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;

pub use plan::{
    Aging, Allocation, InstallmentStatus, Payment, PaymentPlan, PlanLine, Reversal, WriteOff,
};

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Currency, Money};

/// How percent lines round to a minor unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half away from zero (0.5 up): what invoices usually do.
    #[default]
    HalfUp,
    /// Half to even (banker's rounding).
    HalfEven,
    /// Always down.
    Down,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// When a line falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Due {
    /// `days` after the base date.
    DaysAfter(u32),
    /// The last day of the base month, plus `plus_days`.
    EndOfMonth {
        /// Days after the end of the month.
        #[serde(default)]
        plus_days: u32,
    },
    /// The last day of the month `n` months after the base month.
    MonthsAfterEndOfMonth(u32),
    /// Day `day` of the month after (base + `after_days`), clamped to that
    /// month's length (31 in February is the 28th or 29th).
    DayOfNextMonth {
        /// The day of the month, 1 to 31.
        day: u32,
        /// Days added to the base date first.
        #[serde(default)]
        after_days: u32,
    },
    /// `plus_days` after a milestone (an event such as `contract_signed` or
    /// `delivery_accepted`); no date until it happens.
    Milestone {
        /// The milestone's name.
        event: String,
        /// Days after it.
        #[serde(default)]
        plus_days: u32,
    },
}

impl Due {
    /// The due date from a base date (for a milestone, the date it happened).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `due` when the date falls outside the
    /// calendar chrono supports.
    pub fn date_from(&self, base: NaiveDate) -> Result<NaiveDate> {
        let out_of_range = || Error::invalid("due", "falls outside the supported calendar");
        let add_days = |date: NaiveDate, days: u32| {
            date.checked_add_days(Days::new(u64::from(days)))
                .ok_or_else(out_of_range)
        };
        let end_of_month = |date: NaiveDate| {
            let first = date.with_day(1).ok_or_else(out_of_range)?;
            first
                .checked_add_months(Months::new(1))
                .and_then(|next| next.pred_opt())
                .ok_or_else(out_of_range)
        };
        match self {
            Due::DaysAfter(days) => add_days(base, *days),
            Due::EndOfMonth { plus_days } => add_days(end_of_month(base)?, *plus_days),
            Due::MonthsAfterEndOfMonth(months) => {
                let first = base.with_day(1).ok_or_else(out_of_range)?;
                let month = first
                    .checked_add_months(Months::new(*months))
                    .ok_or_else(out_of_range)?;
                end_of_month(month)
            }
            Due::DayOfNextMonth { day, after_days } => {
                let from = add_days(base, *after_days)?;
                let next = from
                    .with_day(1)
                    .and_then(|d| d.checked_add_months(Months::new(1)))
                    .ok_or_else(out_of_range)?;
                let last = end_of_month(next)?.day();
                next.with_day((*day).min(last)).ok_or_else(out_of_range)
            }
            Due::Milestone { plus_days, .. } => add_days(base, *plus_days),
        }
    }

    /// The milestone a line waits for, if it does.
    pub fn milestone(&self) -> Option<&str> {
        match self {
            Due::Milestone { event, .. } => Some(event),
            _ => None,
        }
    }
}

/// One line of a terms template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermLine {
    /// What the installment is called, e.g. `down payment`.
    pub label: String,
    /// A percent of what the fixed lines leave (e.g. `"30"`), or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    /// a fixed amount in the total's currency (e.g. `"500.00"`): exactly one
    /// of the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Decimal>,
    /// When it falls due.
    pub due: Due,
}

/// A terms template: how a total is split into installments and when each
/// falls due. Loaded from JSON and checked ([`Terms::from_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// The template's name, e.g. `30/70 on acceptance`.
    pub name: String,
    /// Its lines, in order.
    pub lines: Vec<TermLine>,
    /// How percent lines round (default half-up).
    #[serde(default)]
    pub rounding: Rounding,
    /// The percent line that takes the rounding remainder (0-based; default
    /// the last percent line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remainder_line: Option<usize>,
}

impl Terms {
    /// Reads and checks a template from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the path, e.g. `terms.lines[1].percent`,
    /// as [`Terms::check`] does, or `terms` when the JSON does not parse.
    pub fn from_json(json: &str) -> Result<Terms> {
        let terms: Terms = serde_json::from_str(json)
            .map_err(|e| Error::invalid("terms", format!("is not a valid terms template: {e}")))?;
        terms.check()?;
        Ok(terms)
    }

    /// Checks the template: a name, at least one line, each line exactly one
    /// of a percent above 0 and at most 100 or a fixed amount of at least 0,
    /// percents summing to exactly 100 when there are any, a day of the month
    /// from 1 to 31, a milestone name, and a remainder line that is a percent
    /// line.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the path of what is wrong.
    pub fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("terms.name", "must not be empty"));
        }
        if self.lines.is_empty() {
            return Err(Error::invalid("terms.lines", "needs at least one line"));
        }
        let mut percent_sum = Decimal::ZERO;
        let mut percent_lines = 0;
        for (i, line) in self.lines.iter().enumerate() {
            let at = |field: &str| format!("terms.lines[{i}].{field}");
            if line.label.trim().is_empty() {
                return Err(Error::invalid(at("label"), "must not be empty"));
            }
            match (line.percent, line.fixed) {
                (Some(p), None) => {
                    if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                        return Err(Error::invalid(
                            at("percent"),
                            "must be above 0 and at most 100",
                        )
                        .with_value(p));
                    }
                    percent_sum += p;
                    percent_lines += 1;
                }
                (None, Some(f)) => {
                    if f < Decimal::ZERO {
                        return Err(
                            Error::invalid(at("fixed"), "must not be negative").with_value(f)
                        );
                    }
                }
                _ => {
                    return Err(Error::invalid(
                        at("percent"),
                        "a line has either a percent or a fixed amount",
                    ));
                }
            }
            match &line.due {
                Due::DayOfNextMonth { day, .. } if !(1..=31).contains(day) => {
                    return Err(
                        Error::invalid(at("due.day_of_next_month.day"), "must be 1 to 31")
                            .with_value(day),
                    );
                }
                Due::Milestone { event, .. } if event.trim().is_empty() => {
                    return Err(Error::invalid(
                        at("due.milestone.event"),
                        "must not be empty",
                    ));
                }
                _ => {}
            }
        }
        if percent_lines > 0 && percent_sum != Decimal::ONE_HUNDRED {
            return Err(Error::invalid(
                "terms.lines",
                format!("percents sum to {percent_sum}, not exactly 100"),
            )
            .with_value(percent_sum));
        }
        if let Some(r) = self.remainder_line {
            if self.lines.get(r).is_none_or(|l| l.percent.is_none()) {
                return Err(Error::invalid(
                    "terms.remainder_line",
                    "must be the index of a percent line",
                )
                .with_value(r));
            }
        }
        Ok(())
    }
}

/// One installment of a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// The line's label.
    pub label: String,
    /// The amount, in the total's currency, in whole minor units.
    pub amount: Money,
    /// The due date; `None` for a milestone line until its event happens (or
    /// for a date rule when no base date was given).
    pub due_date: Option<NaiveDate>,
    /// The milestone the line waits for.
    pub milestone: Option<String>,
    /// The line's rule.
    pub due: Due,
}

/// Splits `total` into installments by `terms`, exactly (see the module
/// docs); date rules count from `base` (no dates without one).
///
/// # Errors
///
/// [`Error::Validation`] on `terms.*` when the template is invalid, on
/// `total` when it is negative, on `terms.lines[i].fixed` when a fixed line
/// is finer than the currency's minor units or larger than what is left of
/// the total, or on `terms.lines` when fixed lines alone do not add up to
/// the total.
pub fn split(total: &Money, terms: &Terms, base: Option<NaiveDate>) -> Result<Vec<Installment>> {
    terms.check()?;
    if total.is_negative() {
        return Err(Error::invalid("total", "must not be negative").with_value(total.amount()));
    }
    let currency = total.currency();
    let minor = |amount: Decimal| -> Option<i128> {
        let scaled = amount * Decimal::from(10i64.pow(currency.minor_units()));
        (scaled.fract().is_zero())
            .then(|| scaled.to_i128())
            .flatten()
    };
    let total_minor = total.minor_amount();
    let mut amounts: Vec<i128> = vec![0; terms.lines.len()];
    let mut left = total_minor;
    for (i, line) in terms.lines.iter().enumerate() {
        if let Some(fixed) = line.fixed {
            let at = format!("terms.lines[{i}].fixed");
            let units = minor(fixed).ok_or_else(|| {
                Error::invalid(
                    at.clone(),
                    format!("has more decimal places than {currency} allows"),
                )
                .with_value(fixed)
            })?;
            if units > left {
                return Err(Error::invalid(
                    at,
                    format!(
                        "is more than the {} left of the total {}",
                        to_money(left, currency)?.amount(),
                        total.amount()
                    ),
                )
                .with_value(fixed));
            }
            amounts[i] = units;
            left -= units;
        }
    }
    let percent: Vec<usize> = (0..terms.lines.len())
        .filter(|i| terms.lines[*i].percent.is_some())
        .collect();
    if percent.is_empty() {
        if left != 0 {
            return Err(Error::invalid(
                "terms.lines",
                format!(
                    "fixed lines sum to {}, not the total {}",
                    to_money(total_minor - left, currency)?.amount(),
                    total.amount()
                ),
            ));
        }
    } else {
        let remainder = terms.remainder_line.unwrap_or(percent[percent.len() - 1]);
        let share = |i: usize, rounding: Rounding| -> Result<i128> {
            let p = terms.lines[i].percent.unwrap_or_default();
            let raw = Decimal::from_i128_with_scale(left, 0)
                .checked_mul(p)
                .map(|v| v / Decimal::ONE_HUNDRED)
                .ok_or_else(|| {
                    Error::invalid("total", "is too large to split").with_value(total.amount())
                })?;
            raw.round_dp_with_strategy(0, rounding.strategy())
                .to_i128()
                .ok_or_else(|| Error::invalid("total", "is too large to split"))
        };
        let mut fill = |rounding: Rounding| -> Result<i128> {
            let mut others = 0;
            for &i in percent.iter().filter(|i| **i != remainder) {
                amounts[i] = share(i, rounding)?;
                others += amounts[i];
            }
            amounts[remainder] = left - others;
            Ok(amounts[remainder])
        };
        if fill(terms.rounding)? < 0 {
            fill(Rounding::Down)?;
        }
    }
    terms
        .lines
        .iter()
        .zip(amounts)
        .map(|(line, units)| {
            Ok(Installment {
                label: line.label.clone(),
                amount: to_money(units, currency)?,
                due_date: match (&line.due, base) {
                    (Due::Milestone { .. }, _) | (_, None) => None,
                    (due, Some(base)) => Some(due.date_from(base)?),
                },
                milestone: line.due.milestone().map(str::to_string),
                due: line.due.clone(),
            })
        })
        .collect()
}

fn to_money(units: i128, currency: Currency) -> Result<Money> {
    let amount = Decimal::try_from_i128_with_scale(units, currency.minor_units())
        .map_err(|_| Error::invalid("total", "is too large to split"))?;
    Money::new(amount, currency)
}

/// Dates the installments waiting for `event`: each falls due its line's
/// days after `on`. Returns how many were dated; lines already dated keep
/// their date.
pub fn reach_milestone(
    installments: &mut [Installment],
    event: &str,
    on: NaiveDate,
) -> Result<usize> {
    let mut dated = 0;
    for installment in installments.iter_mut() {
        if installment.milestone.as_deref() == Some(event) && installment.due_date.is_none() {
            installment.due_date = Some(installment.due.date_from(on)?);
            dated += 1;
        }
    }
    Ok(dated)
}
