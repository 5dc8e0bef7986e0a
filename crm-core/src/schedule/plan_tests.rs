use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::model::Money;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, "EUR").unwrap()
}

fn plan_30_70() -> PaymentPlan {
    let terms = Terms::from_json(
        r#"{"name": "30/70", "lines": [
            {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    )
    .unwrap();
    let installments = split(&eur("1000.00"), &terms, Some(date(2026, 1, 15))).unwrap();
    PaymentPlan::new(&terms.name, installments).unwrap()
}

#[test]
fn lifecycle_partial_paid_overdue_milestone() {
    let mut plan = plan_30_70();
    let day = date(2026, 1, 15);
    assert_eq!(plan.installments[0].status(day), InstallmentStatus::Due);
    assert_eq!(plan.installments[1].status(day), InstallmentStatus::Planned);
    assert_eq!(
        plan.installments[0].status(date(2026, 1, 16)),
        InstallmentStatus::Overdue
    );
    plan.record_payment("bank-1", eur("100.00"), day, None)
        .unwrap();
    assert_eq!(
        plan.installments[0].status(day),
        InstallmentStatus::PartiallyPaid
    );
    plan.record_payment("bank-2", eur("200.00"), day, None)
        .unwrap();
    assert_eq!(
        plan.installments[0].status(date(2026, 3, 1)),
        InstallmentStatus::Paid
    );
    // The acceptance dates the second line.
    assert_eq!(
        plan.reach_milestone("delivery_accepted", date(2026, 2, 10))
            .unwrap(),
        1
    );
    assert_eq!(plan.installments[1].due_date, Some(date(2026, 3, 12)));
    let (soon, overdue) = plan.due_soon(date(2026, 3, 10), 3);
    assert_eq!((soon.len(), overdue.len()), (1, 0));
    let (soon, overdue) = plan.due_soon(date(2026, 3, 13), 3);
    assert_eq!((soon.len(), overdue.len()), (0, 1));
    let aging = plan.aging(date(2026, 5, 1)).unwrap();
    assert_eq!(aging.days_31_60.amount(), Decimal::new(70000, 2));
    assert_eq!(aging.current.amount(), Decimal::ZERO);
    // An overpayment leaves a credit; the plan is settled.
    let p = plan
        .record_payment("bank-3", eur("750.00"), date(2026, 3, 12), None)
        .unwrap();
    assert_eq!(p.credit.amount(), Decimal::new(5000, 2));
    assert!(plan.is_settled());
    assert_eq!(plan.credit.amount(), Decimal::new(5000, 2));
    // It bounced: owed again, credit taken back.
    plan.reverse_payment("bank-3", date(2026, 3, 20), "insufficient funds")
        .unwrap();
    assert_eq!(plan.outstanding().unwrap().amount(), Decimal::new(70000, 2));
    assert_eq!(plan.credit.amount(), Decimal::ZERO);
    assert!(
        plan.reverse_payment("bank-3", date(2026, 3, 20), "again")
            .is_err()
    );
}

#[test]
fn named_installments_write_offs_and_errors() {
    let mut plan = plan_30_70();
    let day = date(2026, 1, 20);
    let p = plan
        .record_payment("b1", eur("50.00"), day, Some(&[2]))
        .unwrap();
    assert_eq!(p.allocations[0].installment, 2);
    assert_eq!(
        plan.write_off(1, day, "goodwill").unwrap().amount(),
        Decimal::new(30000, 2)
    );
    assert_eq!(
        plan.installments[0].status(day),
        InstallmentStatus::WrittenOff
    );
    let field = |err: Error| match err {
        Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(plan.write_off(1, day, "again").unwrap_err()),
        "installment"
    );
    assert_eq!(field(plan.write_off(2, day, " ").unwrap_err()), "reason");
    assert_eq!(
        field(
            plan.record_payment("b1", eur("1.00"), day, None)
                .unwrap_err()
        ),
        "id"
    );
    assert_eq!(
        field(
            plan.record_payment("b2", eur("0.00"), day, None)
                .unwrap_err()
        ),
        "amount"
    );
    let usd = Money::parse("1.00", "USD").unwrap();
    assert_eq!(
        field(plan.record_payment("b2", usd, day, None).unwrap_err()),
        "amount"
    );
    assert_eq!(
        field(
            plan.record_payment("b2", eur("1.00"), day, Some(&[9]))
                .unwrap_err()
        ),
        "installment"
    );
    assert_eq!(
        field(plan.reverse_payment("nope", day, "x").unwrap_err()),
        "id"
    );
}

#[test]
fn rescheduling_keeps_what_was_paid() {
    let mut plan = plan_30_70();
    plan.record_payment("b1", eur("300.00"), date(2026, 1, 15), None)
        .unwrap();
    plan.record_payment("b2", eur("100.00"), date(2026, 2, 1), Some(&[2]))
        .unwrap();
    let monthly = Terms::from_json(
        r#"{"name": "monthly", "lines": [
            {"label": "m1", "percent": "50", "due": {"months_after_end_of_month": 0}},
            {"label": "m2", "percent": "50", "due": {"months_after_end_of_month": 1}}]}"#,
    )
    .unwrap();
    let numbers = plan.reschedule(&monthly, Some(date(2026, 2, 1))).unwrap();
    assert_eq!(numbers, [3, 4]);
    assert_eq!(plan.installments[1].amount.amount(), Decimal::new(10000, 2));
    assert!(plan.installments[1].replaced);
    assert_eq!(plan.installments[2].amount.amount(), Decimal::new(30000, 2));
    assert_eq!(plan.installments[3].due_date, Some(date(2026, 3, 31)));
    assert_eq!(plan.total().unwrap().amount(), Decimal::new(100000, 2));
    assert_eq!(plan.outstanding().unwrap().amount(), Decimal::new(60000, 2));
    assert_eq!(plan.terms, "monthly");
}

proptest! {
    /// Random payments and reversals on a random plan: a payment's
    /// allocations and credit add up to it, no installment is paid beyond its
    /// amount, paid + open + written off is the total, and reversing every
    /// payment gives the plan back unpaid.
    #[test]
    fn allocation_never_pays_more_than_owed(
        units in 1i64..10_000_000,
        ops in prop::collection::vec((0u8..3, 1i64..5_000_000, prop::option::of(1u32..4)), 1..12),
    ) {
        let terms = Terms::from_json(
            r#"{"name": "thirds", "lines": [
                {"label": "1", "percent": "33.33", "due": {"days_after": 0}},
                {"label": "2", "percent": "33.33", "due": {"days_after": 30}},
                {"label": "3", "percent": "33.34", "due": {"days_after": 60}}]}"#,
        ).unwrap();
        let total = Money::new(Decimal::new(units, 2), "EUR".parse().unwrap()).unwrap();
        let mut plan = PaymentPlan::new("thirds", split(&total, &terms, Some(date(2026, 1, 1))).unwrap()).unwrap();
        let day = date(2026, 2, 1);
        for (n, (op, amount, to)) in ops.iter().enumerate() {
            match op {
                0 | 1 => {
                    let to = to.map(|t| vec![t]);
                    let amount = Money::new(Decimal::new(*amount, 2), plan.currency).unwrap();
                    let p = plan.record_payment(&format!("p{n}"), amount, day, to.as_deref()).unwrap().clone();
                    let allocated: Decimal = p.allocations.iter().map(|a| a.amount.amount()).sum();
                    prop_assert_eq!(allocated + p.credit.amount(), p.amount.amount());
                }
                _ => {
                    if let Some(p) = plan.payments.iter().rev().find(|p| p.reversed.is_none()).cloned() {
                        let _ = plan.reverse_payment(&p.id, day, "bounced");
                    }
                }
            }
            let mut written = Decimal::ZERO;
            for line in &plan.installments {
                prop_assert!(line.paid.amount() >= Decimal::ZERO);
                prop_assert!(line.paid.amount() <= line.amount.amount());
                written += line.written_off.as_ref().map_or(Decimal::ZERO, |w| w.amount.amount());
            }
            prop_assert_eq!(
                plan.paid().unwrap().amount() + plan.outstanding().unwrap().amount() + written,
                plan.total().unwrap().amount()
            );
            prop_assert!(plan.credit.amount() >= Decimal::ZERO);
        }
        // Reverse every payment still standing, newest first.
        let standing: Vec<String> = plan.payments.iter().rev().filter(|p| p.reversed.is_none()).map(|p| p.id.clone()).collect();
        for id in standing {
            plan.reverse_payment(&id, day, "undo").unwrap();
        }
        prop_assert_eq!(plan.paid().unwrap().amount(), Decimal::ZERO);
        prop_assert_eq!(plan.credit.amount(), Decimal::ZERO);
    }
}
