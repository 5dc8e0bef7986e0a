//! What every storage backend does the same way, written once: the version
//! checks of a change set, and the columns a record is indexed by.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{AnyRecord, RecordKey};
use crate::store::Write;

/// Checks a change set's writes against the versions stored before it, in
/// the order every backend must report: for each write, a stale or clashing
/// version is [`Error::Conflict`], then a record seen before in the same set
/// is [`Error::Validation`] on `changes`. `found` gives the stored version of
/// a key (`None`: no such record).
///
/// # Errors
///
/// As described, or whatever `found` returns.
pub fn check_writes(
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

/// A time as an index column holds it: microseconds since the epoch, rounded
/// down (every time the engine writes is whole microseconds already).
pub fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// Whether a time has a part finer than a microsecond, which an index column
/// cannot compare exactly (a backend then checks the row with
/// [`Query::matches`](crate::store::Query::matches)).
pub fn finer_than_micros(time: DateTime<Utc>) -> bool {
    time.timestamp_subsec_nanos() % 1_000 != 0
}

/// The columns a record is indexed by, from [`AnyRecord::index`], as text and
/// integers a database stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// The owner's id.
    pub owner: Option<String>,
    /// The team's id.
    pub team: Option<String>,
    /// The lifecycle state.
    pub status: Option<String>,
    /// The next due time, in [`micros`].
    pub due_at: Option<i64>,
    /// The parent record's kind.
    pub parent_kind: Option<&'static str>,
    /// The parent record's id.
    pub parent_id: Option<String>,
    /// Normalised phone numbers.
    pub phones: Vec<String>,
    /// Normalised emails.
    pub emails: Vec<String>,
}

impl Projection {
    /// The columns of `record`.
    pub fn of(record: &AnyRecord) -> Projection {
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
