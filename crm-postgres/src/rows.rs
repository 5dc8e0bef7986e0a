//! What goes into a row and comes out of it: JSON bodies, index projections,
//! times as integers, and the version checks of a change set.

use crm_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{unreadable, unwritable};

pub(crate) use crm_core::store::backend::{
    Projection, check_restored_states, check_states, check_writes, finer_than_micros, micros,
    state_conflict,
};

/// A value as JSON text.
pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| unwritable(what, e))
}

/// A value from its stored JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| unreadable(what, &e))
}

/// A number stored as a `bigint` (a signed 64-bit value).
pub(crate) fn to_i64(what: &str, value: u64) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| Error::invalid(what, "is too large to store").with_value(value))
}
