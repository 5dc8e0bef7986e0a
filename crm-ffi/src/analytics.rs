//! Analytics: what the engine's `metric` and `customerLifetimeValue` (in
//! `engine/analytics.rs`) return, and the free function `fitClv` (no
//! engine involved).
//!
//! A metric comes back as a [`MetricTable`]: its columns (name and
//! [`ColumnKind`]) and its rows of typed cells ([`MetricValue`]), so that a
//! Kotlin `when` or a Swift `switch` reads them without a JSON parser.
//! Decimals (money amounts) stay decimal strings and never become floats;
//! times are `SystemTime`s; dates and months (`"2026-03"`) are strings.
//! Lifetime value comes back as typed rows ([`ClvRow`], [`ClvPrediction`])
//! with the fitted models ([`BgNbd`], [`GammaGamma`]). Every rule lives in
//! `crm::analytics`.

use std::time::SystemTime;

use chrono::DateTime;
use crm::Error as CoreError;
use crm::analytics::{
    BgNbd as CoreBgNbd, ClvModel as CoreClvModel, ClvOptions, ClvPrediction as CoreClvPrediction,
    Column as CoreColumn, ColumnKind as CoreColumnKind, GammaGamma as CoreGammaGamma,
    Table as CoreTable,
};
use crm::{ClvReport as CoreClvReport, ClvRow as CoreClvRow, Scope as CoreScope};
use serde_json::Value;

use crate::clock::{from_system_time, to_system_time};
use crate::error::CrmError;
use crate::rfm::{Purchase, purchase};

/// What a metric's column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ColumnKind {
    /// Text ([`MetricValue::Text`]).
    Text,
    /// Whole numbers ([`MetricValue::Integer`]).
    Integer,
    /// Rates, shares, durations in days ([`MetricValue::Float`]).
    Float,
    /// Exact decimals, money amounts ([`MetricValue::Decimal`], a string).
    Decimal,
    /// Instants ([`MetricValue::Time`]).
    Time,
    /// Calendar dates or months (`"2026-03-10"`, `"2026-03"`:
    /// [`MetricValue::Date`]).
    Date,
    /// True or false ([`MetricValue::Bool`]).
    Bool,
}

impl From<CoreColumnKind> for ColumnKind {
    fn from(kind: CoreColumnKind) -> Self {
        match kind {
            CoreColumnKind::Text => ColumnKind::Text,
            CoreColumnKind::Integer => ColumnKind::Integer,
            CoreColumnKind::Float => ColumnKind::Float,
            CoreColumnKind::Decimal => ColumnKind::Decimal,
            CoreColumnKind::Time => ColumnKind::Time,
            CoreColumnKind::Date => ColumnKind::Date,
            CoreColumnKind::Bool => ColumnKind::Bool,
        }
    }
}

/// One column of a metric's table.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MetricColumn {
    /// Its name, snake_case as in the core (`"conversion_rate"`).
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

impl From<CoreColumn> for MetricColumn {
    fn from(column: CoreColumn) -> Self {
        MetricColumn {
            name: column.name,
            kind: column.kind.into(),
        }
    }
}

/// One cell of a metric's table: the case of its column's kind, or `Null`
/// where there is no value.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum MetricValue {
    /// No value (a lead without a campaign, a rate over nothing).
    Null,
    /// Text.
    Text {
        /// The text.
        value: String,
    },
    /// A whole number.
    Integer {
        /// The number.
        value: i64,
    },
    /// A floating-point number: rates, shares, days (never money).
    Float {
        /// The number.
        value: f64,
    },
    /// An exact decimal as a string (`"1000.00"`), as [`Money`](crate::Money)
    /// amounts are: never a float.
    Decimal {
        /// The decimal's text.
        value: String,
    },
    /// An instant.
    Time {
        /// The instant.
        value: SystemTime,
    },
    /// A calendar date (`"2026-03-10"`) or month (`"2026-03"`).
    Date {
        /// The date's text.
        value: String,
    },
    /// True or false.
    Bool {
        /// The value.
        value: bool,
    },
}

impl MetricValue {
    /// The cell for a JSON value of a column of `kind`. A value that does not
    /// fit the kind (which the core does not produce) keeps its own JSON
    /// type rather than failing: a string is `Text`, a number `Integer` or
    /// `Float`, a list or object its JSON text.
    fn of(kind: ColumnKind, value: Value) -> Self {
        match (kind, value) {
            (_, Value::Null) => MetricValue::Null,
            (ColumnKind::Decimal, Value::String(value)) => MetricValue::Decimal { value },
            (ColumnKind::Decimal, Value::Number(n)) => MetricValue::Decimal {
                value: n.to_string(),
            },
            (ColumnKind::Date, Value::String(value)) => MetricValue::Date { value },
            (ColumnKind::Time, Value::String(text)) => match DateTime::parse_from_rfc3339(&text) {
                Ok(time) => MetricValue::Time {
                    value: to_system_time(time.with_timezone(&chrono::Utc)),
                },
                Err(_) => MetricValue::Text { value: text },
            },
            (ColumnKind::Float, Value::Number(n)) => match n.as_f64() {
                Some(value) => MetricValue::Float { value },
                None => MetricValue::Text {
                    value: n.to_string(),
                },
            },
            (_, Value::String(value)) => MetricValue::Text { value },
            (_, Value::Bool(value)) => MetricValue::Bool { value },
            (_, Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(value), _) => MetricValue::Integer { value },
                (None, Some(value)) if !n.is_u64() => MetricValue::Float { value },
                // Beyond i64 (not produced by the core): exact, as text.
                _ => MetricValue::Decimal {
                    value: n.to_string(),
                },
            },
            (_, other) => MetricValue::Text {
                value: other.to_string(),
            },
        }
    }
}

/// What `metric` returns: the metric's name, its columns, and its rows
/// (each one cell per column, in column order).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MetricTable {
    /// The metric (`"lead_conversion"`, ...).
    pub metric: String,
    /// The columns.
    pub columns: Vec<MetricColumn>,
    /// The rows: one [`MetricValue`] per column, in column order.
    pub rows: Vec<Vec<MetricValue>>,
}

impl From<CoreTable> for MetricTable {
    fn from(table: CoreTable) -> Self {
        let columns: Vec<MetricColumn> = table.columns.into_iter().map(Into::into).collect();
        let rows = table
            .rows
            .into_iter()
            .map(|row| {
                // A row shorter than the columns (not produced by the core)
                // is padded with nulls, a longer one cut: a cell per column.
                let mut cells = row.into_iter();
                columns
                    .iter()
                    .map(|column| MetricValue::of(column.kind, cells.next().unwrap_or(Value::Null)))
                    .collect()
            })
            .collect();
        MetricTable {
            metric: table.metric,
            columns,
            rows,
        }
    }
}

/// Whose customers `customerLifetimeValue` counts (within what the actor
/// may read). In `metric`'s query JSON the same scope is `"all"`,
/// `{"user": id}`, `{"team": id}` or `{"region": name}`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum MetricScope {
    /// Everything the actor may read.
    All,
    /// Records owned by this user.
    User {
        /// The user's id.
        id: String,
    },
    /// Records of this team.
    Team {
        /// The team's id.
        id: String,
    },
    /// Records of this region.
    Region {
        /// The region's name.
        name: String,
    },
}

impl TryFrom<MetricScope> for CoreScope {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `user_id` or `team_id` for a malformed id.
    fn try_from(scope: MetricScope) -> Result<Self, CoreError> {
        Ok(match scope {
            MetricScope::All => CoreScope::All,
            MetricScope::User { id } => CoreScope::User(crm::UserId::new(id)?),
            MetricScope::Team { id } => CoreScope::Team(crm::TeamId::new(id)?),
            MetricScope::Region { name } => CoreScope::Region(name),
        })
    }
}

/// The BG/NBD model of repeat purchases (Fader, Hardie and Lee), fitted by
/// maximum likelihood.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct BgNbd {
    /// The shape of the purchase rate's gamma distribution.
    pub r: f64,
    /// Its scale (in days).
    pub alpha: f64,
    /// The dropout probability's beta distribution: `a`.
    pub a: f64,
    /// And `b`.
    pub b: f64,
    /// The mean log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// The optimiser's iterations.
    pub iterations: u32,
}

impl From<CoreBgNbd> for BgNbd {
    fn from(m: CoreBgNbd) -> Self {
        BgNbd {
            r: m.r,
            alpha: m.alpha,
            a: m.a,
            b: m.b,
            log_likelihood: m.log_likelihood,
            iterations: m.iterations,
        }
    }
}

/// The Gamma-Gamma model of spend per purchase, fitted by maximum
/// likelihood.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GammaGamma {
    /// The shape of the spend's gamma distribution.
    pub p: f64,
    /// The shape of its scale's gamma distribution.
    pub q: f64,
    /// That distribution's scale.
    pub v: f64,
    /// The mean log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// The optimiser's iterations.
    pub iterations: u32,
}

impl From<CoreGammaGamma> for GammaGamma {
    fn from(m: CoreGammaGamma) -> Self {
        GammaGamma {
            p: m.p,
            q: m.q,
            v: m.v,
            log_likelihood: m.log_likelihood,
            iterations: m.iterations,
        }
    }
}

/// One customer's lifetime value in the engine: what they paid, their
/// summary (in days) and, when the models were fitted, the predictions.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClvRow {
    /// The customer's id.
    pub customer: String,
    /// Money received so far (purchases less refunds, signed contracts), a
    /// decimal string in the report's currency.
    pub historic: String,
    /// Repeat purchase days.
    pub frequency: u32,
    /// Days from the first purchase day to the last.
    pub recency: u32,
    /// Days from the first purchase day to `asOf`.
    pub t: u32,
    /// The mean spend on the repeat days, a decimal string.
    pub monetary: String,
    /// The chance the customer is still active (`null`: not fitted).
    pub p_alive: Option<f64>,
    /// Purchases expected in the horizon.
    pub expected_purchases: Option<f64>,
    /// Expected spend per purchase, a decimal string.
    pub expected_value: Option<String>,
    /// The discounted value of the horizon's purchases, a decimal string.
    pub clv: Option<String>,
}

impl From<CoreClvRow> for ClvRow {
    fn from(row: CoreClvRow) -> Self {
        ClvRow {
            customer: row.customer,
            historic: row.historic.to_string(),
            frequency: row.frequency,
            recency: row.recency,
            t: row.t,
            monetary: row.monetary.to_string(),
            p_alive: row.p_alive,
            expected_purchases: row.expected_purchases,
            expected_value: row.expected_value.map(|d| d.to_string()),
            clv: row.clv.map(|d| d.to_string()),
        }
    }
}

/// What `customerLifetimeValue` returns: one row per customer with a
/// purchase, and the models (`null`, with `notFitted` saying why, when there
/// is too little history to fit them).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClvReport {
    /// The currency of the amounts (`null`: no purchases).
    pub currency: Option<String>,
    /// The BG/NBD model.
    pub bg_nbd: Option<BgNbd>,
    /// The Gamma-Gamma model.
    pub gamma_gamma: Option<GammaGamma>,
    /// Why the models could not be fitted.
    pub not_fitted: Option<String>,
    /// One row per customer, by customer id.
    pub rows: Vec<ClvRow>,
}

impl From<CoreClvReport> for ClvReport {
    fn from(report: CoreClvReport) -> Self {
        ClvReport {
            currency: report.currency,
            bg_nbd: report.bg_nbd.map(Into::into),
            gamma_gamma: report.gamma_gamma.map(Into::into),
            not_fitted: report.not_fitted,
            rows: report.rows.into_iter().map(Into::into).collect(),
        }
    }
}

/// One customer's summary and predicted value, from `fitClv`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClvPrediction {
    /// The customer's id.
    pub customer: String,
    /// Repeat purchase days.
    pub frequency: u32,
    /// Days from the first purchase day to the last.
    pub recency: u32,
    /// Days from the first purchase day to `asOf`.
    pub t: u32,
    /// The mean day total after the first day (`"0"` without repeat days),
    /// a decimal string.
    pub monetary: String,
    /// The chance the customer is still active.
    pub p_alive: f64,
    /// Purchases expected in the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase, rounded to the minor unit, a decimal
    /// string.
    pub expected_value: String,
    /// The discounted value of the horizon's purchases, rounded to the minor
    /// unit, a decimal string.
    pub clv: String,
}

impl From<CoreClvPrediction> for ClvPrediction {
    fn from(p: CoreClvPrediction) -> Self {
        ClvPrediction {
            customer: p.summary.customer,
            frequency: p.summary.frequency,
            recency: p.summary.recency,
            t: p.summary.t,
            monetary: p.summary.monetary.to_string(),
            p_alive: p.p_alive,
            expected_purchases: p.expected_purchases,
            expected_value: p.expected_value.to_string(),
            clv: p.clv.to_string(),
        }
    }
}

/// What `fitClv` returns: both models and every customer's prediction.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClvModel {
    /// The BG/NBD model.
    pub bg_nbd: BgNbd,
    /// The Gamma-Gamma model.
    pub gamma_gamma: GammaGamma,
    /// One row per customer, by customer id.
    pub customers: Vec<ClvPrediction>,
}

impl From<CoreClvModel> for ClvModel {
    fn from(model: CoreClvModel) -> Self {
        ClvModel {
            bg_nbd: model.bg_nbd.into(),
            gamma_gamma: model.gamma_gamma.into(),
            customers: model.customers.into_iter().map(Into::into).collect(),
        }
    }
}

/// Predicts customer lifetime value from purchases, a pure function: the
/// purchases up to `asOf` are summarised per customer (as `lifetimes` does,
/// by calendar day), the BG/NBD and Gamma-Gamma models fitted by maximum
/// likelihood, and each customer valued over `months` of 30 days,
/// discounted by `monthlyDiscount` a month. Amounts are decimal strings, as
/// for `scoreRfm` (a negative one is a refund); `minorUnits` is the
/// currency's decimal places, for rounding the values.
///
/// # Errors
///
/// `Validation` on `data` when there is too little history to fit (at least
/// one repeat purchase is needed), on `months` (0 or above 1200), on
/// `monthly_discount` (negative or not finite), on `as_of` or
/// `purchases[i].at` for a time out of range, on `purchases[i].amount` for
/// an amount that is not a decimal number.
#[uniffi::export(default(months = 12, monthly_discount = 0.01, minor_units = 2))]
pub fn fit_clv(
    purchases: Vec<Purchase>,
    as_of: SystemTime,
    months: u32,
    monthly_discount: f64,
    minor_units: u32,
) -> Result<ClvModel, CrmError> {
    let as_of = from_system_time("as_of", as_of)?;
    let purchases = purchases
        .into_iter()
        .enumerate()
        .map(|(row, p)| purchase(row, p))
        .collect::<Result<Vec<_>, CoreError>>()?;
    let options = ClvOptions {
        months,
        monthly_discount,
        minor_units,
    };
    Ok(crm::analytics::fit_clv(&purchases, as_of, &options)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_their_column() {
        let kinds = [
            (ColumnKind::Text, json!("web")),
            (ColumnKind::Integer, json!(3)),
            (ColumnKind::Float, json!(0.5)),
            (ColumnKind::Float, json!(1)),
            (ColumnKind::Decimal, json!("1000.00")),
            (ColumnKind::Time, json!("2026-01-05T09:00:00Z")),
            (ColumnKind::Date, json!("2026-03")),
            (ColumnKind::Bool, json!(true)),
            (ColumnKind::Decimal, Value::Null),
        ];
        let cells: Vec<MetricValue> = kinds
            .into_iter()
            .map(|(kind, value)| MetricValue::of(kind, value))
            .collect();
        let at = from_system_time(
            "at",
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_603_600),
        )
        .unwrap();
        assert_eq!(
            cells,
            vec![
                MetricValue::Text {
                    value: "web".into()
                },
                MetricValue::Integer { value: 3 },
                MetricValue::Float { value: 0.5 },
                MetricValue::Float { value: 1.0 },
                MetricValue::Decimal {
                    value: "1000.00".into()
                },
                MetricValue::Time {
                    value: to_system_time(at)
                },
                MetricValue::Date {
                    value: "2026-03".into()
                },
                MetricValue::Bool { value: true },
                MetricValue::Null,
            ]
        );
    }

    #[test]
    fn misfits_keep_their_json_type() {
        assert_eq!(
            MetricValue::of(ColumnKind::Time, json!("yesterday")),
            MetricValue::Text {
                value: "yesterday".into()
            }
        );
        assert_eq!(
            MetricValue::of(ColumnKind::Integer, json!(u64::MAX)),
            MetricValue::Decimal {
                value: u64::MAX.to_string()
            }
        );
        assert_eq!(
            MetricValue::of(ColumnKind::Text, json!([1])),
            MetricValue::Text {
                value: "[1]".into()
            }
        );
    }

    #[test]
    fn rows_have_a_cell_per_column() {
        let table = CoreTable {
            metric: "m".into(),
            columns: vec![
                CoreColumn {
                    name: "a".into(),
                    kind: CoreColumnKind::Text,
                },
                CoreColumn {
                    name: "b".into(),
                    kind: CoreColumnKind::Decimal,
                },
            ],
            rows: vec![vec![json!("x")], vec![json!("y"), json!("2.50"), json!(9)]],
        };
        let table = MetricTable::from(table);
        assert_eq!(table.columns[1].kind, ColumnKind::Decimal);
        assert_eq!(table.rows[0][1], MetricValue::Null);
        assert_eq!(table.rows[1].len(), 2);
        assert_eq!(
            table.rows[1][1],
            MetricValue::Decimal {
                value: "2.50".into()
            }
        );
    }

    #[test]
    fn fit_clv_checks_its_input() {
        let day = |d: u64| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(d * 86_400);
        let buy = |customer: &str, d: u64, amount: &str| Purchase {
            customer: customer.into(),
            at: day(d),
            amount: amount.into(),
        };
        let err = fit_clv(vec![buy("a", 1, "ten")], day(30), 12, 0.01, 2).unwrap_err();
        assert!(
            matches!(&err, CrmError::Validation { fields, .. } if fields == &["purchases[0].amount"]),
            "{err:?}"
        );
        let err = fit_clv(vec![buy("a", 1, "10")], day(30), 12, 0.01, 2).unwrap_err();
        assert!(
            matches!(&err, CrmError::Validation { fields, .. } if fields == &["data"]),
            "{err:?}"
        );
    }
}
