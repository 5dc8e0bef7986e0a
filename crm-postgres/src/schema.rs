//! The schema and its migrations, in a PostgreSQL schema (namespace) of the
//! store's own.
//!
//! `schema_version` holds one row: the version of the tables. [`MIGRATIONS`]`[n]`
//! takes them from version `n` to `n + 1`. Connecting runs the missing ones in
//! one transaction, under an advisory lock so that servers starting together
//! migrate once, and refuses tables whose version is newer than this library
//! knows.

use postgres::Client;

use crate::error::{Context, broken};

/// The schema version this library writes; see [`MIGRATIONS`].
pub const SCHEMA_VERSION: u32 = 3;

/// The PostgreSQL schema [`PostgresStore::connect`](crate::PostgresStore::connect) uses.
pub const DEFAULT_SCHEMA: &str = "crm";

/// The advisory lock taken while migrating (any schema): "crm-migr".
const MIGRATION_LOCK: i64 = 0x6372_6d2d_6d69_6772;

/// The steps from each schema version to the next.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2, V3];

/// Version 1: the tables of crm-sqlite, with PostgreSQL types. Text columns
/// that are compared or ordered use the `C` collation, so that ids sort by
/// their bytes as everywhere else in crm, whatever the database's locale.
/// Bodies are `text`, not `jsonb`: `jsonb` reorders keys and normalises
/// numbers, and a record must read back exactly as it was written.
/// `log_head` is a single row holding the last event `seq` and the last outbox
/// position: each commit that appends takes its lock, which keeps both gap-free
/// and in commit order.
const V1: &str = r#"
CREATE TABLE records (
    kind        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    body        text NOT NULL,
    owner       text COLLATE "C",
    team        text COLLATE "C",
    status      text COLLATE "C",
    due_at      bigint,
    parent_kind text COLLATE "C",
    parent_id   text COLLATE "C",
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_owner ON records (kind, owner, id);
CREATE INDEX records_by_team ON records (kind, team, id);
CREATE INDEX records_by_status ON records (kind, status, id);
CREATE INDEX records_by_due ON records (kind, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX records_by_parent ON records (parent_kind, parent_id, kind, id)
    WHERE parent_id IS NOT NULL;

CREATE TABLE contact_points (
    channel text COLLATE "C" NOT NULL CHECK (channel IN ('phone', 'email')),
    value   text COLLATE "C" NOT NULL,
    kind    text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    PRIMARY KEY (channel, value, kind, id),
    FOREIGN KEY (kind, id) REFERENCES records (kind, id)
);
CREATE INDEX contact_points_by_record ON contact_points (kind, id);

CREATE TABLE events (
    seq         bigint PRIMARY KEY,
    id          text COLLATE "C" NOT NULL,
    entity_kind text COLLATE "C" NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    body        text NOT NULL
);
CREATE INDEX events_by_entity ON events (entity_kind, entity_id, seq);

CREATE TABLE outbox (
    position     bigint PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    leased_until bigint,
    acked_at     bigint,
    body         text NOT NULL
);
CREATE INDEX outbox_pending ON outbox (position) WHERE acked_at IS NULL;

CREATE TABLE sequences (
    name  text COLLATE "C" NOT NULL PRIMARY KEY,
    value bigint NOT NULL
);

CREATE TABLE log_head (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    events bigint NOT NULL,
    outbox bigint NOT NULL
);
INSERT INTO log_head (one, events, outbox) VALUES (true, 0, 0);
"#;

/// Version 2: `states`, the engine's named states
/// ([`Store::state`](crm_core::Store::state)): one row per name (in the `C`
/// collation, so that they list in byte order) with its version and its value
/// as JSON text. A commit locks the rows of the states it writes after the
/// records' rows and before `log_head`.
const V2: &str = r#"
CREATE TABLE states (
    name    text COLLATE "C" NOT NULL PRIMARY KEY,
    version bigint NOT NULL,
    body    text NOT NULL
);
"#;

/// Version 3: `contact_points` also holds the duplicate-matching keys of
/// customers, contacts and leads (channel `key`,
/// [`IndexKeys::match_keys`](crm_core::IndexKeys::match_keys)), for the
/// one-record duplicate check; [`migrate`] then indexes the keys of the
/// records already stored.
const V3: &str = r#"
ALTER TABLE contact_points DROP CONSTRAINT contact_points_channel_check;
ALTER TABLE contact_points ADD CONSTRAINT contact_points_channel_check
    CHECK (channel IN ('phone', 'email', 'key'));
"#;

/// Indexes the match keys of the customers, contacts and leads stored before
/// version 3.
fn index_match_keys(tx: &mut postgres::Transaction<'_>) -> crm_core::Result<()> {
    let rows = tx
        .query(
            "SELECT body FROM records WHERE kind IN ('customer', 'contact', 'lead')",
            &[],
        )
        .context("reading records to index their match keys")?;
    for row in rows {
        let record: crm_core::AnyRecord = serde_json::from_str(row.get::<_, &str>(0))
            .map_err(|e| broken(format!("a stored record does not read back: {e}")))?;
        let key = record.key();
        for value in record.index().match_keys {
            tx.execute(
                "INSERT INTO contact_points (channel, value, kind, id) VALUES ('key', $1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&value, &key.kind.as_str(), &key.id],
            )
            .context("indexing match keys")?;
        }
    }
    Ok(())
}

/// Whether `name` may name the store's PostgreSQL schema: `[a-z_][a-z0-9_]*`,
/// at most 63 bytes, not starting with `pg_` (reserved by PostgreSQL).
pub fn is_schema_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !name.starts_with("pg_")
}

/// Creates the schema when missing, points the session's `search_path` at
/// it, and brings its tables to [`SCHEMA_VERSION`].
pub(crate) fn migrate(client: &mut Client, schema: &str) -> crm_core::Result<()> {
    if !is_schema_name(schema) {
        return Err(crm_core::Error::invalid(
            "schema",
            "is not a schema name (a-z, 0-9 and _, not starting with a digit or pg_, at most 63)",
        ));
    }
    // The only identifier that is not a constant in any statement of this
    // crate: checked just above to be [a-z_][a-z0-9_]*, and quoted.
    let quoted = format!("\"{schema}\"");
    let mut tx = client
        .transaction()
        .context("starting the schema migration")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .context("locking the schema migration")?;
    let exists: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&schema],
        )
        .context("looking for the schema")?
        .get(0);
    if !exists {
        tx.batch_execute(&format!("CREATE SCHEMA {quoted}"))
            .context("creating the schema")?;
    }
    // Session-wide once this transaction commits.
    tx.execute("SELECT set_config('search_path', $1, false)", &[&quoted])
        .context("setting the search path")?;
    let has_table: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_version')",
            &[&schema],
        )
        .context("reading the schema version")?
        .get(0);
    if !has_table {
        tx.batch_execute(
            "CREATE TABLE schema_version (version integer NOT NULL);
             INSERT INTO schema_version (version) VALUES (0);",
        )
        .context("creating the schema version table")?;
    }
    let found: i32 = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .context("reading the schema version")?
        .map_or(0, |row| row.get(0));
    let found = u32::try_from(found)
        .map_err(|_| broken("the schema version stored is not a version number"))?;
    if found > SCHEMA_VERSION {
        return Err(broken(format!(
            "the tables in schema {schema} are at schema version {found}, written by a newer \
             crm-postgres; this one reads up to version {SCHEMA_VERSION}: upgrade crm-postgres"
        )));
    }
    for (from, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(step)
            .context(&format!("migrating the schema from version {from}"))?;
        if from == 2 {
            index_match_keys(&mut tx)?;
        }
    }
    if found != SCHEMA_VERSION {
        tx.execute(
            "UPDATE schema_version SET version = $1",
            &[&(SCHEMA_VERSION as i32)],
        )
        .context("recording the schema version")?;
    }
    tx.commit().context("committing the schema migration")
}

/// The version recorded in the schema.
pub(crate) fn stored_version(client: &mut Client) -> crm_core::Result<u32> {
    let version: i32 = client
        .query_one("SELECT version FROM schema_version", &[])
        .context("reading the schema version")?
        .get(0);
    u32::try_from(version).map_err(|_| broken("the schema version stored is not a version number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        assert!(is_schema_name("crm"));
        assert!(is_schema_name("crm_test_12"));
        assert!(is_schema_name("_x"));
        for bad in [
            "",
            "Crm",
            "1crm",
            "crm-x",
            "crm\"; DROP",
            "pg_crm",
            &"x".repeat(64),
        ] {
            assert!(!is_schema_name(bad), "{bad}");
        }
    }
}
