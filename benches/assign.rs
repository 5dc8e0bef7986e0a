//! Assignment decisions per second: a rule set of 50 rules over 200 users.
//!
//! - `decide_one`: one lead at a time through [`Router::decide`] (the facts
//!   read beforehand), the way a host routes leads as they arrive;
//! - `decide_batch_10000`: 10,000 leads through [`Router::decide_all`], each
//!   batch from the same fresh state (the single decisions above run on one
//!   router for millions of leads, so its capped rules are full and fall
//!   through: the harder case);
//! - `facts_and_decide`: reading the facts from the lead's JSON, then deciding;
//! - `explain`: spelling a decision out (rule names, the tests, who was
//!   skipped): what the engine stores in each event;
//! - `engine_route_batch_1000`: 1,000 pooled leads routed by the engine on the
//!   memory store in one command (load, decide, explain, events, one commit).
//!
//! The rules: 10 regions × 5 product lines, each rule one pair, targeting one
//! of 10 teams of 20 users or a list of 20 users; strategies cycle through
//! round robin, load balancing and weighted; every third rule has a daily cap
//! and every fifth active hours. A quarter of the users are away or inactive.
//! Leads spread evenly over the pairs, so a decision tries 25 rules on
//! average.
//!
//! ```text
//! cargo bench --bench assign
//! ```
//!
//! Criterion's `thrpt` line is decisions per second.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::access::Actor;
use crm::assign::{Agent, Facts, Item, Router, RouterState, RuleSet};
use crm::store::MemoryStore;
use crm::{Config, Crm, EntityKind, FixedClock, NewLead, SeededIds, TeamId, UserId};
use serde_json::{Value, json};

const REGIONS: usize = 10;
const LINES: usize = 5;
const USERS: usize = 200;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 6, 10, 0, 0).unwrap()
}

fn rules() -> Value {
    let mut rules = Vec::new();
    for i in 0..REGIONS * LINES {
        let (region, line) = (i % REGIONS, i / REGIONS);
        let team = i % 10;
        let mut rule = json!({
            "name": format!("r{i:02}"),
            "priority": i,
            "when": { "all": [
                { "field": "region", "eq": format!("region-{region}") },
                { "field": "product_line", "eq": format!("line-{line}") },
            ] },
        });
        match i % 3 {
            0 => rule["team"] = json!(format!("team-{team}")),
            1 => {
                rule["users"] = json!(
                    (0..20)
                        .map(|k| format!("u{:03}", (team * 20 + k * 7) % USERS))
                        .collect::<Vec<_>>()
                );
                rule["strategy"] = json!("load_balance");
            }
            _ => {
                let users: Vec<String> =
                    (0..20).map(|k| format!("u{:03}", team * 20 + k)).collect();
                rule["strategy"] =
                    json!({ "weighted": { users[0].clone(): 3, users[1].clone(): 2 } });
                rule["users"] = json!(users);
            }
        }
        if i % 3 == 0 {
            rule["caps"] = json!({ "per_day": 1000 });
        }
        if i % 5 == 0 {
            rule["active"] = json!({ "weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "until": "18:00" });
        }
        rules.push(rule);
    }
    json!({ "time_zone": "Europe/Berlin", "rules": rules })
}

fn agents() -> Vec<Agent> {
    (0..USERS)
        .map(|i| {
            let agent = Agent::new(UserId::new(format!("u{i:03}")).unwrap())
                .in_team(TeamId::new(format!("team-{}", i / 20)).unwrap())
                .with_open(EntityKind::Lead, (i % 7) as u32);
            match i % 8 {
                0 => agent.active(false),
                1 => agent.away(now() - Duration::days(1), now() + Duration::days(1)),
                _ => agent,
            }
        })
        .collect()
}

fn leads(n: usize) -> Vec<Value> {
    // A fixed linear congruential sequence: the same leads every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let pair = (x >> 33) as usize % (REGIONS * LINES);
            json!({
                "company": "Acme",
                "region": format!("region-{}", pair % REGIONS),
                "product_line": format!("line-{}", pair / REGIONS),
                "source": "web",
            })
        })
        .collect()
}

fn router() -> Router {
    let set = RuleSet::from_json(&rules().to_string()).unwrap();
    Router::new(&set, agents(), &RouterState::default()).unwrap()
}

fn decisions(c: &mut Criterion) {
    let records = leads(10_000);
    let mut router = router();
    let facts: Vec<Facts> = records.iter().map(|r| router.facts(r)).collect();

    let mut group = c.benchmark_group("assign");
    group.throughput(Throughput::Elements(1));
    let mut next = 0;
    group.bench_function("decide_one", |b| {
        b.iter(|| {
            let item = Item::new(EntityKind::Lead, &facts[next % facts.len()]);
            next += 1;
            black_box(router.decide(&item, now()));
        });
    });
    group.bench_function("facts_and_decide", |b| {
        b.iter(|| {
            let facts = router.facts(&records[next % records.len()]);
            next += 1;
            black_box(router.decide(&Item::new(EntityKind::Lead, &facts), now()));
        });
    });
    let decision = router.decide(&Item::new(EntityKind::Lead, &facts[0]), now());
    group.bench_function("explain", |b| {
        b.iter(|| black_box(router.explain(&decision, &facts[0])));
    });

    group.throughput(Throughput::Elements(facts.len() as u64));
    let items: Vec<Item> = facts
        .iter()
        .map(|f| Item::new(EntityKind::Lead, f))
        .collect();
    // Each batch starts from the same state, fresh: a day's leads at once.
    let fresh = self::router();
    group.bench_function("decide_batch_10000", |b| {
        b.iter_batched(
            || fresh.clone(),
            |mut router| black_box(router.decide_all(&items, now())),
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn engine(c: &mut Criterion) {
    let config = Config::from_json(&json!({ "assignment": rules() }).to_string()).unwrap();
    let admin = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let setup = || {
        let mut crm = Crm::new(
            MemoryStore::new(),
            Config::default(),
            FixedClock::new(now()),
            SeededIds::new(1),
        )
        .unwrap();
        for i in 0..USERS {
            let mut user = crm::UserInput::new(
                UserId::new(format!("u{i:03}")).unwrap(),
                format!("User {i}"),
            );
            user.team = Some(TeamId::new(format!("team-{}", i / 20)).unwrap());
            user.active = i % 8 != 0;
            crm.save_user(&admin, user).unwrap();
        }
        for lead in leads(1_000) {
            let new = NewLead {
                company: Some("Acme".into()),
                region: lead["region"].as_str().map(String::from),
                product_line: lead["product_line"].as_str().map(String::from),
                ..NewLead::default()
            };
            crm.create_lead(&admin, new).unwrap();
        }
        // The same store under an engine with the rules: the leads are in the pool.
        Crm::new(
            crm.into_store(),
            config.clone(),
            FixedClock::new(now()),
            SeededIds::new(2),
        )
        .unwrap()
    };
    let mut group = c.benchmark_group("assign");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("engine_route_batch_1000", |b| {
        b.iter_batched(
            setup,
            |mut crm| {
                black_box(
                    crm.route_pool(&admin, EntityKind::Lead, None)
                        .unwrap()
                        .len(),
                )
            },
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, decisions, engine);
criterion_main!(benches);
