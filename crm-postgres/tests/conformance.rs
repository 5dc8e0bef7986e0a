//! The store conformance suite of crm-core, unchanged, on PostgreSQL: each
//! check in a fresh schema of the server at `CRM_PG_URL` (skipped, saying so,
//! when it is not set).

mod support;

crm_core::store_conformance_tests!(match support::pg_url() {
    Some(url) => support::SchemaStore::new(&url, "conf"),
    None => return,
});
