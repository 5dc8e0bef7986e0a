//! Helpers shared by the integration tests: the server to test against
//! (`CRM_PG_URL`), a fresh PostgreSQL schema per test, dropped afterwards.

#![allow(dead_code)]

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use crm_core::event::{Event, OutboxMessage};
use crm_core::store::{ChangeSet, Query, Restore, State, Store};
use crm_core::{AnyRecord, EventId, RecordKey, Result};
use crm_postgres::PostgresStore;

/// Prints a line to the real standard error, past the test harness's capture,
/// so that it shows in `cargo test`'s output.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The server to test against, from `CRM_PG_URL`; `None` (and one clear line
/// on stderr per test binary) when it is not set.
pub fn pg_url() -> Option<String> {
    match std::env::var("CRM_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                report(
                    "CRM_PG_URL is not set: skipping the PostgreSQL tests of this binary \
                     (bash scripts/test-storage starts a throwaway server and sets it)",
                )
            });
            None
        }
    }
}

/// A schema name no other test (of this or another run) uses.
pub fn fresh_schema(label: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "crm_test_{label}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Drops a schema made by a test (its name comes from [`fresh_schema`]).
pub fn drop_schema(url: &str, schema: &str) {
    assert!(crm_postgres::is_schema_name(schema));
    if let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
    }
}

/// A [`PostgresStore`] in a schema of its own, dropped with it.
pub struct SchemaStore {
    pub store: PostgresStore,
    pub url: String,
}

impl SchemaStore {
    pub fn new(url: &str, label: &str) -> SchemaStore {
        let schema = fresh_schema(label);
        let store = PostgresStore::connect_in_schema(url, &schema)
            .unwrap_or_else(|e| panic!("connect: {e}"));
        SchemaStore {
            store,
            url: url.to_string(),
        }
    }
}

impl Drop for SchemaStore {
    fn drop(&mut self) {
        drop_schema(&self.url, self.store.schema());
    }
}

impl Store for SchemaStore {
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>> {
        self.store.get(key)
    }
    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>> {
        self.store.query(query)
    }
    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        self.store.commit(changes)
    }
    fn history(&self, key: &RecordKey) -> Result<Vec<Event>> {
        self.store.history(key)
    }
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        self.store.events_after(after, limit)
    }
    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        self.store.take_outbox(now, limit, lease)
    }
    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize> {
        self.store.ack_outbox(ids, now)
    }
    fn next_number(&mut self, sequence: &str) -> Result<u64> {
        self.store.next_number(sequence)
    }
    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>> {
        self.store.outbox_page(offset, limit)
    }
    fn sequences(&self) -> Result<Vec<(String, u64)>> {
        self.store.sequences()
    }
    fn restore(&mut self, part: Restore) -> Result<()> {
        self.store.restore(part)
    }
    fn state(&self, name: &str) -> Result<Option<State>> {
        self.store.state(name)
    }
    fn states(&self) -> Result<Vec<State>> {
        self.store.states()
    }
}
