//! [`SqliteStore`]: the [`Store`] trait on one SQLite connection.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use crm_core::event::{Event, OutboxMessage};
use crm_core::store::{ChangeSet, OwnerFilter, Query, Restore, State, Store};
use crm_core::{AnyRecord, Error, EventId, RecordKey, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{Context, broken};
use crate::rows::{
    Projection, check_restored_states, check_states, check_writes, finer_than_micros, from_json,
    micros, to_i64, to_json,
};
use crate::schema;

/// How hard SQLite works to keep a committed transaction through a power cut.
///
/// Either way a process that crashes (or is killed) never leaves a half-applied
/// command behind, and every command that returned `Ok` is in the file: the
/// write-ahead log is in the operating system's hands before `commit` returns.
/// The difference is a power loss or an operating-system crash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Synchronous {
    /// `PRAGMA synchronous = FULL`: the write-ahead log is flushed to the disk
    /// (fsync) on every commit, so a command that returned `Ok` survives a
    /// power loss too. The default: a CRM must not lose an acknowledged lead.
    #[default]
    Full,
    /// `PRAGMA synchronous = NORMAL`: the log is flushed at checkpoints only.
    /// Faster; the file stays consistent after a power loss, but the last
    /// commits before it may be gone.
    Normal,
}

/// Options for [`SqliteStore::open_with`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use crm_sqlite::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions::default()
///     .busy_timeout(Duration::from_secs(30))
///     .synchronous(Synchronous::Normal);
/// assert_eq!(options.synchronous, Synchronous::Normal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a connection waits for another one holding the write lock
    /// before giving up with [`Error::Storage`] (default 10 seconds).
    pub busy_timeout: StdDuration,
    /// How commits reach the disk (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: StdDuration::from_secs(10),
            synchronous: Synchronous::Full,
        }
    }
}

impl SqliteOptions {
    /// Sets how long to wait for the write lock.
    pub fn busy_timeout(mut self, timeout: StdDuration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets how commits reach the disk.
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}

/// A [`Store`] in an SQLite file (or in memory), through one connection.
///
/// Open one per thread or process; they share the file safely. Writes take the
/// file's write lock at their start (`BEGIN IMMEDIATE`), so the version checks
/// of [`Store::commit`] and the numbering of events cannot race with another
/// connection; readers are never blocked (write-ahead logging).
///
/// # Examples
///
/// ```
/// use crm_core::store::{Query, Store};
/// use crm_core::EntityKind;
/// use crm_sqlite::SqliteStore;
///
/// let dir = std::env::temp_dir().join(format!("crm-sqlite-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = SqliteStore::open(dir.join("crm.db"))?;
/// assert!(store.query(&Query::new(EntityKind::Lead))?.is_empty());
///
/// // A directory is not a database file.
/// assert!(SqliteStore::open(&dir).is_err());
/// # drop(store);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, with the default
    /// [`SqliteOptions`]: write-ahead logging, foreign keys on, a 10 s busy
    /// timeout, `synchronous = FULL`. A file written by an older version of
    /// this crate is migrated forward.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the file cannot be opened or created, is not an
    /// SQLite database, or was written by a newer version of this crate (its
    /// schema version is higher than [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with options.
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).context("opening the database file")?;
        Self::configure(conn, options, Some(path.to_path_buf()))
    }

    /// A store in memory, private to this value: for tests and throwaway work.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when SQLite cannot allocate it.
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::Store;
    /// use crm_sqlite::SqliteStore;
    ///
    /// let mut store = SqliteStore::in_memory()?;
    /// assert_eq!(store.next_number("contract")?, 1);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().context("opening an in-memory database")?;
        Self::configure(conn, &SqliteOptions::default(), None)
    }

    /// The file the store is in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the file (always [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)
    /// once opened).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when it cannot be read.
    pub fn schema_version(&self) -> Result<u32> {
        schema::stored_version(&self.lock())?
            .ok_or_else(|| broken("the database has no schema version"))
    }

    fn configure(
        mut conn: Connection,
        options: &SqliteOptions,
        path: Option<PathBuf>,
    ) -> Result<Self> {
        conn.busy_timeout(options.busy_timeout)
            .context("setting the busy timeout")?;
        if path.is_some() {
            // SQLite answers a journal mode change that races another new
            // connection with "busy" at once, without its busy handler:
            // retry until the busy timeout, as the handler would.
            let deadline = std::time::Instant::now() + options.busy_timeout;
            let mode: String = loop {
                match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::DatabaseBusy
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(StdDuration::from_millis(2));
                    }
                    other => break other.context("switching to write-ahead logging")?,
                }
            };
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(broken(format!(
                    "the database could not switch to write-ahead logging (it stays in `{mode}` mode)"
                )));
            }
        }
        let synchronous = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .context("setting synchronous")?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .context("turning foreign keys on")?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction behind
        // (rusqlite rolls back on drop), so the connection is still sound.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conn_mut(&mut self) -> &mut Connection {
        self.conn.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_tx(&mut self, what: &str) -> Result<Transaction<'_>> {
        self.conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context(what)
    }
}

// ----- statements shared by commit and restore ---------------------------------

fn stored_version(conn: &Connection, key: &RecordKey) -> Result<Option<u64>> {
    let version: Option<i64> = conn
        .prepare_cached("SELECT version FROM records WHERE kind = ?1 AND id = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![key.kind.as_str(), key.id], |row| row.get(0))
                .optional()
        })
        .context("reading a record's version")?;
    version
        .map(|v| u64::try_from(v).map_err(|_| broken("a stored record version is negative")))
        .transpose()
}

/// Inserts a record at its version (`expected_version == None`), or updates
/// the one stored at `expected_version`; refreshes its contact points.
fn put_record(conn: &Connection, record: &AnyRecord, expected_version: Option<u64>) -> Result<()> {
    let key = record.key();
    let body = to_json("a record", record)?;
    let version = to_i64("version", record.version())?;
    let p = Projection::of(record);
    match expected_version {
        None => {
            conn.prepare_cached(
                "INSERT INTO records (kind, id, version, body, owner, team, status, due_at, parent_kind, parent_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    key.kind.as_str(),
                    key.id,
                    version,
                    body,
                    p.owner,
                    p.team,
                    p.status,
                    p.due_at,
                    p.parent_kind,
                    p.parent_id
                ])
            })
            .context("inserting a record")?;
        }
        Some(expected) => {
            let expected_i64 = to_i64("version", expected)?;
            let changed = conn
                .prepare_cached(
                    "UPDATE records SET version = ?3, body = ?4, owner = ?5, team = ?6, status = ?7,
                         due_at = ?8, parent_kind = ?9, parent_id = ?10
                     WHERE kind = ?1 AND id = ?2 AND version = ?11",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        key.kind.as_str(),
                        key.id,
                        version,
                        body,
                        p.owner,
                        p.team,
                        p.status,
                        p.due_at,
                        p.parent_kind,
                        p.parent_id,
                        expected_i64
                    ])
                })
                .context("updating a record")?;
            if changed != 1 {
                // Cannot happen under the write lock after check_writes; kept
                // so that a version is never overwritten blindly.
                return Err(Error::Conflict {
                    entity: key.kind,
                    id: key.id.clone(),
                    expected_version: expected,
                    found: stored_version(conn, &key)?,
                });
            }
            conn.prepare_cached("DELETE FROM contact_points WHERE kind = ?1 AND id = ?2")
                .and_then(|mut stmt| stmt.execute(params![key.kind.as_str(), key.id]))
                .context("updating a record's phones and emails")?;
        }
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO contact_points (channel, value, kind, id) VALUES (?1, ?2, ?3, ?4)",
        )
        .context("indexing a record's phones and emails")?;
    for (channel, values) in [
        ("phone", &p.phones),
        ("email", &p.emails),
        ("key", &p.match_keys),
    ] {
        for value in values {
            insert
                .execute(params![channel, value, key.kind.as_str(), key.id])
                .context("indexing a record's phones and emails")?;
        }
    }
    Ok(())
}

fn last_seq(conn: &Connection) -> Result<u64> {
    let last: i64 = conn
        .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| {
            row.get(0)
        })
        .context("reading the end of the event log")?;
    u64::try_from(last).map_err(|_| broken("the event log holds a negative seq"))
}

fn insert_event(conn: &Connection, event: &Event) -> Result<()> {
    let body = to_json("an event", event)?;
    let seq = to_i64("seq", event.seq)?;
    conn.prepare_cached(
        "INSERT INTO events (seq, id, entity_kind, entity_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            seq,
            event.id.to_string(),
            event.entity.kind.as_str(),
            event.entity.id,
            body
        ])
    })
    .context("appending an event")?;
    Ok(())
}

/// Refuses outbox messages the store holds already, or that come twice.
fn check_new_messages(conn: &Connection, messages: &[OutboxMessage]) -> Result<()> {
    let mut seen = HashSet::with_capacity(messages.len());
    let mut stmt = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1)")
        .context("checking outbox ids")?;
    for message in messages {
        let exists: bool = stmt
            .query_row([message.id.to_string()], |row| row.get(0))
            .context("checking outbox ids")?;
        if exists || !seen.insert(message.id) {
            return Err(
                Error::invalid("outbox", "holds a message the store has").with_value(message.id)
            );
        }
    }
    Ok(())
}

fn append_messages(conn: &Connection, messages: &[OutboxMessage]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let last: i64 = conn
        .query_row("SELECT COALESCE(MAX(position), 0) FROM outbox", [], |row| {
            row.get(0)
        })
        .context("reading the end of the outbox")?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO outbox (position, id, leased_until, acked_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .context("adding an outbox message")?;
    for (at, message) in messages.iter().enumerate() {
        let body = to_json("an outbox message", message)?;
        stmt.execute(params![
            last + at as i64 + 1,
            message.id.to_string(),
            message.leased_until.map(micros),
            message.acked_at.map(micros),
            body
        ])
        .context("adding an outbox message")?;
    }
    Ok(())
}

fn rewrite_message(conn: &Connection, position: i64, message: &OutboxMessage) -> Result<()> {
    let body = to_json("an outbox message", message)?;
    conn.prepare_cached(
        "UPDATE outbox SET leased_until = ?2, acked_at = ?3, body = ?4 WHERE position = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            position,
            message.leased_until.map(micros),
            message.acked_at.map(micros),
            body
        ])
    })
    .context("updating an outbox message")?;
    Ok(())
}

fn state_version(conn: &Connection, name: &str) -> Result<Option<u64>> {
    let version: Option<i64> = conn
        .prepare_cached("SELECT version FROM states WHERE name = ?1")
        .and_then(|mut stmt| stmt.query_row([name], |row| row.get(0)).optional())
        .context("reading a state's version")?;
    version.map(version_from).transpose()
}

fn version_from(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| broken("a stored state version is negative"))
}

/// Writes a state at `version`, whatever is stored (the caller checked).
fn put_state(conn: &Connection, name: &str, version: u64, value: &serde_json::Value) -> Result<()> {
    let body = to_json("a state", value)?;
    let version = to_i64("version", version)?;
    conn.prepare_cached(
        "INSERT INTO states (name, version, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body",
    )
    .and_then(|mut stmt| stmt.execute(params![name, version, body]))
    .context("writing a state")?;
    Ok(())
}

fn decode_state(name: String, version: i64, body: &str) -> Result<State> {
    Ok(State {
        value: from_json("a stored state", body)?,
        version: version_from(version)?,
        name,
    })
}

fn clamp_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>> {
        let conn = self.lock();
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM records WHERE kind = ?1 AND id = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(params![key.kind.as_str(), key.id], |row| row.get(0))
                    .optional()
            })
            .context("reading a record")?;
        body.map(|body| from_json(&format!("stored {key}"), &body))
            .transpose()
    }

    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>> {
        let limit = query.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // The SQL is assembled from fixed fragments only; every value is a
        // bound parameter.
        let mut sql = String::from("SELECT body FROM records AS r WHERE r.kind = ?");
        let mut values = vec![Value::Text(query.kind.as_str().to_string())];
        match &query.owner {
            OwnerFilter::Any => {}
            OwnerFilter::Unowned => sql.push_str(" AND r.owner IS NULL"),
            OwnerFilter::User(user) => {
                sql.push_str(" AND r.owner = ?");
                values.push(Value::Text(user.as_str().to_string()));
            }
        }
        if let Some(team) = &query.team {
            sql.push_str(" AND r.team = ?");
            values.push(Value::Text(team.as_str().to_string()));
        }
        if !query.statuses.is_empty() {
            sql.push_str(" AND r.status IN (SELECT value FROM json_each(?))");
            values.push(Value::Text(to_json("a query", &query.statuses)?));
        }
        // Index columns hold whole microseconds: a bound finer than that is
        // widened here and applied exactly below.
        let mut exact = true;
        if let Some(before) = query.due_before {
            if finer_than_micros(before) {
                exact = false;
                sql.push_str(" AND r.due_at <= ?");
            } else {
                sql.push_str(" AND r.due_at < ?");
            }
            values.push(Value::Integer(micros(before)));
        }
        for (channel, value) in [
            ("phone", &query.phone),
            ("email", &query.email),
            ("key", &query.match_key),
        ] {
            if let Some(value) = value {
                // Driven from the contact point's index, then the records'
                // primary key: a lookup, not a scan of every record of the
                // kind (which EXISTS made SQLite do).
                sql.push_str(
                    " AND r.id IN (SELECT c.id FROM contact_points AS c
                        WHERE c.channel = ? AND c.value = ? AND c.kind = ?)",
                );
                values.push(Value::Text(channel.to_string()));
                values.push(Value::Text(value.clone()));
                values.push(Value::Text(query.kind.as_str().to_string()));
            }
        }
        if let Some(parent) = &query.parent {
            sql.push_str(" AND r.parent_kind = ? AND r.parent_id = ?");
            values.push(Value::Text(parent.kind.as_str().to_string()));
            values.push(Value::Text(parent.id.clone()));
        }
        sql.push_str(" ORDER BY r.id");
        if exact && limit != usize::MAX {
            sql.push_str(" LIMIT ?");
            values.push(Value::Integer(clamp_i64(limit)));
        }
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sql).context("querying records")?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(values))
            .context("querying records")?;
        let mut found = Vec::new();
        while let Some(row) = rows.next().context("querying records")? {
            let body: String = row.get(0).context("querying records")?;
            let record: AnyRecord = from_json("a stored record", &body)?;
            // The store's answer is exactly `Query::matches`, whatever the SQL
            // above narrowed it to.
            if record.kind() == query.kind && query.matches(&record.index()) {
                found.push(record);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        let tx = self.write_tx("starting a commit")?;
        check_writes(&changes.writes, |key| stored_version(&tx, key))?;
        check_states(&changes.states, |name| state_version(&tx, name))?;
        check_new_messages(&tx, &changes.outbox)?;
        for write in changes.writes {
            let mut record = write.record;
            let version = write.expected_version.checked_add(1).ok_or_else(|| {
                Error::invalid("expected_version", "is the highest version there is")
            })?;
            record.meta_mut().version = version;
            let expected = (write.expected_version > 0).then_some(write.expected_version);
            put_record(&tx, &record, expected)?;
        }
        if !changes.events.is_empty() {
            let last = last_seq(&tx)?;
            for (at, mut event) in changes.events.into_iter().enumerate() {
                event.seq = last + at as u64 + 1;
                insert_event(&tx, &event)?;
            }
        }
        append_messages(&tx, &changes.outbox)?;
        for write in &changes.states {
            // check_states made sure the version counts up.
            put_state(&tx, &write.name, write.expected_version + 1, &write.value)?;
        }
        tx.commit().context("committing")
    }

    fn history(&self, key: &RecordKey) -> Result<Vec<Event>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT body FROM events WHERE entity_kind = ?1 AND entity_id = ?2 ORDER BY seq",
            )
            .context("reading a record's history")?;
        let bodies = stmt
            .query_map(params![key.kind.as_str(), key.id], |row| {
                row.get::<_, String>(0)
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .context("reading a record's history")?;
        bodies
            .iter()
            .map(|body| from_json("a stored event", body))
            .collect()
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .context("reading the event log")?;
        let bodies = stmt
            .query_map(params![after, clamp_i64(limit)], |row| {
                row.get::<_, String>(0)
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .context("reading the event log")?;
        bodies
            .iter()
            .map(|body| from_json("a stored event", body))
            .collect()
    }

    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let until = now
            .checked_add_signed(lease)
            .ok_or_else(|| Error::invalid("lease", "runs past the last representable time"))?;
        let tx = self.write_tx("starting to take outbox messages")?;
        // Lease times are compared in whole microseconds in SQL (widened when
        // `now` is finer), then exactly here.
        let exact = !finer_than_micros(now);
        let candidates: Vec<(i64, String)> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT position, body FROM outbox
                     WHERE acked_at IS NULL AND (leased_until IS NULL OR leased_until <= ?1)
                     ORDER BY position LIMIT ?2",
                )
                .context("taking outbox messages")?;
            let fetch = if exact { clamp_i64(limit) } else { -1 };
            stmt.query_map(params![micros(now), fetch], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .and_then(Iterator::collect)
            .context("taking outbox messages")?
        };
        let mut taken = Vec::new();
        for (position, body) in candidates {
            if taken.len() == limit {
                break;
            }
            let mut message: OutboxMessage = from_json("a stored outbox message", &body)?;
            let free =
                message.acked_at.is_none() && message.leased_until.is_none_or(|at| at <= now);
            if free {
                message.attempts = message.attempts.saturating_add(1);
                message.leased_until = Some(until);
                rewrite_message(&tx, position, &message)?;
                taken.push(message);
            }
        }
        tx.commit().context("committing the outbox leases")?;
        Ok(taken)
    }

    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize> {
        let tx = self.write_tx("starting to acknowledge outbox messages")?;
        {
            let mut exists = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1)")
                .context("acknowledging outbox messages")?;
            for id in ids {
                let known: bool = exists
                    .query_row([id.to_string()], |row| row.get(0))
                    .context("acknowledging outbox messages")?;
                if !known {
                    return Err(Error::invalid("ids", "is not an outbox message").with_value(id));
                }
            }
        }
        let mut newly = 0;
        for id in ids {
            let pending: Option<(i64, String)> = tx
                .prepare_cached(
                    "SELECT position, body FROM outbox WHERE id = ?1 AND acked_at IS NULL",
                )
                .and_then(|mut stmt| {
                    stmt.query_row([id.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()
                })
                .context("acknowledging outbox messages")?;
            if let Some((position, body)) = pending {
                let mut message: OutboxMessage = from_json("a stored outbox message", &body)?;
                message.acked_at = Some(now);
                rewrite_message(&tx, position, &message)?;
                newly += 1;
            }
        }
        tx.commit()
            .context("committing the outbox acknowledgements")?;
        Ok(newly)
    }

    fn next_number(&mut self, sequence: &str) -> Result<u64> {
        let tx = self.write_tx("starting to count a sequence")?;
        let value: i64 = tx
            .prepare_cached(
                "INSERT INTO sequences (name, value) VALUES (?1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1
                 RETURNING value",
            )
            .and_then(|mut stmt| stmt.query_row([sequence], |row| row.get(0)))
            .context("counting a sequence")?;
        tx.commit().context("committing a sequence")?;
        u64::try_from(value).map_err(|_| broken("a stored sequence is negative"))
    }

    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>> {
        // Positions run 1, 2, 3, ... without gaps: nothing is ever deleted.
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT body FROM outbox WHERE position > ?1 ORDER BY position LIMIT ?2",
            )
            .context("reading the outbox")?;
        let bodies = stmt
            .query_map(params![clamp_i64(offset), clamp_i64(limit)], |row| {
                row.get::<_, String>(0)
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .context("reading the outbox")?;
        bodies
            .iter()
            .map(|body| from_json("a stored outbox message", body))
            .collect()
    }

    fn sequences(&self) -> Result<Vec<(String, u64)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT name, value FROM sequences ORDER BY name")
            .context("reading the sequences")?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(Iterator::collect)
            .context("reading the sequences")?;
        rows.into_iter()
            .map(|(name, value)| {
                u64::try_from(value)
                    .map(|value| (name, value))
                    .map_err(|_| broken("a stored sequence is negative"))
            })
            .collect()
    }

    fn restore(&mut self, part: Restore) -> Result<()> {
        check_restored_states(&part.states)?;
        let tx = self.write_tx("starting a restore")?;
        let mut seen = HashSet::with_capacity(part.records.len());
        for record in &part.records {
            let key = record.key();
            if let Some(found) = stored_version(&tx, &key)? {
                return Err(Error::Conflict {
                    entity: key.kind,
                    id: key.id,
                    expected_version: 0,
                    found: Some(found),
                });
            }
            if !seen.insert(key) {
                return Err(Error::invalid("records", "restore the same record twice"));
            }
        }
        let last = last_seq(&tx)?;
        for (at, event) in part.events.iter().enumerate() {
            let next = last + at as u64 + 1;
            if event.seq != next {
                return Err(Error::invalid("seq", format!("expected event {next} next"))
                    .with_value(event.seq));
            }
        }
        check_new_messages(&tx, &part.outbox)?;
        for record in &part.records {
            put_record(&tx, record, None)?;
        }
        for event in &part.events {
            insert_event(&tx, event)?;
        }
        append_messages(&tx, &part.outbox)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO sequences (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                )
                .context("restoring a sequence")?;
            for (name, value) in &part.sequences {
                stmt.execute(params![name, to_i64("sequences", *value)?])
                    .context("restoring a sequence")?;
            }
        }
        for state in &part.states {
            put_state(&tx, &state.name, state.version, &state.value)?;
        }
        tx.commit().context("committing a restore")
    }

    fn state(&self, name: &str) -> Result<Option<State>> {
        let conn = self.lock();
        let row: Option<(i64, String)> = conn
            .prepare_cached("SELECT version, body FROM states WHERE name = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([name], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .context("reading a state")?;
        row.map(|(version, body)| decode_state(name.to_string(), version, &body))
            .transpose()
    }

    fn states(&self) -> Result<Vec<State>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT name, version, body FROM states ORDER BY name")
            .context("reading the states")?;
        let rows: Vec<(String, i64, String)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .and_then(Iterator::collect)
            .context("reading the states")?;
        rows.into_iter()
            .map(|(name, version, body)| decode_state(name, version, &body))
            .collect()
    }
}
