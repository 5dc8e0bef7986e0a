//! The one error type of the binding: [`CrmError`], one case per kind of
//! [`crm::Error`], with the same fields.
//!
//! Kotlin sees `CrmException` (uniffi renames `*Error` to `*Exception`) with a
//! subclass per case (`CrmException.Validation`, ...), Swift an `enum CrmError:
//! Error`, Python a `CrmError` exception with a subclass per case. The core's
//! message is the exception's `toString()` (Kotlin), `description` (Swift) and
//! `str()` (Python); the fields are properties, so callers match on the case
//! and read `fields`, `from`, `expectedVersion`... rather than parse text.
//!
//! Every core kind maps to exactly one case by an exhaustive `match`: a new kind
//! in `crm-core` breaks this build until it is mapped.

use crm::Error as CoreError;

/// Everything that can go wrong in crm: one case per stable kind.
///
/// Match on the case, not on the message: the wording may improve between
/// releases, the cases and their fields do not. Messages never carry personal
/// data; records are named by kind and id.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum CrmError {
    /// Input was rejected: a malformed id, an unknown kind, a blank reason, a
    /// negative amount, bad JSON...
    #[error("invalid {}: {reason}{}", fields.join(", "), shown_value(value))]
    Validation {
        /// The fields at fault (at least one), in the order they were checked.
        fields: Vec<String>,
        /// The rejected value, when it holds no personal data.
        value: Option<String>,
        /// Why it was rejected.
        reason: String,
    },
    /// The lifecycle does not allow `action` from the record's current state.
    #[error("cannot {action} {entity} {id}: not allowed from state `{from}`")]
    InvalidTransition {
        /// The kind of record (`lead`, `ticket`, ...).
        entity: String,
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
        entity: String,
        /// The id that was not found.
        id: String,
    },
    /// The write carried a version that is no longer current: read the record
    /// again and retry.
    #[error(
        "{entity} {id} changed meanwhile: expected version {expected_version}, found {}",
        found_version(found)
    )]
    Conflict {
        /// The kind of record.
        entity: String,
        /// The record's id.
        id: String,
        /// The version the write was based on.
        expected_version: u64,
        /// The version stored (`null`: there is no such record).
        found: Option<u64>,
    },
    /// The actor may not do `action` on this record (or this kind of record).
    #[error("user {actor} may not {action} {entity}{}", id_suffix(id))]
    Forbidden {
        /// The user who asked.
        actor: String,
        /// The missing permission (`read`, `create`, `edit`, `assign`, `share`).
        action: String,
        /// The kind of record.
        entity: String,
        /// The record's id, when the command named one.
        id: Option<String>,
    },
    /// The storage failed. (The core calls this field `message`; it is
    /// `reason` here because Kotlin exceptions already have a `message`.)
    #[error("storage failure: {reason}")]
    Storage {
        /// What failed, without personal data.
        reason: String,
    },
    /// The configuration is invalid.
    #[error("invalid configuration at {path}: {reason}")]
    Config {
        /// Where in the configuration.
        path: String,
        /// What is wrong there.
        reason: String,
    },
}

fn shown_value(value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|value| format!(" (got `{value}`)"))
        .unwrap_or_default()
}

fn found_version(found: &Option<u64>) -> String {
    found.map_or_else(|| "no record".to_owned(), |version| version.to_string())
}

fn id_suffix(id: &Option<String>) -> String {
    id.as_ref().map(|id| format!(" {id}")).unwrap_or_default()
}

/// A host callback (an import's progress listener) that threw something
/// other than a `CrmError`: a validation error on `progress`, so that no
/// panic crosses the boundary.
impl From<uniffi::UnexpectedUniFFICallbackError> for CrmError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let shown: String = err.reason.chars().take(200).collect();
        CrmError::Validation {
            fields: vec!["progress".into()],
            value: None,
            reason: format!("the progress listener failed: {shown}"),
        }
    }
}

impl From<CoreError> for CrmError {
    fn from(err: CoreError) -> Self {
        // No wildcard: a new kind in the core must be mapped here.
        match err {
            CoreError::Validation {
                fields,
                value,
                reason,
            } => CrmError::Validation {
                fields,
                value,
                reason,
            },
            CoreError::InvalidTransition {
                entity,
                id,
                from,
                action,
            } => CrmError::InvalidTransition {
                entity: entity.to_string(),
                id,
                from,
                action,
            },
            CoreError::NotFound { entity, id } => CrmError::NotFound {
                entity: entity.to_string(),
                id,
            },
            CoreError::Conflict {
                entity,
                id,
                expected_version,
                found,
            } => CrmError::Conflict {
                entity: entity.to_string(),
                id,
                expected_version,
                found,
            },
            CoreError::Forbidden {
                actor,
                action,
                entity,
                id,
            } => CrmError::Forbidden {
                actor,
                action,
                entity: entity.to_string(),
                id,
            },
            CoreError::Storage { message, source: _ } => CrmError::Storage { reason: message },
            CoreError::Config { path, reason } => CrmError::Config { path, reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm::EntityKind;

    /// The binding's messages are the core's, word for word, for every kind.
    #[test]
    fn messages_match_the_core() {
        let errors = [
            CoreError::invalid("amount", "must not be negative").with_value("-5"),
            CoreError::Validation {
                fields: vec!["company".into(), "contact_name".into()],
                value: None,
                reason: "a lead needs a company or a contact name".into(),
            },
            CoreError::InvalidTransition {
                entity: EntityKind::Lead,
                id: "L1".into(),
                from: "converted".into(),
                action: "qualify".into(),
            },
            CoreError::not_found(EntityKind::Ticket, "T1"),
            CoreError::Conflict {
                entity: EntityKind::Ticket,
                id: "T1".into(),
                expected_version: 2,
                found: Some(3),
            },
            CoreError::Conflict {
                entity: EntityKind::Task,
                id: "T2".into(),
                expected_version: 1,
                found: None,
            },
            CoreError::Forbidden {
                actor: "u1".into(),
                action: "assign".into(),
                entity: EntityKind::Lead,
                id: None,
            },
            CoreError::Forbidden {
                actor: "u1".into(),
                action: "read".into(),
                entity: EntityKind::Lead,
                id: Some("L1".into()),
            },
            CoreError::Storage {
                message: "disk full".into(),
                source: None,
            },
            CoreError::config("opportunity.states[2].name", "is empty"),
        ];
        for err in errors {
            let expected = err.to_string();
            assert_eq!(CrmError::from(err).to_string(), expected);
        }
    }

    #[test]
    fn fields_are_kept() {
        let err = CrmError::from(CoreError::Conflict {
            entity: EntityKind::Opportunity,
            id: "O1".into(),
            expected_version: 1,
            found: Some(2),
        });
        match err {
            CrmError::Conflict {
                entity,
                expected_version,
                found,
                ..
            } => {
                assert_eq!(entity, "opportunity");
                assert_eq!(expected_version, 1);
                assert_eq!(found, Some(2));
            }
            other => panic!("wrong case: {other:?}"),
        }
    }
}
