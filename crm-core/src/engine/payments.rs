//! Payment plans on contracts: set, pay, reverse, write off, milestones,
//! reschedule; receivables and collections.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Crm, Note, TransitionInput, Tx};
use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::lifecycle::OnEnter;
use crate::model::{
    AnyRecord, Contract, ContractId, CustomerId, EntityKind, Money, RecordKey, UserId,
};
use crate::schedule::{Aging, PaymentPlan, Terms, split};
use crate::store::{Query, Store};

/// A payment to record on a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// The caller's reference (a bank transaction id), unique per contract.
    pub id: String,
    /// How much, in the contract's currency.
    pub amount: Money,
    /// When it was received (default: today by the engine's clock).
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// The installments to pay, in order (default: the open ones, oldest due
    /// first).
    #[serde(default)]
    pub to: Option<Vec<u32>>,
}

/// What one contract is owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivable {
    /// The contract.
    pub contract: ContractId,
    /// Its number.
    pub number: String,
    /// Its customer.
    pub customer: CustomerId,
    /// Its owner.
    pub owner: Option<UserId>,
    /// What the plan asks in total.
    pub total: Money,
    /// Paid to date.
    pub paid: Money,
    /// Still owed.
    pub outstanding: Money,
    /// Received beyond what was owed.
    pub credit: Money,
    /// What is owed, by age past due.
    pub aging: Aging,
}

/// Money collected by one owner in one currency over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collected {
    /// The contracts' owner (`None`: contracts without one).
    pub owner: Option<UserId>,
    /// The amount received (reversed payments left out).
    pub amount: Money,
    /// How many payments.
    pub payments: usize,
}

impl<S: Store> Crm<S> {
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Loads a contract the actor may edit.
    fn editable_contract(&self, actor: &Actor, id: ContractId) -> Result<Contract> {
        let contract: Contract = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &contract)?;
        Ok(contract)
    }

    /// Writes a contract whose plan changed, with its event; completes it
    /// when that left it paid and delivered.
    fn put_plan(
        &mut self,
        actor: &Actor,
        before: &Contract,
        plan: PaymentPlan,
        action: &str,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<Contract> {
        let mut after = before.clone();
        after.payment_plan = Some(plan);
        let mut tx = self.begin(actor);
        let note = Note {
            action,
            reason: reason.map(str::to_string),
            payload,
        };
        let after = self.put(&mut tx, Some(before), after, note)?;
        let after = self.complete_if_done(&mut tx, after)?;
        self.finish(tx)?;
        Ok(after)
    }

    /// After a contract moved to a new state: fires the milestones its
    /// state emits (the default lifecycle's `signed` emits
    /// `contract_signed`) on the plan, then completes it if it is done.
    pub(super) fn contract_entered(&mut self, tx: &mut Tx, contract: Contract) -> Result<Contract> {
        let topics = self.emitted_topics(&contract.status)?;
        let Some(mut plan) = contract.payment_plan.clone() else {
            return Ok(contract);
        };
        let on = tx.now.date_naive();
        let mut fired = Vec::new();
        for topic in topics {
            if !plan.milestones.contains_key(&topic) {
                let dated = plan.reach_milestone(&topic, on)?;
                fired.push(json!({ "event": topic, "dated": dated }));
            }
        }
        let contract = if fired.is_empty() {
            contract
        } else {
            let mut after = contract.clone();
            after.payment_plan = Some(plan);
            let note = Note {
                action: "milestone",
                reason: None,
                payload: json!({ "on": on, "fired": fired, "state": contract.status }),
            };
            self.put(tx, Some(&contract), after, note)?
        };
        self.complete_if_done(tx, contract)
    }

    /// The topics a contract state emits on entry.
    fn emitted_topics(&self, state: &str) -> Result<Vec<String>> {
        Ok(self
            .machine(EntityKind::Contract)?
            .state(state)
            .map(|s| {
                s.on_enter
                    .iter()
                    .filter_map(|a| match a {
                        OnEnter::Emit { topic } => Some(topic.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Completes a contract whose plan is settled and whose delivery
    /// milestone ([`Config::contract_delivery`](super::Config::contract_delivery))
    /// was reached, when its lifecycle allows `complete` from where it is.
    fn complete_if_done(&mut self, tx: &mut Tx, contract: Contract) -> Result<Contract> {
        let Some(plan) = &contract.payment_plan else {
            return Ok(contract);
        };
        let delivered = match &self.config.contract_delivery {
            Some(event) => plan.milestones.contains_key(event),
            None => true,
        };
        let can_complete = self
            .machine(EntityKind::Contract)?
            .step(&contract.id.to_string(), &contract.status, "complete", None)
            .is_ok();
        if !(self.config.complete_paid_contracts && plan.is_settled() && delivered && can_complete)
        {
            return Ok(contract);
        }
        let input = TransitionInput {
            reason: Some("paid and delivered".into()),
            ..TransitionInput::default()
        };
        let payload = json!({ "automatic": true, "delivery": self.config.contract_delivery });
        self.step(tx, &contract, "complete", &input, payload, |_| {})
    }

    /// The milestones a contract's history has reached: the topics of the
    /// states it entered, on the day it entered them (first time each).
    fn reached_milestones(&self, contract: &Contract) -> Result<BTreeMap<String, NaiveDate>> {
        let mut reached = BTreeMap::new();
        for event in self.store.history(&RecordKey::from(contract.id))? {
            let Some(to) = event.to.as_deref() else {
                continue;
            };
            if event.from.as_deref() == Some(to) {
                continue;
            }
            for topic in self.emitted_topics(to)? {
                reached.entry(topic).or_insert(event.at.date_naive());
            }
        }
        Ok(reached)
    }

    fn plan_of(contract: &Contract) -> Result<PaymentPlan> {
        contract.payment_plan.clone().ok_or_else(|| {
            Error::invalid("contract", "has no payment plan; set one first")
                .with_value(&contract.number)
        })
    }

    /// Gives a contract a payment plan: its amount split by `terms`, date
    /// rules counted from `base` (default: the day it was signed, or today).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] as [`split`] reports it; on `contract` when its
    /// plan already has payments (reschedule it instead);
    /// [`Error::NotFound`], [`Error::Forbidden`].
    pub fn set_payment_plan(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        terms: &Terms,
        base: Option<NaiveDate>,
    ) -> Result<Contract> {
        let before = self.editable_contract(actor, contract)?;
        if before
            .payment_plan
            .as_ref()
            .is_some_and(|p| !p.payments.is_empty())
        {
            return Err(Error::invalid(
                "contract",
                "its plan has payments; reschedule it instead",
            ));
        }
        let base = base
            .or_else(|| before.signed_at.map(|at| at.date_naive()))
            .unwrap_or_else(|| self.today());
        let mut plan = PaymentPlan::new(&terms.name, split(&before.amount, terms, Some(base))?)?;
        // Milestones the contract has already passed (signed, say) date
        // their lines at once.
        for (event, on) in self.reached_milestones(&before)? {
            plan.reach_milestone(&event, on)?;
        }
        let payload = json!({ "terms": terms, "base": base, "replaced": before.payment_plan });
        self.put_plan(actor, &before, plan, "set_payment_plan", None, payload)
    }

    /// Records a payment on a contract (see [`PaymentPlan::record_payment`]).
    /// The event carries its allocations and any credit.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `amount`, `id`, `installment`, or on
    /// `contract` without a plan; [`Error::NotFound`], [`Error::Forbidden`].
    pub fn record_payment(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        payment: PaymentInput,
    ) -> Result<Contract> {
        let before = self.editable_contract(actor, contract)?;
        let mut plan = Self::plan_of(&before)?;
        let on = payment.on.unwrap_or_else(|| self.today());
        let recorded = plan
            .record_payment(&payment.id, payment.amount, on, payment.to.as_deref())?
            .clone();
        let payload = json!({ "payment": recorded, "settled": plan.is_settled() });
        self.put_plan(actor, &before, plan, "payment", None, payload)
    }

    /// Reverses a payment (it bounced): what it paid is owed again.
    ///
    /// # Errors
    ///
    /// As [`PaymentPlan::reverse_payment`]; [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn reverse_payment(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        id: &str,
        reason: &str,
    ) -> Result<Contract> {
        let before = self.editable_contract(actor, contract)?;
        let mut plan = Self::plan_of(&before)?;
        plan.reverse_payment(id, self.today(), reason)?;
        let payload = json!({ "payment": id });
        self.put_plan(
            actor,
            &before,
            plan,
            "reverse_payment",
            Some(reason.trim()),
            payload,
        )
    }

    /// Writes off what is left of an installment; only the roles in
    /// [`Config::write_off_roles`](super::Config::write_off_roles) may.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] for another role; as [`PaymentPlan::write_off`].
    pub fn write_off_installment(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        installment: u32,
        reason: &str,
    ) -> Result<Contract> {
        let before = self.editable_contract(actor, contract)?;
        if !actor
            .roles
            .iter()
            .any(|r| self.config.write_off_roles.contains(r))
        {
            return Err(Error::Forbidden {
                actor: actor.user.to_string(),
                action: "write_off".into(),
                entity: EntityKind::Contract,
                id: Some(contract.to_string()),
            });
        }
        let mut plan = Self::plan_of(&before)?;
        let amount = plan.write_off(installment, self.today(), reason)?;
        let payload = json!({ "installment": installment, "amount": amount });
        self.put_plan(
            actor,
            &before,
            plan,
            "write_off",
            Some(reason.trim()),
            payload,
        )
    }

    /// A milestone happened (`delivery_accepted`, ...): it is recorded on the
    /// plan and the installments waiting for it get their due dates, counted
    /// from `on` (default today). Reaching the delivery milestone of a paid
    /// contract completes it. States that emit a topic fire it on their own
    /// (`contract_signed` on signing, by default).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `event` when it is blank or already reached;
    /// on `contract` without a plan; [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn reach_milestone(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        event: &str,
        on: Option<NaiveDate>,
    ) -> Result<Contract> {
        let before = self.editable_contract(actor, contract)?;
        let mut plan = Self::plan_of(&before)?;
        let on = on.unwrap_or_else(|| self.today());
        let dated = plan.reach_milestone(event, on)?;
        let payload = json!({ "event": event.trim(), "on": on, "dated": dated });
        self.put_plan(actor, &before, plan, "milestone", None, payload)
    }

    /// Re-splits what is still owed by new terms, keeping what was paid (see
    /// [`PaymentPlan::reschedule`]); the event keeps the old plan.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reason` when empty, as
    /// [`PaymentPlan::reschedule`] reports it; [`Error::NotFound`],
    /// [`Error::Forbidden`].
    pub fn reschedule_payments(
        &mut self,
        actor: &Actor,
        contract: ContractId,
        terms: &Terms,
        base: Option<NaiveDate>,
        reason: &str,
    ) -> Result<Contract> {
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "a reschedule needs a reason"));
        }
        let before = self.editable_contract(actor, contract)?;
        let mut plan = Self::plan_of(&before)?;
        let old = plan.clone();
        let base = base.unwrap_or_else(|| self.today());
        let added = plan.reschedule(terms, Some(base))?;
        let payload = json!({ "old_plan": old, "terms": terms, "added": added });
        self.put_plan(
            actor,
            &before,
            plan,
            "reschedule",
            Some(reason.trim()),
            payload,
        )
    }

    /// What each contract with a plan is owed on `today` (the actor's
    /// readable contracts; one customer's with `customer`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] when the actor may read no contract.
    pub fn receivables(
        &self,
        actor: &Actor,
        customer: Option<CustomerId>,
        today: NaiveDate,
    ) -> Result<Vec<Receivable>> {
        let mut query = Query::new(EntityKind::Contract);
        if let Some(customer) = customer {
            query = query.parent(RecordKey::from(customer));
        }
        let mut out = Vec::new();
        for record in self.list(actor, &query)? {
            let AnyRecord::Contract(contract) = record else {
                continue;
            };
            let Some(plan) = &contract.payment_plan else {
                continue;
            };
            out.push(Receivable {
                contract: contract.id,
                number: contract.number.clone(),
                customer: contract.customer,
                owner: contract.owner.clone(),
                total: plan.total()?,
                paid: plan.paid()?,
                outstanding: plan.outstanding()?,
                credit: plan.credit,
                aging: plan.aging(today)?,
            });
        }
        Ok(out)
    }

    /// Money received from `from` (inclusive) to `until` (exclusive), per
    /// contract owner and currency, reversed payments left out.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] when the actor may read no contract.
    pub fn collected(
        &self,
        actor: &Actor,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<Collected>> {
        let mut sums: BTreeMap<(Option<UserId>, String), (Money, usize)> = BTreeMap::new();
        for record in self.list(actor, &Query::new(EntityKind::Contract))? {
            let AnyRecord::Contract(contract) = record else {
                continue;
            };
            let Some(plan) = &contract.payment_plan else {
                continue;
            };
            for payment in &plan.payments {
                if payment.reversed.is_some() || payment.on < from || payment.on >= until {
                    continue;
                }
                let key = (contract.owner.clone(), plan.currency.code().to_string());
                let entry = sums.entry(key).or_insert((Money::zero(plan.currency), 0));
                entry.0 = entry.0.checked_add(&payment.amount)?;
                entry.1 += 1;
            }
        }
        Ok(sums
            .into_iter()
            .map(|((owner, _), (amount, payments))| Collected {
                owner,
                amount,
                payments,
            })
            .collect())
    }

    /// The installment reminders of `due_work`: open installments due within
    /// the configured lead time, and overdue ones, for the contract's owner.
    pub(super) fn installment_work(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<(UserId, super::DueItem)>> {
        let today = now.date_naive();
        let days = self.config.payment_reminder_days;
        let horizon = now + chrono::Duration::days(i64::from(days) + 1);
        let mut out = Vec::new();
        let query = Query::new(EntityKind::Contract).due_before(horizon);
        for record in self.list(actor, &query)? {
            let AnyRecord::Contract(contract) = &record else {
                continue;
            };
            let (Some(owner), Some(plan)) = (&contract.owner, &contract.payment_plan) else {
                continue;
            };
            let (mut soon, overdue) = plan.due_soon(today, days);
            // An ended contract asks for nothing new; what is overdue stays owed.
            if self
                .machine(EntityKind::Contract)?
                .state(&contract.status)
                .is_some_and(|s| s.terminal)
            {
                soon.clear();
            }
            for line in soon.into_iter().chain(overdue) {
                let Some(due) = line.due_date.and_then(|d| d.and_hms_opt(0, 0, 0)) else {
                    continue;
                };
                let open = Money::new(line.open(), plan.currency)?;
                out.push((
                    owner.clone(),
                    super::DueItem {
                        subject: record.key(),
                        kind: super::DueKind::Installment,
                        title: format!(
                            "{} #{} {}: {} {}",
                            contract.number,
                            line.number,
                            line.label,
                            open.amount(),
                            plan.currency
                        ),
                        due_at: due.and_utc(),
                        overdue: line.due_date.is_some_and(|d| d < today),
                        care: None,
                    },
                ));
            }
        }
        Ok(out)
    }
}
