//! The service desk, measured in one run.
//!
//! - `calendar/*`: working-time computations per second on an office
//!   calendar (Europe/Berlin, two intervals a day around lunch, ten holidays a
//!   year), from 10,000 instants spread over 2026, daylight-saving changes
//!   included: adding 30 minutes, adding 40 hours (a resolution target that
//!   crosses weekends), and the working minutes between two instants up to
//!   10 days apart.
//! - `due_work/open_tickets_N`: `crm.due_work(now)` over `CRM_BENCH_TICKETS`
//!   open tickets (default 100,000) with SLA clocks, in an SQLite file: what
//!   the host calls every minute or so. Tickets were opened at random working
//!   times over the last 20 days, a tenth of them waiting for the customer.
//!
//! ```text
//! cargo bench --bench desk
//! CRM_BENCH_TICKETS=10000 cargo bench --bench desk    # a quicker run
//! ```
//!
//! Criterion's `thrpt` line is computations (or tickets looked at) per second.

mod support;

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm::access::Actor;
use crm::sla::{Calendar, SlaConfig, TicketFacts, TicketSla};
use crm::store::ChangeSet;
use crm::{
    Config, Crm, FixedClock, Meta, Record, SeededIds, Store, Ticket, TicketId, TicketPriority,
    UserId,
};
use crm_sqlite::SqliteStore;
use support::{Rng, TempDir};

const OFFICE: &str = r#"{"time_zone": "Europe/Berlin",
    "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
    "holidays": ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
                 "2026-05-25", "2026-10-03", "2026-12-24", "2026-12-25", "2026-12-26"]}"#;

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn instants(count: usize, seed: u64) -> Vec<DateTime<Utc>> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| year_start() + Duration::minutes(rng.below(360 * 24 * 60) as i64))
        .collect()
}

fn calendar(c: &mut Criterion) {
    let office = Calendar::from_json(OFFICE).expect("calendar");
    let starts = instants(10_000, 7);
    let mut rng = Rng(11);
    let ends: Vec<DateTime<Utc>> = starts
        .iter()
        .map(|s| *s + Duration::minutes(rng.below(10 * 24 * 60) as i64))
        .collect();
    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(starts.len() as u64));
    for (name, minutes) in [("add_30_minutes", 30), ("add_40_hours", 40 * 60)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for start in &starts {
                    black_box(office.add(*start, minutes).expect("add"));
                }
            })
        });
    }
    group.bench_function("between_up_to_10_days", |b| {
        b.iter(|| {
            for (from, to) in starts.iter().zip(&ends) {
                black_box(office.between_minutes(*from, *to));
            }
        })
    });
    group.finish();
}

fn sla_config() -> SlaConfig {
    SlaConfig::from_json(&format!(
        r#"{{"calendars": {{"office": {OFFICE}}},
            "policies": [
              {{"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400}},
              {{"name": "urgent", "priority": "urgent", "calendar": "office",
               "first_response_minutes": 30, "resolution_minutes": 240}}],
            "escalation": [{{"at_percent": 80, "action": "notify_assignee"}},
                           {{"at_percent": 100, "action": "assign_supervisor"}}]}}"#
    ))
    .expect("sla config")
}

/// `count` open tickets with clocks, written straight to the store in
/// batches (the engine's own commands would spend the setup on fsyncs).
fn fill(store: &mut SqliteStore, sla: &SlaConfig, now: DateTime<Utc>, count: usize) {
    let office = &sla.calendars["office"];
    let agents: Vec<UserId> = (0..50)
        .map(|i| UserId::new(format!("agent{i}")).expect("user"))
        .collect();
    let root = UserId::new("root").expect("user");
    let mut rng = Rng(3);
    let mut changes = ChangeSet::default();
    for i in 0..count {
        // A working instant in the last 20 days.
        let back = Duration::minutes(rng.below(20 * 24 * 60) as i64 + 1);
        let opened = office.add(now - back, 0).expect("add");
        let priority = if rng.below(10) == 0 {
            TicketPriority::Urgent
        } else {
            TicketPriority::Normal
        };
        let facts = TicketFacts {
            priority,
            category: None,
            tier: None,
            customer: None,
        };
        let policy = sla.policy_for(&facts).expect("policy");
        let mut clocks = TicketSla::start(sla, policy, opened, false).expect("start");
        let status = if rng.below(10) == 0 {
            clocks
                .enter(sla, "awaiting_customer", opened + Duration::minutes(30))
                .expect("pause");
            "awaiting_customer"
        } else {
            "assigned"
        };
        let ticket = Ticket {
            id: format!("01900000-0000-7000-8000-{i:012x}")
                .parse::<TicketId>()
                .expect("id"),
            meta: Meta::new(opened, root.clone()),
            subject: format!("Ticket {i}"),
            status: status.into(),
            priority,
            category: None,
            channel: Some("email".into()),
            customer: None,
            contact: None,
            group: None,
            assignee: Some(agents[i % agents.len()].clone()),
            resolution: None,
            reopen_count: 0,
            resolved_at: None,
            closed_at: None,
            custom: Default::default(),
            contract: None,
            order: None,
            warranty_until: None,
            out_of_scope: None,
            sla: Some(clocks),
            survey: None,
        };
        let mut ticket = ticket;
        ticket.meta.version = 1;
        changes.write(ticket.into_any(), 0);
        if changes.writes.len() == 10_000 {
            store.commit(std::mem::take(&mut changes)).expect("commit");
        }
    }
    if !changes.writes.is_empty() {
        store.commit(changes).expect("commit");
    }
}

fn due_work(c: &mut Criterion) {
    let count: usize = std::env::var("CRM_BENCH_TICKETS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    // Wednesday 10 June 2026, 11:00 in Berlin.
    let now = Utc.with_ymd_and_hms(2026, 6, 10, 9, 0, 0).unwrap();
    let sla = sla_config();
    let dir = TempDir::new("desk");
    let mut store = SqliteStore::open(dir.path().join("desk.db")).expect("open");
    fill(&mut store, &sla, now, count);
    let config = Config {
        sla,
        ..Config::default()
    };
    let crm = Crm::new(store, config, FixedClock::new(now), SeededIds::new(1)).expect("crm");
    let admin = Actor::new(UserId::new("root").expect("user")).with_role("admin");
    let items: usize = crm
        .due_work(&admin, now)
        .expect("due work")
        .iter()
        .map(|w| w.items.len())
        .sum();
    eprintln!("due_work over {count} open tickets lists {items} items");
    let mut group = c.benchmark_group("due_work");
    group.throughput(Throughput::Elements(count as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(5));
    group.bench_function(format!("open_tickets_{count}"), |b| {
        b.iter(|| black_box(crm.due_work(&admin, now).expect("due work")))
    });
    group.finish();
}

criterion_group!(benches, calendar, due_work);
criterion_main!(benches);
