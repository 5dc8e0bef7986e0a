//! Customer value (RFM) as two free functions, no engine involved:
//! `scoreRfm` over purchase rows and `scoreRfmColumns` over purchase columns;
//! and [`ValueRefresh`], what the engine's `refreshCustomerValue` (in
//! `engine/value.rs`) returns.
//!
//! Both run `crm::rfm` (see its module documentation for the exact
//! definition, the tie rule, segments, tiers and signals) and only convert:
//! amounts are decimal strings, as for [`Money`](crate::Money), times are
//! `SystemTime`s, the configuration is the RFM config JSON text, and what
//! only ever comes back (a tier, a signal) is a generated enum.

use std::time::SystemTime;

use crm::Error as CoreError;
use crm::ValueRefresh as CoreValueRefresh;
use crm::rfm::{Purchase as CorePurchase, RfmConfig, RfmTable, Skipped as CoreSkipped};
use rust_decimal::Decimal;

use crate::clock::{from_system_time, to_system_time};
use crate::error::CrmError;
use crate::model::count;

/// One purchase, or with a negative amount a refund.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Purchase {
    /// The customer's id (any text; customers come back ordered by it).
    pub customer: String,
    /// When it happened.
    pub at: SystemTime,
    /// How much, as a decimal string in the currency (`"49.90"`, `"-5"` for a
    /// refund), never a float; at most `minor_units` decimal places (2 by
    /// default).
    pub amount: String,
}

/// What `scoreRfm` returns: one value per customer, ordered by customer id,
/// and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RfmResult {
    /// The scored customers, ordered by customer id.
    pub customers: Vec<CustomerValue>,
    /// What was left out.
    pub skipped: RfmSkipped,
}

/// One customer's value: the metrics, the scores, the segment, the tier and
/// the activity signal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CustomerValue {
    /// The customer's id.
    pub customer: String,
    /// Whole calendar days (UTC) from the last purchase to `asOf`.
    pub recency_days: i64,
    /// The number of purchases (refunds not counted).
    pub frequency: u64,
    /// Purchases minus refunds (or, with `"monetary": "mean"`, that divided by
    /// the purchases), a decimal string with the minor unit's places
    /// (`"100.00"`).
    pub monetary: String,
    /// The first purchase.
    pub first_purchase: SystemTime,
    /// Whole calendar days from the first purchase to `asOf`.
    pub tenure_days: i64,
    /// Recency score, 1 to `bins` (higher: more recent).
    pub r: u8,
    /// Frequency score, 1 to `bins`.
    pub f: u8,
    /// Monetary score, 1 to `bins`.
    pub m: u8,
    /// `(f + m + 1) / 2`, rounded down.
    pub fm: u8,
    /// The segment's name (`"Champions"`, ... or the configured ones).
    pub segment: String,
    /// The tier of the segment.
    pub tier: RfmTier,
    /// Silence compared with the customer's own cadence.
    pub signal: RfmSignal,
}

/// What was left out of the scores, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct RfmSkipped {
    /// Rows dated after `asOf`.
    pub future: u64,
    /// Customers with refunds only: nothing to score.
    pub refund_only: u64,
}

impl From<CoreSkipped> for RfmSkipped {
    fn from(skipped: CoreSkipped) -> Self {
        RfmSkipped {
            future: skipped.future,
            refund_only: skipped.refund_only,
        }
    }
}

/// What `refreshCustomerValue` did: customers scored, tiers and stages
/// changed, commits made, and what the scoring left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ValueRefresh {
    /// Customers scored (those with at least one signed contract).
    pub scored: u64,
    /// Customers whose tier changed.
    pub tiers_changed: u64,
    /// Customers whose lifecycle stage changed.
    pub stages_changed: u64,
    /// Commits made (500 customers at most in each; 0 when nothing changed).
    pub batches: u64,
    /// What the scoring left out: contracts signed after `asOf`, customers
    /// with refunds only.
    pub skipped: RfmSkipped,
}

impl From<CoreValueRefresh> for ValueRefresh {
    fn from(refresh: CoreValueRefresh) -> Self {
        ValueRefresh {
            scored: count(refresh.scored),
            tiers_changed: count(refresh.tiers_changed),
            stages_changed: count(refresh.stages_changed),
            batches: count(refresh.batches),
            skipped: refresh.skipped.into(),
        }
    }
}

/// A customer's value tier (`"A"`, `"B"`, `"C"` in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RfmTier {
    /// High value (by default: Champions, Loyal Customers, Can't Lose Them).
    A,
    /// Potential (by default: Potential Loyalist, New Customers, Promising,
    /// Need Attention, At Risk).
    B,
    /// The rest (by default: About To Sleep, Hibernating, Lost).
    C,
}

impl RfmTier {
    /// The tier of a code of [`RfmTable::tier`] (0 = A, 1 = B, 2 = C).
    fn from_code(code: u8) -> Self {
        match code {
            0 => RfmTier::A,
            1 => RfmTier::B,
            _ => RfmTier::C,
        }
    }
}

/// How long a customer has been silent compared with their own cadence
/// (`"active"`, `"at_risk"`, ... in the canonical JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RfmSignal {
    /// Within their usual rhythm.
    Active,
    /// Silent for more than `at_risk_after` of their usual gaps (default 2).
    AtRisk,
    /// For more than `dormant_after` gaps (default 4).
    Dormant,
    /// For more than `churned_after` gaps (default 8).
    Churned,
}

impl RfmSignal {
    /// The signal of a code of [`RfmTable::signal`] (0 = active ... 3 =
    /// churned).
    fn from_code(code: u8) -> Self {
        match code {
            0 => RfmSignal::Active,
            1 => RfmSignal::AtRisk,
            2 => RfmSignal::Dormant,
            _ => RfmSignal::Churned,
        }
    }
}

/// What `scoreRfmColumns` returns: one entry per customer in every column,
/// ordered by customer id.
///
/// The scores are byte arrays (Kotlin `ByteArray`, Swift `Data`, Python
/// `bytes`: values 1 to `bins`), so that many customers cost one byte each.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RfmColumns {
    /// The customer ids, ascending.
    pub customer: Vec<i64>,
    /// Days since the last purchase.
    pub recency_days: Vec<i64>,
    /// Purchases.
    pub frequency: Vec<u64>,
    /// Monetary in minor units (cents by default): the sum, or the mean
    /// rounded half away from zero.
    pub monetary_minor: Vec<i64>,
    /// The first purchase, in microseconds since 1970 (UTC).
    pub first_purchase_micros: Vec<i64>,
    /// Days since the first purchase.
    pub tenure_days: Vec<i64>,
    /// Recency scores.
    pub r: Vec<u8>,
    /// Frequency scores.
    pub f: Vec<u8>,
    /// Monetary scores.
    pub m: Vec<u8>,
    /// FM scores.
    pub fm: Vec<u8>,
    /// Segments, as positions in `segment_names`.
    pub segment: Vec<u16>,
    /// The segment names.
    pub segment_names: Vec<String>,
    /// Tiers.
    pub tier: Vec<RfmTier>,
    /// Signals.
    pub signal: Vec<RfmSignal>,
    /// The minor unit's decimal places (`monetary_minor` / 10^this is the
    /// amount in the currency).
    pub minor_units: u32,
    /// What was left out.
    pub skipped: RfmSkipped,
}

impl From<RfmTable> for RfmColumns {
    fn from(table: RfmTable) -> Self {
        RfmColumns {
            customer: table.customer,
            recency_days: table.recency_days,
            frequency: table.frequency,
            monetary_minor: table.monetary_minor,
            first_purchase_micros: table.first_purchase,
            tenure_days: table.tenure_days,
            r: table.r,
            f: table.f,
            m: table.m,
            fm: table.fm,
            segment: table.segment,
            segment_names: table.segment_names,
            tier: table.tier.into_iter().map(RfmTier::from_code).collect(),
            signal: table.signal.into_iter().map(RfmSignal::from_code).collect(),
            minor_units: table.minor_units,
            skipped: table.skipped.into(),
        }
    }
}

/// The RFM configuration: the RFM config JSON (`crm::rfm::RfmConfig::from_json`),
/// or the default one.
///
/// # Errors
///
/// A config error naming the path (`rfm` for JSON that does not parse or an
/// unknown key, `rfm.bins`, `rfm.segments`, ...).
fn rfm_config(json: Option<String>) -> Result<RfmConfig, CoreError> {
    json.map_or_else(
        || Ok(RfmConfig::default()),
        |json| RfmConfig::from_json(&json),
    )
}

/// A purchase from the foreign side.
///
/// # Errors
///
/// A validation error on `purchases[row].at` for a time out of range, on
/// `purchases[row].amount` for an amount that is not a decimal number.
pub(crate) fn purchase(row: usize, purchase: Purchase) -> Result<CorePurchase, CoreError> {
    let at = from_system_time(&format!("purchases[{row}].at"), purchase.at)?;
    let amount = Decimal::from_str_exact(purchase.amount.trim()).map_err(|_| {
        let shown: String = purchase.amount.chars().take(40).collect();
        CoreError::invalid(
            format!("purchases[{row}].amount"),
            "is not a decimal number",
        )
        .with_value(shown)
    })?;
    Ok(CorePurchase::new(purchase.customer, at, amount))
}

/// Scores customers by their purchases as of `asOf`: recency, frequency and
/// monetary, their scores, segment, tier and activity signal (see the crate
/// README and `crm::rfm` for the definition). A pure function: no engine, no
/// store, nothing kept.
///
/// Rows after `asOf` are left out (counted in `skipped.future`); a negative
/// amount is a refund (it lowers monetary, it is not a purchase); a customer
/// with refunds only is left out (counted in `skipped.refundOnly`).
///
/// `configJson` is the RFM configuration, every key optional: `bins`,
/// `ties` (`"equal"` or `"position"`), `monetary` (`"sum"` or `"mean"`),
/// `thresholds`, `segments`, `tiers`, `signals`, `minor_units`, `threads`.
///
/// # Errors
///
/// `Config` naming the path of the first problem in `configJson`;
/// `Validation` on `asOf` or `purchases[i].at` for a time out of range, on
/// `purchases[i].amount` for an amount that is not a decimal number or has
/// more decimal places than the minor unit (`minor_units`, default 2).
#[uniffi::export(default(config_json = None))]
pub fn score_rfm(
    purchases: Vec<Purchase>,
    as_of: SystemTime,
    config_json: Option<String>,
) -> Result<RfmResult, CrmError> {
    let config = rfm_config(config_json)?;
    let as_of = from_system_time("as_of", as_of)?;
    let purchases = purchases
        .into_iter()
        .enumerate()
        .map(|(row, p)| purchase(row, p))
        .collect::<Result<Vec<_>, CoreError>>()?;
    let table = crm::rfm::score(&purchases, as_of, &config)?;
    let customers = table
        .rows()
        .into_iter()
        .zip(table.tier.iter().zip(&table.signal))
        .map(|(row, (tier, signal))| CustomerValue {
            customer: row.customer,
            recency_days: row.recency_days,
            frequency: row.frequency,
            monetary: row.monetary.to_string(),
            first_purchase: to_system_time(row.first_purchase),
            tenure_days: row.tenure_days,
            r: row.r,
            f: row.f,
            m: row.m,
            fm: row.fm,
            segment: row.segment,
            tier: RfmTier::from_code(*tier),
            signal: RfmSignal::from_code(*signal),
        })
        .collect();
    Ok(RfmResult {
        customers,
        skipped: table.skipped.into(),
    })
}

/// Scores purchase columns, for many purchases: customer ids, times in
/// microseconds since 1970 (UTC) and amounts in minor units (cents by
/// default), all the same length, one entry per purchase. Customers come back
/// as [`RfmColumns`], ordered by id. The definition and `configJson` are
/// those of `scoreRfm`; `threads` (default: the config's `threads`, else 1)
/// aggregates on that many threads, started and joined within the call.
///
/// # Errors
///
/// `Config` as for `scoreRfm`; `Validation` on `columns` when the lengths
/// differ, on `threads` when it is 0, on `asOf` for a time out of range, on
/// `amounts` when a customer's total does not fit in 64 bits.
#[uniffi::export(default(config_json = None, threads = None))]
pub fn score_rfm_columns(
    customers: Vec<i64>,
    at_micros: Vec<i64>,
    amounts_minor: Vec<i64>,
    as_of: SystemTime,
    config_json: Option<String>,
    threads: Option<u32>,
) -> Result<RfmColumns, CrmError> {
    let mut config = rfm_config(config_json)?;
    if let Some(threads) = threads {
        if threads == 0 {
            return Err(CoreError::invalid("threads", "must be at least 1").into());
        }
        config.threads = usize::try_from(threads).unwrap_or(usize::MAX);
    }
    let as_of = from_system_time("as_of", as_of)?;
    let table = crm::rfm::score_columns(&customers, &at_micros, &amounts_minor, as_of, &config)?;
    Ok(table.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn day(d: u64) -> SystemTime {
        // 2026-01-01T12:00:00Z plus d - 1 days.
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_268_800 + (d - 1) * 86_400)
    }

    fn buy(customer: &str, d: u64, amount: &str) -> Purchase {
        Purchase {
            customer: customer.into(),
            at: day(d),
            amount: amount.into(),
        }
    }

    /// Every tier and signal the core hands out (as text in its rows) is the
    /// case of the same name that the codes map to. (The core's `TIERS` and
    /// `SIGNALS` tables are not exported, so this covers every code by data:
    /// four customers, one per signal and, by the segments given, tiers A, B
    /// and C.)
    #[test]
    fn enums_cover_the_core() {
        let purchases = [(10, "1"), (200, "2"), (400, "3"), (800, "4")]
            .iter()
            .enumerate()
            .map(|(i, (ago, amount))| CorePurchase {
                customer: format!("c{i}"),
                at: from_system_time("at", day(900 - ago)).unwrap(),
                amount: amount.parse().unwrap(),
            })
            .collect::<Vec<_>>();
        let config = RfmConfig::from_json(
            r#"{"segments": {"rules": [{"name": "x", "r": [4, 5]}, {"name": "y", "r": [3, 3]}],
                "default": "z"}, "tiers": {"a": ["x"], "b": ["y"]}}"#,
        )
        .unwrap();
        let table = crm::rfm::score(
            &purchases,
            from_system_time("as_of", day(900)).unwrap(),
            &config,
        )
        .unwrap();
        let rows = table.rows();
        let mut tiers: Vec<&str> = rows.iter().map(|row| row.tier.as_str()).collect();
        tiers.sort_unstable();
        tiers.dedup();
        assert_eq!(tiers, ["A", "B", "C"]);
        let signals: Vec<&str> = rows.iter().map(|row| row.signal.as_str()).collect();
        assert_eq!(signals, ["active", "at_risk", "dormant", "churned"]);
        for (i, row) in rows.iter().enumerate() {
            let tier = RfmTier::from_code(table.tier[i]);
            assert_eq!(format!("{tier:?}"), row.tier);
            let signal = format!("{:?}", RfmSignal::from_code(table.signal[i]));
            let snake: String = signal
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_uppercase()).then_some('_');
                    sep.into_iter().chain(c.to_lowercase())
                })
                .collect();
            assert_eq!(snake, row.signal);
        }
    }

    #[test]
    fn rows_match_the_core() {
        let purchases = vec![
            buy("ann", 2, "50.00"),
            buy("ann", 20, "25"),
            buy("bob", 10, "9"),
        ];
        let got = score_rfm(purchases, day(31), None).unwrap();
        let ann = &got.customers[0];
        assert_eq!(
            (ann.customer.as_str(), ann.recency_days, ann.frequency),
            ("ann", 11, 2)
        );
        assert_eq!(ann.monetary, "75.00");
        assert_eq!(ann.first_purchase, day(2));
        assert_eq!((ann.r, ann.f, ann.m), (3, 3, 3));
        assert_eq!(
            got.skipped,
            RfmSkipped {
                future: 0,
                refund_only: 0
            }
        );
    }

    #[test]
    fn columns_match_rows() {
        let rows = score_rfm(
            vec![buy("0", 2, "50.00"), buy("0", 20, "25"), buy("1", 10, "9")],
            day(31),
            None,
        )
        .unwrap();
        let micros = |d| {
            day(d)
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_micros() as i64
        };
        let cols = score_rfm_columns(
            vec![0, 0, 1],
            vec![micros(2), micros(20), micros(10)],
            vec![5000, 2500, 900],
            day(31),
            None,
            Some(2),
        )
        .unwrap();
        assert_eq!(cols.customer, vec![0, 1]);
        assert_eq!(cols.monetary_minor, vec![7500, 900]);
        assert_eq!(cols.first_purchase_micros[0], micros(2));
        for (i, row) in rows.customers.iter().enumerate() {
            assert_eq!((cols.r[i], cols.f[i], cols.m[i]), (row.r, row.f, row.m));
            assert_eq!(
                cols.segment_names[usize::from(cols.segment[i])],
                row.segment
            );
            assert_eq!((cols.tier[i], cols.signal[i]), (row.tier, row.signal));
        }
    }

    #[test]
    fn bad_input_is_typed() {
        let err = score_rfm(vec![buy("a", 1, "1e3")], day(2), None).unwrap_err();
        assert!(
            matches!(&err, CrmError::Validation { fields, .. } if fields == &["purchases[0].amount"]),
            "{err:?}"
        );
        let err = score_rfm(vec![], day(2), Some("{\"bins\": 1}".into())).unwrap_err();
        assert!(
            matches!(&err, CrmError::Config { path, .. } if path == "rfm.bins"),
            "{err:?}"
        );
        let err = score_rfm_columns(vec![1], vec![], vec![1], day(2), None, None).unwrap_err();
        assert!(
            matches!(&err, CrmError::Validation { fields, .. } if fields == &["columns"]),
            "{err:?}"
        );
        let err = score_rfm_columns(vec![], vec![], vec![], day(2), None, Some(0)).unwrap_err();
        assert!(
            matches!(&err, CrmError::Validation { fields, .. } if fields == &["threads"]),
            "{err:?}"
        );
    }
}
