//! What goes into a row and comes out of it: JSON bodies, index projections,
//! times as integers, and the version checks of a change set.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use crm_core::store::Write;
use crm_core::{AnyRecord, Error, RecordKey, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{unreadable, unwritable};

/// A time as stored in an index column: microseconds since the epoch, rounded
/// down (every time the engine writes is whole microseconds already).
pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// Whether a time has a part finer than a microsecond, which an index column
/// cannot compare exactly.
pub(crate) fn finer_than_micros(time: DateTime<Utc>) -> bool {
    time.timestamp_subsec_nanos() % 1_000 != 0
}

/// A value as JSON text.
pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| unwritable(what, e))
}

/// A value from its stored JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| unreadable(what, &e))
}

/// A number stored as SQLite's `INTEGER` (a signed 64-bit value).
pub(crate) fn to_i64(what: &str, value: u64) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| Error::invalid(what, "is too large to store").with_value(value))
}

/// The columns a record is indexed by, from [`AnyRecord::index`].
pub(crate) struct Projection {
    pub owner: Option<String>,
    pub team: Option<String>,
    pub status: Option<String>,
    pub due_at: Option<i64>,
    pub parent_kind: Option<&'static str>,
    pub parent_id: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

impl Projection {
    pub(crate) fn of(record: &AnyRecord) -> Projection {
        let keys = record.index();
        Projection {
            owner: keys.owner.map(|user| user.as_str().to_string()),
            team: keys.team.map(|team| team.as_str().to_string()),
            status: keys.status,
            due_at: keys.due_at.map(micros),
            parent_kind: keys.parent.as_ref().map(|parent| parent.kind.as_str()),
            parent_id: keys.parent.map(|parent| parent.id),
            phones: keys.phones,
            emails: keys.emails,
        }
    }
}

/// Checks a change set's writes against the versions stored before it, in the
/// order [`MemoryStore`](crm_core::store::MemoryStore) does: for each write, a
/// stale or clashing version is a conflict, then a record seen before in the
/// set is a validation error. `found` gives the stored version of a key.
pub(crate) fn check_writes(
    writes: &[Write],
    mut found: impl FnMut(&RecordKey) -> Result<Option<u64>>,
) -> Result<()> {
    let mut seen = HashSet::with_capacity(writes.len());
    for write in writes {
        let key = write.record.key();
        let stored = found(&key)?;
        let clash = match (write.expected_version, stored) {
            (0, None) => false,
            (expected, Some(stored)) => expected != stored,
            (_, None) => true,
        };
        if clash {
            return Err(Error::Conflict {
                entity: key.kind,
                id: key.id,
                expected_version: write.expected_version,
                found: stored,
            });
        }
        if !seen.insert(key) {
            return Err(Error::invalid("changes", "write the same record twice"));
        }
    }
    Ok(())
}
