//! # crm for Node.js
//!
//! The Node.js binding of crm, an embeddable CRM engine: a `Crm` class over an
//! in-memory store (`new Crm()`), a SQLite file or a PostgreSQL database
//! (`Crm.open(location)`), with one method per command and a Promise-returning
//! `...Async` twin of each that runs on libuv's thread pool; records as plain
//! objects, and errors as `Error` objects with a stable `code`.
//!
//! ```js
//! const { Crm } = require('crm')
//! const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 1 })
//! const ana = { user: 'ana', roles: ['sales'] }
//! const lead = crm.createLead(ana, { company: 'Acme GmbH', owner: 'ana' })
//! crm.qualifyLead(ana, lead.id).status // 'qualified'
//! ```
//!
//! The binding is thin: every module wraps the core module of the same name
//! and converts, never decides.
//!
//! - [`engine`]: the `Crm` class, its commands and their `...Async` twins.
//! - [`model`]: records as plain objects (`Lead`, `Customer`, ...), with
//!   the payment plans, quote versions, SLA clocks and surveys they hold, and
//!   the inputs of the create commands.
//! - [`event`]: events and outbox messages.
//! - [`rfm`]: customer value (RFM) as module-level functions, over rows of
//!   purchases or over typed-array columns.
//! - [`dedupe`]: duplicate matching as module-level functions: a batch scan
//!   (`dedupe`, a `DedupeResult`) and one pair explained (`explainMatch`).
//! - [`payments`]: payment terms and quotes as module-level functions: an
//!   exact split of a total into installments (`splitPayments`) and exact
//!   quote totals (`priceQuote`).
//! - [`loyalty`]: loyalty as module-level functions: what a purchase earns
//!   under a program (`loyaltyPoints`) and a campaign's seeded holdout draw
//!   (`drawHoldout`).
//! - [`analytics`]: metric results as tables (`Table`, what the engine's
//!   `metric` returns) and predictive lifetime value as a module-level
//!   function (`fitClv`: BG/NBD and Gamma-Gamma fitted on purchases).
//! - [`calendar`]: working calendars as a class (`new Calendar(calendar)`):
//!   working time added and measured across weekends, holidays and
//!   daylight-saving changes, as the SLA clocks count it.
//! - [`assign`]: what assignment returns: routings and their traces, due
//!   work, lead scores.
//! - [`access`]: the actor.
//! - [`clock`]: times in and out, and the engine's clock.
//! - [`config`]: the engine's configuration, a JSON string or an object.
//! - [`error`]: crm's errors as JS errors (the only place they are converted).
//! - [`convert`]: numbers, choices, dates and custom fields from JS.
//!
//! Policies: money amounts are decimal strings, never JS numbers (the columnar
//! RFM function takes and returns minor units in 64-bit typed arrays); times
//! are RFC 3339 strings in UTC, exact to the microsecond (columns: microseconds
//! since 1970 in a `BigInt64Array`); kinds, priorities and states are
//! lowercase strings as in the core's JSON.

#![deny(missing_docs)]

// The order of the modules matters: napi's type generation writes a wrapper's
// JS name (`Share` for `JsShare`) into index.d.ts only for the structs it has
// already expanded, so each module comes after the modules whose types it
// names (__test__/types.test.mjs checks the result).
pub mod access;
pub mod clock;
pub mod config;
pub mod convert;
pub mod error;
// Records first,
pub mod model;
// then events and the results of assignment, which name records,
pub mod assign;
pub mod event;
// then customer value, functions of the module whose results the engine's
// `refreshCustomerValue` names,
pub mod rfm;
// then duplicate matching, functions of the module that name nothing else,
pub mod dedupe;
// then payment terms and quotes, functions of the module that name only money
// and the quote types of the records,
pub mod payments;
// then loyalty, functions of the module that name only the loyalty types of
// the records,
pub mod loyalty;
// then analytics, the tables and lifetime-value models of the module, whose
// `fitClv` names the purchases of customer value,
pub mod analytics;
// then working calendars, a class that names nothing else,
pub mod calendar;
// then the engine, which names them all.
pub mod engine;
