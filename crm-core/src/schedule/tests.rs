use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn amounts(plan: &[Installment]) -> Vec<String> {
    plan.iter().map(|i| i.amount.amount().to_string()).collect()
}

fn terms(json: &str) -> Terms {
    Terms::from_json(json).unwrap()
}

#[test]
fn thirty_now_seventy_after_acceptance() {
    let t = terms(
        r#"{"name": "30/70", "lines": [
            {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
            {"label": "on acceptance", "percent": "70",
             "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"#,
    );
    let mut plan = split(
        &Money::parse("1000.00", "EUR").unwrap(),
        &t,
        Some(date(2026, 1, 15)),
    )
    .unwrap();
    assert_eq!(amounts(&plan), ["300.00", "700.00"]);
    assert_eq!(plan[0].due_date, Some(date(2026, 1, 15)));
    assert_eq!(plan[1].due_date, None);
    assert_eq!(plan[1].milestone.as_deref(), Some("delivery_accepted"));
    assert_eq!(
        reach_milestone(&mut plan, "contract_signed", date(2026, 2, 1)).unwrap(),
        0
    );
    assert_eq!(
        reach_milestone(&mut plan, "delivery_accepted", date(2026, 3, 10)).unwrap(),
        1
    );
    assert_eq!(plan[1].due_date, Some(date(2026, 4, 9)));
}

#[test]
fn three_equal_thirds_of_5_47_and_a_yen_total() {
    let t = terms(
        r#"{"name": "thirds", "lines": [
            {"label": "1", "percent": "33.33", "due": {"days_after": 0}},
            {"label": "2", "percent": "33.33", "due": {"days_after": 30}},
            {"label": "3", "percent": "33.34", "due": {"days_after": 60}}]}"#,
    );
    assert_eq!(
        amounts(&split(&Money::parse("5.47", "EUR").unwrap(), &t, None).unwrap()),
        ["1.82", "1.82", "1.83"]
    );
    assert_eq!(
        amounts(&split(&Money::parse("1000", "JPY").unwrap(), &t, None).unwrap()),
        ["333", "333", "334"]
    );
    assert_eq!(
        amounts(&split(&Money::parse("1.000", "KWD").unwrap(), &t, None).unwrap()),
        ["0.333", "0.333", "0.334"]
    );
    // The remainder can go to another line.
    let mut first = t.clone();
    first.remainder_line = Some(0);
    assert_eq!(
        amounts(&split(&Money::parse("5.47", "EUR").unwrap(), &first, None).unwrap()),
        ["1.83", "1.82", "1.82"]
    );
}

#[test]
fn tiny_totals_never_go_negative() {
    let quarters = terms(
        r#"{"name": "quarters", "lines": [
            {"label": "q1", "percent": "25", "due": {"days_after": 0}},
            {"label": "q2", "percent": "25", "due": {"days_after": 90}},
            {"label": "q3", "percent": "25", "due": {"days_after": 180}},
            {"label": "q4", "percent": "25", "due": {"days_after": 270}}]}"#,
    );
    // Half-up would give 0.01 x 3 and -0.01: every line rounds down instead.
    assert_eq!(
        amounts(&split(&Money::parse("0.02", "EUR").unwrap(), &quarters, None).unwrap()),
        ["0.00", "0.00", "0.00", "0.02"]
    );
    assert_eq!(
        amounts(&split(&Money::parse("0", "EUR").unwrap(), &quarters, None).unwrap()),
        ["0.00", "0.00", "0.00", "0.00"]
    );
}

#[test]
fn fixed_lines_come_first_and_must_fit() {
    let t = terms(
        r#"{"name": "fee + rest", "lines": [
            {"label": "setup fee", "fixed": "250.00", "due": {"days_after": 0}},
            {"label": "half", "percent": "50", "due": {"end_of_month": {"plus_days": 0}}},
            {"label": "half", "percent": "50", "due": {"months_after_end_of_month": 1}}]}"#,
    );
    let plan = split(
        &Money::parse("1000.01", "USD").unwrap(),
        &t,
        Some(date(2026, 1, 20)),
    )
    .unwrap();
    assert_eq!(amounts(&plan), ["250.00", "375.01", "375.00"]);
    let err = split(&Money::parse("100.00", "USD").unwrap(), &t, None).unwrap_err();
    assert!(err.to_string().contains("terms.lines[0].fixed"), "{err}");
    let only_fixed = terms(
        r#"{"name": "two fixed", "lines": [
            {"label": "a", "fixed": "10", "due": {"days_after": 0}},
            {"label": "b", "fixed": "5", "due": {"days_after": 10}}]}"#,
    );
    assert!(split(&Money::parse("15.00", "EUR").unwrap(), &only_fixed, None).is_ok());
    let err = split(&Money::parse("16.00", "EUR").unwrap(), &only_fixed, None).unwrap_err();
    assert!(err.to_string().contains("terms.lines"), "{err}");
    let err = split(
        &Money::parse("15", "JPY").unwrap(),
        &terms(
            r#"{"name": "x", "lines": [{"label": "a", "fixed": "10.5", "due": {"days_after": 0}},
            {"label": "b", "percent": "100", "due": {"days_after": 0}}]}"#,
        ),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("terms.lines[0].fixed"), "{err}");
}

#[test]
fn due_date_modes() {
    let base = date(2026, 1, 15);
    assert_eq!(
        Due::DaysAfter(30).date_from(base).unwrap(),
        date(2026, 2, 14)
    );
    assert_eq!(
        Due::EndOfMonth { plus_days: 10 }.date_from(base).unwrap(),
        date(2026, 2, 10)
    );
    assert_eq!(
        Due::MonthsAfterEndOfMonth(1).date_from(base).unwrap(),
        date(2026, 2, 28)
    );
    assert_eq!(
        Due::MonthsAfterEndOfMonth(1)
            .date_from(date(2028, 1, 31))
            .unwrap(),
        date(2028, 2, 29)
    );
    assert_eq!(
        Due::MonthsAfterEndOfMonth(0)
            .date_from(date(2026, 12, 5))
            .unwrap(),
        date(2026, 12, 31)
    );
    // "End of month on the 10th": the 10th of the month after.
    let eom10 = Due::DayOfNextMonth {
        day: 10,
        after_days: 0,
    };
    assert_eq!(eom10.date_from(base).unwrap(), date(2026, 2, 10));
    assert_eq!(
        eom10.date_from(date(2026, 1, 31)).unwrap(),
        date(2026, 2, 10)
    );
    assert_eq!(
        eom10.date_from(date(2026, 12, 31)).unwrap(),
        date(2027, 1, 10)
    );
    // Clamped to the month's length; the days count before the month turns.
    let d31 = Due::DayOfNextMonth {
        day: 31,
        after_days: 20,
    };
    assert_eq!(d31.date_from(date(2026, 1, 5)).unwrap(), date(2026, 2, 28));
    assert_eq!(d31.date_from(date(2026, 1, 15)).unwrap(), date(2026, 3, 31));
    assert_eq!(
        Due::Milestone {
            event: "signed".into(),
            plus_days: 7
        }
        .date_from(base)
        .unwrap(),
        date(2026, 1, 22)
    );
}

#[test]
fn templates_are_checked_with_paths() {
    for (json, field) in [
        (r#"{"name": "", "lines": []}"#, "terms.name"),
        (r#"{"name": "x", "lines": []}"#, "terms.lines"),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "99.9999", "due": {"days_after": 0}}]}"#,
            "terms.lines",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "0", "due": {"days_after": 0}},
            {"label": "b", "percent": "100", "due": {"days_after": 0}}]}"#,
            "terms.lines[0].percent",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "due": {"days_after": 0}}]}"#,
            "terms.lines[0].percent",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "50", "fixed": "1", "due": {"days_after": 0}}]}"#,
            "terms.lines[0].percent",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "fixed": "-1", "due": {"days_after": 0}}]}"#,
            "terms.lines[0].fixed",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "100", "due": {"day_of_next_month": {"day": 32}}}]}"#,
            "terms.lines[0].due.day_of_next_month.day",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "100", "due": {"milestone": {"event": " "}}}]}"#,
            "terms.lines[0].due.milestone.event",
        ),
        (
            r#"{"name": "x", "remainder_line": 1, "lines": [{"label": "a", "percent": "100", "due": {"days_after": 0}}]}"#,
            "terms.remainder_line",
        ),
        (
            r#"{"name": "x", "lines": [{"label": "a", "percent": "100", "due": {"weekly": 1}}]}"#,
            "terms",
        ),
    ] {
        match Terms::from_json(json).unwrap_err() {
            Error::Validation { fields, .. } => assert_eq!(fields, [field], "{json}"),
            other => panic!("{other:?}"),
        }
    }
    // 33.33 + 33.33 + 33.34 is exactly 100.
    assert!(
        Terms::from_json(
            r#"{"name": "x", "lines": [
        {"label": "a", "percent": "33.33", "due": {"days_after": 0}},
        {"label": "b", "percent": "33.33", "due": {"days_after": 0}},
        {"label": "c", "percent": "33.34", "due": {"days_after": 0}}]}"#
        )
        .is_ok()
    );
}

/// Percent lines as basis points summing to 10,000.
fn percents() -> impl Strategy<Value = Vec<Decimal>> {
    prop::collection::vec(1u32..10_000, 0..6).prop_map(|cuts| {
        let mut cuts: Vec<u32> = cuts;
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::new();
        let mut last = 0;
        for c in cuts.into_iter().chain([10_000]) {
            out.push(Decimal::new(i64::from(c - last), 2));
            last = c;
        }
        out
    })
}

proptest! {
    #[test]
    fn splits_sum_to_the_total_and_never_go_negative(
        units in 0i64..100_000_000_000,
        currency in prop::sample::select(vec!["JPY", "EUR", "KWD", "CLF"]),
        percents in percents(),
        fixed in prop::collection::vec(0i64..5_000, 0..3),
        remainder_first in any::<bool>(),
        rounding in prop::sample::select(vec![Rounding::HalfUp, Rounding::HalfEven, Rounding::Down]),
    ) {
        let currency: Currency = currency.parse().unwrap();
        let scale = currency.minor_units();
        let total = Money::new(Decimal::new(units, scale), currency).unwrap();
        let mut lines: Vec<TermLine> = fixed.iter().map(|f| TermLine {
            label: "fixed".into(), percent: None, fixed: Some(Decimal::new(*f, scale)), due: Due::DaysAfter(0),
        }).collect();
        let first_percent = lines.len();
        lines.extend(percents.iter().map(|p| TermLine {
            label: "share".into(), percent: Some(*p), fixed: None, due: Due::DaysAfter(30),
        }));
        let terms = Terms {
            name: "random".into(),
            lines,
            rounding,
            remainder_line: remainder_first.then_some(first_percent),
        };
        match split(&total, &terms, Some(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap())) {
            Ok(plan) => {
                let sum: Decimal = plan.iter().map(|i| i.amount.amount()).sum();
                prop_assert_eq!(sum, total.amount());
                for (i, installment) in plan.iter().enumerate() {
                    prop_assert!(!installment.amount.is_negative());
                    prop_assert_eq!(installment.amount.currency(), currency);
                    if let Some(f) = terms.lines[i].fixed {
                        prop_assert_eq!(installment.amount.amount(), f);
                    }
                }
            }
            Err(err) => {
                // Only fixed lines that do not fit may fail.
                let fixed_sum: i64 = fixed.iter().sum();
                prop_assert!(fixed_sum > units || percents.is_empty() && fixed_sum != units, "{err}");
            }
        }
    }
}
