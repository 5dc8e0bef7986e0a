//! # crm-core
//!
//! The rules a CRM lives by, as a library: records, lifecycles as state
//! machines, access rules, an event log and an outbox, behind a [`Store`] trait.
//! No I/O, no clock, no threads: time comes from a [`Clock`] the host passes in,
//! ids from an [`IdGenerator`], and storage from a [`Store`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::access::Actor;
//! use crm_core::store::MemoryStore;
//! use crm_core::{Config, Crm, Error, FixedClock, NewLead, SeededIds, UserId};
//!
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
//! let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
//! let ana = Actor::new(UserId::new("ana")?).with_role("sales");
//!
//! let lead = crm.create_lead(&ana, NewLead {
//!     company: Some("Acme GmbH".into()),
//!     contact_name: Some("Jo Doe".into()),
//!     owner: Some(ana.user.clone()),
//!     ..NewLead::default()
//! })?;
//! let lead = crm.qualify_lead(&ana, lead.id)?;
//! assert_eq!(lead.status, "qualified");
//!
//! // Discarding needs a reason; the error names the field.
//! let err = crm.discard_lead(&ana, lead.id, "").unwrap_err();
//! assert!(matches!(err, Error::Validation { .. }));
//! assert_eq!(crm.history(&ana, lead.id)?.len(), 2);
//! # Ok::<(), crm_core::Error>(())
//! ```
//!
//! ## Overview
//!
//! - [`model`]: the records (customer, contact, lead, opportunity, contract,
//!   ticket, activity, task, user, team), typed ids, [`Money`], custom fields.
//! - [`lifecycle`]: one state machine per kind, as data, with guards and
//!   on-entry actions; configurable pipelines.
//! - [`access`]: actors, roles, data scopes, sharing.
//! - [`assign`]: assignment rules as data (conditions, round robin, load
//!   balancing, weighted, by field, caps, hours) with explained decisions,
//!   and lead scoring.
//! - [`dedupe`]: duplicate matching (normalisers, blocking, Fellegi-Sunter
//!   and rule scoring, clustering, explanations); the engine merges.
//! - [`quote`]: exact quote totals from quantities, prices (or a price
//!   list), discounts and taxes.
//! - [`schedule`]: payment terms templates and the exact split of a total
//!   into installments with due dates (days after, end of month, milestones).
//! - [`store`]: the [`Store`] trait, [`MemoryStore`](store::MemoryStore), and
//!   the conformance suite every backend runs.
//! - [`Crm`]: the engine. Each command checks access, applies a transition,
//!   and writes its records, one event per change and any outbox messages in a
//!   single atomic commit.
//! - [`backup`]: a whole store as JSON Lines, out and back in, across backends.
//! - [`Error`]: one error type with stable kinds.

#![deny(missing_docs)]

pub mod access;
pub mod analytics;
pub mod assign;
pub mod backup;
mod clock;
mod decimal_json;
pub mod dedupe;
mod engine;
mod error;
pub mod event;
pub mod import;
pub mod lifecycle;
pub mod loyalty;
pub mod model;
pub mod quote;
mod random;
pub mod rfm;
pub mod schedule;
pub mod sla;
pub mod store;

pub use clock::{Clock, FixedClock};
pub use engine::{
    CampaignInput, ClvReport, ClvRow, Collected, Config, ConvertLead, Crm, DealFromLead, DueItem,
    DueKind, DueWork, DuplicateMatch, LoyaltyReview, MemberLevelChange, MergeInput, MergeOutcome,
    Metric, MetricQuery, PaymentInput, PointsPosting, PurchaseInput, QuoteInput, Receivable,
    Reclaim, ReclaimTo, Scope, SurveyAnswer, SurvivorRule, TeamInput, TicketEscalation,
    TransitionInput, UserInput, ValueRefresh,
};
pub use error::{Error, ErrorKind, Result};
pub use event::{Event, FieldChange, OutboxMessage};
pub use model::*;
pub use store::Store;
