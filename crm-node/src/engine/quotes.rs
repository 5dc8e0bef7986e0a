//! Quotes on deals: versions, acceptance, and the accepted quote becoming the
//! contract's amount and lines when the deal is won.

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crm::QuoteInput;

use crate::access::JsActor;
use crate::config::{ConfigInput, price_list};
use crate::convert::{count_u32, date};
use crate::engine::{Command, JsCrm, Pending};
use crate::model::JsOpportunity;
use crate::payments::quote_lines;

/// A new version of a deal's quote, for `addQuote`.
#[napi(object, js_name = "QuoteInput", object_to_js = false)]
pub struct JsQuoteInput {
    /// The lines, as `priceQuote` takes them: `{ product, description?,
    /// quantity, unitPrice?, discountPercent?, discountAmount?, taxPercent? }`
    /// with every number a decimal string.
    #[napi(ts_type = "Array<QuoteLine>")]
    pub lines: Value,
    /// The currency, an ISO 4217 code (default: the price list's, else the
    /// deal's expected amount's).
    pub currency: Option<String>,
    /// Unit prices for the lines that give none: the core's price list JSON
    /// (`{ name, currency, prices: { product: '49.90' } }`, a string or an
    /// object), as `priceQuote` takes it. The version keeps its name.
    #[napi(ts_type = "string | Record<string, any>")]
    pub price_list: Option<ConfigInput>,
    /// The last day it may be accepted, `YYYY-MM-DD`.
    pub valid_until: Option<String>,
    /// A note to the customer.
    pub note: Option<String>,
}

impl JsQuoteInput {
    /// The core input.
    fn into_core(self) -> crm::Result<QuoteInput> {
        Ok(QuoteInput {
            lines: quote_lines(self.lines)?,
            currency: self.currency.map(|code| code.parse()).transpose()?,
            price_list: price_list(self.price_list)?,
            valid_until: self
                .valid_until
                .map(|text| date("valid_until", &text))
                .transpose()?,
            note: self.note,
        })
    }
}

#[napi]
impl JsCrm {
    /// Adds a version of a deal's quote, priced exactly as `priceQuote` prices
    /// it; earlier versions, an accepted one included, become `superseded`.
    /// Returns the deal, its `quotes` holding the new version last (`{
    /// version, status: 'open', createdAt, validUntil, priceList, note, lines,
    /// priced }`).
    ///
    /// @example
    /// ```js
    /// const deal = crm.addQuote(ana, dealId, {
    ///   lines: [{ product: 'seat', quantity: '10', taxPercent: '19' }],
    ///   priceList: { name: '2026', currency: 'EUR', prices: { seat: '49.90' } },
    ///   validUntil: '2026-03-31',
    /// })
    /// deal.quotes[0].priced.total // { amount: '593.81', currency: 'EUR' }
    /// ```
    ///
    /// @throws {Error} `validation` on `lines` when there are none, and as
    /// `priceQuote` reports a line (`lines[0].unit_price`, ...) or the price
    /// list (`price_list`); on `currency` when it is unknown, or none is given
    /// or implied; on `valid_until` for a malformed date; on `opportunity` when
    /// the deal is closed; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn add_quote(
        &self,
        env: Env,
        actor: JsActor,
        opportunity: String,
        quote: JsQuoteInput,
    ) -> napi::Result<JsOpportunity> {
        self.run(&env, add_quote(actor, opportunity, quote))
    }

    /// `addQuote` off the main thread: a Promise of the deal, rejected with
    /// the `Error` that `addQuote` throws.
    #[napi(ts_return_type = "Promise<Opportunity>")]
    pub fn add_quote_async(
        &self,
        actor: JsActor,
        opportunity: String,
        quote: JsQuoteInput,
    ) -> Pending<JsOpportunity> {
        self.spawn(add_quote(actor, opportunity, quote))
    }

    /// The customer accepted a version of the deal's quote: it becomes
    /// `accepted` and its total the deal's expected amount; winning the deal
    /// then makes a contract of that amount, its `lines` the version's priced
    /// lines and its `quoteVersion` the version.
    ///
    /// @throws {Error} `validation` on `version` when it is not a whole number
    /// from 1, there is no such version, it was superseded or already
    /// accepted, or it expired before today; on `opportunity` when the deal is
    /// closed; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn accept_quote(
        &self,
        env: Env,
        actor: JsActor,
        opportunity: String,
        version: f64,
    ) -> napi::Result<JsOpportunity> {
        self.run(&env, accept_quote(actor, opportunity, version))
    }

    /// `acceptQuote` off the main thread: a Promise of the deal, rejected with
    /// the `Error` that `acceptQuote` throws.
    #[napi(ts_return_type = "Promise<Opportunity>")]
    pub fn accept_quote_async(
        &self,
        actor: JsActor,
        opportunity: String,
        version: f64,
    ) -> Pending<JsOpportunity> {
        self.spawn(accept_quote(actor, opportunity, version))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn add_quote(actor: JsActor, opportunity: String, quote: JsQuoteInput) -> Command<JsOpportunity> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = opportunity.parse()?;
        Ok(crm.add_quote(&actor, id, quote.into_core()?)?.into())
    })
}

fn accept_quote(actor: JsActor, opportunity: String, version: f64) -> Command<JsOpportunity> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = opportunity.parse()?;
        let version = count_u32("version", version)?;
        Ok(crm.accept_quote(&actor, id, version)?.into())
    })
}
