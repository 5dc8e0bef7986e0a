//! # crm-sqlite
//!
//! crm's embedded default store: [`crm_core::Store`] on one SQLite file, with
//! nothing to run beside the app.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::access::Actor;
//! use crm_core::{Config, Crm, Error, FixedClock, Lead, NewLead, SeededIds, UserId};
//! use crm_sqlite::SqliteStore;
//!
//! let dir = std::env::temp_dir().join(format!("crm-sqlite-example-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("crm.db");
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
//! let ana = Actor::new(UserId::new("ana")?).with_role("sales");
//!
//! // One process records a lead...
//! let mut crm = Crm::new(SqliteStore::open(&path)?, Config::default(), clock.clone(), SeededIds::new(1))?;
//! let lead = crm.create_lead(&ana, NewLead {
//!     company: Some("Acme GmbH".into()),
//!     owner: Some(ana.user.clone()),
//!     ..NewLead::default()
//! })?;
//! drop(crm);
//!
//! // ...and the next one finds it, with its history.
//! let mut crm = Crm::new(SqliteStore::open(&path)?, Config::default(), clock, SeededIds::new(2))?;
//! let again: Lead = crm.get(&ana, lead.id)?;
//! assert_eq!(again, lead);
//! assert_eq!(crm.history(&ana, lead.id)?[0].action, "create");
//!
//! // A write based on a version that is no longer current is refused.
//! let err = crm.update::<Lead>(&ana, lead.id, 0, |lead| lead.title = None).unwrap_err();
//! assert!(matches!(err, Error::Conflict { .. }));
//! # drop(crm);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Guarantees
//!
//! - **Atomic commands.** Every [`Store::commit`](crm_core::Store::commit)
//!   (a command's records, its events, its outbox messages and the engine
//!   states it changes),
//!   [`restore`](crm_core::Store::restore), outbox take/ack and
//!   [`next_number`](crm_core::Store::next_number) is one SQLite transaction:
//!   a crash at any point leaves all of it or none of it.
//! - **Durable commands.** With the default [`Synchronous::Full`], a command
//!   that returned `Ok` is on the disk (the write-ahead log is flushed on each
//!   commit) and survives a crash of the process, of the operating system, or a
//!   power cut. [`Synchronous::Normal`] keeps it through a process crash only.
//! - **No lost update across connections.** Several threads or processes may
//!   open the same file, each with its own [`SqliteStore`]. Writes start with
//!   `BEGIN IMMEDIATE`, which takes the file's single write lock, so a commit
//!   checks the versions it carries against what is stored with no other
//!   writer in between; a stale version is [`Error::Conflict`](crm_core::Error::Conflict).
//!   A writer waits up to the busy timeout (10 s by default) for the lock.
//!   Readers never wait (write-ahead logging) and see committed data only.
//! - **Exact answers.** Queries return what
//!   [`MemoryStore`](crm_core::store::MemoryStore) returns, in the same order
//!   (by id), and records, events and outbox messages read back equal to what
//!   was written. Every value reaches SQLite as a bound parameter.
//! - **Schema versions.** A file records its schema version; an older file is
//!   migrated forward when opened, a newer one is refused with
//!   [`Error::Storage`](crm_core::Error::Storage) rather than misread.
//!
//! ## Schema
//!
//! `records` (kind, id, version, the record's JSON, and its index keys: owner,
//! team, status, due time, parent), `contact_points` (normalised phones and
//! emails per record), `events` (seq, record, JSON), `outbox` (position, id,
//! lease and acknowledgement times, JSON), `sequences`, `states` (the
//! engine's named states: name, version, JSON), `schema_version`.
//! Custom fields live in the record's JSON.

#![deny(missing_docs)]

mod error;
mod rows;
mod schema;
mod store;

pub use schema::SCHEMA_VERSION;
pub use store::{SqliteOptions, SqliteStore, Synchronous};
