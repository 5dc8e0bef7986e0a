//! Quotes and payment terms as free functions, no engine involved:
//! `splitPayments` splits a total into [`Installment`]s by a terms template,
//! `reachMilestone` dates the installments waiting for a milestone, and
//! `priceQuote` prices [`QuoteLine`]s into a [`PricedQuote`].
//!
//! They run `crm::schedule` and `crm::quote` (see their module documentation
//! for the exact split, the due-date rules and the rounding of quote lines)
//! and only convert: money is [`Money`] (a decimal string and a currency
//! code), other decimals (quantities, unit prices, percents) are decimal
//! strings, calendar dates are `YYYY-MM-DD` strings, and the templates (the
//! terms, the price list, an installment's due rule) are JSON text in the
//! form the core reads.

use crm::Error as CoreError;
use crm::quote::{
    PriceList, PricedLine as CorePricedLine, PricedQuote as CorePricedQuote,
    QuoteLine as CoreQuoteLine,
};
use crm::schedule::{Due, Installment as CoreInstallment, Terms};
use rust_decimal::Decimal;

use crate::clock::{date_text, parse_date};
use crate::error::CrmError;
use crate::model::{Money, money_at};

/// One installment of a split: how much falls due, and when.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Installment {
    /// The template line's label (`"down payment"`).
    pub label: String,
    /// The amount, in the total's currency and its minor units (`"300.00"`,
    /// `"333"` for JPY); the installments sum to the total exactly.
    pub amount: Money,
    /// The due date, `YYYY-MM-DD`; `null` for a milestone line until its
    /// event happens (`reachMilestone`), or when no base date was given.
    pub due_date: Option<String>,
    /// The milestone the line waits for (`"delivery_accepted"`), if any.
    pub milestone: Option<String>,
    /// The line's due rule as JSON text, as the terms template writes it
    /// (`{"days_after":30}`, `{"milestone":{"event":"delivery_accepted","plus_days":30}}`).
    pub due_json: String,
}

impl Installment {
    fn from_core(installment: CoreInstallment) -> Result<Self, CoreError> {
        let due_json = serde_json::to_string(&installment.due)
            .map_err(|e| CoreError::invalid("due", format!("cannot be written as JSON: {e}")))?;
        Ok(Installment {
            label: installment.label,
            amount: installment.amount.into(),
            due_date: installment.due_date.map(date_text),
            milestone: installment.milestone,
            due_json,
        })
    }

    /// Back to the core, for `reachMilestone`.
    ///
    /// # Errors
    ///
    /// A validation error on `installments[row].amount` (or `.currency`),
    /// `installments[row].due_date` or `installments[row].due`.
    fn into_core(self, row: usize) -> Result<CoreInstallment, CoreError> {
        let at = |field: &str| format!("installments[{row}].{field}");
        let amount = money_at(&at(""), &self.amount)?;
        let due_date = self
            .due_date
            .map(|date| parse_date(&at("due_date"), &date))
            .transpose()?;
        let due: Due = serde_json::from_str(&self.due_json)
            .map_err(|e| CoreError::invalid(at("due"), format!("is not a due rule: {e}")))?;
        Ok(CoreInstallment {
            label: self.label,
            amount,
            due_date,
            milestone: self.milestone,
            due,
        })
    }
}

/// One line of a quote. Decimals are strings (`"49.90"`, `"0.0125"`), never
/// floats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct QuoteLine {
    /// The product: its key in the price list.
    pub product: String,
    /// What is sold, as shown to the customer.
    #[uniffi(default)]
    pub description: Option<String>,
    /// How many, above 0 (may be fractional, e.g. hours).
    pub quantity: String,
    /// The unit price (may be finer than a minor unit); `null` takes it from
    /// the price list.
    #[uniffi(default)]
    pub unit_price: Option<String>,
    /// A discount in percent, 0 to 100, or
    #[uniffi(default)]
    pub discount_percent: Option<String>,
    /// a discount as an amount off the line (at most its gross): at most one
    /// of the two.
    #[uniffi(default)]
    pub discount_amount: Option<String>,
    /// The tax rate in percent, 0 to 100.
    #[uniffi(default = "0")]
    pub tax_percent: String,
}

impl From<CoreQuoteLine> for QuoteLine {
    fn from(line: CoreQuoteLine) -> Self {
        QuoteLine {
            product: line.product,
            description: line.description,
            quantity: line.quantity.to_string(),
            unit_price: line.unit_price.map(|d| d.to_string()),
            discount_percent: line.discount_percent.map(|d| d.to_string()),
            discount_amount: line.discount_amount.map(|d| d.to_string()),
            tax_percent: line.tax_percent.to_string(),
        }
    }
}

impl QuoteLine {
    /// The core's line.
    ///
    /// # Errors
    ///
    /// A validation error on `lines[row].FIELD` for a decimal that is not a
    /// decimal number.
    pub(crate) fn into_core(self, row: usize) -> Result<CoreQuoteLine, CoreError> {
        let at = |field: &str| format!("lines[{row}].{field}");
        let opt = |field: &str, text: Option<String>| {
            text.map(|text| decimal(&at(field), &text)).transpose()
        };
        Ok(CoreQuoteLine {
            quantity: decimal(&at("quantity"), &self.quantity)?,
            unit_price: opt("unit_price", self.unit_price)?,
            discount_percent: opt("discount_percent", self.discount_percent)?,
            discount_amount: opt("discount_amount", self.discount_amount)?,
            tax_percent: decimal(&at("tax_percent"), &self.tax_percent)?,
            product: self.product,
            description: self.description,
        })
    }
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct PricedLine {
    /// The product.
    pub product: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The quantity, a decimal string.
    pub quantity: String,
    /// The unit price used (given, or from the price list), a decimal string.
    pub unit_price: String,
    /// Quantity x unit price, not rounded, a decimal string.
    pub gross: String,
    /// The discount, rounded to a minor unit.
    pub discount: Money,
    /// The gross rounded, less the discount (never below zero).
    pub net: Money,
    /// The tax rate, a decimal string.
    pub tax_percent: String,
    /// The tax on the net, rounded per line.
    pub tax: Money,
    /// Net + tax.
    pub total: Money,
}

impl From<CorePricedLine> for PricedLine {
    fn from(line: CorePricedLine) -> Self {
        PricedLine {
            product: line.product,
            description: line.description,
            quantity: line.quantity.to_string(),
            unit_price: line.unit_price.to_string(),
            gross: line.gross.to_string(),
            discount: line.discount.into(),
            net: line.net.into(),
            tax_percent: line.tax_percent.to_string(),
            tax: line.tax.into(),
            total: line.total.into(),
        }
    }
}

/// A priced quote: its lines and their sums (the total is always the sum of
/// the line totals, and subtotal + tax).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct PricedQuote {
    /// The lines, in order.
    pub lines: Vec<PricedLine>,
    /// The sum of the lines' nets.
    pub subtotal: Money,
    /// The sum of the lines' discounts.
    pub discount: Money,
    /// The sum of the lines' taxes.
    pub tax: Money,
    /// The sum of the lines' totals.
    pub total: Money,
}

impl From<CorePricedQuote> for PricedQuote {
    fn from(quote: CorePricedQuote) -> Self {
        PricedQuote {
            lines: quote.lines.into_iter().map(PricedLine::from).collect(),
            subtotal: quote.subtotal.into(),
            discount: quote.discount.into(),
            tax: quote.tax.into(),
            total: quote.total.into(),
        }
    }
}

/// A decimal string, exactly (no float, no exponent).
///
/// # Errors
///
/// A validation error on `field` when it is not a decimal number.
pub(crate) fn decimal(field: &str, text: &str) -> Result<Decimal, CoreError> {
    Decimal::from_str_exact(text.trim()).map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        CoreError::invalid(field, "is not a decimal number").with_value(shown)
    })
}

/// A validation error of a nested value with its fields under `prefix`
/// (`amount` of the total is `total.amount`). Other kinds are unchanged.
pub(crate) fn prefixed(err: CoreError, prefix: &str) -> CoreError {
    match err {
        CoreError::Validation {
            fields,
            value,
            reason,
        } => CoreError::Validation {
            fields: fields
                .into_iter()
                .map(|field| format!("{prefix}{field}"))
                .collect(),
            value,
            reason,
        },
        other => other,
    }
}

/// Splits `total` into installments by a terms template, exactly: fixed
/// lines first, the percent lines share the rest in whole minor units of the
/// currency, and the remainder line takes what rounding leaves, so the
/// installments always sum to the total (5.47 EUR in thirds is 1.82, 1.82,
/// 1.83). Date rules count from `base` (`YYYY-MM-DD`); without one, and for
/// milestone lines until `reachMilestone`, `dueDate` is `null`. A pure
/// function: no engine, no store.
///
/// `termsJson` is the terms template: `{"name", "lines": [{"label",
/// "percent" | "fixed", "due"}], "rounding"?, "remainder_line"?}` with due
/// rules `{"days_after": N}`, `{"end_of_month": {"plus_days": N}}`,
/// `{"months_after_end_of_month": N}`, `{"day_of_next_month": {"day": D,
/// "after_days": N}}` and `{"milestone": {"event": E, "plus_days": N}}`.
///
/// # Errors
///
/// `Validation` naming the path of the problem: `terms` for JSON that does
/// not parse or an unknown key, `terms.lines` when the percents do not sum to
/// exactly 100, `terms.lines[1].percent`, `terms.lines[0].fixed` (finer than
/// the currency or more than the total), ...; `total.amount` or
/// `total.currency` for a bad total (`total` when negative); `base` for a
/// date not in the form `YYYY-MM-DD`.
#[uniffi::export(default(base = None))]
pub fn split_payments(
    total: Money,
    terms_json: String,
    base: Option<String>,
) -> Result<Vec<Installment>, CrmError> {
    let total = money_at("total.", &total)?;
    let terms = Terms::from_json(&terms_json)?;
    let base = base.map(|date| parse_date("base", &date)).transpose()?;
    let plan = crm::schedule::split(&total, &terms, base)?;
    Ok(plan
        .into_iter()
        .map(Installment::from_core)
        .collect::<Result<_, _>>()?)
}

/// Dates the installments waiting for the milestone `event`, which happened
/// `on` (`YYYY-MM-DD`): each falls due its line's `plus_days` after it.
/// Installments dated already, or waiting for another event, are unchanged.
/// Returns the installments, updated (the input is not changed: records are
/// values).
///
/// # Errors
///
/// `Validation` on `on` for a date not in the form `YYYY-MM-DD`, on
/// `installments[i].amount` / `.currency` / `.due_date` / `.due` for an
/// installment that does not read back, on `due` when a date falls outside
/// the supported calendar.
#[uniffi::export]
pub fn reach_milestone(
    installments: Vec<Installment>,
    event: String,
    on: String,
) -> Result<Vec<Installment>, CrmError> {
    let on = parse_date("on", &on)?;
    let mut plan = installments
        .into_iter()
        .enumerate()
        .map(|(row, installment)| installment.into_core(row))
        .collect::<Result<Vec<_>, CoreError>>()?;
    crm::schedule::reach_milestone(&mut plan, &event, on)?;
    Ok(plan
        .into_iter()
        .map(Installment::from_core)
        .collect::<Result<_, _>>()?)
}

/// Prices quote lines in `currency` (an ISO 4217 code), exactly: per line
/// gross = quantity x unit price (not rounded), the discount and net rounded
/// half-up to the currency's minor units, tax on the net rounded per line,
/// total = net + tax; the quote's sums are the sums of its lines. Unit prices
/// not given come from the price list. A pure function: no engine, no store.
///
/// `priceListJson` is `{"name", "currency", "prices": {"PRODUCT": "PRICE"}}`
/// (prices as decimal strings, possibly finer than a minor unit).
///
/// # Errors
///
/// `Validation` naming the line's field: `lines[1].quantity` (not above 0 or
/// not a decimal), `lines[0].unit_price` (negative, or neither given nor in
/// the price list), `lines[2].discount_percent` (outside 0 to 100, or given
/// with an amount), `lines[2].discount_amount`, `lines[0].tax_percent`;
/// `currency` for an unknown code; `price_list` for a list that does not
/// parse or is in another currency, `price_list.prices.PRODUCT` for a
/// negative price.
#[uniffi::export(default(price_list_json = None))]
pub fn price_quote(
    lines: Vec<QuoteLine>,
    currency: String,
    price_list_json: Option<String>,
) -> Result<PricedQuote, CrmError> {
    let currency: crm::Currency = currency.parse()?;
    let price_list = price_list(price_list_json)?;
    let lines = quote_lines(lines)?;
    Ok(crm::quote::price(&lines, &currency, price_list.as_ref())?.into())
}

/// A price list from its JSON text, if any (`priceQuote`, `addQuote`).
///
/// # Errors
///
/// A validation error on `price_list` (or `price_list.prices.PRODUCT`).
pub(crate) fn price_list(json: Option<String>) -> Result<Option<PriceList>, CoreError> {
    json.map(|json| PriceList::from_json(&json)).transpose()
}

/// Quote lines for the core (`priceQuote`, `addQuote`).
///
/// # Errors
///
/// A validation error on `lines[row].FIELD`.
pub(crate) fn quote_lines(lines: Vec<QuoteLine>) -> Result<Vec<CoreQuoteLine>, CoreError> {
    lines
        .into_iter()
        .enumerate()
        .map(|(row, line)| line.into_core(row))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: &str) -> Money {
        Money {
            amount: amount.into(),
            currency: "EUR".into(),
        }
    }

    const THIRTY_SEVENTY: &str = r#"{"name": "30/70", "lines": [
        {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
        {"label": "on acceptance", "percent": "70",
         "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#;

    fn fields(err: CrmError) -> Vec<String> {
        match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn splits_and_dates_milestones() {
        let plan = split_payments(
            eur("1000"),
            THIRTY_SEVENTY.into(),
            Some("2026-01-15".into()),
        )
        .unwrap();
        assert_eq!(plan[0].amount, eur("300.00"));
        assert_eq!(plan[0].due_date.as_deref(), Some("2026-01-15"));
        assert_eq!(plan[0].due_json, r#"{"days_after":0}"#);
        assert_eq!(plan[1].due_date, None);
        assert_eq!(plan[1].milestone.as_deref(), Some("delivery_accepted"));
        let dated = reach_milestone(
            plan.clone(),
            "delivery_accepted".into(),
            "2026-03-01".into(),
        )
        .unwrap();
        assert_eq!(dated[0], plan[0]);
        assert_eq!(dated[1].due_date.as_deref(), Some("2026-03-31"));
        let other = reach_milestone(plan.clone(), "signed".into(), "2026-03-01".into()).unwrap();
        assert_eq!(other, plan);
    }

    #[test]
    fn errors_name_the_field() {
        let split = |total: Money, terms: &str, base: Option<&str>| {
            fields(split_payments(total, terms.into(), base.map(Into::into)).unwrap_err())
        };
        assert_eq!(split(eur("1e3"), THIRTY_SEVENTY, None), ["total.amount"]);
        let yen = Money {
            amount: "1".into(),
            currency: "XYZ".into(),
        };
        assert_eq!(split(yen, THIRTY_SEVENTY, None), ["total.currency"]);
        assert_eq!(split(eur("-1"), THIRTY_SEVENTY, None), ["total"]);
        assert_eq!(split(eur("1"), "{", None), ["terms"]);
        assert_eq!(
            split(eur("1"), THIRTY_SEVENTY, Some("15.01.2026")),
            ["base"]
        );
        let plan = split_payments(eur("1"), THIRTY_SEVENTY.into(), None).unwrap();
        let mut bad = plan.clone();
        bad[1].due_json = "{}".into();
        assert_eq!(
            fields(reach_milestone(bad, "x".into(), "2026-01-01".into()).unwrap_err()),
            ["installments[1].due"]
        );
        let mut bad = plan;
        bad[0].amount.amount = "0.001".into();
        assert_eq!(
            fields(reach_milestone(bad, "x".into(), "2026-01-01".into()).unwrap_err()),
            ["installments[0].amount"]
        );
        let line = QuoteLine {
            product: "x".into(),
            description: None,
            quantity: "1".into(),
            unit_price: Some("1,5".into()),
            discount_percent: None,
            discount_amount: None,
            tax_percent: "0".into(),
        };
        assert_eq!(
            fields(price_quote(vec![line], "EUR".into(), None).unwrap_err()),
            ["lines[0].unit_price"]
        );
        assert_eq!(
            fields(price_quote(vec![], "EURO".into(), None).unwrap_err()),
            ["currency"]
        );
    }
}
