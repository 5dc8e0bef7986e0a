//! Analytics: measures over the records and purchases the engine keeps.
//!
//! - [`clv`]: predictive customer lifetime value (BG/NBD and Gamma-Gamma,
//!   fitted by maximum likelihood as in the `lifetimes` package).

pub mod clv;
#[cfg(test)]
mod tests;

pub use clv::{BgNbd, ClvOptions, ClvPrediction, ClvSummary, GammaGamma, predict, summarize};
