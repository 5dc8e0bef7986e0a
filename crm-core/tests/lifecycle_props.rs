//! Property tests: random command sequences never reach a state the machine
//! does not allow, a failed command changes nothing, every write has exactly
//! one event, and replaying a record's events gives the record.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crm_core::access::Actor;
use crm_core::store::{MemoryStore, Query, Store};
use crm_core::{
    ActivityKind, AnyRecord, Config, ConvertLead, Crm, EntityKind, FixedClock, Money, NewActivity,
    NewCustomer, NewLead, NewOpportunity, NewTicket, RecordKey, SeededIds, TransitionInput, UserId,
};

#[derive(Debug, Clone)]
enum Op {
    CreateLead {
        with_contact_name: bool,
    },
    CreateDeal {
        with_amount: bool,
    },
    OpenTicket,
    Transition {
        kind: EntityKind,
        pick: usize,
        action: &'static str,
        reason: Option<&'static str>,
        to: Option<&'static str>,
    },
    LogActivity {
        pick: usize,
    },
    Convert {
        pick: usize,
    },
    Win {
        pick: usize,
    },
    SetAmount {
        pick: usize,
        cents: i64,
    },
    Wait {
        minutes: i64,
    },
}

const ACTIONS: &[&str] = &[
    "contact",
    "qualify",
    "convert",
    "discard",
    "recycle",
    "advance",
    "move",
    "win",
    "lose",
    "reopen",
    "assign",
    "start",
    "await_customer",
    "customer_replied",
    "resolve",
    "close",
    "transfer",
    "bogus",
];
const REASONS: &[Option<&str>] = &[None, Some("price"), Some("weather"), Some("  ")];
const STAGES: &[Option<&str>] = &[
    None,
    Some("proposal"),
    Some("negotiation"),
    Some("needs_analysis"),
    Some("won"),
];

fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        Just(EntityKind::Lead),
        Just(EntityKind::Opportunity),
        Just(EntityKind::Ticket)
    ];
    prop_oneof![
        any::<bool>().prop_map(|with_contact_name| Op::CreateLead { with_contact_name }),
        any::<bool>().prop_map(|with_amount| Op::CreateDeal { with_amount }),
        Just(Op::OpenTicket),
        (
            kind,
            0..8usize,
            prop::sample::select(ACTIONS),
            prop::sample::select(REASONS),
            prop::sample::select(STAGES)
        )
            .prop_map(|(kind, pick, action, reason, to)| Op::Transition {
                kind,
                pick,
                action,
                reason,
                to
            }),
        (0..8usize).prop_map(|pick| Op::LogActivity { pick }),
        (0..8usize).prop_map(|pick| Op::Convert { pick }),
        (0..8usize).prop_map(|pick| Op::Win { pick }),
        (0..8usize, -100..1_000_000i64).prop_map(|(pick, cents)| Op::SetAmount { pick, cents }),
        (1..5000i64).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

fn keys(crm: &Crm<MemoryStore>, kind: EntityKind) -> Vec<RecordKey> {
    crm.store()
        .query(&Query::new(kind))
        .unwrap()
        .iter()
        .map(AnyRecord::key)
        .collect()
}

fn pick(crm: &Crm<MemoryStore>, kind: EntityKind, n: usize) -> Option<RecordKey> {
    let all = keys(crm, kind);
    (!all.is_empty()).then(|| all[n % all.len()].clone())
}

fn snapshot(crm: &Crm<MemoryStore>) -> (Vec<AnyRecord>, usize) {
    let records = EntityKind::ALL
        .into_iter()
        .flat_map(|kind| crm.store().query(&Query::new(kind)).unwrap())
        .collect();
    (
        records,
        crm.store().events_after(0, usize::MAX).unwrap().len(),
    )
}

fn apply(
    crm: &mut Crm<MemoryStore>,
    admin: &Actor,
    clock: &FixedClock,
    op: &Op,
) -> Option<crm_core::Result<()>> {
    let eur = |cents: i64| {
        Money::new(rust_decimal::Decimal::new(cents, 2), "EUR".parse().unwrap()).unwrap()
    };
    Some(match op.clone() {
        Op::CreateLead { with_contact_name } => crm
            .create_lead(
                admin,
                NewLead {
                    company: Some("Acme".into()),
                    contact_name: with_contact_name.then(|| "Jo".into()),
                    owner: Some(admin.user.clone()),
                    ..NewLead::default()
                },
            )
            .map(drop),
        Op::CreateDeal { with_amount } => {
            let customer = crm
                .create_customer(
                    admin,
                    NewCustomer {
                        name: "C".into(),
                        ..Default::default()
                    },
                )
                .unwrap();
            crm.create_opportunity(
                admin,
                NewOpportunity {
                    name: "D".into(),
                    customer: Some(customer.id),
                    expected_amount: with_amount.then(|| eur(10_000)),
                    ..Default::default()
                },
            )
            .map(drop)
        }
        Op::OpenTicket => crm
            .open_ticket(
                admin,
                NewTicket {
                    subject: "S".into(),
                    ..Default::default()
                },
            )
            .map(drop),
        Op::Transition {
            kind,
            pick: n,
            action,
            reason,
            to,
        } => {
            let key = pick(crm, kind, n)?;
            let input = TransitionInput {
                to: to.map(str::to_string),
                reason: reason.map(str::to_string),
                expected_version: None,
            };
            crm.transition(admin, key, action, input).map(drop)
        }
        Op::LogActivity { pick: n } => {
            let key = pick(crm, EntityKind::Lead, n)?;
            crm.log_activity(admin, NewActivity::new(ActivityKind::Call, key, "called"))
                .map(drop)
        }
        Op::Convert { pick: n } => {
            let key = pick(crm, EntityKind::Lead, n)?;
            let options = ConvertLead {
                allow_duplicate: true,
                ..ConvertLead::default()
            };
            crm.convert_lead(admin, key.id.parse().unwrap(), options)
                .map(drop)
        }
        Op::Win { pick: n } => {
            let key = pick(crm, EntityKind::Opportunity, n)?;
            crm.win_opportunity(admin, key.id.parse().unwrap())
                .map(drop)
        }
        Op::SetAmount { pick: n, cents } => {
            let key = pick(crm, EntityKind::Opportunity, n)?;
            let version = crm.store().get(&key).unwrap()?.version();
            let mut fields = Map::new();
            fields.insert(
                "expected_amount".into(),
                serde_json::to_value(eur(cents)).unwrap(),
            );
            crm.update_fields(admin, key, version, fields).map(drop)
        }
        Op::Wait { minutes } => {
            clock.advance(Duration::minutes(minutes));
            return None;
        }
    })
}

/// Replays a record's events (from/to must chain) into a JSON object: each change sets its field.
fn replay(events: &[crm_core::Event]) -> (Option<String>, Map<String, Value>) {
    let mut state: Option<String> = None;
    let mut fields = Map::new();
    for event in events {
        assert_eq!(
            event.from, state,
            "event {} does not start where the last ended",
            event.action
        );
        state = event.to.clone();
        for change in &event.changes {
            match change.field.strip_prefix("custom.") {
                Some(key) => {
                    let custom = fields
                        .entry("custom")
                        .or_insert_with(|| Value::Object(Map::new()));
                    custom
                        .as_object_mut()
                        .unwrap()
                        .insert(key.to_string(), change.new.clone());
                }
                None => {
                    fields.insert(change.field.clone(), change.new.clone());
                }
            }
        }
    }
    (state, fields)
}

fn without_nulls(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(key, _)| !matches!(key.as_str(), "version" | "updated_at"))
        .filter_map(|(key, value)| match value {
            Value::Null => None,
            Value::Object(inner) if without_nulls(inner).is_empty() => None,
            Value::Object(inner) => Some((key.clone(), Value::Object(without_nulls(inner)))),
            _ => Some((key.clone(), value.clone())),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_commands_keep_every_invariant(ops in prop::collection::vec(op(), 1..60)) {
        let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
        let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock.clone(), SeededIds::new(7)).unwrap();
        let admin = Actor::new(UserId::new("root").unwrap()).with_role("admin");
        for op in &ops {
            let before = snapshot(&crm);
            match apply(&mut crm, &admin, &clock, op) {
                Some(Ok(())) => prop_assert!(snapshot(&crm).1 > before.1, "{op:?} succeeded without an event"),
                Some(Err(err)) => {
                    prop_assert_eq!(snapshot(&crm), before, "{:?} failed ({}) but changed the store", op, err);
                }
                None => {}
            }
        }
        let lifecycles = &crm.config().lifecycles;
        for kind in EntityKind::ALL {
            for record in crm.store().query(&Query::new(kind)).unwrap() {
                let history = crm.store().history(&record.key()).unwrap();
                prop_assert_eq!(record.version(), history.len() as u64, "one event per write of {}", record.key());
                let (state, replayed) = replay(&history);
                prop_assert_eq!(state.as_deref(), record.state());
                if let (Some(machine), Some(state)) = (lifecycles.machine(kind), record.state()) {
                    prop_assert!(machine.state(state).is_some(), "{} reached unknown state {}", record.key(), state);
                }
                let mut json = serde_json::to_value(&record).unwrap().as_object().unwrap().clone();
                json.remove("entity");
                prop_assert_eq!(without_nulls(&replayed), without_nulls(&json), "replay of {}", record.key());
            }
        }
    }
}
