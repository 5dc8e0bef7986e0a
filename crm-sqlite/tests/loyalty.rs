//! A points account kept in a file: the next process finds the balance, the
//! lots and the ledger as they were written, an expired lot is found by its
//! due time through the file's index, and another process cannot spend the
//! points one spent.

mod support;

use chrono::{Duration, TimeZone, Utc};
use crm_core::access::Actor;
use crm_core::{
    Config, Crm, Customer, ErrorKind, FixedClock, Money, NewCustomer, PointsKind, PurchaseInput,
    SeededIds, UserId,
};
use crm_sqlite::SqliteStore;
use support::TempDir;

const PROGRAM: &str = r#"{"loyalty": {
  "earn": [{"name": "base", "per": "1.00", "points": 1}],
  "expire_after_days": 30}}"#;

#[test]
fn a_points_account_reads_back_and_expires_from_the_file() {
    let dir = TempDir::new("loyalty");
    let path = dir.path().join("crm.db");
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let open = |seed| {
        Crm::new(
            SqliteStore::open(&path).unwrap(),
            Config::from_json(PROGRAM).unwrap(),
            clock.clone(),
            SeededIds::new(seed),
        )
        .unwrap()
    };
    let mut crm = open(1);
    let mia = crm
        .create_customer(
            &root,
            NewCustomer {
                name: "Mia".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let purchase = |reference: &str, amount: &str| PurchaseInput {
        customer: mia.id,
        reference: reference.into(),
        amount: Money::parse(amount, "EUR").unwrap(),
        at: None,
        lines: Vec::new(),
        campaign: None,
    };
    crm.record_purchase(&root, purchase("A-1", "80.00"))
        .unwrap();
    clock.advance(Duration::days(10));
    let posted = crm
        .record_purchase(&root, purchase("A-2", "20.00"))
        .unwrap();
    drop(crm);

    let mut again = open(2);
    let stored: Customer = again.get(&root, mia.id).unwrap();
    assert_eq!(stored, posted.customer);
    let account = stored.loyalty.unwrap();
    assert_eq!((account.balance, account.lots.len()), (100, 2));
    // Another process spending the same points afterwards reads the new
    // balance from the file and is refused.
    let mut stale = open(3);
    again
        .redeem_points(&root, mia.id, 90, "a grinder", None)
        .unwrap();
    clock.advance(Duration::seconds(1));
    let err = stale
        .redeem_points(&root, mia.id, 90, "a kettle", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    // The first lot (80 points, all spent) is gone; A-2's 10 left expire on
    // day 40, found through the customer's due time in the file.
    let review = again
        .review_loyalty(&root, Utc.with_ymd_and_hms(2026, 4, 11, 9, 0, 0).unwrap())
        .unwrap();
    assert_eq!((review.checked, review.expired_points), (1, 10));
    let entries = again.points_entries(&root, mia.id).unwrap();
    let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.points)).collect();
    assert_eq!(
        kinds,
        [
            (PointsKind::Earn, 80),
            (PointsKind::Earn, 20),
            (PointsKind::Redeem, -90),
            (PointsKind::Expire, -10)
        ]
    );
    assert_eq!(entries.iter().map(|e| e.points).sum::<i64>(), 0);
}
