//! Quotes on deals: versions, acceptance; winning the deal makes the
//! accepted version the contract's amount and lines.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::Opportunity;
use crate::plan::QuoteInput;

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Adds a version of a deal's quote, priced exactly as `priceQuote`
    /// prices (lines, an optional price list as JSON text, the currency:
    /// given, else the price list's, else the deal's expected amount's);
    /// earlier versions, an accepted one included, are superseded. Returns
    /// the deal with its `quotes`.
    ///
    /// # Errors
    ///
    /// `Validation` as `priceQuote` reports it (`lines[0].quantity`,
    /// `price_list`, ...); on `currency` when none is given or implied; on
    /// `lines` when there are none; on `valid_until` for a bad date; on
    /// `opportunity` when the deal is closed; `NotFound`, `Forbidden`.
    pub fn add_quote(
        &self,
        actor: Actor,
        opportunity: String,
        input: QuoteInput,
    ) -> Result<Opportunity, CrmError> {
        let actor = self::actor(actor)?;
        let opportunity = opportunity.parse()?;
        let input = input.try_into()?;
        Ok(self.engine()?.add_quote(&actor, opportunity, input)?.into())
    }

    /// The customer accepted `version` of the quote: its total becomes the
    /// deal's expected amount, and winning the deal makes a contract of its
    /// amount and lines (`Contract.quoteVersion`, `Contract.lines`).
    ///
    /// # Errors
    ///
    /// `Validation` on `version` when there is no such version, it was
    /// superseded or already accepted, or it expired; on `opportunity` when
    /// the deal is closed; `NotFound`, `Forbidden`.
    pub fn accept_quote(
        &self,
        actor: Actor,
        opportunity: String,
        version: u32,
    ) -> Result<Opportunity, CrmError> {
        let actor = self::actor(actor)?;
        let opportunity = opportunity.parse()?;
        Ok(self
            .engine()?
            .accept_quote(&actor, opportunity, version)?
            .into())
    }
}
