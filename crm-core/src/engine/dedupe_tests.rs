//! Duplicates in the store: the one-record check, merge and unmerge.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::access::Actor;
use crate::dedupe::MatchRecord;
use crate::model::{
    ActivityKind, Customer, CustomerKind, NewActivity, NewContact, NewCustomer, NewLead,
    NewOpportunity,
};
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

fn setup() -> (Crm<MemoryStore>, FixedClock, Actor) {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let crm = Crm::new(
        MemoryStore::new(),
        Config::default(),
        clock.clone(),
        SeededIds::new(7),
    )
    .unwrap();
    (
        crm,
        clock,
        Actor::new(UserId::new("root").unwrap()).with_role("admin"),
    )
}

fn customer(
    crm: &mut Crm<MemoryStore>,
    admin: &Actor,
    name: &str,
    phone: Option<&str>,
) -> Customer {
    crm.create_customer(
        admin,
        NewCustomer {
            kind: CustomerKind::Company,
            name: name.into(),
            phone: phone.map(Into::into),
            ..NewCustomer::default()
        },
    )
    .unwrap()
}

#[test]
fn find_duplicates_uses_the_index_and_explains() {
    let (mut crm, _, admin) = setup();
    let acme = customer(
        &mut crm,
        &admin,
        "Acme Widgets Ltd",
        Some("+1 415 555 0134"),
    );
    let other = customer(&mut crm, &admin, "Globex Corporation", None);
    crm.add_contact(
        &admin,
        NewContact {
            customer: Some(other.id),
            name: "Maria Garcia".into(),
            emails: vec!["maria@globex.example".into()],
            ..NewContact::default()
        },
    )
    .unwrap();
    let found = crm
        .find_duplicates(
            &admin,
            &MatchRecord {
                company: Some("ACME WIDGETS LIMITED".into()),
                phone: Some("(415) 555-0134".into()),
                ..MatchRecord::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record, RecordKey::from(acme.id));
    assert!(found[0].explanation.matched);
    // Swapped names and another case of the email find the contact.
    let found = crm
        .find_duplicates(
            &admin,
            &MatchRecord {
                name: Some("Garcia Maria".into()),
                email: Some("Maria@Globex.example".into()),
                ..MatchRecord::default()
            },
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record.kind, EntityKind::Contact);
    assert!(found[0].explanation.names_swapped);
    // Nothing in common: nothing found.
    let none = crm
        .find_duplicates(
            &admin,
            &MatchRecord {
                company: Some("Initech".into()),
                ..MatchRecord::default()
            },
        )
        .unwrap();
    assert!(none.is_empty());
    // A sales user who may read no customer of others finds none of them.
    let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
    let hidden = crm
        .find_duplicates(
            &ana,
            &MatchRecord {
                company: Some("Acme Widgets".into()),
                phone: Some("415 555 0134".into()),
                ..MatchRecord::default()
            },
        )
        .unwrap();
    assert!(hidden.is_empty());
    // find_duplicates_of leaves the record itself out.
    let dup = customer(&mut crm, &admin, "Acme Widgets Inc.", Some("+14155550134"));
    let of = crm.find_duplicates_of(&admin, dup.id).unwrap();
    assert_eq!(of.len(), 1);
    assert_eq!(of[0].record, RecordKey::from(acme.id));
}

#[test]
fn lead_creation_and_conversion_report_likely_duplicates() {
    let (mut crm, _, admin) = setup();
    let acme = customer(&mut crm, &admin, "Acme GmbH", Some("+49 30 1234 5678"));
    let lead = crm
        .create_lead(
            &admin,
            NewLead {
                company: Some("ACME G.m.b.H.".into()),
                contact_name: Some("Jo Doe".into()),
                phone: Some("030 1234 5678".into()),
                ..NewLead::default()
            },
        )
        .unwrap();
    let history = crm.history(&admin, lead.id).unwrap();
    let reported = &history[0].payload["possible_duplicates"];
    assert_eq!(reported[0]["id"], Value::from(acme.id.to_string()));
    assert_eq!(reported[0]["kind"], "customer");
    // A lead like no other reports nothing.
    let fresh = crm
        .create_lead(
            &admin,
            NewLead {
                company: Some("Initech".into()),
                contact_name: Some("Peter Gibbons".into()),
                ..NewLead::default()
            },
        )
        .unwrap();
    let history = crm.history(&admin, fresh.id).unwrap();
    assert!(history[0].payload.get("possible_duplicates").is_none());
}

struct Family {
    customers: Vec<Customer>,
    children: Vec<RecordKey>,
}

fn family(crm: &mut Crm<MemoryStore>, clock: &FixedClock, admin: &Actor) -> Family {
    let mut customers = Vec::new();
    let mut children = Vec::new();
    for (i, (name, region, tags)) in [
        ("Acme Ltd", None, vec!["vip"]),
        ("ACME Limited", Some("west"), vec!["vip", "eu"]),
        ("Acme", None, vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        clock.advance(Duration::minutes(1));
        let c = crm
            .create_customer(
                admin,
                NewCustomer {
                    kind: CustomerKind::Company,
                    name: name.into(),
                    region: region.map(Into::into),
                    tags: tags.into_iter().map(Into::into).collect(),
                    email: (i == 2).then(|| "info@acme.example".into()),
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        let contact = crm
            .add_contact(
                admin,
                NewContact {
                    customer: Some(c.id),
                    name: format!("Person {i}"),
                    ..NewContact::default()
                },
            )
            .unwrap();
        let deal = crm
            .create_opportunity(
                admin,
                NewOpportunity {
                    name: format!("Deal {i}"),
                    customer: Some(c.id),
                    contact: Some(contact.id),
                    ..NewOpportunity::default()
                },
            )
            .unwrap();
        let call = crm
            .log_activity(
                admin,
                NewActivity::new(ActivityKind::Call, RecordKey::from(c.id), "called"),
            )
            .unwrap();
        children.extend([
            RecordKey::from(contact.id),
            RecordKey::from(deal.id),
            RecordKey::from(call.id),
        ]);
        customers.push(c);
    }
    Family {
        customers,
        children,
    }
}

#[test]
fn merge_moves_children_fills_fields_and_unmerge_restores() {
    let (mut crm, clock, admin) = setup();
    let f = family(&mut crm, &clock, &admin);
    let keys: Vec<RecordKey> = f.customers.iter().map(|c| RecordKey::from(c.id)).collect();
    let before: Vec<AnyRecord> = keys
        .iter()
        .map(|k| crm.get_any(&admin, k.clone()).unwrap())
        .collect();
    let children_before: Vec<AnyRecord> = f
        .children
        .iter()
        .map(|k| crm.get_any(&admin, k.clone()).unwrap())
        .collect();
    let outcome = crm
        .merge(
            &admin,
            MergeInput {
                records: keys.clone(),
                reason: "same company".into(),
                ..MergeInput::default()
            },
        )
        .unwrap();
    // The oldest survives, filled from the others.
    let AnyRecord::Customer(survivor) = &outcome.survivor else {
        panic!("a customer survives")
    };
    assert_eq!(survivor.id, f.customers[0].id);
    assert_eq!(survivor.name, "Acme Ltd");
    assert_eq!(survivor.region.as_deref(), Some("west"));
    assert_eq!(survivor.email.as_deref(), Some("info@acme.example"));
    assert_eq!(survivor.tags, ["vip", "eu"]);
    assert_eq!(outcome.merged, keys[1..]);
    assert_eq!(outcome.moved.len(), 6); // the contact, deal and call of each of the two others
    for child in &f.children {
        let record = crm.get_any(&admin, child.clone()).unwrap();
        let parent = record.index().parent.unwrap();
        assert_eq!(parent, keys[0], "{child} moved to the survivor");
    }
    for key in &keys[1..] {
        let merged = crm.get_any(&admin, key.clone()).unwrap();
        assert_eq!(merged.meta().merged_into.as_ref(), Some(&keys[0]));
        assert_eq!(
            crm.history(&admin, key.clone())
                .unwrap()
                .last()
                .unwrap()
                .action,
            "merged"
        );
    }
    // One merge event on the survivor holds every prior state.
    let events = crm.history(&admin, keys[0].clone()).unwrap();
    let merge = events.last().unwrap();
    assert_eq!(merge.action, "merge");
    assert_eq!(merge.id, outcome.event);
    assert_eq!(merge.reason.as_deref(), Some("same company"));
    assert_eq!(merge.payload["merged"].as_array().unwrap().len(), 2);
    assert_eq!(
        serde_json::from_value::<AnyRecord>(merge.payload["survivor_before"].clone()).unwrap(),
        before[0]
    );
    // Merged records no longer come up as duplicates.
    let found = crm
        .find_duplicates(
            &admin,
            &MatchRecord {
                company: Some("Acme Limited".into()),
                ..MatchRecord::default()
            },
        )
        .unwrap();
    assert!(found.iter().all(|d| d.record == keys[0]));

    // Unmerge: every record as it was (but for its meta), children back.
    crm.unmerge(&admin, keys[0].clone(), None, "not the same")
        .unwrap();
    for (key, old) in keys.iter().zip(&before) {
        let now = crm.get_any(&admin, key.clone()).unwrap();
        assert_eq!(without_meta(&now), without_meta(old), "{key}");
        assert!(now.meta().merged_into.is_none());
    }
    for (key, old) in f.children.iter().zip(&children_before) {
        let now = crm.get_any(&admin, key.clone()).unwrap();
        assert_eq!(without_meta(&now), without_meta(old), "{key}");
    }
    // The same merge cannot be undone twice.
    let err = crm
        .unmerge(&admin, keys[0].clone(), Some(outcome.event), "again")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[test]
fn unmerge_refuses_when_a_record_changed_since() {
    let (mut crm, clock, admin) = setup();
    let f = family(&mut crm, &clock, &admin);
    let keys: Vec<RecordKey> = f.customers.iter().map(|c| RecordKey::from(c.id)).collect();
    let outcome = crm
        .merge(
            &admin,
            MergeInput {
                records: keys[..2].to_vec(),
                survivor: Some(keys[1].clone()),
                reason: "dup".into(),
                ..MergeInput::default()
            },
        )
        .unwrap();
    assert_eq!(outcome.survivor.key(), keys[1]);
    let version = outcome.survivor.meta().version;
    let mut fields = serde_json::Map::new();
    fields.insert("industry".into(), "tools".into());
    crm.update_fields(&admin, keys[1].clone(), version, fields)
        .unwrap();
    let err = crm
        .unmerge(&admin, keys[1].clone(), None, "undo")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[test]
fn merge_errors_name_the_field() {
    let (mut crm, clock, admin) = setup();
    let f = family(&mut crm, &clock, &admin);
    let keys: Vec<RecordKey> = f.customers.iter().map(|c| RecordKey::from(c.id)).collect();
    let field_of = |err: Error| match err {
        Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    let input = |records: Vec<RecordKey>, reason: &str| MergeInput {
        records,
        reason: reason.into(),
        ..MergeInput::default()
    };
    assert_eq!(
        field_of(crm.merge(&admin, input(keys.clone(), " ")).unwrap_err()),
        "reason"
    );
    assert_eq!(
        field_of(
            crm.merge(&admin, input(keys[..1].to_vec(), "x"))
                .unwrap_err()
        ),
        "records"
    );
    let twice = vec![keys[0].clone(), keys[0].clone()];
    assert_eq!(
        field_of(crm.merge(&admin, input(twice, "x")).unwrap_err()),
        "records"
    );
    let mixed = vec![keys[0].clone(), f.children[0].clone()];
    assert_eq!(
        field_of(crm.merge(&admin, input(mixed, "x")).unwrap_err()),
        "records"
    );
    let deals = vec![f.children[1].clone(), f.children[4].clone()];
    assert_eq!(
        field_of(crm.merge(&admin, input(deals, "x")).unwrap_err()),
        "records"
    );
    let mut outsider = input(keys[..2].to_vec(), "x");
    outsider.survivor = Some(keys[2].clone());
    assert_eq!(
        field_of(crm.merge(&admin, outsider).unwrap_err()),
        "survivor"
    );
    crm.merge(&admin, input(keys[..2].to_vec(), "x")).unwrap();
    let again = vec![keys[1].clone(), keys[2].clone()];
    assert_eq!(
        field_of(crm.merge(&admin, input(again, "x")).unwrap_err()),
        "records"
    );
    // Nothing was written by the failed merges: one merge event only.
    let merges = crm
        .history(&admin, keys[0].clone())
        .unwrap()
        .iter()
        .filter(|e| e.action == "merge")
        .count();
    assert_eq!(merges, 1);
    // Without edit rights: forbidden.
    let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
    let err = crm.merge(&ana, input(vec![keys[1].clone(), keys[2].clone()], "x"));
    assert!(err.is_err());
}

fn without_meta(record: &AnyRecord) -> Value {
    // The meta is flattened into the record's JSON.
    let mut json = serde_json::to_value(record).unwrap();
    let map = json.as_object_mut().unwrap();
    for key in ["version", "updated_at", "merged_into"] {
        map.remove(key);
    }
    json
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random groups with random fields and children: after a merge every
    /// child hangs off the survivor, every value of every merged record is
    /// in the survivor or in the merge event, and unmerge gives every record
    /// back as it was.
    #[test]
    fn merging_loses_nothing_and_unmerge_restores(
        specs in prop::collection::vec(
            (
                prop::option::of(prop::sample::select(vec!["north", "south"])),
                prop::option::of(prop::sample::select(vec!["a@x.example", "b@y.example"])),
                prop::collection::vec(prop::sample::select(vec!["vip", "eu", "new"]), 0..3),
                0usize..3,
            ),
            2..5,
        ),
        rule in prop::sample::select(vec![SurvivorRule::Oldest, SurvivorRule::Newest, SurvivorRule::MostComplete]),
    ) {
        let (mut crm, clock, admin) = setup();
        let mut keys = Vec::new();
        let mut children = Vec::new();
        for (i, (region, email, tags, n_children)) in specs.iter().enumerate() {
            clock.advance(Duration::minutes(1));
            let c = crm.create_customer(&admin, NewCustomer {
                kind: CustomerKind::Company,
                name: format!("Acme {i}"),
                region: region.map(Into::into),
                email: email.map(Into::into),
                tags: tags.iter().map(|t| (*t).to_string()).collect(),
                ..NewCustomer::default()
            }).unwrap();
            for j in 0..*n_children {
                let contact = crm.add_contact(&admin, NewContact {
                    customer: Some(c.id),
                    name: format!("P {i} {j}"),
                    ..NewContact::default()
                }).unwrap();
                children.push(RecordKey::from(contact.id));
            }
            keys.push(RecordKey::from(c.id));
        }
        let before: Vec<AnyRecord> = keys.iter().map(|k| crm.get_any(&admin, k.clone()).unwrap()).collect();
        let outcome = crm.merge(&admin, MergeInput {
            records: keys.clone(), rule, reason: "test".into(), ..MergeInput::default()
        }).unwrap();
        let survivor = outcome.survivor.key();
        for child in &children {
            let parent = crm.get_any(&admin, child.clone()).unwrap().index().parent.unwrap();
            prop_assert_eq!(&parent, &survivor);
        }
        let merge = crm.history(&admin, survivor.clone()).unwrap().pop().unwrap();
        let recorded: Vec<AnyRecord> = serde_json::from_value(merge.payload["merged"].clone()).unwrap();
        let survivor_json = without_meta(&outcome.survivor);
        for old in &before {
            if old.key() == survivor { continue; }
            // The full prior state is in the event...
            prop_assert!(recorded.contains(old));
            // ...and every tag and the region/email, if the survivor had none, are in the survivor.
            let AnyRecord::Customer(old) = old else { unreachable!() };
            for tag in &old.tags {
                prop_assert!(survivor_json["tags"].as_array().unwrap().contains(&Value::from(tag.clone())));
            }
            prop_assert!(old.region.is_none() || !survivor_json["region"].is_null());
            prop_assert!(old.email.is_none() || !survivor_json["email"].is_null());
        }
        crm.unmerge(&admin, survivor, None, "undo").unwrap();
        for old in &before {
            let now = crm.get_any(&admin, old.key()).unwrap();
            prop_assert_eq!(without_meta(&now), without_meta(old));
        }
        for child in &children {
            let now = crm.get_any(&admin, child.clone()).unwrap();
            let parent = now.index().parent.unwrap();
            prop_assert!(keys.contains(&parent));
        }
    }
}
