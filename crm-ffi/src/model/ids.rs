//! Record keys, and ids from the foreign side checked by the core's rules.

use crm::Error as CoreError;
use crm::RecordKey as CoreRecordKey;
use crm::{TeamId, UserId};

/// Any record's identity: its kind (`"lead"`, `"ticket"`, ...) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct RecordKey {
    /// The kind of record, lowercase: `customer`, `contact`, `lead`,
    /// `opportunity`, `contract`, `ticket`, `activity`, `task`, `user`, `team`,
    /// `points_entry`, `campaign`.
    pub kind: String,
    /// The record's id.
    pub id: String,
}

impl From<CoreRecordKey> for RecordKey {
    fn from(key: CoreRecordKey) -> Self {
        RecordKey {
            kind: key.kind.as_str().to_owned(),
            id: key.id,
        }
    }
}

impl TryFrom<RecordKey> for CoreRecordKey {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `entity` for an unknown kind, on `<kind>_id`
    /// (`lead_id`) for a malformed id.
    fn try_from(key: RecordKey) -> Result<Self, CoreError> {
        CoreRecordKey::parse(&key.kind, &key.id)
    }
}

/// A user id.
///
/// # Errors
///
/// A validation error on `user_id` when empty, too long, padded or holding
/// control characters.
pub(crate) fn user(id: String) -> Result<UserId, CoreError> {
    UserId::new(id)
}

/// An optional user id.
///
/// # Errors
///
/// As [`user`].
pub(crate) fn opt_user(id: Option<String>) -> Result<Option<UserId>, CoreError> {
    id.map(UserId::new).transpose()
}

/// A team id.
///
/// # Errors
///
/// A validation error on `team_id`, as for user ids.
pub(crate) fn team(id: String) -> Result<TeamId, CoreError> {
    TeamId::new(id)
}

/// An optional team id.
///
/// # Errors
///
/// As [`team`].
pub(crate) fn opt_team(id: Option<String>) -> Result<Option<TeamId>, CoreError> {
    id.map(TeamId::new).transpose()
}

/// An optional id as text.
pub(crate) fn opt_text<T: ToString>(id: Option<T>) -> Option<String> {
    id.map(|id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_by_kind() {
        let key = RecordKey {
            kind: "lead".into(),
            id: "not-a-uuid".into(),
        };
        let err = CoreRecordKey::try_from(key).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid lead_id: is not a UUID (got `not-a-uuid`)"
        );
        let key = CoreRecordKey::parse("team", "east").unwrap();
        assert_eq!(RecordKey::from(key).kind, "team");
    }
}
