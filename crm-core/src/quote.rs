//! Quotes: exact line and quote totals from quantities, unit prices (given or
//! from a price list), discounts and taxes.
//!
//! Each line, in this order, exactly in `Decimal` and rounded half-up to the
//! currency's minor units where stated:
//!
//! 1. **gross** = quantity x unit price (not rounded: unit prices may be finer
//!    than a minor unit, e.g. 0.0125 per SMS);
//! 2. **discount** = gross x percent / 100, or a fixed amount (at most the
//!    gross), rounded;
//! 3. **net** = gross rounded, less the discount (never below zero);
//! 4. **tax** = net x tax percent / 100, rounded per line;
//! 5. **total** = net + tax.
//!
//! The quote's subtotal, discount, tax and total are the sums of its lines,
//! so the total always equals the sum of the line totals.
//!
//! ```
//! use crm_core::quote::{self, PriceList, QuoteLine};
//! use rust_decimal::Decimal;
//!
//! let prices = PriceList::from_json(r#"{"name": "2026", "currency": "EUR",
//!     "prices": {"seat": "49.90", "sms": "0.0125"}}"#)?;
//! let lines = [
//!     QuoteLine { product: "seat".into(), quantity: Decimal::from(3),
//!                 discount_percent: Some(Decimal::from(10)), tax_percent: Decimal::from(19),
//!                 ..QuoteLine::default() },
//!     QuoteLine { product: "sms".into(), quantity: Decimal::from(1000),
//!                 tax_percent: Decimal::from(19), ..QuoteLine::default() },
//! ];
//! let q = quote::price(&lines, &prices.currency, Some(&prices))?;
//! assert_eq!(q.lines[0].net.amount().to_string(), "134.73"); // 149.70 - 14.97
//! assert_eq!(q.lines[1].net.amount().to_string(), "12.50");
//! // Tax per line: 25.5987 -> 25.60 and 2.375 -> 2.38.
//! assert_eq!(q.tax.amount().to_string(), "27.98");
//! assert_eq!(q.total.amount().to_string(), "175.21");
//! # Ok::<(), crm_core::Error>(())
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Currency, Money};

/// Unit prices of products in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// The list's name, e.g. `2026 list prices`.
    pub name: String,
    /// Its currency.
    pub currency: Currency,
    /// Product -> unit price (may be finer than a minor unit).
    pub prices: BTreeMap<String, Decimal>,
}

impl PriceList {
    /// Reads and checks a price list from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `price_list` when the JSON does not parse, on
    /// `price_list.prices.PRODUCT` for a negative price.
    pub fn from_json(json: &str) -> Result<PriceList> {
        let list: PriceList = serde_json::from_str(json)
            .map_err(|e| Error::invalid("price_list", format!("is not a valid price list: {e}")))?;
        for (product, price) in &list.prices {
            if price.is_sign_negative() {
                return Err(Error::invalid(
                    format!("price_list.prices.{product}"),
                    "must not be negative",
                )
                .with_value(price));
            }
        }
        Ok(list)
    }
}

/// One line of a quote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuoteLine {
    /// The product (its key in the price list).
    pub product: String,
    /// What is sold, as shown to the customer.
    pub description: Option<String>,
    /// How many (above 0; may be fractional, e.g. hours).
    pub quantity: Decimal,
    /// The unit price; from the price list when not given.
    pub unit_price: Option<Decimal>,
    /// A discount in percent (0 to 100), or
    pub discount_percent: Option<Decimal>,
    /// a discount as an amount off the line (at most its gross): at most one
    /// of the two.
    pub discount_amount: Option<Decimal>,
    /// The tax rate in percent (0 to 100).
    pub tax_percent: Decimal,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    /// The product.
    pub product: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The quantity.
    pub quantity: Decimal,
    /// The unit price used.
    pub unit_price: Decimal,
    /// Quantity x unit price, not rounded.
    pub gross: Decimal,
    /// The discount, rounded.
    pub discount: Money,
    /// Gross rounded, less the discount.
    pub net: Money,
    /// The tax rate.
    pub tax_percent: Decimal,
    /// The tax on the net, rounded.
    pub tax: Money,
    /// Net + tax.
    pub total: Money,
}

/// A priced quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedQuote {
    /// Its lines.
    pub lines: Vec<PricedLine>,
    /// Sum of the lines' nets.
    pub subtotal: Money,
    /// Sum of the lines' discounts.
    pub discount: Money,
    /// Sum of the lines' taxes.
    pub tax: Money,
    /// Sum of the lines' totals (= subtotal + tax).
    pub total: Money,
}

/// Where a version of a deal's quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// The latest version, waiting for the customer.
    Open,
    /// Accepted: its total is the deal's amount and becomes the contract's.
    Accepted,
    /// Replaced by a later version (kept for the record).
    Superseded,
}

/// One version of a deal's quote: the lines as given and as priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteVersion {
    /// Its version, from 1.
    pub version: u32,
    /// Where it stands.
    pub status: QuoteStatus,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The last day it may be accepted, if limited.
    pub valid_until: Option<chrono::NaiveDate>,
    /// The price list used, by name.
    pub price_list: Option<String>,
    /// A note to the customer.
    pub note: Option<String>,
    /// The lines as given.
    pub lines: Vec<QuoteLine>,
    /// The lines and totals as priced.
    pub priced: PricedQuote,
}

fn round(amount: Decimal, currency: Currency) -> Result<Money> {
    Money::new(
        crate::model::round_minor(amount, currency.minor_units()),
        currency,
    )
}

/// Prices quote lines in `currency` (see the module docs).
///
/// # Errors
///
/// [`Error::Validation`] naming the line's field, e.g. `lines[1].quantity`
/// (not above 0), `lines[0].unit_price` (negative, or missing from the price
/// list), `lines[2].discount_percent` (outside 0 to 100, or given with an
/// amount), `lines[2].discount_amount` (negative or above the gross),
/// `lines[0].tax_percent`; on `price_list` when its currency is not the
/// quote's; on `lines` when a total overflows.
pub fn price(
    lines: &[QuoteLine],
    currency: &Currency,
    price_list: Option<&PriceList>,
) -> Result<PricedQuote> {
    let currency = *currency;
    if let Some(list) = price_list {
        if list.currency != currency {
            return Err(Error::invalid(
                "price_list",
                format!("is in {}, the quote in {currency}", list.currency),
            ));
        }
    }
    let overflow = || Error::invalid("lines", "a total is too large");
    let percent_ok = |p: Decimal| p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED;
    let zero = Money::zero(currency);
    let mut priced = Vec::with_capacity(lines.len());
    let (mut subtotal, mut discount, mut tax, mut total) = (zero, zero, zero, zero);
    for (i, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        if line.quantity <= Decimal::ZERO {
            return Err(Error::invalid(at("quantity"), "must be above 0").with_value(line.quantity));
        }
        let unit_price = match line.unit_price {
            Some(p) => p,
            None => *price_list
                .and_then(|l| l.prices.get(&line.product))
                .ok_or_else(|| {
                    Error::invalid(at("unit_price"), "is not given and not in the price list")
                        .with_value(&line.product)
                })?,
        };
        if unit_price.is_sign_negative() {
            return Err(
                Error::invalid(at("unit_price"), "must not be negative").with_value(unit_price)
            );
        }
        if !percent_ok(line.tax_percent) {
            return Err(
                Error::invalid(at("tax_percent"), "must be 0 to 100").with_value(line.tax_percent)
            );
        }
        let gross = line.quantity.checked_mul(unit_price).ok_or_else(overflow)?;
        let line_discount = match (line.discount_percent, line.discount_amount) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    at("discount_percent"),
                    "a line has a discount percent or a discount amount, not both",
                ));
            }
            (Some(p), None) => {
                if !percent_ok(p) {
                    return Err(
                        Error::invalid(at("discount_percent"), "must be 0 to 100").with_value(p)
                    );
                }
                round(
                    gross.checked_mul(p).ok_or_else(overflow)? / Decimal::ONE_HUNDRED,
                    currency,
                )?
            }
            (None, Some(a)) => {
                if a.is_sign_negative() || a > gross {
                    return Err(Error::invalid(
                        at("discount_amount"),
                        "must be 0 to the line's gross (quantity x unit price)",
                    )
                    .with_value(a));
                }
                Money::new(a, currency).map_err(|e| e.in_field(&at("discount_amount")))?
            }
            (None, None) => zero,
        };
        // The discount is whole minor units, so this is `gross - discount`
        // rounded, except that it never rounds below zero (a 100 % discount
        // of 320,795.375 is 320,795.38: the net is 0.00, not -0.01).
        let net = Money::new(
            round(gross, currency)?.amount() - line_discount.amount(),
            currency,
        )?;
        let line_tax = round(
            net.amount()
                .checked_mul(line.tax_percent)
                .ok_or_else(overflow)?
                / Decimal::ONE_HUNDRED,
            currency,
        )?;
        let line_total = net.checked_add(&line_tax)?;
        subtotal = subtotal.checked_add(&net)?;
        discount = discount.checked_add(&line_discount)?;
        tax = tax.checked_add(&line_tax)?;
        total = total.checked_add(&line_total)?;
        priced.push(PricedLine {
            product: line.product.clone(),
            description: line.description.clone(),
            quantity: line.quantity,
            unit_price,
            gross,
            discount: line_discount,
            net,
            tax_percent: line.tax_percent,
            tax: line_tax,
            total: line_total,
        });
    }
    Ok(PricedQuote {
        lines: priced,
        subtotal,
        discount,
        tax,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(product: &str, quantity: &str, price: Option<&str>) -> QuoteLine {
        QuoteLine {
            product: product.into(),
            quantity: quantity.parse().unwrap(),
            unit_price: price.map(|p| p.parse().unwrap()),
            ..QuoteLine::default()
        }
    }

    #[test]
    fn lines_round_per_line_and_sum_exactly() {
        let eur: Currency = "EUR".parse().unwrap();
        let mut a = line("consulting", "2.5", Some("99.99"));
        a.tax_percent = "19".parse().unwrap();
        let mut b = line("licence", "1", Some("0.015"));
        b.discount_amount = Some("0.01".parse().unwrap());
        let q = price(&[a, b], &eur, None).unwrap();
        // 2.5 x 99.99 = 249.975 -> 249.98; tax 47.4962 -> 47.50.
        assert_eq!(q.lines[0].net.amount().to_string(), "249.98");
        assert_eq!(q.lines[0].tax.amount().to_string(), "47.50");
        // 0.015 - 0.01 = 0.005 -> 0.01.
        assert_eq!(q.lines[1].net.amount().to_string(), "0.01");
        assert_eq!(q.total.amount().to_string(), "297.49");
        let yen: Currency = "JPY".parse().unwrap();
        let mut c = line("item", "3", Some("333.5"));
        c.tax_percent = "10".parse().unwrap();
        let q = price(&[c], &yen, None).unwrap();
        assert_eq!(q.lines[0].net.amount().to_string(), "1001"); // 1000.5 half-up
        assert_eq!(q.total.amount().to_string(), "1101");
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let eur: Currency = "EUR".parse().unwrap();
        let field_of = |lines: &[QuoteLine]| match price(lines, &eur, None).unwrap_err() {
            Error::Validation { fields, .. } => fields[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field_of(&[line("a", "0", Some("1"))]), "lines[0].quantity");
        assert_eq!(field_of(&[line("a", "1", None)]), "lines[0].unit_price");
        assert_eq!(
            field_of(&[line("a", "1", Some("-1"))]),
            "lines[0].unit_price"
        );
        let mut both = line("a", "1", Some("1"));
        both.discount_percent = Some(Decimal::ONE);
        both.discount_amount = Some(Decimal::ONE);
        assert_eq!(
            field_of(&[line("a", "1", Some("1")), both]),
            "lines[1].discount_percent"
        );
        let mut too_much = line("a", "1", Some("1"));
        too_much.discount_amount = Some(Decimal::TWO);
        assert_eq!(field_of(&[too_much]), "lines[0].discount_amount");
        let mut tax = line("a", "1", Some("1"));
        tax.tax_percent = Decimal::from(101);
        assert_eq!(field_of(&[tax]), "lines[0].tax_percent");
        let usd =
            PriceList::from_json(r#"{"name": "x", "currency": "USD", "prices": {}}"#).unwrap();
        assert!(price(&[], &eur, Some(&usd)).is_err());
        assert!(
            PriceList::from_json(r#"{"name": "x", "currency": "EUR", "prices": {"a": "-1"}}"#)
                .is_err()
        );
    }

    #[test]
    fn a_full_discount_of_a_fine_gross_leaves_zero_not_less() {
        let eur: Currency = "EUR".parse().unwrap();
        let mut all = line("p", "575.0", Some("557.905"));
        all.discount_percent = Some(Decimal::ONE_HUNDRED);
        let q = price(&[all], &eur, None).unwrap();
        // Gross 320,795.375: the discount rounds to 320,795.38, the net to 0.00.
        assert_eq!(q.lines[0].discount.amount().to_string(), "320795.38");
        assert_eq!(q.lines[0].net.amount(), Decimal::ZERO);
        assert!(!q.total.is_negative());
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines(
            lines in prop::collection::vec((1i64..10_000, 0i64..1_000_000, 0i64..=100, 0i64..=25), 0..8),
        ) {
            let eur: Currency = "EUR".parse().unwrap();
            let lines: Vec<QuoteLine> = lines.iter().map(|(q, p, d, t)| QuoteLine {
                product: "p".into(),
                quantity: Decimal::new(*q, 1),
                unit_price: Some(Decimal::new(*p, 3)),
                discount_percent: Some(Decimal::from(*d)),
                tax_percent: Decimal::from(*t),
                ..QuoteLine::default()
            }).collect();
            let q = price(&lines, &eur, None).unwrap();
            let sum: Decimal = q.lines.iter().map(|l| l.total.amount()).sum();
            prop_assert_eq!(q.total.amount(), sum);
            prop_assert_eq!(q.total.amount(), q.subtotal.amount() + q.tax.amount());
            for l in &q.lines {
                prop_assert!(!l.net.is_negative() && !l.tax.is_negative());
            }
        }
    }
}
