//! Payment plans on contracts: set, pay, reverse, write off, milestones,
//! reschedule; receivables and collections. Terms templates are JSON text as
//! for `splitPayments`, dates `YYYY-MM-DD` strings, money [`Money`]. The
//! default access policy lets supervisors and admins edit contracts, not
//! sales users; only the configuration's `write_off_roles` may write off.

use crm::schedule::Terms;

use crate::access::Actor;
use crate::clock::parse_date;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::Contract;
use crate::plan::{Collected, PaymentInput, Receivable};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Gives a contract a payment plan: its amount split by the terms
    /// template `termsJson` (as for `splitPayments`), date rules counted from
    /// `base` (`YYYY-MM-DD`; default: the day it was signed, or today).
    /// Milestones the contract already passed (signing) date their lines.
    ///
    /// # Errors
    ///
    /// `Validation` as `splitPayments` reports it (`terms`,
    /// `terms.lines[1].percent`, ...), on `base`, on `contract` when its plan
    /// already has payments (reschedule it instead); `NotFound`, `Forbidden`.
    #[uniffi::method(default(base = None))]
    pub fn set_payment_plan(
        &self,
        actor: Actor,
        contract: String,
        terms_json: String,
        base: Option<String>,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        let terms = Terms::from_json(&terms_json)?;
        let base = base.map(|d| parse_date("base", &d)).transpose()?;
        Ok(self
            .engine()?
            .set_payment_plan(&actor, contract, &terms, base)?
            .into())
    }

    /// Records a payment on a contract: it pays the named installments
    /// (`to`) in order, or else the open ones oldest due first; what is left
    /// over becomes a credit. A paid contract whose delivery was accepted
    /// completes itself.
    ///
    /// # Errors
    ///
    /// `Validation` on `amount` (not above 0, another currency than the
    /// plan's), `amount.amount` / `amount.currency` (malformed), `id` (empty
    /// or used already), `installment` (not in the plan), `on`, on `contract`
    /// without a plan; `NotFound`, `Forbidden`.
    pub fn record_payment(
        &self,
        actor: Actor,
        contract: String,
        payment: PaymentInput,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        let payment = payment.try_into()?;
        Ok(self
            .engine()?
            .record_payment(&actor, contract, payment)?
            .into())
    }

    /// Reverses a payment (it bounced): what it paid is owed again.
    ///
    /// # Errors
    ///
    /// `Validation` on `id` (not a payment, or reversed already), `reason`
    /// (blank), `credit` (the credit it left was used since); `NotFound`,
    /// `Forbidden`.
    pub fn reverse_payment(
        &self,
        actor: Actor,
        contract: String,
        id: String,
        reason: String,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        Ok(self
            .engine()?
            .reverse_payment(&actor, contract, &id, &reason)?
            .into())
    }

    /// Writes off what is left of installment number `installment`; only
    /// the roles in the configuration's `write_off_roles` may.
    ///
    /// # Errors
    ///
    /// `Forbidden` for another role; `Validation` on `reason` (blank),
    /// `installment` (not in the plan, nothing left); `NotFound`.
    pub fn write_off_installment(
        &self,
        actor: Actor,
        contract: String,
        installment: u32,
        reason: String,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        Ok(self
            .engine()?
            .write_off_installment(&actor, contract, installment, &reason)?
            .into())
    }

    /// A milestone happened (`delivery_accepted`, ...) on `on` (`YYYY-MM-DD`,
    /// default today): the installments waiting for it get their due dates.
    /// Reaching the delivery milestone of a paid contract completes it.
    /// (Contract states fire their own: `contract_signed` on signing.)
    ///
    /// # Errors
    ///
    /// `Validation` on `event` when it is blank or reached already, on `on`,
    /// on `contract` without a plan; `NotFound`, `Forbidden`.
    #[uniffi::method(default(on = None))]
    pub fn reach_milestone(
        &self,
        actor: Actor,
        contract: String,
        event: String,
        on: Option<String>,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        let on = on.map(|d| parse_date("on", &d)).transpose()?;
        Ok(self
            .engine()?
            .reach_milestone(&actor, contract, &event, on)?
            .into())
    }

    /// Re-splits what is still owed by new terms (`termsJson`), dates counted
    /// from `base` (default today), keeping what was paid: open lines are
    /// replaced (kept for the record) by new ones numbered on.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason` when blank, as `splitPayments` reports the
    /// terms, on `base`; `NotFound`, `Forbidden`.
    #[uniffi::method(default(base = None))]
    pub fn reschedule_payments(
        &self,
        actor: Actor,
        contract: String,
        terms_json: String,
        reason: String,
        base: Option<String>,
    ) -> Result<Contract, CrmError> {
        let actor = self::actor(actor)?;
        let contract = contract.parse()?;
        let terms = Terms::from_json(&terms_json)?;
        let base = base.map(|d| parse_date("base", &d)).transpose()?;
        Ok(self
            .engine()?
            .reschedule_payments(&actor, contract, &terms, base, &reason)?
            .into())
    }

    /// What each contract with a plan is owed on `today` (`YYYY-MM-DD`), with
    /// its aging: the actor's readable contracts, one customer's with
    /// `customer`.
    ///
    /// # Errors
    ///
    /// `Validation` on `today`, on `customer_id` for a malformed id;
    /// `Forbidden` when the actor may read no contract.
    #[uniffi::method(default(customer = None))]
    pub fn receivables(
        &self,
        actor: Actor,
        today: String,
        customer: Option<String>,
    ) -> Result<Vec<Receivable>, CrmError> {
        let actor = self::actor(actor)?;
        let today = parse_date("today", &today)?;
        let customer = customer.map(|c| c.parse()).transpose()?;
        Ok(self
            .engine()?
            .receivables(&actor, customer, today)?
            .into_iter()
            .map(Receivable::from)
            .collect())
    }

    /// Money received from `fromDate` (inclusive) to `until` (exclusive),
    /// both `YYYY-MM-DD`, per contract owner and currency, reversed payments
    /// left out.
    ///
    /// # Errors
    ///
    /// `Validation` on `from` or `until`; `Forbidden` when the actor may read
    /// no contract.
    pub fn collected(
        &self,
        actor: Actor,
        from_date: String,
        until: String,
    ) -> Result<Vec<Collected>, CrmError> {
        let actor = self::actor(actor)?;
        let from = parse_date("from", &from_date)?;
        let until = parse_date("until", &until)?;
        Ok(self
            .engine()?
            .collected(&actor, from, until)?
            .into_iter()
            .map(Collected::from)
            .collect())
    }
}
