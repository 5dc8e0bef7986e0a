//! crm's embedded default store: [`crm_core::Store`] on SQLite.
