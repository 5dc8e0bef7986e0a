//! Events (the audit trail) and outbox messages (the side effects to perform).

use napi_derive::napi;
use serde_json::Value;

use crm::{Event, FieldChange, OutboxMessage};

use crate::clock::{opt_rfc3339, rfc3339};
use crate::convert::number;
use crate::model::{JsRecordKey, opt_string};

/// One changed field of an event. `field` is the record's JSON field name
/// (snake_case, such as `expected_amount`; `custom.KEY` for a custom value);
/// `old` and `new` are canonical JSON (`null` when absent).
#[napi(object, js_name = "FieldChange", object_from_js = false)]
pub struct JsFieldChange {
    /// The field, in the core's snake_case.
    pub field: String,
    /// The value before.
    pub old: Value,
    /// The value after.
    #[napi(js_name = "new")]
    pub new_value: Value,
}

impl From<FieldChange> for JsFieldChange {
    fn from(change: FieldChange) -> Self {
        JsFieldChange {
            field: change.field,
            old: change.old,
            new_value: change.new,
        }
    }
}

/// One change to one record: who, when, which action, the state before and
/// after, why, and which fields changed.
#[napi(object, js_name = "Event", object_from_js = false, use_nullable = true)]
pub struct JsEvent {
    /// The event's id (a UUID).
    pub id: String,
    /// The store's sequence number: the order of commits across all records.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// The record that changed.
    pub entity: JsRecordKey,
    /// What was done: `create`, `update`, `assign`, a lifecycle action such as
    /// `qualify`, `share`, ...
    pub action: String,
    /// The state before (`null` for a record without a lifecycle, or a new one).
    pub from: Option<String>,
    /// The state after.
    pub to: Option<String>,
    /// Why, when the action takes a reason.
    pub reason: Option<String>,
    /// The fields that changed, with their old and new JSON values.
    pub changes: Vec<JsFieldChange>,
    /// Extra data of the action (JSON), or `null`.
    pub payload: Value,
}

impl From<Event> for JsEvent {
    fn from(event: Event) -> Self {
        JsEvent {
            id: event.id.to_string(),
            seq: number(event.seq),
            at: rfc3339(event.at),
            actor: event.actor.to_string(),
            entity: event.entity.into(),
            action: event.action,
            from: event.from,
            to: event.to,
            reason: event.reason,
            changes: event.changes.into_iter().map(JsFieldChange::from).collect(),
            payload: event.payload,
        }
    }
}

/// A message the host must perform (send a notification, call a webhook)
/// exactly once: take it with `takeOutbox`, perform it idempotently keyed by
/// its id, then acknowledge it with `ackOutbox`.
#[napi(
    object,
    js_name = "OutboxMessage",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsOutboxMessage {
    /// The message's id (a UUID): the key to perform it idempotently.
    pub id: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// The event that caused it.
    pub event: String,
    /// What to do: `notify`, or a topic a lifecycle emits
    /// (`send_quote_template`, `contract_signed`, ...).
    pub topic: String,
    /// The record it is about.
    pub record: JsRecordKey,
    /// The user it is for.
    pub recipient: Option<String>,
    /// The details (JSON), or `null`.
    pub payload: Value,
    /// How often it was taken.
    pub attempts: u32,
    /// Until when the current taker holds it (RFC 3339, UTC).
    pub leased_until: Option<String>,
    /// When it was acknowledged (RFC 3339, UTC).
    pub acked_at: Option<String>,
}

impl From<OutboxMessage> for JsOutboxMessage {
    fn from(message: OutboxMessage) -> Self {
        JsOutboxMessage {
            id: message.id.to_string(),
            created_at: rfc3339(message.created_at),
            event: message.event.to_string(),
            topic: message.topic,
            record: message.record.into(),
            recipient: opt_string(message.recipient),
            payload: message.payload,
            attempts: message.attempts,
            leased_until: opt_rfc3339(message.leased_until),
            acked_at: opt_rfc3339(message.acked_at),
        }
    }
}
