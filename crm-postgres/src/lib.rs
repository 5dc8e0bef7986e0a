//! # crm-postgres
//!
//! crm's store for apps whose servers share one CRM: [`crm_core::Store`] on
//! PostgreSQL, through the synchronous [`postgres`] client.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::access::Actor;
//! use crm_core::{Config, Crm, Error, FixedClock, Lead, NewLead, SeededIds, UserId};
//! use crm_postgres::PostgresStore;
//!
//! // Runs where a server is at hand, as in the crate's tests:
//! // CRM_PG_URL=postgres://postgres@127.0.0.1:55432/postgres
//! let Some(url) = std::env::var("CRM_PG_URL").ok().filter(|url| !url.is_empty()) else { return Ok(()) };
//! let schema = format!("crm_doc_{}", std::process::id());
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
//! let ana = Actor::new(UserId::new("ana")?).with_role("sales");
//!
//! // Two app servers, each with its own connection to one database.
//! let mut first = Crm::new(PostgresStore::connect_in_schema(&url, &schema)?, Config::default(), clock.clone(), SeededIds::new(1))?;
//! let mut second = Crm::new(PostgresStore::connect_in_schema(&url, &schema)?, Config::default(), clock, SeededIds::new(2))?;
//!
//! let lead = first.create_lead(&ana, NewLead {
//!     company: Some("Acme GmbH".into()),
//!     owner: Some(ana.user.clone()),
//!     ..NewLead::default()
//! })?;
//! let seen: Lead = second.get(&ana, lead.id)?;
//! assert_eq!(seen, lead);
//!
//! // Both edit version 1; the second to commit is told, and nothing is lost.
//! first.update::<Lead>(&ana, lead.id, 1, |lead| lead.title = Some("CEO".into()))?;
//! let err = second.update::<Lead>(&ana, lead.id, 1, |lead| lead.title = Some("CFO".into())).unwrap_err();
//! assert!(matches!(err, Error::Conflict { found: Some(2), .. }));
//! # let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
//! # client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
//! # Ok::<(), Error>(())
//! ```
//!
//! ## Guarantees
//!
//! - **Atomic commands.** Every [`Store::commit`](crm_core::Store::commit)
//!   (a command's records, events, outbox messages and engine states),
//!   [`restore`](crm_core::Store::restore), outbox take and ack is one
//!   transaction; [`next_number`](crm_core::Store::next_number) is one
//!   statement. A command that returned `Ok` is committed, and as durable as
//!   the server makes commits (`synchronous_commit = on`, PostgreSQL's
//!   default, flushes the WAL before answering).
//! - **No lost update between servers.** Transactions run at `READ COMMITTED`
//!   with explicit row locks: a commit first locks the stored rows of every
//!   record it writes (`SELECT ... FOR UPDATE`, in key order, so two commits
//!   never deadlock on each other's records) and checks their versions; each
//!   update then says `UPDATE ... WHERE kind = $1 AND id = $2 AND version = $3`,
//!   and an insert of a key that exists (or that another connection inserted
//!   meanwhile) changes nothing. Either way the loser gets
//!   [`Error::Conflict`](crm_core::Error::Conflict) with the version it met,
//!   never a silent overwrite. Named engine states are versioned the same way
//!   (their rows locked after the records', in name order). This needs no
//!   `SERIALIZABLE` isolation, and so no retry loop for serialization
//!   failures the engine cannot see.
//! - **One event log, in commit order.** Appending events or outbox messages
//!   takes the lock of a single row holding the last `seq` and the last outbox
//!   position, held until the commit ends: `seq` counts 1, 2, 3, ... without
//!   gaps, and a reader of the log never sees event `n + 1` before event `n`.
//!   Commands that append (all engine commands do) therefore commit one at a
//!   time at that point; the lock is taken last, after the record writes, to
//!   keep that window short.
//! - **Outbox takers don't collide.** Taking messages skips rows another taker
//!   holds (`FOR UPDATE SKIP LOCKED`): two hosts draining one outbox never get
//!   the same message while its lease runs.
//! - **Exact answers.** Queries return what
//!   [`MemoryStore`](crm_core::store::MemoryStore) returns, in the same order
//!   (by id: ids and other compared text use the `C` collation); bodies are
//!   stored as `text`, not `jsonb`, so records read back exactly as written.
//!   Every value is a bound parameter; the one identifier that is not a
//!   constant, the schema name, must pass [`is_schema_name`].
//! - **Schema versions.** The store's PostgreSQL schema records its version;
//!   older tables are migrated forward when a store connects (under an
//!   advisory lock, so servers starting together migrate once), newer ones are
//!   refused with [`Error::Storage`](crm_core::Error::Storage).
//!
//! ## Connections
//!
//! [`PostgresStore::connect`] opens a plain (non-TLS) connection; for TLS or
//! other settings make a [`postgres::Client`] yourself and hand it to
//! [`PostgresStore::with_client`]. A store holds one connection and does not
//! reconnect: after a lost connection every call fails with
//! [`Error::Storage`](crm_core::Error::Storage), and the host opens a new store.

#![deny(missing_docs)]

mod error;
mod rows;
mod schema;
mod store;

pub use postgres;
pub use schema::{DEFAULT_SCHEMA, SCHEMA_VERSION, is_schema_name};
pub use store::PostgresStore;
