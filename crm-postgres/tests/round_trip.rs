//! Backup round trip across every backend: a store built by engine commands in
//! memory is exported, imported into SQLite, exported, imported into
//! PostgreSQL, exported, imported into memory and exported again; all four
//! exports are byte-identical, named engine states included. Skipped (saying
//! so) without `CRM_PG_URL`.

mod support;

use chrono::{Duration, TimeZone, Utc};
use crm_core::access::Actor;
use crm_core::store::{ChangeSet, MemoryStore, StateWrite};
use crm_core::{
    ActivityKind, Config, ConvertLead, Crm, DealFromLead, EntityKind, FieldSchema, FieldValue,
    FixedClock, Grantee, Money, NewActivity, NewLead, NewTask, NewTicket, SeededIds, ShareAccess,
    Store, TeamId, TeamInput, UserId, UserInput, backup,
};
use crm_sqlite::SqliteStore;
use rust_decimal::Decimal;
use serde_json::json;
use support::{SchemaStore, pg_url, report};

/// Enough deals that the backup spans several import pages (1,000 lines).
const DEALS: usize = 100;

fn config() -> Config {
    Config {
        fields: FieldSchema::from_json(
            r#"{"lead": [{"key": "budget", "type": "decimal"}, {"key": "note", "type": "text"}]}"#,
        )
        .unwrap(),
        ..Config::default()
    }
}

/// A store with every kind of record, multi-record commands, money, custom
/// values, shares, sequences and outbox messages in every state.
fn build() -> MemoryStore {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let mut crm = Crm::new(
        MemoryStore::new(),
        config(),
        clock.clone(),
        SeededIds::new(7),
    )
    .unwrap();
    let admin = Actor::new(UserId::new("admin").unwrap()).with_role("admin");
    let team = TeamId::new("north").unwrap();
    crm.save_team(
        &admin,
        TeamInput {
            id: team.clone(),
            name: "North".into(),
            region: Some("north".into()),
            supervisor: Some(UserId::new("sue").unwrap()),
        },
    )
    .unwrap();
    let mut ana = UserInput::new(UserId::new("ana").unwrap(), "Ana");
    ana.team = Some(team.clone());
    ana.roles = vec!["sales".into()];
    crm.save_user(&admin, ana).unwrap();
    for n in 0..DEALS {
        clock.advance(Duration::minutes(7) + Duration::microseconds(n as i64 * 13));
        let mut custom = crm_core::CustomFields::new();
        custom.insert(
            "budget".into(),
            FieldValue::Decimal(Decimal::new(1_000_050 + n as i64, 2)),
        );
        custom.insert(
            "note".into(),
            FieldValue::Text(format!("Grüße \"{n}\" 你好")),
        );
        let lead = crm
            .create_lead(
                &admin,
                NewLead {
                    company: Some(format!("Firma {n} GmbH")),
                    contact_name: Some(format!("Person {n}")),
                    email: Some(format!("person{n}@example.com")),
                    phone: Some(format!("+49 30 555 {n:04}")),
                    owner: Some(UserId::new("ana").unwrap()),
                    custom,
                    ..NewLead::default()
                },
            )
            .unwrap();
        crm.log_activity(
            &admin,
            NewActivity::new(ActivityKind::Call, lead.id, "Called.\nTwo lines."),
        )
        .unwrap();
        if n % 4 == 3 {
            crm.discard_lead(&admin, lead.id, "no budget").unwrap();
            continue;
        }
        crm.qualify_lead(&admin, lead.id).unwrap();
        let made = crm
            .convert_lead(
                &admin,
                lead.id,
                ConvertLead {
                    opportunity: Some(DealFromLead {
                        expected_amount: Some(
                            Money::parse(&format!("{}.5", 1000 + n), "EUR").unwrap(),
                        ),
                        ..DealFromLead::default()
                    }),
                    ..ConvertLead::default()
                },
            )
            .unwrap();
        let deal = made.opportunity.unwrap();
        crm.advance_opportunity(&admin, deal, None).unwrap();
        if n % 2 == 0 {
            let (_, contract) = crm.win_opportunity(&admin, deal).unwrap();
            crm.sign_contract(&admin, contract.id).unwrap();
        }
        if n % 5 == 0 {
            crm.share(
                &admin,
                made.customer,
                Grantee::Team(team.clone()),
                ShareAccess::Read,
            )
            .unwrap();
            let ticket = crm
                .open_ticket(
                    &admin,
                    NewTicket {
                        subject: format!("Ticket {n}"),
                        customer: Some(made.customer),
                        ..NewTicket::default()
                    },
                )
                .unwrap();
            crm.create_task(
                &admin,
                NewTask {
                    title: format!("Follow ticket {n}"),
                    related: Some(ticket.id.into()),
                    due_at: Some(crm.now() + Duration::days(2)),
                    ..NewTask::default()
                },
            )
            .unwrap();
        }
    }
    // Outbox messages acknowledged, leased, and untouched.
    let taken = crm.take_outbox(10).unwrap();
    crm.ack_outbox(&taken.iter().take(4).map(|m| m.id).collect::<Vec<_>>())
        .unwrap();
    let mut store = crm.into_store();
    add_states(&mut store);
    store
}

/// Named engine states beside whatever the engine keeps itself: names in
/// every byte range, values of every JSON kind, versions counted up.
fn add_states(store: &mut MemoryStore) {
    let names = ["test.assignment", "test.B", "test.ä", "test.quota 1"];
    for round in 0..3u64 {
        let mut changes = ChangeSet::default();
        for (n, name) in names.iter().enumerate() {
            let expected = store.state(name).unwrap().map_or(0, |s| s.version);
            if n as u64 > round + 1 {
                continue;
            }
            changes.states.push(StateWrite {
                name: name.to_string(),
                value: json!({
                    "round": round,
                    "members": ["ana", "bo"],
                    "given": {"ana": round * 2, "bo": null},
                    "text": "Grüße \"x\" 你好\n",
                    "big": u64::MAX - round,
                    "neg": -42,
                    "ok": true,
                }),
                expected_version: expected,
                entity: EntityKind::Lead,
            });
        }
        store.commit(changes).unwrap();
    }
}

fn export(store: &impl Store) -> Vec<u8> {
    let mut out = Vec::new();
    backup::export(store, &mut out).unwrap();
    out
}

#[test]
fn memory_sqlite_postgres_memory_round_trip_is_byte_identical() {
    let Some(url) = pg_url() else { return };
    let source = build();
    let original = export(&source);
    let lines = original.iter().filter(|b| **b == b'\n').count();
    assert!(
        lines > 1_000,
        "only {lines} lines: the import would not page"
    );

    let dir = std::env::temp_dir().join(format!("crm-round-trip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut sqlite = SqliteStore::open(dir.join("crm.db")).unwrap();
    backup::import(&mut sqlite, original.as_slice()).unwrap();
    let from_sqlite = export(&sqlite);
    drop(sqlite);
    std::fs::remove_dir_all(&dir).unwrap();

    let mut postgres = SchemaStore::new(&url, "round_trip");
    backup::import(&mut postgres, from_sqlite.as_slice()).unwrap();
    let from_postgres = export(&postgres);

    let mut memory = MemoryStore::new();
    backup::import(&mut memory, from_postgres.as_slice()).unwrap();
    let back_in_memory = export(&memory);
    assert_eq!(
        memory.states().unwrap(),
        source.states().unwrap(),
        "the states changed on the way"
    );
    assert!(
        source.states().unwrap().iter().any(|s| s.version == 3),
        "the states were not counted up"
    );

    assert!(
        original == from_sqlite,
        "memory -> SQLite changed the backup"
    );
    assert!(
        from_sqlite == from_postgres,
        "SQLite -> PostgreSQL changed the backup"
    );
    assert!(
        from_postgres == back_in_memory,
        "PostgreSQL -> memory changed the backup"
    );
    report(&format!(
        "round trip memory -> SQLite -> PostgreSQL -> memory: {lines} lines, {} bytes, identical",
        original.len()
    ));
}
