//! The event log and the outbox.

use std::time::SystemTime;

use crm::Event as CoreEvent;
use crm::FieldChange as CoreFieldChange;
use crm::OutboxMessage as CoreOutboxMessage;

use crate::clock::{to_system_time, to_system_time_opt};
use crate::model::{RecordKey, json_text};

/// One change to one record: who did what, when, from which state to which,
/// why, and which fields changed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Event {
    /// The event's id.
    pub id: String,
    /// Its position in the log, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: SystemTime,
    /// Who did it.
    pub actor: String,
    /// The record it changed.
    pub entity: RecordKey,
    /// What was done: `create`, `update`, `assign`, `share`, or a lifecycle
    /// action such as `qualify`.
    pub action: String,
    /// The lifecycle state before, for records that have one.
    pub from: Option<String>,
    /// The lifecycle state after.
    pub to: Option<String>,
    /// Why, when a reason was given.
    pub reason: Option<String>,
    /// The fields that changed.
    pub changes: Vec<FieldChange>,
    /// Anything else worth keeping, as JSON text (`null` when nothing).
    pub payload_json: Option<String>,
}

impl From<CoreEvent> for Event {
    fn from(event: CoreEvent) -> Self {
        Event {
            id: event.id.to_string(),
            seq: event.seq,
            at: to_system_time(event.at),
            actor: event.actor.to_string(),
            entity: event.entity.into(),
            action: event.action,
            from: event.from,
            to: event.to,
            reason: event.reason,
            changes: event.changes.into_iter().map(FieldChange::from).collect(),
            payload_json: json_text(&event.payload),
        }
    }
}

/// One changed field of an [`Event`], its values as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldChange {
    /// The field's name (`custom.KEY` for a custom field).
    pub field: String,
    /// The value before, as JSON text (`null` when unset).
    pub old_json: String,
    /// The value after, as JSON text.
    pub new_json: String,
}

impl From<CoreFieldChange> for FieldChange {
    fn from(change: CoreFieldChange) -> Self {
        FieldChange {
            field: change.field,
            old_json: change.old.to_string(),
            new_json: change.new.to_string(),
        }
    }
}

/// A side effect the host must perform (notify an owner, send a quote),
/// written in the same commit as the change that caused it. Take with
/// `takeOutbox`, confirm with `ackOutbox`; use `id` as the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxMessage {
    /// The message's id: the idempotency key.
    pub id: String,
    /// When it was written.
    pub created_at: SystemTime,
    /// The id of the event that caused it.
    pub event: String,
    /// What to do: `notify`, `send_quote_template`, ...
    pub topic: String,
    /// The record it is about.
    pub record: RecordKey,
    /// Whom it is for.
    pub recipient: Option<String>,
    /// Details for the host, as JSON text (`null` when none).
    pub payload_json: Option<String>,
    /// How many times it has been taken.
    pub attempts: u32,
    /// Until when the last taker holds it.
    pub leased_until: Option<SystemTime>,
    /// When the host acknowledged it.
    pub acked_at: Option<SystemTime>,
}

impl From<CoreOutboxMessage> for OutboxMessage {
    fn from(message: CoreOutboxMessage) -> Self {
        OutboxMessage {
            id: message.id.to_string(),
            created_at: to_system_time(message.created_at),
            event: message.event.to_string(),
            topic: message.topic,
            record: message.record.into(),
            recipient: message.recipient.map(|user| user.to_string()),
            payload_json: json_text(&message.payload),
            attempts: message.attempts,
            leased_until: to_system_time_opt(message.leased_until),
            acked_at: to_system_time_opt(message.acked_at),
        }
    }
}
