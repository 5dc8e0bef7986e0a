//! Kotlin and Swift bindings of crm, through uniffi.

uniffi::setup_scaffolding!();
