//! How SQLite failures become [`crm_core::Error`]s.
//!
//! Every message says what the store was doing and what kind of failure it
//! was, never a value from a record: SQLite's own messages name tables,
//! columns and constraints, not the data, and JSON decoding errors are reduced
//! to their category and position because serde's messages may quote the
//! input (a name, an email).

use crm_core::Error;

/// Wraps a rusqlite error in an [`Error::Storage`] saying what failed.
pub(crate) fn storage(what: &str, error: rusqlite::Error) -> Error {
    let message = match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            format!(
                "{what}: the database stayed locked by another connection beyond the busy timeout"
            )
        }
        Some(rusqlite::ErrorCode::NotADatabase) => {
            format!("{what}: the file is not an SQLite database (or it is encrypted)")
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            format!("{what}: the database file is corrupt")
        }
        Some(rusqlite::ErrorCode::DiskFull) => format!("{what}: the disk is full"),
        Some(rusqlite::ErrorCode::ReadOnly) => format!("{what}: the database is read-only"),
        Some(rusqlite::ErrorCode::CannotOpen) => format!("{what}: the file cannot be opened"),
        Some(code) => format!("{what}: SQLite failed ({code:?})"),
        None => format!("{what}: SQLite failed"),
    };
    Error::storage(message, error)
}

/// An [`Error::Storage`] for a stored item whose JSON no longer reads as what
/// it should be (a record, an event, an outbox message). The serde message is
/// not kept: it may quote personal data.
pub(crate) fn unreadable(what: &str, error: &serde_json::Error) -> Error {
    let category = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "not of the expected shape",
        serde_json::error::Category::Eof => "cut short",
    };
    Error::Storage {
        message: format!(
            "{what} could not be read: its JSON is {category} (line {}, column {})",
            error.line(),
            error.column()
        ),
        source: None,
    }
}

/// An [`Error::Storage`] for an item that could not be turned into JSON.
pub(crate) fn unwritable(what: &str, error: serde_json::Error) -> Error {
    Error::Storage {
        message: format!(
            "{what} could not be written as JSON ({:?})",
            error.classify()
        ),
        source: None,
    }
}

/// An [`Error::Storage`] without an underlying error.
pub(crate) fn broken(message: impl Into<String>) -> Error {
    Error::Storage {
        message: message.into(),
        source: None,
    }
}

/// `.context("what")` on rusqlite results.
pub(crate) trait Context<T> {
    /// Maps the error to an [`Error::Storage`] saying `what` failed.
    fn context(self, what: &str) -> crm_core::Result<T>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: &str) -> crm_core::Result<T> {
        self.map_err(|e| storage(what, e))
    }
}
