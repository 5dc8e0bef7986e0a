//! Payment schedules built per second: the exact split of a total by a terms
//! template, with due dates, for three templates of growing size.
//!
//! ```text
//! cargo bench --bench schedule
//! ```
//!
//! Criterion's `thrpt` line is schedules per second (1,000 totals per
//! iteration, from 0.01 to about 10 million, in EUR).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::Money;
use crm::schedule::{Terms, split};
use rust_decimal::Decimal;

const TEMPLATES: [(&str, &str); 3] = [
    (
        "30_70_milestone",
        r#"{"name": "30/70", "lines": [
            {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    ),
    (
        "thirds_month_ends",
        r#"{"name": "thirds", "lines": [
            {"label": "1", "percent": "33.33", "due": {"end_of_month": {"plus_days": 10}}},
            {"label": "2", "percent": "33.33", "due": {"months_after_end_of_month": 1}},
            {"label": "3", "percent": "33.34", "due": {"day_of_next_month": {"day": 10, "after_days": 30}}}]}"#,
    ),
    (
        "fee_and_12_months",
        r#"{"name": "monthly", "lines": [
            {"label": "setup", "fixed": "99.00", "due": {"days_after": 0}},
            {"label": "m1", "percent": "8.33", "due": {"months_after_end_of_month": 0}},
            {"label": "m2", "percent": "8.33", "due": {"months_after_end_of_month": 1}},
            {"label": "m3", "percent": "8.33", "due": {"months_after_end_of_month": 2}},
            {"label": "m4", "percent": "8.33", "due": {"months_after_end_of_month": 3}},
            {"label": "m5", "percent": "8.33", "due": {"months_after_end_of_month": 4}},
            {"label": "m6", "percent": "8.33", "due": {"months_after_end_of_month": 5}},
            {"label": "m7", "percent": "8.33", "due": {"months_after_end_of_month": 6}},
            {"label": "m8", "percent": "8.33", "due": {"months_after_end_of_month": 7}},
            {"label": "m9", "percent": "8.33", "due": {"months_after_end_of_month": 8}},
            {"label": "m10", "percent": "8.33", "due": {"months_after_end_of_month": 9}},
            {"label": "m11", "percent": "8.33", "due": {"months_after_end_of_month": 10}},
            {"label": "m12", "percent": "8.37", "due": {"months_after_end_of_month": 11}}]}"#,
    ),
];

fn schedules(c: &mut Criterion) {
    let eur = "EUR".parse().unwrap();
    let totals: Vec<Money> = (0..1_000i64)
        .map(|i| {
            Money::new(
                Decimal::new(10_000 + i * i * 1_000_003 % 1_000_000_000, 2),
                eur,
            )
            .unwrap()
        })
        .collect();
    let base = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let mut group = c.benchmark_group("schedule");
    group.throughput(Throughput::Elements(totals.len() as u64));
    for (name, json) in TEMPLATES {
        let terms = Terms::from_json(json).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                for total in &totals {
                    black_box(split(total, &terms, Some(base)).unwrap());
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, schedules);
criterion_main!(benches);
