//! Payment terms and quotes, as module-level functions (no engine, no store:
//! pure functions of their arguments). The rules are the core's, see
//! [`crm::schedule`] and [`crm::quote`].
//!
//! - `splitPayments(total, terms, base?)` splits a total into installments by
//!   a terms template, exactly in the currency's minor units, with their due
//!   dates ([`crm::schedule::split`]);
//! - `priceQuote(lines, currency, priceList?)` prices quote lines: line and
//!   quote totals from quantities, unit prices (given or from a price list),
//!   discounts and per-line tax ([`crm::quote::price`]).
//!
//! The quote types (`QuoteLine`, `PricedLine`, `PricedQuote`) are declared
//! with the records that name them (`model/quote.rs`); the engine's
//! `addQuote` reads its lines with [`quote_lines`].
//!
//! Each has an `...Async` twin that runs on libuv's thread pool. Money is
//! [`JsMoney`] (decimal strings), decimals are strings, dates `YYYY-MM-DD`.
//! The terms template and the price list are the core's JSON (a string, or an
//! object passed through `JSON.stringify`); quote lines are plain objects with
//! camelCase keys, read key by key so that an unknown key (a snake_case
//! `discount_percent`, say) or a number where a decimal string belongs is a
//! `validation` error naming it (`lines[1].discount_percent`), never a key
//! silently ignored or a double rounded.

use napi::Env;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use serde_json::Value;

use crm::quote::{self, QuoteLine};
use crm::schedule::{self, Installment};
use crm::{Currency, Error};

use crate::config::{ConfigInput, price_list, terms};
use crate::convert::{date, decimal, shown, type_of};
use crate::engine::{Job, Pending, guarded};
use crate::model::{JsMoney, JsPricedQuote};

/// One installment of a split.
#[napi(
    object,
    js_name = "Installment",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsInstallment {
    /// The line's label, e.g. `'down payment'`.
    pub label: String,
    /// The amount, in the total's currency, in whole minor units
    /// (`{ amount: '300.00', currency: 'EUR' }`).
    pub amount: JsMoney,
    /// The due date, `YYYY-MM-DD`; `null` for a milestone line until its
    /// event happens, or for a date rule when no `base` was given.
    pub due_date: Option<String>,
    /// The milestone the line waits for (`'delivery_accepted'`), or `null`.
    pub milestone: Option<String>,
    /// The line's due rule as the template gives it, e.g. `{ days_after: 30 }`
    /// or `{ milestone: { event: 'delivery_accepted', plus_days: 30 } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub due: Value,
}

impl From<Installment> for JsInstallment {
    fn from(installment: Installment) -> Self {
        JsInstallment {
            label: installment.label,
            amount: installment.amount.into(),
            due_date: installment.due_date.map(|day| day.to_string()),
            milestone: installment.milestone,
            due: serde_json::to_value(&installment.due).unwrap_or_default(),
        }
    }
}

/// Splits `total` into installments by the terms template `terms`, exactly:
/// the installments always sum to the total, in whole minor units of its
/// currency (JPY 0 decimals, EUR 2, KWD 3).
///
/// Fixed lines are taken first; the percent lines (summing to exactly 100)
/// share what is left, each rounded by the template's `rounding` (half-up by
/// default), and the remainder line (the last percent line, or
/// `remainder_line`) takes what rounding left over. Date rules count from
/// `base` (`YYYY-MM-DD`); without it, and for a milestone line, `dueDate` is
/// `null`.
///
/// `terms` is the core's terms JSON (a string, or a plain object passed
/// through `JSON.stringify`), with snake_case keys: `{ name, lines: [{ label,
/// percent | fixed, due }], rounding?, remainder_line? }`, amounts and percents
/// as decimal strings, `due` one of `{ days_after: n }`, `{ end_of_month: {
/// plus_days } }`, `{ months_after_end_of_month: n }`, `{ day_of_next_month: {
/// day, after_days } }`, `{ milestone: { event, plus_days } }`.
///
/// @example
/// ```js
/// const { splitPayments } = require('crm')
/// const plan = splitPayments(
///   { amount: '1000.00', currency: 'EUR' },
///   { name: '30/70', lines: [
///     { label: 'down payment', percent: '30', due: { days_after: 0 } },
///     { label: 'on acceptance', percent: '70', due: { milestone: { event: 'delivery_accepted', plus_days: 30 } } },
///   ] },
///   '2026-01-15',
/// )
/// plan[0].amount // { amount: '300.00', currency: 'EUR' }
/// plan[1].dueDate // null, until the delivery is accepted
/// ```
///
/// @throws {Error} `validation` on `amount` or `currency` for a bad total, on
/// `total` when it is negative, on `base` for a malformed date; on the
/// template's path (`terms.name`, `terms.lines[1].percent`,
/// `terms.lines[0].fixed`, `terms.remainder_line`) when it is invalid, on
/// `terms.lines` when the percents do not sum to exactly 100 or the fixed
/// lines alone do not make the total, on `terms` when it does not read as a
/// template.
#[napi]
pub fn split_payments(
    env: Env,
    total: JsMoney,
    #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
    base: Option<String>,
) -> napi::Result<Vec<JsInstallment>> {
    guarded(|| split(total, terms, base)).map_err(|failure| failure.into_js(&env))
}

/// `splitPayments` off the main thread: a Promise of the installments,
/// rejected with the `Error` that `splitPayments` throws.
#[napi(ts_return_type = "Promise<Array<Installment>>")]
pub fn split_payments_async(
    total: JsMoney,
    #[napi(ts_arg_type = "string | Record<string, any>")] terms: ConfigInput,
    base: Option<String>,
) -> Pending<Vec<JsInstallment>> {
    AsyncTask::new(Job::new(move || guarded(|| split(total, terms, base))))
}

/// What `splitPayments` and `splitPaymentsAsync` run.
fn split(
    total: JsMoney,
    terms_input: ConfigInput,
    base: Option<String>,
) -> crm::Result<Vec<JsInstallment>> {
    let total = total.to_core()?;
    let terms = terms(terms_input)?;
    let base = base.map(|text| date("base", &text)).transpose()?;
    Ok(schedule::split(&total, &terms, base)?
        .into_iter()
        .map(JsInstallment::from)
        .collect())
}

/// Prices quote lines in `currency` (an ISO 4217 code), exactly: per line,
/// gross = quantity x unit price (not rounded), the discount (a percent of the
/// gross, or an amount) rounded half-up to a minor unit, net = gross -
/// discount rounded, tax = net x tax percent rounded per line, total = net +
/// tax; the quote's `subtotal`, `discount`, `tax` and `total` are the sums of
/// its lines.
///
/// A line without `unitPrice` takes its product's price from `priceList`, the
/// core's price list JSON (a string, or a plain object passed through
/// `JSON.stringify`): `{ name, currency, prices: { product: '49.90' } }`, in
/// the quote's currency.
///
/// @example
/// ```js
/// const { priceQuote } = require('crm')
/// const quote = priceQuote(
///   [
///     { product: 'seat', quantity: '3', discountPercent: '10', taxPercent: '19' },
///     { product: 'sms', quantity: '1000', taxPercent: '19' },
///   ],
///   'EUR',
///   { name: '2026', currency: 'EUR', prices: { seat: '49.90', sms: '0.0125' } },
/// )
/// quote.lines[0].net // { amount: '134.73', currency: 'EUR' }
/// quote.total.amount // '175.21'
/// ```
///
/// @throws {Error} `validation` on `lines` when it is not an array, on
/// `lines[i]` when a line is not an object, on `lines[i].<key>` for a key that
/// is not a field of a line, on `lines[i].<field>` for a value of the wrong
/// type or a malformed decimal; on `lines[i].quantity` (not above 0),
/// `lines[i].unit_price` (negative, or neither given nor in the price list),
/// `lines[i].discount_percent` (outside 0 to 100, or given with an amount),
/// `lines[i].discount_amount` (negative, above the gross, or finer than a
/// minor unit), `lines[i].tax_percent` (outside 0 to 100); on `currency` for an
/// unknown code; on `price_list` when it does not read as a price list or is
/// in another currency, on `price_list.prices.<product>` for a negative price.
#[napi]
pub fn price_quote(
    env: Env,
    #[napi(ts_arg_type = "Array<QuoteLine>")] lines: Value,
    currency: String,
    #[napi(ts_arg_type = "string | Record<string, any>")] price_list: Option<ConfigInput>,
) -> napi::Result<JsPricedQuote> {
    guarded(|| price(lines, currency, price_list)).map_err(|failure| failure.into_js(&env))
}

/// `priceQuote` off the main thread: a Promise of the priced quote, rejected
/// with the `Error` that `priceQuote` throws. The lines are read on the main
/// thread first.
#[napi(ts_return_type = "Promise<PricedQuote>")]
pub fn price_quote_async(
    #[napi(ts_arg_type = "Array<QuoteLine>")] lines: Value,
    currency: String,
    #[napi(ts_arg_type = "string | Record<string, any>")] price_list: Option<ConfigInput>,
) -> Pending<JsPricedQuote> {
    AsyncTask::new(Job::new(move || {
        guarded(|| price(lines, currency, price_list))
    }))
}

/// What `priceQuote` and `priceQuoteAsync` run.
fn price(
    lines: Value,
    currency: String,
    price_list_input: Option<ConfigInput>,
) -> crm::Result<JsPricedQuote> {
    let lines = quote_lines(lines)?;
    let currency: Currency = currency.parse()?;
    let list = price_list(price_list_input)?;
    quote::price(&lines, &currency, list.as_ref()).map(JsPricedQuote::from)
}

/// The keys of a quote line in JS, with the core's (snake_case) name of each.
const LINE_FIELDS: [(&str, &str); 7] = [
    ("product", "product"),
    ("description", "description"),
    ("quantity", "quantity"),
    ("unitPrice", "unit_price"),
    ("discountPercent", "discount_percent"),
    ("discountAmount", "discount_amount"),
    ("taxPercent", "tax_percent"),
];

/// The quote lines: an array of plain objects whose keys are among
/// [`LINE_FIELDS`] (`priceQuote`, and the engine's `addQuote`).
pub(crate) fn quote_lines(lines: Value) -> crm::Result<Vec<QuoteLine>> {
    let Value::Array(lines) = lines else {
        return Err(Error::invalid(
            "lines",
            format!("must be an array of quote lines, not {}", type_of(&lines)),
        ));
    };
    lines
        .into_iter()
        .enumerate()
        .map(|(row, line)| quote_line(row, line))
        .collect()
}

fn quote_line(row: usize, line: Value) -> crm::Result<QuoteLine> {
    let Value::Object(map) = line else {
        return Err(Error::invalid(
            format!("lines[{row}]"),
            format!("must be a quote line (an object), not {}", type_of(&line)),
        ));
    };
    // Absent keys take the core's defaults (as its JSON reader does): no
    // product, quantity 0 (refused by the core on `lines[i].quantity`), tax 0.
    let mut out = QuoteLine::default();
    for (key, value) in map {
        let Some((_, field)) = LINE_FIELDS.iter().find(|(js, _)| *js == key) else {
            let mut reason = "is not a field of a quote line: product, description, quantity, \
                              unitPrice, discountPercent, discountAmount or taxPercent"
                .to_owned();
            // The core's snake_case name of a field: say the camelCase one.
            if let Some((js, _)) = LINE_FIELDS.iter().find(|(_, core)| *core == key) {
                reason.push_str(&format!(" (the keys are camelCase: {js})"));
            }
            return Err(Error::invalid(
                format!("lines[{row}].{}", shown(&key)),
                reason,
            ));
        };
        let at = format!("lines[{row}].{field}");
        let text = match value {
            Value::Null => continue,
            Value::String(text) => text,
            other => {
                let wanted = if *field == "product" || *field == "description" {
                    "a string"
                } else {
                    "a decimal string such as '49.90' (never a JS number)"
                };
                return Err(Error::invalid(
                    at,
                    format!("must be {wanted}, not {}", type_of(&other)),
                ));
            }
        };
        match *field {
            "product" => out.product = text,
            "description" => out.description = Some(text),
            "quantity" => out.quantity = decimal(&at, &text)?,
            "unit_price" => out.unit_price = Some(decimal(&at, &text)?),
            "discount_percent" => out.discount_percent = Some(decimal(&at, &text)?),
            "discount_amount" => out.discount_amount = Some(decimal(&at, &text)?),
            _ => out.tax_percent = decimal(&at, &text)?,
        }
    }
    Ok(out)
}
