//! RFM from purchase columns: 1M purchases of 100k customers and 10M of 1M,
//! on one thread and on two.
//!
//! The purchases follow the shape of `../shared/peers/gen_transactions.py`
//! (many one-time buyers, a heavy tail of frequent ones, two years of times,
//! amounts in cents) from a fixed pseudo-random sequence, sorted by time like
//! an event log. Each iteration is the whole job: aggregate, score, segment,
//! tier and signal every customer.
//!
//! ```text
//! cargo bench --bench rfm
//! CRM_BENCH_RFM_ROWS=1000000 cargo bench --bench rfm   # only the 1M size
//! ```
//!
//! Criterion's `thrpt` line is purchases per second.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::rfm::{RfmConfig, Ties, score_columns};

struct Columns {
    customers: Vec<i64>,
    at: Vec<i64>,
    amounts: Vec<i64>,
}

/// `rows` purchases of `customers` customers.
fn purchases(rows: usize, customers: usize) -> Columns {
    let mut x: u64 = 42;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let start = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_micros();
    let span = 730.0 * 86_400e6;
    // Weights with a heavy tail: one purchase each, the rest shared by weight.
    let weights: Vec<f64> = (0..customers)
        .map(|_| (-(next().max(1e-12)).ln()).powf(2.5))
        .collect();
    let total: f64 = weights.iter().sum();
    let extra = (rows - customers) as f64;
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| 1 + (w / total * extra) as usize)
        .collect();
    let mut have: usize = counts.iter().sum();
    let mut i = 0;
    while have < rows {
        counts[i % customers] += 1;
        have += 1;
        i += 7919;
    }
    let mut rows_out: Vec<(i64, i64, i64)> = Vec::with_capacity(rows);
    for (c, count) in counts.iter().enumerate() {
        let first = next() * span;
        let life = -(next().max(1e-12)).ln() * 300.0 * 86_400e6;
        let last = (first + life).min(span - 1.0);
        let mu = 3.3 + 0.6 * (next() - 0.5);
        for _ in 0..*count {
            let at = start + (first + next() * (last - first)) as i64;
            let cents = ((mu + 0.8 * (next() - 0.5)).exp() * 100.0).round().max(1.0) as i64;
            rows_out.push((c as i64 + 1, at, cents));
        }
    }
    rows_out.truncate(rows);
    rows_out.sort_unstable_by_key(|r| (r.1, r.0));
    Columns {
        customers: rows_out.iter().map(|r| r.0).collect(),
        at: rows_out.iter().map(|r| r.1).collect(),
        amounts: rows_out.iter().map(|r| r.2).collect(),
    }
}

fn rfm(c: &mut Criterion) {
    let as_of = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let only: Option<usize> = std::env::var("CRM_BENCH_RFM_ROWS")
        .ok()
        .and_then(|v| v.parse().ok());
    for (rows, customers) in [(1_000_000, 100_000), (10_000_000, 1_000_000)] {
        if only.is_some_and(|o| o != rows) {
            continue;
        }
        let data = purchases(rows, customers);
        let mut group = c.benchmark_group("rfm");
        group.sample_size(10);
        group.throughput(Throughput::Elements(rows as u64));
        for threads in [1, 2] {
            for ties in [Ties::Equal, Ties::Position] {
                let config = RfmConfig {
                    threads,
                    ties,
                    ..RfmConfig::default()
                };
                let name =
                    format!("{}m_{:?}_{threads}_thread", rows / 1_000_000, ties).to_lowercase();
                group.bench_function(name, |b| {
                    b.iter(|| {
                        let table =
                            score_columns(&data.customers, &data.at, &data.amounts, as_of, &config)
                                .unwrap();
                        black_box(table.len())
                    });
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, rfm);
criterion_main!(benches);
