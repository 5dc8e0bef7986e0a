//! Several connections to one PostgreSQL schema at once: the concurrency
//! checks of crm-core's conformance suite, with 8 writers (and 4 outbox
//! takers) each connecting on its own (skipped, saying so, without
//! `CRM_PG_URL`).

mod support;

use std::time::Instant;

use crm_core::store::conformance::{
    concurrent_outbox_takers_never_share_a_message, concurrent_state_writers_lose_no_update,
    concurrent_writers_lose_no_update,
};
use crm_postgres::PostgresStore;
use support::{drop_schema, fresh_schema, pg_url, report};

/// A fresh schema, dropped when the test ends (even when it fails).
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str, label: &str) -> Schema {
        Schema {
            url: url.to_string(),
            name: fresh_schema(label),
        }
    }

    fn connect(&self) -> PostgresStore {
        PostgresStore::connect_in_schema(&self.url, &self.name).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        drop_schema(&self.url, &self.name);
    }
}

#[test]
fn concurrent_writers_lose_no_update_on_one_schema() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::new(&url, "concurrency");
    let started = Instant::now();
    let seen = concurrent_writers_lose_no_update(&|| schema.connect());
    report(&format!(
        "postgres concurrency: 8 writers x 125 updates on 10 leads: {} applied = sum of counters, \
         {} conflicts retried, in {:.1} s",
        seen.applied,
        seen.conflicts,
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn concurrent_outbox_takers_never_share_a_message_on_one_schema() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::new(&url, "outbox");
    let taken = concurrent_outbox_takers_never_share_a_message(&|| schema.connect());
    report(&format!(
        "postgres outbox: 4 concurrent takers drained 200 messages, {taken:?} each, none twice"
    ));
}

#[test]
fn concurrent_state_writers_lose_no_update_on_one_schema() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::new(&url, "states");
    let seen = concurrent_state_writers_lose_no_update(&|| schema.connect());
    report(&format!(
        "postgres states: 8 writers x 50 updates of one state: {} applied = its version, \
         {} conflicts retried",
        seen.applied, seen.conflicts
    ));
}
