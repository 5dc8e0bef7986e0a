use proptest::prelude::*;

use super::*;

fn person(first: &str, last: &str, email: &str, phone: &str, company: &str) -> MatchRecord {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    MatchRecord {
        first_name: opt(first),
        last_name: opt(last),
        email: opt(email),
        phone: opt(phone),
        company: opt(company),
        ..MatchRecord::default()
    }
}

fn run(rows: &[MatchRecord], config: &DedupeConfig) -> Scan {
    scan(rows, config, &mut ScanOptions::default()).unwrap()
}

#[test]
fn blanks_never_match_and_names_are_tried_swapped() {
    let matcher = Matcher::new(&DedupeConfig {
        method: Method::Rules,
        ..DedupeConfig::default()
    })
    .unwrap();
    // Nothing in common but blanks.
    let a = person("", "", "", "", "");
    let why = matcher.explain(&a, &a.clone());
    assert!(!why.matched);
    assert!(why.fields.iter().all(|f| f.level == Level::Missing));
    // Swapped names with the same email satisfy name_email.
    let a = person("Garcia", "Maria", "m.garcia@acme.es", "", "");
    let b = person("Maria", "García", "M.Garcia@acme.es", "", "");
    let why = matcher.explain(&a, &b);
    assert!(why.names_swapped);
    assert_eq!(why.rule.as_deref(), Some("name_email"));
    assert_eq!(why.decided_by, "rule name_email");
    // Same name, different everything else: no rule.
    let c = person("Maria", "Garcia", "maria@other.com", "+34 600 000 001", "");
    assert!(!matcher.explain(&b, &c).matched);
}

#[test]
fn levels_per_field() {
    let matcher = Matcher::new(&DedupeConfig::default()).unwrap();
    let a = person(
        "Jon",
        "Smith",
        "jon@acme.com",
        "+44 20 7946 0958",
        "Acme Widgets Ltd",
    );
    let b = person(
        "J.",
        "Smyth",
        "jon@gmail.com",
        "020 7946 0958",
        "ACME WIDGETS LIMITED",
    );
    let why = matcher.explain(&a, &b);
    let level = |f: &str| why.field(f).unwrap().level;
    assert_eq!(level("first_name"), Level::Similar); // initial
    assert_eq!(level("last_name"), Level::Similar); // smith / smyth: JW 0.893
    assert_eq!(level("email"), Level::Different); // a shared local part is no evidence
    assert_eq!(level("phone"), Level::Close); // +1 assumed for the national form
    assert_eq!(level("company"), Level::Exact);
    assert_eq!(level("title"), Level::Missing);
    let gb = Matcher::new(&DedupeConfig {
        default_region: "GB".into(),
        ..DedupeConfig::default()
    })
    .unwrap();
    assert_eq!(
        gb.explain(&a, &b).field("phone").unwrap().level,
        Level::Exact
    );
}

#[test]
fn scans_find_typos_and_format_variants() {
    let rows = vec![
        person(
            "Jonathan",
            "Smith",
            "jon.smith@acme.com",
            "+1 415 555 0134",
            "Acme Inc.",
        ),
        person(
            "Jonathon",
            "SMITH",
            "",
            "(415) 555-0134",
            "ACME Incorporated",
        ),
        person(
            "Maria",
            "Garcia",
            "maria@example.org",
            "+34 612 345 678",
            "",
        ),
        person(
            "Maria",
            "Garcia",
            "mgarcia@other.org",
            "+34 699 999 999",
            "",
        ),
        person(
            "Wei",
            "Zhang",
            "wei.zhang@huawei.com",
            "",
            "华为技术有限公司",
        ),
        person("Zhang", "Wei", "WEI.ZHANG@huawei.com", "", "华为技术"),
    ];
    let scan = run(
        &rows,
        &DedupeConfig {
            train: false,
            ..DedupeConfig::default()
        },
    );
    let pairs: Vec<(u32, u32)> = scan.pairs().iter().map(|p| (p.left, p.right)).collect();
    assert_eq!(pairs, [(0, 1), (4, 5)]);
    assert_eq!(scan.cluster_ids(), [0, 0, 2, 3, 4, 4]);
    let clusters = scan.clusters();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[1].rows, [4, 5]);
    // The two Maria Garcias share a name block but differ otherwise.
    assert!(scan.candidate_pairs() >= 3);
    assert!(!scan.explain(2, 3).matched);
    assert!(scan.try_explain(0, 9).is_err());
    let name = scan
        .blocking()
        .iter()
        .find(|b| b.key == BlockKey::Name)
        .unwrap();
    assert!(name.blocks >= 1);
}

#[test]
fn a_weak_bridge_does_not_chain_groups() {
    // Two groups of three, joined by one pair that matches (a record of
    // each side sharing an email and phone) while the other eight cross
    // pairs do not: the groups stay apart with the default min link, and
    // chain into one with 0.
    let mut rows = Vec::new();
    for i in 0..3 {
        rows.push(person(
            "Anna",
            "Berg",
            "anna.berg@berg.se",
            &format!("+46 8 123 456 7{i}"),
            "Berg AB",
        ));
    }
    for i in 0..3 {
        rows.push(person(
            "Olof",
            "Lund",
            "olof@lund.se",
            &format!("+46 8 765 432 1{i}"),
            "Lund AB",
        ));
    }
    for row in &mut rows[3..] {
        row.title = Some("CEO".into());
    }
    rows[2].phone = Some("+46 8 555 000 11".into());
    rows[3].phone = Some("+46 8 555 000 11".into());
    rows[3].email = Some("anna.berg@berg.se".into());
    let config = DedupeConfig {
        method: Method::Rules,
        ..DedupeConfig::default()
    };
    let scan = run(&rows, &config);
    assert!(scan.pairs().iter().any(|p| (p.left, p.right) == (2, 3)));
    // The bridge record joins one side (its strongest link decides), and
    // the two groups stay apart.
    let ids = scan.cluster_ids();
    assert!(ids[0] == ids[1] && ids[1] == ids[2] && ids[4] == ids[5]);
    assert_ne!(ids[0], ids[4]);
    let chained = run(
        &rows,
        &DedupeConfig {
            cluster_min_link: 0.0,
            ..config
        },
    );
    assert_eq!(chained.cluster_ids(), [0; 6]);
}

#[test]
fn configuration_errors_name_the_field() {
    for (json, field) in [
        (r#"{"threshold": -0.1}"#, "dedupe.threshold"),
        (r#"{"max_block": 1}"#, "dedupe.max_block"),
        (r#"{"default_region": "ZZ"}"#, "dedupe.default_region"),
        (r#"{"rules": [{"name": "", "all": {}}]}"#, "dedupe.rules[0]"),
        (r#"{"bogus": 1}"#, "dedupe"),
    ] {
        let err = DedupeConfig::from_json(json).unwrap_err();
        match err {
            Error::Validation { fields, .. } => assert_eq!(fields, [field], "{json}"),
            other => panic!("{other:?}"),
        }
    }
    let err = scan(
        &[],
        &DedupeConfig::default(),
        &mut ScanOptions {
            threads: 0,
            progress: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("threads"));
}

#[test]
fn match_keys_mirror_the_blocking_keys() {
    let keys = match_keys(&person(
        "John",
        "Smith",
        "J@Acme.com",
        "+1 415 555 0134",
        "Acme Inc",
    ));
    assert_eq!(
        keys,
        [
            "c:acme",
            "e:j@acme.com",
            "lc:smith|acme",
            "n:john|smith",
            "p:555501348"
        ]
    );
    let company = MatchRecord {
        company: Some("Acme Ltd".into()),
        ..MatchRecord::default()
    };
    assert_eq!(match_keys(&company), ["c:acme"]);
    assert!(match_keys(&MatchRecord::default()).is_empty());
}

fn arbitrary_record() -> impl Strategy<Value = MatchRecord> {
    let names = prop::sample::select(vec!["Ann", "Anne", "Bob", "Rob", "Li", "", "A."]);
    let lasts = prop::sample::select(vec!["Lee", "Li", "Smith", "Smyth", ""]);
    let emails = prop::sample::select(vec!["a@x.com", "A@X.com", "b@y.org", ""]);
    let phones = prop::sample::select(vec!["+1 415 555 0134", "(415) 555-0134", "555 0199 22", ""]);
    (names, lasts, emails, phones).prop_map(|(f, l, e, p)| person(f, l, e, p, ""))
}

proptest! {
    #[test]
    fn jaro_winkler_agrees_with_strsim(a in "[a-e ]{0,12}", b in "[a-e ]{0,12}", long in "[a-z]{60,70}") {
        prop_assert_eq!(jaro_winkler(&a, &b), strsim::jaro_winkler(&a, &b));
        prop_assert_eq!(jaro_winkler(&long, &a), strsim::jaro_winkler(&long, &a));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scans_are_deterministic_and_consistent(
        rows in prop::collection::vec(arbitrary_record(), 0..40),
        threads in 1usize..4,
        rules in any::<bool>(),
    ) {
        let config = DedupeConfig {
            method: if rules { Method::Rules } else { Method::Probabilistic },
            u_samples: 500,
            ..DedupeConfig::default()
        };
        let one = run(&rows, &config);
        let many = scan(&rows, &config, &mut ScanOptions { threads, progress: None }).unwrap();
        prop_assert_eq!(one.pairs(), many.pairs());
        prop_assert_eq!(one.cluster_ids(), many.cluster_ids());
        for pair in one.pairs() {
            prop_assert!(pair.left < pair.right);
            // Every matched pair is explained as a match, with the same probability.
            let why = one.explain(pair.left as usize, pair.right as usize);
            prop_assert!(why.matched);
            prop_assert!((why.probability - pair.probability).abs() < 1e-9);
        }
        // A cluster id is the smallest row of its group, and rows in one group are linked.
        for (row, id) in one.cluster_ids().iter().enumerate() {
            prop_assert!(*id as usize <= row);
            prop_assert_eq!(one.cluster_ids()[*id as usize], *id);
        }
    }
}
