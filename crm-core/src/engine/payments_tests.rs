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

fn terms_signed_accepted() -> Terms {
    Terms::from_json(
        r#"{"name": "30 on signing / 70 on acceptance", "lines": [
            {"label": "on signing", "percent": "30",
             "due": {"milestone": {"event": "contract_signed", "plus_days": 0}}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    )
    .unwrap()
}

#[test]
fn signing_fires_its_milestone_and_a_paid_delivered_contract_completes() {
    let (mut crm, clock, admin, _, contract) = setup();
    let c = crm
        .set_payment_plan(&admin, contract.id, &terms_signed_accepted(), None)
        .unwrap();
    assert_eq!(
        c.payment_plan.as_ref().unwrap().installments[0].due_date,
        None
    );
    clock.advance(Duration::days(2));
    // Signing dates the first line, in the same commit as the step.
    let c = crm.sign_contract(&admin, contract.id).unwrap();
    let plan = c.payment_plan.as_ref().unwrap();
    assert_eq!(plan.installments[0].due_date, Some(date(2026, 1, 17)));
    assert_eq!(plan.installments[1].due_date, None);
    assert_eq!(plan.milestones["contract_signed"], date(2026, 1, 17));
    // Written once: what is returned is what is stored, at the next version.
    let stored: Contract = crm.get(&admin, contract.id).unwrap();
    assert_eq!(stored, c);
    assert_eq!(c.meta.version, contract.meta.version + 2);
    let history = crm.history(&admin, contract.id).unwrap();
    let last: Vec<&str> = history[history.len() - 2..]
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(last, ["sign", "milestone"]);
    assert_eq!(
        history.last().unwrap().payload["fired"][0]["event"],
        "contract_signed"
    );
    let c = crm.activate_contract(&admin, contract.id).unwrap();
    let pay = |id: &str, amount: &str| PaymentInput {
        id: id.into(),
        amount: eur(amount),
        on: None,
        to: None,
    };
    crm.record_payment(&admin, contract.id, pay("b1", "300.00"))
        .unwrap();
    // Paid in full but not delivered: still active.
    let c2 = crm
        .record_payment(&admin, contract.id, pay("b2", "700.00"))
        .unwrap();
    assert!(c2.payment_plan.as_ref().unwrap().is_settled());
    assert_eq!(c2.status, "active");
    assert!(c.meta.version < c2.meta.version);
    // Delivery accepted: paid and delivered, so completed.
    let done = crm
        .reach_milestone(&admin, contract.id, "delivery_accepted", None)
        .unwrap();
    assert_eq!(done.status, "completed");
    assert_eq!(done.ended_at, Some(crm.now()));
    let last = crm.history(&admin, contract.id).unwrap().pop().unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.to.as_deref(),
            last.reason.as_deref()
        ),
        ("complete", Some("completed"), Some("paid and delivered"))
    );
    assert_eq!(crm.get::<Contract>(&admin, contract.id).unwrap(), done);
}

#[test]
fn a_plan_set_after_signing_dates_the_signing_line_and_completion_can_be_turned_off() {
    let (mut crm, clock, admin, _, contract) = setup();
    crm.sign_contract(&admin, contract.id).unwrap();
    clock.advance(Duration::days(5));
    let c = crm
        .set_payment_plan(&admin, contract.id, &terms_signed_accepted(), None)
        .unwrap();
    // Dated from the day it was signed, not the day the plan was set.
    assert_eq!(
        c.payment_plan.as_ref().unwrap().installments[0].due_date,
        Some(date(2026, 1, 15))
    );
    crm.activate_contract(&admin, contract.id).unwrap();
    crm.config.complete_paid_contracts = false;
    crm.reach_milestone(&admin, contract.id, "delivery_accepted", None)
        .unwrap();
    let c = crm
        .record_payment(
            &admin,
            contract.id,
            PaymentInput {
                id: "all".into(),
                amount: eur("1000.00"),
                on: None,
                to: None,
            },
        )
        .unwrap();
    assert_eq!(c.status, "active");
    // Without a delivery milestone, payment alone completes.
    crm.config.complete_paid_contracts = true;
    crm.config.contract_delivery = None;
    let c = crm
        .reverse_payment(&admin, contract.id, "all", "bounced")
        .unwrap();
    assert_eq!(c.status, "active");
    let c = crm
        .record_payment(
            &admin,
            contract.id,
            PaymentInput {
                id: "again".into(),
                amount: eur("1000.00"),
                on: None,
                to: None,
            },
        )
        .unwrap();
    assert_eq!(c.status, "completed");
}

#[test]
fn quote_versions_and_the_accepted_one_makes_the_contract() {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0).unwrap());
    let mut crm = Crm::new(
        MemoryStore::new(),
        Config::default(),
        clock.clone(),
        SeededIds::new(9),
    )
    .unwrap();
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
                name: "Seats".into(),
                customer: Some(customer.id),
                ..NewOpportunity::default()
            },
        )
        .unwrap();
    let prices = crate::quote::PriceList::from_json(
        r#"{"name": "2026", "currency": "EUR", "prices": {"seat": "49.90"}}"#,
    )
    .unwrap();
    let line = |qty: i64, discount: i64| crate::quote::QuoteLine {
        product: "seat".into(),
        quantity: Decimal::from(qty),
        discount_percent: Some(Decimal::from(discount)),
        tax_percent: Decimal::from(19),
        ..Default::default()
    };
    // No currency anywhere: a clear error.
    let err = crm
        .add_quote(
            &ana,
            deal.id,
            QuoteInput {
                lines: vec![line(1, 0)],
                ..QuoteInput::default()
            },
        )
        .unwrap_err();
    assert!(matches!(&err, Error::Validation { fields, .. } if fields == &["currency"]));
    let v1 = QuoteInput {
        lines: vec![line(10, 0)],
        price_list: Some(prices.clone()),
        valid_until: Some(date(2026, 1, 31)),
        ..QuoteInput::default()
    };
    crm.add_quote(&ana, deal.id, v1).unwrap();
    let v2 = QuoteInput {
        lines: vec![line(10, 10)],
        price_list: Some(prices),
        valid_until: Some(date(2026, 1, 20)),
        note: Some("10 % off for the rollout".into()),
        ..QuoteInput::default()
    };
    let deal2 = crm.add_quote(&ana, deal.id, v2).unwrap();
    assert_eq!(deal2.quotes.len(), 2);
    assert_eq!(
        deal2.quotes[0].status,
        crate::quote::QuoteStatus::Superseded
    );
    // 499.00 - 49.90 = 449.10; tax 85.329 -> 85.33; total 534.43.
    assert_eq!(deal2.quotes[1].priced.total, eur("534.43"));
    assert_eq!(deal2.expected_amount, None);
    let field = |err: Error| match err {
        Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(crm.accept_quote(&ana, deal.id, 1).unwrap_err()),
        "version"
    );
    assert_eq!(
        field(crm.accept_quote(&ana, deal.id, 7).unwrap_err()),
        "version"
    );
    // Expired after 20 January.
    clock.advance(Duration::days(6));
    let err = crm.accept_quote(&ana, deal.id, 2).unwrap_err();
    assert!(err.to_string().contains("expired on 2026-01-20"), "{err}");
    clock.advance(Duration::days(-2));
    let accepted = crm.accept_quote(&ana, deal.id, 2).unwrap();
    assert_eq!(accepted.expected_amount, Some(eur("534.43")));
    let deal = crm.advance_opportunity(&ana, deal.id, None).unwrap();
    let (won, contract) = crm.win_opportunity(&ana, deal.id).unwrap();
    assert_eq!(contract.amount, eur("534.43"));
    assert_eq!(contract.quote_version, Some(2));
    assert_eq!(contract.lines, won.quotes[1].priced.lines);
    // A closed deal takes no more quotes.
    let err = crm
        .add_quote(
            &ana,
            deal.id,
            QuoteInput {
                lines: vec![line(1, 0)],
                currency: Some("EUR".parse().unwrap()),
                ..QuoteInput::default()
            },
        )
        .unwrap_err();
    assert_eq!(field(err), "opportunity");
    let actions: Vec<String> = crm
        .history(&ana, deal.id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "quote").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a == "accept_quote"));
}

#[test]
fn a_terminated_contract_is_reminded_of_what_is_overdue_only() {
    let (mut crm, clock, admin, _, contract) = setup();
    let terms = Terms::from_json(
        r#"{"name": "halves", "lines": [
            {"label": "h1", "percent": "50", "due": {"days_after": 2}},
            {"label": "h2", "percent": "50", "due": {"days_after": 4}}]}"#,
    )
    .unwrap();
    crm.set_payment_plan(&admin, contract.id, &terms, None)
        .unwrap();
    let reminders = |crm: &Crm<MemoryStore>| -> Vec<(String, bool)> {
        crm.due_work(&admin, crm.now())
            .unwrap()
            .into_iter()
            .flat_map(|w| w.items)
            .filter(|i| i.kind == DueKind::Installment)
            .map(|i| (i.title, i.overdue))
            .collect()
    };
    assert_eq!(reminders(&crm).len(), 1); // h1 within 3 days
    clock.advance(Duration::days(3));
    assert_eq!(reminders(&crm).len(), 2); // h1 overdue, h2 due tomorrow
    crm.terminate_contract(&admin, contract.id, "customer went bust")
        .unwrap();
    let left = reminders(&crm);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].0.contains("h1") && left[0].1);
}
