//! Imports through the engine: CSV, JSON Lines and a workbook; row reports;
//! all or nothing against best effort; duplicates in the file and in the
//! store; purchases; progress and cancelling.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::access::Actor;
use crate::model::{Customer, EntityKind, NewCustomer, Record};
use crate::store::{MemoryStore, Query, Store};
use crate::{Config, Crm, FixedClock, SeededIds};

fn engine(config: &str) -> (Crm<MemoryStore>, Actor) {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let crm = Crm::new(
        MemoryStore::new(),
        Config::from_json(config).unwrap(),
        clock,
        SeededIds::new(4),
    )
    .unwrap();
    (
        crm,
        Actor::new(UserId::new("root").unwrap()).with_role("admin"),
    )
}

fn spec(value: serde_json::Value) -> ImportSpec {
    ImportSpec::from_json(&value.to_string()).unwrap()
}

fn run(crm: &mut Crm<MemoryStore>, actor: &Actor, spec: &ImportSpec, data: &[u8]) -> ImportReport {
    crm.import_rows(actor, spec, &data, &mut |_| true).unwrap()
}

fn count(crm: &Crm<MemoryStore>, kind: EntityKind) -> usize {
    crm.store().query(&Query::new(kind)).unwrap().len()
}

const CUSTOMERS: &str = "Company,E-mail,Phone,Tags\n\
Acme GmbH,info@acme.example,+49 30 1234567,key;export\n\
Bolt Ltd,not-an-email,,\n\
Crane SA,sales@crane.example,,\n";

#[test]
fn all_or_nothing_writes_nothing_when_a_row_is_bad_and_everything_when_none_is() {
    let (mut crm, root) = engine("{}");
    let s = spec(json!({"kind": "customer", "format": "csv",
                        "mapping": {"name": "Company", "email": "E-mail", "phone": "Phone", "tags": "Tags"}}));
    let report = run(&mut crm, &root, &s, CUSTOMERS.as_bytes());
    assert_eq!((report.rows, report.imported, report.batches), (3, 0, 0));
    assert_eq!(
        report.rejected,
        [Rejected {
            row: 3,
            field: Some("email".into()),
            reason: "is not an email address".into()
        }]
    );
    assert_eq!(count(&crm, EntityKind::Customer), 0);
    let fixed = CUSTOMERS.replace("not-an-email", "hello@bolt.example");
    let report = run(&mut crm, &root, &s, fixed.as_bytes());
    assert_eq!(
        (report.imported, report.batches, report.rejected.len()),
        (3, 1, 0)
    );
    let acme: Vec<Customer> = crm
        .store()
        .query(&Query::new(EntityKind::Customer))
        .unwrap()
        .into_iter()
        .filter_map(Customer::from_any)
        .filter(|c| c.name == "Acme GmbH")
        .collect();
    assert_eq!(acme[0].tags, ["key", "export"]);
    let events = crm.history(&root, acme[0].id).unwrap();
    assert_eq!(
        (events[0].action.as_str(), events[0].payload["row"].clone()),
        ("import", json!(2))
    );
}

#[test]
fn best_effort_writes_the_good_rows_and_refuses_duplicates_in_the_file_and_the_store() {
    let (mut crm, root) = engine("{}");
    crm.create_customer(
        &root,
        NewCustomer {
            name: "Crane S.A.".into(),
            email: Some("sales@crane.example".into()),
            ..NewCustomer::default()
        },
    )
    .unwrap();
    let s = spec(
        json!({"kind": "customer", "format": "csv", "mode": "best_effort", "batch_size": 2,
                        "mapping": {"name": "Company", "email": "E-mail", "phone": "Phone", "tags": "Tags"}}),
    );
    let data = format!("{CUSTOMERS}Acme again,INFO@acme.example,,\n");
    let report = run(&mut crm, &root, &s, data.as_bytes());
    assert_eq!((report.rows, report.imported, report.duplicates), (4, 1, 2));
    let reasons: Vec<(usize, Option<&str>, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.field.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(reasons[0], (3, Some("email"), "is not an email address"));
    assert_eq!(reasons[1].0, 4);
    assert!(
        reasons[1].2.starts_with("likely duplicate of customer "),
        "{reasons:?}"
    );
    assert_eq!(reasons[2], (5, Some("email"), "repeats the email of row 2"));
    assert_eq!(count(&crm, EntityKind::Customer), 2);
    // Allowing duplicates imports them.
    let mut allow = s.clone();
    allow.duplicates = Duplicates::Allow;
    let report = run(&mut crm, &root, &allow, "Company\nAcme GmbH\n".as_bytes());
    assert_eq!(report.imported, 1);
}

#[test]
fn json_lines_leads_and_bad_lines() {
    let (mut crm, root) = engine("{}");
    let data = br#"{"company": "Delta", "email": "d@delta.example", "source": "fair", "campaign": "spring", "tags": ["x"]}
not json at all

{"source": "web"}
{"contact_name": "Eve", "phone": "+44 20 7946 0958", "owner": "ana"}
"#;
    let s = spec(json!({"kind": "lead", "format": "jsonl", "mode": "best_effort"}));
    let report = run(&mut crm, &root, &s, data);
    assert_eq!((report.rows, report.imported), (4, 2));
    assert_eq!(
        report.rejected[0],
        Rejected {
            row: 2,
            field: None,
            reason: "not a JSON object".into()
        }
    );
    assert_eq!(report.rejected[1].row, 4);
    assert_eq!(report.rejected[1].field.as_deref(), Some("company"));
    let leads = crm.store().query(&Query::new(EntityKind::Lead)).unwrap();
    let delta = leads.iter().find_map(|r| match r {
        crate::model::AnyRecord::Lead(l) if l.company.as_deref() == Some("Delta") => {
            Some(l.clone())
        }
        _ => None,
    });
    assert_eq!(delta.unwrap().campaign.as_deref(), Some("spring"));
}

#[test]
fn a_workbook_of_contacts_names_the_missing_customer() {
    let (mut crm, root) = engine("{}");
    let acme = crm
        .create_customer(
            &root,
            NewCustomer {
                name: "Acme".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Contacts").unwrap();
    for (col, head) in ["Customer", "Name", "Emails", "Phone"].iter().enumerate() {
        sheet.write_string(0, col as u16, *head).unwrap();
    }
    sheet.write_string(1, 0, acme.id.to_string()).unwrap();
    sheet.write_string(1, 1, "Jana Novak").unwrap();
    sheet
        .write_string(1, 2, "jana@acme.example; j.novak@acme.example")
        .unwrap();
    sheet.write_number(1, 3, 4930123456.0).unwrap();
    sheet
        .write_string(2, 0, "01900000-0000-7000-8000-000000000999")
        .unwrap();
    sheet.write_string(2, 1, "Nobody").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let s = spec(
        json!({"kind": "contact", "format": "xlsx", "sheet": "Contacts", "mode": "best_effort",
                        "mapping": {"customer": "Customer", "name": "Name", "emails": "Emails", "phones": "Phone"}}),
    );
    let report = run(&mut crm, &root, &s, &bytes);
    assert_eq!((report.rows, report.imported), (2, 1));
    assert_eq!(report.rejected[0].row, 3);
    assert_eq!(report.rejected[0].field.as_deref(), Some("customer"));
    let contacts = crm.store().query(&Query::new(EntityKind::Contact)).unwrap();
    let crate::model::AnyRecord::Contact(jana) = &contacts[0] else {
        panic!()
    };
    assert_eq!(jana.emails, ["jana@acme.example", "j.novak@acme.example"]);
    assert_eq!(jana.phones, ["4930123456"]);
    let mut wrong = s.clone();
    wrong.sheet = Some("Leads".into());
    let err = crm
        .import_rows(&root, &wrong, &bytes, &mut |_| true)
        .unwrap_err();
    assert!(
        err.to_string().contains("the workbook has Contacts"),
        "{err}"
    );
}

#[test]
fn purchases_post_points_once_per_reference() {
    let (mut crm, root) =
        engine(r#"{"loyalty": {"earn": [{"name": "base", "per": 1, "points": 1}]}}"#);
    let mia = crm
        .create_customer(
            &root,
            NewCustomer {
                name: "Mia".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let data = format!(
        "customer,reference,amount,currency,at\n{0},A-1,10.50,EUR,2026-02-01\n{0},A-1,3.00,EUR,\n{0},A-2,-1,EUR,\n{0},A-3,5,EUR,2026-02-03T10:00:00Z\n",
        mia.id
    );
    let s = spec(json!({"kind": "purchase", "format": "csv", "mode": "best_effort"}));
    let report = run(&mut crm, &root, &s, data.as_bytes());
    assert_eq!((report.imported, report.duplicates), (2, 1));
    assert_eq!(report.rejected[0].reason, "repeats row 2");
    assert_eq!(report.rejected[1].field.as_deref(), Some("amount"));
    let stored: Customer = crm.get(&root, mia.id).unwrap();
    assert_eq!(stored.loyalty.unwrap().balance, 15);

    // All or nothing: a reference already on the ledger (A-3) is found by the
    // check pass, so the new A-4 is not written either.
    let data = format!(
        "customer,reference,amount,currency\n{0},A-4,7,EUR\n{0},A-3,5,EUR\n",
        mia.id
    );
    let s = spec(json!({"kind": "purchase", "format": "csv", "mode": "all_or_nothing"}));
    let report = run(&mut crm, &root, &s, data.as_bytes());
    assert_eq!(report.imported, 0);
    assert_eq!(
        (report.rejected[0].row, report.rejected[0].field.as_deref()),
        (3, Some("reference"))
    );
    let stored: Customer = crm.get(&root, mia.id).unwrap();
    assert_eq!(stored.loyalty.unwrap().balance, 15);
}

#[test]
fn progress_is_told_after_each_batch_and_can_stop_the_import() {
    let (mut crm, root) = engine("{}");
    let data: String = std::iter::once("name\n".to_string())
        .chain((0..5).map(|i| format!("Customer {i}\n")))
        .collect();
    let s =
        spec(json!({"kind": "customer", "format": "csv", "mode": "best_effort", "batch_size": 2}));
    let mut seen = Vec::new();
    let report = crm
        .import_rows(&root, &s, &data.as_bytes(), &mut |p| {
            seen.push((p.rows, p.imported));
            p.imported < 2
        })
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(seen, [(2, 2)]);
    assert_eq!(count(&crm, EntityKind::Customer), 2);
    let err = ImportSpec::from_json(
        r#"{"kind": "customer", "format": "csv", "mapping": {"mail": "E-mail"}}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "invalid configuration at import.mapping.mail: is not a field of a customer"
        ),
        "{err}"
    );
}

#[test]
fn an_empty_path_is_refused_on_source_and_a_missing_file_is_a_storage_error() {
    let (mut crm, root) = engine("{}");
    let s = spec(json!({"kind": "customer", "format": "csv"}));
    let err = crm
        .import_rows(&root, &s, &std::path::PathBuf::new(), &mut |_| true)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid source: must not be an empty path"),
        "{err}"
    );
    let missing = std::env::temp_dir().join("crm-import-no-such-file.csv");
    let err = crm
        .import_rows(&root, &s, &missing, &mut |_| true)
        .unwrap_err();
    assert!(matches!(err, crate::Error::Storage { .. }), "{err}");
    assert_eq!(count(&crm, EntityKind::Customer), 0);
}
