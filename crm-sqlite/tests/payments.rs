//! A payment plan kept in a file: signing writes the contract once for its
//! two events (the step and the milestone it fires), and the next process
//! finds the plan, its version and its history as they were returned.

mod support;

use chrono::{Duration, TimeZone, Utc};
use crm_core::access::Actor;
use crm_core::schedule::Terms;
use crm_core::{
    Config, Contract, Crm, FixedClock, Money, NewCustomer, NewOpportunity, PaymentInput, SeededIds,
    UserId,
};
use crm_sqlite::SqliteStore;
use support::TempDir;

#[test]
fn a_signed_paid_contract_reads_back_as_it_was_written() {
    let dir = TempDir::new("payments");
    let path = dir.path().join("crm.db");
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let terms = Terms::from_json(
        r#"{"name": "30/70", "lines": [
            {"label": "on signing", "percent": "30", "due": {"milestone": {"event": "contract_signed"}}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    )
    .unwrap();
    let open = |seed| {
        Crm::new(
            SqliteStore::open(&path).unwrap(),
            Config::default(),
            clock.clone(),
            SeededIds::new(seed),
        )
        .unwrap()
    };
    let mut crm = open(1);
    let customer = crm
        .create_customer(
            &root,
            NewCustomer {
                name: "Acme".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let deal = crm
        .create_opportunity(
            &root,
            NewOpportunity {
                name: "Seats".into(),
                customer: Some(customer.id),
                expected_amount: Some(Money::parse("1000.00", "EUR").unwrap()),
                ..NewOpportunity::default()
            },
        )
        .unwrap();
    crm.advance_opportunity(&root, deal.id, None).unwrap();
    let (_, contract) = crm.win_opportunity(&root, deal.id).unwrap();
    crm.set_payment_plan(&root, contract.id, &terms, None)
        .unwrap();
    clock.advance(Duration::days(1));
    let signed = crm.sign_contract(&root, contract.id).unwrap();
    assert_eq!(signed.meta.version, 3);
    drop(crm);

    let mut crm = open(2);
    let stored: Contract = crm.get(&root, contract.id).unwrap();
    assert_eq!(stored, signed);
    let actions: Vec<String> = crm
        .history(&root, contract.id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["create", "set_payment_plan", "sign", "milestone"]);
    crm.activate_contract(&root, contract.id).unwrap();
    crm.reach_milestone(&root, contract.id, "delivery_accepted", None)
        .unwrap();
    let done = crm
        .record_payment(
            &root,
            contract.id,
            PaymentInput {
                id: "bank-1".into(),
                amount: Money::parse("1000.00", "EUR").unwrap(),
                on: None,
                to: None,
            },
        )
        .unwrap();
    assert_eq!(done.status, "completed");
    drop(crm);
    let crm = open(3);
    assert_eq!(crm.get::<Contract>(&root, contract.id).unwrap(), done);
}
