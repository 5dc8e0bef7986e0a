//! Service tickets.

use napi::Env;
use napi_derive::napi;

use crm::{TeamId, UserId};

use crate::access::JsActor;
use crate::engine::{Command, JsCrm, Pending};
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
        self.run(&env, open_ticket(actor, ticket))
    }

    /// `openTicket` off the main thread: a Promise of the ticket, rejected with
    /// the `Error` that `openTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn open_ticket_async(&self, actor: JsActor, ticket: JsNewTicket) -> Pending<JsTicket> {
        self.spawn(open_ticket(actor, ticket))
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
        self.run(&env, assign_ticket(actor, id, assignee))
    }

    /// `assignTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `assignTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn assign_ticket_async(
        &self,
        actor: JsActor,
        id: String,
        assignee: String,
    ) -> Pending<JsTicket> {
        self.spawn(assign_ticket(actor, id, assignee))
    }

    /// Starts work on a ticket (→ `in_progress`).
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `ticket_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn start_ticket(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, start_ticket(actor, id))
    }

    /// `startTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `startTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn start_ticket_async(&self, actor: JsActor, id: String) -> Pending<JsTicket> {
        self.spawn(start_ticket(actor, id))
    }

    /// Waits for the customer (→ `awaiting_customer`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn await_customer(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, await_customer(actor, id))
    }

    /// `awaitCustomer` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `awaitCustomer` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn await_customer_async(&self, actor: JsActor, id: String) -> Pending<JsTicket> {
        self.spawn(await_customer(actor, id))
    }

    /// The customer replied (→ `in_progress`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn customer_replied(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, customer_replied(actor, id))
    }

    /// `customerReplied` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `customerReplied` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn customer_replied_async(&self, actor: JsActor, id: String) -> Pending<JsTicket> {
        self.spawn(customer_replied(actor, id))
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
        self.run(&env, resolve_ticket(actor, id, resolution))
    }

    /// `resolveTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `resolveTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn resolve_ticket_async(
        &self,
        actor: JsActor,
        id: String,
        resolution: String,
    ) -> Pending<JsTicket> {
        self.spawn(resolve_ticket(actor, id, resolution))
    }

    /// Closes a resolved ticket (→ `closed`).
    ///
    /// @throws {Error} as `startTicket`.
    #[napi]
    pub fn close_ticket(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTicket> {
        self.run(&env, close_ticket(actor, id))
    }

    /// `closeTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `closeTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn close_ticket_async(&self, actor: JsActor, id: String) -> Pending<JsTicket> {
        self.spawn(close_ticket(actor, id))
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
        self.run(&env, reopen_ticket(actor, id, reason))
    }

    /// `reopenTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `reopenTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn reopen_ticket_async(
        &self,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> Pending<JsTicket> {
        self.spawn(reopen_ticket(actor, id, reason))
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
        self.run(&env, transfer_ticket(actor, id, group, reason))
    }

    /// `transferTicket` off the main thread: a Promise of the ticket, rejected
    /// with the `Error` that `transferTicket` throws.
    #[napi(ts_return_type = "Promise<Ticket>")]
    pub fn transfer_ticket_async(
        &self,
        actor: JsActor,
        id: String,
        group: String,
        reason: String,
    ) -> Pending<JsTicket> {
        self.spawn(transfer_ticket(actor, id, group, reason))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn open_ticket(actor: JsActor, ticket: JsNewTicket) -> Command<JsTicket> {
    Box::new(move |crm| {
        Ok(crm
            .open_ticket(&actor.to_core()?, ticket.into_core()?)?
            .into())
    })
}

fn assign_ticket(actor: JsActor, id: String, assignee: String) -> Command<JsTicket> {
    Box::new(move |crm| {
        let ticket = crm.assign_ticket(&actor.to_core()?, id.parse()?, UserId::new(assignee)?)?;
        Ok(ticket.into())
    })
}

fn start_ticket(actor: JsActor, id: String) -> Command<JsTicket> {
    Box::new(move |crm| Ok(crm.start_ticket(&actor.to_core()?, id.parse()?)?.into()))
}

fn await_customer(actor: JsActor, id: String) -> Command<JsTicket> {
    Box::new(move |crm| Ok(crm.await_customer(&actor.to_core()?, id.parse()?)?.into()))
}

fn customer_replied(actor: JsActor, id: String) -> Command<JsTicket> {
    Box::new(move |crm| Ok(crm.customer_replied(&actor.to_core()?, id.parse()?)?.into()))
}

fn resolve_ticket(actor: JsActor, id: String, resolution: String) -> Command<JsTicket> {
    Box::new(move |crm| {
        Ok(crm
            .resolve_ticket(&actor.to_core()?, id.parse()?, &resolution)?
            .into())
    })
}

fn close_ticket(actor: JsActor, id: String) -> Command<JsTicket> {
    Box::new(move |crm| Ok(crm.close_ticket(&actor.to_core()?, id.parse()?)?.into()))
}

fn reopen_ticket(actor: JsActor, id: String, reason: String) -> Command<JsTicket> {
    Box::new(move |crm| {
        Ok(crm
            .reopen_ticket(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}

fn transfer_ticket(actor: JsActor, id: String, group: String, reason: String) -> Command<JsTicket> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let id = id.parse()?;
        let ticket = crm.transfer_ticket(&actor, id, TeamId::new(group)?, &reason)?;
        Ok(ticket.into())
    })
}
