//! The store conformance suite: one set of checks, written once against
//! [`Store`], that every backend runs against itself.
//!
//! A backend's tests call [`store_conformance_tests!`](crate::store_conformance_tests)
//! with an expression that makes a fresh, empty store; it expands to one
//! `#[test]` per check. Each check panics (through `assert!`) when the store
//! breaks the [`Store`] contract.
//!
//! ```
//! # mod t {
//! use crm_core::store::MemoryStore;
//! crm_core::store_conformance_tests!(MemoryStore::new());
//! # }
//! ```

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::error::Error;
use crate::event::{Event, FieldChange, OutboxMessage};
use crate::model::{
    Activity, ActivityKind, AnyRecord, Campaign, CampaignId, Contact, ContactId, Contract,
    ContractId, Conversion, Customer, CustomerId, CustomerKind, EntityKind, EventId, FieldValue,
    Grantee, Lead, LeadId, Meta, Money, Opportunity, OpportunityId, PointsEntry, PointsEntryId,
    PointsKind, Record, RecordKey, Share, ShareAccess, Task, TaskId, TaskLogEntry, TaskPriority,
    Team, TeamId, Ticket, TicketId, TicketPriority, User, UserId,
};
use crate::store::{ChangeSet, Query, Restore, State, StateWrite, Store};

/// Expands to one `#[test]` per conformance check, each on a fresh store made
/// by `$make` (an expression evaluated once per test).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            put_and_get,
            creating_twice_conflicts,
            stale_writes_conflict_and_change_nothing,
            change_sets_are_atomic,
            one_record_twice_is_refused,
            every_kind_round_trips,
            queries_filter_and_order,
            history_and_event_log,
            outbox_leases_and_acks,
            sequences_count_up,
            backups_round_trip,
            outbox_ids_are_unique,
            queries_agree_with_memory,
            commits_agree_with_memory,
            states_count_versions,
            stale_states_conflict_and_change_nothing,
            states_come_ordered_by_name,
            states_are_restored
        );
    };
    (@each $make:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                let mut store = $make;
                $crate::store::conformance::$check(&mut store);
            }
        )*
    };
}

/// Runs every check, each on a fresh store from `make`.
pub fn run_all<S: Store>(mut make: impl FnMut() -> S) {
    put_and_get(&mut make());
    creating_twice_conflicts(&mut make());
    stale_writes_conflict_and_change_nothing(&mut make());
    change_sets_are_atomic(&mut make());
    one_record_twice_is_refused(&mut make());
    every_kind_round_trips(&mut make());
    queries_filter_and_order(&mut make());
    history_and_event_log(&mut make());
    outbox_leases_and_acks(&mut make());
    sequences_count_up(&mut make());
    backups_round_trip(&mut make());
    outbox_ids_are_unique(&mut make());
    queries_agree_with_memory(&mut make());
    commits_agree_with_memory(&mut make());
    states_count_versions(&mut make());
    stale_states_conflict_and_change_nothing(&mut make());
    states_come_ordered_by_name(&mut make());
    states_are_restored(&mut make());
}

/// A fixed instant, `minutes` after 2026-01-05 09:00 UTC.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(minutes)
}

fn uuid(n: u128) -> Uuid {
    // A valid v7 layout with a fixed time, counting in the low bits.
    Uuid::from_u128(0x0194_3b7a_0000_7000_8000_0000_0000_0000 | n)
}

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap_or_else(|e| panic!("{e}"))
}

fn meta() -> Meta {
    Meta::new(at(0), user("tester"))
}

/// A lead numbered `n` with an owner (or in the pool), a phone and an email
/// derived from `n`.
pub fn sample_lead(n: u128, owner: Option<&str>) -> Lead {
    Lead {
        id: LeadId::from_uuid(uuid(n)),
        meta: meta(),
        status: "new".into(),
        source: Some("web".into()),
        channel: None,
        campaign: Some("spring fair".into()),
        company: Some(format!("Company {n}")),
        contact_name: Some(format!("Person {n}")),
        title: None,
        phone: Some(format!("+44 20 7946 {:04}", n % 10_000)),
        email: Some(format!("person{n}@example.com")),
        region: Some("north".into()),
        product_line: None,
        owner: owner.map(user),
        team: Some(TeamId::new("east").unwrap_or_else(|e| panic!("{e}"))),
        quality_score: Some(50),
        assigned_at: None,
        first_contact_due_at: None,
        first_contacted_at: None,
        next_follow_up_at: None,
        discard_reason: None,
        conversion: None,
        custom: Default::default(),
    }
}

fn new_event(n: u128, entity: RecordKey, action: &str) -> Event {
    Event {
        id: EventId::from_uuid(uuid(1_000_000 + n)),
        seq: 0,
        at: at(n as i64),
        actor: user("tester"),
        entity,
        action: action.into(),
        from: None,
        to: Some("new".into()),
        reason: None,
        changes: vec![FieldChange {
            field: "status".into(),
            old: serde_json::Value::Null,
            new: json!("new"),
        }],
        payload: json!({"n": n as u64}),
    }
}

fn new_message(n: u128, entity: RecordKey) -> OutboxMessage {
    OutboxMessage {
        id: EventId::from_uuid(uuid(2_000_000 + n)),
        created_at: at(n as i64),
        event: EventId::from_uuid(uuid(1_000_000 + n)),
        topic: "notify".into(),
        record: entity,
        recipient: Some(user("ana")),
        payload: json!({"template": "t"}),
        attempts: 0,
        leased_until: None,
        acked_at: None,
    }
}

fn create<S: Store>(store: &mut S, record: impl Record) {
    let mut changes = ChangeSet::default();
    changes.write(record.into_any(), 0);
    store
        .commit(changes)
        .unwrap_or_else(|e| panic!("create: {e}"));
}

fn get<S: Store>(store: &S, key: &RecordKey) -> Option<AnyRecord> {
    store.get(key).unwrap_or_else(|e| panic!("get: {e}"))
}

fn query<S: Store>(store: &S, query: &Query) -> Vec<RecordKey> {
    store
        .query(query)
        .unwrap_or_else(|e| panic!("query: {e}"))
        .iter()
        .map(AnyRecord::key)
        .collect()
}

fn state_write(name: &str, value: serde_json::Value, expected_version: u64) -> StateWrite {
    StateWrite {
        name: name.into(),
        value,
        expected_version,
        entity: EntityKind::Lead,
    }
}

fn state<S: Store>(store: &S, name: &str) -> Option<State> {
    store.state(name).unwrap_or_else(|e| panic!("state: {e}"))
}

fn states<S: Store>(store: &S) -> Vec<State> {
    store.states().unwrap_or_else(|e| panic!("states: {e}"))
}

/// A state value with what JSON can hold: nesting, text beyond ASCII and
/// quotes, large and negative integers, booleans and nulls.
fn rich_value(n: u64) -> serde_json::Value {
    json!({
        "rules": {"round_robin": {"next": n, "members": ["ana", "bo", "cy"]}},
        "given_today": {"ana": n * 3, "bo": 0},
        "day": "2026-01-05",
        "note": "Grüße, 你好 \"quoted\" 'x'; DROP TABLE states; --",
        "big": u64::MAX - n,
        "negative": -9_007_199_254_740_993_i64,
        "flags": [true, false, null],
        "empty": {}
    })
}

/// A record written comes back equal, at version 1; a missing key reads as `None`.
pub fn put_and_get<S: Store>(store: &mut S) {
    let lead = sample_lead(1, Some("ana"));
    create(store, lead.clone());
    let mut expected = lead.clone();
    expected.meta.version = 1;
    assert_eq!(get(store, &lead.key()), Some(AnyRecord::Lead(expected)));
    assert_eq!(get(store, &sample_lead(2, None).key()), None);
}

/// Creating a record that exists is a conflict naming the stored version.
pub fn creating_twice_conflicts<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    create(store, lead.clone());
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    match store.commit(changes) {
        Err(Error::Conflict {
            entity,
            expected_version,
            found,
            ..
        }) => {
            assert_eq!(entity, EntityKind::Lead);
            assert_eq!(expected_version, 0);
            assert_eq!(found, Some(1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// A write based on an old version (or on a record that does not exist) is a
/// conflict, and neither the record, the events nor the outbox change.
pub fn stale_writes_conflict_and_change_nothing<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    create(store, lead.clone());
    let mut v2 = lead.clone();
    v2.status = "contacted".into();
    let mut changes = ChangeSet::default();
    changes.write(v2.clone().into_any(), 1);
    store
        .commit(changes)
        .unwrap_or_else(|e| panic!("update: {e}"));

    let mut stale = lead.clone();
    stale.status = "discarded".into();
    let mut changes = ChangeSet::default();
    changes.write(stale.into_any(), 1);
    changes.events.push(new_event(1, lead.key(), "discard"));
    changes.outbox.push(new_message(1, lead.key()));
    match store.commit(changes) {
        Err(Error::Conflict {
            expected_version: 1,
            found: Some(2),
            ..
        }) => {}
        other => panic!("expected a conflict at version 2, got {other:?}"),
    }
    match get(store, &lead.key()) {
        Some(AnyRecord::Lead(stored)) => {
            assert_eq!(stored.status, "contacted");
            assert_eq!(stored.meta.version, 2);
        }
        other => panic!("lead lost: {other:?}"),
    }
    assert!(
        store
            .history(&lead.key())
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert!(
        store
            .take_outbox(at(0), 10, Duration::minutes(5))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );

    let ghost = sample_lead(9, None);
    let mut changes = ChangeSet::default();
    changes.write(ghost.clone().into_any(), 3);
    match store.commit(changes) {
        Err(Error::Conflict {
            expected_version: 3,
            found: None,
            ..
        }) => {}
        other => panic!("expected a conflict with no record, got {other:?}"),
    }
    assert_eq!(get(store, &ghost.key()), None);
}

/// When one write of a change set conflicts, the others are not applied either.
pub fn change_sets_are_atomic<S: Store>(store: &mut S) {
    let existing = sample_lead(1, None);
    create(store, existing.clone());
    let fresh = sample_lead(2, None);
    let mut changes = ChangeSet::default();
    changes.write(fresh.clone().into_any(), 0);
    changes.write(existing.clone().into_any(), 0);
    changes.events.push(new_event(1, fresh.key(), "create"));
    changes.outbox.push(new_message(1, fresh.key()));
    assert!(matches!(store.commit(changes), Err(Error::Conflict { .. })));
    assert_eq!(get(store, &fresh.key()), None);
    assert!(
        store
            .events_after(0, 100)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert!(
        store
            .take_outbox(at(0), 10, Duration::minutes(5))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
}

/// Two writes of one record in one change set are refused, and nothing is written.
pub fn one_record_twice_is_refused<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    let other = sample_lead(2, None);
    let mut changes = ChangeSet::default();
    changes.write(other.clone().into_any(), 0);
    changes.write(lead.clone().into_any(), 0);
    changes.write(lead.clone().into_any(), 0);
    let err = store
        .commit(changes)
        .expect_err("a record written twice must be refused");
    assert_eq!(err.kind(), crate::ErrorKind::Validation, "{err}");
    assert_eq!(get(store, &lead.key()), None);
    assert_eq!(get(store, &other.key()), None);
}

/// One record of every kind, with money, dates, custom values, shares and
/// nested lists, comes back exactly as written.
pub fn every_kind_round_trips<S: Store>(store: &mut S) {
    let records = every_kind();
    for record in &records {
        let mut changes = ChangeSet::default();
        changes.write(record.clone(), 0);
        store
            .commit(changes)
            .unwrap_or_else(|e| panic!("create {}: {e}", record.kind()));
    }
    for record in records {
        let mut expected = record.clone();
        expected.meta_mut().version = 1;
        assert_eq!(
            get(store, &record.key()),
            Some(expected),
            "{}",
            record.kind()
        );
    }
}

/// One record of every kind, filled in as fully as possible.
pub fn every_kind() -> Vec<AnyRecord> {
    let eur = |amount: i64| {
        Money::new(
            Decimal::new(amount, 2),
            "EUR".parse().unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let team = TeamId::new("east").unwrap_or_else(|e| panic!("{e}"));
    let mut full_meta = meta();
    full_meta.shares = vec![
        Share {
            grantee: Grantee::User(user("bo")),
            access: ShareAccess::Read,
        },
        Share {
            grantee: Grantee::Team(team.clone()),
            access: ShareAccess::Edit,
        },
    ];
    full_meta.updated_at = at(90) + Duration::microseconds(123_456);
    let customer_id = CustomerId::from_uuid(uuid(10));
    let contact_id = ContactId::from_uuid(uuid(11));
    let opportunity_id = OpportunityId::from_uuid(uuid(12));
    let contract_id = ContractId::from_uuid(uuid(13));
    let mut lead = sample_lead(14, Some("ana"));
    lead.meta = full_meta.clone();
    lead.status = "converted".into();
    lead.first_contact_due_at = Some(at(60 * 24));
    lead.next_follow_up_at = Some(at(60 * 72));
    lead.conversion = Some(Conversion {
        customer: customer_id,
        contact: contact_id,
        opportunity: Some(opportunity_id),
    });
    lead.custom.insert(
        "budget".into(),
        FieldValue::Decimal(Decimal::new(1_250_000, 2)),
    );
    lead.custom.insert("seats".into(), FieldValue::Number(-12));
    lead.custom
        .insert("since".into(), FieldValue::Date(at(0).date_naive()));
    lead.custom.insert("vip".into(), FieldValue::Bool(true));
    lead.custom
        .insert("size".into(), FieldValue::Choice("large".into()));
    lead.custom.insert(
        "note".into(),
        FieldValue::Text("Grüße, 你好 \"quoted\" 'x'; DROP TABLE".into()),
    );
    vec![
        AnyRecord::Customer(Customer {
            id: customer_id,
            meta: full_meta.clone(),
            kind: CustomerKind::Company,
            name: "Müller & Söhne GmbH".into(),
            stage: "active".into(),
            stage_since: Some(at(1)),
            tier: Some(crate::model::Tier::A),
            owner: Some(user("ana")),
            team: Some(team.clone()),
            region: Some("north".into()),
            industry: Some("machinery".into()),
            tags: vec!["key".into(), "export".into()],
            phone: Some("+49 30 1234567".into()),
            email: Some("info@example.de".into()),
            source_lead: Some(lead.id),
            time_zone: Some("Europe/Berlin".into()),
            segment: Some("champions".into()),
            last_contact_at: Some(at(30)),
            loyalty: Some({
                let mut account = crate::loyalty::Membership::new(at(2));
                account
                    .credit(
                        PointsEntryId::from_uuid(uuid(18)),
                        120,
                        at(2),
                        Some(at(9000)),
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
                account.level = Some("gold".into());
                account.level_since = Some(at(2));
                account.window.push(crate::loyalty::WindowItem {
                    at: at(2),
                    points: 120,
                    spend: Decimal::new(12_050, 2),
                });
                account.next_check_at = Some(at(9000));
                account
            }),
            care_done: [("birthday".to_string(), "2026-03-14".to_string())].into(),
            custom: lead.custom.clone(),
        }),
        AnyRecord::Contact(Contact {
            id: contact_id,
            meta: meta(),
            customer: customer_id,
            name: "Jana Müller".into(),
            title: Some("CFO".into()),
            phones: vec!["+49 30 1234568".into(), "030 555".into()],
            emails: vec!["jana@example.de".into()],
            owner: Some(user("ana")),
            team: None,
            custom: Default::default(),
        }),
        AnyRecord::Lead(lead),
        AnyRecord::Opportunity(Opportunity {
            id: opportunity_id,
            meta: meta(),
            name: "50 machines".into(),
            stage: "won".into(),
            customer: customer_id,
            contact: Some(contact_id),
            lead: None,
            owner: Some(user("ana")),
            team: Some(team.clone()),
            product_line: Some("presses".into()),
            expected_amount: Some(eur(12_345_678)),
            expected_close_date: Some(at(0).date_naive()),
            probability: 100,
            lost_reason: None,
            contract: Some(contract_id),
            closed_at: Some(at(5)),
            custom: Default::default(),
            quotes: Vec::new(),
        }),
        AnyRecord::Contract(Contract {
            id: contract_id,
            meta: meta(),
            number: "C-000001".into(),
            status: "signed".into(),
            customer: customer_id,
            opportunity: Some(opportunity_id),
            owner: Some(user("ana")),
            team: None,
            amount: eur(12_345_678),
            signed_at: Some(at(7)),
            ended_at: None,
            termination_reason: None,
            custom: Default::default(),
            payment_plan: None,
            quote_version: None,
            lines: Vec::new(),
        }),
        AnyRecord::Ticket(Ticket {
            id: TicketId::from_uuid(uuid(15)),
            meta: meta(),
            subject: "Press 4 leaks oil".into(),
            status: "reopened".into(),
            priority: TicketPriority::Urgent,
            category: Some("repair".into()),
            channel: Some("phone".into()),
            customer: Some(customer_id),
            contact: Some(contact_id),
            group: Some(team.clone()),
            assignee: Some(user("bo")),
            resolution: Some("replaced seal".into()),
            reopen_count: 2,
            resolved_at: Some(at(30)),
            closed_at: None,
            custom: Default::default(),
            contract: Some(contract_id),
            order: Some("SO-4711".into()),
            warranty_until: Some(at(0).date_naive()),
            out_of_scope: Some("the warranty ended on 2026-01-05".into()),
            sla: None,
            survey: Some(crate::model::Survey {
                due_at: at(40),
                answered_at: Some(at(41)),
                csat: Some(2),
                nps: Some(0),
                feedback: Some(crate::model::FeedbackKind::Complaint),
                comment: Some("Still leaks.".into()),
                follow_up: None,
            }),
        }),
        AnyRecord::Activity(Activity {
            id: crate::model::ActivityId::from_uuid(uuid(16)),
            meta: meta(),
            kind: ActivityKind::Visit,
            subject: RecordKey::from(customer_id),
            summary: "Visited the plant.\nTwo lines.".into(),
            occurred_at: at(3),
            by: user("ana"),
            team: Some(team.clone()),
            next_follow_up_at: Some(at(60 * 24 * 3)),
            custom: Default::default(),
        }),
        AnyRecord::Task(Task {
            id: TaskId::from_uuid(uuid(17)),
            meta: meta(),
            title: "Prepare the quote".into(),
            description: None,
            status: "in_progress".into(),
            priority: TaskPriority::Urgent,
            assignee: Some(user("bo")),
            team: None,
            due_at: Some(at(120)),
            related: Some(RecordKey::from(opportunity_id)),
            log: vec![TaskLogEntry {
                at: at(4),
                by: user("bo"),
                note: "started".into(),
            }],
            custom: Default::default(),
        }),
        AnyRecord::User(User {
            id: user("ana"),
            meta: meta(),
            name: "Ana".into(),
            email: Some("ana@example.com".into()),
            team: Some(team.clone()),
            region: Some("north".into()),
            product_lines: vec!["presses".into()],
            roles: vec!["sales".into()],
            active: false,
            away: vec![crate::model::Absence {
                from: at(5),
                until: at(6),
                reason: Some("holiday".into()),
            }],
            custom: Default::default(),
        }),
        AnyRecord::Team(Team {
            id: team,
            meta: meta(),
            name: "East".into(),
            region: None,
            supervisor: Some(user("sue")),
            custom: Default::default(),
        }),
        AnyRecord::PointsEntry(PointsEntry {
            id: PointsEntryId::from_uuid(uuid(19)),
            meta: meta(),
            customer: customer_id,
            owner: Some(user("ana")),
            team: None,
            kind: PointsKind::Redeem,
            points: -40,
            balance: 80,
            at: at(7),
            expires_at: None,
            reference: Some("gift:mug".into()),
            amount: Some(eur(-1999)),
            rule: Some("mug".into()),
            reason: Some("a mug, Grüße".into()),
            lots: vec![crate::loyalty::LotUse {
                entry: PointsEntryId::from_uuid(uuid(18)),
                points: 40,
            }],
            custom: Default::default(),
        }),
        AnyRecord::Campaign(Campaign {
            id: CampaignId::from_uuid(uuid(20)),
            meta: meta(),
            name: "Win back spring".into(),
            action: Some("call with a 10 % offer".into()),
            owner: Some(user("ana")),
            team: Some(TeamId::new("east").unwrap_or_else(|e| panic!("{e}"))),
            segment: crate::assign::Condition::from_value(
                &serde_json::json!({"field": "stage", "in": ["at_risk", "dormant"]}),
                "segment",
            )
            .unwrap_or_else(|e| panic!("{e}")),
            launched_at: at(8),
            holdout_percent: Decimal::new(125, 1),
            seed: u64::MAX,
            window_days: 30,
            members: vec![crate::model::CampaignMember {
                customer: customer_id,
                holdout: false,
                contacted_at: Some(at(9)),
                contacted_by: Some(user("ana")),
            }],
            custom: Default::default(),
        }),
    ]
}

/// Each query condition filters as [`Query::matches`] says, results come
/// ordered by id, and the limit holds.
pub fn queries_filter_and_order<S: Store>(store: &mut S) {
    let mut leads = Vec::new();
    for n in [5u128, 3, 1, 4, 2] {
        let mut lead = sample_lead(n, if n % 2 == 0 { Some("ana") } else { None });
        if n == 4 {
            lead.status = "contacted".into();
            lead.team = None;
        }
        lead.first_contact_due_at = Some(at(n as i64 * 10));
        create(store, lead.clone());
        leads.push(lead);
    }
    leads.sort_by_key(|lead| lead.id);
    let key = |n: u128| sample_lead(n, None).key();
    // A record of another kind never shows up.
    let mut contact = match every_kind()
        .into_iter()
        .find(|r| r.kind() == EntityKind::Contact)
    {
        Some(AnyRecord::Contact(contact)) => contact,
        _ => unreachable!(),
    };
    contact.customer = CustomerId::from_uuid(uuid(10));
    create(store, contact.clone());

    assert_eq!(
        query(store, &Query::new(EntityKind::Lead)),
        (1..=5).map(key).collect::<Vec<_>>()
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).owner(user("ana"))),
        vec![key(2), key(4)]
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).unowned()),
        vec![key(1), key(3), key(5)]
    );
    let east = TeamId::new("east").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).team(east)),
        vec![key(1), key(2), key(3), key(5)]
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).status("contacted")),
        vec![key(4)]
    );
    assert_eq!(
        query(
            store,
            &Query::new(EntityKind::Lead)
                .status("contacted")
                .status("new")
                .limit(2)
        ),
        vec![key(1), key(2)]
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).due_before(at(30))),
        vec![key(1), key(2)]
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Lead).phone("+442079460003")),
        vec![key(3)]
    );
    assert_eq!(
        query(
            store,
            &Query::new(EntityKind::Lead).email(" PERSON5@example.com")
        ),
        vec![key(5)]
    );
    assert!(
        query(
            store,
            &Query::new(EntityKind::Lead).email("nobody@example.com")
        )
        .is_empty()
    );
    assert_eq!(
        query(
            store,
            &Query::new(EntityKind::Contact)
                .parent(RecordKey::from(CustomerId::from_uuid(uuid(10))))
        ),
        vec![contact.key()]
    );
    assert_eq!(
        query(store, &Query::new(EntityKind::Contact).phone("030 555")),
        vec![contact.key()]
    );
    assert!(query(store, &Query::new(EntityKind::Ticket)).is_empty());
}

/// Events come back per record in commit order, and the whole log pages by
/// `seq` without gaps.
pub fn history_and_event_log<S: Store>(store: &mut S) {
    let a = sample_lead(1, None);
    let b = sample_lead(2, None);
    let mut changes = ChangeSet::default();
    changes.write(a.clone().into_any(), 0);
    changes.write(b.clone().into_any(), 0);
    changes.events.push(new_event(1, a.key(), "create"));
    changes.events.push(new_event(2, b.key(), "create"));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let mut changes = ChangeSet::default();
    changes.events.push(new_event(3, a.key(), "qualify"));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));

    let history = store.history(&a.key()).unwrap_or_else(|e| panic!("{e}"));
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "qualify"]);
    assert_eq!(
        history[0],
        Event {
            seq: 1,
            ..new_event(1, a.key(), "create")
        }
    );
    assert_eq!(history[1].seq, 3);

    let all = store.events_after(0, 100).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let page = store.events_after(1, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].seq, 2);
    assert!(
        store
            .events_after(3, 10)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
}

/// Outbox messages are taken oldest first, leased, handed out again once the
/// lease runs out (with `attempts` counted), and never again once acknowledged.
pub fn outbox_leases_and_acks<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    for n in 1..=3 {
        changes.outbox.push(new_message(n, lead.key()));
    }
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let lease = Duration::minutes(5);
    let first = store
        .take_outbox(at(0), 2, lease)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        first.iter().map(|m| m.id).collect::<Vec<_>>(),
        [new_message(1, lead.key()).id, new_message(2, lead.key()).id]
    );
    assert_eq!(first[0].attempts, 1);
    assert_eq!(first[0].leased_until, Some(at(5)));
    // Leased messages are not handed out again while the lease runs.
    let second = store
        .take_outbox(at(1), 10, lease)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, new_message(3, lead.key()).id);
    assert_eq!(
        store
            .ack_outbox(&[first[0].id], at(2))
            .unwrap_or_else(|e| panic!("{e}")),
        1
    );
    assert_eq!(
        store
            .ack_outbox(&[first[0].id], at(2))
            .unwrap_or_else(|e| panic!("{e}")),
        0
    );
    // After the lease, the unacknowledged one comes back; the acknowledged one never does.
    let again = store
        .take_outbox(at(5), 10, lease)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, first[1].id);
    assert_eq!(again[0].attempts, 2);
    let unknown = EventId::from_uuid(uuid(999));
    let err = store
        .ack_outbox(&[again[0].id, unknown], at(6))
        .expect_err("unknown id");
    assert_eq!(err.kind(), crate::ErrorKind::Validation);
    // The failed ack marked nothing.
    assert_eq!(
        store
            .ack_outbox(&[again[0].id], at(6))
            .unwrap_or_else(|e| panic!("{e}")),
        1
    );
}

/// Sequences count from 1, each on its own.
pub fn sequences_count_up<S: Store>(store: &mut S) {
    let mut next = |name: &str| store.next_number(name).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next("contract"), 1);
    assert_eq!(next("contract"), 2);
    assert_eq!(next("invoice"), 1);
    assert_eq!(next("contract"), 3);
}

/// A backup of a store holding every kind of item (records of every kind,
/// events, leased and acknowledged outbox messages, sequences), imported into
/// this store, exports to the same bytes; importing it again is refused and
/// changes nothing.
pub fn backups_round_trip<S: Store>(store: &mut S) {
    let mut source = crate::store::MemoryStore::new();
    let mut changes = ChangeSet::default();
    for (n, record) in every_kind().into_iter().enumerate() {
        changes
            .events
            .push(new_event(n as u128, record.key(), "create"));
        changes.outbox.push(new_message(n as u128, record.key()));
        changes.write(record, 0);
    }
    source.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let taken = source
        .take_outbox(at(1), 2, Duration::minutes(5))
        .unwrap_or_else(|e| panic!("{e}"));
    source
        .ack_outbox(&[taken[0].id], at(2))
        .unwrap_or_else(|e| panic!("{e}"));
    source
        .next_number("contract")
        .unwrap_or_else(|e| panic!("{e}"));
    source
        .next_number("contract")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut changes = ChangeSet::default();
    changes
        .states
        .push(state_write("assignment", rich_value(1), 0));
    changes.states.push(state_write("a", json!([1, "x"]), 0));
    source.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let mut changes = ChangeSet::default();
    changes
        .states
        .push(state_write("assignment", rich_value(2), 1));
    source.commit(changes).unwrap_or_else(|e| panic!("{e}"));

    let kinds = every_kind().len();
    let mut original = Vec::new();
    crate::backup::export(&source, &mut original).unwrap_or_else(|e| panic!("export: {e}"));
    let stats =
        crate::backup::import(store, original.as_slice()).unwrap_or_else(|e| panic!("import: {e}"));
    assert_eq!(
        (
            stats.records,
            stats.events,
            stats.outbox,
            stats.sequences,
            stats.states
        ),
        (kinds, kinds, kinds, 1, 2)
    );
    assert_eq!(
        state(store, "assignment"),
        Some(State {
            name: "assignment".into(),
            version: 2,
            value: rich_value(2),
        })
    );
    let mut copy = Vec::new();
    crate::backup::export(store, &mut copy).unwrap_or_else(|e| panic!("export: {e}"));
    assert!(
        original == copy,
        "the store's backup differs from the one imported"
    );
    // The imported outbox keeps its state: the acknowledged message is done, the leased one still leased.
    let free = store
        .take_outbox(at(3), 100, Duration::minutes(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(free.len(), kinds - 2);
    let err =
        crate::backup::import(store, original.as_slice()).expect_err("importing twice must fail");
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert_eq!(
        state(store, "assignment").map(|s| s.version),
        Some(2),
        "a refused import changed a state"
    );
    assert_eq!(
        store
            .next_number("contract")
            .unwrap_or_else(|e| panic!("{e}")),
        3
    );
}

/// An outbox message whose id is taken (in the store or twice in one change
/// set) is refused, and nothing of its change set is written; a lease that runs
/// past the last representable time is refused.
pub fn outbox_ids_are_unique<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    changes.outbox.push(new_message(1, lead.key()));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    changes.outbox.push(new_message(1, lead.key()));
    let err = store
        .commit(changes)
        .expect_err("a taken outbox id must be refused");
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["outbox"]),
        "{err}"
    );
    assert_eq!(get(store, &lead.key()), None);
    let mut changes = ChangeSet::default();
    changes.outbox.push(new_message(2, lead.key()));
    changes.outbox.push(new_message(2, lead.key()));
    let err = store
        .commit(changes)
        .expect_err("one id twice must be refused");
    assert_eq!(err.kind(), crate::ErrorKind::Validation, "{err}");
    let err = store
        .take_outbox(at(0), 10, Duration::MAX)
        .expect_err("a lease past the end of time must be refused");
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["lease"]),
        "{err}"
    );
    assert_eq!(
        store
            .take_outbox(at(0), 10, Duration::minutes(5))
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        1
    );
}

/// A small deterministic random stream (SplitMix64) for the checks below:
/// the same cases on every backend and every run.
struct Rng(crate::random::SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn maybe<T>(&mut self, make: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.next() % 2 == 0 {
            None
        } else {
            Some(make(self))
        }
    }
}

const OWNERS: [Option<&str>; 3] = [None, Some("ana"), Some("bo")];
const TEAMS: [Option<&str>; 3] = [None, Some("east"), Some("west")];
const STATUSES: [&str; 3] = ["new", "contacted", "qualified"];
/// Nanoseconds that fall in one microsecond, in the next, or on a whole one:
/// times finer than the microseconds an index column may keep.
const NANOS: [i64; 7] = [0, 1, 500, 999, 1_000, 1_001, 2_500];

fn random_due(rng: &mut Rng) -> DateTime<Utc> {
    at(rng.below(3) as i64) + Duration::nanoseconds(rng.pick(&NANOS))
}

fn phone_number(n: u64) -> String {
    format!("+44 20 7946 {n:04}")
}

fn random_query(rng: &mut Rng) -> Query {
    let mut query = Query::new(if rng.below(3) == 0 {
        EntityKind::Contact
    } else {
        EntityKind::Lead
    });
    match rng.maybe(|rng| rng.pick(&OWNERS)) {
        None => {}
        Some(None) => query = query.unowned(),
        Some(Some(owner)) => query = query.owner(user(owner)),
    }
    if let Some(Some(team)) = rng.maybe(|rng| rng.pick(&TEAMS)) {
        query = query.team(TeamId::new(team).unwrap_or_else(|e| panic!("{e}")));
    }
    for _ in 0..rng.below(3) {
        query = query.status(rng.pick(&STATUSES));
    }
    if let Some(before) = rng.maybe(random_due) {
        query = query.due_before(before);
    }
    if let Some(n) = rng.maybe(|rng| rng.below(5)) {
        query = query.phone(&phone_number(n));
    }
    if let Some(n) = rng.maybe(|rng| rng.below(5)) {
        let suffix = crate::dedupe::normalize::phone_suffix(&phone_number(n))
            .unwrap_or_else(|| panic!("a test phone has digits"));
        query = query.match_key(format!("p:{suffix}"));
    }
    if let Some(customer) = rng.maybe(|rng| rng.below(3)) {
        query = query.parent(RecordKey::from(CustomerId::from_uuid(uuid(
            u128::from(customer) + 1,
        ))));
    }
    if let Some(limit) = rng.maybe(|rng| rng.below(6) as usize) {
        query = query.limit(limit);
    }
    query
}

/// Random leads and contacts (owners, teams, states, due times finer than a
/// microsecond, shared phone numbers, parents) and random queries: the store
/// answers exactly what [`MemoryStore`](crate::store::MemoryStore) answers,
/// record for record, in the same order, within the same limit.
pub fn queries_agree_with_memory<S: Store>(store: &mut S) {
    let mut memory = crate::store::MemoryStore::new();
    let mut rng = Rng(crate::random::SplitMix64(0x5EED_0001));
    let (mut leads, mut contacts) = (0u128, 0u128);
    for _ in 0..24 {
        let mut changes = ChangeSet::default();
        for _ in 0..rng.below(5) {
            leads += 1;
            let mut lead = sample_lead(leads, rng.pick(&OWNERS));
            lead.team = rng
                .pick(&TEAMS)
                .map(|t| TeamId::new(t).unwrap_or_else(|e| panic!("{e}")));
            lead.status = rng.pick(&STATUSES).into();
            lead.first_contact_due_at = rng.maybe(random_due);
            lead.phone = Some(phone_number(rng.below(4)));
            changes.write(lead.into_any(), 0);
        }
        for _ in 0..rng.below(3) {
            contacts += 1;
            let number = phone_number(rng.below(4));
            let contact = Contact {
                id: ContactId::from_uuid(uuid(0x1_0000 + contacts)),
                meta: meta(),
                customer: CustomerId::from_uuid(uuid(u128::from(rng.below(3)) + 1)),
                name: format!("Contact {contacts}"),
                title: None,
                phones: vec![number.clone(), number],
                emails: vec![],
                owner: rng.pick(&OWNERS).map(user),
                team: None,
                custom: Default::default(),
            };
            changes.write(contact.into_any(), 0);
        }
        memory
            .commit(changes.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..6 {
            let query = random_query(&mut rng);
            let expected = memory.query(&query).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                store.query(&query).unwrap_or_else(|e| panic!("{e}")),
                expected,
                "{query:?}"
            );
        }
    }
}

/// What a commit returned, comparably.
fn outcome(result: crate::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(Error::Conflict {
            entity,
            id,
            expected_version,
            found,
        }) => {
            format!("conflict {entity} {id} {expected_version} {found:?}")
        }
        Err(other) => format!("{:?}", other.kind()),
    }
}

/// Random change sets (new records, right and stale versions, a record written
/// twice, named states at right and stale versions or twice, events, sets of
/// states only) get the same answer, error for error, as in
/// [`MemoryStore`](crate::store::MemoryStore), and leave the same records,
/// the same states and the same log.
pub fn commits_agree_with_memory<S: Store>(store: &mut S) {
    let mut memory = crate::store::MemoryStore::new();
    let mut rng = Rng(crate::random::SplitMix64(0x5EED_0002));
    for set in 0..60u128 {
        let mut changes = ChangeSet::default();
        let first = u128::from(rng.below(4)) + 1;
        let states_only = rng.below(4) == 0;
        if !states_only {
            let mut targets = vec![first];
            for _ in 0..rng.below(3) {
                targets.push(u128::from(rng.below(4)) + 1);
            }
            for n in targets {
                let mut lead = sample_lead(n, Some("ana"));
                lead.title = Some(format!("set {set}"));
                changes.write(lead.into_any(), rng.below(3));
            }
        }
        for _ in 0..rng.below(3) {
            let name = rng.pick(&["rr", "quota", "rr.east"]);
            let expected = memory
                .state(name)
                .unwrap_or_else(|e| panic!("{e}"))
                .map_or(0, |s| s.version);
            // Mostly the version stored, sometimes one off.
            let expected = match rng.below(4) {
                0 => expected + 1,
                1 => expected.saturating_sub(1),
                _ => expected,
            };
            changes.states.push(StateWrite {
                name: name.into(),
                value: json!({"set": set as u64, "pick": rng.below(100)}),
                expected_version: expected,
                entity: rng.pick(&[EntityKind::Lead, EntityKind::Ticket]),
            });
        }
        if !states_only {
            changes.events.push(new_event(
                0x3_0000 + set,
                sample_lead(first, None).key(),
                "update",
            ));
        }
        let expected = outcome(memory.commit(changes.clone()));
        assert_eq!(outcome(store.commit(changes)), expected, "change set {set}");
    }
    for n in 1..5u128 {
        let key = sample_lead(n, None).key();
        assert_eq!(
            get(store, &key),
            memory.get(&key).unwrap_or_else(|e| panic!("{e}"))
        );
        assert_eq!(
            store.history(&key).unwrap_or_else(|e| panic!("{e}")),
            memory.history(&key).unwrap_or_else(|e| panic!("{e}"))
        );
    }
    assert_eq!(
        store
            .events_after(0, 1_000)
            .unwrap_or_else(|e| panic!("{e}")),
        memory
            .events_after(0, 1_000)
            .unwrap_or_else(|e| panic!("{e}"))
    );
    assert_eq!(states(store), states(&memory));
    assert!(
        states(&memory).iter().any(|s| s.version > 1),
        "no state was written twice: the check proves little"
    );
}

/// A named state reads as `None` until written; the first write (based on
/// version 0) stores it at version 1 and each later write counts it up; a
/// change set of states alone commits; the value comes back exactly. A write
/// based on another version than the stored one is a conflict naming the
/// write's entity and `state:NAME`, and the same name twice in one change set
/// is refused; either way nothing of the change set is written.
pub fn states_count_versions<S: Store>(store: &mut S) {
    assert_eq!(state(store, "assignment"), None);
    assert!(states(store).is_empty());
    for version in 0..3u64 {
        let mut changes = ChangeSet::default();
        changes
            .states
            .push(state_write("assignment", rich_value(version), version));
        store
            .commit(changes)
            .unwrap_or_else(|e| panic!("state write at version {version}: {e}"));
        assert_eq!(
            state(store, "assignment"),
            Some(State {
                name: "assignment".into(),
                version: version + 1,
                value: rich_value(version),
            })
        );
    }
    // A state written with records, events and outbox messages.
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    changes.events.push(new_event(1, lead.key(), "create"));
    changes.outbox.push(new_message(1, lead.key()));
    changes
        .states
        .push(state_write("assignment", json!(null), 3));
    changes.states.push(state_write("quota", json!(7), 0));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state(store, "assignment").map(|s| s.version), Some(4));
    assert_eq!(
        state(store, "assignment").map(|s| s.value),
        Some(json!(null))
    );
    assert_eq!(
        state(store, "quota").map(|s| (s.version, s.value)),
        Some((1, json!(7)))
    );
    assert_eq!(get(store, &lead.key()).map(|r| r.version()), Some(1));

    let expect_conflict =
        |result: crate::Result<()>, expected: u64, found: Option<u64>| match result {
            Err(Error::Conflict {
                entity: EntityKind::Ticket,
                id,
                expected_version,
                found: met,
            }) => {
                assert_eq!(id, "state:assignment");
                assert_eq!((expected_version, met), (expected, found));
            }
            other => panic!("expected a conflict on state:assignment, got {other:?}"),
        };
    // Stale, ahead, and "new" while it exists.
    for expected in [3, 5, 0] {
        let mut changes = ChangeSet::default();
        changes.states.push(StateWrite {
            entity: EntityKind::Ticket,
            ..state_write("assignment", json!("stale"), expected)
        });
        expect_conflict(store.commit(changes), expected, Some(4));
    }
    // Based on a version of a state that does not exist.
    let mut changes = ChangeSet::default();
    changes.states.push(state_write("ghost", json!(1), 2));
    match store.commit(changes) {
        Err(Error::Conflict {
            entity: EntityKind::Lead,
            id,
            expected_version: 2,
            found: None,
        }) => assert_eq!(id, "state:ghost"),
        other => panic!("expected a conflict with no state, got {other:?}"),
    }
    assert_eq!(state(store, "ghost"), None);
    // One name twice: refused, and the other state of the set is not written.
    let mut changes = ChangeSet::default();
    changes.states.push(state_write("other", json!(1), 0));
    changes.states.push(state_write("assignment", json!(1), 4));
    changes.states.push(state_write("assignment", json!(2), 4));
    let err = store
        .commit(changes)
        .expect_err("a state written twice must be refused");
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["changes"]),
        "{err}"
    );
    assert_eq!(state(store, "other"), None);
    assert_eq!(
        state(store, "assignment").map(|s| (s.version, s.value)),
        Some((4, json!(null)))
    );
    assert_eq!(
        states(store)
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["assignment", "quota"]
    );
}

/// A change set whose state write is stale writes nothing: not its records,
/// events, outbox messages nor its other states; one whose record write is
/// stale leaves its states alone. With both stale, the record is reported.
pub fn stale_states_conflict_and_change_nothing<S: Store>(store: &mut S) {
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    changes.write(lead.clone().into_any(), 0);
    changes
        .states
        .push(state_write("assignment", json!({"next": 1}), 0));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let mut changes = ChangeSet::default();
    changes
        .states
        .push(state_write("assignment", json!({"next": 2}), 1));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let before = state(store, "assignment");
    assert_eq!(before.as_ref().map(|s| s.version), Some(2));

    // A good record write, a fresh record, a good state and a stale one.
    let fresh = sample_lead(2, None);
    let mut v2 = lead.clone();
    v2.status = "contacted".into();
    let mut changes = ChangeSet::default();
    changes.write(v2.clone().into_any(), 1);
    changes.write(fresh.clone().into_any(), 0);
    changes.events.push(new_event(1, lead.key(), "contact"));
    changes.outbox.push(new_message(1, lead.key()));
    changes.states.push(state_write("quota", json!(1), 0));
    changes
        .states
        .push(state_write("assignment", json!({"next": 3}), 1));
    match store.commit(changes) {
        Err(Error::Conflict {
            id,
            expected_version: 1,
            found: Some(2),
            ..
        }) => assert_eq!(id, "state:assignment"),
        other => panic!("expected a conflict on the state, got {other:?}"),
    }
    match get(store, &lead.key()) {
        Some(AnyRecord::Lead(stored)) => {
            assert_eq!(stored.status, "new");
            assert_eq!(stored.meta.version, 1);
        }
        other => panic!("lead lost: {other:?}"),
    }
    assert_eq!(get(store, &fresh.key()), None);
    assert!(
        store
            .events_after(0, 100)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert!(
        store
            .take_outbox(at(0), 10, Duration::minutes(5))
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    assert_eq!(state(store, "quota"), None);
    assert_eq!(state(store, "assignment"), before);

    // A stale record write with a good state write: the state stays.
    let mut stale = lead.clone();
    stale.status = "discarded".into();
    let mut changes = ChangeSet::default();
    changes.write(stale.clone().into_any(), 2);
    changes
        .states
        .push(state_write("assignment", json!({"next": 3}), 2));
    match store.commit(changes) {
        Err(Error::Conflict {
            entity: EntityKind::Lead,
            id,
            expected_version: 2,
            found: Some(1),
        }) => assert_eq!(id, lead.key().id),
        other => panic!("expected a conflict on the lead, got {other:?}"),
    }
    assert_eq!(state(store, "assignment"), before);

    // Both stale: the record's conflict is the one reported.
    let mut changes = ChangeSet::default();
    changes.write(stale.into_any(), 2);
    changes
        .states
        .push(state_write("assignment", json!({"next": 3}), 1));
    match store.commit(changes) {
        Err(Error::Conflict { id, .. }) => assert_eq!(id, lead.key().id),
        other => panic!("expected a conflict on the lead, got {other:?}"),
    }
    assert_eq!(state(store, "assignment"), before);
    assert_eq!(get(store, &lead.key()).map(|r| r.version()), Some(1));

    // Right versions for both: both written.
    let mut changes = ChangeSet::default();
    changes.write(v2.into_any(), 1);
    changes
        .states
        .push(state_write("assignment", json!({"next": 3}), 2));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(store, &lead.key()).map(|r| r.version()), Some(2));
    assert_eq!(
        state(store, "assignment").map(|s| (s.version, s.value)),
        Some((3, json!({"next": 3})))
    );
}

/// [`Store::states`] lists every state by name, in byte order (upper case
/// before lower case, ASCII before other text), each at its own version.
pub fn states_come_ordered_by_name<S: Store>(store: &mut S) {
    let names = ["b", "a.z", "ä", "B", "a", "_", "a.b", "z", "10", "9"];
    for (n, name) in names.iter().enumerate() {
        let mut changes = ChangeSet::default();
        changes
            .states
            .push(state_write(name, json!({"n": n as u64, "name": name}), 0));
        store
            .commit(changes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Count one of them up twice.
    for version in 1..3 {
        let mut changes = ChangeSet::default();
        changes
            .states
            .push(state_write("a.b", json!(version), version));
        store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    }
    let listed = states(store);
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    assert_eq!(
        listed.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        sorted
    );
    assert_eq!(
        sorted,
        ["10", "9", "B", "_", "a", "a.b", "a.z", "b", "z", "ä"]
    );
    for state in &listed {
        let expected = if state.name == "a.b" {
            (3, json!(2))
        } else {
            let n = names.iter().position(|n| *n == state.name).unwrap_or(0);
            (1, json!({"n": n as u64, "name": state.name}))
        };
        assert_eq!(
            (state.version, state.value.clone()),
            expected,
            "{}",
            state.name
        );
        assert_eq!(self::state(store, &state.name).as_ref(), Some(state));
    }
}

/// [`Store::restore`] writes its states as given, versions kept, replacing
/// the store's states of those names and leaving the others; later writes
/// count up from the restored version. A part naming a state twice, or a
/// state at version 0, is refused, and nothing of it is written.
pub fn states_are_restored<S: Store>(store: &mut S) {
    let mut changes = ChangeSet::default();
    changes
        .states
        .push(state_write("assignment", json!("old"), 0));
    changes.states.push(state_write("kept", json!("mine"), 0));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let restored = |name: &str, version: u64, value: serde_json::Value| State {
        name: name.into(),
        version,
        value,
    };
    store
        .restore(Restore {
            states: vec![
                restored("assignment", 7, rich_value(7)),
                restored("new", 3, json!([1, 2, 3])),
            ],
            ..Restore::default()
        })
        .unwrap_or_else(|e| panic!("restore: {e}"));
    assert_eq!(
        states(store),
        [
            restored("assignment", 7, rich_value(7)),
            restored("kept", 1, json!("mine")),
            restored("new", 3, json!([1, 2, 3])),
        ]
    );
    // Restoring a state at a lower version than the store's replaces it too.
    store
        .restore(Restore {
            states: vec![restored("new", 2, json!("back"))],
            ..Restore::default()
        })
        .unwrap_or_else(|e| panic!("restore: {e}"));
    assert_eq!(state(store, "new"), Some(restored("new", 2, json!("back"))));

    let mut changes = ChangeSet::default();
    changes
        .states
        .push(state_write("assignment", json!("next"), 7));
    store.commit(changes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        state(store, "assignment"),
        Some(restored("assignment", 8, json!("next")))
    );
    let before = states(store);
    let lead = sample_lead(1, None);
    for bad in [
        vec![restored("x", 1, json!(1)), restored("x", 2, json!(2))],
        vec![
            restored("assignment", 9, json!(9)),
            restored("y", 0, json!(0)),
        ],
    ] {
        let err = store
            .restore(Restore {
                records: vec![lead.clone().into_any()],
                states: bad,
                ..Restore::default()
            })
            .expect_err("a bad part must be refused");
        assert!(
            matches!(&err, Error::Validation { fields, .. } if fields == &["states"]),
            "{err}"
        );
        assert_eq!(states(store), before);
        assert_eq!(get(store, &lead.key()), None);
    }
    // A part refused for its records writes none of its states either.
    let mut existing = sample_lead(2, None);
    create(store, existing.clone());
    existing.meta.version = 1;
    let err = store
        .restore(Restore {
            records: vec![existing.into_any()],
            states: vec![restored("assignment", 20, json!(20))],
            ..Restore::default()
        })
        .expect_err("a record the store holds must be refused");
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert_eq!(states(store), before);
}

/// What [`concurrent_writers_lose_no_update`] saw, for the test to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contention {
    /// Updates that went through.
    pub applied: usize,
    /// Conflicts retried.
    pub conflicts: usize,
}

/// No lost update: 8 threads, each with its own store from `open` (its own
/// connection to one database), bump a counter on 10 hot leads 125 times each
/// through the engine; every update either lands or gets
/// [`Error::Conflict`] and is retried. At the end the counters add up to the
/// updates that returned `Ok`, each lead has one version and one event per
/// update, and the writers did collide.
///
/// Unlike the rest of the suite this spawns threads: it is a test, run by a
/// backend's tests, and needs a backend several connections can share.
pub fn concurrent_writers_lose_no_update<S: Store>(open: &(dyn Fn() -> S + Sync)) -> Contention {
    use crate::access::Actor;
    use crate::model::{FieldSchema, Lead, LeadId, NewLead};
    use crate::{Config, Crm, FixedClock, SeededIds};
    const WRITERS: usize = 8;
    const UPDATES: usize = 125;
    const HOT: usize = 10;
    let config = || Config {
        fields: FieldSchema::from_json(r#"{"lead": [{"key": "hits", "type": "number"}]}"#)
            .unwrap_or_else(|e| panic!("{e}")),
        ..Config::default()
    };
    let hits = |lead: &Lead| match lead.custom.get("hits") {
        Some(FieldValue::Number(n)) => *n,
        _ => 0,
    };
    let clock = FixedClock::new(at(0));
    let admin = Actor::new(user("admin")).with_role("admin");
    let mut crm = Crm::new(open(), config(), clock.clone(), crate::SeededIds::new(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let leads: Vec<LeadId> = (0..HOT)
        .map(|n| {
            let new = NewLead {
                company: Some(format!("Hot {n}")),
                ..NewLead::default()
            };
            crm.create_lead(&admin, new)
                .unwrap_or_else(|e| panic!("{e}"))
                .id
        })
        .collect();
    drop(crm);
    let barrier = std::sync::Barrier::new(WRITERS);
    let (applied, conflicts) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (clock, admin, leads, barrier, config) =
                    (&clock, &admin, &leads, &barrier, &config);
                scope.spawn(move || {
                    let seed = SeededIds::new(100 + writer as u64);
                    let mut crm = open_then_wait(barrier, || {
                        Crm::new(open(), config(), clock.clone(), seed)
                            .unwrap_or_else(|e| panic!("{e}"))
                    });
                    let (mut applied, mut conflicts) = (0usize, 0usize);
                    for n in 0..UPDATES {
                        let id = leads[(writer * 3 + n) % HOT];
                        loop {
                            let lead: Lead = crm.get(admin, id).unwrap_or_else(|e| panic!("{e}"));
                            let next = hits(&lead) + 1;
                            let bump = |lead: &mut Lead| {
                                lead.custom.insert("hits".into(), FieldValue::Number(next));
                            };
                            match crm.update::<Lead>(admin, id, lead.meta.version, bump) {
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
            .map(|writer| {
                writer
                    .join()
                    .unwrap_or_else(|_| panic!("a writer panicked"))
            })
            .fold((0, 0), |(a, c), (applied, conflicts)| {
                (a + applied, c + conflicts)
            })
    });
    let store = open();
    let mut total = 0;
    for id in &leads {
        let lead = match get(&store, &RecordKey::from(*id)) {
            Some(AnyRecord::Lead(lead)) => lead,
            other => panic!("lead lost: {other:?}"),
        };
        total += hits(&lead);
        assert_eq!(
            lead.meta.version as i64,
            1 + hits(&lead),
            "one version per update"
        );
        let events = store
            .history(&RecordKey::from(*id))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            events.len() as u64,
            lead.meta.version,
            "one event per write"
        );
    }
    assert_eq!(applied, WRITERS * UPDATES);
    assert_eq!(total as usize, applied, "an update was lost");
    assert!(
        conflicts > 0,
        "the writers never collided: the test proves nothing"
    );
    Contention { applied, conflicts }
}

/// Opens a store (or an engine) in a racing thread, then waits at the
/// barrier with the others. A thread that fails to open still reaches the
/// barrier before it panics, so the others never wait forever.
fn open_then_wait<T>(barrier: &std::sync::Barrier, open: impl FnOnce() -> T) -> T {
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open));
    barrier.wait();
    opened.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// No lost state update: 8 threads, each with its own store from `open`,
/// count one named state up 50 times each (read it, write the value plus one
/// based on the version read, retry on [`Error::Conflict`]); the first write
/// of all (based on version 0) races too. Each write also creates a record of
/// its own in the same change set, so a conflict must drop that as well. At
/// the end the state's value and version equal the writes that returned `Ok`,
/// there is exactly one record per such write, and the writers did collide.
pub fn concurrent_state_writers_lose_no_update<S: Store>(
    open: &(dyn Fn() -> S + Sync),
) -> Contention {
    const WRITERS: usize = 8;
    const UPDATES: usize = 50;
    // The store exists (and is migrated) before the writers race.
    drop(open());
    let barrier = std::sync::Barrier::new(WRITERS);
    let (applied, conflicts) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut store = open_then_wait(barrier, open);
                    let (mut applied, mut conflicts) = (0usize, 0usize);
                    for n in 0..UPDATES {
                        let id = 0x4_0000 + (writer * UPDATES + n) as u128;
                        loop {
                            let read = store
                                .state("counter")
                                .unwrap_or_else(|e| panic!("writer {writer}: {e}"));
                            let (version, count) = read.map_or((0, 0), |s| {
                                (s.version, s.value["count"].as_u64().unwrap_or(0))
                            });
                            let mut changes = ChangeSet::default();
                            changes.write(sample_lead(id, None).into_any(), 0);
                            changes.states.push(state_write(
                                "counter",
                                json!({"count": count + 1}),
                                version,
                            ));
                            match store.commit(changes) {
                                Ok(()) => {
                                    applied += 1;
                                    break;
                                }
                                Err(Error::Conflict { id, .. }) => {
                                    assert_eq!(id, "state:counter");
                                    conflicts += 1;
                                }
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
            .map(|writer| {
                writer
                    .join()
                    .unwrap_or_else(|_| panic!("a writer panicked"))
            })
            .fold((0, 0), |(a, c), (applied, conflicts)| {
                (a + applied, c + conflicts)
            })
    });
    let store = open();
    let counter = state(&store, "counter").unwrap_or_else(|| panic!("the state was lost"));
    assert_eq!(applied, WRITERS * UPDATES);
    assert_eq!(counter.version as usize, applied, "one version per write");
    assert_eq!(
        counter.value,
        json!({"count": applied as u64}),
        "an update was lost"
    );
    let leads = store
        .query(&Query::new(EntityKind::Lead))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        leads.len(),
        applied,
        "a conflicting change set wrote its record"
    );
    assert!(
        conflicts > 0,
        "the writers never collided: the test proves nothing"
    );
    Contention { applied, conflicts }
}

/// Four hosts, each with its own store from `open`, drain 200 outbox messages
/// at once: every message is handed out exactly once. Returns how many each
/// host took.
pub fn concurrent_outbox_takers_never_share_a_message<S: Store>(
    open: &(dyn Fn() -> S + Sync),
) -> Vec<usize> {
    let lead = sample_lead(1, None);
    let mut changes = ChangeSet::default();
    for n in 0..200 {
        changes.outbox.push(new_message(n, lead.key()));
    }
    open().commit(changes).unwrap_or_else(|e| panic!("{e}"));
    let start = std::sync::Barrier::new(4);
    let taken: Vec<Vec<EventId>> = std::thread::scope(|scope| {
        let takers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut host = open_then_wait(&start, open);
                    let mut mine = Vec::new();
                    loop {
                        let batch = host
                            .take_outbox(at(0), 7, Duration::hours(1))
                            .unwrap_or_else(|e| panic!("{e}"));
                        if batch.is_empty() {
                            break mine;
                        }
                        mine.extend(batch.iter().map(|m| m.id));
                    }
                })
            })
            .collect();
        takers
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| panic!("a taker panicked")))
            .collect()
    });
    let all: Vec<EventId> = taken.iter().flatten().copied().collect();
    let distinct: std::collections::HashSet<EventId> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        200,
        "a message was handed out twice or not at all"
    );
    assert_eq!(distinct.len(), 200);
    taken.iter().map(Vec::len).collect()
}

#[cfg(test)]
mod memory {
    use crate::store::MemoryStore;

    crate::store_conformance_tests!(MemoryStore::new());
}
