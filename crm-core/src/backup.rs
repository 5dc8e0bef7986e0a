//! Backup and restore: a whole store as JSON Lines, one item a line.
//!
//! [`export`] streams every sequence, named engine state, record, event and
//! outbox message of a store to a writer; [`import`] reads them back into a
//! store of any kind (memory, SQLite, PostgreSQL) that does not hold them yet,
//! keeping versions, event numbers and outbox states, so the copy equals the
//! original.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::access::Actor;
//! use crm_core::store::MemoryStore;
//! use crm_core::{backup, Config, Crm, FixedClock, NewLead, SeededIds, UserId};
//!
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
//! let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
//! let ana = Actor::new(UserId::new("ana")?).with_role("sales");
//! crm.create_lead(&ana, NewLead { company: Some("Acme".into()), owner: Some(ana.user.clone()), ..Default::default() })?;
//!
//! let mut lines = Vec::new();
//! let exported = backup::export(crm.store(), &mut lines)?;
//! let mut copy = MemoryStore::new();
//! let imported = backup::import(&mut copy, lines.as_slice())?;
//! assert_eq!((exported.records, exported.events), (1, 1));
//! assert_eq!(imported, exported);
//!
//! // A store that holds the records already refuses them.
//! assert!(backup::import(&mut copy, lines.as_slice()).is_err());
//! # Ok::<(), crm_core::Error>(())
//! ```

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{Event, OutboxMessage};
use crate::model::{AnyRecord, EntityKind};
use crate::store::{Query, Restore, State, Store};

/// The format written in the first line; [`import`] refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// How many items are read or written at a time.
const PAGE: usize = 1_000;

/// One line of a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum Line {
    /// The first line: what wrote it.
    Header {
        /// [`FORMAT_VERSION`] of the writer.
        format_version: u32,
    },
    /// A named sequence and its last number.
    Sequence {
        /// The sequence's name.
        name: String,
        /// The last number handed out.
        value: u64,
    },
    /// A named engine state (see [`State`]).
    State {
        /// The state's name.
        name: String,
        /// Its version.
        version: u64,
        /// The state itself.
        value: serde_json::Value,
    },
    /// A record.
    Record {
        /// The record.
        record: AnyRecord,
    },
    /// An event.
    Event {
        /// The event.
        event: Event,
    },
    /// An outbox message.
    Outbox {
        /// The message.
        message: OutboxMessage,
    },
}

/// What a backup held, by kind of item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupStats {
    /// Sequences.
    pub sequences: usize,
    /// Named engine states.
    pub states: usize,
    /// Records.
    pub records: usize,
    /// Events.
    pub events: usize,
    /// Outbox messages.
    pub outbox: usize,
}

/// Writes every item of `store` to `writer` as JSON Lines: a header, the
/// sequences, the named states by name, the records kind by kind, the events
/// in order, the outbox.
///
/// # Errors
///
/// [`Error::Storage`] when the store fails or the writer does.
pub fn export<S: Store + ?Sized>(store: &S, mut writer: impl Write) -> Result<BackupStats> {
    let mut stats = BackupStats::default();
    write_line(
        &mut writer,
        &Line::Header {
            format_version: FORMAT_VERSION,
        },
    )?;
    for (name, value) in store.sequences()? {
        write_line(&mut writer, &Line::Sequence { name, value })?;
        stats.sequences += 1;
    }
    for State {
        name,
        version,
        value,
    } in store.states()?
    {
        write_line(
            &mut writer,
            &Line::State {
                name,
                version,
                value,
            },
        )?;
        stats.states += 1;
    }
    for kind in EntityKind::ALL {
        for record in store.query(&Query::new(kind))? {
            write_line(&mut writer, &Line::Record { record })?;
            stats.records += 1;
        }
    }
    let mut after = 0;
    loop {
        let page = store.events_after(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for event in page {
            write_line(&mut writer, &Line::Event { event })?;
            stats.events += 1;
        }
    }
    loop {
        let page = store.outbox_page(stats.outbox, PAGE)?;
        if page.is_empty() {
            break;
        }
        for message in page {
            write_line(&mut writer, &Line::Outbox { message })?;
            stats.outbox += 1;
        }
    }
    writer
        .flush()
        .map_err(|e| Error::storage("the backup could not be written", e))?;
    Ok(stats)
}

/// Reads a backup written by [`export`] into `store`, a page at a time.
///
/// Each page is written atomically; the backup as a whole is not, so import
/// into a new store and discard it if the import fails.
///
/// # Errors
///
/// [`Error::Validation`] on `line N` when a line is not a backup item or the
/// header is missing or of another format version; what [`Store::restore`]
/// returns when the store already holds an item; [`Error::Storage`] when the
/// reader fails.
pub fn import<S: Store + ?Sized>(store: &mut S, reader: impl BufRead) -> Result<BackupStats> {
    let mut stats = BackupStats::default();
    let mut part = Restore::default();
    let mut pending = 0;
    for (at, line) in reader.lines().enumerate() {
        let number = at + 1;
        let line = line.map_err(|e| Error::storage("the backup could not be read", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Line = serde_json::from_str(&line).map_err(|e| {
            Error::invalid(
                format!("line {number}"),
                format!("is not a backup item ({})", e.classify_name()),
            )
        })?;
        match item {
            Line::Header { format_version } if number == 1 => {
                if format_version != FORMAT_VERSION {
                    return Err(Error::invalid(
                        "line 1",
                        format!("is format {format_version}; this library reads {FORMAT_VERSION}"),
                    )
                    .with_value(format_version));
                }
                continue;
            }
            _ if number == 1 => return Err(Error::invalid("line 1", "is not a crm backup header")),
            Line::Header { .. } => {
                return Err(Error::invalid(
                    format!("line {number}"),
                    "is a second header",
                ));
            }
            Line::Sequence { name, value } => {
                part.sequences.push((name, value));
                stats.sequences += 1;
            }
            Line::State {
                name,
                version,
                value,
            } => {
                part.states.push(State {
                    name,
                    version,
                    value,
                });
                stats.states += 1;
            }
            Line::Record { record } => {
                part.records.push(record);
                stats.records += 1;
            }
            Line::Event { event } => {
                part.events.push(event);
                stats.events += 1;
            }
            Line::Outbox { message } => {
                part.outbox.push(message);
                stats.outbox += 1;
            }
        }
        pending += 1;
        if pending == PAGE {
            store.restore(std::mem::take(&mut part))?;
            pending = 0;
        }
    }
    if pending > 0 {
        store.restore(part)?;
    }
    Ok(stats)
}

fn write_line(writer: &mut impl Write, line: &Line) -> Result<()> {
    serde_json::to_writer(&mut *writer, line)
        .map_err(|e| Error::storage("a backup line could not be written", e))?;
    writer
        .write_all(b"\n")
        .map_err(|e| Error::storage("the backup could not be written", e))
}

/// A short name for a JSON error's category, without the input it may quote.
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "an unknown or malformed item",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChangeSet, MemoryStore, StateWrite};
    use serde_json::json;

    fn with_states() -> MemoryStore {
        let mut store = MemoryStore::new();
        for (name, value) in [
            ("rr", json!({"next": 2, "note": "Grüße \"x\""})),
            ("a", json!([1, -2, 3.5, null])),
        ] {
            let mut changes = ChangeSet::default();
            changes.states.push(StateWrite {
                name: name.into(),
                value,
                expected_version: 0,
                entity: EntityKind::Lead,
            });
            store.commit(changes).unwrap();
        }
        let mut changes = ChangeSet::default();
        changes.states.push(StateWrite {
            name: "rr".into(),
            value: json!({"next": 3}),
            expected_version: 1,
            entity: EntityKind::Lead,
        });
        store.commit(changes).unwrap();
        store
    }

    #[test]
    fn states_are_exported_by_name_and_imported_with_their_versions() {
        let source = with_states();
        let mut lines = Vec::new();
        let exported = export(&source, &mut lines).unwrap();
        assert_eq!(exported.states, 2);
        let text = String::from_utf8(lines.clone()).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(
            rows[1..],
            [
                r#"{"type":"state","name":"a","version":1,"value":[1,-2,3.5,null]}"#,
                r#"{"type":"state","name":"rr","version":2,"value":{"next":3}}"#,
            ]
        );
        let mut copy = MemoryStore::new();
        let imported = import(&mut copy, lines.as_slice()).unwrap();
        assert_eq!(imported, exported);
        assert_eq!(copy.states().unwrap(), source.states().unwrap());
        let mut again = Vec::new();
        export(&copy, &mut again).unwrap();
        assert_eq!(again, lines);
    }

    #[test]
    fn a_state_at_version_0_or_twice_is_refused() {
        for body in [
            r#"{"type":"state","name":"a","version":0,"value":1}"#.to_string(),
            format!(
                "{}\n{}",
                r#"{"type":"state","name":"a","version":1,"value":1}"#,
                r#"{"type":"state","name":"a","version":2,"value":2}"#
            ),
        ] {
            let mut store = MemoryStore::new();
            let backup = format!("{{\"type\":\"header\",\"format_version\":1}}\n{body}\n");
            let err = import(&mut store, backup.as_bytes()).unwrap_err();
            assert!(
                matches!(&err, Error::Validation { fields, .. } if fields == &["states"]),
                "{err}"
            );
            assert!(store.states().unwrap().is_empty());
        }
    }

    #[test]
    fn bad_backups_name_the_line() {
        let mut store = MemoryStore::new();
        let err = import(
            &mut store,
            "{\"type\":\"sequence\",\"name\":\"x\",\"value\":1}\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid line 1: is not a crm backup header"
        );
        let err = import(
            &mut store,
            "{\"type\":\"header\",\"format_version\":1}\nnot json\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid line 2: is not a backup item (not JSON)"
        );
        let err = import(
            &mut store,
            "{\"type\":\"header\",\"format_version\":9}\n".as_bytes(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("format 9"), "{err}");
        assert!(store.is_empty());
    }
}
