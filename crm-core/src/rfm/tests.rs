use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::rfm::*;

const DAY: i64 = 86_400_000_000;

/// customer, recency, frequency, monetary, r, f, m, segment, fm
type Row = (i64, i64, u64, i64, u8, u8, u8, String, u8);
/// customer, minus recency, frequency, monetary
type Keys = (i64, i64, i64, i64);

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn micros(days_before: i64, hour: i64) -> i64 {
    as_of().timestamp_micros() - days_before * DAY + hour * 3_600_000_000
}

/// The definition, written out the slow and obvious way.
fn reference(rows: &[(i64, i64, i64)], config: &RfmConfig) -> Vec<Row> {
    let as_of_micros = as_of().timestamp_micros();
    let mut per: BTreeMap<i64, (i64, i64, u64, i64)> = BTreeMap::new();
    for &(c, t, m) in rows {
        if t > as_of_micros {
            continue;
        }
        let e = per.entry(c).or_insert((i64::MAX, i64::MIN, 0, 0));
        e.3 += m;
        if m >= 0 {
            e.0 = e.0.min(t);
            e.1 = e.1.max(t);
            e.2 += 1;
        }
    }
    per.retain(|_, e| e.2 > 0);
    let n = per.len();
    let keys: Vec<Keys> = per
        .iter()
        .map(|(c, e)| {
            let recency = as_of_micros.div_euclid(DAY) - e.1.div_euclid(DAY);
            (*c, -recency, e.2 as i64, e.3)
        })
        .collect();
    let score = |own: (i64, i64), pick: &dyn Fn(&Keys) -> i64| -> u8 {
        let below = keys
            .iter()
            .filter(|k| match config.ties {
                Ties::Equal => pick(k) < own.1,
                Ties::Position => (pick(k), k.0) < (own.1, own.0),
            })
            .count();
        (5 * below / n + 1) as u8
    };
    let map = SegmentMap::standard();
    keys.iter()
        .map(|k| {
            let r = score((k.0, k.1), &|x| x.1);
            let f = score((k.0, k.2), &|x| x.2);
            let m = score((k.0, k.3), &|x| x.3);
            let fm = (f + m).div_ceil(2);
            let segment = map
                .rules
                .iter()
                .find(|s| {
                    s.r.is_none_or(|[lo, hi]| lo <= r && r <= hi)
                        && s.fm.is_none_or(|[lo, hi]| lo <= fm && fm <= hi)
                })
                .map(|s| s.name.clone())
                .unwrap();
            (k.0, -k.1, k.2 as u64, k.3, r, f, m, segment, fm)
        })
        .collect()
}

fn columns(rows: &[(i64, i64, i64)]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    (
        rows.iter().map(|r| r.0).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
    )
}

fn ours(rows: &[(i64, i64, i64)], config: &RfmConfig) -> Vec<Row> {
    let (c, t, m) = columns(rows);
    let table = score_columns(&c, &t, &m, as_of(), config).unwrap();
    (0..table.len())
        .map(|i| {
            (
                table.customer[i],
                table.recency_days[i],
                table.frequency[i],
                table.monetary_minor[i],
                table.r[i],
                table.f[i],
                table.m[i],
                table.segment_names[usize::from(table.segment[i])].clone(),
                table.fm[i],
            )
        })
        .collect()
}

proptest! {
    /// Scores, segments and aggregates agree with the obvious implementation,
    /// under both tie rules, on one thread and on three.
    #[test]
    fn agrees_with_the_reference(
        rows in proptest::collection::vec((0i64..25, -3i64..400, -5i64..48, -500i64..5000), 0..200),
        position in any::<bool>(),
        threads in 1usize..4,
    ) {
        let rows: Vec<(i64, i64, i64)> = rows
            .into_iter()
            .map(|(c, day, hour, m)| (c * 7 - 30, micros(day, hour), m))
            .collect();
        let config = RfmConfig {
            ties: if position { Ties::Position } else { Ties::Equal },
            threads,
            ..RfmConfig::default()
        };
        prop_assert_eq!(ours(&rows, &config), reference(&rows, &config));
    }

    /// Aggregates of any split of the purchases merge into the aggregates of all.
    #[test]
    fn aggregates_merge_exactly(
        rows in proptest::collection::vec((0i64..30, 0i64..300, -100i64..1000), 1..150),
        cut in 0usize..150,
    ) {
        let rows: Vec<(i64, i64, i64)> = rows.into_iter().map(|(c, d, m)| (c, micros(d, 0), m)).collect();
        let cut = cut.min(rows.len());
        let whole = columns(&rows);
        let (all, _) = aggregate(&whole.0, &whole.1, &whole.2, i64::MAX, 1).unwrap();
        let (left, right) = (columns(&rows[..cut]), columns(&rows[cut..]));
        let mut parts = aggregate(&left.0, &left.1, &left.2, i64::MAX, 1).unwrap().0;
        parts.extend(aggregate(&right.0, &right.1, &right.2, i64::MAX, 1).unwrap().0);
        let merged: Vec<Aggregate> = merge(parts).unwrap();
        prop_assert_eq!(merged, all);
    }
}

#[test]
fn edge_cases_have_defined_results() {
    let config = RfmConfig::default();
    // Empty input: an empty table.
    let empty = score_columns(&[], &[], &[], as_of(), &config).unwrap();
    assert!(empty.is_empty());
    // One customer: the lowest position, so 1 everywhere (and "Lost").
    let one = score(
        &[Purchase::new(
            "x",
            as_of() - Duration::days(3),
            Decimal::ONE,
        )],
        as_of(),
        &config,
    )
    .unwrap();
    let row = &one.rows()[0];
    assert_eq!(
        (row.r, row.f, row.m, row.segment.as_str(), row.tier.as_str()),
        (1, 1, 1, "Lost", "C")
    );
    // All equal: all equal scores.
    let rows: Vec<(i64, i64, i64)> = (0..10).map(|c| (c, micros(5, 0), 100)).collect();
    let all = ours(&rows, &config);
    assert!(all.iter().all(|r| (r.4, r.5, r.6) == (1, 1, 1)));
    // Under position ties the same customers fill five bins of two.
    let by_position = ours(
        &rows,
        &RfmConfig {
            ties: Ties::Position,
            ..config.clone()
        },
    );
    let f: Vec<u8> = by_position.iter().map(|r| r.5).collect();
    assert_eq!(f, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // Refunds lower monetary, are not purchases; refund-only customers and
    // future rows are left out and counted.
    let rows = [
        (1, micros(10, 0), 1000),
        (1, micros(2, 0), -300),
        (2, micros(4, 0), -50),
        (3, micros(-1, 0), 700),
        (3, micros(20, 0), 0),
    ];
    let (c, t, m) = columns(&rows);
    let table = score_columns(&c, &t, &m, as_of(), &config).unwrap();
    assert_eq!(table.customer, [1, 3]);
    assert_eq!(table.monetary_minor, [700, 0]);
    assert_eq!(table.frequency, [1, 1]);
    assert_eq!(
        table.recency_days,
        [10, 20],
        "the refund does not move recency"
    );
    assert_eq!(
        table.skipped,
        Skipped {
            future: 1,
            refund_only: 1
        }
    );
    // Amounts finer than the minor unit are refused, naming the row.
    let err = score(
        &[Purchase::new("x", as_of(), Decimal::new(1005, 3))],
        as_of(),
        &config,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid purchases[0].amount: has more than 2 decimal places (got `1.005`)"
    );
    let err = score_columns(&[1], &[1, 2], &[1], as_of(), &config).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid columns: must have the same length"),
        "{err}"
    );
}

#[test]
fn sparse_and_dense_ids_and_threads_give_the_same_table() {
    // 120,000 rows over ids up to 150,001: big enough for the partitioned
    // table (more than 65,536 ids), dense enough not to hash.
    let rows: Vec<(i64, i64, i64)> = (0..120_000i64)
        .map(|i| {
            (
                (i * 37) % 150_001,
                micros(i % 300, i % 24),
                (i * 13) % 997 - 20,
            )
        })
        .collect();
    let dense = ours(&rows, &RfmConfig::default());
    let sparse_rows: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|(c, t, m)| (c * 1_000_000_007, *t, *m))
        .collect();
    let sparse = ours(&sparse_rows, &RfmConfig::default());
    let strip = |v: Vec<Row>| {
        v.into_iter()
            .map(|r| (r.1, r.2, r.3, r.4, r.5, r.6, r.7))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(dense.clone()), strip(sparse));
    let threaded = ours(
        &rows,
        &RfmConfig {
            threads: 2,
            ..RfmConfig::default()
        },
    );
    assert_eq!(dense, threaded);
}

#[test]
fn thresholds_mean_and_custom_maps() {
    let config = RfmConfig::from_json(
        r#"{ "bins": 3, "monetary": "mean",
             "thresholds": { "recency_days": [7, 30], "frequency": [2, 5], "monetary": ["10.00", "100.00"] },
             "segments": { "rules": [ { "name": "best", "r": [3, 3], "fm": [2, 3] },
                                      { "name": "asleep", "r": [1, 1] } ], "default": "other" },
             "tiers": { "a": ["best"], "b": ["other"] } }"#,
    )
    .unwrap();
    let rows = [
        (1, micros(3, 0), 1000),
        (1, micros(4, 0), 2001),
        (2, micros(40, 0), 50),
        (3, micros(10, 0), 10_000),
    ];
    let (c, t, m) = columns(&rows);
    let table = score_columns(&c, &t, &m, as_of(), &config).unwrap();
    assert_eq!(
        table.monetary_minor,
        [1501, 50, 10000],
        "mean, half away from zero"
    );
    assert_eq!(table.r, [3, 1, 2]);
    assert_eq!(table.f, [2, 1, 1]);
    assert_eq!(table.m, [2, 1, 3]);
    let rows = table.rows();
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.segment.as_str(), r.tier.as_str()))
        .collect();
    assert_eq!(names, [("best", "A"), ("asleep", "C"), ("other", "B")]);

    for (json, path) in [
        (r#"{ "bins": 1 }"#, "rfm.bins"),
        (
            r#"{ "bins": 3, "segments": { "rules": [ { "name": "x", "r": [2, 4] } ], "default": "y" } }"#,
            "rfm.segments.rules[0].r",
        ),
        (
            r#"{ "thresholds": { "recency_days": [1, 2], "frequency": [1, 2, 3, 4], "monetary": ["1", "2", "3", "4"] } }"#,
            "rfm.thresholds.recency_days",
        ),
        (
            r#"{ "signals": { "at_risk_after": 5, "dormant_after": 4 } }"#,
            "rfm.signals",
        ),
        (r#"{ "threads": 0 }"#, "rfm.threads"),
    ] {
        match RfmConfig::from_json(json) {
            Err(crate::Error::Config { path: got, .. }) => assert_eq!(got, path, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
    assert!(
        RfmConfig::from_json(r#"{ "tie": "equal" }"#)
            .unwrap_err()
            .to_string()
            .contains("unknown field `tie`")
    );
}

#[test]
fn signals_follow_each_customers_own_cadence() {
    // A weekly buyer silent for 30 days, a yearly buyer silent for 200 days,
    // a one-time buyer 100 days ago, a daily buyer silent 10 days.
    let mut rows = Vec::new();
    for week in 0..10 {
        rows.push((1, micros(30 + 7 * week, 0), 100));
    }
    rows.push((2, micros(200, 0), 100));
    rows.push((2, micros(565, 0), 100));
    rows.push((3, micros(100, 0), 100));
    for day in 0..20 {
        rows.push((4, micros(10 + day, 0), 100));
    }
    let (c, t, m) = columns(&rows);
    let table = score_columns(&c, &t, &m, as_of(), &RfmConfig::default()).unwrap();
    let signals: Vec<String> = table.rows().into_iter().map(|r| r.signal).collect();
    // Weekly: 30 days > 4 × 7: dormant. Yearly: 200 < 2 × 365: active.
    // One purchase: 100 days, gap 90: active (not more than 2 gaps).
    // Daily: gap floored at 7 days, 10 days silent: active.
    assert_eq!(signals, ["dormant", "active", "active", "active"]);
}

proptest! {
    /// Chunks through an Aggregator give what one call gives: the table
    /// grows when later ids fall outside it, and turns into a hash map when
    /// they are too far apart.
    #[test]
    fn chunked_aggregation_equals_one_pass(
        rows in proptest::collection::vec((0i64..3000, 0i64..300, -50i64..1000), 1..400),
        narrow in any::<bool>(),
        far in proptest::option::of(0usize..400),
        chunk in 1usize..400,
        threads in 1usize..3,
    ) {
        // Narrow ids keep the table from the first chunk on; wide ones start
        // hashed and move into the table when the rows catch up.
        let mut rows: Vec<(i64, i64, i64)> = rows
            .into_iter()
            .map(|(c, d, m)| (if narrow { c % 40 } else { c }, micros(d, 0), m))
            .collect();
        if let Some(at) = far {
            let at = at.min(rows.len() - 1);
            rows[at].0 = 1 << 40;
        }
        let whole = columns(&rows);
        let (expected, skipped) = aggregate(&whole.0, &whole.1, &whole.2, as_of().timestamp_micros(), 1).unwrap();
        let mut aggregator = Aggregator::new(as_of().timestamp_micros(), threads).unwrap();
        for part in rows.chunks(chunk) {
            let (c, t, m) = columns(part);
            aggregator.add(&c, &t, &m).unwrap();
        }
        let (got, got_skipped) = aggregator.finish().unwrap();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(got_skipped, skipped);
    }
}

#[test]
fn partials_merge_before_refund_only_ones_are_dropped() {
    // Customer 1's purchases in one partition, a refund in another, handed
    // over unsorted: the refund still counts.
    let (a, _) = aggregate(
        &[1, 2],
        &[micros(5, 0), micros(3, 0)],
        &[100, 40],
        i64::MAX,
        1,
    )
    .unwrap();
    let (b, _) = aggregate(&[1], &[micros(1, 0)], &[-30], i64::MAX, 1).unwrap();
    let parts: Vec<Aggregate> = b.into_iter().chain(a).collect();
    let table =
        score_aggregates(parts, Skipped::default(), as_of(), &RfmConfig::default()).unwrap();
    assert_eq!(table.customer, [1, 2]);
    assert_eq!(table.monetary_minor, [70, 40]);
    assert_eq!(table.skipped.refund_only, 0);
    // Totals that overflow are an error, not a saturated sum.
    let big = |id| Aggregate {
        customer: id,
        first: 0,
        last: 0,
        purchases: 1,
        refunds: 0,
        monetary: i64::MAX,
    };
    let err = merge([big(1), big(1)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid amounts: a customer's total does not fit in 64-bit minor units"
    );
}
