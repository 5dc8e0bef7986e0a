//! Property test: for random leads and contacts and random queries, the SQLite
//! store answers exactly what the reference `MemoryStore` answers (same
//! records, same order, same limit), including due times finer than a
//! microsecond, which the index columns cannot hold.

use chrono::Duration;
use crm_core::store::conformance::{at, sample_lead};
use crm_core::store::{ChangeSet, MemoryStore, Query, Store};
use crm_core::{
    AnyRecord, Contact, CustomerId, EntityKind, Meta, Record, RecordKey, TeamId, UserId,
};
use crm_sqlite::SqliteStore;
use proptest::prelude::*;

const OWNERS: [Option<&str>; 3] = [None, Some("ana"), Some("bo")];
const TEAMS: [Option<&str>; 3] = [None, Some("east"), Some("west")];
const STATUSES: [&str; 3] = ["new", "contacted", "qualified"];

#[derive(Debug, Clone)]
struct LeadSpec {
    owner: usize,
    team: usize,
    status: usize,
    due: Option<(i64, u32)>,
    phone: u8,
}

#[derive(Debug, Clone)]
struct QuerySpec {
    kind_is_contact: bool,
    owner: Option<usize>,
    team: Option<usize>,
    statuses: Vec<usize>,
    due_before: Option<(i64, u32)>,
    phone: Option<u8>,
    parent: Option<u8>,
    limit: Option<usize>,
}

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

/// A typed id from a v7-shaped UUID counting `n`.
fn uuid_id<T: std::str::FromStr>(n: u64) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("01943b7a-0000-7000-8000-{n:012x}").parse().unwrap()
}

fn phone(n: u8) -> String {
    format!("+44 20 7946 {:04}", n)
}

fn records(leads: &[LeadSpec], contacts: &[(u8, u8)]) -> Vec<AnyRecord> {
    let mut out = Vec::new();
    for (n, spec) in leads.iter().enumerate() {
        let mut lead = sample_lead(n as u128 + 1, OWNERS[spec.owner]);
        lead.team = TEAMS[spec.team].map(|t| TeamId::new(t).unwrap());
        lead.status = STATUSES[spec.status].into();
        lead.first_contact_due_at = spec
            .due
            .map(|(minutes, nanos)| at(minutes) + Duration::nanoseconds(i64::from(nanos)));
        lead.phone = Some(phone(spec.phone));
        out.push(lead.into_any());
    }
    for (n, (customer, phone_n)) in contacts.iter().enumerate() {
        out.push(
            Contact {
                id: uuid_id(0x1_0000 + n as u64),
                meta: Meta::new(at(0), user("tester")),
                customer: uuid_id(u64::from(*customer) + 1),
                name: format!("Contact {n}"),
                title: None,
                phones: vec![phone(*phone_n), phone(*phone_n)],
                emails: vec![],
                owner: OWNERS[n % 3].map(user),
                team: None,
                custom: Default::default(),
            }
            .into_any(),
        );
    }
    out
}

fn query(spec: &QuerySpec) -> Query {
    let kind = if spec.kind_is_contact {
        EntityKind::Contact
    } else {
        EntityKind::Lead
    };
    let mut query = Query::new(kind);
    match spec.owner.map(|o| OWNERS[o]) {
        None => {}
        Some(None) => query = query.unowned(),
        Some(Some(owner)) => query = query.owner(user(owner)),
    }
    if let Some(Some(team)) = spec.team.map(|t| TEAMS[t]) {
        query = query.team(TeamId::new(team).unwrap());
    }
    for status in &spec.statuses {
        query = query.status(STATUSES[*status]);
    }
    if let Some((minutes, nanos)) = spec.due_before {
        query = query.due_before(at(minutes) + Duration::nanoseconds(i64::from(nanos)));
    }
    if let Some(n) = spec.phone {
        query = query.phone(&phone(n));
    }
    if let Some(customer) = spec.parent {
        let customer: CustomerId = uuid_id(u64::from(customer) + 1);
        query = query.parent(RecordKey::from(customer));
    }
    if let Some(limit) = spec.limit {
        query = query.limit(limit);
    }
    query
}

fn due() -> impl Strategy<Value = (i64, u32)> {
    // A few minutes, each with nanoseconds that fall in the same microsecond
    // as each other, in the next one, or on a whole one.
    (
        0i64..3,
        proptest::sample::select(vec![0u32, 1, 500, 999, 1_000, 1_001, 2_500]),
    )
}

fn lead_spec() -> impl Strategy<Value = LeadSpec> {
    (
        0usize..3,
        0usize..3,
        0usize..3,
        proptest::option::of(due()),
        0u8..4,
    )
        .prop_map(|(owner, team, status, due, phone)| LeadSpec {
            owner,
            team,
            status,
            due,
            phone,
        })
}

fn query_spec() -> impl Strategy<Value = QuerySpec> {
    (
        any::<bool>(),
        proptest::option::of(0usize..3),
        proptest::option::of(0usize..3),
        proptest::collection::vec(0usize..3, 0..3),
        proptest::option::of(due()),
        proptest::option::of(0u8..5),
        proptest::option::of(0u8..3),
        proptest::option::of(0usize..6),
    )
        .prop_map(
            |(kind_is_contact, owner, team, statuses, due_before, phone, parent, limit)| {
                QuerySpec {
                    kind_is_contact,
                    owner,
                    team,
                    statuses,
                    due_before,
                    phone,
                    parent,
                    limit,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn queries_agree_with_the_memory_store(
        leads in proptest::collection::vec(lead_spec(), 0..12),
        contacts in proptest::collection::vec((0u8..3, 0u8..4), 0..6),
        queries in proptest::collection::vec(query_spec(), 1..12),
    ) {
        let mut memory = MemoryStore::new();
        let mut sqlite = SqliteStore::in_memory().unwrap();
        for record in records(&leads, &contacts) {
            let mut changes = ChangeSet::default();
            changes.write(record, 0);
            memory.commit(changes.clone()).unwrap();
            sqlite.commit(changes).unwrap();
        }
        for spec in &queries {
            let query = query(spec);
            prop_assert_eq!(sqlite.query(&query).unwrap(), memory.query(&query).unwrap(), "{:?}", query);
        }
    }
}

/// What a commit returned, comparably.
fn outcome(result: crm_core::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(crm_core::Error::Conflict {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random change sets (new records, right and stale versions, a record
    /// written twice, events) get the same answer, error for error, and leave
    /// the same records and log as in the MemoryStore.
    #[test]
    fn commits_agree_with_the_memory_store(
        sets in proptest::collection::vec(
            proptest::collection::vec((1u128..5, 0u64..3), 1..4),
            1..8,
        ),
    ) {
        let mut memory = MemoryStore::new();
        let mut store = SqliteStore::in_memory().unwrap();
        for (set, writes) in sets.iter().enumerate() {
            let mut changes = ChangeSet::default();
            for (n, expected) in writes {
                let mut lead = sample_lead(*n, Some("ana"));
                lead.title = Some(format!("set {set}"));
                changes.write(lead.into_any(), *expected);
            }
            let key = sample_lead(writes[0].0, None).key();
            changes.events.push(crm_core::Event {
                id: uuid_id(0x2_0000 + set as u64),
                seq: 0,
                at: at(set as i64),
                actor: user("tester"),
                entity: key,
                action: "update".into(),
                from: None,
                to: None,
                reason: None,
                changes: vec![],
                payload: serde_json::Value::Null,
            });
            let expected = outcome(memory.commit(changes.clone()));
            prop_assert_eq!(outcome(store.commit(changes)), expected, "change set {}", set);
        }
        for n in 1u128..5 {
            let key = sample_lead(n, None).key();
            prop_assert_eq!(store.get(&key).unwrap(), memory.get(&key).unwrap());
            prop_assert_eq!(store.history(&key).unwrap(), memory.history(&key).unwrap());
        }
        prop_assert_eq!(store.events_after(0, 1_000).unwrap(), memory.events_after(0, 1_000).unwrap());
    }
}
