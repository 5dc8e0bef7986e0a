//! Assignment in the engine: routing by the rules, the pool (claim, release),
//! follow-up work, reclaiming what was not followed up, transferring a
//! leaving user's work, and lead scores.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access::{Actor, Permission};
use crate::assign::{Agent, Facts, Item, Router, RouterState, Routing, Score, Strategy};
use crate::engine::{Crm, Note, TransitionInput, Tx, to_json};
use crate::error::{Error, Result};
use crate::model::{AnyRecord, EntityKind, LeadId, Record, RecordKey, TeamId, UserId};
use crate::store::{Query, StateWrite, Store};

/// The name of the engine state the router keeps.
const ROUTER_STATE: &str = "assignment";

/// Where [`Crm::reclaim_overdue`] sends a lead it takes back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReclaimTo {
    /// Back to the pool of its team.
    #[default]
    Pool,
    /// To the next user the rules choose (never the one it is taken from);
    /// to the pool when they choose no one.
    NextUser,
}

/// What [`Crm::reclaim_overdue`] takes back, and where it goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reclaim {
    /// Hours past the due time before a lead is taken back (default 0).
    #[serde(default)]
    pub grace_hours: u32,
    /// Also take back contacted leads whose follow-up is overdue (default: only
    /// leads never contacted in time).
    #[serde(default)]
    pub follow_ups: bool,
    /// Where they go.
    #[serde(default)]
    pub to: ReclaimTo,
}

/// What is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// A newly assigned lead's first contact.
    FirstContact,
    /// A lead's next follow-up.
    FollowUp,
    /// A task's due time.
    Task,
    /// Winning back a customer the value refresh flagged at risk or dormant:
    /// due the configured follow-up time after they entered that stage.
    WinBack,
    /// A contract's installment: due within the payment reminder lead time,
    /// or overdue.
    Installment,
    /// A ticket's SLA target (first response or resolution): due soon, or
    /// breached.
    Sla,
    /// An escalation step of a ticket's SLA, due and not yet applied
    /// ([`Crm::escalate`]).
    Escalation,
    /// A closed ticket's satisfaction survey, to be sent.
    Survey,
    /// Customer care by the loyalty program's care rules (a birthday, no
    /// contact for a while, a first purchase, a level change, a stage):
    /// [`DueItem::care`] says which, why and what to do.
    Care,
}

impl DueKind {
    /// The name, as in JSON: `"first_contact"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DueKind::FirstContact => "first_contact",
            DueKind::FollowUp => "follow_up",
            DueKind::Task => "task",
            DueKind::WinBack => "win_back",
            DueKind::Installment => "installment",
            DueKind::Sla => "sla",
            DueKind::Escalation => "escalation",
            DueKind::Survey => "survey",
            DueKind::Care => "care",
        }
    }
}

/// One piece of due work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// The lead or task.
    pub subject: RecordKey,
    /// What is due.
    pub kind: DueKind,
    /// What to show: the lead's company or contact, the task's title.
    pub title: String,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// Whether that is already past.
    pub overdue: bool,
    /// For a care item: the rule, the reason and the suggested action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care: Option<crate::loyalty::CareDue>,
}

/// One user's due work, earliest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueWork {
    /// The user.
    pub user: UserId,
    /// How many of the items are overdue.
    pub overdue: usize,
    /// The items, earliest first.
    pub items: Vec<DueItem>,
}

/// A router loaded for one command, and the state version it started from.
struct Loaded {
    router: Router,
    saved: RouterState,
    version: u64,
}

impl<S: Store> Crm<S> {
    /// Routes records by the assignment rules, in one commit: each goes to the
    /// user the first matching rule chooses, or to the pool with the reason.
    /// Leads are decided best score first; deciding a batch spreads it exactly
    /// as deciding the records one by one in that order would. Every record
    /// gets an event (`route`) holding its [`Routing`], trace included.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`]; [`Error::Forbidden`] unless the actor may assign
    /// every record; [`Error::InvalidTransition`] when one is closed
    /// (a converted lead, a closed ticket); [`Error::Validation`] for a kind
    /// nobody owns; [`Error::Conflict`] when another command routed at the
    /// same time (retry).
    pub fn route(&mut self, actor: &Actor, keys: &[RecordKey]) -> Result<Vec<Routing>> {
        let mut records = Vec::with_capacity(keys.len());
        for key in keys {
            if keys.iter().filter(|k| *k == key).count() > 1 {
                return Err(Error::invalid("ids", format!("{key} is listed twice")).with_value(key));
            }
            let record = self.load_any(key)?;
            self.check_assignable(&record, "route")?;
            self.authorize_any(actor, Permission::Assign, &record)?;
            records.push(record);
        }
        let kinds: Vec<EntityKind> = records.iter().map(AnyRecord::kind).collect();
        let mut loaded = self.load_router(&kinds)?;
        let mut tx = self.begin(actor);
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by_key(|i| std::cmp::Reverse(score_of(&records[*i])));
        let mut results: Vec<Option<Routing>> = vec![None; records.len()];
        for i in order {
            let record = &records[i];
            let facts = self.facts_for(&loaded.router, record)?;
            let decision = loaded
                .router
                .decide(&Item::new(record.kind(), &facts), tx.now);
            let mut routing = loaded.router.explain(&decision, &facts);
            routing.subject = Some(record.key());
            if routing.team.is_none() {
                routing.team = record.team().cloned();
            }
            let payload = json!({ "routing": routing });
            self.give(
                &mut tx,
                record,
                routing.owner.clone(),
                routing.team.clone(),
                "route",
                None,
                payload,
            )?;
            results[i] = Some(routing);
        }
        self.save_router(
            &mut tx,
            &loaded,
            kinds.first().copied().unwrap_or(EntityKind::Lead),
        )?;
        self.finish(tx)?;
        Ok(results.into_iter().flatten().collect())
    }

    /// Routes one lead by the rules. See [`Crm::route`].
    ///
    /// # Errors
    ///
    /// As [`Crm::route`].
    pub fn route_lead(&mut self, actor: &Actor, id: LeadId) -> Result<Routing> {
        let mut routed = self.route(actor, &[RecordKey::from(id)])?;
        routed
            .pop()
            .ok_or_else(|| Error::not_found(EntityKind::Lead, id.to_string()))
    }

    /// Routes everything in a pool (of `kind`, in `team` or every pool), best
    /// lead first, in one commit. See [`Crm::route`].
    ///
    /// # Errors
    ///
    /// As [`Crm::route`].
    pub fn route_pool(
        &mut self,
        actor: &Actor,
        kind: EntityKind,
        team: Option<&TeamId>,
    ) -> Result<Vec<Routing>> {
        let keys: Vec<RecordKey> = self
            .pool(actor, kind, team)?
            .iter()
            .map(AnyRecord::key)
            .collect();
        self.route(actor, &keys)
    }

    /// The open records of a kind nobody owns (in `team`'s pool, or every
    /// pool) that the actor may see or claim: leads best score first, then
    /// oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] for a kind nobody owns.
    pub fn pool(
        &self,
        actor: &Actor,
        kind: EntityKind,
        team: Option<&TeamId>,
    ) -> Result<Vec<AnyRecord>> {
        if !AnyRecord::has_owner(kind) {
            return Err(
                Error::invalid("kind", format!("{kind}s have no owner and no pool"))
                    .with_value(kind),
            );
        }
        let mut query = Query::new(kind).unowned();
        if let Some(team) = team {
            query = query.team(team.clone());
        }
        let mut records = Vec::new();
        for record in self.store.query(&query)? {
            if self.is_open(&record)
                && (self.may_claim(actor, &record)
                    || self.authorize_any(actor, Permission::Read, &record).is_ok())
            {
                records.push(record);
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(score_of(r)));
        Ok(records)
    }

    /// Takes a record from the pool: it becomes the actor's. Anyone who may
    /// create records of the kind may claim from their own team's pool (or
    /// from records in no team's pool); another team's pool needs the assign
    /// permission on the record.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `owner` when someone owns it already, on
    /// `claim_limit` when the actor holds as many open records of the kind as
    /// the configured limit; [`Error::Forbidden`] as above;
    /// [`Error::InvalidTransition`]
    /// when it is closed.
    pub fn claim(&mut self, actor: &Actor, key: impl Into<RecordKey>) -> Result<AnyRecord> {
        let key = key.into();
        let record = self.load_any(&key)?;
        self.check_assignable(&record, "claim")?;
        if let Some(owner) = record.owner() {
            return Err(Error::invalid(
                "owner",
                format!("{key} belongs to {owner}; only a record in the pool can be claimed"),
            )
            .with_value(owner));
        }
        if !self.may_claim(actor, &record) {
            return Err(super::forbidden(actor, Permission::Assign, &key));
        }
        if let Some(limit) = self.config.claim_limit {
            let held = self.open_count(record.kind(), &actor.user)?;
            if held >= limit {
                return Err(Error::invalid(
                    "claim_limit",
                    format!(
                        "{} holds {held} open {}s; the limit to claim more is {limit}",
                        actor.user,
                        record.kind()
                    ),
                )
                .with_value(limit));
            }
        }
        let mut tx = self.begin(actor);
        let team = record.team().cloned().or_else(|| actor.team.clone());
        let after = self.give(
            &mut tx,
            &record,
            Some(actor.user.clone()),
            team,
            "claim",
            None,
            Value::Null,
        )?;
        self.finish(tx)?;
        Ok(after)
    }

    /// Gives a record back to its team's pool, with a reason. Its owner may
    /// release it; anyone else needs the assign permission.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reason` when it is blank, on `owner` when the
    /// record is in the pool already; [`Error::Forbidden`];
    /// [`Error::InvalidTransition`] when it is closed.
    pub fn release(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        reason: &str,
    ) -> Result<AnyRecord> {
        let key = key.into();
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "must not be blank"));
        }
        let record = self.load_any(&key)?;
        self.check_assignable(&record, "release")?;
        let Some(owner) = record.owner().cloned() else {
            return Err(Error::invalid(
                "owner",
                format!("{key} is in the pool already"),
            ));
        };
        let permission = if owner == actor.user {
            Permission::Edit
        } else {
            Permission::Assign
        };
        self.authorize_any(actor, permission, &record)?;
        let mut tx = self.begin(actor);
        let payload = json!({ "from": owner });
        let after = self.give(
            &mut tx,
            &record,
            None,
            None,
            "release",
            Some(reason.to_string()),
            payload,
        )?;
        self.finish(tx)?;
        Ok(after)
    }

    /// What is due per user by `now` plus the configured look-ahead: first
    /// contacts and follow-ups of open leads, open tasks, and win-backs of
    /// customers at risk or dormant (due the follow-up time after they
    /// entered that stage); each flagged overdue when its time is past. Only
    /// records the actor may read count.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may read leads and tasks.
    pub fn due_work(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<DueWork>> {
        let until = now + self.config.due_ahead;
        let mut by_user: BTreeMap<UserId, Vec<DueItem>> = BTreeMap::new();
        for record in self.list(actor, &Query::new(EntityKind::Lead).due_before(until))? {
            let AnyRecord::Lead(lead) = &record else {
                continue;
            };
            let Some(owner) = &lead.owner else { continue };
            if !self.is_open(&record) {
                continue;
            }
            let title = lead
                .company
                .clone()
                .or_else(|| lead.contact_name.clone())
                .unwrap_or_default();
            let due = [
                (
                    DueKind::FirstContact,
                    lead.first_contact_due_at
                        .filter(|_| lead.first_contacted_at.is_none()),
                ),
                (DueKind::FollowUp, lead.next_follow_up_at),
            ];
            for (kind, at) in due {
                if let Some(at) = at.filter(|at| *at < until) {
                    by_user.entry(owner.clone()).or_default().push(DueItem {
                        subject: record.key(),
                        kind,
                        title: title.clone(),
                        due_at: at,
                        overdue: at < now,
                        care: None,
                    });
                }
            }
        }
        for record in self.list(actor, &Query::new(EntityKind::Task).due_before(until))? {
            let AnyRecord::Task(task) = &record else {
                continue;
            };
            // A department's task, given to no one, is its supervisor's to hand out.
            let owner = match &task.assignee {
                Some(user) => Some(user.clone()),
                None => self.supervisor_of(task.team.as_ref())?,
            };
            let (Some(owner), Some(at)) = (owner, task.due_at) else {
                continue;
            };
            if self.is_open(&record) {
                by_user.entry(owner).or_default().push(DueItem {
                    subject: record.key(),
                    kind: DueKind::Task,
                    title: task.title.clone(),
                    due_at: at,
                    overdue: at < now,
                    care: None,
                });
            }
        }
        for stage in ["at_risk", "dormant"] {
            let query = Query::new(EntityKind::Customer).status(stage);
            for record in self.list(actor, &query)? {
                let AnyRecord::Customer(customer) = &record else {
                    continue;
                };
                let Some(owner) = &customer.owner else {
                    continue;
                };
                let since = customer.stage_since.unwrap_or(customer.meta.updated_at);
                let at = since + self.config.follow_up_after;
                if at < until {
                    by_user.entry(owner.clone()).or_default().push(DueItem {
                        subject: record.key(),
                        kind: DueKind::WinBack,
                        title: customer.name.clone(),
                        due_at: at,
                        overdue: at < now,
                        care: None,
                    });
                }
            }
        }
        for (owner, item) in self.installment_work(actor, now)? {
            by_user.entry(owner).or_default().push(item);
        }
        for (owner, item) in self.desk_work(actor, now, until)? {
            by_user.entry(owner).or_default().push(item);
        }
        for (owner, item) in self.care_work(actor, now, until)? {
            by_user.entry(owner).or_default().push(item);
        }
        Ok(by_user
            .into_iter()
            .map(|(user, mut items)| {
                items.sort_by(|a, b| (a.due_at, &a.subject.id).cmp(&(b.due_at, &b.subject.id)));
                DueWork {
                    user,
                    overdue: items.iter().filter(|i| i.overdue).count(),
                    items,
                }
            })
            .collect())
    }

    /// Takes back the leads not contacted in time (first contact due more than
    /// the grace period before `now`; with `follow_ups`, also overdue
    /// follow-ups), in one commit: to the pool, or to the next user by the
    /// rules, as the [`Reclaim`] policy says. Each gets a `reclaim` event
    /// naming the owner it was taken from and why. Leads the actor may not
    /// assign are left alone.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when another command changed one at the same time
    /// (retry).
    pub fn reclaim_overdue(&mut self, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<Routing>> {
        let policy = self.config.reclaim;
        let cutoff = now - Duration::hours(i64::from(policy.grace_hours));
        let mut overdue = Vec::new();
        for record in self
            .store
            .query(&Query::new(EntityKind::Lead).due_before(cutoff))?
        {
            let AnyRecord::Lead(lead) = &record else {
                continue;
            };
            if lead.owner.is_none() || !self.is_open(&record) {
                continue;
            }
            let why = match (lead.first_contact_due_at, lead.next_follow_up_at) {
                (Some(at), _) if lead.first_contacted_at.is_none() && at < cutoff => {
                    format!("first contact was due at {}", stamp(at))
                }
                (_, Some(at)) if policy.follow_ups && at < cutoff => {
                    format!("follow-up was due at {}", stamp(at))
                }
                _ => continue,
            };
            if self
                .authorize_any(actor, Permission::Assign, &record)
                .is_ok()
            {
                overdue.push((record, why));
            }
        }
        if overdue.is_empty() {
            return Ok(Vec::new());
        }
        let mut loaded = match policy.to {
            ReclaimTo::NextUser => Some(self.load_router(&[EntityKind::Lead])?),
            ReclaimTo::Pool => None,
        };
        let mut tx = self.begin(actor);
        let mut results = Vec::new();
        for (record, why) in overdue {
            let from = record.owner().cloned();
            let mut routing = match &mut loaded {
                Some(loaded) => {
                    let facts = self.facts_for(&loaded.router, &record)?;
                    let exclude: Vec<UserId> = from.iter().cloned().collect();
                    let item = Item::new(EntityKind::Lead, &facts).excluding(&exclude);
                    let decision = loaded.router.decide(&item, tx.now);
                    loaded.router.explain(&decision, &facts)
                }
                None => pooled(record.team().cloned(), String::new()),
            };
            routing.pool_reason = routing.pool_reason.map(|r| {
                if r.is_empty() {
                    why.clone()
                } else {
                    format!("{why}; {r}")
                }
            });
            routing.subject = Some(record.key());
            if routing.team.is_none() {
                routing.team = record.team().cloned();
            }
            let payload = json!({ "from": from, "routing": routing });
            self.give(
                &mut tx,
                &record,
                routing.owner.clone(),
                routing.team.clone(),
                "reclaim",
                Some(why),
                payload,
            )?;
            results.push(routing);
        }
        if let Some(loaded) = &loaded {
            self.save_router(&mut tx, loaded, EntityKind::Lead)?;
        }
        self.finish(tx)?;
        Ok(results)
    }

    /// Moves every open item of a user (leads, customers, contacts, deals,
    /// contracts, tickets, tasks) to others in one commit, with a `transfer`
    /// event each: to `to` when given; otherwise by the rules for the kinds
    /// they route (never back to `from`), and to the pool for the rest.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reason` when it is blank, on `to` when it is
    /// `from`; [`Error::Forbidden`] unless the actor may assign every item.
    pub fn transfer_work(
        &mut self,
        actor: &Actor,
        from: &UserId,
        to: Option<&UserId>,
        reason: &str,
    ) -> Result<Vec<Routing>> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "must not be blank"));
        }
        if to == Some(from) {
            return Err(Error::invalid("to", "is the user the work is taken from").with_value(from));
        }
        let mut items = Vec::new();
        for kind in EntityKind::ALL
            .into_iter()
            .filter(|k| AnyRecord::has_owner(*k))
        {
            for record in self.store.query(&Query::new(kind).owner(from.clone()))? {
                if record.owner() == Some(from) && self.is_open(&record) {
                    self.authorize_any(actor, Permission::Assign, &record)?;
                    items.push(record);
                }
            }
        }
        let kinds: Vec<EntityKind> = items.iter().map(AnyRecord::kind).collect();
        let mut loaded = self.load_router(&kinds)?;
        let to_team = match to {
            Some(user) => self.user_record(user)?.and_then(|u| u.team),
            None => None,
        };
        let mut tx = self.begin(actor);
        let mut results = Vec::new();
        let exclude = [from.clone()];
        for record in items {
            let mut routing = match to {
                Some(user) => Routing {
                    subject: None,
                    owner: Some(user.clone()),
                    team: to_team.clone(),
                    rule: None,
                    pool_reason: None,
                    trace: Vec::new(),
                },
                None if self.config.assignment.routes(record.kind()) => {
                    let facts = self.facts_for(&loaded.router, &record)?;
                    let item = Item::new(record.kind(), &facts).excluding(&exclude);
                    let decision = loaded.router.decide(&item, tx.now);
                    loaded.router.explain(&decision, &facts)
                }
                None => pooled(
                    record.team().cloned(),
                    format!("no rule routes {}s", record.kind()),
                ),
            };
            routing.subject = Some(record.key());
            if routing.team.is_none() {
                routing.team = record.team().cloned();
            }
            let payload = json!({ "from": from, "routing": routing });
            self.give(
                &mut tx,
                &record,
                routing.owner.clone(),
                routing.team.clone(),
                "transfer",
                Some(reason.to_string()),
                payload,
            )?;
            results.push(routing);
        }
        self.save_router(&mut tx, &loaded, EntityKind::Lead)?;
        self.finish(tx)?;
        Ok(results)
    }

    /// Scores a lead by the configured points rules, stores the score, and
    /// says which rules gave what (also in the `score` event).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`]; [`Error::Forbidden`] unless the actor may edit the
    /// lead.
    pub fn score_lead(&mut self, actor: &Actor, id: LeadId) -> Result<Score> {
        let before: crate::model::Lead = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &before)?;
        let score = self.config.lead_scoring.score(&to_json(&before)?);
        if before.quality_score != Some(score.score) {
            let mut tx = self.begin(actor);
            let mut after = before.clone();
            after.quality_score = Some(score.score);
            let note = Note {
                action: "score",
                reason: None,
                payload: json!({ "score": score }),
            };
            self.put(&mut tx, Some(&before), after, note)?;
            self.finish(tx)?;
        }
        Ok(score)
    }

    // ----- machinery -----------------------------------------------------------

    /// Routing and scoring of a lead being created (no owner given).
    pub(super) fn place_new_lead(
        &mut self,
        tx: &mut Tx,
        lead: &mut crate::model::Lead,
    ) -> Result<Value> {
        let mut payload = serde_json::Map::new();
        if lead.quality_score.is_none() && !self.config.lead_scoring.is_empty() {
            let score = self.config.lead_scoring.score(&to_json(&*lead)?);
            lead.quality_score = Some(score.score);
            payload.insert("score".into(), json!(score));
        }
        if lead.owner.is_none() && self.config.assignment.routes(EntityKind::Lead) {
            let mut loaded = self.load_router(&[EntityKind::Lead])?;
            let facts = loaded.router.facts(&to_json(&*lead)?);
            let decision = loaded
                .router
                .decide(&Item::new(EntityKind::Lead, &facts), tx.now);
            let mut routing = loaded.router.explain(&decision, &facts);
            routing.subject = Some(lead.key());
            if let Some(owner) = &routing.owner {
                lead.owner = Some(owner.clone());
                lead.assigned_at = Some(tx.now);
                lead.first_contact_due_at = Some(tx.now + self.config.first_contact_within);
            }
            if routing.team.is_some() {
                lead.team = routing.team.clone();
            } else {
                routing.team = lead.team.clone();
            }
            payload.insert("routing".into(), json!(routing));
            self.save_router(tx, &loaded, EntityKind::Lead)?;
        }
        Ok(if payload.is_empty() {
            Value::Null
        } else {
            Value::Object(payload)
        })
    }

    /// Routes a ticket just opened, in its creating command, when the rules
    /// route tickets: to the chosen agent (it moves to `assigned`) or left in
    /// its group's queue; the routing is in the event either way.
    pub(super) fn route_new_ticket(
        &mut self,
        tx: &mut Tx,
        ticket: crate::model::Ticket,
    ) -> Result<crate::model::Ticket> {
        if ticket.assignee.is_some() || !self.config.assignment.routes(EntityKind::Ticket) {
            return Ok(ticket);
        }
        let record = AnyRecord::Ticket(ticket);
        let mut loaded = self.load_router(&[EntityKind::Ticket])?;
        let facts = self.facts_for(&loaded.router, &record)?;
        let decision = loaded
            .router
            .decide(&Item::new(EntityKind::Ticket, &facts), tx.now);
        let mut routing = loaded.router.explain(&decision, &facts);
        routing.subject = Some(record.key());
        if routing.team.is_none() {
            routing.team = record.team().cloned();
        }
        let payload = json!({ "routing": routing });
        let after = self.give(
            tx,
            &record,
            routing.owner.clone(),
            routing.team.clone(),
            "route",
            None,
            payload,
        )?;
        self.save_router(tx, &loaded, EntityKind::Ticket)?;
        match after {
            AnyRecord::Ticket(ticket) => Ok(ticket),
            _ => Err(Error::invalid(
                "entity",
                "a ticket was routed as another kind",
            )),
        }
    }

    fn load_router(&self, kinds: &[EntityKind]) -> Result<Loaded> {
        let (version, saved) = match self.store.state(ROUTER_STATE)? {
            Some(state) => (
                state.version,
                serde_json::from_value(state.value).map_err(|e| Error::Storage {
                    message: format!("the stored assignment state does not read: {e}"),
                    source: None,
                })?,
            ),
            None => (0, RouterState::default()),
        };
        let rules = &self.config.assignment;
        // Load balancing compares open items: count them only where needed.
        let mut balanced: Vec<EntityKind> = kinds
            .iter()
            .copied()
            .filter(|kind| {
                rules.rules.iter().any(|r| {
                    matches!(r.strategy, Strategy::LoadBalance) && r.applies_to.contains(kind)
                })
            })
            .collect();
        balanced.sort();
        balanced.dedup();
        let mut agents = Vec::new();
        for record in self.store.query(&Query::new(EntityKind::User))? {
            let AnyRecord::User(user) = record else {
                continue;
            };
            let mut agent = Agent::new(user.id.clone()).active(user.active);
            agent.team = user.team.clone();
            agent.away = user.away.iter().map(|a| (a.from, a.until)).collect();
            for kind in &balanced {
                let open = self.open_count(*kind, &user.id)?;
                agent = agent.with_open(*kind, open);
            }
            agents.push(agent);
        }
        let router = Router::new(rules, agents, &saved)?;
        Ok(Loaded {
            router,
            saved,
            version,
        })
    }

    fn save_router(&self, tx: &mut Tx, loaded: &Loaded, entity: EntityKind) -> Result<()> {
        let state = loaded.router.state();
        if state != loaded.saved {
            tx.changes.states.push(StateWrite {
                name: ROUTER_STATE.to_string(),
                value: to_json(&state)?,
                expected_version: loaded.version,
                entity,
            });
        }
        Ok(())
    }

    /// A record's facts for the rules: the record as JSON and, when the rules
    /// read `account.*`, its customer as `account`.
    fn facts_for(&self, router: &Router, record: &AnyRecord) -> Result<Facts> {
        let mut json = to_json(record)?;
        let reads_account = router
            .fields()
            .names()
            .iter()
            .any(|f| f.starts_with("account."));
        if reads_account {
            let customer = match (record, json.get("customer").and_then(Value::as_str)) {
                (AnyRecord::Customer(_), _) => Some(json.clone()),
                (_, Some(id)) => match self.store.get(&RecordKey::new(EntityKind::Customer, id))? {
                    Some(customer) => Some(to_json(&customer)?),
                    None => None,
                },
                _ => None,
            };
            if let (Some(customer), Value::Object(map)) = (customer, &mut json) {
                map.insert("account".into(), customer);
            }
        }
        Ok(router.facts(&json))
    }

    /// Open: not in a final state, nor parked (a discarded lead, a resolved
    /// ticket).
    fn is_open(&self, record: &AnyRecord) -> bool {
        let Some(status) = record.state() else {
            return true;
        };
        let terminal = self
            .config
            .lifecycles
            .machine(record.kind())
            .and_then(|m| m.state(status))
            .is_some_and(|s| s.terminal);
        !terminal
            && !matches!(
                (record.kind(), status),
                (EntityKind::Lead, "discarded") | (EntityKind::Ticket, "resolved")
            )
    }

    fn may_claim(&self, actor: &Actor, record: &AnyRecord) -> bool {
        let in_own_pool = record.team().is_none() || record.team() == actor.team.as_ref();
        (in_own_pool
            && self
                .config
                .policy
                .allows(actor, record.kind(), Permission::Create, None))
            || self
                .authorize_any(actor, Permission::Assign, record)
                .is_ok()
    }

    fn open_count(&self, kind: EntityKind, user: &UserId) -> Result<u32> {
        let records = self.store.query(&Query::new(kind).owner(user.clone()))?;
        let open = records.iter().filter(|r| self.is_open(r)).count();
        Ok(u32::try_from(open).unwrap_or(u32::MAX))
    }

    fn check_assignable(&self, record: &AnyRecord, action: &str) -> Result<()> {
        if !AnyRecord::has_owner(record.kind()) {
            return Err(Error::invalid(
                "kind",
                format!("{}s have no owner to {action}", record.kind()),
            )
            .with_value(record.kind()));
        }
        if !self.is_open(record) {
            return Err(Error::InvalidTransition {
                entity: record.kind(),
                id: record.key().id,
                from: record.state().unwrap_or_default().to_string(),
                action: action.to_string(),
            });
        }
        Ok(())
    }

    /// Gives a record to `owner` (or to the pool), with its event: a lead's
    /// first contact falls due; a new ticket moves to `assigned`.
    #[allow(clippy::too_many_arguments)]
    fn give(
        &mut self,
        tx: &mut Tx,
        before: &AnyRecord,
        owner: Option<UserId>,
        team: Option<TeamId>,
        action: &str,
        reason: Option<String>,
        payload: Value,
    ) -> Result<AnyRecord> {
        match before {
            AnyRecord::Ticket(ticket)
                if owner.is_some()
                    && self
                        .machine(EntityKind::Ticket)?
                        .step(&ticket.id.to_string(), &ticket.status, "assign", None)
                        .is_ok() =>
            {
                let input = TransitionInput {
                    reason,
                    ..TransitionInput::default()
                };
                let after = self.step(tx, ticket, "assign", &input, payload, |t| {
                    t.assignee = owner;
                    if team.is_some() {
                        t.group = team;
                    }
                })?;
                return Ok(after.into_any());
            }
            _ => {}
        }
        let mut after = before.clone();
        let changed_owner = before.owner() != owner.as_ref();
        after.set_owner(owner.clone(), team);
        if let AnyRecord::Lead(lead) = &mut after {
            match &owner {
                Some(_) if changed_owner || lead.assigned_at.is_none() => {
                    lead.assigned_at = Some(tx.now);
                    if lead.first_contacted_at.is_none() {
                        lead.first_contact_due_at = Some(tx.now + self.config.first_contact_within);
                    }
                }
                Some(_) => {}
                None => {
                    lead.assigned_at = None;
                    lead.first_contact_due_at = None;
                }
            }
        }
        let note = Note {
            action,
            reason,
            payload,
        };
        self.put_any(tx, before, after, note)
    }
}

fn score_of(record: &AnyRecord) -> Option<u8> {
    match record {
        AnyRecord::Lead(lead) => lead.quality_score,
        _ => None,
    }
}

fn pooled(team: Option<TeamId>, reason: String) -> Routing {
    Routing {
        subject: None,
        owner: None,
        team,
        rule: None,
        pool_reason: Some(reason),
        trace: Vec::new(),
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
