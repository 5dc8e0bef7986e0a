//! Tickets: open, assign, work, wait for the customer, resolve, close, reopen
//! and transfer.

use serde_json::{Value, json};

use crate::access::{Actor, Permission};
use crate::engine::deals::with_reason;
use crate::engine::{Crm, Note, TransitionInput};
use crate::error::Result;
use crate::model::{
    AnyRecord, Contract, EntityKind, NewTicket, RecordKey, TeamId, Ticket, TicketId, UserId,
};
use crate::sla::TicketSla;
use crate::store::Store;

impl<S: Store> Crm<S> {
    /// Opens a ticket in its group's queue. Its SLA clocks start by the
    /// most specific configured policy; a link to a contract that is not in
    /// force, or a warranty that has ended, is flagged in `out_of_scope`; and
    /// when assignment rules apply to tickets it is routed at once (the
    /// routing is in the event).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`](crate::Error::Forbidden) unless the actor may create
    /// tickets; [`Error::Validation`](crate::Error::Validation) for a blank
    /// subject or invalid custom values; [`Error::NotFound`](crate::Error::NotFound)
    /// for a contract that does not exist.
    pub fn open_ticket(&mut self, actor: &Actor, new: NewTicket) -> Result<Ticket> {
        let mut new = new;
        // A member level's benefits: a lowest priority (which picks the SLA
        // policy) and categories served free of the warranty.
        let mut benefits = serde_json::Map::new();
        if let Some(customer) = new.customer {
            let benefit = self.member_benefit(customer, |b| Some(b.clone()))?;
            if let Some((level, b)) = benefit {
                if let Some(floor) = b.ticket_priority.filter(|p| *p > new.priority) {
                    benefits.insert(
                        "priority".into(),
                        json!({ "level": level, "from": new.priority, "to": floor }),
                    );
                    new.priority = floor;
                }
                if new
                    .category
                    .as_ref()
                    .is_some_and(|c| b.free_service.contains(c))
                {
                    benefits.insert("free_service".into(), json!({ "level": level }));
                }
            }
        }
        let free_service = benefits.contains_key("free_service");
        let mut tx = self.begin(actor);
        let today = tx.now.date_naive();
        let out_of_scope = match (new.warranty_until, new.contract) {
            (Some(until), _) if until < today && !free_service => {
                Some(format!("the warranty ended on {until}"))
            }
            (_, Some(id)) => {
                let contract: Contract = self.load(&RecordKey::from(id))?;
                let machine = self.machine(EntityKind::Contract)?;
                let in_force = contract.status != machine.initial
                    && machine
                        .state(&contract.status)
                        .is_some_and(|state| !state.terminal);
                (!in_force).then(|| format!("contract {} is {}", contract.number, contract.status))
            }
            _ => None,
        };
        let status = self.initial_state(EntityKind::Ticket)?;
        let tier = match new.customer {
            Some(id) => self
                .store
                .get(&RecordKey::from(id))?
                .and_then(|record| match record {
                    AnyRecord::Customer(customer) => customer.tier,
                    _ => None,
                }),
            None => None,
        };
        let facts = crate::sla::TicketFacts {
            priority: new.priority,
            category: new.category.as_deref(),
            tier,
            customer: new.customer,
        };
        let sla = match self.config.sla.policy_for(&facts) {
            Some(policy) => {
                let paused = self.config.sla.pause_statuses.contains(&status);
                Some(TicketSla::start(&self.config.sla, policy, tx.now, paused)?)
            }
            None => None,
        };
        let ticket = Ticket {
            id: TicketId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(&tx),
            subject: new.subject,
            status,
            priority: new.priority,
            category: new.category,
            channel: new.channel,
            customer: new.customer,
            contact: new.contact,
            group: new.group.or_else(|| actor.team.clone()),
            assignee: None,
            resolution: None,
            reopen_count: 0,
            resolved_at: None,
            closed_at: None,
            custom: new.custom,
            contract: new.contract,
            order: new.order,
            warranty_until: new.warranty_until,
            out_of_scope,
            sla,
            survey: None,
        };
        self.authorize_create(actor, &ticket)?;
        let note = Note {
            action: "create",
            reason: None,
            payload: if benefits.is_empty() {
                serde_json::Value::Null
            } else {
                json!({ "member_benefits": benefits })
            },
        };
        let ticket = self.put(&mut tx, None, ticket, note)?;
        let ticket = self.route_new_ticket(&mut tx, ticket)?;
        self.finish(tx)?;
        Ok(ticket)
    }

    /// Assigns a ticket to an agent (taking it yourself needs edit; giving it to
    /// someone else needs assign). The agent is notified through the outbox.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn assign_ticket(
        &mut self,
        actor: &Actor,
        id: TicketId,
        assignee: UserId,
    ) -> Result<Ticket> {
        let permission = if assignee == actor.user {
            Permission::Edit
        } else {
            Permission::Assign
        };
        self.ticket_step(
            actor,
            id,
            "assign",
            TransitionInput::default(),
            permission,
            |ticket| {
                ticket.assignee = Some(assignee);
            },
        )
    }

    /// Starts work on a ticket.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn start_ticket(&mut self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.transition_typed(actor, id.into(), "start", TransitionInput::default())
    }

    /// Puts a ticket on hold until the customer answers.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn await_customer(&mut self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.transition_typed(
            actor,
            id.into(),
            "await_customer",
            TransitionInput::default(),
        )
    }

    /// Resumes a ticket the customer has answered.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn customer_replied(&mut self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.transition_typed(
            actor,
            id.into(),
            "customer_replied",
            TransitionInput::default(),
        )
    }

    /// Resolves a ticket, saying how.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`](crate::Error::Validation)
    /// on `resolution` when it is blank.
    pub fn resolve_ticket(
        &mut self,
        actor: &Actor,
        id: TicketId,
        resolution: &str,
    ) -> Result<Ticket> {
        let resolution = resolution.to_string();
        self.ticket_step(
            actor,
            id,
            "resolve",
            TransitionInput::default(),
            Permission::Edit,
            |ticket| {
                ticket.resolution = Some(resolution).filter(|r| !r.trim().is_empty());
            },
        )
    }

    /// Closes a resolved ticket.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn close_ticket(&mut self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        self.transition_typed(actor, id.into(), "close", TransitionInput::default())
    }

    /// Reopens a resolved ticket the customer is not satisfied with; the
    /// group's supervisor is notified.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`](crate::Error::Validation)
    /// on `reason` when it is blank.
    pub fn reopen_ticket(&mut self, actor: &Actor, id: TicketId, reason: &str) -> Result<Ticket> {
        self.transition_typed(actor, id.into(), "reopen", with_reason(reason))
    }

    /// Hands a ticket to another group: it goes back to `new`, unassigned, in
    /// that group's queue.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`] (needs assign).
    pub fn transfer_ticket(
        &mut self,
        actor: &Actor,
        id: TicketId,
        group: TeamId,
        reason: &str,
    ) -> Result<Ticket> {
        self.ticket_step(
            actor,
            id,
            "transfer",
            with_reason(reason),
            Permission::Assign,
            |ticket| {
                ticket.group = Some(group);
                ticket.assignee = None;
            },
        )
    }

    fn ticket_step(
        &mut self,
        actor: &Actor,
        id: TicketId,
        action: &str,
        input: TransitionInput,
        permission: Permission,
        prepare: impl FnOnce(&mut Ticket),
    ) -> Result<Ticket> {
        let before: Ticket = self.load(&RecordKey::from(id))?;
        self.authorize(actor, permission, &before)?;
        let mut tx = self.begin(actor);
        let payload = match action {
            "transfer" => json!({ "from_group": before.group }),
            _ => Value::Null,
        };
        let after = self.step(&mut tx, &before, action, &input, payload, prepare)?;
        self.finish(tx)?;
        Ok(after)
    }
}
