//! [`PostgresStore`]: the [`Store`] trait on one PostgreSQL connection.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use crm_core::event::{Event, OutboxMessage};
use crm_core::store::{ChangeSet, OwnerFilter, Query, Restore, State, StateWrite, Store};
use crm_core::{AnyRecord, Error, EventId, RecordKey, Result};
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Statement, Transaction};

use crate::error::{Context, broken};
use crate::rows::{
    Projection, check_restored_states, check_states, check_writes, finer_than_micros, from_json,
    micros, state_conflict, to_i64, to_json,
};
use crate::schema::{self, DEFAULT_SCHEMA};

/// The statements every store prepares once, on its connection.
struct Statements {
    get: Statement,
    lock_versions: Statement,
    version_of: Statement,
    insert_record: Statement,
    insert_records: Statement,
    update_record: Statement,
    delete_points: Statement,
    insert_points: Statement,
    lock_head: Statement,
    append_log: Statement,
    existing_outbox: Statement,
    history: Statement,
    events_after: Statement,
    take_candidates: Statement,
    rewrite_message: Statement,
    pending_by_ids: Statement,
    next_number: Statement,
    outbox_page: Statement,
    sequences: Statement,
    restore_sequence: Statement,
    lock_states: Statement,
    insert_state: Statement,
    update_state: Statement,
    put_state: Statement,
    state: Statement,
    states: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements> {
        let mut prepare = |sql: &str| {
            client
                .prepare(sql)
                .context("preparing the store's statements")
        };
        Ok(Statements {
            get: prepare("SELECT body FROM records WHERE kind = $1 AND id = $2")?,
            lock_versions: prepare(
                "SELECT r.kind, r.id, r.version,
                        ARRAY(SELECT c.channel || ' ' || c.value FROM contact_points AS c
                              WHERE c.kind = r.kind AND c.id = r.id ORDER BY 1)
                 FROM records AS r
                 WHERE (r.kind, r.id) IN (SELECT k, i FROM unnest($1::text[], $2::text[]) AS t(k, i))
                 ORDER BY r.kind, r.id
                 FOR UPDATE OF r",
            )?,
            version_of: prepare("SELECT version FROM records WHERE kind = $1 AND id = $2")?,
            insert_record: prepare(
                "INSERT INTO records (kind, id, version, body, owner, team, status, due_at, parent_kind, parent_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (kind, id) DO NOTHING",
            )?,
            update_record: prepare(
                "UPDATE records SET version = $3, body = $4, owner = $5, team = $6, status = $7,
                     due_at = $8, parent_kind = $9, parent_id = $10
                 WHERE kind = $1 AND id = $2 AND version = $11",
            )?,
            delete_points: prepare("DELETE FROM contact_points WHERE kind = $1 AND id = $2")?,
            insert_points: prepare(
                "INSERT INTO contact_points (channel, value, kind, id)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                 ON CONFLICT DO NOTHING",
            )?,
            insert_records: prepare(
                "INSERT INTO records (kind, id, version, body, owner, team, status, due_at, parent_kind, parent_id)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                                      $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[])
                 ON CONFLICT (kind, id) DO NOTHING
                 RETURNING kind, id",
            )?,
            lock_head: prepare("SELECT events, outbox FROM log_head FOR UPDATE")?,
            // One round trip: advance the log's head (its row lock is held to
            // the end of the transaction) and append the events and outbox
            // messages after it, numbered in order.
            append_log: prepare(
                "WITH head AS (
                     UPDATE log_head
                     SET events = events + cardinality($1::text[]),
                         outbox = outbox + cardinality($5::text[])
                     RETURNING events, outbox
                 ), new_events AS (
                     INSERT INTO events (seq, id, entity_kind, entity_id, body)
                     SELECT head.events - cardinality($1::text[]) + e.ord, e.id, e.kind, e.entity, e.body
                     FROM head, unnest($1::text[], $2::text[], $3::text[], $4::text[])
                          WITH ORDINALITY AS e(id, kind, entity, body, ord)
                 ), new_messages AS (
                     INSERT INTO outbox (position, id, leased_until, acked_at, body)
                     SELECT head.outbox - cardinality($5::text[]) + m.ord, m.id, m.leased, m.acked, m.body
                     FROM head, unnest($5::text[], $6::bigint[], $7::bigint[], $8::text[])
                          WITH ORDINALITY AS m(id, leased, acked, body, ord)
                 )
                 SELECT events FROM head",
            )?,
            existing_outbox: prepare("SELECT id FROM outbox WHERE id = ANY($1::text[])")?,
            history: prepare(
                "SELECT seq, body FROM events WHERE entity_kind = $1 AND entity_id = $2 ORDER BY seq",
            )?,
            events_after: prepare(
                "SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
            )?,
            take_candidates: prepare(
                "SELECT position, body FROM outbox
                 WHERE acked_at IS NULL AND (leased_until IS NULL OR leased_until <= $1)
                 ORDER BY position LIMIT $2
                 FOR UPDATE SKIP LOCKED",
            )?,
            rewrite_message: prepare(
                "UPDATE outbox SET leased_until = $2, acked_at = $3, body = $4 WHERE position = $1",
            )?,
            pending_by_ids: prepare(
                "SELECT position, body FROM outbox
                 WHERE id = ANY($1::text[]) AND acked_at IS NULL
                 ORDER BY position
                 FOR UPDATE",
            )?,
            next_number: prepare(
                "INSERT INTO sequences (name, value) VALUES ($1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1
                 RETURNING value",
            )?,
            outbox_page: prepare(
                "SELECT body FROM outbox WHERE position > $1 ORDER BY position LIMIT $2",
            )?,
            sequences: prepare("SELECT name, value FROM sequences ORDER BY name")?,
            restore_sequence: prepare(
                "INSERT INTO sequences (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = GREATEST(sequences.value, EXCLUDED.value)",
            )?,
            lock_states: prepare(
                "SELECT name, version FROM states WHERE name = ANY($1::text[])
                 ORDER BY name
                 FOR UPDATE",
            )?,
            insert_state: prepare(
                "INSERT INTO states (name, version, body) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )?,
            update_state: prepare(
                "UPDATE states SET version = $2, body = $3 WHERE name = $1 AND version = $4",
            )?,
            put_state: prepare(
                "INSERT INTO states (name, version, body) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, body = EXCLUDED.body",
            )?,
            state: prepare("SELECT version, body FROM states WHERE name = $1")?,
            states: prepare("SELECT name, version, body FROM states ORDER BY name")?,
        })
    }
}

struct Connection {
    client: Client,
    statements: Statements,
    /// Query statements by their SQL (a few dozen shapes at most).
    queries: HashMap<String, Statement>,
}

/// A [`Store`] in a PostgreSQL database, through one connection.
///
/// Open one per thread (or per app server); any number of them may share one
/// database and schema. See the crate docs for the isolation this gives.
///
/// # Examples
///
/// ```
/// use crm_core::store::{Query, Store};
/// use crm_core::EntityKind;
/// use crm_postgres::PostgresStore;
///
/// // Runs where a server is at hand (`CRM_PG_URL`), as in the crate's tests.
/// let Some(url) = std::env::var("CRM_PG_URL").ok().filter(|url| !url.is_empty()) else { return Ok(()) };
/// let schema = format!("crm_doc_store_{}", std::process::id());
/// let store = PostgresStore::connect_in_schema(&url, &schema)?;
/// assert_eq!(store.schema(), schema);
/// let _leads = store.query(&Query::new(EntityKind::Lead))?;
///
/// // Schema names are checked, never pasted into SQL as given.
/// assert!(PostgresStore::connect_in_schema(&url, "crm; DROP TABLE x").is_err());
/// # let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
/// # client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
/// # Ok::<(), crm_core::Error>(())
/// ```
pub struct PostgresStore {
    conn: Mutex<Connection>,
    schema: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a
    /// `key=value` connection string) without TLS, and uses the schema
    /// [`DEFAULT_SCHEMA`] (`crm`), creating or migrating it as needed.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the server cannot be reached or refuses the
    /// login, when the schema cannot be created, or when its tables were
    /// written by a newer version of this crate.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_in_schema(url, DEFAULT_SCHEMA)
    }

    /// [`PostgresStore::connect`] into the PostgreSQL schema `schema`: one
    /// database can hold several independent stores (tenants, tests).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `schema` unless it matches
    /// [`is_schema_name`](crate::is_schema_name); otherwise as
    /// [`PostgresStore::connect`].
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<Self> {
        if !schema::is_schema_name(schema) {
            return Err(Error::invalid(
                "schema",
                "is not a schema name (a-z, 0-9 and _, not starting with a digit or pg_, at most 63)",
            ));
        }
        let client = Client::connect(url, NoTls).context("connecting to PostgreSQL")?;
        Self::with_client(client, schema)
    }

    /// A store on a connection the host made itself (with TLS, say), in the
    /// PostgreSQL schema `schema`. The store sets the connection's
    /// `search_path` to that schema and keeps the connection.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect_in_schema`].
    pub fn with_client(mut client: Client, schema: &str) -> Result<Self> {
        schema::migrate(&mut client, schema)?;
        let statements = Statements::prepare(&mut client)?;
        Ok(PostgresStore {
            conn: Mutex::new(Connection {
                client,
                statements,
                queries: HashMap::new(),
            }),
            schema: schema.to_string(),
        })
    }

    /// The PostgreSQL schema the store's tables are in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version of the store's tables (always
    /// [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) once connected).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when it cannot be read.
    pub fn schema_version(&self) -> Result<u32> {
        schema::stored_version(&mut self.lock().client)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction behind
        // (the postgres crate rolls back on drop).
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conn_mut(&mut self) -> &mut Connection {
        self.conn.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Read committed: every statement sees what was committed before it, and the
/// row locks below (taken in key order) plus the version predicate of each
/// update decide conflicts. See the crate docs.
fn begin<'a>(client: &'a mut Client, what: &str) -> Result<Transaction<'a>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .context(what)
}

fn clamp_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn version_from(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| broken("a stored record version is negative"))
}

fn decode_all<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<postgres::Row>,
) -> Result<Vec<T>> {
    rows.iter()
        .map(|row| from_json(what, row.get::<_, &str>(0)))
        .collect()
}

/// A record's contact points as `lock_versions` lists them: `channel value`,
/// sorted, without repeats.
fn point_list(p: &Projection) -> Vec<String> {
    let mut points: Vec<String> = p
        .phones
        .iter()
        .map(|phone| format!("phone {phone}"))
        .chain(p.emails.iter().map(|email| format!("email {email}")))
        .chain(p.match_keys.iter().map(|key| format!("key {key}")))
        .collect();
    points.sort();
    points.dedup();
    points
}

/// Writes a record: inserted when `expected_version` is `None` (keeping the
/// record's own version), otherwise updated from `expected_version`; then its
/// contact points, unless they are `stored_points` already. A clash found
/// only now (another connection inserted the same key meanwhile) is a
/// conflict.
fn put_record(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    record: &AnyRecord,
    expected_version: Option<u64>,
    stored_points: Option<&[String]>,
) -> Result<()> {
    let key = record.key();
    let kind = key.kind.as_str();
    let body = to_json("a record", record)?;
    let version = to_i64("version", record.version())?;
    let p = Projection::of(record);
    let changed = match expected_version {
        None => tx
            .execute(
                &statements.insert_record,
                &[
                    &kind,
                    &key.id,
                    &version,
                    &body,
                    &p.owner,
                    &p.team,
                    &p.status,
                    &p.due_at,
                    &p.parent_kind,
                    &p.parent_id,
                ],
            )
            .context("inserting a record")?,
        Some(expected) => {
            let expected_i64 = to_i64("version", expected)?;
            tx.execute(
                &statements.update_record,
                &[
                    &kind,
                    &key.id,
                    &version,
                    &body,
                    &p.owner,
                    &p.team,
                    &p.status,
                    &p.due_at,
                    &p.parent_kind,
                    &p.parent_id,
                    &expected_i64,
                ],
            )
            .context("updating a record")?
        }
    };
    if changed != 1 {
        let found = tx
            .query_opt(&statements.version_of, &[&kind, &key.id])
            .context("reading a record's version")?
            .map(|row| version_from(row.get(0)))
            .transpose()?;
        return Err(Error::Conflict {
            entity: key.kind,
            id: key.id,
            expected_version: expected_version.unwrap_or(0),
            found,
        });
    }
    if expected_version.is_some() {
        if stored_points.is_some_and(|stored| stored == point_list(&p)) {
            return Ok(());
        }
        tx.execute(&statements.delete_points, &[&kind, &key.id])
            .context("updating a record's phones and emails")?;
    }
    let mut points = Points::default();
    points.add(&key, &p);
    points.insert(tx, statements)
}

/// Contact points to insert, as the columns of `insert_points`.
#[derive(Default)]
struct Points {
    channels: Vec<&'static str>,
    values: Vec<String>,
    kinds: Vec<&'static str>,
    ids: Vec<String>,
}

impl Points {
    fn add(&mut self, key: &RecordKey, p: &Projection) {
        for (channel, values) in [
            ("phone", &p.phones),
            ("email", &p.emails),
            ("key", &p.match_keys),
        ] {
            for value in values {
                self.channels.push(channel);
                self.values.push(value.clone());
                self.kinds.push(key.kind.as_str());
                self.ids.push(key.id.clone());
            }
        }
    }

    fn insert(self, tx: &mut Transaction<'_>, statements: &Statements) -> Result<()> {
        if self.values.is_empty() {
            return Ok(());
        }
        tx.execute(
            &statements.insert_points,
            &[&self.channels, &self.values, &self.kinds, &self.ids],
        )
        .context("indexing phones and emails")?;
        Ok(())
    }
}

/// Inserts new records, each at its own version, in one statement, then their
/// contact points in another; a key already stored (or given twice) fails as
/// MemoryStore fails it, checking the records in order: a stored key is a
/// conflict, a repeated one a validation error on `field`.
fn insert_new(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    records: &[AnyRecord],
    field: &str,
    twice: &str,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let n = records.len();
    let (mut kinds, mut ids, mut versions, mut bodies) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut owners, mut teams, mut statuses, mut dues, mut parent_kinds, mut parent_ids) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut points = Points::default();
    let mut keys = Vec::with_capacity(n);
    for record in records {
        let key = record.key();
        let p = Projection::of(record);
        kinds.push(key.kind.as_str());
        ids.push(key.id.clone());
        versions.push(to_i64("version", record.version())?);
        bodies.push(to_json("a record", record)?);
        points.add(&key, &p);
        owners.push(p.owner);
        teams.push(p.team);
        statuses.push(p.status);
        dues.push(p.due_at);
        parent_kinds.push(p.parent_kind);
        parent_ids.push(p.parent_id);
        keys.push(key);
    }
    let mut inserted = HashSet::with_capacity(n);
    for row in tx
        .query(
            &statements.insert_records,
            &[
                &kinds,
                &ids,
                &versions,
                &bodies,
                &owners,
                &teams,
                &statuses,
                &dues,
                &parent_kinds,
                &parent_ids,
            ],
        )
        .context("inserting records")?
    {
        inserted.insert((row.get::<_, String>(0), row.get::<_, String>(1)));
    }
    if inserted.len() != n {
        let mut seen = HashSet::with_capacity(n);
        for key in keys {
            let pair = (key.kind.as_str().to_string(), key.id.clone());
            if !seen.insert(pair.clone()) {
                return Err(Error::invalid(field, twice));
            }
            if !inserted.contains(&pair) {
                let found = tx
                    .query_opt(&statements.version_of, &[&key.kind.as_str(), &key.id])
                    .context("reading a record's version")?
                    .map(|row| version_from(row.get(0)))
                    .transpose()?;
                return Err(Error::Conflict {
                    entity: key.kind,
                    id: key.id,
                    expected_version: 0,
                    found,
                });
            }
        }
    }
    points.insert(tx, statements)
}

/// Refuses outbox messages the store holds already, or that come twice.
fn check_new_messages(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    messages: &[OutboxMessage],
) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = messages.iter().map(|m| m.id.to_string()).collect();
    let existing: HashSet<String> = tx
        .query(&statements.existing_outbox, &[&ids])
        .context("checking outbox ids")?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut seen = HashSet::with_capacity(messages.len());
    for (message, id) in messages.iter().zip(&ids) {
        if existing.contains(id) || !seen.insert(id) {
            return Err(
                Error::invalid("outbox", "holds a message the store has").with_value(message.id)
            );
        }
    }
    Ok(())
}

/// Appends events and outbox messages after the log's head, in one
/// statement; returns the `seq` of the last event. Event bodies are stored
/// without their `seq` (the column holds it; it is set again when read).
fn append_log(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    events: &[Event],
    messages: &[OutboxMessage],
) -> Result<i64> {
    let mut event_ids = Vec::with_capacity(events.len());
    let mut kinds = Vec::with_capacity(events.len());
    let mut entity_ids = Vec::with_capacity(events.len());
    let mut event_bodies = Vec::with_capacity(events.len());
    for event in events {
        event_ids.push(event.id.to_string());
        kinds.push(event.entity.kind.as_str());
        entity_ids.push(event.entity.id.as_str());
        event_bodies.push(to_json(
            "an event",
            &Event {
                seq: 0,
                ..event.clone()
            },
        )?);
    }
    let message_ids: Vec<String> = messages.iter().map(|m| m.id.to_string()).collect();
    let leased: Vec<Option<i64>> = messages
        .iter()
        .map(|m| m.leased_until.map(micros))
        .collect();
    let acked: Vec<Option<i64>> = messages.iter().map(|m| m.acked_at.map(micros)).collect();
    let message_bodies = messages
        .iter()
        .map(|m| to_json("an outbox message", m))
        .collect::<Result<Vec<String>>>()?;
    let last: i64 = tx
        .query_one(
            &statements.append_log,
            &[
                &event_ids,
                &kinds,
                &entity_ids,
                &event_bodies,
                &message_ids,
                &leased,
                &acked,
                &message_bodies,
            ],
        )
        .context("appending to the event log and the outbox")?
        .get(0);
    Ok(last)
}

/// Events from `seq, body` rows.
fn decode_events(rows: Vec<postgres::Row>) -> Result<Vec<Event>> {
    rows.iter()
        .map(|row| {
            let seq: i64 = row.get(0);
            let mut event: Event = from_json("a stored event", row.get::<_, &str>(1))?;
            event.seq = version_from(seq)?;
            Ok(event)
        })
        .collect()
}

fn rewrite_message(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    position: i64,
    message: &OutboxMessage,
) -> Result<()> {
    let body = to_json("an outbox message", message)?;
    tx.execute(
        &statements.rewrite_message,
        &[
            &position,
            &message.leased_until.map(micros),
            &message.acked_at.map(micros),
            &body,
        ],
    )
    .context("updating an outbox message")?;
    Ok(())
}

/// Checks and writes a change set's states: locks the stored rows of the
/// states written (in name order, after the records' rows and before the
/// log's head, the order every commit takes its locks in), checks their
/// versions as every backend does, then writes each at `expected_version + 1`.
/// A state another connection created meanwhile (its row could not be locked
/// before it existed) is a conflict.
fn write_states(
    tx: &mut Transaction<'_>,
    statements: &Statements,
    states: &[StateWrite],
) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = states.iter().map(|w| w.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut stored = HashMap::with_capacity(names.len());
    for row in tx
        .query(&statements.lock_states, &[&names])
        .context("locking the states written")?
    {
        stored.insert(row.get::<_, String>(0), version_from(row.get(1))?);
    }
    check_states(states, |name| Ok(stored.get(name).copied()))?;
    for write in states {
        let body = to_json("a state", &write.value)?;
        // check_states made sure the version counts up.
        let version = to_i64("version", write.expected_version + 1)?;
        let changed = if write.expected_version == 0 {
            tx.execute(&statements.insert_state, &[&write.name, &version, &body])
                .context("writing a state")?
        } else {
            let expected = to_i64("version", write.expected_version)?;
            tx.execute(
                &statements.update_state,
                &[&write.name, &version, &body, &expected],
            )
            .context("writing a state")?
        };
        if changed != 1 {
            let found = tx
                .query_opt(&statements.state, &[&write.name])
                .context("reading a state's version")?
                .map(|row| version_from(row.get(0)))
                .transpose()?;
            return Err(state_conflict(write, found));
        }
    }
    Ok(())
}

fn decode_state(name: String, version: i64, body: &str) -> Result<State> {
    Ok(State {
        value: from_json("a stored state", body)?,
        version: version_from(version)?,
        name,
    })
}

/// The SQL and parameters of a query, from fixed fragments only, and whether
/// the SQL alone is exact (it is not when `due_before` is finer than the
/// microseconds the index column holds; then it is widened and the exact test
/// applied to the rows).
fn query_sql(query: &Query) -> (String, Vec<Box<dyn ToSql + Sync>>, bool) {
    let mut sql = String::from("SELECT body FROM records AS r WHERE r.kind = $1");
    let mut params: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(query.kind.as_str())];
    fn next(params: &mut Vec<Box<dyn ToSql + Sync>>, value: Box<dyn ToSql + Sync>) -> String {
        params.push(value);
        format!("${}", params.len())
    }
    match &query.owner {
        OwnerFilter::Any => {}
        OwnerFilter::Unowned => sql.push_str(" AND r.owner IS NULL"),
        OwnerFilter::User(user) => {
            let p = next(&mut params, Box::new(user.as_str().to_string()));
            sql.push_str(&format!(" AND r.owner = {p}"));
        }
    }
    if let Some(team) = &query.team {
        let p = next(&mut params, Box::new(team.as_str().to_string()));
        sql.push_str(&format!(" AND r.team = {p}"));
    }
    if !query.statuses.is_empty() {
        let p = next(&mut params, Box::new(query.statuses.clone()));
        sql.push_str(&format!(" AND r.status = ANY({p}::text[])"));
    }
    let mut exact = true;
    if let Some(before) = query.due_before {
        let p = next(&mut params, Box::new(micros(before)));
        if finer_than_micros(before) {
            exact = false;
            sql.push_str(&format!(" AND r.due_at <= {p}"));
        } else {
            sql.push_str(&format!(" AND r.due_at < {p}"));
        }
    }
    for (channel, value) in [
        ("phone", &query.phone),
        ("email", &query.email),
        ("key", &query.match_key),
    ] {
        if let Some(value) = value {
            let c = next(&mut params, Box::new(channel));
            let v = next(&mut params, Box::new(value.clone()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM contact_points AS c
                    WHERE c.channel = {c} AND c.value = {v} AND c.kind = r.kind AND c.id = r.id)"
            ));
        }
    }
    if let Some(parent) = &query.parent {
        let k = next(&mut params, Box::new(parent.kind.as_str()));
        let i = next(&mut params, Box::new(parent.id.clone()));
        sql.push_str(&format!(" AND r.parent_kind = {k} AND r.parent_id = {i}"));
    }
    sql.push_str(" ORDER BY r.id");
    if let Some(limit) = query.limit.filter(|_| exact) {
        let p = next(&mut params, Box::new(clamp_i64(limit)));
        sql.push_str(&format!(" LIMIT {p}"));
    }
    (sql, params, exact)
}

impl Store for PostgresStore {
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>> {
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        let row = client
            .query_opt(&statements.get, &[&key.kind.as_str(), &key.id])
            .context("reading a record")?;
        row.map(|row| from_json(&format!("stored {key}"), row.get::<_, &str>(0)))
            .transpose()
    }

    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>> {
        let limit = query.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (sql, params, _exact) = query_sql(query);
        let mut conn = self.lock();
        let Connection {
            client, queries, ..
        } = &mut *conn;
        let statement = match queries.get(&sql) {
            Some(statement) => statement.clone(),
            None => {
                let statement = client.prepare(&sql).context("querying records")?;
                queries.insert(sql, statement.clone());
                statement
            }
        };
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let rows = client
            .query(&statement, &params)
            .context("querying records")?;
        let mut found = Vec::new();
        for row in rows {
            let record: AnyRecord = from_json("a stored record", row.get::<_, &str>(0))?;
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
        let Connection {
            client, statements, ..
        } = self.conn_mut();
        let mut tx = begin(client, "starting a commit")?;
        let mut stored_points: HashMap<RecordKey, Vec<String>> = HashMap::new();
        if changes
            .writes
            .iter()
            .any(|write| write.expected_version > 0)
        {
            // Lock the stored rows of every record written, in key order (so
            // two commits never wait on each other in a cycle), and check the
            // versions they hold now, in the order MemoryStore does.
            let mut keys: Vec<RecordKey> = changes.writes.iter().map(|w| w.record.key()).collect();
            keys.sort();
            keys.dedup();
            let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
            let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
            let mut stored = HashMap::with_capacity(keys.len());
            for row in tx
                .query(&statements.lock_versions, &[&kinds, &ids])
                .context("locking the records written")?
            {
                let kind = row
                    .get::<_, &str>(0)
                    .parse()
                    .map_err(|_| broken("a stored record has an unknown kind"))?;
                let key = RecordKey::new(kind, row.get::<_, String>(1));
                stored.insert(key.clone(), version_from(row.get(2))?);
                stored_points.insert(key, row.get(3));
            }
            check_writes(&changes.writes, |key| Ok(stored.get(key).copied()))?;
        }
        let mut records = Vec::with_capacity(changes.writes.len());
        for write in &changes.writes {
            let mut record = write.record.clone();
            let version = write.expected_version.checked_add(1).ok_or_else(|| {
                Error::invalid("expected_version", "is the highest version there is")
            })?;
            record.meta_mut().version = version;
            records.push(record);
        }
        if changes.writes.iter().all(|w| w.expected_version == 0) {
            // Only new records: nothing to lock, one statement inserts them
            // all and says which keys were taken.
            insert_new(
                &mut tx,
                statements,
                &records,
                "changes",
                "write the same record twice",
            )?;
        } else {
            for (write, record) in changes.writes.iter().zip(&records) {
                let expected = (write.expected_version > 0).then_some(write.expected_version);
                let points = stored_points.get(&record.key()).map(Vec::as_slice);
                put_record(&mut tx, statements, record, expected, points)?;
            }
        }
        write_states(&mut tx, statements, &changes.states)?;
        if !changes.events.is_empty() || !changes.outbox.is_empty() {
            check_new_messages(&mut tx, statements, &changes.outbox)?;
            // Takes the log's head row lock, held to the end of this
            // transaction: seq numbers and outbox positions follow commit order.
            append_log(&mut tx, statements, &changes.events, &changes.outbox)?;
        }
        tx.commit().context("committing")
    }

    fn history(&self, key: &RecordKey) -> Result<Vec<Event>> {
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        let rows = client
            .query(&statements.history, &[&key.kind.as_str(), &key.id])
            .context("reading a record's history")?;
        decode_events(rows)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        let rows = client
            .query(&statements.events_after, &[&after, &clamp_i64(limit)])
            .context("reading the event log")?;
        decode_events(rows)
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
        let Connection {
            client, statements, ..
        } = self.conn_mut();
        let mut tx = begin(client, "starting to take outbox messages")?;
        // Compared in whole microseconds in SQL (widened when `now` is finer),
        // then exactly here. Rows another taker holds are skipped, not waited for.
        let fetch: Option<i64> = (!finer_than_micros(now)).then(|| clamp_i64(limit));
        let rows = tx
            .query(&statements.take_candidates, &[&micros(now), &fetch])
            .context("taking outbox messages")?;
        let mut taken = Vec::new();
        for row in rows {
            if taken.len() == limit {
                break;
            }
            let position: i64 = row.get(0);
            let mut message: OutboxMessage =
                from_json("a stored outbox message", row.get::<_, &str>(1))?;
            let free =
                message.acked_at.is_none() && message.leased_until.is_none_or(|at| at <= now);
            if free {
                message.attempts = message.attempts.saturating_add(1);
                message.leased_until = Some(until);
                rewrite_message(&mut tx, statements, position, &message)?;
                taken.push(message);
            }
        }
        tx.commit().context("committing the outbox leases")?;
        Ok(taken)
    }

    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        let Connection {
            client, statements, ..
        } = self.conn_mut();
        let mut tx = begin(client, "starting to acknowledge outbox messages")?;
        let texts: Vec<String> = ids.iter().map(EventId::to_string).collect();
        let known: HashSet<String> = tx
            .query(&statements.existing_outbox, &[&texts])
            .context("acknowledging outbox messages")?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if let Some((id, _)) = ids
            .iter()
            .zip(&texts)
            .find(|(_, text)| !known.contains(*text))
        {
            return Err(Error::invalid("ids", "is not an outbox message").with_value(id));
        }
        let rows = tx
            .query(&statements.pending_by_ids, &[&texts])
            .context("acknowledging outbox messages")?;
        let mut newly = 0;
        for row in rows {
            let position: i64 = row.get(0);
            let mut message: OutboxMessage =
                from_json("a stored outbox message", row.get::<_, &str>(1))?;
            message.acked_at = Some(now);
            rewrite_message(&mut tx, statements, position, &message)?;
            newly += 1;
        }
        tx.commit()
            .context("committing the outbox acknowledgements")?;
        Ok(newly)
    }

    fn next_number(&mut self, sequence: &str) -> Result<u64> {
        let Connection {
            client, statements, ..
        } = self.conn_mut();
        // One statement: atomic on its own, and it locks the sequence's row.
        let value: i64 = client
            .query_one(&statements.next_number, &[&sequence])
            .context("counting a sequence")?
            .get(0);
        u64::try_from(value).map_err(|_| broken("a stored sequence is negative"))
    }

    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>> {
        // Positions run 1, 2, 3, ... without gaps (see `log_head`).
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        let rows = client
            .query(
                &statements.outbox_page,
                &[&clamp_i64(offset), &clamp_i64(limit)],
            )
            .context("reading the outbox")?;
        decode_all("a stored outbox message", rows)
    }

    fn sequences(&self) -> Result<Vec<(String, u64)>> {
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        client
            .query(&statements.sequences, &[])
            .context("reading the sequences")?
            .iter()
            .map(|row| {
                u64::try_from(row.get::<_, i64>(1))
                    .map(|value| (row.get(0), value))
                    .map_err(|_| broken("a stored sequence is negative"))
            })
            .collect()
    }

    fn restore(&mut self, part: Restore) -> Result<()> {
        check_restored_states(&part.states)?;
        let Connection {
            client, statements, ..
        } = self.conn_mut();
        let mut tx = begin(client, "starting a restore")?;
        insert_new(
            &mut tx,
            statements,
            &part.records,
            "records",
            "restore the same record twice",
        )?;
        for state in &part.states {
            let body = to_json("a state", &state.value)?;
            tx.execute(
                &statements.put_state,
                &[&state.name, &to_i64("version", state.version)?, &body],
            )
            .context("restoring a state")?;
        }
        // Records, then states, then the log's head: the order every commit
        // takes its locks in.
        let last: i64 = tx
            .query_one(&statements.lock_head, &[])
            .context("locking the event log")?
            .get(0);
        let last = version_from(last)?;
        for (at, event) in part.events.iter().enumerate() {
            let next = last + at as u64 + 1;
            if event.seq != next {
                return Err(Error::invalid("seq", format!("expected event {next} next"))
                    .with_value(event.seq));
            }
        }
        check_new_messages(&mut tx, statements, &part.outbox)?;
        if !part.events.is_empty() || !part.outbox.is_empty() {
            // Numbers them from the head just checked: their own seq.
            append_log(&mut tx, statements, &part.events, &part.outbox)?;
        }
        for (name, value) in &part.sequences {
            tx.execute(
                &statements.restore_sequence,
                &[name, &to_i64("sequences", *value)?],
            )
            .context("restoring a sequence")?;
        }
        tx.commit().context("committing a restore")
    }

    fn state(&self, name: &str) -> Result<Option<State>> {
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        client
            .query_opt(&statements.state, &[&name])
            .context("reading a state")?
            .map(|row| decode_state(name.to_string(), row.get(0), row.get::<_, &str>(1)))
            .transpose()
    }

    fn states(&self) -> Result<Vec<State>> {
        let mut conn = self.lock();
        let Connection {
            client, statements, ..
        } = &mut *conn;
        client
            .query(&statements.states, &[])
            .context("reading the states")?
            .iter()
            .map(|row| decode_state(row.get(0), row.get(1), row.get::<_, &str>(2)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stores_can_move_between_threads_and_be_shared() {
        fn is<T: Send + Sync>() {}
        is::<super::PostgresStore>();
    }
}
