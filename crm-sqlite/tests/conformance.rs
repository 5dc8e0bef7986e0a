//! The store conformance suite of crm-core, unchanged, on SQLite: once on a
//! file in a temporary directory and once in memory.

mod support;

mod file {
    crm_core::store_conformance_tests!(crate::support::FileStore::new());
}

mod in_memory {
    crm_core::store_conformance_tests!(
        crm_sqlite::SqliteStore::in_memory().unwrap_or_else(|e| panic!("open: {e}"))
    );
}
