//! Loyalty, measured in one run.
//!
//! - `ledger/record_purchase_sqlite`: `crm.record_purchase` through the
//!   engine into an SQLite file (one commit each: the customer's account and
//!   the ledger entry, with their events), spread over 1,000 customers, with
//!   category rates, a level multiplier and expiry. Also `redeem_points`.
//! - `care/evaluate_N`: the care rules (a birthday in the customer's time
//!   zone, no contact for 30 days, a first-purchase follow-up, a level
//!   change, an at-risk stage for tagged customers) over `CRM_BENCH_CUSTOMERS`
//!   customers held in memory (default 1,000,000): the pure evaluation that
//!   `due_work` runs per customer.
//!
//! ```text
//! cargo bench --bench loyalty
//! CRM_BENCH_CUSTOMERS=100000 cargo bench --bench loyalty    # a quicker run
//! ```
//!
//! Criterion's `thrpt` line is postings (or customers evaluated) per second.

mod support;

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm::access::Actor;
use crm::loyalty::{LoyaltyConfig, Membership, PurchaseLine, care_due};
use crm::{
    Config, Crm, Customer, CustomerId, CustomerKind, FieldValue, FixedClock, Meta, Money,
    NewCustomer, PointsEntryId, PurchaseInput, SeededIds, UserId,
};
use crm_sqlite::SqliteStore;
use rust_decimal::Decimal;
use support::{Rng, TempDir, uuid_of};

const PROGRAM: &str = r#"{
  "currency": "EUR",
  "earn": [
    {"name": "base", "per": "1.00", "points": 1},
    {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3},
    {"name": "gold double", "level": "gold", "multiply": 2}
  ],
  "bonuses": {"first_purchase": 50},
  "expire_after_days": 365,
  "levels": [{"name": "member"}, {"name": "silver", "min_points": 500}, {"name": "gold", "min_points": 2000}],
  "care": [
    {"name": "birthday", "yearly": "custom.birthday", "action": "send a card"},
    {"name": "monthly call", "no_contact_days": 30, "action": "call"},
    {"name": "thanks", "first_purchase_days": 2, "action": "thank-you call"},
    {"name": "level", "level_change": true, "action": "congratulate"},
    {"name": "risk", "stage": "at_risk", "action": "win-back offer", "when": {"field": "tags", "eq": "vip"}}
  ],
  "time_zone": "Europe/Berlin"
}"#;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn ledger(c: &mut Criterion) {
    let dir = TempDir::new("loyalty");
    let store = SqliteStore::open(dir.path().join("crm.db")).expect("open");
    let config = Config::from_json(&format!(r#"{{"loyalty": {PROGRAM}}}"#)).expect("config");
    let clock = FixedClock::new(start());
    let mut crm = Crm::new(store, config, clock.clone(), SeededIds::new(9)).expect("engine");
    let ana = Actor::new(UserId::new("ana").expect("user")).with_role("sales");
    let customers: Vec<CustomerId> = (0..1_000)
        .map(|i| {
            crm.create_customer(
                &ana,
                NewCustomer {
                    name: format!("Customer {i}"),
                    ..Default::default()
                },
            )
            .expect("customer")
            .id
        })
        .collect();
    let mut rng = Rng(5);
    let mut n = 0u64;
    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(1));
    group.bench_function("record_purchase_sqlite", |b| {
        b.iter(|| {
            n += 1;
            clock.advance(Duration::seconds(1));
            let cents = rng.below(20_000) as i64 + 100;
            let coffee = cents / 3;
            let input = PurchaseInput {
                customer: customers[(n % 1_000) as usize],
                reference: format!("P-{n}"),
                amount: Money::new(Decimal::new(cents, 2), "EUR".parse().expect("EUR"))
                    .expect("money"),
                at: None,
                lines: vec![
                    PurchaseLine {
                        product: None,
                        category: Some("coffee".into()),
                        amount: Decimal::new(coffee, 2),
                    },
                    PurchaseLine {
                        product: None,
                        category: Some("mugs".into()),
                        amount: Decimal::new(cents - coffee, 2),
                    },
                ],
                campaign: None,
            };
            black_box(crm.record_purchase(&ana, input).expect("purchase"));
        })
    });
    group.bench_function("redeem_points_sqlite", |b| {
        b.iter(|| {
            n += 1;
            clock.advance(Duration::seconds(1));
            let customer = customers[(n % 1_000) as usize];
            black_box(
                crm.redeem_points(&ana, customer, 1, "sticker", None)
                    .expect("redeem"),
            );
        })
    });
    group.finish();
}

/// `count` customers as the care rules see them: a birthday on a tenth,
/// a loyalty account on half, contacts and stages spread over the last year.
fn customers(count: usize, now: DateTime<Utc>) -> Vec<Customer> {
    let ana = UserId::new("ana").expect("user");
    let mut rng = Rng(17);
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Tokyo",
        "Australia/Sydney",
    ];
    (0..count)
        .map(|i| {
            let created = now - Duration::days(rng.below(3 * 365) as i64 + 1);
            let mut customer = Customer {
                id: CustomerId::from_uuid(uuid_of(i as u128 + 1)),
                meta: Meta::new(created, ana.clone()),
                kind: CustomerKind::Person,
                name: format!("Customer {i}"),
                stage: if rng.below(20) == 0 {
                    "at_risk"
                } else {
                    "active"
                }
                .into(),
                stage_since: Some(now - Duration::days(rng.below(60) as i64)),
                tier: None,
                owner: Some(ana.clone()),
                team: None,
                region: None,
                industry: None,
                tags: if rng.below(5) == 0 {
                    vec!["vip".into()]
                } else {
                    Vec::new()
                },
                phone: None,
                email: None,
                source_lead: None,
                time_zone: (rng.below(3) == 0).then(|| zones[i % zones.len()].to_string()),
                segment: None,
                last_contact_at: (rng.below(4) != 0)
                    .then(|| now - Duration::days(rng.below(90) as i64)),
                loyalty: None,
                care_done: Default::default(),
                custom: Default::default(),
            };
            if rng.below(10) == 0 {
                let born = NaiveDate::from_ymd_opt(
                    1950 + rng.below(55) as i32,
                    1 + rng.below(12) as u32,
                    1 + rng.below(28) as u32,
                )
                .expect("date");
                customer
                    .custom
                    .insert("birthday".into(), FieldValue::Date(born));
            }
            if rng.below(2) == 0 {
                let joined = created + Duration::days(rng.below(30) as i64);
                let mut account = Membership::new(joined);
                account
                    .credit(
                        PointsEntryId::from_uuid(uuid_of(10_000_000 + i as u128)),
                        100,
                        joined,
                        Some(joined + Duration::days(365)),
                    )
                    .expect("credit");
                account.first_purchase_at = Some(joined);
                account.purchases = 1;
                account.level = Some("member".into());
                account.level_since = Some(joined);
                if rng.below(10) == 0 {
                    account.previous_level = Some("member".into());
                    account.level = Some("silver".into());
                    account.level_since = Some(now - Duration::days(rng.below(30) as i64));
                }
                customer.loyalty = Some(account);
            }
            customer
        })
        .collect()
}

fn care(c: &mut Criterion) {
    let count: usize = std::env::var("CRM_BENCH_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let program =
        LoyaltyConfig::from_value(serde_json::from_str(PROGRAM).expect("json")).expect("program");
    let now = start();
    let people = customers(count, now);
    let zone = Some(chrono_tz::Europe::Berlin);
    let mut group = c.benchmark_group("care");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(20));
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function(format!("evaluate_{count}"), |b| {
        b.iter(|| {
            let mut items = 0usize;
            for customer in &people {
                items += care_due(
                    &program.care,
                    customer,
                    now,
                    now + Duration::hours(24),
                    zone,
                )
                .len();
            }
            black_box(items)
        })
    });
    group.finish();
}

criterion_group!(benches, ledger, care);
criterion_main!(benches);
