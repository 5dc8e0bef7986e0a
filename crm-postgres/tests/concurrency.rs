//! No lost update: 8 threads, each with its own connection, bump a counter on
//! 10 hot leads through the engine; every update either lands or gets
//! `Error::Conflict` and is retried. At the end the counters add up to the
//! number of updates that returned `Ok`, and the event log is gap-free.

mod support;

use std::sync::Barrier;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use crm_core::access::Actor;
use crm_core::{
    AnyRecord, Config, Crm, Error, FieldSchema, FieldValue, FixedClock, Lead, LeadId, NewLead,
    SeededIds, Store, UserId,
};
use crm_postgres::PostgresStore;
use support::{drop_schema, fresh_schema, pg_url, report};

const WRITERS: usize = 8;
const UPDATES_PER_WRITER: usize = 125;
const HOT_RECORDS: usize = 10;

fn config() -> Config {
    Config {
        fields: FieldSchema::from_json(r#"{"lead": [{"key": "hits", "type": "number"}]}"#)
            .unwrap_or_else(|e| panic!("{e}")),
        ..Config::default()
    }
}

fn hits(lead: &Lead) -> i64 {
    match lead.custom.get("hits") {
        Some(FieldValue::Number(n)) => *n,
        _ => 0,
    }
}

#[test]
fn concurrent_writers_lose_no_update() {
    let Some(url) = pg_url() else { return };
    let schema = fresh_schema("concurrency");
    struct Cleanup<'a>(&'a str, &'a str);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            drop_schema(self.0, self.1);
        }
    }
    let _cleanup = Cleanup(&url, &schema);

    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let admin = Actor::new(UserId::new("admin").unwrap()).with_role("admin");
    let mut crm = Crm::new(
        PostgresStore::connect_in_schema(&url, &schema).unwrap(),
        config(),
        clock.clone(),
        SeededIds::new(1),
    )
    .unwrap();
    let leads: Vec<LeadId> = (0..HOT_RECORDS)
        .map(|n| {
            crm.create_lead(
                &admin,
                NewLead {
                    company: Some(format!("Hot {n}")),
                    ..NewLead::default()
                },
            )
            .unwrap()
            .id
        })
        .collect();

    let started = Instant::now();
    let barrier = Barrier::new(WRITERS);
    let (applied, conflicts) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (url, schema, clock, admin, leads, barrier) =
                    (&url, &schema, &clock, &admin, &leads, &barrier);
                scope.spawn(move || {
                    let store = PostgresStore::connect_in_schema(url, schema).unwrap();
                    let mut crm = Crm::new(
                        store,
                        config(),
                        clock.clone(),
                        SeededIds::new(100 + writer as u64),
                    )
                    .unwrap();
                    barrier.wait();
                    let (mut applied, mut conflicts) = (0usize, 0usize);
                    for n in 0..UPDATES_PER_WRITER {
                        let id = leads[(writer * 3 + n) % HOT_RECORDS];
                        loop {
                            let lead: Lead = crm.get(admin, id).unwrap();
                            let next = hits(&lead) + 1;
                            match crm.update::<Lead>(admin, id, lead.meta.version, |lead| {
                                lead.custom.insert("hits".into(), FieldValue::Number(next));
                            }) {
                                Ok(_) => {
                                    applied += 1;
                                    break;
                                }
                                Err(Error::Conflict { .. }) => conflicts += 1,
                                Err(other) => panic!("writer {writer}: {other}"),
                            }
                        }
                    }
                    (applied, conflicts)
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|writer| writer.join().unwrap())
            .fold((0, 0), |(a, c), (applied, conflicts)| {
                (a + applied, c + conflicts)
            })
    });
    let elapsed = started.elapsed();

    let store = crm.store();
    let mut total = 0;
    for id in &leads {
        let lead = match store.get(&(*id).into()).unwrap() {
            Some(AnyRecord::Lead(lead)) => lead,
            other => panic!("lead lost: {other:?}"),
        };
        total += hits(&lead);
        assert_eq!(lead.meta.version as i64, 1 + hits(&lead));
        assert_eq!(
            store.history(&(*id).into()).unwrap().len() as u64,
            lead.meta.version
        );
    }
    let log = store.events_after(0, usize::MAX).unwrap();
    assert!(
        log.iter().enumerate().all(|(at, e)| e.seq == at as u64 + 1),
        "the event log has a gap"
    );
    assert_eq!(log.len(), HOT_RECORDS + applied);
    assert_eq!(applied, WRITERS * UPDATES_PER_WRITER);
    assert_eq!(total as usize, applied, "an update was lost");
    assert!(
        conflicts > 0,
        "the writers never collided: the test proves nothing"
    );
    report(&format!(
        "postgres concurrency: {WRITERS} writers x {UPDATES_PER_WRITER} updates on {HOT_RECORDS} leads: \
         {applied} applied = sum of counters {total}, {conflicts} conflicts retried, in {:.1} s",
        elapsed.as_secs_f64()
    ));
}

/// Four hosts drain one outbox at once: each message is handed to exactly one
/// of them while its lease runs.
#[test]
fn concurrent_outbox_takers_never_share_a_message() {
    use std::collections::HashSet;

    use crm_core::store::ChangeSet;
    use crm_core::{EventId, OutboxMessage, RecordKey};

    let Some(url) = pg_url() else { return };
    let mut store = support::SchemaStore::new(&url, "outbox");
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let id = |n: u64| -> EventId { format!("01943b7a-0000-7000-8000-{n:012x}").parse().unwrap() };
    let mut changes = ChangeSet::default();
    for n in 0..200 {
        changes.outbox.push(OutboxMessage {
            id: id(10_000 + n),
            created_at: now,
            event: id(n),
            topic: "notify".into(),
            record: RecordKey::parse("lead", "01943b7a-0000-7000-8000-000000000001").unwrap(),
            recipient: None,
            payload: serde_json::Value::Null,
            attempts: 0,
            leased_until: None,
            acked_at: None,
        });
    }
    store.commit(changes).unwrap();
    let schema = store.store.schema().to_string();
    let start = Barrier::new(4);
    let taken: Vec<Vec<EventId>> = std::thread::scope(|scope| {
        (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut host = PostgresStore::connect_in_schema(&url, &schema).unwrap();
                    start.wait();
                    let mut mine = Vec::new();
                    loop {
                        let batch = host
                            .take_outbox(now, 7, chrono::Duration::hours(1))
                            .unwrap();
                        if batch.is_empty() {
                            break mine;
                        }
                        mine.extend(batch.iter().map(|m| m.id));
                    }
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect()
    });
    let all: Vec<EventId> = taken.iter().flatten().copied().collect();
    let distinct: HashSet<EventId> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        200,
        "a message was handed out twice or not at all"
    );
    assert_eq!(distinct.len(), 200);
    report(&format!(
        "postgres outbox: 4 concurrent takers drained 200 messages, {:?} each, none twice",
        taken.iter().map(Vec::len).collect::<Vec<_>>()
    ));
}
