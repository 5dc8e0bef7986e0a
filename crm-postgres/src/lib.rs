//! crm's shared store: [`crm_core::Store`] on PostgreSQL.
