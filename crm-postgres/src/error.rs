//! How PostgreSQL failures become [`crm_core::Error`]s.
//!
//! A server error's primary message and SQLSTATE code are kept; its `DETAIL`
//! is not, because PostgreSQL puts the offending key values there (a phone
//! number in a unique index, say), and the server error itself is therefore not
//! kept as the source either. Connection and protocol errors carry no data and
//! are kept as the source.

use crm_core::Error;
use postgres::error::SqlState;

/// Wraps a postgres error in an [`Error::Storage`] saying what failed.
pub(crate) fn storage(what: &str, error: postgres::Error) -> Error {
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let why = if *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::T_R_SERIALIZATION_FAILURE
        {
            "a concurrent transaction got in the way; retry".to_string()
        } else {
            let mut why = format!("PostgreSQL refused it: {}", db.message());
            if let Some(constraint) = db.constraint() {
                why.push_str(&format!(" (constraint {constraint})"));
            }
            why
        };
        return Error::Storage {
            message: format!("{what}: {why} [SQLSTATE {}]", code.code()),
            source: None,
        };
    }
    if error.is_closed() {
        return Error::storage(
            format!("{what}: the connection to PostgreSQL is closed"),
            error,
        );
    }
    Error::storage(format!("{what}: PostgreSQL failed"), error)
}

/// An [`Error::Storage`] for a stored item whose JSON no longer reads as what
/// it should be. The serde message is not kept: it may quote personal data.
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

/// `.context("what")` on postgres results.
pub(crate) trait Context<T> {
    /// Maps the error to an [`Error::Storage`] saying `what` failed.
    fn context(self, what: &str) -> crm_core::Result<T>;
}

impl<T> Context<T> for Result<T, postgres::Error> {
    fn context(self, what: &str) -> crm_core::Result<T> {
        self.map_err(|e| storage(what, e))
    }
}
