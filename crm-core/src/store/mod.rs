//! Storage: the [`Store`] trait, the in-memory store, and the conformance suite
//! every backend runs.
//!
//! The engine reads what it needs, decides, and hands the store one
//! [`ChangeSet`]: the records to write (each with the version it read), the
//! events, and the outbox messages. The store applies all of it in one
//! transaction or none of it, and refuses a write whose version is stale with
//! [`Error::Conflict`]. This keeps the engine free of I/O and lets any database
//! with transactions be a backend.

pub mod backend;
pub mod conformance;
mod memory;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::event::{Event, OutboxMessage};
use crate::model::{
    AnyRecord, EntityKind, EventId, IndexKeys, RecordKey, TeamId, UserId, normalize_email,
    normalize_phone,
};

pub use memory::MemoryStore;

/// One record to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// The record, as it should be stored. The store sets its version to
    /// `expected_version + 1`.
    pub record: AnyRecord,
    /// The version the write is based on: 0 for a new record (which must not
    /// exist yet), otherwise the version read.
    pub expected_version: u64,
}

/// Everything one command writes, applied atomically by [`Store::commit`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// Records to write, each at most once.
    pub writes: Vec<Write>,
    /// Events to append, in order (the store assigns their `seq`).
    pub events: Vec<Event>,
    /// Outbox messages to add.
    pub outbox: Vec<OutboxMessage>,
    /// Named engine state to write (e.g. the assignment rules' positions).
    pub states: Vec<StateWrite>,
}

/// A named piece of the engine's own state, kept beside the records: e.g. where
/// each round-robin rule stands and how many items each user was given today.
/// Versioned like a record, so two servers routing at once cannot both win.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The state's name, e.g. `"assignment"`.
    pub name: String,
    /// 1 after the first write, counted up by each write.
    pub version: u64,
    /// The state itself.
    pub value: serde_json::Value,
}

/// A named state to write, based on the version read (0: it did not exist).
#[derive(Debug, Clone, PartialEq)]
pub struct StateWrite {
    /// The state's name.
    pub name: String,
    /// The new value.
    pub value: serde_json::Value,
    /// The version read; a different stored version makes the commit fail
    /// with [`Error::Conflict`](crate::Error::Conflict) naming `entity` and the
    /// id `state:NAME`.
    pub expected_version: u64,
    /// The kind of record the command was changing, named in a conflict.
    pub entity: EntityKind,
}

impl ChangeSet {
    /// Adds a record to write.
    pub fn write(&mut self, record: AnyRecord, expected_version: u64) {
        self.writes.push(Write {
            record,
            expected_version,
        });
    }

    /// Adds a record to write, or replaces it if it is in the set already,
    /// keeping the version it was read at: one command may change a record
    /// in several steps (each with its event) and writes it once.
    pub fn write_or_replace(&mut self, record: AnyRecord, expected_version: u64) {
        let key = record.key();
        match self.writes.iter_mut().find(|w| w.record.key() == key) {
            Some(write) => write.record = record,
            None => self.write(record, expected_version),
        }
    }

    /// The version a record in the set was read at, if it is in the set.
    pub fn pending_version(&self, key: &RecordKey) -> Option<u64> {
        self.writes
            .iter()
            .find(|w| &w.record.key() == key)
            .map(|w| w.expected_version)
    }
}

/// Who owns the records a [`Query`] asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerFilter {
    /// Anyone or no one.
    #[default]
    Any,
    /// No one (the pool).
    Unowned,
    /// This user.
    User(UserId),
}

/// A query on one kind of record: every condition set must hold. Results come
/// ordered by id (for UUIDv7 ids: by creation).
///
/// # Examples
///
/// ```
/// use crm_core::store::Query;
/// use crm_core::{EntityKind, UserId};
///
/// let overdue = Query::new(EntityKind::Lead)
///     .owner(UserId::new("ana").unwrap())
///     .status("new")
///     .limit(50);
/// assert_eq!(overdue.statuses, ["new"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The kind of record.
    pub kind: EntityKind,
    /// Who owns them.
    pub owner: OwnerFilter,
    /// Their team.
    pub team: Option<TeamId>,
    /// Their state: any of these (empty: any state).
    pub statuses: Vec<String>,
    /// Something due strictly before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// A phone number, normalised.
    pub phone: Option<String>,
    /// An email, normalised.
    pub email: Option<String>,
    /// The record they belong to.
    pub parent: Option<RecordKey>,
    /// A duplicate-matching key ([`IndexKeys::match_keys`]).
    #[serde(default)]
    pub match_key: Option<String>,
    /// At most this many results.
    pub limit: Option<usize>,
}

impl Query {
    /// Every record of a kind.
    pub fn new(kind: EntityKind) -> Self {
        Query {
            kind,
            owner: OwnerFilter::Any,
            team: None,
            statuses: Vec::new(),
            due_before: None,
            phone: None,
            email: None,
            parent: None,
            match_key: None,
            limit: None,
        }
    }

    /// Owned by `user`.
    pub fn owner(mut self, user: UserId) -> Self {
        self.owner = OwnerFilter::User(user);
        self
    }

    /// Owned by no one (in the pool).
    pub fn unowned(mut self) -> Self {
        self.owner = OwnerFilter::Unowned;
        self
    }

    /// Of team `team`.
    pub fn team(mut self, team: TeamId) -> Self {
        self.team = Some(team);
        self
    }

    /// In state `status` (call again to accept several).
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.statuses.push(status.into());
        self
    }

    /// With something due before `time`.
    pub fn due_before(mut self, time: DateTime<Utc>) -> Self {
        self.due_before = Some(time);
        self
    }

    /// With this phone number (normalised here; an invalid number matches nothing).
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(normalize_phone(phone).unwrap_or_else(|_| phone.to_string()));
        self
    }

    /// With this email (normalised here; an invalid email matches nothing).
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(normalize_email(email).unwrap_or_else(|_| email.to_string()));
        self
    }

    /// Belonging to `parent`.
    pub fn parent(mut self, parent: RecordKey) -> Self {
        self.parent = Some(parent);
        self
    }

    /// With this duplicate-matching key (see
    /// [`dedupe::match_keys`](crate::dedupe::match_keys)).
    pub fn match_key(mut self, key: impl Into<String>) -> Self {
        self.match_key = Some(key.into());
        self
    }

    /// At most `limit` results.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Whether a record with these index keys matches (the kind aside). Every
    /// backend must agree with this function; the conformance suite checks it.
    pub fn matches(&self, keys: &IndexKeys) -> bool {
        let owner_ok = match &self.owner {
            OwnerFilter::Any => true,
            OwnerFilter::Unowned => keys.owner.is_none(),
            OwnerFilter::User(user) => keys.owner.as_ref() == Some(user),
        };
        owner_ok
            && self
                .team
                .as_ref()
                .is_none_or(|team| keys.team.as_ref() == Some(team))
            && (self.statuses.is_empty()
                || keys
                    .status
                    .as_ref()
                    .is_some_and(|s| self.statuses.contains(s)))
            && self
                .due_before
                .is_none_or(|before| keys.due_at.is_some_and(|due| due < before))
            && self.phone.as_ref().is_none_or(|p| keys.phones.contains(p))
            && self.email.as_ref().is_none_or(|e| keys.emails.contains(e))
            && self
                .parent
                .as_ref()
                .is_none_or(|p| keys.parent.as_ref() == Some(p))
            && self
                .match_key
                .as_ref()
                .is_none_or(|k| keys.match_keys.contains(k))
    }
}

/// A storage backend.
///
/// Implementations: [`MemoryStore`] here, `SqliteStore` in `crm-sqlite` and
/// `PostgresStore` in `crm-postgres`. Each runs the [`conformance`] suite.
///
/// Contract:
/// - [`commit`](Store::commit) applies a whole [`ChangeSet`] or nothing. A
///   write with `expected_version == 0` fails with [`Error::Conflict`]
///   (`found: Some(v)`) when the record exists; any other write fails with
///   [`Error::Conflict`] when the stored version differs (`found: None` when
///   the record does not exist). Two writes of one record in one change set are
///   a [`Error::Validation`] on `changes`.
/// - Stored records come back exactly as written, with `version` set to
///   `expected_version + 1`; events come back in commit order with `seq`
///   assigned from 1 upwards, without gaps within one store.
/// - Nothing is ever deleted: records change, events and outbox messages are
///   only appended (an acknowledged message is marked, not removed).
///
/// [`Error::Conflict`]: crate::Error::Conflict
/// [`Error::Validation`]: crate::Error::Validation
pub trait Store {
    /// The record with this key.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>>;

    /// The records matching a query, ordered by id.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>>;

    /// Applies a change set atomically.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`](crate::Error::Conflict) on a stale or clashing
    /// version, [`Error::Validation`](crate::Error::Validation) on a record
    /// written twice, [`Error::Storage`](crate::Error::Storage) when the backend
    /// fails. In every case nothing is written.
    fn commit(&mut self, changes: ChangeSet) -> Result<()>;

    /// The events of one record, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn history(&self, key: &RecordKey) -> Result<Vec<Event>>;

    /// Up to `limit` events with `seq` greater than `after`, in order: the whole
    /// log, page by page.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>>;

    /// Up to `limit` outbox messages that are neither acknowledged nor leased at
    /// `now`, oldest first; each is leased until `now + lease` and its `attempts`
    /// counted up.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>>;

    /// Marks outbox messages as done at `now`; acknowledging one twice is not an
    /// error. Returns how many were newly acknowledged.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`](crate::Error::Validation) on `ids` when an id is
    /// not in the outbox, and then nothing is marked;
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize>;

    /// The next number of a named sequence (1, 2, 3, ...), e.g. for contract
    /// numbers. Numbers are never handed out twice; a number whose command then
    /// fails is skipped, so a sequence may have gaps.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn next_number(&mut self, sequence: &str) -> Result<u64>;

    /// Up to `limit` outbox messages from position `offset` (0-based, in the
    /// order they were written), acknowledged ones included: for backups.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>>;

    /// Every named sequence and its last number handed out, by name.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn sequences(&self) -> Result<Vec<(String, u64)>>;

    /// Writes a part of a backup exactly as it was exported, atomically:
    /// records keep their versions, events their `seq`, outbox messages their
    /// state, sequences the higher of their value and the store's. Used by
    /// [`import`](crate::backup::import)
    /// into a store that did not have these records.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`](crate::Error::Conflict) when a record already
    /// exists, [`Error::Validation`](crate::Error::Validation) on `seq` when an
    /// event does not come next in the log, on `outbox` when a message is
    /// there already; [`Error::Storage`](crate::Error::Storage) when the backend
    /// fails. In every case nothing of this part is written.
    fn restore(&mut self, part: Restore) -> Result<()>;

    /// The named engine state, if it was ever written.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn state(&self, name: &str) -> Result<Option<State>>;

    /// Every named engine state, by name: for backups.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`](crate::Error::Storage) when the backend fails.
    fn states(&self) -> Result<Vec<State>>;
}

/// A boxed store is a store: what lets a host (or a binding) pick the backend
/// at run time, e.g. `Crm<Box<dyn Store + Send>>` over SQLite or PostgreSQL.
impl<S: Store + ?Sized> Store for Box<S> {
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>> {
        (**self).get(key)
    }

    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>> {
        (**self).query(query)
    }

    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        (**self).commit(changes)
    }

    fn history(&self, key: &RecordKey) -> Result<Vec<Event>> {
        (**self).history(key)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        (**self).events_after(after, limit)
    }

    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        (**self).take_outbox(now, limit, lease)
    }

    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize> {
        (**self).ack_outbox(ids, now)
    }

    fn next_number(&mut self, sequence: &str) -> Result<u64> {
        (**self).next_number(sequence)
    }

    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>> {
        (**self).outbox_page(offset, limit)
    }

    fn sequences(&self) -> Result<Vec<(String, u64)>> {
        (**self).sequences()
    }

    fn restore(&mut self, part: Restore) -> Result<()> {
        (**self).restore(part)
    }

    fn state(&self, name: &str) -> Result<Option<State>> {
        (**self).state(name)
    }

    fn states(&self) -> Result<Vec<State>> {
        (**self).states()
    }
}

#[cfg(test)]
mod boxed {
    use crate::store::{MemoryStore, Store};

    crate::store_conformance_tests!(Box::new(MemoryStore::new()) as Box<dyn Store + Send>);
}

/// A part of a backup to write back with [`Store::restore`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restore {
    /// Records, with their versions.
    pub records: Vec<AnyRecord>,
    /// Events, with their `seq`, continuing the store's log without a gap.
    pub events: Vec<Event>,
    /// Outbox messages, in the order they were written, appended after the
    /// store's own.
    pub outbox: Vec<OutboxMessage>,
    /// Sequences and their last numbers (set when higher than the store's).
    pub sequences: Vec<(String, u64)>,
    /// Named engine states, with their versions (replacing the store's).
    pub states: Vec<State>,
}
