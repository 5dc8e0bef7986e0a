//! Loyalty through the engine: the ledger with its events, expiry and
//! refunds, member levels and their benefits, care items, and a campaign
//! measured against its holdout.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::access::Actor;
use crate::assign::Condition;
use crate::loyalty::PurchaseLine;
use crate::model::{
    ActivityKind, Customer, CustomerId, FieldValue, Money, NewCustomer, NewOpportunity, NewTicket,
    PointsEntry, PointsKind, TicketPriority, Tier,
};
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
}

fn eur(text: &str) -> Money {
    Money::parse(text, "EUR").unwrap()
}

const CONFIG: &str = r#"{
  "loyalty": {
    "currency": "EUR",
    "earn": [
      {"name": "base", "per": "1.00", "points": 1},
      {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3},
      {"name": "gold double", "level": "gold", "multiply": 2}
    ],
    "bonuses": {"first_purchase": 50, "survey_answered": 20, "review": 10},
    "expire_after_days": 90,
    "levels": [
      {"name": "member"},
      {"name": "gold", "min_points": 300,
       "benefits": {"quote_discount_percent": 5, "ticket_priority": "high", "free_service": ["repair"]}}
    ],
    "window_days": 365, "grace_days": 30,
    "care": [
      {"name": "birthday", "yearly": "custom.birthday", "action": "send a card"},
      {"name": "monthly call", "no_contact_days": 30, "action": "call"},
      {"name": "thanks", "first_purchase_days": 2, "action": "thank-you call"}
    ]
  },
  "fields": {"customer": [{"key": "birthday", "type": "date"}]}
}"#;

struct Shop {
    crm: Crm<MemoryStore>,
    clock: FixedClock,
    root: Actor,
    ana: Actor,
    mia: Customer,
}

fn shop() -> Shop {
    let clock = FixedClock::new(utc(2026, 1, 5, 9));
    let config = Config::from_json(CONFIG).unwrap();
    let mut crm = Crm::new(MemoryStore::new(), config, clock.clone(), SeededIds::new(5)).unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
    let mut custom = crate::model::CustomFields::default();
    custom.insert(
        "birthday".into(),
        FieldValue::Date(chrono::NaiveDate::from_ymd_opt(1991, 1, 20).unwrap()),
    );
    let mia = crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Mia Rossi".into(),
                time_zone: Some("Europe/Rome".into()),
                custom,
                ..NewCustomer::default()
            },
        )
        .unwrap();
    Shop {
        crm,
        clock,
        root,
        ana,
        mia,
    }
}

fn purchase(customer: CustomerId, reference: &str, amount: &str) -> PurchaseInput {
    PurchaseInput {
        customer,
        reference: reference.into(),
        amount: eur(amount),
        at: None,
        lines: Vec::new(),
        campaign: None,
    }
}

fn ledger(shop: &Shop) -> Vec<PointsEntry> {
    shop.crm.points_entries(&shop.ana, shop.mia.id).unwrap()
}

#[test]
fn purchases_earn_points_and_the_balance_is_the_sum_of_the_ledger() {
    let mut s = shop();
    let mia = s.mia.id;
    let mut first = purchase(mia, "A-1", "120.50");
    first.lines = vec![
        PurchaseLine {
            product: None,
            category: Some("coffee".into()),
            amount: Decimal::new(2050, 2),
        },
        PurchaseLine {
            product: None,
            category: Some("mugs".into()),
            amount: Decimal::new(10000, 2),
        },
    ];
    let posting = s.crm.record_purchase(&s.ana, first).unwrap();
    // 20.50 x 3 + 100 = 161.5 -> 161, and the first-purchase bonus of 50.
    assert_eq!(posting.earning.as_ref().unwrap().points, 161);
    let kinds: Vec<_> = posting
        .entries
        .iter()
        .map(|e| (e.kind, e.points, e.balance))
        .collect();
    assert_eq!(
        kinds,
        [(PointsKind::Earn, 161, 161), (PointsKind::Bonus, 50, 211)]
    );
    let account = posting.customer.loyalty.clone().unwrap();
    assert_eq!((account.balance, account.purchases), (211, 1));
    assert_eq!(account.level.as_deref(), Some("member"));
    assert_eq!(posting.entries[0].expires_at, Some(utc(2026, 4, 5, 9)));
    // The same reference again is refused; lines must add up.
    let err = s
        .crm
        .record_purchase(&s.ana, purchase(mia, "A-1", "5.00"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid reference: was recorded already for this customer (got `A-1`)"
    );
    let mut bad = purchase(mia, "A-2", "10.00");
    bad.lines = vec![PurchaseLine {
        product: None,
        category: None,
        amount: Decimal::from(9),
    }];
    assert!(
        s.crm
            .record_purchase(&s.ana, bad)
            .unwrap_err()
            .to_string()
            .contains("add up to 9, not the amount 10.00")
    );
    let usd = PurchaseInput {
        amount: Money::parse("10.00", "USD").unwrap(),
        ..purchase(mia, "A-3", "1")
    };
    assert!(
        s.crm
            .record_purchase(&s.ana, usd)
            .unwrap_err()
            .to_string()
            .contains("must be in EUR")
    );

    // 100 more points reach gold (300 in the window): in the same commit,
    // with a level event after the points event.
    s.clock.advance(Duration::days(1));
    let up = s
        .crm
        .record_purchase(&s.ana, purchase(mia, "A-4", "100.00"))
        .unwrap();
    let change = up.level_change.unwrap();
    assert_eq!(
        (change.from.as_deref(), change.to.as_deref()),
        (Some("member"), Some("gold"))
    );
    let history = s.crm.history(&s.ana, mia).unwrap();
    let actions: Vec<_> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "points", "level", "points", "level"]);
    // Redeeming more than the balance is a clear error and changes nothing.
    let err = s
        .crm
        .redeem_points(&s.ana, mia, 312, "espresso machine", None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid points: is more than the 311 points available (got `312`)"
    );
    let redeemed = s
        .crm
        .redeem_points(&s.ana, mia, 200, "mug", Some("R-1"))
        .unwrap();
    let entry = &redeemed.entries[0];
    assert_eq!(
        (entry.kind, entry.points, entry.balance),
        (PointsKind::Redeem, -200, 111)
    );
    // Oldest first: all 161 of the first purchase, then 39 of the bonus.
    assert_eq!(
        entry.lots.iter().map(|l| l.points).collect::<Vec<_>>(),
        [161, 39]
    );
    let entries = ledger(&s);
    assert_eq!(entries.iter().map(|e| e.points).sum::<i64>(), 111);
    assert_eq!(redeemed.customer.loyalty.unwrap().balance, 111);
    // Entries are never edited.
    let err = s
        .crm
        .update_fields(
            &s.root,
            entries[0].key(),
            1,
            serde_json::Map::from_iter([("reason".to_string(), serde_json::json!("x"))]),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn expiry_refunds_adjustments_and_bonuses() {
    let mut s = shop();
    let mia = s.mia.id;
    s.crm
        .record_purchase(&s.ana, purchase(mia, "B-1", "40.00"))
        .unwrap(); // 40 + 50
    s.clock.advance(Duration::days(60));
    s.crm
        .record_purchase(&s.ana, purchase(mia, "B-2", "80.00"))
        .unwrap(); // 80
    // Day 90 after the first: its 40 + 50 expire; the review finds the
    // account by its due time and posts one entry per lot.
    let review = s.crm.review_loyalty(&s.root, utc(2026, 4, 6, 0)).unwrap();
    assert_eq!(
        (review.checked, review.expired_points, review.entries),
        (1, 90, 2)
    );
    let again = s.crm.review_loyalty(&s.root, utc(2026, 4, 6, 0)).unwrap();
    assert_eq!(again.checked, 0);
    let expired: Vec<_> = ledger(&s)
        .into_iter()
        .filter(|e| e.kind == PointsKind::Expire)
        .collect();
    assert_eq!(
        expired.iter().map(|e| (e.points, e.at)).collect::<Vec<_>>(),
        [(-40, utc(2026, 4, 5, 9)), (-50, utc(2026, 4, 5, 9))]
    );

    // Spend 60 of the 80, then refund half of B-2: 40 points are due back,
    // only 20 are left.
    s.clock.set(utc(2026, 4, 7, 9));
    s.crm
        .redeem_points(&s.ana, mia, 60, "voucher", None)
        .unwrap();
    let refund = s
        .crm
        .refund_purchase(&s.ana, mia, "B-2", eur("40.00"))
        .unwrap();
    let entry = &refund.entries[0];
    assert_eq!(
        (entry.kind, entry.points, entry.balance),
        (PointsKind::Reverse, -20, 0)
    );
    assert_eq!(
        entry.reason.as_deref(),
        Some("20 of the 40 points were spent already; 20 taken back")
    );
    assert_eq!(entry.amount, Some(eur("-40.00")));
    let err = s
        .crm
        .refund_purchase(&s.ana, mia, "B-2", eur("40.01"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("at most the 40.00 not yet refunded"),
        "{err}"
    );
    let err = s
        .crm
        .refund_purchase(&s.ana, mia, "nope", eur("1.00"))
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid reference"), "{err}");

    // Adjustments: only adjust_roles, always with a reason.
    let err = s
        .crm
        .adjust_points(&s.ana, mia, 25, "goodwill")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(
        s.crm
            .adjust_points(&s.root, mia, 25, " ")
            .unwrap_err()
            .kind(),
        ErrorKind::Validation
    );
    let adjusted = s.crm.adjust_points(&s.root, mia, 25, "goodwill").unwrap();
    assert_eq!(adjusted.entries[0].reason.as_deref(), Some("goodwill"));
    let err = s.crm.adjust_points(&s.root, mia, -26, "typo").unwrap_err();
    assert!(
        err.to_string().starts_with("invalid points") && err.to_string().contains("available"),
        "{err}"
    );
    // A bonus is given once per reference.
    s.crm
        .award_bonus(&s.ana, mia, "review", Some("rev-9"))
        .unwrap();
    assert!(
        s.crm
            .award_bonus(&s.ana, mia, "review", Some("rev-9"))
            .unwrap_err()
            .to_string()
            .contains("already")
    );
    let err = s.crm.award_bonus(&s.ana, mia, "tweet", None).unwrap_err();
    assert!(err.to_string().starts_with("invalid event"), "{err}");
    let entries = ledger(&s);
    let balance = s
        .crm
        .get::<Customer>(&s.ana, mia)
        .unwrap()
        .loyalty
        .unwrap()
        .balance;
    assert_eq!(balance, 35);
    assert_eq!(entries.iter().map(|e| e.points).sum::<i64>(), balance);
}

#[test]
fn member_benefits_reach_quotes_and_tickets_and_a_survey_earns_its_bonus() {
    let mut s = shop();
    let mia = s.mia.id;
    s.crm
        .record_purchase(&s.ana, purchase(mia, "C-1", "300.00"))
        .unwrap();
    // Gold: 5 % off quote lines without their own discount.
    let deal = s
        .crm
        .create_opportunity(
            &s.ana,
            NewOpportunity {
                name: "Machine".into(),
                customer: Some(mia),
                ..NewOpportunity::default()
            },
        )
        .unwrap();
    let line = |discount: Option<i64>| crate::quote::QuoteLine {
        product: "x".into(),
        quantity: Decimal::ONE,
        unit_price: Some(Decimal::from(1000)),
        discount_percent: discount.map(Decimal::from),
        ..Default::default()
    };
    let quoted = s
        .crm
        .add_quote(
            &s.ana,
            deal.id,
            QuoteInput {
                lines: vec![line(None), line(Some(10))],
                currency: Some("EUR".parse().unwrap()),
                ..QuoteInput::default()
            },
        )
        .unwrap();
    assert_eq!(quoted.quotes[0].priced.total, eur("1850.00"));
    // Tickets open at least at high priority; repairs are served free after
    // the warranty.
    let ticket = s
        .crm
        .open_ticket(
            &s.root,
            NewTicket {
                subject: "Grinder broken".into(),
                category: Some("repair".into()),
                customer: Some(mia),
                warranty_until: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
                ..NewTicket::default()
            },
        )
        .unwrap();
    assert_eq!(
        (ticket.priority, ticket.out_of_scope.clone()),
        (TicketPriority::High, None)
    );
    let event = &s.crm.history(&s.root, ticket.id).unwrap()[0];
    assert_eq!(event.payload["member_benefits"]["priority"]["to"], "high");
    // Answering the survey gives the survey bonus, once per ticket.
    s.crm
        .assign_ticket(&s.root, ticket.id, UserId::new("root").unwrap())
        .unwrap();
    s.crm.start_ticket(&s.root, ticket.id).unwrap();
    s.crm
        .resolve_ticket(&s.root, ticket.id, "new burrs")
        .unwrap();
    let before = s
        .crm
        .get::<Customer>(&s.ana, mia)
        .unwrap()
        .loyalty
        .unwrap()
        .balance;
    s.crm
        .answer_survey(
            &s.root,
            ticket.id,
            SurveyAnswer {
                csat: Some(5),
                ..SurveyAnswer::default()
            },
        )
        .unwrap();
    let after = s
        .crm
        .get::<Customer>(&s.ana, mia)
        .unwrap()
        .loyalty
        .unwrap()
        .balance;
    assert_eq!(after - before, 20);
}

#[test]
fn care_items_reach_due_work_and_acting_on_one_logs_an_activity() {
    let mut s = shop();
    let mia = s.mia.id;
    s.crm
        .record_purchase(&s.ana, purchase(mia, "D-1", "10.00"))
        .unwrap();
    // Two days later: the thank-you call is due.
    let now = utc(2026, 1, 7, 10);
    s.clock.set(now);
    let work = s.crm.due_work(&s.ana, now).unwrap();
    let care: Vec<_> = work[0]
        .items
        .iter()
        .filter_map(|i| i.care.clone())
        .collect();
    assert_eq!(
        care.iter().map(|c| c.rule.as_str()).collect::<Vec<_>>(),
        ["thanks"]
    );
    assert_eq!(work[0].items[0].kind, DueKind::Care);
    assert_eq!(care[0].action, "thank-you call");
    let activity = s
        .crm
        .act_on_care(&s.ana, mia, "thanks", ActivityKind::Call, "Thanked her")
        .unwrap();
    assert_eq!(activity.subject, RecordKey::from(mia));
    assert!(s.crm.due_work(&s.ana, now).unwrap().is_empty());
    let err = s
        .crm
        .act_on_care(&s.ana, mia, "thanks", ActivityKind::Call, "again")
        .unwrap_err();
    assert!(err.to_string().contains("has no care item due"), "{err}");
    // The birthday on 20 January, at midnight in Rome (23:00 UTC the day before).
    let eve = utc(2026, 1, 19, 12);
    let items = s.crm.due_work(&s.ana, eve).unwrap();
    let birthday = items[0]
        .items
        .iter()
        .find(|i| i.care.as_ref().is_some_and(|c| c.rule == "birthday"))
        .unwrap();
    assert_eq!(birthday.due_at, utc(2026, 1, 19, 23));
    // A month after the call: the monthly call is due; logging any activity
    // on the customer counts as contact.
    let month = utc(2026, 2, 7, 9);
    s.clock.set(month);
    let rules = |crm: &Crm<MemoryStore>| -> Vec<String> {
        crm.due_work(&s.ana, month)
            .unwrap()
            .iter()
            .flat_map(|w| w.items.iter())
            .filter_map(|i| i.care.as_ref().map(|c| c.rule.clone()))
            .collect()
    };
    assert_eq!(rules(&s.crm), ["monthly call"]);
    s.crm
        .log_activity(
            &s.ana,
            crate::model::NewActivity::new(ActivityKind::Email, mia, "Newsletter reply"),
        )
        .unwrap();
    assert!(rules(&s.crm).is_empty());
}

#[test]
fn a_campaign_draws_its_holdout_and_measures_the_lift() {
    let mut s = shop();
    let mut ids = vec![s.mia.id];
    for n in 0..19 {
        let c = s
            .crm
            .create_customer(
                &s.ana,
                NewCustomer {
                    name: format!("Customer {n}"),
                    tags: vec!["lapsed".into()],
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        ids.push(c.id);
    }
    let segment = Condition::from_value(
        &serde_json::json!({"field": "tags", "eq": "lapsed"}),
        "segment",
    )
    .unwrap();
    let input = CampaignInput {
        name: "Win back".into(),
        action: Some("10 % voucher".into()),
        segment,
        holdout_percent: Decimal::from(25),
        seed: 7,
        window_days: 30,
    };
    let campaign = s.crm.launch_campaign(&s.ana, input.clone()).unwrap();
    assert_eq!(campaign.members.len(), 19);
    let holdout: Vec<CustomerId> = campaign
        .members
        .iter()
        .filter(|m| m.holdout)
        .map(|m| m.customer)
        .collect();
    assert_eq!(holdout.len(), 5);
    let treated: Vec<CustomerId> = campaign
        .members
        .iter()
        .filter(|m| !m.holdout)
        .map(|m| m.customer)
        .collect();
    // Contacting the holdout is refused; the treated are recorded.
    let err = s
        .crm
        .record_campaign_contacts(&s.ana, campaign.id, &holdout[..1], None)
        .unwrap_err();
    assert!(err.to_string().contains("holdout"), "{err}");
    s.clock.advance(Duration::days(1));
    let contacted = s
        .crm
        .record_campaign_contacts(&s.ana, campaign.id, &treated, None)
        .unwrap();
    assert!(
        contacted
            .members
            .iter()
            .all(|m| m.holdout || m.contacted_at == Some(utc(2026, 1, 6, 9)))
    );
    // 7 of the 14 treated buy 20.00 within the window, 1 of the 5 held out.
    s.clock.advance(Duration::days(5));
    for (n, customer) in treated
        .iter()
        .take(7)
        .chain(holdout.iter().take(1))
        .enumerate()
    {
        s.crm
            .record_purchase(&s.ana, purchase(*customer, &format!("W-{n}"), "20.00"))
            .unwrap();
    }
    let m = s
        .crm
        .campaign_results(&s.ana, campaign.id, utc(2026, 3, 1, 0))
        .unwrap();
    assert!(m.complete);
    assert_eq!((m.treated.members, m.treated.repurchased), (14, 7));
    assert_eq!((m.holdout.members, m.holdout.repurchased), (5, 1));
    assert!((m.rate_lift - (0.5 - 0.2)).abs() < 1e-12);
    assert_eq!(m.treated.revenue_per_customer, Decimal::new(1000, 2));
    assert_eq!(m.revenue_lift, Decimal::new(600, 2));
    // The same segment and seed draw the same groups.
    let again = s.crm.launch_campaign(&s.ana, input).unwrap();
    assert_eq!(
        again.members.iter().map(|m| m.holdout).collect::<Vec<_>>(),
        campaign
            .members
            .iter()
            .map(|m| m.holdout)
            .collect::<Vec<_>>()
    );
}

#[test]
fn an_rfm_tier_reaches_a_level_and_losing_it_starts_the_grace_period() {
    const TIERED: &str = r#"{
      "loyalty": {
        "currency": "EUR",
        "earn": [{"name": "base", "per": "1.00", "points": 1}],
        "levels": [{"name": "member"}, {"name": "gold", "rfm_tiers": ["A"]}],
        "grace_days": 30
      },
      "rfm": {
        "bins": 3,
        "thresholds": {"recency_days": [7, 30], "frequency": [2, 5], "monetary": ["10.00", "100.00"]},
        "segments": {"rules": [{"name": "recent", "r": [3, 3]}, {"name": "older", "r": [1, 2]}],
                     "default": "other"},
        "tiers": {"a": ["recent"], "b": ["older"]}
      }
    }"#;
    let start = utc(2026, 1, 5, 9);
    let clock = FixedClock::new(start);
    let config = Config::from_json(TIERED).unwrap();
    let mut crm = Crm::new(MemoryStore::new(), config, clock.clone(), SeededIds::new(8)).unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let mia = crm
        .create_customer(
            &root,
            NewCustomer {
                name: "Mia Rossi".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    crm.record_purchase(&root, purchase(mia.id, "R-1", "20.00"))
        .unwrap();
    let account = |crm: &Crm<MemoryStore>| {
        let c: Customer = crm.get(&root, mia.id).unwrap();
        (c.tier, c.loyalty.unwrap())
    };
    assert_eq!(account(&crm).1.level.as_deref(), Some("member"));

    // Bought yesterday: tier A, and with it gold, in a `level` event after
    // the refresh's own.
    clock.set(start + Duration::days(1));
    crm.refresh_customer_value(&root, clock.now()).unwrap();
    let (tier, m) = account(&crm);
    assert_eq!((tier, m.level.as_deref()), (Some(Tier::A), Some("gold")));
    let actions: Vec<String> = crm
        .history(&root, mia.id)
        .unwrap()
        .into_iter()
        .rev()
        .take(2)
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["level", "value"]);

    // Forty days later: tier B. Gold is kept for the grace period, and the
    // pending move is stored with the refresh so that a review finds it.
    let later = start + Duration::days(41);
    clock.set(later);
    crm.refresh_customer_value(&root, later).unwrap();
    let (tier, m) = account(&crm);
    assert_eq!((tier, m.level.as_deref()), (Some(Tier::B), Some("gold")));
    let pending = m.downgrade.expect("a pending downgrade");
    assert_eq!(
        (pending.to.as_deref(), pending.at),
        (Some("member"), later + Duration::days(30))
    );
    assert_eq!(m.next_check_at, Some(later + Duration::days(30)));
}
