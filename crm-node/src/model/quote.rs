//! Quotes: the lines of a quote as given, as priced, and the versions of a
//! deal's quote.
//!
//! `priceQuote` (in `payments.rs`) returns the priced types; a deal's
//! `quotes` hold the versions, each with its lines as given and as priced.
//! They are declared here, before the records that name them (see lib.rs).

use napi_derive::napi;

use crm::quote::{PricedLine, PricedQuote, QuoteLine, QuoteStatus, QuoteVersion};

use crate::clock::rfc3339;
use crate::model::{JsMoney, opt_string};

/// One line of a quote, as `priceQuote` and `addQuote` take it and as a
/// quote version keeps it. Decimals are strings (`'49.90'`), never JS
/// numbers; any other key is a `validation` error. In a quote version, the
/// keys of absent values are left out, so that a line can be passed back as
/// it is.
#[napi(object, js_name = "QuoteLine")]
pub struct JsQuoteLine {
    /// The product: its key in the price list.
    pub product: String,
    /// What is sold, as shown to the customer.
    #[napi(ts_type = "string | null")]
    pub description: Option<String>,
    /// How many, above 0 (may be fractional, e.g. hours): `'3'`, `'2.5'`.
    pub quantity: String,
    /// The unit price (may be finer than a minor unit, `'0.0125'`); from the
    /// price list when not given.
    #[napi(ts_type = "string | null")]
    pub unit_price: Option<String>,
    /// A discount in percent, 0 to 100, or
    #[napi(ts_type = "string | null")]
    pub discount_percent: Option<String>,
    /// a discount as an amount off the line, at most its gross: at most one of
    /// the two.
    #[napi(ts_type = "string | null")]
    pub discount_amount: Option<String>,
    /// The tax rate in percent, 0 to 100 (default `'0'`).
    #[napi(ts_type = "string | null")]
    pub tax_percent: Option<String>,
}

impl From<QuoteLine> for JsQuoteLine {
    fn from(line: QuoteLine) -> Self {
        JsQuoteLine {
            product: line.product,
            description: line.description,
            quantity: line.quantity.to_string(),
            unit_price: opt_string(line.unit_price),
            discount_percent: opt_string(line.discount_percent),
            discount_amount: opt_string(line.discount_amount),
            tax_percent: Some(line.tax_percent.to_string()),
        }
    }
}

/// A priced line of a quote.
#[napi(
    object,
    js_name = "PricedLine",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsPricedLine {
    /// The product.
    pub product: String,
    /// The description, or `null`.
    pub description: Option<String>,
    /// The quantity, a decimal string.
    pub quantity: String,
    /// The unit price used (given, or from the price list), a decimal string.
    pub unit_price: String,
    /// Quantity x unit price, not rounded: a decimal string.
    pub gross: String,
    /// The discount, rounded half-up to a minor unit.
    pub discount: JsMoney,
    /// The gross rounded half-up, less the discount (never below zero).
    pub net: JsMoney,
    /// The tax rate in percent, a decimal string.
    pub tax_percent: String,
    /// The tax on the net, rounded half-up per line.
    pub tax: JsMoney,
    /// Net + tax.
    pub total: JsMoney,
}

impl From<PricedLine> for JsPricedLine {
    fn from(line: PricedLine) -> Self {
        JsPricedLine {
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

/// A priced quote: its lines and their sums, so that `total` is always the
/// sum of the line totals (and `subtotal` + `tax`).
#[napi(object, js_name = "PricedQuote", object_from_js = false)]
pub struct JsPricedQuote {
    /// The lines, in order.
    pub lines: Vec<JsPricedLine>,
    /// The sum of the lines' nets.
    pub subtotal: JsMoney,
    /// The sum of the lines' discounts.
    pub discount: JsMoney,
    /// The sum of the lines' taxes.
    pub tax: JsMoney,
    /// The sum of the lines' totals.
    pub total: JsMoney,
}

impl From<PricedQuote> for JsPricedQuote {
    fn from(quote: PricedQuote) -> Self {
        JsPricedQuote {
            lines: quote.lines.into_iter().map(JsPricedLine::from).collect(),
            subtotal: quote.subtotal.into(),
            discount: quote.discount.into(),
            tax: quote.tax.into(),
            total: quote.total.into(),
        }
    }
}

/// One version of a deal's quote (`addQuote`): its lines as given and as
/// priced. Adding a version supersedes the earlier ones; `acceptQuote` makes
/// its total the deal's expected amount, and winning the deal makes a
/// contract of its amount and lines.
#[napi(
    object,
    js_name = "QuoteVersion",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsQuoteVersion {
    /// Its version, from 1.
    pub version: u32,
    /// `open` (the latest, waiting for the customer), `accepted`, or
    /// `superseded` by a later version.
    #[napi(ts_type = "'open' | 'accepted' | 'superseded'")]
    pub status: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// The last day it may be accepted, `YYYY-MM-DD`, or `null`.
    pub valid_until: Option<String>,
    /// The name of the price list it was priced with, or `null`.
    pub price_list: Option<String>,
    /// A note to the customer, or `null`.
    pub note: Option<String>,
    /// The lines as given.
    pub lines: Vec<JsQuoteLine>,
    /// The lines and totals as priced.
    pub priced: JsPricedQuote,
}

impl From<QuoteVersion> for JsQuoteVersion {
    fn from(quote: QuoteVersion) -> Self {
        JsQuoteVersion {
            version: quote.version,
            status: quote_status(quote.status).to_owned(),
            created_at: rfc3339(quote.created_at),
            valid_until: opt_string(quote.valid_until),
            price_list: quote.price_list,
            note: quote.note,
            lines: quote.lines.into_iter().map(JsQuoteLine::from).collect(),
            priced: quote.priced.into(),
        }
    }
}

/// A quote status as the core's JSON names it.
fn quote_status(status: QuoteStatus) -> &'static str {
    match status {
        QuoteStatus::Open => "open",
        QuoteStatus::Accepted => "accepted",
        QuoteStatus::Superseded => "superseded",
    }
}
