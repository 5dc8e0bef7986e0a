//! The event log and the outbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{EventId, RecordKey, UserId};

/// One change to one record: who did what, when, from which state to which, why,
/// and which fields changed. The log of events is the audit trail; it is never
/// rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id.
    pub id: EventId,
    /// Its position in the store's log, from 1, assigned by the store on commit
    /// (0 before).
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: UserId,
    /// The record it changed.
    pub entity: RecordKey,
    /// What was done: `create`, `update`, `assign`, `share`, or a lifecycle action
    /// such as `qualify`.
    pub action: String,
    /// The lifecycle state before, for records that have one.
    pub from: Option<String>,
    /// The lifecycle state after.
    pub to: Option<String>,
    /// Why, when a reason was given.
    pub reason: Option<String>,
    /// The fields that changed, with their values before and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Anything else worth keeping (ids of records created alongside, a trace).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
}

/// One changed field of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's name (`custom.KEY` for a custom field).
    pub field: String,
    /// The value before (`null` when unset).
    pub old: Value,
    /// The value after.
    pub new: Value,
}

/// A side effect the host must perform (notify an owner, send a quote), written
/// in the same transaction as the change that caused it.
///
/// The host drains the outbox with `take` and confirms with `ack`. A message
/// taken but not acknowledged (the host crashed) is handed out again once its
/// lease runs out, so nothing is lost; the host makes the effect idempotent with
/// the message [`id`](Self::id), so nothing is done twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The message's id: the idempotency key for the host.
    pub id: EventId,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The event that caused it.
    pub event: EventId,
    /// What to do: `notify`, `send_quote_template`, ...
    pub topic: String,
    /// The record it is about.
    pub record: RecordKey,
    /// Whom it is for, when it is for someone.
    pub recipient: Option<crate::model::UserId>,
    /// Details for the host.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
    /// How many times it has been taken.
    pub attempts: u32,
    /// Until when the last taker holds it.
    pub leased_until: Option<DateTime<Utc>>,
    /// When the host acknowledged it.
    pub acked_at: Option<DateTime<Utc>>,
}

/// The changes between two JSON objects, field by field, leaving out the fields
/// every write changes (`version`, `updated_at`). Custom fields are compared one
/// by one and named `custom.KEY`.
pub(crate) fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut changes = Vec::new();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if matches!(key.as_str(), "version" | "updated_at") {
            continue;
        }
        let old = before.get(key).unwrap_or(&Value::Null);
        let new = after.get(key).unwrap_or(&Value::Null);
        if old == new {
            continue;
        }
        if key == "custom" {
            changes.extend(diff(old, new).into_iter().map(|mut change| {
                change.field = format!("custom.{}", change.field);
                change
            }));
        } else {
            changes.push(FieldChange {
                field: key.clone(),
                old: old.clone(),
                new: new.clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_names_changed_fields_only() {
        let before = json!({"a": 1, "b": "x", "version": 1, "custom": {"k": {"number": 1}}});
        let after =
            json!({"a": 1, "b": "y", "c": true, "version": 2, "custom": {"k": {"number": 2}}});
        let changes = diff(&before, &after);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["b", "c", "custom.k"]);
        assert_eq!(changes[1].old, Value::Null);
        assert_eq!(changes[2].new, json!({"number": 2}));
    }
}
