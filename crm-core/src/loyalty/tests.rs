use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::model::{Customer, CustomerId, CustomerKind, FieldValue, Meta, PointsEntryId, UserId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn id(n: u128) -> PointsEntryId {
    PointsEntryId::from_uuid(Uuid::from_u128(n))
}

#[derive(Debug, Clone)]
enum Op {
    Credit {
        points: i64,
        expires_in: Option<i64>,
    },
    Debit {
        points: i64,
    },
    Reverse {
        points: i64,
        lot: usize,
    },
    Wait {
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..500, prop::option::of(1i64..200))
            .prop_map(|(points, expires_in)| Op::Credit { points, expires_in }),
        (1i64..800).prop_map(|points| Op::Debit { points }),
        (1i64..300, 0usize..20).prop_map(|(points, lot)| Op::Reverse { points, lot }),
        (1i64..100).prop_map(|hours| Op::Wait { hours }),
    ]
}

proptest! {
    /// The balance is the sum of the entries, never below zero, and no point
    /// is taken twice: what debits and expiries took from a lot never
    /// exceeds what it credited, and what is left is the difference.
    #[test]
    fn the_balance_is_the_sum_of_the_entries_and_no_point_is_spent_twice(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        let mut account = Membership::new(t0());
        let mut now = t0();
        let mut entries: Vec<i64> = Vec::new();
        let mut credited: HashMap<PointsEntryId, i64> = HashMap::new();
        let mut taken: HashMap<PointsEntryId, i64> = HashMap::new();
        let mut next = 1u128;
        for op in ops {
            // Every movement first posts what has expired, as the engine does.
            for lot in account.expire(now) {
                entries.push(-lot.points);
                *taken.entry(lot.entry).or_default() += lot.points;
            }
            match op {
                Op::Credit { points, expires_in } => {
                    let entry = id(next);
                    next += 1;
                    account
                        .credit(entry, points, now, expires_in.map(|h| now + Duration::hours(h)))
                        .unwrap();
                    entries.push(points);
                    credited.insert(entry, points);
                }
                Op::Debit { points } => {
                    let before = account.clone();
                    match account.debit(points, now, None) {
                        Ok(uses) => {
                            prop_assert_eq!(uses.iter().map(|u| u.points).sum::<i64>(), points);
                            entries.push(-points);
                            for u in uses {
                                *taken.entry(u.entry).or_default() += u.points;
                            }
                        }
                        Err(e) => {
                            prop_assert!(points > before.available(now));
                            prop_assert!(e.to_string().contains("available"), "{}", e);
                            prop_assert_eq!(&account, &before);
                        }
                    }
                }
                Op::Reverse { points, lot } => {
                    let first = account.lots.get(lot).map(|l| l.entry);
                    let take = points.min(account.balance);
                    if take > 0 {
                        let uses = account.debit(take, now, first).unwrap();
                        if let (Some(first), Some(u)) = (first, uses.first()) {
                            prop_assert_eq!(u.entry, first);
                        }
                        entries.push(-take);
                        for u in uses {
                            *taken.entry(u.entry).or_default() += u.points;
                        }
                    }
                }
                Op::Wait { hours } => now += Duration::hours(hours),
            }
            prop_assert_eq!(account.balance, entries.iter().sum::<i64>());
            prop_assert!(account.balance >= 0);
            prop_assert_eq!(
                account.balance,
                account.lots.iter().map(|l| l.remaining).sum::<i64>()
            );
            for (entry, points) in &credited {
                let used = taken.get(entry).copied().unwrap_or(0);
                prop_assert!(used <= *points, "lot {entry} credited {points}, took {used}");
                let left = account.lots.iter().find(|l| l.entry == *entry).map_or(0, |l| l.remaining);
                prop_assert_eq!(left, points - used);
            }
        }
    }
}

#[test]
fn debits_take_the_oldest_points_first_and_skip_expired_ones() {
    let mut account = Membership::new(t0());
    let day = |d| t0() + Duration::days(d);
    account.credit(id(1), 100, day(0), Some(day(10))).unwrap();
    account.credit(id(2), 50, day(1), None).unwrap();
    account.credit(id(3), 30, day(2), Some(day(40))).unwrap();
    let uses = account.debit(120, day(5), None).unwrap();
    assert_eq!(
        uses,
        [
            LotUse {
                entry: id(1),
                points: 100
            },
            LotUse {
                entry: id(2),
                points: 20
            }
        ]
    );
    // Lot 3 expires on day 40; at day 41 only lot 2's 30 points are live.
    let err = account.debit(31, day(41), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid points: is more than the 30 points available (got `31`)"
    );
    assert_eq!(account.available(day(41)), 30);
    assert_eq!(
        account.expire(day(41)),
        [LotUse {
            entry: id(3),
            points: 30
        }]
    );
    assert_eq!((account.balance, account.expired), (30, 30));
}

fn program(value: serde_json::Value) -> LoyaltyConfig {
    LoyaltyConfig::from_value(value).unwrap()
}

fn line(product: Option<&str>, category: Option<&str>, cents: i64) -> PurchaseLine {
    PurchaseLine {
        product: product.map(Into::into),
        category: category.map(Into::into),
        amount: Decimal::new(cents, 2),
    }
}

#[test]
fn a_line_earns_at_its_most_specific_rate_and_multipliers_stack() {
    let p = program(json!({
        "earn": [
            { "name": "base", "per": "1.00", "points": 1 },
            { "name": "coffee", "category": "coffee", "per": "1.00", "points": 3 },
            { "name": "espresso machine", "product": "x9", "per": "10", "points": 5 },
            { "name": "gold", "level": "gold", "multiply": 2 },
            { "name": "summer", "campaign": "summer", "multiply": "1.5" }
        ],
        "levels": [ { "name": "member" }, { "name": "gold", "min_points": 1000 } ]
    }));
    // 12.34 plain: 12.34 -> 12. Coffee 2.50: 7.5. The x9 (a coffee product)
    // at 99.99: 49.995 (its product rate beats its category's).
    let lines = [
        line(None, None, 1234),
        line(None, Some("coffee"), 250),
        line(Some("x9"), Some("coffee"), 9999),
    ];
    let e = p.points_for(&lines, None, None);
    assert_eq!(e.base, Decimal::new(69835, 3));
    assert_eq!(e.points, 69);
    assert_eq!(e.rules, ["base", "coffee", "espresso machine"]);
    // A gold member in the summer campaign: x 2 x 1.5 = 209.505 -> 209.
    let e = p.points_for(&lines, Some("gold"), Some("summer"));
    assert_eq!((e.points, e.multiplier), (209, Decimal::new(30, 1)));
    // Refund lines and lines no rate matches earn nothing.
    let q =
        program(json!({ "earn": [ { "name": "tea", "category": "tea", "per": 1, "points": 1 } ] }));
    assert_eq!(
        q.points_for(
            &[
                line(None, Some("coffee"), 500),
                line(None, Some("tea"), -300)
            ],
            None,
            None
        )
        .points,
        0
    );
}

#[test]
fn bad_programs_name_the_rule_at_fault() {
    let bad = |v: serde_json::Value| LoyaltyConfig::from_value(v).unwrap_err().to_string();
    assert_eq!(
        bad(json!({ "earn": [ { "name": "a", "per": 0, "points": 1 } ] })),
        "invalid configuration at loyalty.earn[0].per: must be above 0, not 0"
    );
    assert!(
        bad(json!({ "earn": [ { "name": "a", "per": 1 } ] }))
            .contains("loyalty.earn[0]: must be a rate")
    );
    assert!(
        bad(json!({ "earn": [ { "name": "g", "level": "gold", "multiply": 2 } ] }))
            .contains("names no level: `gold`")
    );
    assert!(
        bad(json!({ "levels": [ { "name": "a" }, { "name": "a" } ] }))
            .contains("loyalty.levels[1].name")
    );
    assert!(
        bad(json!({ "care": [ { "name": "x", "action": "call" } ] }))
            .contains("needs exactly one of")
    );
    assert!(
        bad(json!({ "care": [ { "name": "x", "yearly": "birthday", "action": "call" } ] }))
            .contains("loyalty.care[0].yearly")
    );
    assert!(bad(json!({ "time_zone": "Mars/Olympus" })).contains("loyalty.time_zone"));
    assert!(bad(json!({ "earn": [], "points_per": 3 })).contains("unknown field `points_per`"));
}

#[test]
fn levels_upgrade_at_once_and_downgrade_after_the_grace_period() {
    let p = program(json!({
        "levels": [
            { "name": "member" },
            { "name": "silver", "min_points": 500 },
            { "name": "gold", "min_spend": "1000", "rfm_tiers": ["A"] }
        ],
        "window_days": 30, "grace_days": 10
    }));
    let day = |d| t0() + Duration::days(d);
    let mut m = Membership::new(day(0));
    let buy = |m: &mut Membership, at, points, spend| {
        m.window.push(WindowItem {
            at,
            points,
            spend: Decimal::from(spend),
        });
    };
    assert_eq!(
        p.review(&mut m, None, day(0)).unwrap().to.as_deref(),
        Some("member")
    );
    buy(&mut m, day(1), 600, 400);
    let up = p.review(&mut m, None, day(1)).unwrap();
    assert_eq!(
        (up.from.as_deref(), up.to.as_deref()),
        (Some("member"), Some("silver"))
    );
    assert!(
        up.reason
            .contains("600 points and 400 spent in the last 30 days"),
        "{}",
        up.reason
    );
    // An RFM tier A reaches gold.
    assert_eq!(
        p.review(&mut m, Some(crate::model::Tier::A), day(2))
            .unwrap()
            .to
            .as_deref(),
        Some("gold")
    );
    // Without tier A, silver is reached: a downgrade waits 10 days.
    assert_eq!(p.review(&mut m, None, day(3)), None);
    assert_eq!(
        m.downgrade.as_ref().map(|d| (d.to.clone(), d.at)),
        Some((Some("silver".into()), day(13)))
    );
    assert_eq!(m.next_check_at, Some(day(13)));
    // The purchase leaves the window on day 31, so on day 13 still silver.
    let down = p.review(&mut m, None, day(13)).unwrap();
    assert_eq!(
        (down.from.as_deref(), down.to.as_deref()),
        (Some("gold"), Some("silver"))
    );
    assert!(down.reason.ends_with("the grace period ended"));
    assert_eq!(m.next_check_at, Some(day(31)));
    // Qualifying again in the grace period drops the pending downgrade.
    assert_eq!(p.review(&mut m, None, day(31)), None);
    assert!(m.downgrade.is_some());
    buy(&mut m, day(35), 500, 0);
    assert_eq!(p.review(&mut m, None, day(35)), None);
    assert_eq!(m.downgrade, None);
    assert_eq!(m.level.as_deref(), Some("silver"));
}

fn customer(tz: Option<&str>) -> Customer {
    Customer {
        id: CustomerId::from_uuid(Uuid::from_u128(7)),
        meta: Meta::new(t0(), UserId::new("ana").unwrap()),
        kind: CustomerKind::Person,
        name: "Mia".into(),
        stage: "active".into(),
        stage_since: Some(t0()),
        tier: None,
        owner: Some(UserId::new("ana").unwrap()),
        team: None,
        region: None,
        industry: None,
        tags: vec![],
        phone: None,
        email: None,
        source_lead: None,
        time_zone: tz.map(Into::into),
        segment: None,
        last_contact_at: None,
        loyalty: None,
        care_done: Default::default(),
        custom: Default::default(),
    }
}

fn rules(value: serde_json::Value) -> Vec<CareRule> {
    program(json!({ "care": value })).care
}

#[test]
fn a_birthday_falls_due_at_local_midnight_in_the_customers_zone() {
    let r = rules(
        json!([{ "name": "birthday", "yearly": "custom.birthday", "action": "send a card" }]),
    );
    let mut c = customer(Some("Pacific/Auckland"));
    c.custom.insert(
        "birthday".into(),
        FieldValue::Date(chrono::NaiveDate::from_ymd_opt(1990, 3, 14).unwrap()),
    );
    // Midnight of 14 March 2026 in Auckland (UTC+13) is 11:00 UTC on the 13th.
    let now = Utc.with_ymd_and_hms(2026, 3, 13, 10, 0, 0).unwrap();
    let items = care_due(&r, &c, now, now + Duration::hours(24), None);
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].due_at,
        Utc.with_ymd_and_hms(2026, 3, 13, 11, 0, 0).unwrap()
    );
    assert_eq!(items[0].reason, "birthday on 2026-03-14 (36 years)");
    assert_eq!(
        (items[0].occurrence.as_str(), items[0].action.as_str()),
        ("2026-03-14", "send a card")
    );
    // Not yet listed an hour earlier with a 30-minute horizon.
    assert!(care_due(&r, &c, now, now + Duration::minutes(30), None).is_empty());
    // Handled: gone; a week after the day: gone too, even if not handled.
    c.care_done.insert("birthday".into(), "2026-03-14".into());
    assert!(care_due(&r, &c, now, now + Duration::days(1), None).is_empty());
    c.care_done.clear();
    let later = Utc.with_ymd_and_hms(2026, 3, 21, 12, 0, 0).unwrap();
    assert!(care_due(&r, &c, later, later + Duration::days(1), None).is_empty());
}

#[test]
fn a_29_february_birthday_falls_on_the_28th_in_other_years() {
    let r = rules(
        json!([{ "name": "b", "yearly": "custom.born", "days_before": 1, "action": "card" }]),
    );
    let mut c = customer(None);
    c.custom.insert(
        "born".into(),
        FieldValue::Date(chrono::NaiveDate::from_ymd_opt(2000, 2, 29).unwrap()),
    );
    let now = Utc.with_ymd_and_hms(2026, 2, 27, 8, 0, 0).unwrap();
    let items = care_due(
        &r,
        &c,
        now,
        now + Duration::days(1),
        Some(chrono_tz::Europe::Berlin),
    );
    assert_eq!(items[0].occurrence, "2026-02-28");
    // A day before, at Berlin midnight: 23:00 UTC on the 26th.
    assert_eq!(
        items[0].due_at,
        Utc.with_ymd_and_hms(2026, 2, 26, 23, 0, 0).unwrap()
    );
    assert!(items[0].due_at < now);
}

#[test]
fn no_contact_first_purchase_level_change_and_stage_items() {
    let r = rules(json!([
        { "name": "call", "no_contact_days": 30, "action": "call them" },
        { "name": "thanks", "first_purchase_days": 3, "action": "thank-you call" },
        { "name": "level", "level_change": true, "action": "congratulate" },
        { "name": "risk", "stage": "at_risk", "action": "win-back offer", "when": { "field": "tags", "eq": "vip" } }
    ]));
    let day = |d| t0() + Duration::days(d);
    let mut c = customer(None);
    let names = |c: &Customer, now| -> Vec<String> {
        care_due(&r, c, now, now + Duration::days(1), None)
            .into_iter()
            .map(|i| i.rule)
            .collect()
    };
    // Created on day 0, never contacted: due on day 30, listed a day ahead.
    assert!(names(&c, day(28)).is_empty());
    assert_eq!(names(&c, day(29) + Duration::hours(1)), ["call"]);
    c.last_contact_at = Some(day(20));
    assert!(names(&c, day(30)).is_empty());
    let mut m = Membership::new(day(21));
    m.first_purchase_at = Some(day(21));
    m.previous_level = Some("member".into());
    m.level = Some("silver".into());
    m.level_since = Some(day(22));
    c.loyalty = Some(m);
    let items = care_due(&r, &c, day(23), day(25), None);
    assert_eq!(
        items.iter().map(|i| i.rule.as_str()).collect::<Vec<_>>(),
        ["thanks", "level"]
    );
    assert_eq!(items[1].reason, "moved from member to silver");
    c.stage = "at_risk".into();
    c.stage_since = Some(day(23));
    assert!(!names(&c, day(23)).contains(&"risk".to_string()));
    c.tags.push("vip".into());
    assert!(names(&c, day(23)).contains(&"risk".to_string()));
}

#[test]
fn the_holdout_draw_is_exact_seeded_and_spread() {
    let a = draw_holdout(1000, Decimal::from(20), 42).unwrap();
    assert_eq!(a.iter().filter(|h| **h).count(), 200);
    assert_eq!(a, draw_holdout(1000, Decimal::from(20), 42).unwrap());
    assert_ne!(a, draw_holdout(1000, Decimal::from(20), 43).unwrap());
    // Spread over the list, not a block: each half holds about half of them.
    let first_half = a[..500].iter().filter(|h| **h).count();
    assert!((70..=130).contains(&first_half), "{first_half}");
    // 2.5 % of 10 is 0.25: none; 15 % of 10 is 1.5: 2 (half up).
    assert_eq!(
        draw_holdout(10, Decimal::new(25, 1), 1)
            .unwrap()
            .iter()
            .filter(|h| **h)
            .count(),
        0
    );
    assert_eq!(
        draw_holdout(10, Decimal::from(15), 1)
            .unwrap()
            .iter()
            .filter(|h| **h)
            .count(),
        2
    );
    assert!(draw_holdout(10, Decimal::from(101), 1).is_err());
    assert!(draw_holdout(0, Decimal::from(50), 1).unwrap().is_empty());
    let err = draw_holdout(usize::MAX, Decimal::from(50), 1).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid n: must be at most 100000000"),
        "{err}"
    );
}

#[test]
fn the_measure_counts_purchases_in_each_members_window() {
    use crate::rfm::Purchase;
    let day = |d| t0() + Duration::days(d);
    let member = |c: &str, holdout, start| MemberOutcome {
        customer: c.into(),
        holdout,
        contacted: !holdout,
        start,
        purchases: 0,
        revenue: Decimal::ZERO,
    };
    let members = [
        member("a", false, day(5)),
        member("b", false, day(5)),
        member("c", false, day(5)),
        member("h1", true, day(0)),
        member("h2", true, day(0)),
    ];
    let p = |c: &str, d, cents| Purchase::new(c, day(d), Decimal::new(cents, 2));
    let purchases = [
        p("a", 4, 10000),  // before contact: not counted
        p("a", 5, 3000),   // at contact: counted
        p("a", 20, -1000), // refund: revenue only
        p("b", 34, 5000),  // day 34 < 5 + 30
        p("c", 35, 7000),  // day 35: the window has ended
        p("h1", 29, 2000),
        p("h2", 30, 9900), // the holdout's window ends on day 30
        p("zz", 10, 100),  // not a member
    ];
    let m = measure_campaign(&members, &purchases, 30, day(40), 2);
    assert_eq!(
        (
            m.treated.members,
            m.treated.repurchased,
            m.treated.contacted
        ),
        (3, 2, 3)
    );
    assert_eq!(m.treated.revenue, Decimal::new(7000, 2));
    assert_eq!(m.treated.revenue_per_customer, Decimal::new(2333, 2));
    assert_eq!((m.holdout.members, m.holdout.repurchased), (2, 1));
    assert_eq!(m.holdout.revenue_per_customer, Decimal::new(1000, 2));
    assert!((m.rate_lift - (2.0 / 3.0 - 0.5)).abs() < 1e-12);
    assert_eq!(m.revenue_lift, Decimal::new(1333, 2));
    // Wald: 1/6 -+ 1.96 * sqrt((2/3)(1/3)/3 + (1/2)(1/2)/2).
    let [lo, hi] = m.rate_lift_ci95.unwrap();
    assert!((lo - -0.707_824_532_730_655_8).abs() < 1e-12, "{lo}");
    assert!((hi - 1.041_157_866_063_989).abs() < 1e-12, "{hi}");
    assert!(m.complete);
    // Measured early, the windows are cut at as_of.
    let early = measure_campaign(&members, &purchases, 30, day(10), 2);
    assert!(!early.complete);
    assert_eq!(early.treated.repurchased, 1);
}
