//! Helpers shared by the integration tests: temporary directories and a
//! file-backed store that removes its file when dropped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use crm_core::event::{Event, OutboxMessage};
use crm_core::store::{ChangeSet, Query, Restore, State, Store};
use crm_core::{AnyRecord, EventId, RecordKey, Result};
use crm_sqlite::SqliteStore;

/// A directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("crm-sqlite-{label}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return TempDir(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create a temporary directory: {e}"),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A [`SqliteStore`] in a file of its own, deleted with it.
pub struct FileStore {
    pub store: SqliteStore,
    // Dropped after the store (fields drop in declaration order).
    pub dir: TempDir,
}

impl FileStore {
    pub fn new() -> FileStore {
        let dir = TempDir::new("store");
        let store =
            SqliteStore::open(dir.path().join("crm.db")).unwrap_or_else(|e| panic!("open: {e}"));
        FileStore { store, dir }
    }
}

impl Store for FileStore {
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

/// Prints a line to the real standard error, past the test harness's capture,
/// so that a test's figures show in `cargo test`'s output.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
