//! The one error type of crm, with stable kinds that every binding maps.
//!
//! Messages never carry personal data (names, emails, phone numbers): records are
//! referred to by kind and id, and a rejected value is only echoed back when the
//! field holds no personal data (an amount, a currency code, a state name).

use std::fmt;

use crate::model::EntityKind;

/// A `Result` whose error is [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in crm, one variant per stable kind.
///
/// Match on the variant (or on [`Error::kind`]) rather than on the message: the
/// message wording may improve between releases, the kinds and their fields do not.
///
/// # Examples
///
/// ```
/// use crm_core::{Error, ErrorKind};
///
/// let err = Error::invalid("amount", "must not be negative").with_value("-5");
/// assert_eq!(err.kind(), ErrorKind::Validation);
/// assert_eq!(err.to_string(), "invalid amount: must not be negative (got `-5`)");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input was rejected. `fields` names every offending field (a guard that
    /// needs several fields names them all); `value` echoes the rejected value when
    /// it holds no personal data.
    #[error("invalid {}: {reason}{}", fields.join(", "), ValueSuffix(value))]
    Validation {
        /// The fields at fault, at least one, in the order they were checked.
        fields: Vec<String>,
        /// The rejected value, when it is safe to show.
        value: Option<String>,
        /// Why the value was rejected.
        reason: String,
    },
    /// The lifecycle does not allow `action` from the record's current state.
    #[error("cannot {action} {entity} {id}: not allowed from state `{from}`")]
    InvalidTransition {
        /// The kind of record.
        entity: EntityKind,
        /// The record's id.
        id: String,
        /// The state the record is in.
        from: String,
        /// The action that was refused.
        action: String,
    },
    /// No record of this kind has this id.
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of record looked up.
        entity: EntityKind,
        /// The id that was not found.
        id: String,
    },
    /// A write carried a version that is no longer current: someone else changed
    /// the record since it was read. Read it again and retry.
    #[error("{entity} {id} changed meanwhile: expected version {expected_version}, found {}", FoundVersion(*found))]
    Conflict {
        /// The kind of record.
        entity: EntityKind,
        /// The record's id.
        id: String,
        /// The version the write was based on (0: the record was expected not to exist).
        expected_version: u64,
        /// The version actually stored (`None`: there is no such record).
        found: Option<u64>,
    },
    /// The actor may not perform `action` on this record (or on this kind of record).
    #[error("user {actor} may not {action} {entity}{}", IdSuffix(id))]
    Forbidden {
        /// The user who asked.
        actor: String,
        /// The permission that was missing (`read`, `edit`, `assign`, ...).
        action: String,
        /// The kind of record.
        entity: EntityKind,
        /// The record's id, when the command named one.
        id: Option<String>,
    },
    /// The storage backend failed (I/O, database, corrupt data).
    #[error("storage failure: {message}")]
    Storage {
        /// What failed, without personal data.
        message: String,
        /// The backend's own error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A configuration (pipeline, policy, field definitions) is invalid.
    #[error("invalid configuration at {path}: {reason}")]
    Config {
        /// Where in the configuration the problem is, e.g. `opportunity.states[2].name`.
        path: String,
        /// What is wrong there.
        reason: String,
    },
}

/// The stable kind of an [`enum@Error`], as a plain enum that bindings turn into
/// exception classes (Python), `code` strings (Node) or enum cases (Kotlin/Swift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// See [`Error::Validation`].
    Validation,
    /// See [`Error::InvalidTransition`].
    InvalidTransition,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::Conflict`].
    Conflict,
    /// See [`Error::Forbidden`].
    Forbidden,
    /// See [`Error::Storage`].
    Storage,
    /// See [`Error::Config`].
    Config,
}

impl ErrorKind {
    /// The stable code of this kind, e.g. `"invalid_transition"`: what Node's
    /// `error.code` carries.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::InvalidTransition => "invalid_transition",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Storage => "storage",
            ErrorKind::Config => "config",
        }
    }
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. } => ErrorKind::Validation,
            Error::InvalidTransition { .. } => ErrorKind::InvalidTransition,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Config { .. } => ErrorKind::Config,
        }
    }

    /// A [`Error::Validation`] for one field, without an echoed value.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation {
            fields: vec![field.into()],
            value: None,
            reason: reason.into(),
        }
    }

    /// Adds the rejected value to a [`Error::Validation`]. Only call it for values
    /// that are not personal data. Other kinds are returned unchanged.
    pub fn with_value(mut self, shown: impl fmt::Display) -> Self {
        if let Error::Validation { value, .. } = &mut self {
            *value = Some(shown.to_string());
        }
        self
    }

    /// A [`Error::Validation`] reported on `field` instead of the fields it
    /// named: for a value checked by a general rule (a user id) but given as a
    /// particular argument (`owner`, `assignee`). Other kinds are unchanged.
    ///
    /// ```
    /// use crm_core::UserId;
    ///
    /// let err = UserId::new("").unwrap_err().in_field("owner");
    /// assert_eq!(err.to_string(), "invalid owner: must not be empty");
    /// ```
    pub fn in_field(self, field: &str) -> Self {
        match self {
            Error::Validation { value, reason, .. } => Error::Validation {
                fields: vec![field.to_string()],
                value,
                reason,
            },
            other => other,
        }
    }

    /// For a [`Error::Validation`] of a part of a larger input: its fields
    /// put under `prefix` (`time_zone` becomes `sla.calendars.office.time_zone`).
    /// Other kinds are unchanged.
    pub fn prefixed(self, prefix: &str) -> Self {
        match self {
            Error::Validation {
                fields,
                value,
                reason,
            } => Error::Validation {
                fields: fields.iter().map(|f| format!("{prefix}.{f}")).collect(),
                value,
                reason,
            },
            other => other,
        }
    }

    /// A [`Error::NotFound`].
    pub fn not_found(entity: EntityKind, id: impl fmt::Display) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A [`Error::Storage`] wrapping a backend error.
    pub fn storage(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Storage {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A [`Error::Config`].
    pub fn config(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

struct ValueSuffix<'a>(&'a Option<String>);

impl fmt::Display for ValueSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => write!(f, " (got `{value}`)"),
            None => Ok(()),
        }
    }
}

struct FoundVersion(Option<u64>);

impl fmt::Display for FoundVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(version) => write!(f, "{version}"),
            None => f.write_str("no record"),
        }
    }
}

struct IdSuffix<'a>(&'a Option<String>);

impl fmt::Display for IdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " {id}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_kind_and_id() {
        let err = Error::InvalidTransition {
            entity: EntityKind::Lead,
            id: "L1".into(),
            from: "converted".into(),
            action: "qualify".into(),
        };
        assert_eq!(
            err.to_string(),
            "cannot qualify lead L1: not allowed from state `converted`"
        );
        let err = Error::Conflict {
            entity: EntityKind::Ticket,
            id: "T1".into(),
            expected_version: 2,
            found: Some(3),
        };
        assert_eq!(
            err.to_string(),
            "ticket T1 changed meanwhile: expected version 2, found 3"
        );
        let err = Error::Forbidden {
            actor: "u1".into(),
            action: "assign".into(),
            entity: EntityKind::Lead,
            id: None,
        };
        assert_eq!(err.to_string(), "user u1 may not assign lead");
    }

    #[test]
    fn validation_names_every_field() {
        let err = Error::Validation {
            fields: vec!["expected_amount".into(), "close_date".into()],
            value: None,
            reason: "required to enter `proposal`".into(),
        };
        assert_eq!(
            err.to_string(),
            "invalid expected_amount, close_date: required to enter `proposal`"
        );
        assert_eq!(err.kind().code(), "validation");
    }
}
