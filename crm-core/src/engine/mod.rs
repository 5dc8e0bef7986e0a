//! The engine: commands that check access, apply a lifecycle transition and
//! write records, events and outbox messages in one commit.

mod analytics;
mod assignment;
mod deals;
mod dedupe;
mod desk;
mod directory;
mod import;
mod leads;
mod loyalty;
mod payments;
mod quotes;
mod service;
mod tasks;
mod value;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::access::{Actor, Permission, Policy, Target};
use crate::assign::{LeadScoring, RuleSet};
use crate::clock::{Clock, to_micros};
use crate::error::{Error, Result};
use crate::event::{Event, OutboxMessage, diff};
use crate::lifecycle::{Lifecycles, OnEnter, Recipient};
use crate::model::{
    AnyRecord, EntityKind, EventId, FieldSchema, IdGenerator, Meta, Record, RecordKey, Task,
    TaskId, Team, User, UserId,
};
use crate::store::{ChangeSet, Query, Store};

pub use analytics::{ClvReport, ClvRow, Metric, MetricQuery, Scope};
pub use assignment::{DueItem, DueKind, DueWork, Reclaim, ReclaimTo};
pub use dedupe::{DuplicateMatch, MergeInput, MergeOutcome, SurvivorRule};
pub use desk::{SurveyAnswer, TicketEscalation};
pub use directory::{TeamInput, UserInput};
pub use leads::{ConvertLead, DealFromLead};
pub use loyalty::{CampaignInput, LoyaltyReview, MemberLevelChange, PointsPosting, PurchaseInput};
pub use payments::{Collected, PaymentInput, Receivable};
pub use quotes::QuoteInput;
pub use value::ValueRefresh;

/// How the engine is set up: lifecycles, custom fields, access policy, and the
/// follow-up rules.
#[derive(Debug, Clone)]
pub struct Config {
    /// The state machines.
    pub lifecycles: Lifecycles,
    /// The custom field definitions.
    pub fields: FieldSchema,
    /// Roles and their grants.
    pub policy: Policy,
    /// How soon a newly assigned lead must be contacted (default 24 hours).
    pub first_contact_within: Duration,
    /// When the next follow-up falls after a logged activity, unless the
    /// activity says (default 3 days).
    pub follow_up_after: Duration,
    /// What contract numbers start with (default `C-`); six digits follow.
    pub contract_number_prefix: String,
    /// How long a taken outbox message stays with its taker before it is handed
    /// out again (default 5 minutes).
    pub outbox_lease: Duration,
    /// The assignment rules: who gets a new lead, a routed ticket, a
    /// transferred item (default: none, so new leads without an owner go to
    /// the pool).
    pub assignment: RuleSet,
    /// Points rules that score new leads (default: none).
    pub lead_scoring: LeadScoring,
    /// A user holding this many open items of a kind may not claim more of it
    /// from the pool (default: no limit).
    pub claim_limit: Option<u32>,
    /// What [`Crm::reclaim_overdue`] takes back.
    pub reclaim: Reclaim,
    /// How far ahead [`Crm::due_work`] looks (default 24 hours).
    pub due_ahead: Duration,
    /// How [`Crm::refresh_customer_value`] scores customers.
    pub customer_value: crate::rfm::RfmConfig,
    /// The currency of the purchases it scores (default: the one currency
    /// the contracts are in).
    pub value_currency: Option<crate::model::Currency>,
    /// How [`Crm::find_duplicates`] matches, and lead creation and conversion
    /// report likely duplicates.
    pub dedupe: crate::dedupe::DedupeConfig,
    /// How many days before an installment falls due [`Crm::due_work`] lists
    /// it (default 3).
    pub payment_reminder_days: u32,
    /// The roles that may write installments off (default `admin` and
    /// `supervisor`).
    pub write_off_roles: Vec<String>,
    /// The milestone that says a contract was delivered (default
    /// `delivery_accepted`; `None`: payment alone completes it).
    pub contract_delivery: Option<String>,
    /// Whether a contract moves to `completed` once it is paid and
    /// delivered (default true).
    pub complete_paid_contracts: bool,
    /// The service desk's calendars, SLA policies, escalation steps and
    /// surveys (none by default).
    pub sla: crate::sla::SlaConfig,
    /// The loyalty program: earn rules, bonuses, expiry, member levels and
    /// care rules (none by default).
    pub loyalty: crate::loyalty::LoyaltyConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lifecycles: Lifecycles::default(),
            fields: FieldSchema::default(),
            policy: Policy::default(),
            first_contact_within: Duration::hours(24),
            follow_up_after: Duration::days(3),
            contract_number_prefix: "C-".to_string(),
            outbox_lease: Duration::minutes(5),
            assignment: RuleSet::default(),
            lead_scoring: LeadScoring::default(),
            claim_limit: None,
            reclaim: Reclaim::default(),
            due_ahead: Duration::hours(24),
            customer_value: crate::rfm::RfmConfig::default(),
            value_currency: None,
            dedupe: crate::dedupe::DedupeConfig::default(),
            payment_reminder_days: 3,
            write_off_roles: vec!["admin".into(), "supervisor".into()],
            contract_delivery: Some("delivery_accepted".into()),
            complete_paid_contracts: true,
            sla: crate::sla::SlaConfig::default(),
            loyalty: crate::loyalty::LoyaltyConfig::default(),
        }
    }
}

impl Config {
    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a lifecycle is invalid or a duration is not positive.
    pub fn validate(&self) -> Result<()> {
        self.lifecycles.validate()?;
        for (path, duration) in [
            ("first_contact_within", self.first_contact_within),
            ("follow_up_after", self.follow_up_after),
            ("outbox_lease", self.outbox_lease),
            ("due_ahead", self.due_ahead),
        ] {
            if duration <= Duration::zero() {
                return Err(Error::config(path, "must be longer than zero"));
            }
        }
        self.assignment
            .validate()
            .map_err(|e| prefix_config("assignment", e))?;
        self.lead_scoring.validate()?;
        self.dedupe
            .check()
            .map_err(|e| Error::config("dedupe", e.to_string()))?;
        self.sla.validate()?;
        self.loyalty.validate()?;
        self.customer_value.validate()
    }

    /// Reads a configuration from JSON; every key is optional and defaults as
    /// [`Config::default`]:
    ///
    /// ```json
    /// {
    ///   "lifecycles": { ... }, "fields": { ... }, "policy": { ... },
    ///   "first_contact_within_hours": 24, "follow_up_after_hours": 72,
    ///   "contract_number_prefix": "C-", "outbox_lease_seconds": 300,
    ///   "assignment": { "time_zone": "Europe/Berlin", "rules": [ ... ] },
    ///   "lead_scoring": { "base": 0, "rules": [ ... ] },
    ///   "claim_limit": 50,
    ///   "reclaim": { "grace_hours": 0, "follow_ups": false, "to": "pool" },
    ///   "due_ahead_hours": 24,
    ///   "rfm": { "ties": "equal", ... }, "value_currency": "EUR",
    ///   "dedupe": { "method": "probabilistic", "threshold": 0.9, ... },
    ///   "payment_reminder_days": 3, "write_off_roles": ["admin", "supervisor"],
    ///   "contract_delivery": "delivery_accepted", "complete_paid_contracts": true,
    ///   "sla": { "calendars": { ... }, "policies": [ ... ], "escalation": [ ... ] },
    ///   "loyalty": { "earn": [ ... ], "levels": [ ... ], "care": [ ... ] }
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the path of what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::Config;
    ///
    /// let config = Config::from_json(r#"{ "claim_limit": 20, "assignment": { "rules": [
    ///     { "name": "east", "when": { "field": "region", "eq": "east" }, "users": ["ana", "ben"] } ] } }"#)?;
    /// assert_eq!(config.assignment.rules[0].name, "east");
    /// let err = Config::from_json(r#"{ "claim_limt": 20 }"#).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid configuration at config: unknown key `claim_limt`"));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| Error::config("config", e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(Error::config("config", "must be a JSON object"));
        };
        let mut config = Config::default();
        for (key, value) in &map {
            let text = value.to_string();
            let hours = |what: &str| -> Result<Duration> {
                let n = value
                    .as_f64()
                    .filter(|n| n.is_finite() && *n > 0.0 && *n < 1e6)
                    .ok_or_else(|| {
                        Error::config(key.as_str(), format!("must be a positive number of {what}"))
                    })?;
                let seconds = if what == "hours" { n * 3600.0 } else { n };
                Ok(Duration::milliseconds((seconds * 1000.0).round() as i64))
            };
            match key.as_str() {
                "lifecycles" => config.lifecycles = Lifecycles::from_json(&text)?,
                "fields" => config.fields = FieldSchema::from_json(&text)?,
                "policy" => config.policy = Policy::from_json(&text)?,
                "first_contact_within_hours" => config.first_contact_within = hours("hours")?,
                "follow_up_after_hours" => config.follow_up_after = hours("hours")?,
                "due_ahead_hours" => config.due_ahead = hours("hours")?,
                "outbox_lease_seconds" => config.outbox_lease = hours("seconds")?,
                "contract_number_prefix" => {
                    config.contract_number_prefix = value
                        .as_str()
                        .ok_or_else(|| Error::config(key.as_str(), "must be text"))?
                        .to_string();
                }
                "assignment" => {
                    config.assignment =
                        RuleSet::from_json(&text).map_err(|e| prefix_config("assignment", e))?;
                }
                "lead_scoring" => config.lead_scoring = LeadScoring::from_json(&text)?,
                "rfm" => config.customer_value = crate::rfm::RfmConfig::from_json(&text)?,
                "dedupe" => config.dedupe = dedupe::dedupe_config(&text)?,
                "payment_reminder_days" => {
                    config.payment_reminder_days = value
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n <= 366)
                        .ok_or_else(|| {
                            Error::config(key.as_str(), "must be a whole number of days, 0 to 366")
                        })?;
                }
                "sla" => config.sla = crate::sla::SlaConfig::from_value(value.clone())?,
                "loyalty" => {
                    config.loyalty = crate::loyalty::LoyaltyConfig::from_value(value.clone())?;
                }
                "contract_delivery" => {
                    config.contract_delivery = match value {
                        Value::Null => None,
                        Value::String(event) if !event.trim().is_empty() => {
                            Some(event.trim().to_string())
                        }
                        _ => {
                            return Err(Error::config(
                                key.as_str(),
                                "must be a milestone name or null",
                            ));
                        }
                    };
                }
                "complete_paid_contracts" => {
                    config.complete_paid_contracts = value
                        .as_bool()
                        .ok_or_else(|| Error::config(key.as_str(), "must be true or false"))?;
                }
                "write_off_roles" => {
                    config.write_off_roles = serde_json::from_value(value.clone())
                        .map_err(|_| Error::config(key.as_str(), "must be a list of role names"))?;
                }
                "value_currency" => {
                    config.value_currency =
                        match value {
                            Value::Null => None,
                            Value::String(code) => Some(code.parse().map_err(|e: Error| {
                                Error::config("value_currency", e.to_string())
                            })?),
                            _ => {
                                return Err(Error::config(
                                    "value_currency",
                                    "must be a currency code like EUR",
                                ));
                            }
                        };
                }
                "claim_limit" => {
                    config.claim_limit = match value {
                        Value::Null => None,
                        _ => Some(
                            value
                                .as_u64()
                                .and_then(|n| u32::try_from(n).ok())
                                .ok_or_else(|| {
                                    Error::config(key.as_str(), "must be a whole number or null")
                                })?,
                        ),
                    };
                }
                "reclaim" => {
                    config.reclaim = serde_json::from_str(&text)
                        .map_err(|e| Error::config("reclaim", e.to_string()))?;
                }
                other => {
                    return Err(Error::config(
                        "config",
                        format!(
                            "unknown key `{other}`; expected one of lifecycles, fields, policy, first_contact_within_hours, follow_up_after_hours, due_ahead_hours, outbox_lease_seconds, contract_number_prefix, assignment, lead_scoring, claim_limit, reclaim, rfm, value_currency, dedupe, payment_reminder_days, write_off_roles, contract_delivery, complete_paid_contracts, sla, loyalty"
                        ),
                    ));
                }
            }
        }
        config.validate()?;
        Ok(config)
    }
}

/// Puts a section's name in front of a configuration error's path.
fn prefix_config(section: &str, error: Error) -> Error {
    match error {
        Error::Config { path, reason } if path == section => Error::Config { path, reason },
        Error::Config { path, reason } => Error::Config {
            path: format!("{section}.{path}"),
            reason,
        },
        other => other,
    }
}

/// Options of a lifecycle move through [`Crm::transition`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransitionInput {
    /// The target state, when the action can lead to several (`move` in a pipeline).
    pub to: Option<String>,
    /// Why (required by some transitions, e.g. `discard`, `lose`).
    pub reason: Option<String>,
    /// The version the caller read; a different stored version is a conflict.
    pub expected_version: Option<u64>,
}

/// The CRM engine over a store.
///
/// Every command takes the [`Actor`] running it, checks their permission and
/// data scope, and commits its records, one [`Event`] per changed record, and
/// any outbox messages at once. Reads check the read permission.
pub struct Crm<S: Store> {
    store: S,
    config: Config,
    clock: Box<dyn Clock>,
    ids: Box<dyn IdGenerator>,
}

impl<S: Store> std::fmt::Debug for Crm<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One command's work in progress: the time it runs at, who runs it, and what
/// it will commit.
struct Tx {
    now: DateTime<Utc>,
    actor: UserId,
    changes: ChangeSet,
}

/// What an event says beyond the record's before and after.
#[derive(Default)]
struct Note<'a> {
    action: &'a str,
    reason: Option<String>,
    payload: Value,
}

impl<'a> Note<'a> {
    fn action(action: &'a str) -> Self {
        Note {
            action,
            ..Note::default()
        }
    }
}

impl<S: Store> Crm<S> {
    /// An engine over `store`, with a configuration, a clock and an id generator.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the configuration is invalid.
    pub fn new(
        store: S,
        config: Config,
        clock: impl Clock + 'static,
        ids: impl IdGenerator + 'static,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Crm {
            store,
            config,
            clock: Box::new(clock),
            ids: Box::new(ids),
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to change directly (e.g. to drain an outbox without an engine).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current time, by the engine's clock, to the microsecond.
    pub fn now(&self) -> DateTime<Utc> {
        to_micros(self.clock.now())
    }

    /// Takes the engine apart, giving the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    // ----- reading -------------------------------------------------------------

    /// The record with this key, as the actor may see it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such record, [`Error::Forbidden`]
    /// when the actor may not read it.
    pub fn get<R: Record>(&self, actor: &Actor, key: impl Into<RecordKey>) -> Result<R> {
        let key = key.into();
        if key.kind != R::KIND {
            return Err(Error::invalid(
                "id",
                format!("names a {}, not a {}", key.kind, R::KIND),
            ));
        }
        let record: R = self.load(&key)?;
        self.authorize(actor, Permission::Read, &record)?;
        Ok(record)
    }

    /// The record with this key, of whatever kind, as the actor may see it:
    /// what bindings use to read a record named by kind and id.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such record, [`Error::Forbidden`]
    /// when the actor may not read it.
    pub fn get_any(&self, actor: &Actor, key: impl Into<RecordKey>) -> Result<AnyRecord> {
        let record = self.load_any(&key.into())?;
        self.authorize_any(actor, Permission::Read, &record)?;
        Ok(record)
    }

    /// The records matching a query that the actor may read, ordered by id.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] when the actor may read no record of the kind at all.
    pub fn list(&self, actor: &Actor, query: &Query) -> Result<Vec<AnyRecord>> {
        self.config
            .policy
            .check(actor, query.kind, Permission::Read, None)?;
        let limit = query.limit.unwrap_or(usize::MAX);
        let unlimited = Query {
            limit: None,
            ..query.clone()
        };
        let mut visible = Vec::new();
        // Records share owners: look each owner's team up once per list.
        let mut teams = HashMap::new();
        for record in self.store.query(&unlimited)? {
            if visible.len() == limit {
                break;
            }
            let target = self.target_with(record.access(), &record.meta().shares, &mut teams)?;
            if self
                .config
                .policy
                .allows(actor, record.kind(), Permission::Read, Some(&target))
            {
                visible.push(record);
            }
        }
        Ok(visible)
    }

    /// The events of a record, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such record, [`Error::Forbidden`]
    /// when the actor may not read it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let lead = crm.create_lead(&ana, NewLead {
    ///     company: Some("Acme".into()),
    ///     owner: Some(ana.user.clone()),
    ///     ..Default::default()
    /// })?;
    /// crm.qualify_lead(&ana, lead.id)?;
    /// let events = crm.history(&ana, lead.id)?;
    /// assert_eq!(events[1].from.as_deref(), Some("new"));
    /// assert_eq!(events[1].to.as_deref(), Some("qualified"));
    ///
    /// let stranger = Actor::new(UserId::new("eve")?).with_role("sales");
    /// assert_eq!(crm.history(&stranger, lead.id).unwrap_err().kind(), ErrorKind::Forbidden);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn history(&self, actor: &Actor, key: impl Into<RecordKey>) -> Result<Vec<Event>> {
        let key = key.into();
        let record = self
            .store
            .get(&key)?
            .ok_or_else(|| Error::not_found(key.kind, &key.id))?;
        let target = self.target(record.access(), &record.meta().shares)?;
        if !self
            .config
            .policy
            .allows(actor, key.kind, Permission::Read, Some(&target))
        {
            return Err(forbidden(actor, Permission::Read, &key));
        }
        self.store.history(&key)
    }

    /// The actions the lifecycle allows from a record's current state, whether
    /// or not their guards pass: what a user interface offers.
    ///
    /// # Errors
    ///
    /// As [`Crm::get`]; [`Error::Validation`] on `entity` when the kind has no lifecycle.
    pub fn available_actions(
        &self,
        actor: &Actor,
        key: impl Into<RecordKey>,
    ) -> Result<Vec<String>> {
        let key = key.into();
        let machine = self.machine(key.kind)?;
        let record = self.load_any(&key)?;
        self.authorize_any(actor, Permission::Read, &record)?;
        let state = record.state().unwrap_or_default();
        Ok(machine
            .actions_from(state)
            .into_iter()
            .map(str::to_string)
            .collect())
    }

    // ----- generic commands ----------------------------------------------------

    /// Moves any record with a lifecycle by `action` (the typed commands such as
    /// [`Crm::qualify_lead`] call this). Guards are checked on the record; the
    /// move, its event and any on-entry actions commit together.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] (edit), [`Error::Conflict`] when
    /// `expected_version` is stale, [`Error::InvalidTransition`] when the
    /// lifecycle does not allow the action from the current state,
    /// [`Error::Validation`] for a missing reason or missing fields.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let lead = crm.create_lead(&ana, NewLead {
    ///     company: Some("Acme".into()),
    ///     owner: Some(ana.user.clone()),
    ///     ..Default::default()
    /// })?;
    /// let discard = TransitionInput { reason: Some("duplicate".into()), ..Default::default() };
    /// let lead = crm.transition(&ana, lead.id, "discard", discard)?;
    /// assert_eq!(lead.state(), Some("discarded"));
    ///
    /// let err = crm.transition(&ana, lead.key(), "qualify", TransitionInput::default()).unwrap_err();
    /// assert_eq!(err.to_string(), format!("cannot qualify lead {}: not allowed from state `discarded`", lead.key().id));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn transition(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        action: &str,
        input: TransitionInput,
    ) -> Result<AnyRecord> {
        let key = key.into();
        match key.kind {
            EntityKind::Customer => self
                .transition_typed::<crate::model::Customer>(actor, key, action, input)
                .map(Record::into_any),
            EntityKind::Lead => self
                .transition_typed::<crate::model::Lead>(actor, key, action, input)
                .map(Record::into_any),
            EntityKind::Opportunity => self
                .transition_typed::<crate::model::Opportunity>(actor, key, action, input)
                .map(Record::into_any),
            EntityKind::Contract => self
                .transition_contract(actor, key, action, input)
                .map(Record::into_any),
            EntityKind::Ticket => self
                .transition_typed::<crate::model::Ticket>(actor, key, action, input)
                .map(Record::into_any),
            EntityKind::Task => self
                .transition_typed::<Task>(actor, key, action, input)
                .map(Record::into_any),
            kind @ (EntityKind::Contact
            | EntityKind::Activity
            | EntityKind::User
            | EntityKind::Team
            | EntityKind::PointsEntry
            | EntityKind::Campaign) => Err(no_lifecycle(kind)),
        }
    }

    /// Changes a record's own fields through `edit`, based on the version the
    /// caller read. Fields that only dedicated commands change (state, owner,
    /// meta, ...) must stay as they are.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] (edit), [`Error::Conflict`] when
    /// `expected_version` is not the stored version, [`Error::Validation`] when
    /// `edit` touched a protected field or left an invalid record.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let lead = crm.create_lead(&ana, NewLead {
    ///     company: Some("Acme".into()),
    ///     owner: Some(ana.user.clone()),
    ///     ..Default::default()
    /// })?;
    /// let lead = crm.update::<Lead>(&ana, lead.id, lead.meta.version, |lead| {
    ///     lead.product_line = Some("presses".into());
    /// })?;
    /// assert_eq!(lead.meta.version, 2);
    ///
    /// // The version read is now stale.
    /// let err = crm.update::<Lead>(&ana, lead.id, 1, |lead| lead.title = None).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Conflict);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn update<R: Record>(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        expected_version: u64,
        edit: impl FnOnce(&mut R),
    ) -> Result<R> {
        self.update_checked(actor, key.into(), expected_version, |record| {
            edit(record);
            Ok(())
        })
    }

    /// [`Crm::update`] with an edit that may fail (and then writes nothing).
    fn update_checked<R: Record>(
        &mut self,
        actor: &Actor,
        key: RecordKey,
        expected_version: u64,
        edit: impl FnOnce(&mut R) -> Result<()>,
    ) -> Result<R> {
        let before: R = self.load(&key)?;
        self.authorize(actor, Permission::Edit, &before)?;
        check_version(&before, expected_version)?;
        let mut after = before.clone();
        edit(&mut after)?;
        check_protected(&before, &after)?;
        let mut tx = self.begin(actor);
        let after = self.put(&mut tx, Some(&before), after, Note::action("update"))?;
        self.finish(tx)?;
        Ok(after)
    }

    /// [`Crm::update`] with the fields given as a JSON object (what the bindings
    /// use): each key is a field of the record, each value its new JSON value
    /// (`null` clears an optional field; `custom` replaces the custom values).
    ///
    /// # Errors
    ///
    /// As [`Crm::update`]; [`Error::Validation`] naming the field when a value
    /// does not fit it or the key is not a field.
    pub fn update_fields(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        expected_version: u64,
        fields: serde_json::Map<String, Value>,
    ) -> Result<AnyRecord> {
        let key = key.into();
        macro_rules! typed {
            ($ty:ty) => {
                self.update_checked::<$ty>(actor, key, expected_version, |record| {
                    *record = merge_fields(record, fields)?;
                    Ok(())
                })
                .map(Record::into_any)
            };
        }
        match key.kind {
            EntityKind::Customer => typed!(crate::model::Customer),
            EntityKind::Contact => typed!(crate::model::Contact),
            EntityKind::Lead => typed!(crate::model::Lead),
            EntityKind::Opportunity => typed!(crate::model::Opportunity),
            EntityKind::Contract => typed!(crate::model::Contract),
            EntityKind::Ticket => typed!(crate::model::Ticket),
            EntityKind::Activity => typed!(crate::model::Activity),
            EntityKind::Task => typed!(Task),
            EntityKind::User => typed!(User),
            EntityKind::Team => typed!(Team),
            EntityKind::Campaign => typed!(crate::model::Campaign),
            EntityKind::PointsEntry => Err(Error::invalid(
                "entity",
                "ledger entries are never changed; post an adjustment instead",
            )
            .with_value(key.kind)),
        }
    }

    /// Shares a record with a user or a team (or changes what an existing share
    /// allows).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] (share).
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let bo = Actor::new(UserId::new("bo")?).with_role("sales");
    /// let customer = crm.create_customer(&ana, NewCustomer { name: "Acme".into(), ..Default::default() })?;
    /// assert_eq!(crm.get::<Customer>(&bo, customer.id).unwrap_err().kind(), ErrorKind::Forbidden);
    ///
    /// crm.share(&ana, customer.id, Grantee::User(bo.user.clone()), ShareAccess::Read)?;
    /// assert_eq!(crm.get::<Customer>(&bo, customer.id)?.name, "Acme");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn share(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        grantee: crate::model::Grantee,
        access: crate::model::ShareAccess,
    ) -> Result<AnyRecord> {
        self.change_shares(actor, key.into(), "share", move |shares| {
            shares.retain(|share| share.grantee != grantee);
            shares.push(crate::model::Share { grantee, access });
        })
    }

    /// Withdraws a share.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] (also when the record is not shared with `grantee`),
    /// [`Error::Forbidden`] (share).
    pub fn unshare(
        &mut self,
        actor: &Actor,
        key: impl Into<RecordKey>,
        grantee: &crate::model::Grantee,
    ) -> Result<AnyRecord> {
        let key = key.into();
        let record = self.load_any(&key)?;
        if !record
            .meta()
            .shares
            .iter()
            .any(|share| share.grantee == *grantee)
        {
            return Err(Error::invalid(
                "grantee",
                format!("the {} is not shared with them", key.kind),
            ));
        }
        self.change_shares(actor, key, "unshare", |shares| {
            shares.retain(|share| share.grantee != *grantee);
        })
    }

    fn change_shares(
        &mut self,
        actor: &Actor,
        key: RecordKey,
        action: &str,
        change: impl FnOnce(&mut Vec<crate::model::Share>),
    ) -> Result<AnyRecord> {
        let before = self.load_any(&key)?;
        self.authorize_any(actor, Permission::Share, &before)?;
        let mut after = before.clone();
        change(&mut after.meta_mut().shares);
        let mut tx = self.begin(actor);
        let after = self.put_any(&mut tx, &before, after, Note::action(action))?;
        self.finish(tx)?;
        Ok(after)
    }

    // ----- backup --------------------------------------------------------------

    /// Streams every record, event, outbox message and sequence of the store to
    /// `writer` as JSON Lines (see [`backup`](crate::backup)).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store or the writer fails.
    pub fn export(&self, writer: impl std::io::Write) -> Result<crate::backup::BackupStats> {
        crate::backup::export(&self.store, writer)
    }

    /// Reads a backup made by [`Crm::export`] into this engine's store, which
    /// must not hold its records yet.
    ///
    /// # Errors
    ///
    /// As [`backup::import`](crate::backup::import).
    pub fn import(&mut self, reader: impl std::io::BufRead) -> Result<crate::backup::BackupStats> {
        crate::backup::import(&mut self.store, reader)
    }

    // ----- outbox --------------------------------------------------------------

    /// Takes up to `limit` outbox messages to perform, leasing them for the
    /// configured lease. Perform each (idempotently, keyed by its id), then
    /// [`ack_outbox`](Crm::ack_outbox) them; a message not acknowledged in time
    /// is handed out again.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store fails.
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
    ///     expected_amount: Some(Money::parse("900", "EUR")?),
    ///     ..Default::default()
    /// })?;
    /// crm.advance_opportunity(&ana, deal.id, None)?; // enters `proposal`
    /// let messages = crm.take_outbox(10)?;
    /// assert_eq!(messages[0].topic, "send_quote_template");
    /// assert!(crm.take_outbox(10)?.is_empty(), "leased, not handed out twice");
    /// assert_eq!(crm.ack_outbox(&[messages[0].id])?, 1);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn take_outbox(&mut self, limit: usize) -> Result<Vec<OutboxMessage>> {
        let now = self.now();
        let lease = self.config.outbox_lease;
        self.store.take_outbox(now, limit, lease)
    }

    /// Marks outbox messages as performed. Returns how many were newly marked.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `ids` when an id is not an outbox message.
    pub fn ack_outbox(&mut self, ids: &[EventId]) -> Result<usize> {
        let now = self.now();
        self.store.ack_outbox(ids, now)
    }

    // ----- machinery -----------------------------------------------------------

    fn begin(&self, actor: &Actor) -> Tx {
        Tx {
            now: self.now(),
            actor: actor.user.clone(),
            changes: ChangeSet::default(),
        }
    }

    fn finish(&mut self, tx: Tx) -> Result<()> {
        self.store.commit(tx.changes)
    }

    fn next_id(&mut self, now: DateTime<Utc>) -> uuid::Uuid {
        self.ids.next_uuid(now)
    }

    fn new_meta(&self, tx: &Tx) -> Meta {
        Meta::new(tx.now, tx.actor.clone())
    }

    fn machine(&self, kind: EntityKind) -> Result<&crate::lifecycle::Machine> {
        self.config
            .lifecycles
            .machine(kind)
            .ok_or_else(|| no_lifecycle(kind))
    }

    fn initial_state(&self, kind: EntityKind) -> Result<String> {
        Ok(self.machine(kind)?.initial.clone())
    }

    fn load_any(&self, key: &RecordKey) -> Result<AnyRecord> {
        self.store
            .get(key)?
            .ok_or_else(|| Error::not_found(key.kind, &key.id))
    }

    fn load<R: Record>(&self, key: &RecordKey) -> Result<R> {
        let record = self.load_any(key)?;
        R::from_any(record).ok_or_else(|| Error::Storage {
            message: format!("{key} is stored as another kind of record"),
            source: None,
        })
    }

    /// What a permission is checked against: the record's access, its shares,
    /// and the teams of its owners, looked up in the store's users.
    fn target(
        &self,
        access: crate::model::Access,
        shares: &[crate::model::Share],
    ) -> Result<Target> {
        self.target_with(access, shares, &mut HashMap::new())
    }

    /// [`Crm::target`] remembering each owner's team in `teams`.
    fn target_with(
        &self,
        access: crate::model::Access,
        shares: &[crate::model::Share],
        teams: &mut HashMap<UserId, Option<crate::model::TeamId>>,
    ) -> Result<Target> {
        let mut owner_teams = Vec::new();
        for owner in &access.owners {
            let team = match teams.get(owner) {
                Some(team) => team.clone(),
                None => {
                    let team = self.user_record(owner)?.and_then(|user| user.team);
                    teams.insert(owner.clone(), team.clone());
                    team
                }
            };
            owner_teams.extend(team);
        }
        Ok(Target {
            access,
            owner_teams,
            shares: shares.to_vec(),
        })
    }

    fn authorize<R: Record>(
        &self,
        actor: &Actor,
        permission: Permission,
        record: &R,
    ) -> Result<()> {
        let target = self.target(record.access(), &record.meta().shares)?;
        if self
            .config
            .policy
            .allows(actor, R::KIND, permission, Some(&target))
        {
            Ok(())
        } else {
            Err(forbidden(actor, permission, &record.key()))
        }
    }

    /// The create check: a record with an owner must fall in the actor's scope;
    /// one with no owner (a lead for the pool, a ticket for a queue) needs only
    /// the permission to create that kind.
    fn authorize_create<R: Record>(&self, actor: &Actor, record: &R) -> Result<()> {
        if record.access().owners.is_empty() {
            self.config
                .policy
                .check(actor, R::KIND, Permission::Create, None)
        } else {
            self.authorize(actor, Permission::Create, record)
        }
    }

    fn authorize_any(
        &self,
        actor: &Actor,
        permission: Permission,
        record: &AnyRecord,
    ) -> Result<()> {
        let target = self.target(record.access(), &record.meta().shares)?;
        if self
            .config
            .policy
            .allows(actor, record.kind(), permission, Some(&target))
        {
            Ok(())
        } else {
            Err(forbidden(actor, permission, &record.key()))
        }
    }

    /// Validates `after`, stamps it, and adds its write and its event to the
    /// transaction. Runs on-entry actions when the state changed.
    fn put<R: Record>(
        &mut self,
        tx: &mut Tx,
        before: Option<&R>,
        mut after: R,
        note: Note<'_>,
    ) -> Result<R> {
        after.validate()?;
        self.config.fields.check(R::KIND, after.custom())?;
        // A record changed earlier in this command keeps the version it was
        // read at: it is written once, at that version + 1.
        let expected_version = tx
            .changes
            .pending_version(&after.key())
            .unwrap_or_else(|| before.map_or(0, |b| b.meta().version));
        after.meta_mut().updated_at = tx.now;
        after.meta_mut().version = expected_version + 1;
        let before_json = match before {
            Some(before) => to_json(before)?,
            None => Value::Null,
        };
        let after_json = to_json(&after)?;
        let from = before.and_then(|b| b.state()).map(str::to_string);
        let to = after.state().map(str::to_string);
        let event_id = EventId::from_uuid(self.next_id(tx.now));
        let entered = (from != to).then(|| to.clone()).flatten();
        tx.changes.events.push(Event {
            id: event_id,
            seq: 0,
            at: tx.now,
            actor: tx.actor.clone(),
            entity: after.key(),
            action: note.action.to_string(),
            from,
            to,
            reason: note.reason,
            changes: diff(&before_json, &after_json),
            payload: note.payload,
        });
        tx.changes
            .write_or_replace(after.clone().into_any(), expected_version);
        if let Some(state) = entered {
            self.run_on_enter(tx, &after, &state, event_id)?;
        }
        Ok(after)
    }

    fn put_any(
        &mut self,
        tx: &mut Tx,
        before: &AnyRecord,
        after: AnyRecord,
        note: Note<'_>,
    ) -> Result<AnyRecord> {
        macro_rules! typed {
            ($($variant:ident),*) => {
                match (before, after) {
                    $((AnyRecord::$variant(before), AnyRecord::$variant(after)) => {
                        self.put(tx, Some(before), after, note).map(Record::into_any)
                    })*
                    _ => Err(Error::invalid("entity", "a record cannot change its kind")),
                }
            };
        }
        typed!(
            Customer,
            Contact,
            Lead,
            Opportunity,
            Contract,
            Ticket,
            Activity,
            Task,
            User,
            Team
        )
    }

    /// Applies a lifecycle step to a loaded record: finds the transition, lets
    /// `prepare` set the fields the move brings (an assignee, a resolution),
    /// checks the guards, enters the state and adds the write and its event.
    fn step<R: Record>(
        &mut self,
        tx: &mut Tx,
        before: &R,
        action: &str,
        input: &TransitionInput,
        payload: Value,
        prepare: impl FnOnce(&mut R),
    ) -> Result<R> {
        if let Some(expected) = input.expected_version {
            check_version(before, expected)?;
        }
        let machine = self.machine(R::KIND)?;
        let from = before.state().unwrap_or_default();
        let key = before.key();
        let transition = machine
            .step(&key.id, from, action, input.to.as_deref())?
            .clone();
        let mut after = before.clone();
        prepare(&mut after);
        let json = to_json(&after)?;
        machine.check_guards(&transition, input.reason.as_deref(), |field| {
            has_field(&json, field)
        })?;
        let state = machine.state(&transition.to).cloned().ok_or_else(|| {
            Error::config(
                format!("{}.states", R::KIND),
                format!("unknown state `{}`", transition.to),
            )
        })?;
        after.set_state(&state.name);
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        after.entered(&state, tx.now, reason);
        if R::KIND == EntityKind::Ticket && from != state.name {
            // A ticket's SLA clocks and survey follow its status.
            let mut any = after.into_any();
            if let AnyRecord::Ticket(ticket) = &mut any {
                self.ticket_entered(ticket, &state.name, tx.now)?;
            }
            after = R::from_any(any)
                .ok_or_else(|| Error::invalid("entity", "a ticket changed its kind"))?;
        }
        let note = Note {
            action,
            reason: reason.map(str::to_string),
            payload,
        };
        self.put(tx, Some(before), after, note)
    }

    fn transition_typed<R: Record>(
        &mut self,
        actor: &Actor,
        key: RecordKey,
        action: &str,
        input: TransitionInput,
    ) -> Result<R> {
        let before: R = self.load(&key)?;
        self.authorize(actor, Permission::Edit, &before)?;
        let mut tx = self.begin(actor);
        let after = self.step(&mut tx, &before, action, &input, Value::Null, |_| {})?;
        self.finish(tx)?;
        Ok(after)
    }

    /// A contract's lifecycle step, then what its new state sets off on the
    /// payment plan (milestones, completion), in one commit.
    fn transition_contract(
        &mut self,
        actor: &Actor,
        key: RecordKey,
        action: &str,
        input: TransitionInput,
    ) -> Result<crate::model::Contract> {
        let before: crate::model::Contract = self.load(&key)?;
        self.authorize(actor, Permission::Edit, &before)?;
        let mut tx = self.begin(actor);
        let after = self.step(&mut tx, &before, action, &input, Value::Null, |_| {})?;
        let after = self.contract_entered(&mut tx, after)?;
        self.finish(tx)?;
        Ok(after)
    }

    fn run_on_enter<R: Record>(
        &mut self,
        tx: &mut Tx,
        record: &R,
        state: &str,
        event: EventId,
    ) -> Result<()> {
        let actions = self
            .machine(R::KIND)?
            .state(state)
            .map(|s| s.on_enter.clone())
            .unwrap_or_default();
        let access = record.access();
        for action in actions {
            match action {
                OnEnter::CreateTask {
                    title,
                    due_in_hours,
                    priority,
                } => {
                    let task = Task {
                        id: TaskId::from_uuid(self.next_id(tx.now)),
                        meta: self.new_meta(tx),
                        title,
                        description: None,
                        status: self.initial_state(EntityKind::Task)?,
                        priority,
                        assignee: access.owners.first().cloned(),
                        team: access.team.clone(),
                        due_at: due_in_hours.map(|h| tx.now + Duration::hours(i64::from(h))),
                        related: Some(record.key()),
                        log: Vec::new(),
                        custom: Default::default(),
                    };
                    // Tasks made on entry do not run on-entry actions of their own.
                    self.put_plain(tx, task, "create")?;
                }
                OnEnter::Notify {
                    recipient,
                    template,
                } => {
                    let to = match recipient {
                        Recipient::Owner => access.owners.first().cloned(),
                        Recipient::Supervisor => self.supervisor_of(access.team.as_ref())?,
                    };
                    self.emit(
                        tx,
                        record.key(),
                        event,
                        "notify",
                        to,
                        json!({ "template": template, "state": state }),
                    );
                }
                OnEnter::Emit { topic } => {
                    let owner = access.owners.first().cloned();
                    self.emit(
                        tx,
                        record.key(),
                        event,
                        &topic,
                        owner,
                        json!({ "state": state }),
                    );
                }
            }
        }
        Ok(())
    }

    /// Adds a created record and its event, without on-entry actions.
    fn put_plain<R: Record>(&mut self, tx: &mut Tx, record: R, action: &str) -> Result<R> {
        record.validate()?;
        self.config.fields.check(R::KIND, record.custom())?;
        let mut record = record;
        record.meta_mut().version = 1;
        let event = Event {
            id: EventId::from_uuid(self.next_id(tx.now)),
            seq: 0,
            at: tx.now,
            actor: tx.actor.clone(),
            entity: record.key(),
            action: action.to_string(),
            from: None,
            to: record.state().map(str::to_string),
            reason: None,
            changes: diff(&Value::Null, &to_json(&record)?),
            payload: Value::Null,
        };
        tx.changes.events.push(event);
        tx.changes.write(record.clone().into_any(), 0);
        Ok(record)
    }

    fn supervisor_of(&self, team: Option<&crate::model::TeamId>) -> Result<Option<UserId>> {
        let Some(team) = team else { return Ok(None) };
        Ok(match self.store.get(&RecordKey::from(team))? {
            Some(AnyRecord::Team(team)) => team.supervisor,
            _ => None,
        })
    }

    fn emit(
        &mut self,
        tx: &mut Tx,
        record: RecordKey,
        event: EventId,
        topic: &str,
        recipient: Option<UserId>,
        payload: Value,
    ) {
        let id = EventId::from_uuid(self.next_id(tx.now));
        tx.changes.outbox.push(OutboxMessage {
            id,
            created_at: tx.now,
            event,
            topic: topic.to_string(),
            record,
            recipient,
            payload,
            attempts: 0,
            leased_until: None,
            acked_at: None,
        });
    }

    fn user_record(&self, user: &UserId) -> Result<Option<User>> {
        Ok(match self.store.get(&RecordKey::from(user))? {
            Some(AnyRecord::User(user)) => Some(user),
            _ => None,
        })
    }
}

fn forbidden(actor: &Actor, permission: Permission, key: &RecordKey) -> Error {
    Error::Forbidden {
        actor: actor.user.to_string(),
        action: permission.to_string(),
        entity: key.kind,
        id: Some(key.id.clone()),
    }
}

fn no_lifecycle(kind: EntityKind) -> Error {
    Error::invalid("entity", format!("a {kind} has no lifecycle")).with_value(kind)
}

fn check_version<R: Record>(record: &R, expected: u64) -> Result<()> {
    let found = record.meta().version;
    if found == expected {
        Ok(())
    } else {
        let key = record.key();
        Err(Error::Conflict {
            entity: key.kind,
            id: key.id,
            expected_version: expected,
            found: Some(found),
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::storage("a record did not serialise", e))
}

/// Whether a record (as JSON) has a value for `field`: present, not null, not
/// an empty string or list. `custom.KEY` looks in the custom values.
fn has_field(record: &Value, field: &str) -> bool {
    let value = match field.strip_prefix("custom.") {
        Some(key) => record.get("custom").and_then(|custom| custom.get(key)),
        None => record.get(field),
    };
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

const META_FIELDS: [&str; 6] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "shares",
];

fn check_protected<R: Record>(before: &R, after: &R) -> Result<()> {
    let changes = diff(&to_json(before)?, &to_json(after)?);
    let touched: Vec<String> = changes
        .into_iter()
        .map(|change| change.field)
        .filter(|field| {
            META_FIELDS.contains(&field.as_str()) || R::PROTECTED.contains(&field.as_str())
        })
        .collect();
    if touched.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation {
            fields: touched,
            value: None,
            reason: "changes only through its own command (a transition, an assignment)".into(),
        })
    }
}

fn merge_fields<R: Record>(record: &R, fields: serde_json::Map<String, Value>) -> Result<R> {
    let mut json = to_json(record)?;
    let Some(object) = json.as_object_mut() else {
        return Err(Error::invalid("fields", "the record is not an object"));
    };
    for (field, value) in fields {
        if !object.contains_key(&field) {
            let shown: String = field.chars().take(64).collect();
            return Err(
                Error::invalid("fields", format!("is not a {} field", R::KIND)).with_value(shown),
            );
        }
        object.insert(field.clone(), value);
        // Check field by field, so that the error names the one that does not fit.
        if let Err(err) = serde_json::from_value::<R>(Value::Object(object.clone())) {
            return Err(Error::invalid(
                field,
                format!("does not fit: {}", strip_personal(&err.to_string())),
            ));
        }
    }
    serde_json::from_value(json)
        .map_err(|e| Error::invalid("fields", strip_personal(&e.to_string())))
}

/// A serde message without the quoted input it may echo (which could be
/// personal data).
fn strip_personal(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' | '`' => {
                quoted = !quoted;
                if !quoted {
                    out.push_str("...");
                }
            }
            _ if quoted => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod analytics_tests;
#[cfg(test)]
mod assignment_tests;
#[cfg(test)]
mod dedupe_tests;
#[cfg(test)]
mod desk_tests;
#[cfg(test)]
mod loyalty_tests;
#[cfg(test)]
mod payments_tests;
#[cfg(test)]
mod tests;
