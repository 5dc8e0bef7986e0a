//! Kotlin and Swift (and Python) bindings of crm, through uniffi.
//!
//! One object, `Crm`, holds an engine over a store (in memory, or an SQLite
//! file or PostgreSQL database through `Crm.open(location)`); each command is
//! a method taking the [`Actor`] who runs it. Methods are synchronous: over a
//! file, hosts call them off the UI thread. Records come back as plain
//! records (`Lead`, `Ticket`, ...), the generic commands return an
//! [`AnyRecord`], and every failure is a [`CrmError`] with the core's stable
//! kinds and fields. The assignment commands (`route`, `pool`, `claim`,
//! `dueWork`, `scoreLead`, ...) return typed [`Routing`]s (with their trace),
//! [`DueWork`] and [`Score`]s. Customer value (RFM) is two free functions,
//! no engine involved: `scoreRfm` over [`Purchase`] rows returns an
//! [`RfmResult`], `scoreRfmColumns` over purchase columns an [`RfmColumns`];
//! in the engine, `refreshCustomerValue` scores the stored customers and
//! writes their tiers and stages back, returning a [`ValueRefresh`].
//! Duplicate matching is no engine's either: a [`DedupeScan`] over
//! [`MatchRecord`]s finds the matched pairs and clusters and explains any two
//! rows; `explainMatch` explains one pair. In the engine, `findDuplicates`
//! checks one [`MatchRecord`] against the stored customers, contacts and
//! leads ([`DuplicateMatch`]es), and `merge` ([`MergeInput`],
//! [`MergeOutcome`]) and `unmerge` join and split duplicates.
//! Quotes and payment terms are free functions too: `splitPayments` splits a
//! [`Money`] total into [`Installment`]s by a terms template (JSON text),
//! `reachMilestone` dates those waiting for a milestone, and `priceQuote`
//! prices [`QuoteLine`]s into a [`PricedQuote`]. In the engine, `addQuote`
//! ([`QuoteInput`]) and `acceptQuote` keep [`QuoteVersion`]s on a deal, and
//! a contract's [`PaymentPlan`] ([`PlanLine`]s, [`Payment`]s) is set, paid
//! ([`PaymentInput`]), reversed, written off, dated by milestones and
//! rescheduled; `receivables` ([`Receivable`], [`Aging`]) and `collected`
//! ([`Collected`]) report on them.
//! The service desk: a working [`Calendar`] (an object over the calendar
//! JSON) adds and measures working time; tickets carry typed SLA clocks
//! ([`TicketSla`], [`TargetClock`], [`Escalated`]) and a [`Survey`]; in the
//! engine, `ticketSla` returns [`TargetState`]s, `escalate`
//! [`TicketEscalation`]s, and `answerSurvey` takes a [`SurveyAnswer`].
//! Loyalty: `loyaltyPoints` (what [`PurchaseLine`]s earn by a program: an
//! [`Earning`]) and `drawHoldout` are free functions; in the engine,
//! `recordPurchase` ([`PurchaseInput`]), `refundPurchase`, `redeemPoints`,
//! `adjustPoints` and `awardBonus` return a [`PointsPosting`] (the
//! [`Customer`] with its [`Membership`], the [`PointsEntry`]s written),
//! `reviewLoyalty` a [`LoyaltyReview`], `actOnCare` acts on a care item
//! ([`CareDue`] on a due item), and `launchCampaign` ([`CampaignInput`]),
//! `recordCampaignContacts` and `campaignResults` ([`CampaignMeasure`]) run
//! [`Campaign`]s against a holdout.
//! Analytics: `metric` (the query as JSON text) returns a [`MetricTable`]
//! ([`MetricColumn`]s of a [`ColumnKind`], rows of typed [`MetricValue`]
//! cells), `customerLifetimeValue` a [`ClvReport`] ([`ClvRow`]s, the fitted
//! [`BgNbd`] and [`GammaGamma`] models; [`MetricScope`]); the free function
//! `fitClv` fits both models on [`Purchase`] rows into a [`ClvModel`]
//! ([`ClvPrediction`]s). `importRows` imports a file (a path or bytes) by a
//! spec (JSON text) into an [`ImportReport`] ([`RejectedRow`]s), telling an
//! [`ImportProgressListener`] the [`ImportProgress`] after each batch.
//! See `crm-ffi/README.md` for the type mappings and Kotlin examples.
//!
//! This crate converts and never decides: every rule lives in `crm-core`.
//!
//! ```ignore
//! // Kotlin
//! val crm = Crm(now = Instant.parse("2026-01-05T09:00:00Z"), seed = 1uL)
//! val ana = Actor(user = "ana", roles = listOf("sales"))
//! val lead = crm.createLead(ana, NewLead(company = "Acme", owner = "ana"))
//! val saved = Crm.open(File(context.filesDir, "crm.db").path)  // an SQLite file
//! ```

#![warn(missing_docs)]

mod access;
mod analytics;
mod assign;
mod clock;
mod dedupe;
mod engine;
mod error;
mod event;
mod import;
mod loyalty;
mod model;
mod payments;
mod plan;
mod rfm;
mod sla;

pub use access::Actor;
pub use analytics::{
    BgNbd, ClvModel, ClvPrediction, ClvReport, ClvRow, ColumnKind, GammaGamma, MetricColumn,
    MetricScope, MetricTable, MetricValue, fit_clv,
};
pub use assign::{
    DueItem, DueKind, DueWork, Routing, Score, ScorePart, SkipReason, Skipped, StepResult,
    TraceStep,
};
pub use dedupe::{
    DedupeScan, DuplicateCluster, DuplicateMatch, FieldMatch, MatchExplanation, MatchPair,
    MatchRecord, MergeInput, MergeOutcome, explain_match,
};
pub use engine::{FfiCrm, ListOptions, TransitionOptions};
pub use error::CrmError;
pub use event::{Event, FieldChange, OutboxMessage};
pub use import::{ImportProgress, ImportProgressListener, ImportReport, RejectedRow};
pub use loyalty::{
    CampaignInput, CampaignMeasure, CareDue, Earning, GroupMeasure, LevelChange, Lot, LotUse,
    LoyaltyReview, MemberLevelChange, MemberOutcome, Membership, PendingDowngrade, PointsKind,
    PointsPosting, PurchaseInput, PurchaseLine, WindowItem, draw_holdout, loyalty_points,
};
pub use model::{
    Absence, Activity, AnyRecord, Campaign, CampaignMember, Contact, Contract, Conversion,
    ConvertLeadOptions, Customer, Grantee, Lead, Money, NewActivity, NewContact, NewCustomer,
    NewLead, NewOpportunity, NewTask, NewTicket, Opportunity, PointsEntry, RecordKey, Share,
    Survey, SurveyAnswer, Task, TaskLogEntry, Team, TeamInput, Ticket, User, UserInput, Win,
};
pub use payments::{
    Installment, PricedLine, PricedQuote, QuoteLine, price_quote, reach_milestone, split_payments,
};
pub use plan::{
    Aging, Allocation, Collected, InstallmentStatus, Payment, PaymentInput, PaymentPlan, PlanLine,
    QuoteInput, QuoteStatus, QuoteVersion, Receivable, Reversal, WriteOff,
};
pub use rfm::{
    CustomerValue, Purchase, RfmColumns, RfmResult, RfmSignal, RfmSkipped, RfmTier, ValueRefresh,
    score_rfm, score_rfm_columns,
};

pub use sla::{
    Calendar, Escalated, EscalationAction, SlaTarget, TargetClock, TargetState, TargetStatus,
    TicketEscalation, TicketSla,
};

uniffi::setup_scaffolding!();
