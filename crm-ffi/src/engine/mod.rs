//! The engine object, `Crm` on the foreign side: its constructor, its clock,
//! and the generic commands (`get`, `history`, `list`, `transition`,
//! `update`, `share`, `unshare`, the outbox). The typed commands live in one file per
//! concept, as in the core: `leads.rs`, `deals.rs`, `service.rs`, `tasks.rs`,
//! `directory.rs`, `assignment.rs`, `value.rs` (customer value), `dedupe.rs`
//! (duplicates in the store: find, merge, unmerge), `quotes.rs` (quote
//! versions on deals), `payments.rs` (payment plans on contracts,
//! receivables, collections), `desk.rs` (the service desk: SLA states,
//! escalation, surveys), `loyalty.rs` (the points ledger, member levels,
//! care items, campaigns), `analytics.rs` (metrics as tables, lifetime
//! value), `import.rs` (bulk import).
//!
//! Every method is synchronous and, over a file or a server, blocks on I/O:
//! the host calls it off its UI thread (Kotlin `Dispatchers.IO`, a Swift
//! background task). The crate README says why there are no `async` variants.

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

use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use chrono::Duration;
use crm::Crm as CoreCrm;
use crm::Error as CoreError;
use crm::RecordKey as CoreRecordKey;
use crm::TransitionInput as CoreTransitionInput;
use crm::access::Actor as CoreActor;
use crm::store::{MemoryStore, Query};
use crm::{Config, DynStore, EventId, FixedClock, Grantee as CoreGrantee, SeededIds, SystemClock};

use crate::access::Actor;
use crate::clock::{from_system_time, from_system_time_opt, to_system_time};
use crate::error::CrmError;
use crate::event::{Event, OutboxMessage};
use crate::model::{AnyRecord, Grantee, count, parse_json};

/// The CRM engine over a store: in memory (`Crm(...)`), or an SQLite file or
/// a PostgreSQL database (`Crm.open(location, ...)`).
///
/// Every command takes the [`Actor`] running it, checks their permission and
/// data scope, and commits its records, one event per change and any outbox
/// messages at once. An object is safe to share between threads; calls run one
/// at a time. Over a file or a server every call blocks on I/O: make them off
/// the UI thread.
#[derive(uniffi::Object)]
#[uniffi(name = "Crm")]
pub struct FfiCrm {
    engine: Mutex<CoreCrm<DynStore>>,
    /// The clock the engine reads, when it is a fixed one the host moves.
    clock: Option<FixedClock>,
}

impl std::fmt::Debug for FfiCrm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm")
            .field("fixed_clock", &self.clock.is_some())
            .finish_non_exhaustive()
    }
}

impl FfiCrm {
    /// The engine, for one call.
    ///
    /// # Errors
    ///
    /// [`CrmError::Storage`] when an earlier call panicked half-way (a bug):
    /// the store may then be inconsistent, so it is not used again.
    pub(crate) fn engine(&self) -> Result<MutexGuard<'_, CoreCrm<DynStore>>, CrmError> {
        // A host callback (an import's progress listener) runs while this
        // engine is locked: a call back into it would wait for itself.
        if CALLING_BACK.with(Cell::get) == self.address() {
            return Err(CoreError::invalid(
                "progress",
                "the progress listener may not call the Crm running the import",
            )
            .into());
        }
        self.engine.lock().map_err(|_| CrmError::Storage {
            reason: "an earlier call failed half-way; this engine can no longer be used".into(),
        })
    }

    /// This object's address, which marks it in [`CALLING_BACK`].
    fn address(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Runs a host callback while this engine is locked by the calling
    /// thread: until it returns, that thread's calls to this object fail
    /// (see [`FfiCrm::engine`]) rather than deadlock.
    pub(crate) fn calling_back<T>(&self, callback: impl FnOnce() -> T) -> T {
        let before = CALLING_BACK.with(|c| c.replace(self.address()));
        let result = callback();
        CALLING_BACK.with(|c| c.set(before));
        result
    }

    /// An engine over `store`, on a fixed clock at `now` or the system clock,
    /// with the configuration in `config_json` or the default one.
    fn over(
        store: DynStore,
        now: Option<SystemTime>,
        seed: Option<u64>,
        config_json: Option<String>,
    ) -> Result<Arc<Self>, CrmError> {
        let now = from_system_time_opt("now", now)?;
        let config = config(config_json)?;
        Self::with_clock(store, now, seed, config)
    }

    /// [`FfiCrm::over`] with the time and the configuration already read.
    fn with_clock(
        store: DynStore,
        now: Option<chrono::DateTime<chrono::Utc>>,
        seed: Option<u64>,
        config: Config,
    ) -> Result<Arc<Self>, CrmError> {
        let ids = seed.map_or_else(crm::ids_from_entropy, SeededIds::new);
        let (engine, clock) = match now {
            Some(now) => {
                let clock = FixedClock::new(now);
                let engine = CoreCrm::new(store, config, clock.clone(), ids)?;
                (engine, Some(clock))
            }
            None => {
                let engine = CoreCrm::new(store, config, SystemClock, ids)?;
                (engine, None)
            }
        };
        Ok(Arc::new(FfiCrm {
            engine: Mutex::new(engine),
            clock,
        }))
    }

    /// The fixed clock, for the commands that move it.
    fn fixed_clock(&self) -> Result<&FixedClock, CoreError> {
        self.clock.as_ref().ok_or_else(|| {
            CoreError::invalid(
                "clock",
                "is the system clock; only a crm made with `now` can be moved",
            )
        })
    }
}

thread_local! {
    /// The address of the `Crm` whose host callback runs on this thread (0:
    /// none).
    static CALLING_BACK: Cell<usize> = const { Cell::new(0) };
}

/// The engine's configuration: the Config JSON (`crm::Config::from_json`), or
/// the default one when there is none.
///
/// # Errors
///
/// A config error naming the path of the first problem (`config` for bad
/// JSON or an unknown key, `assignment.rules[0].when`, ...).
fn config(json: Option<String>) -> Result<Config, CoreError> {
    json.map_or_else(|| Ok(Config::default()), |json| Config::from_json(&json))
}

/// The core actor for an actor from the foreign side.
pub(crate) fn actor(actor: Actor) -> Result<CoreActor, CoreError> {
    actor.try_into()
}

/// Options of a lifecycle move through `transition`.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct TransitionOptions {
    /// The target state, when the action can lead to several (`move` in a pipeline).
    #[uniffi(default)]
    pub to: Option<String>,
    /// Why (required by some actions, e.g. `discard`, `lose`).
    #[uniffi(default)]
    pub reason: Option<String>,
    /// The version the caller read; a different stored version is a conflict.
    #[uniffi(default)]
    pub expected_version: Option<u64>,
}

impl From<TransitionOptions> for CoreTransitionInput {
    fn from(options: TransitionOptions) -> Self {
        CoreTransitionInput {
            to: options.to,
            reason: options.reason,
            expected_version: options.expected_version,
        }
    }
}

/// Filters of `list`; each left null matches every record.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ListOptions {
    /// Only records owned by this user.
    #[uniffi(default)]
    pub owner: Option<String>,
    /// Only records in this state (`"new"`, `"qualified"`, ...).
    #[uniffi(default)]
    pub status: Option<String>,
    /// At most this many records.
    #[uniffi(default)]
    pub limit: Option<u32>,
}

/// The query of `list`: `kind` and the filters set in `options`.
///
/// # Errors
///
/// A validation error on `entity` for an unknown kind, on `owner` for a
/// malformed user id.
fn list_query(kind: &str, options: ListOptions) -> Result<Query, CoreError> {
    let mut query = Query::new(kind.parse()?);
    if let Some(owner) = options.owner {
        let owner = crm::UserId::new(owner).map_err(|err| err.in_field("owner"))?;
        query = query.owner(owner);
    }
    if let Some(status) = options.status {
        query = query.status(status);
    }
    if let Some(limit) = options.limit {
        query = query.limit(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(query)
}

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// A new engine over an empty in-memory store.
    ///
    /// With `now`, the engine runs on a fixed clock showing that time, which
    /// only `advanceClock` and `setNow` move (tests, demos, replays); without
    /// it, on the system clock. With `seed`, ids come from a seeded generator
    /// (the same seed and clock give the same ids); without it, from the
    /// operating system's randomness. With `configJson`, the engine runs by
    /// that configuration (the Config JSON: `lifecycles`, `fields`,
    /// `policy`, `assignment`, `lead_scoring`, `claim_limit`, `reclaim`,
    /// `first_contact_within_hours`, `dedupe`, ...); without it, by the
    /// default one.
    ///
    /// # Errors
    ///
    /// `Validation` on `now` when the time is out of range; `Config` naming
    /// the path of the first problem in `configJson` (`config` for JSON that
    /// does not parse or an unknown key).
    #[uniffi::constructor(default(now = None, seed = None, config_json = None))]
    pub fn new(
        now: Option<SystemTime>,
        seed: Option<u64>,
        config_json: Option<String>,
    ) -> Result<Arc<Self>, CrmError> {
        Self::over(Box::new(MemoryStore::new()), now, seed, config_json)
    }

    /// An engine over the store at `location`: the path of an SQLite file
    /// (created when missing; on a phone, one in the app's data directory),
    /// `:memory:` for an in-memory SQLite database, or a `postgres://` URL.
    /// What was written there before is read back.
    ///
    /// `now`, `seed` and `configJson` are as for the main constructor. A seed
    /// repeats its ids from the start in every session, so over a file that
    /// outlives the object leave it out (tests that write once excepted).
    /// The configuration is not stored: pass the same one every time.
    ///
    /// Opening and every later call do I/O: call them off the UI thread.
    ///
    /// # Errors
    ///
    /// `Validation` on `location` when it is empty, on `now` when the time
    /// is out of range; `Config` as for the main constructor; `Storage` when
    /// the file or server cannot be opened (a missing directory, no
    /// permission, a file that is not a crm database or was written by a
    /// newer crm).
    #[uniffi::constructor(default(now = None, seed = None, config_json = None))]
    pub fn open(
        location: String,
        now: Option<SystemTime>,
        seed: Option<u64>,
        config_json: Option<String>,
    ) -> Result<Arc<Self>, CrmError> {
        // Check the clock and the configuration before touching the disk or
        // the network.
        let now = from_system_time_opt("now", now)?;
        let config = config(config_json)?;
        let store = crm::open_store(&location)?;
        Self::with_clock(store, now, seed, config)
    }

    /// The current time by the engine's clock, to the microsecond.
    ///
    /// # Errors
    ///
    /// `Storage` only when the engine is unusable after an internal failure.
    pub fn now(&self) -> Result<SystemTime, CrmError> {
        Ok(to_system_time(self.engine()?.now()))
    }

    /// Moves the fixed clock on by the sum of `minutes`, `hours` and `days`
    /// (back, with negative values).
    ///
    /// # Errors
    ///
    /// `Validation` on `clock` when the engine runs on the system clock or
    /// the move leaves the range of supported times.
    #[uniffi::method(default(minutes = 0, hours = 0, days = 0))]
    pub fn advance_clock(&self, minutes: i64, hours: i64, days: i64) -> Result<(), CrmError> {
        let clock = self.fixed_clock()?;
        let out_of_range =
            || CoreError::invalid("clock", "would leave the range of supported times");
        let total = hours
            .checked_mul(60)
            .and_then(|h| days.checked_mul(24 * 60).and_then(|d| h.checked_add(d)))
            .and_then(|hd| hd.checked_add(minutes))
            .and_then(Duration::try_minutes)
            .ok_or_else(out_of_range)?;
        let now = crm::Clock::now(clock)
            .checked_add_signed(total)
            .ok_or_else(out_of_range)?;
        clock.set(now);
        Ok(())
    }

    /// Sets the fixed clock to `now`.
    ///
    /// # Errors
    ///
    /// `Validation` on `clock` when the engine runs on the system clock, on
    /// `now` when the time is out of range.
    pub fn set_now(&self, now: SystemTime) -> Result<(), CrmError> {
        let clock = self.fixed_clock()?;
        clock.set(from_system_time("now", now)?);
        Ok(())
    }

    /// The record of `kind` (`"lead"`, `"ticket"`, ...) with this id.
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind or on `<kind>_id` for a
    /// malformed id, `NotFound`, `Forbidden` (read).
    pub fn get(&self, actor: Actor, kind: String, id: String) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        Ok(self.engine()?.get_any(&actor, key)?.into())
    }

    /// The events of a record, oldest first.
    ///
    /// # Errors
    ///
    /// As `get`.
    pub fn history(&self, actor: Actor, kind: String, id: String) -> Result<Vec<Event>, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let events = self.engine()?.history(&actor, key)?;
        Ok(events.into_iter().map(Event::from).collect())
    }

    /// The records of `kind` the actor may read, ordered by id, filtered by
    /// `options` (owner, state, at most `limit`).
    ///
    /// # Errors
    ///
    /// `Validation` on `entity` for an unknown kind, on `owner` for a
    /// malformed user id.
    #[uniffi::method(default(options))]
    pub fn list(
        &self,
        actor: Actor,
        kind: String,
        options: ListOptions,
    ) -> Result<Vec<AnyRecord>, CrmError> {
        let actor = self::actor(actor)?;
        let query = list_query(&kind, options)?;
        let records = self.engine()?.list(&actor, &query)?;
        Ok(records.into_iter().map(AnyRecord::from).collect())
    }

    /// The lifecycle actions possible from the record's current state (what a
    /// screen can offer as buttons).
    ///
    /// # Errors
    ///
    /// As `get`.
    pub fn available_actions(
        &self,
        actor: Actor,
        kind: String,
        id: String,
    ) -> Result<Vec<String>, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        Ok(self.engine()?.available_actions(&actor, key)?)
    }

    /// Moves any record with a lifecycle by `action` (`"qualify"`,
    /// `"recycle"`, `"move"` with `options.to`, ...).
    ///
    /// # Errors
    ///
    /// `NotFound`, `Forbidden` (edit), `Conflict` when
    /// `options.expectedVersion` is stale, `InvalidTransition` when the
    /// lifecycle does not allow the action from the current state (an unknown
    /// action included), `Validation` for a missing reason or missing fields.
    #[uniffi::method(default(options))]
    pub fn transition(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        action: String,
        options: TransitionOptions,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let record = self
            .engine()?
            .transition(&actor, key, &action, options.into())?;
        Ok(record.into())
    }

    /// Changes fields of a record. `fieldsJson` is a JSON object of field
    /// names to canonical values (`{"name": "New", "expected_amount":
    /// {"amount": "10.00", "currency": "EUR"}}`); `expectedVersion` is the
    /// version the caller read.
    ///
    /// # Errors
    ///
    /// `Validation` on `fields` when the text is not a JSON object, on a
    /// field that only a dedicated command changes (`stage`, `owner`, ...) or
    /// a bad value; `Conflict` when `expectedVersion` is stale; `NotFound`,
    /// `Forbidden` (edit).
    pub fn update(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        expected_version: u64,
        fields_json: String,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let fields = parse_json("fields", "a JSON object", &fields_json)?;
        let record = self
            .engine()?
            .update_fields(&actor, key, expected_version, fields)?;
        Ok(record.into())
    }

    /// Shares a record with a user or a team, for `access` `"read"` or
    /// `"edit"` (replacing an earlier share with the same grantee).
    ///
    /// # Errors
    ///
    /// `Validation` on `access`, on `user_id` or `team_id`; `NotFound`,
    /// `Forbidden` (share).
    pub fn share(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        grantee: Grantee,
        access: String,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let grantee = CoreGrantee::try_from(grantee)?;
        let access: crm::ShareAccess = access.parse()?;
        Ok(self.engine()?.share(&actor, key, grantee, access)?.into())
    }

    /// Takes back a share.
    ///
    /// # Errors
    ///
    /// As `share`; `Validation` on `grantee` when the record is not shared
    /// with them.
    pub fn unshare(
        &self,
        actor: Actor,
        kind: String,
        id: String,
        grantee: Grantee,
    ) -> Result<AnyRecord, CrmError> {
        let actor = self::actor(actor)?;
        let key = CoreRecordKey::parse(&kind, &id)?;
        let grantee = CoreGrantee::try_from(grantee)?;
        Ok(self.engine()?.unshare(&actor, key, &grantee)?.into())
    }

    /// Takes up to `limit` outbox messages that are due, leasing them to the
    /// caller for a while; a message not acknowledged in time is handed out
    /// again.
    ///
    /// # Errors
    ///
    /// `Storage` when the store fails.
    pub fn take_outbox(&self, limit: u32) -> Result<Vec<OutboxMessage>, CrmError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let messages = self.engine()?.take_outbox(limit)?;
        Ok(messages.into_iter().map(OutboxMessage::from).collect())
    }

    /// Marks outbox messages as done; returns how many were newly marked.
    ///
    /// # Errors
    ///
    /// `Validation` on `event_id` for a malformed id, on `ids` when an id is
    /// not an outbox message.
    pub fn ack_outbox(&self, ids: Vec<String>) -> Result<u64, CrmError> {
        let ids = ids
            .iter()
            .map(|id| id.parse())
            .collect::<Result<Vec<EventId>, CoreError>>()?;
        let acked = self.engine()?.ack_outbox(&ids)?;
        Ok(count(acked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewLead;

    fn ana() -> Actor {
        Actor {
            user: "ana".into(),
            roles: vec!["sales".into()],
            team: None,
            region: None,
        }
    }

    /// What one object writes to a file, a new object over it reads back.
    #[test]
    fn a_file_outlives_the_object() {
        let dir = std::env::temp_dir().join(format!("crm-ffi-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("crm.db").to_str().unwrap().to_owned();
        let start = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_603_600);

        let crm = FfiCrm::open(path.clone(), Some(start), None, None).unwrap();
        let lead = crm
            .create_lead(
                ana(),
                NewLead {
                    company: Some("Acme".into()),
                    owner: Some("ana".into()),
                    ..NewLead::default()
                },
            )
            .unwrap();
        let written = crm.history(ana(), "lead".into(), lead.id.clone()).unwrap();
        drop(crm);

        let again = FfiCrm::open(path, None, None, None).unwrap();
        match again.get(ana(), "lead".into(), lead.id.clone()).unwrap() {
            AnyRecord::Lead { record } => assert_eq!(record, lead),
            other => panic!("not a lead: {other:?}"),
        }
        assert_eq!(
            again.history(ana(), "lead".into(), lead.id).unwrap(),
            written
        );
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn list_names_the_bad_argument() {
        let crm = FfiCrm::new(None, Some(1), None).unwrap();
        let field = |kind: &str, options: ListOptions| match crm
            .list(ana(), kind.into(), options)
            .unwrap_err()
        {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("wrong case: {other:?}"),
        };
        assert_eq!(field("nope", ListOptions::default()), ["entity"]);
        let bad_owner = ListOptions {
            owner: Some(String::new()),
            ..ListOptions::default()
        };
        assert_eq!(field("lead", bad_owner), ["owner"]);
    }

    #[test]
    fn bad_locations_are_typed_errors() {
        match FfiCrm::open(String::new(), None, None, None).unwrap_err() {
            CrmError::Validation { fields, .. } => assert_eq!(fields, ["location"]),
            other => panic!("wrong case: {other:?}"),
        }
        let missing = std::env::temp_dir()
            .join(format!("crm-ffi-missing-{}", std::process::id()))
            .join("crm.db");
        match FfiCrm::open(missing.to_str().unwrap().to_owned(), None, None, None).unwrap_err() {
            CrmError::Storage { reason } => assert!(!reason.is_empty()),
            other => panic!("wrong case: {other:?}"),
        }
    }
}
