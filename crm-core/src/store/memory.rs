//! The in-memory store: for tests, for scoring and matching without a
//! database, and as the reference every other backend is compared with.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::event::{Event, OutboxMessage};
use crate::model::{AnyRecord, EventId, RecordKey};
use crate::store::{ChangeSet, Query, Restore, State, Store};

/// A [`Store`] that keeps everything in memory. Nothing survives the process;
/// use `crm-sqlite` for that.
///
/// # Examples
///
/// ```
/// use crm_core::store::{MemoryStore, Query, Store};
/// use crm_core::EntityKind;
///
/// let store = MemoryStore::new();
/// assert!(store.query(&Query::new(EntityKind::Lead)).unwrap().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    records: BTreeMap<RecordKey, AnyRecord>,
    events: Vec<Event>,
    events_by_record: HashMap<RecordKey, Vec<usize>>,
    outbox: Vec<OutboxMessage>,
    outbox_index: HashMap<EventId, usize>,
    sequences: BTreeMap<String, u64>,
    states: BTreeMap<String, State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &RecordKey) -> Result<Option<AnyRecord>> {
        Ok(self.records.get(key).cloned())
    }

    fn query(&self, query: &Query) -> Result<Vec<AnyRecord>> {
        let from = RecordKey::new(query.kind, String::new());
        let limit = query.limit.unwrap_or(usize::MAX);
        Ok(self
            .records
            .range(from..)
            .take_while(|(key, _)| key.kind == query.kind)
            .filter(|(_, record)| query.matches(&record.index()))
            .take(limit)
            .map(|(_, record)| record.clone())
            .collect())
    }

    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        // Check everything first, so that a failure leaves nothing behind.
        crate::store::backend::check_writes(&changes.writes, |key| {
            Ok(self.records.get(key).map(AnyRecord::version))
        })?;
        crate::store::backend::check_states(&changes.states, |name| {
            Ok(self.states.get(name).map(|state| state.version))
        })?;
        check_new_messages(&self.outbox_index, &changes.outbox)?;
        for write in changes.writes {
            let mut record = write.record;
            record.meta_mut().version = write.expected_version + 1;
            self.records.insert(record.key(), record);
        }
        for mut event in changes.events {
            event.seq = self.events.len() as u64 + 1;
            self.events_by_record
                .entry(event.entity.clone())
                .or_default()
                .push(self.events.len());
            self.events.push(event);
        }
        for message in changes.outbox {
            self.outbox_index.insert(message.id, self.outbox.len());
            self.outbox.push(message);
        }
        for write in changes.states {
            let state = State {
                name: write.name,
                version: write.expected_version + 1,
                value: write.value,
            };
            self.states.insert(state.name.clone(), state);
        }
        Ok(())
    }

    fn history(&self, key: &RecordKey) -> Result<Vec<Event>> {
        Ok(self
            .events_by_record
            .get(key)
            .map(|at| at.iter().map(|&i| self.events[i].clone()).collect())
            .unwrap_or_default())
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(self.events.len());
        Ok(self.events[start..].iter().take(limit).cloned().collect())
    }

    fn take_outbox(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        let until = now
            .checked_add_signed(lease)
            .ok_or_else(|| Error::invalid("lease", "runs past the last representable time"))?;
        let mut taken = Vec::new();
        for message in &mut self.outbox {
            if taken.len() == limit {
                break;
            }
            let free =
                message.acked_at.is_none() && message.leased_until.is_none_or(|until| until <= now);
            if free {
                message.attempts += 1;
                message.leased_until = Some(until);
                taken.push(message.clone());
            }
        }
        Ok(taken)
    }

    fn ack_outbox(&mut self, ids: &[EventId], now: DateTime<Utc>) -> Result<usize> {
        if let Some(missing) = ids.iter().find(|id| !self.outbox_index.contains_key(id)) {
            return Err(Error::invalid("ids", "is not an outbox message").with_value(missing));
        }
        let mut newly = 0;
        for id in ids {
            let message = &mut self.outbox[self.outbox_index[id]];
            if message.acked_at.is_none() {
                message.acked_at = Some(now);
                newly += 1;
            }
        }
        Ok(newly)
    }

    fn next_number(&mut self, sequence: &str) -> Result<u64> {
        let next = self.sequences.entry(sequence.to_string()).or_insert(0);
        *next += 1;
        Ok(*next)
    }

    fn outbox_page(&self, offset: usize, limit: usize) -> Result<Vec<OutboxMessage>> {
        Ok(self
            .outbox
            .iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect())
    }

    fn sequences(&self) -> Result<Vec<(String, u64)>> {
        Ok(self
            .sequences
            .iter()
            .map(|(name, value)| (name.clone(), *value))
            .collect())
    }

    fn restore(&mut self, part: Restore) -> Result<()> {
        crate::store::backend::check_restored_states(&part.states)?;
        let mut seen = HashSet::new();
        for record in &part.records {
            let key = record.key();
            if let Some(existing) = self.records.get(&key) {
                return Err(Error::Conflict {
                    entity: key.kind,
                    id: key.id,
                    expected_version: 0,
                    found: Some(existing.version()),
                });
            }
            if !seen.insert(key) {
                return Err(Error::invalid("records", "restore the same record twice"));
            }
        }
        for (at, event) in part.events.iter().enumerate() {
            let next = (self.events.len() + at) as u64 + 1;
            if event.seq != next {
                return Err(Error::invalid("seq", format!("expected event {next} next"))
                    .with_value(event.seq));
            }
        }
        check_new_messages(&self.outbox_index, &part.outbox)?;
        for record in part.records {
            self.records.insert(record.key(), record);
        }
        for event in part.events {
            self.events_by_record
                .entry(event.entity.clone())
                .or_default()
                .push(self.events.len());
            self.events.push(event);
        }
        for message in part.outbox {
            self.outbox_index.insert(message.id, self.outbox.len());
            self.outbox.push(message);
        }
        for (name, value) in part.sequences {
            let current = self.sequences.entry(name).or_insert(0);
            *current = (*current).max(value);
        }
        for state in part.states {
            self.states.insert(state.name.clone(), state);
        }
        Ok(())
    }

    fn state(&self, name: &str) -> Result<Option<State>> {
        Ok(self.states.get(name).cloned())
    }

    fn states(&self) -> Result<Vec<State>> {
        Ok(self.states.values().cloned().collect())
    }
}

/// Refuses outbox messages whose id the store (or the same batch) has already.
fn check_new_messages(index: &HashMap<EventId, usize>, messages: &[OutboxMessage]) -> Result<()> {
    let mut seen = HashSet::with_capacity(messages.len());
    for message in messages {
        if index.contains_key(&message.id) || !seen.insert(message.id) {
            return Err(
                Error::invalid("outbox", "holds a message the store has").with_value(message.id)
            );
        }
    }
    Ok(())
}
