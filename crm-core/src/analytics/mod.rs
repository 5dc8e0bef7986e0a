//! Analytics: measures over the records and purchases the engine keeps, as
//! typed rows and as [`Table`]s.
//!
//! - [`metrics`]: lead conversion, stage conversion and time in stage, win
//!   rate and lost reasons, cycle time, the weighted forecast, churn, service
//!   figures (response and resolution times, SLA attainment, reopen rate,
//!   CSAT, NPS), channel ROI and sales targets;
//! - [`clv`]: predictive customer lifetime value (BG/NBD and Gamma-Gamma,
//!   fitted by maximum likelihood as in the `lifetimes` package).
//!
//! The engine's [`Crm::metric`](crate::Crm::metric) picks the records the
//! actor may read, in a scope and a period, and returns a table.

pub mod clv;
pub mod metrics;
mod table;
#[cfg(test)]
mod tests;

pub use clv::{
    BgNbd, ClvModel, ClvOptions, ClvPrediction, ClvSummary, GammaGamma, fit_clv, predict, summarize,
};
pub use metrics::{Cost, Period, SalesTarget};
pub(crate) use table::columns;
pub use table::{Column, ColumnKind, Table, TableRow};
