//! The engine as a JS class: `new Crm(options?)`, `Crm.open(location,
//! options?)` and one method per command, each with a Promise-returning
//! `...Async` twin.
//!
//! The methods live beside the core's: `leads.rs`, `deals.rs`, `quotes.rs`,
//! `payments.rs`, `service.rs`, `desk.rs`, `tasks.rs`, `directory.rs`,
//! `assignment.rs`, `value.rs`, `dedupe.rs`, `loyalty.rs`, `analytics.rs`
//! (metrics as tables, lifetime value) and `import.rs` (bulk import) hold the
//! typed commands, this file the engine's setup, the clock, the
//! generic commands and the outbox, and `pool.rs` what runs the `...Async`
//! methods on the libuv thread pool.
//!
//! Each command is written once, as a function returning a `Command` (a
//! closure over its arguments, already converted from JS by napi); the
//! synchronous method runs it on the main thread (`JsCrm::run`), the
//! `...Async` method on the thread pool (`JsCrm::spawn`).

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use napi::Env;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use serde_json::Value;

use crm::store::{MemoryStore, Query};
use crm::{Config, Crm, DynStore, Error, FixedClock, ShareAccess, TransitionInput, UserId};

use crate::access::JsActor;
use crate::clock::{JsClockAdvance, JsCrmOptions, TimeInput, rfc3339, time};
use crate::config::config;
use crate::convert::{self, count, integer, size};
use crate::error::{self, Failure};
use crate::event::{JsEvent, JsOutboxMessage};
use crate::model::{JsAnyRecord, JsGrantee, record_key};

use pool::{Command, execute};

pub use analytics::{
    JsChannelCost, JsClvReport, JsClvRow, JsLifetimeValueOptions, JsMetricQuery, JsSalesTarget,
};
pub use assignment::JsTransferWork;
pub use deals::JsWin;
pub use dedupe::{JsDuplicateMatch, JsMergeInput, JsMergeOutcome, JsUnmergeOptions};
pub use desk::JsSurveyAnswer;
pub use directory::{JsTeamInput, JsUserInput};
pub use import::{JsImportProgress, JsImportReport, JsImportSpec, JsRejectedRow, SourceInput};
pub use leads::JsConvertLead;
pub use loyalty::{
    JsCampaignInput, JsCampaignMeasure, JsGroupMeasure, JsLoyaltyReview, JsMemberLevelChange,
    JsMemberOutcome, JsPointsPosting, JsPurchaseInput,
};
pub use payments::{JsAging, JsCollected, JsPaymentInput, JsReceivable, JsReceivablesOptions};
pub use pool::Job;
pub(crate) use pool::guarded;
pub use quotes::JsQuoteInput;
pub use value::JsValueRefresh;

/// The engine a `Crm` wraps: over a store picked at run time (in memory, a
/// SQLite file or a PostgreSQL database).
pub(crate) type Engine = Crm<DynStore>;

/// What an `...Async` method returns: napi runs the [`Job`] on the libuv
/// thread pool and settles a Promise with its result.
pub type Pending<T> = AsyncTask<Job<T>>;

/// An embedded CRM engine.
///
/// `new Crm(options?)` keeps its records in memory; `Crm.open(location,
/// options?)` in a SQLite file or a PostgreSQL database, where they outlive
/// the process.
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
/// Every method has an `...Async` twin (`createLeadAsync`, `getAsync`, ...)
/// that runs the command on libuv's thread pool, store I/O included, and
/// returns a Promise of the same result, rejected with the same `Error`. Use
/// them in servers, where a command waiting for the disk or the database
/// should not hold up other requests. Commands on one engine run one at a
/// time; those started together (`Promise.all`) run in no particular order.
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
    /// The engine, shared with the thread pool that runs the `...Async`
    /// methods; a command holds the lock while it runs.
    engine: Arc<Mutex<Engine>>,
    /// Whether a synchronous command is running on the main thread. Methods
    /// take `&self` and lock the engine only while a command runs, after napi
    /// has converted the arguments: converting them may run JS code (a getter)
    /// that calls back into this object. Should a command ever be reached on
    /// the main thread while another one holds the lock there, it fails
    /// (`internal`) instead of deadlocking on the lock.
    running: Cell<bool>,
    /// The engine's clock when the host moves it (a clone shares the time).
    clock: Option<FixedClock>,
}

// The commands by concept. Declared after `JsCrm`: napi attaches an impl
// block's methods to the JS class it has already seen.
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
mod pool;
mod quotes;
mod service;
mod tasks;
mod value;

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

/// Options of `list`: filters on the records listed.
#[napi(object, js_name = "ListOptions", object_to_js = false)]
pub struct JsListOptions {
    /// Only the records this user owns.
    pub owner: Option<String>,
    /// Only the records in this state (`qualified`, `open`, ...).
    pub status: Option<String>,
    /// At most this many records (a whole number, 0 or more).
    pub limit: Option<f64>,
}

/// What `{ now, seed, config }` ask for, read and checked before a store is
/// opened (a malformed option does not create a file).
struct Setup {
    ids: crm::SeededIds,
    clock: Option<FixedClock>,
    config: Config,
}

impl Setup {
    fn read(options: Option<JsCrmOptions>) -> crm::Result<Setup> {
        let options = options.unwrap_or(JsCrmOptions {
            now: None,
            seed: None,
            config: None,
        });
        let ids = match options.seed {
            Some(seed) => crm::SeededIds::new(count("seed", seed)?),
            None => crm::ids_from_entropy(),
        };
        let clock = match options.now {
            Some(now) => Some(FixedClock::new(time("now", now)?)),
            None => None,
        };
        let config = config(options.config)?;
        Ok(Setup { ids, clock, config })
    }
}

impl JsCrm {
    /// An engine over `store`, set up as `setup` says.
    fn over(store: DynStore, setup: Setup) -> crm::Result<JsCrm> {
        let config = setup.config;
        let engine = match &setup.clock {
            Some(clock) => Crm::new(store, config, clock.clone(), setup.ids)?,
            None => Crm::new(store, config, crm::SystemClock, setup.ids)?,
        };
        Ok(JsCrm {
            engine: Arc::new(Mutex::new(engine)),
            running: Cell::new(false),
            clock: setup.clock,
        })
    }

    /// Opens the store at `location` and an engine over it: what `Crm.open`
    /// and `Crm.openAsync` run.
    fn open_at(location: &str, options: Option<JsCrmOptions>) -> crm::Result<JsCrm> {
        let setup = Setup::read(options)?;
        JsCrm::over(crm::open_store(location)?, setup)
    }

    /// Runs a command on the main thread: core errors become JS errors (see
    /// `error.rs`), and a panic (a bug) is caught rather than aborting the
    /// process. Waits while an `...Async` command holds the engine.
    ///
    /// The command need not be `Send` (it runs here): `importRows` calls its
    /// JS progress callback from inside it.
    fn run<T>(
        &self,
        env: &Env,
        command: impl FnOnce(&mut Engine) -> crm::Result<T>,
    ) -> napi::Result<T> {
        if self.running.replace(true) {
            return Err(Failure::Busy.into_js(env));
        }
        let outcome = execute(&self.engine, command);
        self.running.set(false);
        outcome.map_err(|failure| failure.into_js(env))
    }

    /// Runs a command on the thread pool: the `...Async` methods.
    fn spawn<T>(&self, command: Command<T>) -> Pending<T>
    where
        T: 'static,
        Job<T>: napi::Task,
    {
        let engine = Arc::clone(&self.engine);
        AsyncTask::new(Job::new(move || execute(&engine, command)))
    }
}

#[napi]
impl JsCrm {
    /// A new engine over an empty in-memory store.
    ///
    /// With `now`, the engine runs on a fixed clock that only `advanceClock`
    /// and `setNow` move (repeatable tests and demos); without it, on the
    /// system clock. With `seed`, ids repeat from run to run. With `config`
    /// (the Config JSON as a string, or a plain object), the engine's
    /// lifecycles, fields, policy, assignment rules, lead scoring, claim limit,
    /// reclaim policy and customer value (`rfm`, `value_currency`); without
    /// it, the defaults.
    ///
    /// @throws {Error} `validation` naming `now` or `seed` when one is
    /// malformed; `config` naming the path (`claim_limit`,
    /// `assignment.rules[0].team`, ...) when the configuration does not read.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<JsCrmOptions>) -> napi::Result<Self> {
        Setup::read(options)
            .and_then(|setup| JsCrm::over(Box::new(MemoryStore::new()), setup))
            .map_err(|err| error::to_js(&env, err))
    }

    /// An engine over the store at `location`: a `postgres://` (or
    /// `postgresql://`) URL opens a PostgreSQL database, which several
    /// processes and servers can share; `:memory:` an in-memory SQLite
    /// database; any other string is the path of a SQLite file, created when
    /// missing. The records, their history and
    /// the outbox are kept there: open the same file or URL again to carry on.
    ///
    /// `options` are those of `new Crm` (`now`, `seed`, `config`). Without
    /// `seed`, ids are random enough for processes sharing a database; with
    /// it, they repeat from run to run and would collide with the ids already
    /// stored.
    ///
    /// Opening a file or connecting waits for the disk or the network: a
    /// server opens with `openAsync`.
    ///
    /// @throws {Error} `validation` on `location` when it is empty, on `now` or
    /// `seed` when one is malformed; `config` naming the path when the
    /// configuration does not read; `storage` when the file or the database
    /// cannot be opened (a missing directory, no permission, an unreachable
    /// server, a store written by a newer version of crm).
    #[napi(factory)]
    pub fn open(env: Env, location: String, options: Option<JsCrmOptions>) -> napi::Result<Self> {
        guarded(|| JsCrm::open_at(&location, options)).map_err(|failure| failure.into_js(&env))
    }

    /// `open` off the main thread: a Promise of the engine, rejected with the
    /// `Error` that `open` throws.
    #[napi(ts_return_type = "Promise<Crm>")]
    pub fn open_async(location: String, options: Option<JsCrmOptions>) -> Pending<JsCrm> {
        AsyncTask::new(Job::new(move || {
            guarded(|| JsCrm::open_at(&location, options))
        }))
    }

    /// The current time by the engine's clock, to the microsecond, as an RFC
    /// 3339 string in UTC (`2026-01-05T09:00:00Z`).
    #[napi]
    pub fn now(&self, env: Env) -> napi::Result<String> {
        self.run(&env, now())
    }

    /// `now` off the main thread: a Promise of the time.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn now_async(&self) -> Pending<String> {
        self.spawn(now())
    }

    /// Moves the fixed clock on by `{ minutes?, hours?, days? }` (whole
    /// numbers; negative moves it back).
    ///
    /// @throws {Error} `validation` on `clock` when the engine runs on the
    /// system clock; on `minutes`, `hours` or `days` when one is not a whole
    /// number or the time would leave the representable range.
    #[napi]
    pub fn advance_clock(&self, env: Env, by: JsClockAdvance) -> napi::Result<()> {
        self.run(&env, advance_clock(self.clock.clone(), by))
    }

    /// `advanceClock` off the main thread: a Promise that resolves once the
    /// clock moved, rejected with the `Error` that `advanceClock` throws.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn advance_clock_async(&self, by: JsClockAdvance) -> Pending<()> {
        self.spawn(advance_clock(self.clock.clone(), by))
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
        self.run(&env, set_now(self.clock.clone(), now))
    }

    /// `setNow` off the main thread: a Promise that resolves once the clock is
    /// set, rejected with the `Error` that `setNow` throws.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_now_async(
        &self,
        #[napi(ts_arg_type = "string | Date")] now: TimeInput,
    ) -> Pending<()> {
        self.spawn(set_now(self.clock.clone(), now))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, get(actor, kind, id))
    }

    /// `get` off the main thread: a Promise of the record, rejected with the
    /// `Error` that `get` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn get_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
    ) -> Pending<JsAnyRecord> {
        self.spawn(get(actor, kind, id))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
    ) -> napi::Result<Vec<JsEvent>> {
        self.run(&env, history(actor, kind, id))
    }

    /// `history` off the main thread: a Promise of the events, rejected with
    /// the `Error` that `history` throws.
    #[napi(ts_return_type = "Promise<Array<Event>>")]
    pub fn history_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
    ) -> Pending<Vec<JsEvent>> {
        self.spawn(history(actor, kind, id))
    }

    /// The records of a kind that the actor may read, ordered by id, each
    /// tagged with its kind (see `AnyRecord`). `{ owner?, status?, limit? }`
    /// keep only the records this user owns, those in this state, and at most
    /// `limit` of them; records the actor may not read are left out.
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind, on `owner`
    /// for a malformed user id, on `limit` unless it is a whole number, 0 or
    /// more; `forbidden` (read) when the actor may read no record of the kind.
    #[napi]
    pub fn list(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        options: Option<JsListOptions>,
    ) -> napi::Result<Vec<JsAnyRecord>> {
        self.run(&env, list(actor, kind, options))
    }

    /// `list` off the main thread: a Promise of the records, rejected with the
    /// `Error` that `list` throws.
    #[napi(ts_return_type = "Promise<Array<AnyRecord>>")]
    pub fn list_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        options: Option<JsListOptions>,
    ) -> Pending<Vec<JsAnyRecord>> {
        self.spawn(list(actor, kind, options))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        action: String,
        options: Option<JsTransitionOptions>,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, transition(actor, kind, id, action, options))
    }

    /// `transition` off the main thread: a Promise of the record, rejected with
    /// the `Error` that `transition` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn transition_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        action: String,
        options: Option<JsTransitionOptions>,
    ) -> Pending<JsAnyRecord> {
        self.spawn(transition(actor, kind, id, action, options))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        expected_version: f64,
        #[napi(ts_arg_type = "Record<string, any>")] fields: Value,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, update(actor, kind, id, expected_version, fields))
    }

    /// `update` off the main thread: a Promise of the record, rejected with the
    /// `Error` that `update` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn update_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        expected_version: f64,
        #[napi(ts_arg_type = "Record<string, any>")] fields: Value,
    ) -> Pending<JsAnyRecord> {
        self.spawn(update(actor, kind, id, expected_version, fields))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
        #[napi(ts_arg_type = "'read' | 'edit'")] access: String,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, share(actor, kind, id, grantee, access))
    }

    /// `share` off the main thread: a Promise of the record, rejected with the
    /// `Error` that `share` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn share_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
        #[napi(ts_arg_type = "'read' | 'edit'")] access: String,
    ) -> Pending<JsAnyRecord> {
        self.spawn(share(actor, kind, id, grantee, access))
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
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, unshare(actor, kind, id, grantee))
    }

    /// `unshare` off the main thread: a Promise of the record, rejected with
    /// the `Error` that `unshare` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn unshare_async(
        &self,
        actor: JsActor,
        #[napi(
            ts_arg_type = "'customer' | 'contact' | 'lead' | 'opportunity' | 'contract' | 'ticket' | 'activity' | 'task' | 'user' | 'team' | 'points_entry' | 'campaign'"
        )]
        kind: String,
        id: String,
        grantee: JsGrantee,
    ) -> Pending<JsAnyRecord> {
        self.spawn(unshare(actor, kind, id, grantee))
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
        self.run(&env, take_outbox(limit))
    }

    /// `takeOutbox` off the main thread: a Promise of the messages, rejected
    /// with the `Error` that `takeOutbox` throws.
    #[napi(ts_return_type = "Promise<Array<OutboxMessage>>")]
    pub fn take_outbox_async(&self, limit: f64) -> Pending<Vec<JsOutboxMessage>> {
        self.spawn(take_outbox(limit))
    }

    /// Marks outbox messages as performed; returns how many were newly marked.
    ///
    /// @throws {Error} `validation` on `event_id` for a malformed id, on `ids`
    /// when an id is not an outbox message.
    #[napi]
    pub fn ack_outbox(&self, env: Env, ids: Vec<String>) -> napi::Result<u32> {
        self.run(&env, ack_outbox(ids))
    }

    /// `ackOutbox` off the main thread: a Promise of the count, rejected with
    /// the `Error` that `ackOutbox` throws.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn ack_outbox_async(&self, ids: Vec<String>) -> Pending<u32> {
        self.spawn(ack_outbox(ids))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn now() -> Command<String> {
    Box::new(|crm| Ok(rfc3339(crm.now())))
}

fn advance_clock(clock: Option<FixedClock>, by: JsClockAdvance) -> Command<()> {
    Box::new(move |crm| {
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

fn set_now(clock: Option<FixedClock>, now: TimeInput) -> Command<()> {
    Box::new(move |_| {
        let clock = clock.ok_or_else(no_fixed_clock)?;
        clock.set(time("now", now)?);
        Ok(())
    })
}

fn get(actor: JsActor, kind: String, id: String) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let record = crm.get_any(&actor.to_core()?, record_key(&kind, &id)?)?;
        Ok(record.into())
    })
}

fn history(actor: JsActor, kind: String, id: String) -> Command<Vec<JsEvent>> {
    Box::new(move |crm| {
        let events = crm.history(&actor.to_core()?, record_key(&kind, &id)?)?;
        Ok(events.into_iter().map(JsEvent::from).collect())
    })
}

fn list(actor: JsActor, kind: String, options: Option<JsListOptions>) -> Command<Vec<JsAnyRecord>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let mut query = Query::new(kind.parse()?);
        if let Some(options) = options {
            if let Some(owner) = options.owner {
                query = query.owner(UserId::new(owner).map_err(|err| err.in_field("owner"))?);
            }
            if let Some(status) = options.status {
                query = query.status(status);
            }
            if let Some(limit) = options.limit {
                query = query.limit(size("limit", limit)?);
            }
        }
        let records = crm.list(&actor, &query)?;
        Ok(records.into_iter().map(JsAnyRecord::from).collect())
    })
}

fn transition(
    actor: JsActor,
    kind: String,
    id: String,
    action: String,
    options: Option<JsTransitionOptions>,
) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
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

fn update(
    actor: JsActor,
    kind: String,
    id: String,
    expected_version: f64,
    fields: Value,
) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let key = record_key(&kind, &id)?;
        let version = count("expected_version", expected_version)?;
        let record = crm.update_fields(&actor, key, version, convert::fields(fields)?)?;
        Ok(record.into())
    })
}

fn share(
    actor: JsActor,
    kind: String,
    id: String,
    grantee: JsGrantee,
    access: String,
) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let key = record_key(&kind, &id)?;
        let grantee = grantee.to_core()?;
        let access = access.parse::<ShareAccess>()?;
        Ok(crm.share(&actor, key, grantee, access)?.into())
    })
}

fn unshare(actor: JsActor, kind: String, id: String, grantee: JsGrantee) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let key = record_key(&kind, &id)?;
        Ok(crm.unshare(&actor, key, &grantee.to_core()?)?.into())
    })
}

fn take_outbox(limit: f64) -> Command<Vec<JsOutboxMessage>> {
    Box::new(move |crm| {
        let messages = crm.take_outbox(size("limit", limit)?)?;
        Ok(messages.into_iter().map(JsOutboxMessage::from).collect())
    })
}

fn ack_outbox(ids: Vec<String>) -> Command<u32> {
    Box::new(move |crm| {
        let ids = ids
            .iter()
            .map(|id| id.parse())
            .collect::<crm::Result<Vec<_>>>()?;
        let acked = crm.ack_outbox(&ids)?;
        Ok(u32::try_from(acked).unwrap_or(u32::MAX))
    })
}

fn no_fixed_clock() -> Error {
    Error::invalid(
        "clock",
        "is the system clock; pass `now` to the constructor for a clock the host moves",
    )
}
