//! Assignment: routing by the configured rules, the pool (claim, release),
//! due work, reclaiming what was not followed up, transferring a user's work,
//! and lead scores.

use napi::Env;
use napi_derive::napi;

use crm::{EntityKind, TeamId, UserId};

use crate::access::JsActor;
use crate::assign::{JsDueWork, JsRouting, JsScore};
use crate::clock::{TimeInput, opt_time};
use crate::engine::{Command, JsCrm, Pending};
use crate::model::{JsAnyRecord, record_key};

/// Options of `transferWork`: why, and to whom.
#[napi(object, js_name = "TransferWorkOptions", object_to_js = false)]
pub struct JsTransferWork {
    /// Why (required, not blank): kept in every record's `transfer` event.
    pub reason: String,
    /// The user to give everything to; without it, the rules decide for the
    /// kinds they route (never back to the user the work is taken from), and
    /// the rest goes to the pool.
    pub to: Option<String>,
}

#[napi]
impl JsCrm {
    /// Routes records of one kind by the assignment rules, in one commit: each
    /// goes to the user the first matching rule chooses, or to its team's pool
    /// with the reason. Leads are decided best score first. Returns a routing
    /// per record, in the order of `ids`, with the trace of every rule tried;
    /// each record's `route` event keeps it too.
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind, on `kind`
    /// for a kind nobody owns, on `lead_id` (etc.) for a malformed id, on `ids`
    /// when one is listed twice; `not_found`; `forbidden` (assign);
    /// `invalid_transition` for a closed record; `conflict` when another
    /// command routed at the same time (retry).
    #[napi]
    pub fn route(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        ids: Vec<String>,
    ) -> napi::Result<Vec<JsRouting>> {
        self.run(&env, route(actor, kind, ids))
    }

    /// `route` off the main thread: a Promise of the routings, rejected with
    /// the `Error` that `route` throws.
    #[napi(ts_return_type = "Promise<Array<Routing>>")]
    pub fn route_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        ids: Vec<String>,
    ) -> Pending<Vec<JsRouting>> {
        self.spawn(route(actor, kind, ids))
    }

    /// Routes one lead by the assignment rules (see `route`).
    ///
    /// @throws {Error} as `route`: `validation` on `lead_id`; `not_found`;
    /// `forbidden` (assign); `invalid_transition`; `conflict`.
    #[napi]
    pub fn route_lead(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsRouting> {
        self.run(&env, route_lead(actor, id))
    }

    /// `routeLead` off the main thread: a Promise of the routing, rejected
    /// with the `Error` that `routeLead` throws.
    #[napi(ts_return_type = "Promise<Routing>")]
    pub fn route_lead_async(&self, actor: JsActor, id: String) -> Pending<JsRouting> {
        self.spawn(route_lead(actor, id))
    }

    /// Routes everything in a pool (records of `kind` nobody owns, in `team`'s
    /// pool or in every pool) by the assignment rules, best lead first, in one
    /// commit (see `route`).
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind, on `kind`
    /// for a kind nobody owns, on `team_id`; `forbidden` (assign); `conflict`.
    #[napi]
    pub fn route_pool(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        team: Option<String>,
    ) -> napi::Result<Vec<JsRouting>> {
        self.run(&env, route_pool(actor, kind, team))
    }

    /// `routePool` off the main thread: a Promise of the routings, rejected
    /// with the `Error` that `routePool` throws.
    #[napi(ts_return_type = "Promise<Array<Routing>>")]
    pub fn route_pool_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        team: Option<String>,
    ) -> Pending<Vec<JsRouting>> {
        self.spawn(route_pool(actor, kind, team))
    }

    /// The open records of `kind` nobody owns (in `team`'s pool, or every
    /// pool) that the actor may see or claim, each tagged with its kind (see
    /// `AnyRecord`): leads best score first, then oldest first.
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind, on `kind`
    /// for a kind nobody owns (activities, users, teams), on `team_id`.
    #[napi]
    pub fn pool(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        team: Option<String>,
    ) -> napi::Result<Vec<JsAnyRecord>> {
        self.run(&env, pool(actor, kind, team))
    }

    /// `pool` off the main thread: a Promise of the records, rejected with the
    /// `Error` that `pool` throws.
    #[napi(ts_return_type = "Promise<Array<AnyRecord>>")]
    pub fn pool_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        team: Option<String>,
    ) -> Pending<Vec<JsAnyRecord>> {
        self.spawn(pool(actor, kind, team))
    }

    /// Takes a record from the pool: it becomes the actor's (a lead's first
    /// contact falls due). Anyone who may create records of the kind may claim
    /// from their own team's pool; another team's needs the assign permission.
    /// Returns the record, tagged with its kind (see `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `owner` when someone owns it already, on
    /// `claim_limit` when the actor holds as many open records of the kind as
    /// the configured limit, on `entity`, `kind` or `lead_id` (etc.);
    /// `not_found`; `forbidden` (assign); `invalid_transition` when it is
    /// closed.
    #[napi]
    pub fn claim(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        id: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, claim(actor, kind, id))
    }

    /// `claim` off the main thread: a Promise of the record, rejected with the
    /// `Error` that `claim` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn claim_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        id: String,
    ) -> Pending<JsAnyRecord> {
        self.spawn(claim(actor, kind, id))
    }

    /// Gives a record back to its team's pool, for a reason. Its owner may
    /// release it; anyone else needs the assign permission. Returns the
    /// record, tagged with its kind (see `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `reason` when it is blank, on `owner`
    /// when the record is in the pool already, on `entity`, `kind` or
    /// `lead_id` (etc.); `not_found`; `forbidden`; `invalid_transition` when it
    /// is closed.
    #[napi]
    pub fn release(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        id: String,
        reason: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, release(actor, kind, id, reason))
    }

    /// `release` off the main thread: a Promise of the record, rejected with
    /// the `Error` that `release` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn release_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'task'"
        )]
        kind: String,
        id: String,
        reason: String,
    ) -> Pending<JsAnyRecord> {
        self.spawn(release(actor, kind, id, reason))
    }

    /// What is due per user by `now` (an RFC 3339 string or a `Date`; default:
    /// the engine's clock) plus the configured look-ahead: first contacts and
    /// follow-ups of open leads, open tasks, win-backs of customers at risk
    /// or dormant (`win_back`, due the follow-up time after they entered that
    /// stage), and the open installments of contracts' payment plans due
    /// within `payment_reminder_days` or overdue (`installment`, for the
    /// contract's owner), earliest first, each flagged overdue when its time
    /// is past. Only records the actor may read count.
    ///
    /// @throws {Error} `validation` on `now` when it is malformed; `forbidden`
    /// (read).
    #[napi]
    pub fn due_work(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> napi::Result<Vec<JsDueWork>> {
        self.run(&env, due_work(actor, now))
    }

    /// `dueWork` off the main thread: a Promise of the due work, rejected with
    /// the `Error` that `dueWork` throws.
    #[napi(ts_return_type = "Promise<Array<DueWork>>")]
    pub fn due_work_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> Pending<Vec<JsDueWork>> {
        self.spawn(due_work(actor, now))
    }

    /// Takes back the leads not contacted in time by `now` (an RFC 3339 string
    /// or a `Date`; default: the engine's clock), in one commit: to the pool,
    /// or to the next user by the rules, as the configured `reclaim` policy
    /// says. Returns a routing per lead taken back; each gets a `reclaim`
    /// event naming the owner it was taken from and why. Leads the actor may
    /// not assign are left alone.
    ///
    /// @throws {Error} `validation` on `now` when it is malformed; `conflict`
    /// when another command changed one at the same time (retry).
    #[napi]
    pub fn reclaim_overdue(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> napi::Result<Vec<JsRouting>> {
        self.run(&env, reclaim_overdue(actor, now))
    }

    /// `reclaimOverdue` off the main thread: a Promise of the routings,
    /// rejected with the `Error` that `reclaimOverdue` throws.
    #[napi(ts_return_type = "Promise<Array<Routing>>")]
    pub fn reclaim_overdue_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "string | Date")] now: Option<TimeInput>,
    ) -> Pending<Vec<JsRouting>> {
        self.spawn(reclaim_overdue(actor, now))
    }

    /// Moves every open item of the user `from` (leads, customers, contacts,
    /// deals, contracts, tickets, tasks) to others, in one commit, for a
    /// reason: to `to` when given; otherwise by the rules for the kinds they
    /// route (never back to `from`), and to the pool for the rest. Returns a
    /// routing per item; each gets a `transfer` event.
    ///
    /// @example
    /// ```js
    /// crm.transferWork(sue, 'ana', { reason: 'parental leave' })
    /// crm.transferWork(sue, 'bo', { reason: 'covering', to: 'ana' })
    /// ```
    ///
    /// @throws {Error} `validation` on `reason` when it is blank, on `from` or
    /// `to` for a malformed user id, on `to` when it is `from`; `forbidden`
    /// (assign) unless the actor may assign every item.
    #[napi]
    pub fn transfer_work(
        &self,
        env: Env,
        actor: JsActor,
        from: String,
        options: JsTransferWork,
    ) -> napi::Result<Vec<JsRouting>> {
        self.run(&env, transfer_work(actor, from, options))
    }

    /// `transferWork` off the main thread: a Promise of the routings, rejected
    /// with the `Error` that `transferWork` throws.
    #[napi(ts_return_type = "Promise<Array<Routing>>")]
    pub fn transfer_work_async(
        &self,
        actor: JsActor,
        from: String,
        options: JsTransferWork,
    ) -> Pending<Vec<JsRouting>> {
        self.spawn(transfer_work(actor, from, options))
    }

    /// Scores a lead by the configured scoring rules and keeps the score as
    /// its `qualityScore` (with a `score` event when it changed). Returns the
    /// score and the rules that gave it points.
    ///
    /// @throws {Error} `validation` on `lead_id`; `not_found`; `forbidden`
    /// (edit).
    #[napi]
    pub fn score_lead(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsScore> {
        self.run(&env, score_lead(actor, id))
    }

    /// `scoreLead` off the main thread: a Promise of the score, rejected with
    /// the `Error` that `scoreLead` throws.
    #[napi(ts_return_type = "Promise<Score>")]
    pub fn score_lead_async(&self, actor: JsActor, id: String) -> Pending<JsScore> {
        self.spawn(score_lead(actor, id))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn route(actor: JsActor, kind: String, ids: Vec<String>) -> Command<Vec<JsRouting>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let keys = ids
            .iter()
            .map(|id| record_key(&kind, id))
            .collect::<crm::Result<Vec<_>>>()?;
        Ok(routings(crm.route(&actor, &keys)?))
    })
}

fn route_lead(actor: JsActor, id: String) -> Command<JsRouting> {
    Box::new(move |crm| Ok(crm.route_lead(&actor.to_core()?, id.parse()?)?.into()))
}

fn route_pool(actor: JsActor, kind: String, team: Option<String>) -> Command<Vec<JsRouting>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let kind: EntityKind = kind.parse()?;
        let team = team.map(TeamId::new).transpose()?;
        Ok(routings(crm.route_pool(&actor, kind, team.as_ref())?))
    })
}

fn pool(actor: JsActor, kind: String, team: Option<String>) -> Command<Vec<JsAnyRecord>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let kind: EntityKind = kind.parse()?;
        let team = team.map(TeamId::new).transpose()?;
        let records = crm.pool(&actor, kind, team.as_ref())?;
        Ok(records.into_iter().map(JsAnyRecord::from).collect())
    })
}

fn claim(actor: JsActor, kind: String, id: String) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(crm.claim(&actor, record_key(&kind, &id)?)?.into())
    })
}

fn release(actor: JsActor, kind: String, id: String, reason: String) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(crm
            .release(&actor, record_key(&kind, &id)?, &reason)?
            .into())
    })
}

fn due_work(actor: JsActor, now: Option<TimeInput>) -> Command<Vec<JsDueWork>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let now = opt_time("now", now)?.unwrap_or_else(|| crm.now());
        let work = crm.due_work(&actor, now)?;
        Ok(work.into_iter().map(JsDueWork::from).collect())
    })
}

fn reclaim_overdue(actor: JsActor, now: Option<TimeInput>) -> Command<Vec<JsRouting>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let now = opt_time("now", now)?.unwrap_or_else(|| crm.now());
        Ok(routings(crm.reclaim_overdue(&actor, now)?))
    })
}

fn transfer_work(actor: JsActor, from: String, options: JsTransferWork) -> Command<Vec<JsRouting>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let from = UserId::new(from).map_err(|err| err.in_field("from"))?;
        let to = options
            .to
            .map(|to| UserId::new(to).map_err(|err| err.in_field("to")))
            .transpose()?;
        Ok(routings(crm.transfer_work(
            &actor,
            &from,
            to.as_ref(),
            &options.reason,
        )?))
    })
}

fn score_lead(actor: JsActor, id: String) -> Command<JsScore> {
    Box::new(move |crm| Ok(crm.score_lead(&actor.to_core()?, id.parse()?)?.into()))
}

fn routings(routings: Vec<crm::assign::Routing>) -> Vec<JsRouting> {
    routings.into_iter().map(JsRouting::from).collect()
}
