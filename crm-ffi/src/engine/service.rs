//! Service: tickets from opening to closing.

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::model::{NewTicket, Ticket, team, user};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Opens a ticket, in the opener's service group unless `group` says.
    /// Its SLA clocks (`sla`) start by the most specific configured policy;
    /// a `contract` not in force, or a `warrantyUntil` that has passed, is
    /// flagged in `outOfScope`; and when assignment rules apply to tickets it
    /// is routed at once (the routing is in its `assign` event).
    ///
    /// # Errors
    ///
    /// `Validation` on a blank subject, an unknown `priority`, a malformed
    /// `contract_id` or `warranty_until`; `NotFound` for a contract that does
    /// not exist; `Forbidden`.
    pub fn open_ticket(&self, actor: Actor, ticket: NewTicket) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let ticket = ticket.try_into()?;
        Ok(self.engine()?.open_ticket(&actor, ticket)?.into())
    }

    /// Assigns a ticket to an agent (taking it oneself needs edit, giving it
    /// to someone else assign).
    ///
    /// # Errors
    ///
    /// `InvalidTransition`, `NotFound`, `Forbidden`.
    pub fn assign_ticket(
        &self,
        actor: Actor,
        id: String,
        assignee: String,
    ) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let assignee = user(assignee)?;
        Ok(self.engine()?.assign_ticket(&actor, id, assignee)?.into())
    }

    /// Starts work on a ticket.
    ///
    /// # Errors
    ///
    /// `InvalidTransition`, `NotFound`, `Forbidden`.
    pub fn start_ticket(&self, actor: Actor, id: String) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.start_ticket(&actor, id)?.into())
    }

    /// Waits for the customer.
    ///
    /// # Errors
    ///
    /// As `startTicket`.
    pub fn await_customer(&self, actor: Actor, id: String) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.await_customer(&actor, id)?.into())
    }

    /// The customer replied: back to work.
    ///
    /// # Errors
    ///
    /// As `startTicket`.
    pub fn customer_replied(&self, actor: Actor, id: String) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.customer_replied(&actor, id)?.into())
    }

    /// Resolves a ticket, saying how.
    ///
    /// # Errors
    ///
    /// `Validation` on a blank `resolution`; as `startTicket`.
    pub fn resolve_ticket(
        &self,
        actor: Actor,
        id: String,
        resolution: String,
    ) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self
            .engine()?
            .resolve_ticket(&actor, id, &resolution)?
            .into())
    }

    /// Closes a resolved ticket.
    ///
    /// # Errors
    ///
    /// As `startTicket`.
    pub fn close_ticket(&self, actor: Actor, id: String) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.close_ticket(&actor, id)?.into())
    }

    /// Reopens a resolved ticket, for a reason.
    ///
    /// # Errors
    ///
    /// `Validation` on `reason`; as `startTicket`.
    pub fn reopen_ticket(
        &self,
        actor: Actor,
        id: String,
        reason: String,
    ) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        Ok(self.engine()?.reopen_ticket(&actor, id, &reason)?.into())
    }

    /// Hands a ticket to another service group, for a reason; it starts over
    /// unassigned.
    ///
    /// # Errors
    ///
    /// `Validation` on `team_id` or `reason`; `Forbidden` (assign); as
    /// `startTicket`.
    pub fn transfer_ticket(
        &self,
        actor: Actor,
        id: String,
        group: String,
        reason: String,
    ) -> Result<Ticket, CrmError> {
        let actor = self::actor(actor)?;
        let id = id.parse()?;
        let group = team(group)?;
        Ok(self
            .engine()?
            .transfer_ticket(&actor, id, group, &reason)?
            .into())
    }
}
