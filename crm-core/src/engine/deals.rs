//! Opportunities and contracts.

use serde_json::json;

use crate::access::{Actor, Permission};
use crate::engine::{Crm, Note, TransitionInput};
use crate::error::{Error, Result};
use crate::model::{
    Contract, ContractId, Customer, EntityKind, NewOpportunity, Opportunity, OpportunityId,
    RecordKey,
};
use crate::store::Store;

impl<S: Store> Crm<S> {
    /// Opens a deal with a customer, in the pipeline's first stage.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `customer` when none is named,
    /// [`Error::NotFound`] when it does not exist, [`Error::Forbidden`] unless
    /// the actor may create this deal, [`Error::Validation`] for a blank name or
    /// a negative amount.
    pub fn create_opportunity(
        &mut self,
        actor: &Actor,
        new: NewOpportunity,
    ) -> Result<Opportunity> {
        let customer_id = new
            .customer
            .ok_or_else(|| Error::invalid("customer", "a deal belongs to a customer"))?;
        let customer: Customer = self.load(&RecordKey::from(customer_id))?;
        let deals = self.machine(EntityKind::Opportunity)?;
        let stage = deals.initial.clone();
        let probability = deals.state(&stage).and_then(|s| s.probability).unwrap_or(0);
        let mut tx = self.begin(actor);
        let owner = new.owner.or_else(|| Some(actor.user.clone()));
        let team = match self.team_of(owner.as_ref(), actor)? {
            Some(team) => Some(team),
            None => customer.team.clone(),
        };
        let opportunity = Opportunity {
            id: OpportunityId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(&tx),
            name: new.name,
            stage,
            customer: customer_id,
            contact: new.contact,
            lead: None,
            owner,
            team,
            product_line: new.product_line,
            expected_amount: new.expected_amount,
            expected_close_date: new.expected_close_date,
            probability,
            lost_reason: None,
            contract: None,
            closed_at: None,
            custom: new.custom,
            quotes: Vec::new(),
        };
        self.authorize_create(actor, &opportunity)?;
        let opportunity = self.put(&mut tx, None, opportunity, Note::action("create"))?;
        self.finish(tx)?;
        Ok(opportunity)
    }

    /// Moves a deal to the next stage of its pipeline, or to the stage named
    /// (forwards or back). The stage's probability applies, its required fields
    /// are checked, and its on-entry actions run (the default `proposal` stage
    /// hands the host a `send_quote_template` message).
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`] naming the missing fields
    /// (e.g. `expected_amount` to enter `proposal`).
    pub fn advance_opportunity(
        &mut self,
        actor: &Actor,
        id: OpportunityId,
        to_stage: Option<&str>,
    ) -> Result<Opportunity> {
        let input = TransitionInput {
            to: to_stage.map(str::to_string),
            ..TransitionInput::default()
        };
        let before: Opportunity = self.load(&RecordKey::from(id))?;
        let machine = self.machine(EntityKind::Opportunity)?;
        // "advance" goes to the next stage; to any other named stage, "move".
        let action = match to_stage {
            Some(stage)
                if machine
                    .step(&id.to_string(), &before.stage, "advance", Some(stage))
                    .is_err() =>
            {
                "move"
            }
            _ => "advance",
        };
        self.transition_typed(actor, id.into(), action, input)
    }

    /// Wins a deal: it needs an expected amount; a draft contract with the next
    /// contract number is created for that amount, and a customer still in
    /// `prospect` moves on (`onboard`), all in one commit.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`] on `expected_amount` when
    /// it is missing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let customer = crm.create_customer(&ana, NewCustomer { name: "Acme".into(), ..Default::default() })?;
    /// let deal = crm.create_opportunity(&ana, NewOpportunity {
    ///     name: "Presses".into(),
    ///     customer: Some(customer.id),
    ///     ..Default::default()
    /// })?;
    /// // No amount, no win.
    /// let err = crm.win_opportunity(&ana, deal.id).unwrap_err();
    /// assert!(matches!(&err, Error::Validation { fields, .. } if fields == &["expected_amount"]));
    ///
    /// crm.update::<Opportunity>(&ana, deal.id, 1, |d| d.expected_amount = Some(Money::parse("900", "EUR").unwrap()))?;
    /// let (won, contract) = crm.win_opportunity(&ana, deal.id)?;
    /// assert_eq!((won.stage.as_str(), contract.number.as_str()), ("won", "C-000001"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn win_opportunity(
        &mut self,
        actor: &Actor,
        id: OpportunityId,
    ) -> Result<(Opportunity, Contract)> {
        let before: Opportunity = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &before)?;
        let machine = self.machine(EntityKind::Opportunity)?;
        // Check the move and its guards before taking a contract number.
        let transition = machine
            .step(&id.to_string(), &before.stage, "win", None)?
            .clone();
        let json = serde_json::to_value(&before)
            .map_err(|e| Error::storage("a record did not serialise", e))?;
        machine.check_guards(&transition, None, |field| super::has_field(&json, field))?;
        // An accepted quote sets what the contract sells and for how much.
        let accepted = before
            .quotes
            .iter()
            .find(|q| q.status == crate::quote::QuoteStatus::Accepted);
        let Some(amount) = accepted.map(|q| q.priced.total).or(before.expected_amount) else {
            return Err(Error::invalid(
                "expected_amount",
                "a deal is won for an amount",
            ));
        };
        let number = self.store.next_number("contract")?;
        let mut tx = self.begin(actor);
        let contract = Contract {
            id: ContractId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(&tx),
            number: format!("{}{number:06}", self.config.contract_number_prefix),
            status: self.initial_state(EntityKind::Contract)?,
            customer: before.customer,
            opportunity: Some(id),
            owner: before.owner.clone(),
            team: before.team.clone(),
            amount,
            signed_at: None,
            ended_at: None,
            termination_reason: None,
            custom: Default::default(),
            payment_plan: None,
            quote_version: accepted.map(|q| q.version),
            lines: accepted.map(|q| q.priced.lines.clone()).unwrap_or_default(),
        };
        let contract_id = contract.id;
        let input = TransitionInput::default();
        let won = self.step(
            &mut tx,
            &before,
            "win",
            &input,
            json!({ "contract": contract_id }),
            |deal| {
                deal.contract = Some(contract_id);
            },
        )?;
        let note = Note {
            action: "create",
            reason: None,
            payload: json!({ "opportunity": id }),
        };
        let contract = self.put(&mut tx, None, contract, note)?;
        let customer: Customer = self.load(&RecordKey::from(before.customer))?;
        let customers = self.machine(EntityKind::Customer)?;
        if customers
            .step(&customer.id.to_string(), &customer.stage, "onboard", None)
            .is_ok()
        {
            let input = TransitionInput {
                reason: Some("first deal won".into()),
                ..TransitionInput::default()
            };
            self.step(
                &mut tx,
                &customer,
                "onboard",
                &input,
                json!({ "opportunity": id }),
                |_| {},
            )?;
        }
        self.finish(tx)?;
        Ok((won, contract))
    }

    /// Loses a deal, with a reason from the pipeline's list (`price`, `budget`,
    /// `competitor`, ... by default).
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`] on `reason` when it is not
    /// in the list.
    pub fn lose_opportunity(
        &mut self,
        actor: &Actor,
        id: OpportunityId,
        reason: &str,
    ) -> Result<Opportunity> {
        self.transition_typed(actor, id.into(), "lose", with_reason(reason))
    }

    /// Signs a draft contract.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn sign_contract(&mut self, actor: &Actor, id: ContractId) -> Result<Contract> {
        self.transition_contract(actor, id.into(), "sign", TransitionInput::default())
    }

    /// Puts a signed contract into force.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn activate_contract(&mut self, actor: &Actor, id: ContractId) -> Result<Contract> {
        self.transition_contract(actor, id.into(), "activate", TransitionInput::default())
    }

    /// Completes an active contract.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn complete_contract(&mut self, actor: &Actor, id: ContractId) -> Result<Contract> {
        self.transition_contract(actor, id.into(), "complete", TransitionInput::default())
    }

    /// Terminates a contract early, with a reason.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`] on `reason` when it is blank.
    pub fn terminate_contract(
        &mut self,
        actor: &Actor,
        id: ContractId,
        reason: &str,
    ) -> Result<Contract> {
        self.transition_contract(actor, id.into(), "terminate", with_reason(reason))
    }
}

pub(super) fn with_reason(reason: &str) -> TransitionInput {
    TransitionInput {
        reason: Some(reason.to_string()),
        ..TransitionInput::default()
    }
}
