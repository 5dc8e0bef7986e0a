//! # crm
//!
//! An embeddable CRM engine: the rules a CRM lives by (lifecycles, access,
//! an event log, an outbox) as a library, used from Rust, Python, Node.js and
//! mobile apps.
//!
//! This crate re-exports [`crm_core`] and adds what a host needs to run it for
//! real: the durable stores ([`SqliteStore`], the embedded default, and
//! [`PostgresStore`]), [`open_store`] that picks one from a path or URL, a
//! [`SystemClock`] and ids seeded from the operating system
//! ([`ids_from_entropy`]). Tests use [`FixedClock`] and [`SeededIds`] instead.
//!
//! ```
//! use crm::access::Actor;
//! use crm::store::MemoryStore;
//! use crm::{Config, Crm, NewLead, UserId};
//!
//! let mut crm = Crm::new(MemoryStore::new(), Config::default(), crm::SystemClock, crm::ids_from_entropy())?;
//! let ana = Actor::new(UserId::new("ana")?).with_role("sales");
//! let lead = crm.create_lead(&ana, NewLead {
//!     company: Some("Acme".into()),
//!     owner: Some(ana.user.clone()),
//!     ..NewLead::default()
//! })?;
//! assert_eq!(crm.history(&ana, lead.id)?[0].action, "create");
//! # Ok::<(), crm::Error>(())
//! ```

#![deny(missing_docs)]

/// The README's Rust example, run as a doc test so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

use std::hash::{BuildHasher, Hasher};

pub use crm_core::*;

pub use crm_postgres::PostgresStore;
pub use crm_sqlite::SqliteStore;

/// A store picked at run time: what [`open_store`] returns and the bindings use.
pub type DynStore = Box<dyn Store + Send>;

/// Opens the store at `location`: a `postgres://` (or `postgresql://`) URL is
/// a [`PostgresStore`], `:memory:` an in-memory [`SqliteStore`], anything else
/// the path of a [`SqliteStore`] file (created when missing).
///
/// # Errors
///
/// [`Error::Validation`] on `location` when it is empty;
/// [`Error::Storage`] when the file or server cannot be opened, or was
/// written by a newer version of crm.
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("crm-open-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = crm::open_store(dir.join("crm.db").to_str().unwrap())?;
/// assert!(store.query(&crm::store::Query::new(crm::EntityKind::Lead))?.is_empty());
/// assert_eq!(crm::open_store("").err().map(|e| e.kind()), Some(crm::ErrorKind::Validation));
/// # drop(store);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_store(location: &str) -> Result<DynStore> {
    if location.trim().is_empty() {
        return Err(Error::invalid(
            "location",
            "name a file path or a postgres:// URL",
        ));
    }
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Ok(Box::new(PostgresStore::connect(location)?));
    }
    if location == ":memory:" {
        return Ok(Box::new(SqliteStore::in_memory()?));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// The operating system's clock: the one place crm reads the time, for hosts
/// that want the real one.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
    }
}

/// A [`SeededIds`] generator seeded from the operating system's randomness
/// (through the standard library's hash keys), so that ids from separate
/// processes sharing one database do not collide.
pub fn ids_from_entropy() -> SeededIds {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    SeededIds::new(hasher.finish())
}
