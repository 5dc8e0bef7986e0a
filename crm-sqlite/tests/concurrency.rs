//! Several connections to one SQLite file at once: the concurrency checks of
//! crm-core's conformance suite, with 8 writers (and 4 outbox takers) each
//! opening the file.

mod support;

use std::time::Instant;

use crm_core::store::conformance::{
    concurrent_outbox_takers_never_share_a_message, concurrent_state_writers_lose_no_update,
    concurrent_writers_lose_no_update,
};
use crm_sqlite::SqliteStore;
use support::{TempDir, report};

#[test]
fn concurrent_writers_lose_no_update_on_one_file() {
    let dir = TempDir::new("concurrency");
    let path = dir.path().join("crm.db");
    let started = Instant::now();
    let seen = concurrent_writers_lose_no_update(&|| {
        SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"))
    });
    report(&format!(
        "sqlite concurrency: 8 writers x 125 updates on 10 leads: {} applied = sum of counters, \
         {} conflicts retried, in {:.1} s",
        seen.applied,
        seen.conflicts,
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn concurrent_outbox_takers_never_share_a_message_on_one_file() {
    let dir = TempDir::new("outbox");
    let path = dir.path().join("crm.db");
    let taken = concurrent_outbox_takers_never_share_a_message(&|| {
        SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"))
    });
    report(&format!(
        "sqlite outbox: 4 concurrent takers drained 200 messages, {taken:?} each, none twice"
    ));
}

#[test]
fn concurrent_state_writers_lose_no_update_on_one_file() {
    let dir = TempDir::new("states");
    let path = dir.path().join("crm.db");
    let seen = concurrent_state_writers_lose_no_update(&|| {
        SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"))
    });
    report(&format!(
        "sqlite states: 8 writers x 50 updates of one state: {} applied = its version, \
         {} conflicts retried",
        seen.applied, seen.conflicts
    ));
}
