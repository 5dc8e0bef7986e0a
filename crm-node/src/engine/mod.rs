//! The engine as a JS class: `new Crm(options?)` and one method per command.
//!
//! The methods live beside the core's: `leads.rs`, `deals.rs`, `service.rs`,
//! `tasks.rs` and `directory.rs` hold the typed commands, this file the clock,
//! the generic commands and the outbox.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::Duration;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crm::store::MemoryStore;
use crm::{Config, Crm, Error, FixedClock, ShareAccess, TransitionInput};

use crate::access::JsActor;
use crate::clock::{JsClockAdvance, JsCrmOptions, TimeInput, rfc3339, time};
use crate::convert::{self, choice, count, integer, size};
use crate::error;
use crate::event::{JsEvent, JsOutboxMessage};
use crate::model::{JsAnyRecord, JsGrantee, record_key};

pub use deals::JsWin;
pub use directory::{JsTeamInput, JsUserInput};
pub use leads::JsConvertLead;

/// An embedded CRM engine over an in-memory store.
///
/// Every command takes the actor running it first (`{ user, roles?, team?,
/// region? }`), checks their permission and data scope, and commits its
/// records, one event per change and any outbox messages at once. Records come
/// back as plain objects (camelCase keys, `null` for absent values, times as
/// RFC 3339 strings, money as `{ amount: string, currency }`).
///
/// Failures are thrown as `Error` objects with a stable `code`
/// (`validation`, `invalid_transition`, `not_found`, `conflict`, `forbidden`,
/// `storage`, `config`) and the error's fields as properties (`fields`,
/// `from`, `action`, `entity`, `id`, `expectedVersion`, `found`, ...).
///
/// @example
/// ```js
/// const { Crm } = require('crm')
/// const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 1 })
/// const ana = { user: 'ana', roles: ['sales'] }
/// const lead = crm.createLead(ana, { company: 'Acme GmbH', owner: 'ana' })
/// crm.qualifyLead(ana, lead.id).status // 'qualified'
/// try {
///   crm.discardLead(ana, lead.id, '')
/// } catch (err) {
///   err.code   // 'validation'
///   err.fields // ['reason']
/// }
/// ```
#[napi(js_name = "Crm")]
pub struct JsCrm {
    /// The engine. Methods take `&self` and borrow it only while a command
    /// runs, after napi has converted the arguments: converting them may run
    /// JS code (a getter) that calls back into this object, which two live
    /// `&mut JsCrm` would make unsound.
    crm: RefCell<Crm<MemoryStore>>,
    /// The engine's clock when the host moves it (a clone shares the time).
    clock: Option<FixedClock>,
}

// The commands by concept. Declared after `JsCrm`: napi attaches an impl
// block's methods to the JS class it has already seen.
mod deals;
mod directory;
mod leads;
mod service;
mod tasks;

/// Options of `transition`.
#[napi(object, js_name = "TransitionOptions", object_to_js = false)]
pub struct JsTransitionOptions {
    /// The target state, when the action can lead to several (`move` in a
    /// pipeline).
    pub to: Option<String>,
    /// Why (required by some actions, such as `discard` and `lose`).
    pub reason: Option<String>,
    /// The version you read; a different stored version is a `conflict`.
    pub expected_version: Option<f64>,
}

impl JsCrm {
    /// Runs one command: core errors become JS errors (see `error.rs`), and a
    /// panic (a bug) is caught rather than aborting the process.
    fn run<T>(
        &self,
        env: &Env,
        command: impl FnOnce(&mut Crm<MemoryStore>) -> crm::Result<T>,
    ) -> napi::Result<T> {
        let Ok(mut crm) = self.crm.try_borrow_mut() else {
            return Err(error::reentered(env));
        };
        match catch_unwind(AssertUnwindSafe(|| command(&mut crm))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(error::to_js(env, err)),
            Err(panic) => Err(error::from_panic(env, panic)),
        }
    }
}

#[napi]
impl JsCrm {
    /// A new engine with the default configuration over an empty in-memory
    /// store.
    ///
    /// With `now`, the engine runs on a fixed clock that only `advanceClock`
    /// and `setNow` move (repeatable tests and demos); without it, on the
    /// system clock. With `seed`, ids repeat from run to run.
    ///
    /// @throws {Error} `validation` naming `now` or `seed` when one is malformed.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<JsCrmOptions>) -> napi::Result<Self> {
        let options = options.unwrap_or(JsCrmOptions {
            now: None,
            seed: None,
        });
        let built = (|| -> crm::Result<JsCrm> {
            let ids = match options.seed {
                Some(seed) => crm::SeededIds::new(count("seed", seed)?),
                None => crm::ids_from_entropy(),
            };
            let store = MemoryStore::new();
            let config = Config::default();
            Ok(match options.now {
                Some(now) => {
                    let clock = FixedClock::new(time("now", now)?);
                    JsCrm {
                        crm: RefCell::new(Crm::new(store, config, clock.clone(), ids)?),
                        clock: Some(clock),
                    }
                }
                None => JsCrm {
                    crm: RefCell::new(Crm::new(store, config, crm::SystemClock, ids)?),
                    clock: None,
                },
            })
        })();
        built.map_err(|err| error::to_js(&env, err))
    }

    /// The current time by the engine's clock, to the microsecond, as an RFC
    /// 3339 string in UTC (`2026-01-05T09:00:00Z`).
    #[napi]
    pub fn now(&self, env: Env) -> napi::Result<String> {
        self.run(&env, |crm| Ok(rfc3339(crm.now())))
    }

    /// Moves the fixed clock on by `{ minutes?, hours?, days? }` (whole
    /// numbers; negative moves it back).
    ///
    /// @throws {Error} `validation` on `clock` when the engine runs on the
    /// system clock; on `minutes`, `hours` or `days` when one is not a whole
    /// number or the time would leave the representable range.
    #[napi]
    pub fn advance_clock(&self, env: Env, by: JsClockAdvance) -> napi::Result<()> {
        let clock = self.clock.clone();
        self.run(&env, move |crm| {
            let clock = clock.ok_or_else(no_fixed_clock)?;
            let mut step = Duration::zero();
            for (field, value, minutes) in [
                ("minutes", by.minutes, 1),
                ("hours", by.hours, 60),
                ("days", by.days, 24 * 60),
            ] {
                let Some(value) = value else { continue };
                let out_of_range =
                    || Error::invalid(field, "moves the clock out of range").with_value(value);
                let part = integer(field, value)?
                    .checked_mul(minutes)
                    .and_then(Duration::try_minutes)
                    .ok_or_else(out_of_range)?;
                step = step.checked_add(&part).ok_or_else(out_of_range)?;
            }
            let now = crm
                .now()
                .checked_add_signed(step)
                .ok_or_else(|| Error::invalid("clock", "would leave the representable range"))?;
            clock.set(now);
            Ok(())
        })
    }

    /// Sets the fixed clock to a time (an RFC 3339 string or a `Date`).
    ///
    /// @throws {Error} `validation` on `clock` when the engine runs on the
    /// system clock; on `now` when the time is malformed.
    #[napi]
    pub fn set_now(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Date")] now: TimeInput,
    ) -> napi::Result<()> {
        let clock = self.clock.clone();
        self.run(&env, move |_| {
            let clock = clock.ok_or_else(no_fixed_clock)?;
            clock.set(time("now", now)?);
            Ok(())
        })
    }

    /// The record of this kind and id, as the actor may see it, tagged with its
    /// kind: `{ entity: 'lead', lead: {...} }` (see `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind, on
    /// `lead_id` (etc.) for a malformed id; `not_found`; `forbidden` (read).
    #[napi]
    pub fn get(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, |crm| {
            let record = crm.get_any(&actor.to_core()?, record_key(&kind, &id)?)?;
            Ok(record.into())
        })
    }

    /// The events of a record, oldest first: who changed what, when, from which
    /// state to which, and why.
    ///
    /// @throws {Error} as `get`.
    #[napi]
    pub fn history(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
    ) -> napi::Result<Vec<JsEvent>> {
        self.run(&env, |crm| {
            let events = crm.history(&actor.to_core()?, record_key(&kind, &id)?)?;
            Ok(events.into_iter().map(JsEvent::from).collect())
        })
    }

    /// Moves any record with a lifecycle by `action` (`qualify`, `recycle`,
    /// `move`, ...), with `{ to?, reason?, expectedVersion? }`. Returns the
    /// record, tagged with its kind (see `AnyRecord`).
    ///
    /// @throws {Error} `invalid_transition` when the lifecycle does not allow
    /// the action from the current state; `validation` for a missing reason or
    /// missing fields, or a kind without a lifecycle; `conflict` when
    /// `expectedVersion` is stale; `not_found`; `forbidden` (edit).
    #[napi]
    pub fn transition(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
        action: String,
        options: Option<JsTransitionOptions>,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let key = record_key(&kind, &id)?;
            let input = match options {
                Some(options) => TransitionInput {
                    to: options.to,
                    reason: options.reason,
                    expected_version: options
                        .expected_version
                        .map(|version| count("expected_version", version))
                        .transpose()?,
                },
                None => TransitionInput::default(),
            };
            Ok(crm.transition(&actor, key, &action, input)?.into())
        })
    }

    /// Changes a record's own fields, based on the version you read.
    ///
    /// `fields` maps field names (camelCase or snake_case) to new values in
    /// canonical JSON: strings for text, ids and times (RFC 3339), `YYYY-MM-DD`
    /// for dates, `{ amount: '12000.00', currency: 'EUR' }` for money, `null`
    /// to clear an optional field; `custom` replaces the custom values. Returns
    /// the record, tagged with its kind (see `AnyRecord`).
    ///
    /// @throws {Error} `conflict` when `expectedVersion` is not the stored
    /// version; `validation` naming the field when a value does not fit, the
    /// name is not a field, or the field changes only through its own command
    /// (state, owner, ...); `not_found`; `forbidden` (edit).
    #[napi]
    pub fn update(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
        expected_version: f64,
        #[napi(ts_arg_type = "Record<string, any>")] fields: Value,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let key = record_key(&kind, &id)?;
            let version = count("expected_version", expected_version)?;
            let record = crm.update_fields(&actor, key, version, convert::fields(fields)?)?;
            Ok(record.into())
        })
    }

    /// Shares a record with a user or a team (`{ user }` or `{ team }`), with
    /// `read` or `edit` access, or changes what an existing share allows.
    /// Returns the record, tagged with its kind (see `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `grantee` unless exactly one of `user`
    /// and `team` is given, on `access` for another value; `not_found`;
    /// `forbidden` (share).
    #[napi]
    pub fn share(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
        #[napi(ts_arg_type = "'read' | 'edit'")] access: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let key = record_key(&kind, &id)?;
            let grantee = grantee.to_core()?;
            let access = choice!(ShareAccess, "access", &access)?;
            Ok(crm.share(&actor, key, grantee, access)?.into())
        })
    }

    /// Withdraws a share. Returns the record, tagged with its kind (see
    /// `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `grantee` when the record is not shared
    /// with them; `not_found`; `forbidden` (share).
    #[napi]
    pub fn unshare(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, |crm| {
            let actor = actor.to_core()?;
            let key = record_key(&kind, &id)?;
            Ok(crm.unshare(&actor, key, &grantee.to_core()?)?.into())
        })
    }

    /// Takes up to `limit` outbox messages to perform, leasing them for five
    /// minutes. Perform each (idempotently, keyed by its id), then
    /// `ackOutbox` them; a message not acknowledged in time is handed out
    /// again.
    ///
    /// @throws {Error} `validation` on `limit` unless it is a whole number, 0
    /// or more; `storage`.
    #[napi]
    pub fn take_outbox(&self, env: Env, limit: f64) -> napi::Result<Vec<JsOutboxMessage>> {
        self.run(&env, |crm| {
            let messages = crm.take_outbox(size("limit", limit)?)?;
            Ok(messages.into_iter().map(JsOutboxMessage::from).collect())
        })
    }

    /// Marks outbox messages as performed; returns how many were newly marked.
    ///
    /// @throws {Error} `validation` on `event_id` for a malformed id, on `ids`
    /// when an id is not an outbox message.
    #[napi]
    pub fn ack_outbox(&self, env: Env, ids: Vec<String>) -> napi::Result<u32> {
        self.run(&env, |crm| {
            let ids = ids
                .iter()
                .map(|id| id.parse())
                .collect::<crm::Result<Vec<_>>>()?;
            let acked = crm.ack_outbox(&ids)?;
            Ok(u32::try_from(acked).unwrap_or(u32::MAX))
        })
    }
}

fn no_fixed_clock() -> Error {
    Error::invalid(
        "clock",
        "is the system clock; pass `now` to the constructor for a clock the host moves",
    )
}
