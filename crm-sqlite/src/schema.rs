//! The schema and its migrations.
//!
//! `schema_version` holds one row: the version of the schema the file is at.
//! [`MIGRATIONS`]`[n]` takes a file from version `n` to `n + 1`; opening a file
//! runs the missing ones in one transaction, and refuses a file whose version
//! is newer than this library knows (it would otherwise be read, and written,
//! with a schema it does not understand).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Context, broken};

/// The schema version this library writes; see [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = 3;

/// The steps from each schema version to the next: `MIGRATIONS[0]` creates
/// version 1 in an empty file.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2, V3];

/// Version 1.
///
/// - `records`: one row per record, keyed by kind and id; `body` is the
///   record's JSON exactly as serde wrote it (custom fields included), and the
///   other columns are the record's [`IndexKeys`](crm_core::IndexKeys), kept
///   for queries (`due_at` in microseconds since the epoch).
/// - `contact_points`: the normalised phones and emails of each record.
/// - `events`: the log; `seq` is the rowid, gap-free because nothing is
///   deleted and each commit takes the next numbers under the write lock.
/// - `outbox`: messages in the order written (`position`), with the lease and
///   acknowledgement times as columns for the queue and the message as JSON.
/// - `sequences`: named counters.
const V1: &str = "
CREATE TABLE records (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    owner       TEXT,
    team        TEXT,
    status      TEXT,
    due_at      INTEGER,
    parent_kind TEXT,
    parent_id   TEXT,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_owner ON records (kind, owner, id);
CREATE INDEX records_by_team ON records (kind, team, id);
CREATE INDEX records_by_status ON records (kind, status, id);
CREATE INDEX records_by_due ON records (kind, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX records_by_parent ON records (parent_kind, parent_id, kind, id)
    WHERE parent_id IS NOT NULL;

CREATE TABLE contact_points (
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'email')),
    value   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    PRIMARY KEY (channel, value, kind, id),
    FOREIGN KEY (kind, id) REFERENCES records (kind, id)
) WITHOUT ROWID;
CREATE INDEX contact_points_by_record ON contact_points (kind, id);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX events_by_entity ON events (entity_kind, entity_id, seq);

CREATE TABLE outbox (
    position     INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    leased_until INTEGER,
    acked_at     INTEGER,
    body         TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (position) WHERE acked_at IS NULL;

CREATE TABLE sequences (
    name  TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Version 2: `states`, the engine's named states
/// ([`Store::state`](crm_core::Store::state)): one row per name with its
/// version and its value as JSON text.
const V2: &str = "
CREATE TABLE states (
    name    TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    body    TEXT NOT NULL
) WITHOUT ROWID;
";

/// Version 3: `contact_points` also holds the duplicate-matching keys of
/// customers, contacts and leads (channel `key`,
/// [`IndexKeys::match_keys`](crm_core::IndexKeys::match_keys)), for the
/// one-record duplicate check. SQLite cannot widen a `CHECK`, so the table is
/// rebuilt; [`migrate`] then indexes the keys of the records already stored.
const V3: &str = "
CREATE TABLE contact_points_v3 (
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'key')),
    value   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    PRIMARY KEY (channel, value, kind, id),
    FOREIGN KEY (kind, id) REFERENCES records (kind, id)
) WITHOUT ROWID;
INSERT INTO contact_points_v3 (channel, value, kind, id)
    SELECT channel, value, kind, id FROM contact_points;
DROP TABLE contact_points;
ALTER TABLE contact_points_v3 RENAME TO contact_points;
CREATE INDEX contact_points_by_record ON contact_points (kind, id);
";

/// Indexes the match keys of the customers, contacts and leads stored before
/// version 3.
fn index_match_keys(tx: &rusqlite::Transaction<'_>) -> crm_core::Result<()> {
    let mut read = tx
        .prepare("SELECT body FROM records WHERE kind IN ('customer', 'contact', 'lead')")
        .context("reading records to index their match keys")?;
    let mut insert = tx
        .prepare(
            "INSERT OR IGNORE INTO contact_points (channel, value, kind, id) VALUES ('key', ?1, ?2, ?3)",
        )
        .context("indexing match keys")?;
    let bodies: Vec<String> = read
        .query_map([], |row| row.get(0))
        .and_then(Iterator::collect)
        .context("reading records to index their match keys")?;
    for body in bodies {
        let record: crm_core::AnyRecord = serde_json::from_str(&body)
            .map_err(|e| broken(format!("a stored record does not read back: {e}")))?;
        let key = record.key();
        for value in record.index().match_keys {
            insert
                .execute(rusqlite::params![value, key.kind.as_str(), key.id])
                .context("indexing match keys")?;
        }
    }
    Ok(())
}

/// Brings the file to [`SCHEMA_VERSION`], or refuses it when it is newer.
pub(crate) fn migrate(conn: &mut Connection) -> crm_core::Result<()> {
    // The common case, a file already at this version, needs no write lock.
    if stored_version(conn)? == Some(SCHEMA_VERSION) {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting the schema migration")?;
    let found = match stored_version(&tx)? {
        Some(version) => version,
        None => {
            tx.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL);
                 INSERT INTO schema_version (version) VALUES (0);",
            )
            .context("creating the schema version table")?;
            0
        }
    };
    check_not_newer(found)?;
    for (from, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(step)
            .context(&format!("migrating the schema from version {from}"))?;
        if from == 2 {
            index_match_keys(&tx)?;
        }
    }
    tx.execute(
        "UPDATE schema_version SET version = ?1",
        [i64::from(SCHEMA_VERSION)],
    )
    .context("recording the schema version")?;
    tx.commit().context("committing the schema migration")
}

/// The schema version stored in the file, `None` when it has none yet.
pub(crate) fn stored_version(conn: &Connection) -> crm_core::Result<Option<u32>> {
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version')",
            [],
            |row| row.get(0),
        )
        .context("reading the schema version")?;
    if !has_table {
        return Ok(None);
    }
    let version: Option<i64> = conn
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .optional()
        .context("reading the schema version")?;
    match version {
        None => Ok(Some(0)),
        Some(version) => u32::try_from(version)
            .map(Some)
            .map_err(|_| broken("the schema version stored in the file is not a version number")),
    }
}

fn check_not_newer(found: u32) -> crm_core::Result<()> {
    if found > SCHEMA_VERSION {
        return Err(broken(format!(
            "the database file is at schema version {found}, written by a newer crm-sqlite; \
             this one reads up to version {SCHEMA_VERSION}: upgrade crm-sqlite to open it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_has_a_migration() {
        assert_eq!(MIGRATIONS.len(), SCHEMA_VERSION as usize);
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), Some(SCHEMA_VERSION));
        // Opening again changes nothing.
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), Some(SCHEMA_VERSION));
    }

    #[test]
    fn version_1_files_get_the_states_table_and_keep_their_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (1);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute(
            "INSERT INTO sequences (name, value) VALUES ('contract', 4)",
            [],
        )
        .unwrap();
        let has_states = |conn: &Connection| -> bool {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'states')",
                [],
                |row| row.get(0),
            )
            .unwrap()
        };
        assert!(!has_states(&conn));
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), Some(SCHEMA_VERSION));
        assert!(has_states(&conn));
        let value: i64 = conn
            .query_row(
                "SELECT value FROM sequences WHERE name = 'contract'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(value, 4);
    }

    #[test]
    fn newer_files_are_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert_eq!(err.kind(), crm_core::ErrorKind::Storage);
        assert!(err.to_string().contains("schema version 99"), "{err}");
        // Nothing was downgraded.
        assert_eq!(stored_version(&conn).unwrap(), Some(99));
    }

    #[test]
    fn version_2_files_get_match_keys_for_their_records() {
        use crm_core::access::Actor;
        use crm_core::store::MemoryStore;
        use crm_core::{Config, Crm, FixedClock, NewLead, SeededIds, UserId};

        // A lead as a version 2 file holds it: a record row with its phone,
        // and no match keys.
        let clock = FixedClock::new(chrono::DateTime::UNIX_EPOCH);
        let mut crm = Crm::new(
            MemoryStore::new(),
            Config::default(),
            clock,
            SeededIds::new(1),
        )
        .unwrap();
        let ana = Actor::new(UserId::new("ana").unwrap()).with_role("admin");
        let lead = crm
            .create_lead(
                &ana,
                NewLead {
                    contact_name: Some("Jo Doe".into()),
                    company: Some("Acme Ltd".into()),
                    phone: Some("+44 20 7946 0958".into()),
                    ..NewLead::default()
                },
            )
            .unwrap();
        let body = serde_json::to_string(&crm_core::AnyRecord::Lead(lead.clone())).unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (2);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute(
            "INSERT INTO records (kind, id, version, body) VALUES ('lead', ?1, 1, ?2)",
            rusqlite::params![lead.id.to_string(), body],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO contact_points (channel, value, kind, id) VALUES ('phone', '+442079460958', 'lead', ?1)",
            [lead.id.to_string()],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), Some(SCHEMA_VERSION));
        let points: Vec<String> = conn
            .prepare("SELECT channel || ' ' || value FROM contact_points ORDER BY 1")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            points,
            [
                "key c:acme",
                "key lc:doe|acme",
                "key n:doe|jo",
                "key p:794609588",
                "phone +442079460958"
            ]
        );
    }
}
