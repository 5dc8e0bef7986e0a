//! What every storage backend does the same way, written once: the version
//! checks of a change set (records and named states), the checks of restored
//! states, and the columns a record is indexed by.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{AnyRecord, RecordKey};
use crate::store::{State, StateWrite, Write};

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

/// Checks a change set's state writes against the versions stored before it,
/// in the order every backend must report (after [`check_writes`]): for each
/// state write, a version other than the stored one (0: the state must not
/// exist) is [`Error::Conflict`] naming the write's `entity` and the id
/// `state:NAME`; then a name seen before in the same set is
/// [`Error::Validation`] on `changes`; then a stored version that cannot be
/// counted up is [`Error::Validation`] on `expected_version`. `found` gives
/// the stored version of a state (`None`: no such state).
///
/// A successful write stores the state at `expected_version + 1`.
///
/// # Errors
///
/// As described, or whatever `found` returns.
pub fn check_states(
    states: &[StateWrite],
    mut found: impl FnMut(&str) -> Result<Option<u64>>,
) -> Result<()> {
    let mut seen = HashSet::with_capacity(states.len());
    for write in states {
        let stored = found(&write.name)?;
        let clash = match (write.expected_version, stored) {
            (0, None) => false,
            (expected, Some(stored)) => expected != stored,
            (_, None) => true,
        };
        if clash {
            return Err(state_conflict(write, stored));
        }
        if !seen.insert(write.name.as_str()) {
            return Err(Error::invalid("changes", "write the same state twice"));
        }
        if write.expected_version == u64::MAX {
            return Err(Error::invalid(
                "expected_version",
                "is the highest version there is",
            ));
        }
    }
    Ok(())
}

/// The [`Error::Conflict`] of a state write that met version `found`
/// (`None`: the state does not exist).
pub fn state_conflict(write: &StateWrite, found: Option<u64>) -> Error {
    Error::Conflict {
        entity: write.entity,
        id: format!("state:{}", write.name),
        expected_version: write.expected_version,
        found,
    }
}

/// Checks the states of a [`Restore`](crate::store::Restore) part before
/// anything is written, the same way in every backend: each name at most once
/// and each version at least 1 (a stored state has been written at least
/// once), else [`Error::Validation`] on `states`.
///
/// # Errors
///
/// As described.
pub fn check_restored_states(states: &[State]) -> Result<()> {
    let mut seen = HashSet::with_capacity(states.len());
    for state in states {
        if state.version == 0 {
            return Err(Error::invalid("states", "holds a state at version 0"));
        }
        if !seen.insert(state.name.as_str()) {
            return Err(Error::invalid("states", "restore the same state twice"));
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
    /// Duplicate-matching keys, stored as contact points of the `key`
    /// channel.
    pub match_keys: Vec<String>,
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
            match_keys: keys.match_keys,
        }
    }
}
