//! Quotes on deals: versions, acceptance, and the accepted quote becoming
//! the contract's amount and lines.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Crm, Note};
use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::model::{Currency, Money, Opportunity, OpportunityId, RecordKey};
use crate::quote::{self, PriceList, QuoteLine, QuoteStatus, QuoteVersion};
use crate::store::Store;

/// A new version of a deal's quote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuoteInput {
    /// The lines.
    pub lines: Vec<QuoteLine>,
    /// The currency (default: the price list's, else the deal's expected
    /// amount's).
    pub currency: Option<Currency>,
    /// Unit prices for lines that give none.
    pub price_list: Option<PriceList>,
    /// The last day it may be accepted.
    pub valid_until: Option<NaiveDate>,
    /// A note to the customer.
    pub note: Option<String>,
}

impl<S: Store> Crm<S> {
    fn open_deal(&self, actor: &Actor, id: OpportunityId) -> Result<Opportunity> {
        let deal: Opportunity = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &deal)?;
        if deal.closed_at.is_some() {
            return Err(
                Error::invalid("opportunity", format!("is closed ({})", deal.stage)).with_value(id),
            );
        }
        Ok(deal)
    }

    /// Adds a version of a deal's quote, priced exactly (see
    /// [`quote::price`]); earlier versions, an accepted one included, are
    /// superseded. The event carries the version and its total.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] as [`quote::price`] reports it; on `currency`
    /// when none is given or implied; on `lines` when there are none; on
    /// `opportunity` when the deal is closed; [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn add_quote(
        &mut self,
        actor: &Actor,
        opportunity: OpportunityId,
        input: QuoteInput,
    ) -> Result<Opportunity> {
        let before = self.open_deal(actor, opportunity)?;
        if input.lines.is_empty() {
            return Err(Error::invalid("lines", "a quote needs at least one line"));
        }
        let currency = input
            .currency
            .or_else(|| input.price_list.as_ref().map(|l| l.currency))
            .or_else(|| before.expected_amount.map(|a| a.currency()))
            .ok_or_else(|| {
                Error::invalid(
                    "currency",
                    "is needed: give one, a price list, or an expected amount",
                )
            })?;
        // A member level's quote discount goes on lines without one of their own.
        let mut input = input;
        let member_discount = self.member_benefit(before.customer, |b| b.quote_discount_percent)?;
        if let Some((_, percent)) = &member_discount {
            for line in &mut input.lines {
                if line.discount_percent.is_none() && line.discount_amount.is_none() {
                    line.discount_percent = Some(*percent);
                }
            }
        }
        let priced = quote::price(&input.lines, &currency, input.price_list.as_ref())?;
        let note = input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        let mut after = before.clone();
        let mut superseded = Vec::new();
        for earlier in &mut after.quotes {
            if earlier.status != QuoteStatus::Superseded {
                earlier.status = QuoteStatus::Superseded;
                superseded.push(earlier.version);
            }
        }
        let version = after.quotes.iter().map(|q| q.version).max().unwrap_or(0) + 1;
        let now = self.now();
        let total = priced.total;
        after.quotes.push(QuoteVersion {
            version,
            status: QuoteStatus::Open,
            created_at: now,
            valid_until: input.valid_until,
            price_list: input.price_list.map(|l| l.name),
            note,
            lines: input.lines,
            priced,
        });
        let mut tx = self.begin(actor);
        let mut payload = json!({ "version": version, "total": total, "superseded": superseded });
        if let Some((level, percent)) = member_discount {
            payload["member_discount"] = json!({ "level": level, "percent": percent });
        }
        let note = Note {
            action: "quote",
            reason: None,
            payload,
        };
        let after = self.put(&mut tx, Some(&before), after, note)?;
        self.finish(tx)?;
        Ok(after)
    }

    /// The customer accepted a version of the quote: its total becomes the
    /// deal's expected amount, and winning the deal makes a contract of its
    /// amount and lines.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `version` when there is no such version, it
    /// was superseded or already accepted, or it expired before today; on
    /// `opportunity` when the deal is closed; [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn accept_quote(
        &mut self,
        actor: &Actor,
        opportunity: OpportunityId,
        version: u32,
    ) -> Result<Opportunity> {
        let before = self.open_deal(actor, opportunity)?;
        let today = self.now().date_naive();
        let mut after = before.clone();
        let quote = after
            .quotes
            .iter_mut()
            .find(|q| q.version == version)
            .ok_or_else(|| {
                Error::invalid("version", "no such quote version").with_value(version)
            })?;
        match quote.status {
            QuoteStatus::Open => {}
            QuoteStatus::Accepted => {
                return Err(Error::invalid("version", "is already accepted").with_value(version));
            }
            QuoteStatus::Superseded => {
                return Err(Error::invalid(
                    "version",
                    "was superseded by a later version; quote again",
                )
                .with_value(version));
            }
        }
        if let Some(until) = quote.valid_until.filter(|until| *until < today) {
            return Err(
                Error::invalid("version", format!("expired on {until}")).with_value(version)
            );
        }
        quote.status = QuoteStatus::Accepted;
        let total: Money = quote.priced.total;
        after.expected_amount = Some(total);
        let mut tx = self.begin(actor);
        let note = Note {
            action: "accept_quote",
            reason: None,
            payload: json!({ "version": version, "total": total }),
        };
        let after = self.put(&mut tx, Some(&before), after, note)?;
        self.finish(tx)?;
        Ok(after)
    }
}
