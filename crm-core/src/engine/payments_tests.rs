//! Payment plans on contracts through the engine.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::access::Actor;
use crate::model::{Contract, Money, NewCustomer, NewOpportunity};
use crate::schedule::Terms;
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, "EUR").unwrap()
}

fn terms_30_70() -> Terms {
    Terms::from_json(
        r#"{"name": "30/70", "lines": [
            {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    )
    .unwrap()
}

/// An admin, a sales user, and a won deal's contract of 1,000.00 EUR owned
/// by the sales user (who may read it; the default policy leaves contract
/// changes to supervisors and admins).
fn setup() -> (Crm<MemoryStore>, FixedClock, Actor, Actor, Contract) {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap());
    let mut crm = Crm::new(
        MemoryStore::new(),
        Config::default(),
        clock.clone(),
        SeededIds::new(5),
    )
    .unwrap();
    let admin = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
    let customer = crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let deal = crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "Rollout".into(),
                customer: Some(customer.id),
                expected_amount: Some(eur("1000.00")),
                ..NewOpportunity::default()
            },
        )
        .unwrap();
    let deal = crm.advance_opportunity(&ana, deal.id, None).unwrap();
    let (_, contract) = crm.win_opportunity(&ana, deal.id).unwrap();
    (crm, clock, admin, ana, contract)
}

#[test]
fn a_plan_is_paid_reversed_written_off_and_rescheduled_with_events() {
    let (mut crm, clock, admin, _, contract) = setup();
    let c = crm
        .set_payment_plan(&admin, contract.id, &terms_30_70(), None)
        .unwrap();
    let plan = c.payment_plan.as_ref().unwrap();
    assert_eq!(plan.installments[0].amount, eur("300.00"));
    assert_eq!(plan.installments[0].due_date, Some(date(2026, 1, 15)));
    // Due today: a reminder for the owner.
    let work = crm.due_work(&admin, crm.now()).unwrap();
    let items: Vec<_> = work
        .iter()
        .flat_map(|w| &w.items)
        .filter(|i| i.kind == DueKind::Installment)
        .collect();
    assert_eq!(items.len(), 1);
    assert!(
        items[0].title.contains("#1 down payment: 300.00 EUR"),
        "{}",
        items[0].title
    );
    assert!(!items[0].overdue);
    // A day later it is overdue.
    clock.advance(Duration::days(1));
    let work = crm.due_work(&admin, crm.now()).unwrap();
    assert!(
        work.iter()
            .flat_map(|w| &w.items)
            .any(|i| i.kind == DueKind::Installment && i.overdue)
    );
    // Paid in two goes, the second overpaying into the acceptance line.
    crm.record_payment(
        &admin,
        contract.id,
        PaymentInput {
            id: "b1".into(),
            amount: eur("200.00"),
            on: None,
            to: None,
        },
    )
    .unwrap();
    let c = crm
        .record_payment(
            &admin,
            contract.id,
            PaymentInput {
                id: "b2".into(),
                amount: eur("150.00"),
                on: None,
                to: None,
            },
        )
        .unwrap();
    let plan = c.payment_plan.as_ref().unwrap();
    assert_eq!(plan.installments[0].paid, eur("300.00"));
    assert_eq!(plan.installments[1].paid, eur("50.00"));
    // Acceptance dates the rest.
    let c = crm
        .reach_milestone(
            &admin,
            contract.id,
            "delivery_accepted",
            Some(date(2026, 2, 1)),
        )
        .unwrap();
    assert_eq!(
        c.payment_plan.as_ref().unwrap().installments[1].due_date,
        Some(date(2026, 3, 3))
    );
    assert_eq!(
        crm.reach_milestone(&admin, contract.id, "delivery_accepted", None)
            .unwrap_err()
            .kind(),
        ErrorKind::Validation
    );
    // b2 bounces.
    let c = crm
        .reverse_payment(&admin, contract.id, "b2", "returned by the bank")
        .unwrap();
    assert_eq!(
        c.payment_plan.as_ref().unwrap().outstanding().unwrap(),
        eur("800.00")
    );
    // Only the configured roles may write off.
    crm.config.write_off_roles = vec!["finance".into()];
    assert_eq!(
        crm.write_off_installment(&admin, contract.id, 1, "goodwill")
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let finance = admin.clone().with_role("finance");
    let c = crm
        .write_off_installment(&finance, contract.id, 1, "goodwill")
        .unwrap();
    assert_eq!(
        c.payment_plan.as_ref().unwrap().outstanding().unwrap(),
        eur("700.00")
    );
    // The rest in two halves.
    let halves = Terms::from_json(
        r#"{"name": "halves", "lines": [
            {"label": "h1", "percent": "50", "due": {"months_after_end_of_month": 0}},
            {"label": "h2", "percent": "50", "due": {"months_after_end_of_month": 1}}]}"#,
    )
    .unwrap();
    assert!(
        crm.reschedule_payments(&admin, contract.id, &halves, None, " ")
            .is_err()
    );
    let c = crm
        .reschedule_payments(
            &admin,
            contract.id,
            &halves,
            Some(date(2026, 2, 10)),
            "customer asked",
        )
        .unwrap();
    let plan = c.payment_plan.as_ref().unwrap();
    assert_eq!(plan.installments.len(), 4);
    assert_eq!(plan.installments[2].amount, eur("350.00"));
    assert_eq!(plan.installments[3].due_date, Some(date(2026, 3, 31)));
    assert_eq!(plan.total().unwrap(), eur("1000.00"));
    // Every change has its event, the reschedule with the old plan.
    let actions: Vec<String> = crm
        .history(&admin, contract.id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "set_payment_plan",
        "payment",
        "milestone",
        "reverse_payment",
        "write_off",
        "reschedule",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let last = crm.history(&admin, contract.id).unwrap().pop().unwrap();
    assert_eq!(last.payload["old_plan"]["terms"], "30/70");
    // Figures: on 15 April the halves are 15 (h2, due 31 March) and 46 (h1, due 28 February) days late.
    let owed = crm.receivables(&admin, None, date(2026, 4, 15)).unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!(owed[0].outstanding, eur("700.00"));
    assert_eq!(owed[0].paid, eur("200.00"));
    assert_eq!(owed[0].aging.days_1_30.amount(), Decimal::new(35000, 2));
    assert_eq!(owed[0].aging.days_31_60.amount(), Decimal::new(35000, 2));
    let collected = crm
        .collected(&admin, date(2026, 1, 1), date(2026, 2, 1))
        .unwrap();
    assert_eq!(collected.len(), 1);
    assert_eq!(
        (collected[0].amount, collected[0].payments),
        (eur("200.00"), 1)
    );
    assert_eq!(collected[0].owner.as_ref().map(|u| u.as_str()), Some("ana"));
}

#[test]
fn payment_errors_name_the_field_and_write_nothing() {
    let (mut crm, _, admin, _, contract) = setup();
    let field = |err: Error| match err {
        Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    let pay = |id: &str, amount: &str| PaymentInput {
        id: id.into(),
        amount: eur(amount),
        on: None,
        to: None,
    };
    assert_eq!(
        field(
            crm.record_payment(&admin, contract.id, pay("b1", "10.00"))
                .unwrap_err()
        ),
        "contract"
    );
    crm.set_payment_plan(&admin, contract.id, &terms_30_70(), None)
        .unwrap();
    crm.record_payment(&admin, contract.id, pay("b1", "10.00"))
        .unwrap();
    let events = crm.history(&admin, contract.id).unwrap().len();
    assert_eq!(
        field(
            crm.record_payment(&admin, contract.id, pay("b1", "10.00"))
                .unwrap_err()
        ),
        "id"
    );
    assert_eq!(
        field(
            crm.record_payment(&admin, contract.id, pay("b2", "0.00"))
                .unwrap_err()
        ),
        "amount"
    );
    let usd = PaymentInput {
        id: "b3".into(),
        amount: Money::parse("1.00", "USD").unwrap(),
        on: None,
        to: None,
    };
    assert_eq!(
        field(crm.record_payment(&admin, contract.id, usd).unwrap_err()),
        "amount"
    );
    assert_eq!(
        field(
            crm.set_payment_plan(&admin, contract.id, &terms_30_70(), None)
                .unwrap_err()
        ),
        "contract"
    );
    assert_eq!(
        field(
            crm.reverse_payment(&admin, contract.id, "nope", "x")
                .unwrap_err()
        ),
        "id"
    );
    assert_eq!(crm.history(&admin, contract.id).unwrap().len(), events);
    // Payment commands need edit rights on the contract.
    let bo = Actor::new(UserId::new("bo").unwrap()).with_role("sales");
    assert_eq!(
        crm.record_payment(&bo, contract.id, pay("b9", "1.00"))
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    // The plan cannot be changed by a plain update.
    let c: Contract = crm.get(&admin, contract.id).unwrap();
    let mut fields = serde_json::Map::new();
    fields.insert("payment_plan".into(), serde_json::Value::Null);
    assert!(
        crm.update_fields(&admin, contract.id, c.meta.version, fields)
            .is_err()
    );
}
