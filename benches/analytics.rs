//! Analytics and import, measured in one run.
//!
//! - `metrics/*`: each metric's pure function over `CRM_BENCH_EVENTS` (default
//!   1,000,000) inputs held in memory: stage conversion and time in stage
//!   over that many opportunity events (200,000 deals, 5 moves each), churn
//!   over that many customer events, lead conversion and channel ROI over
//!   that many leads, win rate, lost reasons, cycle time and the forecast
//!   over that many deals, service figures over a fifth as many tickets,
//!   sales targets over that many activities, and the lifetime-value fit
//!   (summary, BG/NBD and Gamma-Gamma) over that many purchases of 100,000
//!   customers.
//! - `import/customers_N`: `crm.import_rows` of `CRM_BENCH_IMPORT_ROWS`
//!   people (default 50,000; `cargo run --release --example import_rate`
//!   imports a million once; about a tenth repeat an earlier row's email, in
//!   upper case, and phone) from CSV into an SQLite file, best effort, with
//!   duplicate checking in the file and against the store, in batches of
//!   1,000.
//!
//! ```text
//! cargo bench --bench analytics
//! CRM_BENCH_IMPORT_ROWS=1000000 cargo bench --bench analytics -- import
//! ```
//!
//! Criterion's `thrpt` line is inputs (events, records, rows) per second.

mod support;

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm::access::Actor;
use crm::analytics::metrics::{self, Cost, Period, SalesTarget};
use crm::analytics::{ClvOptions, fit_clv};
use crm::event::Event;
use crm::import::ImportSpec;
use crm::rfm::Purchase;
use crm::store::conformance::every_kind;
use crm::{
    Activity, AnyRecord, Config, Crm, Customer, CustomerId, EntityKind, EventId, FixedClock, Lead,
    LeadId, Money, Opportunity, OpportunityId, RecordKey, SeededIds, Ticket, TicketId, UserId,
};
use crm_sqlite::SqliteStore;
use rust_decimal::Decimal;
use support::{Rng, TempDir, uuid_of};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn template<T>(kind: EntityKind, pick: impl Fn(AnyRecord) -> Option<T>) -> T {
    every_kind()
        .into_iter()
        .filter(|r| r.kind() == kind)
        .find_map(pick)
        .expect("a template record")
}

fn count() -> usize {
    std::env::var("CRM_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

fn event(
    n: u64,
    kind: EntityKind,
    id: String,
    at: DateTime<Utc>,
    from: Option<&str>,
    to: &str,
) -> Event {
    Event {
        id: EventId::from_uuid(uuid_of(u128::from(n))),
        seq: n,
        at,
        actor: UserId::new("ana").expect("user"),
        entity: RecordKey::new(kind, id),
        action: "move".into(),
        from: from.map(str::to_string),
        to: Some(to.to_string()),
        reason: None,
        changes: Vec::new(),
        payload: serde_json::Value::Null,
    }
}

fn metrics_group(c: &mut Criterion) {
    let n = count();
    let year = Period {
        from: start(),
        until: start() + Duration::days(365),
    };
    let mut rng = Rng(7);
    let stages = ["needs_analysis", "proposal", "negotiation", "won", "lost"];
    // Opportunity events: 5 per deal (created, three moves, a close).
    let mut deal_events = Vec::with_capacity(n);
    let deals_count = n / 5;
    for d in 0..deals_count as u64 {
        let id = OpportunityId::from_uuid(uuid_of(u128::from(d))).to_string();
        let mut at = start() + Duration::hours(rng.below(300 * 24) as i64);
        deal_events.push(event(
            d * 5,
            EntityKind::Opportunity,
            id.clone(),
            at,
            None,
            stages[0],
        ));
        let mut from = stages[0];
        for step in 1..5 {
            at += Duration::hours(rng.below(240) as i64 + 1);
            let to = if step == 4 {
                stages[3 + (rng.below(2) as usize)]
            } else {
                stages[step.min(2)]
            };
            let to = if step == 3 { stages[2] } else { to };
            deal_events.push(event(
                d * 5 + step as u64,
                EntityKind::Opportunity,
                id.clone(),
                at,
                Some(from),
                to,
            ));
            from = to;
        }
    }
    let mut group = c.benchmark_group("metrics");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(10));
    group.throughput(Throughput::Elements(deal_events.len() as u64));
    group.bench_function("stage_conversion", |b| {
        b.iter(|| black_box(metrics::stage_moves(&deal_events, year)))
    });
    group.bench_function("time_in_stage", |b| {
        b.iter(|| black_box(metrics::time_in_stage(&deal_events, year)))
    });
    drop(deal_events);

    // Deals, closed or open.
    let deal: Opportunity = template(EntityKind::Opportunity, |r| match r {
        AnyRecord::Opportunity(o) => Some(o),
        _ => None,
    });
    let reasons = ["price", "budget", "competitor", "timing"];
    let deals: Vec<Opportunity> = (0..n as u64)
        .map(|i| {
            let mut o = deal.clone();
            o.id = OpportunityId::from_uuid(uuid_of(u128::from(i)));
            o.meta.created_at = start() + Duration::hours(rng.below(300 * 24) as i64);
            o.owner = Some(UserId::new(format!("rep{}", i % 50)).expect("user"));
            o.probability = [10, 30, 60, 90][(i % 4) as usize];
            o.expected_close_date = NaiveDate::from_ymd_opt(2025, 1 + (i % 12) as u32, 15);
            match rng.below(3) {
                0 => {
                    o.closed_at = None;
                    o.contract = None;
                }
                1 => {
                    o.closed_at = Some(o.meta.created_at + Duration::days(rng.below(90) as i64));
                }
                _ => {
                    o.closed_at = Some(o.meta.created_at + Duration::days(rng.below(90) as i64));
                    o.contract = None;
                    o.stage = "lost".into();
                    o.lost_reason = Some(reasons[(i % 4) as usize].into());
                }
            }
            o
        })
        .collect();
    group.throughput(Throughput::Elements(deals.len() as u64));
    group.bench_function("win_rate", |b| {
        b.iter(|| black_box(metrics::win_rate(&deals, year)))
    });
    group.bench_function("lost_reasons", |b| {
        b.iter(|| black_box(metrics::lost_reasons(&deals, year)))
    });
    group.bench_function("cycle_time", |b| {
        b.iter(|| black_box(metrics::cycle_time(&deals, year)))
    });
    group.bench_function("forecast", |b| {
        b.iter(|| black_box(metrics::forecast(&deals)))
    });

    // Leads, with conversions into those deals.
    let lead: Lead = template(EntityKind::Lead, |r| match r {
        AnyRecord::Lead(l) => Some(l),
        _ => None,
    });
    let channels = ["online", "offline", "partner", "phone"];
    let leads: Vec<Lead> = (0..n as u64)
        .map(|i| {
            let mut l = lead.clone();
            l.id = LeadId::from_uuid(uuid_of(u128::from(i)));
            l.meta.created_at = start() + Duration::hours(rng.below(300 * 24) as i64);
            l.channel = Some(channels[(i % 4) as usize].into());
            l.campaign = Some(format!("c{}", i % 20));
            if rng.below(5) != 0 {
                l.conversion = None;
            }
            l
        })
        .collect();
    let costs: Vec<Cost> = (0..20)
        .flat_map(|c| {
            channels.iter().map(move |ch| Cost {
                channel: Some((*ch).into()),
                campaign: Some(format!("c{c}")),
                amount: Money::parse("1000.00", "EUR").expect("money"),
            })
        })
        .collect();
    group.throughput(Throughput::Elements(leads.len() as u64));
    group.bench_function("lead_conversion", |b| {
        b.iter(|| black_box(metrics::lead_conversion(&leads, year)))
    });
    group.bench_function("channel_roi", |b| {
        b.iter(|| black_box(metrics::channel_roi(&leads, &deals, &[], &costs, year)))
    });
    drop(leads);
    drop(deals);

    // Customers and their stage events: a fifth as many customers.
    let customer: Customer = template(EntityKind::Customer, |r| match r {
        AnyRecord::Customer(c) => Some(c),
        _ => None,
    });
    let customers: Vec<Customer> = (0..(n / 5) as u64)
        .map(|i| {
            let mut c = customer.clone();
            c.id = CustomerId::from_uuid(uuid_of(u128::from(i)));
            c.meta.created_at = start() - Duration::days(rng.below(700) as i64);
            c
        })
        .collect();
    let path = ["new", "active", "at_risk", "dormant", "churned"];
    let customer_events: Vec<Event> = (0..n as u64)
        .map(|i| {
            let c = i / 5;
            let step = (i % 5) as usize;
            event(
                i,
                EntityKind::Customer,
                CustomerId::from_uuid(uuid_of(u128::from(c))).to_string(),
                start() + Duration::days((c % 300) as i64 + step as i64 * 10),
                (step > 0).then(|| path[step - 1]),
                path[step],
            )
        })
        .collect();
    let purchases: Vec<(CustomerId, DateTime<Utc>)> = customers
        .iter()
        .map(|c| (c.id, start() + Duration::days(rng.below(365) as i64)))
        .collect();
    group.throughput(Throughput::Elements(customer_events.len() as u64));
    group.bench_function("churn", |b| {
        b.iter(|| {
            black_box(metrics::churn(
                &customers,
                &customer_events,
                &purchases,
                year,
            ))
        })
    });
    drop(customer_events);

    // Tickets: a fifth as many.
    let ticket: Ticket = template(EntityKind::Ticket, |r| match r {
        AnyRecord::Ticket(t) => Some(t),
        _ => None,
    });
    let tickets: Vec<Ticket> = (0..(n / 5) as u64)
        .map(|i| {
            let mut t = ticket.clone();
            t.id = TicketId::from_uuid(uuid_of(u128::from(i)));
            t.meta.created_at = start() + Duration::hours(rng.below(300 * 24) as i64);
            t
        })
        .collect();
    group.throughput(Throughput::Elements(tickets.len() as u64));
    group.bench_function("service", |b| {
        b.iter(|| black_box(metrics::service(&tickets, year, Some("priority"))))
    });
    drop(tickets);

    // Targets over activities.
    let activity: Activity = template(EntityKind::Activity, |r| match r {
        AnyRecord::Activity(a) => Some(a),
        _ => None,
    });
    let activities: Vec<Activity> = (0..n as u64)
        .map(|i| {
            let mut a = activity.clone();
            a.occurred_at = start() + Duration::hours(rng.below(300 * 24) as i64);
            a.by = UserId::new(format!("rep{}", i % 50)).expect("user");
            a
        })
        .collect();
    let targets: Vec<SalesTarget> = (0..50)
        .map(|r| SalesTarget {
            user: Some(UserId::new(format!("rep{r}")).expect("user")),
            team: None,
            from: start(),
            until: start() + Duration::days(365),
            amount: None,
            new_customers: Some(10),
            activities: Some(20_000),
        })
        .collect();
    group.throughput(Throughput::Elements(activities.len() as u64));
    group.bench_function("targets", |b| {
        b.iter(|| {
            black_box(metrics::targets(
                &targets,
                &[],
                &customers,
                &activities,
                &|_| None,
            ))
        })
    });
    drop(activities);

    // Lifetime value: purchases of 100,000 customers.
    let purchases: Vec<Purchase> = (0..n as u64)
        .map(|_| {
            let customer = rng.below(100_000);
            let spread = 1 + customer % 7;
            Purchase::new(
                format!("c{customer:06}"),
                start() + Duration::hours(rng.below(360 * 24 / spread + 24) as i64 * spread as i64),
                Decimal::new(500 + rng.below(20_000) as i64, 2),
            )
        })
        .collect();
    group.throughput(Throughput::Elements(purchases.len() as u64));
    group.bench_function("clv_fit", |b| {
        b.iter(|| {
            black_box(fit_clv(
                &purchases,
                start() + Duration::days(366),
                &ClvOptions::default(),
            ))
        })
    });
    group.finish();
}

/// People as CSV (see [`support::write_people`]).
fn people_csv(rows: usize) -> Vec<u8> {
    let mut out = Vec::new();
    support::write_people(&mut out, rows).expect("writing to memory");
    out
}

fn import_group(c: &mut Criterion) {
    let rows: usize = std::env::var("CRM_BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let data = people_csv(rows);
    let spec = ImportSpec::from_json(
        r#"{"kind": "customer", "format": "csv", "mode": "best_effort", "batch_size": 1000}"#,
    )
    .expect("spec");
    let root = Actor::new(UserId::new("root").expect("user")).with_role("admin");
    let mut group = c.benchmark_group("import");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(30));
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function(format!("customers_{rows}"), |b| {
        b.iter_custom(|iterations| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iterations {
                let dir = TempDir::new("import");
                let store = SqliteStore::open(dir.path().join("crm.db")).expect("open");
                let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
                let mut crm =
                    Crm::new(store, Config::default(), clock, SeededIds::new(1)).expect("engine");
                let began = std::time::Instant::now();
                let report = crm
                    .import_rows(&root, &spec, &data, &mut |_| true)
                    .expect("import");
                total += began.elapsed();
                assert!(
                    report.duplicates > rows / 20,
                    "{} duplicates",
                    report.duplicates
                );
                black_box(report);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, metrics_group, import_group);
criterion_main!(benches);
