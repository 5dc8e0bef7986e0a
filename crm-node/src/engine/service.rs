//! Service tickets.

use napi::Env;
use napi_derive::napi;

use crm::{TeamId, UserId};

use crate::access::JsActor;
use crate::engine::JsCrm;
use crate::model::{JsNewTicket, JsTicket};

#[napi]
impl JsCrm {
    /// Opens a ticket (status `new`) in a team's queue.
    ///
    /// @throws {Error} `validation` on `subject`, `priority`, `customer_id`,
    /// `team_id`, ...; `forbidden` (create).
    #[napi]
    pub fn open_ticket(
        &self,
        env: Env,
        actor: JsActor,
        ticket: JsNewTicket,
    ) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm
                .open_ticket(&actor.to_core()?, ticket.into_core()?)?
                .into())
        })
    }

    /// Assigns a ticket to a user (`new` → `assigned`).
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `ticket_id` or
    /// `user_id`; `not_found`; `forbidden` (assign).
    #[napi]
    pub fn assign_ticket(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        assignee: String,
    ) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            let ticket =
                crm.assign_ticket(&actor.to_core()?, id.parse()?, UserId::new(assignee)?)?;
            Ok(ticket.into())
        })
    }

    /// Starts work on a ticket (→ `in_progress`).
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `ticket_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn start_ticket(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm.start_ticket(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Waits for the customer (→ `awaiting_customer`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn await_customer(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm.await_customer(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// The customer replied (→ `in_progress`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn customer_replied(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm.customer_replied(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Resolves a ticket, saying how (→ `resolved`).
    ///
    /// @throws {Error} `validation` on `resolution` when it is blank; as
    /// `startTicket`.
    #[napi]
    pub fn resolve_ticket(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        resolution: String,
    ) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm
                .resolve_ticket(&actor.to_core()?, id.parse()?, &resolution)?
                .into())
        })
    }

    /// Closes a resolved ticket (→ `closed`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn close_ticket(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm.close_ticket(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Reopens a ticket, for a reason (→ `reopened`).
    ///
    /// @throws {Error} `validation` on `reason` when it is blank; as
    /// `startTicket`.
    #[napi]
    pub fn reopen_ticket(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            Ok(crm
                .reopen_ticket(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }

    /// Moves a ticket to another team's queue, for a reason (→ `new`,
    /// unassigned).
    ///
    /// @throws {Error} `validation` on `team_id` or `reason`; `forbidden`
    /// (assign); as `startTicket`.
    #[napi]
    pub fn transfer_ticket(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        group: String,
        reason: String,
    ) -> napi::Result<JsTicket> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let id = id.parse()?;
            let ticket = crm.transfer_ticket(&actor, id, TeamId::new(group)?, &reason)?;
            Ok(ticket.into())
        })
    }
}
