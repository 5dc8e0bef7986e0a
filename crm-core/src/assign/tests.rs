use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;

use crate::assign::*;
use crate::error::Error;
use crate::model::{EntityKind, TeamId, UserId};

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // Monday 2026-01-05.
    Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0).unwrap()
}

fn rules(json: serde_json::Value) -> RuleSet {
    RuleSet::from_json(&json.to_string()).unwrap()
}

fn agents(ids: &[&str]) -> Vec<Agent> {
    ids.iter().map(|id| Agent::new(user(id))).collect()
}

fn owners(router: &mut Router, facts: &Facts, n: usize, now: DateTime<Utc>) -> Vec<String> {
    (0..n)
        .map(|_| {
            router
                .decide(&Item::new(EntityKind::Lead, facts), now)
                .owner()
                .map_or("-".to_string(), |u| u.to_string())
        })
        .collect()
}

#[test]
fn round_robin_wraps_skips_the_unavailable_and_continues_from_saved_state() {
    let set = rules(json!({ "rules": [{ "name": "all", "users": ["ana", "ben", "cy"] }] }));
    let mut team = agents(&["ana", "ben", "cy"]);
    team[1] = Agent::new(user("ben")).away(at(0, 0), at(12, 0));
    let mut router = Router::new(&set, team.clone(), &RouterState::default()).unwrap();
    let facts = router.facts_from([]);
    assert_eq!(
        owners(&mut router, &facts, 3, at(9, 0)),
        ["ana", "cy", "ana"]
    );
    let decision = router.decide(&Item::new(EntityKind::Lead, &facts), at(9, 0));
    let why = router.explain(&decision, &facts);
    assert_eq!(why.owner, Some(user("cy")));
    assert_eq!(
        why.trace[0].skipped,
        [Skipped {
            user: user("ben"),
            reason: SkipReason::OnLeave
        }]
    );

    // A new router over the saved state goes on after the last one chosen.
    let state = router.state();
    assert_eq!(state.rules["all"].last, Some(user("cy")));
    let mut again = Router::new(&set, team, &state).unwrap();
    assert_eq!(owners(&mut again, &facts, 2, at(13, 0)), ["ana", "ben"]);

    // A last user who has left the list starts over at the first.
    let mut state = again.state();
    state.rules.get_mut("all").unwrap().last = Some(user("gone"));
    let mut fresh = Router::new(&set, agents(&["ana", "ben", "cy"]), &state).unwrap();
    assert_eq!(owners(&mut fresh, &facts, 1, at(13, 0)), ["ana"]);
}

#[test]
fn the_first_matching_rule_by_priority_wins_and_unavailable_rules_fall_through() {
    let set = rules(json!({ "rules": [
        { "name": "catch-all", "priority": 100, "users": ["zed"] },
        { "name": "east", "priority": 1, "when": { "field": "region", "eq": "east" },
          "users": ["ana", "ben"], "caps": { "per_day": 1 } },
        { "name": "big", "priority": 0, "when": { "field": "custom.budget", "range": { "min": 10000 } },
          "users": ["cy"] },
    ] }));
    let team = vec![
        Agent::new(user("ana")),
        Agent::new(user("ben")).active(false),
        Agent::new(user("cy")),
        Agent::new(user("zed")),
    ];
    let mut router = Router::new(&set, team, &RouterState::default()).unwrap();
    let east =
        router.facts(&json!({ "region": "east", "custom": { "budget": { "decimal": "500" } } }));
    let first = router.decide(&Item::new(EntityKind::Lead, &east), at(9, 0));
    let why = router.explain(&first, &east);
    assert_eq!(
        (why.owner.clone(), why.rule.as_deref()),
        (Some(user("ana")), Some("east"))
    );
    assert_eq!(why.trace[0].rule, "big");
    assert_eq!(why.trace[0].result, StepResult::NotMatched);
    assert_eq!(why.trace[0].detail, "custom.budget 500 is not >= 10000");
    assert_eq!(why.trace[1].result, StepResult::Chosen);

    // ana is at her daily cap, ben inactive: east falls through to catch-all.
    let second = router.decide(&Item::new(EntityKind::Lead, &east), at(10, 0));
    let why = router.explain(&second, &east);
    assert_eq!(why.rule.as_deref(), Some("catch-all"));
    assert_eq!(why.trace[1].result, StepResult::NoOneAvailable);
    let reasons: Vec<_> = why.trace[1]
        .skipped
        .iter()
        .map(|s| (s.user.as_str(), s.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("ben", SkipReason::Inactive),
            ("ana", SkipReason::AtDailyCap)
        ]
    );

    // The next day ana can take one again.
    let next_day = router.decide(
        &Item::new(EntityKind::Lead, &east),
        at(9, 0) + Duration::days(1),
    );
    assert_eq!(next_day.owner(), Some(&user("ana")));

    // Tickets: no rule applies to them, so they go to the pool with that reason.
    let ticket = router.decide(&Item::new(EntityKind::Ticket, &east), at(9, 0));
    let why = router.explain(&ticket, &east);
    assert_eq!(
        why.pool_reason.as_deref(),
        Some("no rule routes this kind of record")
    );
}

#[test]
fn load_balance_weighted_and_by_field() {
    let set = rules(json!({ "rules": [
        { "name": "lb", "when": { "field": "kind", "eq": "lb" }, "users": ["ana", "ben", "cy"],
          "strategy": "load_balance" },
        { "name": "w", "when": { "field": "kind", "eq": "w" }, "users": ["ana", "ben"],
          "strategy": { "weighted": { "ana": 3 } } },
        { "name": "manager", "when": { "field": "kind", "eq": "by" },
          "strategy": { "by_field": { "field": "custom.manager" } } },
        { "name": "team", "when": { "field": "kind", "eq": "team" },
          "strategy": { "by_field": { "field": "desk", "names": "team" } } },
    ] }));
    let east = TeamId::new("east").unwrap();
    let team = vec![
        Agent::new(user("ana"))
            .with_open(EntityKind::Lead, 5)
            .in_team(east.clone()),
        Agent::new(user("ben"))
            .with_open(EntityKind::Lead, 2)
            .in_team(east.clone()),
        Agent::new(user("cy")).with_open(EntityKind::Lead, 2),
    ];
    let mut router = Router::new(&set, team, &RouterState::default()).unwrap();
    let lb = router.facts(&json!({ "kind": "lb" }));
    // ben (2, first of the ties), cy (2), then ben (3), cy (3), ... ana (5) last.
    assert_eq!(
        owners(&mut router, &lb, 6, at(9, 0)),
        ["ben", "cy", "ben", "cy", "ben", "cy"]
    );
    assert_eq!(owners(&mut router, &lb, 1, at(9, 0)), ["ana"]);

    let w = router.facts(&json!({ "kind": "w" }));
    // Smooth weighted round robin: 3:1, interleaved.
    assert_eq!(
        owners(&mut router, &w, 8, at(9, 0)),
        ["ana", "ana", "ben", "ana", "ana", "ana", "ben", "ana"]
    );

    let by = router.facts(&json!({ "kind": "by", "custom": { "manager": { "text": "cy" } } }));
    assert_eq!(owners(&mut router, &by, 2, at(9, 0)), ["cy", "cy"]);
    let nobody = router.facts(&json!({ "kind": "by", "custom": { "manager": { "text": "zoe" } } }));
    let decision = router.decide(&Item::new(EntityKind::Lead, &nobody), at(9, 0));
    let why = router.explain(&decision, &nobody);
    assert_eq!(why.owner, None);
    let manager = why.trace.iter().find(|s| s.rule == "manager").unwrap();
    assert_eq!(manager.result, StepResult::NoOneAvailable);
    assert_eq!(manager.skipped[0].reason, SkipReason::Unknown);
    assert_eq!(
        why.pool_reason.as_deref(),
        Some("no user is available under rule manager")
    );

    let desk = router.facts(&json!({ "kind": "team", "desk": "east" }));
    assert_eq!(
        owners(&mut router, &desk, 3, at(9, 0)),
        ["ana", "ben", "ana"]
    );
}

#[test]
fn active_hours_and_window_caps_in_the_rule_sets_time_zone() {
    let set = rules(json!({ "time_zone": "Europe/Berlin", "rules": [
        { "name": "office", "active": { "weekdays": ["mon", "tue"], "from": "09:00", "until": "17:00" },
          "users": ["ana"], "caps": { "per_window": { "max": 2, "hours": 1 } } },
        { "name": "night", "active": { "from": "22:00", "until": "06:00" }, "users": ["ben"] },
    ] }));
    let mut router = Router::new(&set, agents(&["ana", "ben"]), &RouterState::default()).unwrap();
    let facts = router.facts_from([]);
    // 07:30 UTC is 08:30 in Berlin: the office is closed, and it is not night.
    let early = router.decide(&Item::new(EntityKind::Lead, &facts), at(7, 30));
    let why = router.explain(&early, &facts);
    assert_eq!(why.owner, None);
    assert_eq!(why.trace[0].result, StepResult::OutsideHours);
    assert_eq!(
        why.trace[0].detail,
        "not active now (mon tue 09:00–17:00 Europe/Berlin)"
    );
    // 08:00 UTC is 09:00 in Berlin: two within the hour, then the cap.
    assert_eq!(
        owners(&mut router, &facts, 3, at(8, 0)),
        ["ana", "ana", "-"]
    );
    assert_eq!(owners(&mut router, &facts, 1, at(9, 1)), ["ana"]);
    // 23:30 Berlin on Monday, and 01:00 Berlin on Tuesday (Monday's night).
    assert_eq!(owners(&mut router, &facts, 1, at(22, 30)), ["ben"]);
    assert_eq!(
        owners(&mut router, &facts, 1, at(0, 0) + Duration::days(1)),
        ["ben"]
    );
}

#[test]
fn exclusions_and_unknown_users_are_traced() {
    let set = rules(json!({ "rules": [{ "name": "r", "users": ["gone", "ana", "ben"] }] }));
    let mut router = Router::new(&set, agents(&["ana", "ben"]), &RouterState::default()).unwrap();
    let facts = router.facts_from([]);
    let exclude = [user("ana")];
    let decision = router.decide(
        &Item::new(EntityKind::Lead, &facts).excluding(&exclude),
        at(9, 0),
    );
    assert_eq!(decision.owner(), Some(&user("ben")));
    let why = router.explain(&decision, &facts);
    let reasons: Vec<_> = why.trace[0]
        .skipped
        .iter()
        .map(|s| s.reason.as_str())
        .collect();
    assert_eq!(reasons, ["unknown", "excluded"]);
}

#[test]
fn bad_rule_sets_are_refused_with_a_path() {
    let cases = [
        (
            json!({ "rules": [{ "name": "a", "users": ["x"] }, { "name": "a", "users": ["y"] }] }),
            "rules[1].name",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "team": "t" }] }),
            "rules[0]",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x", "x"] }] }),
            "rules[0].users[1]",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "strategy": { "weighted": { "x": 0 } } }] }),
            "rules[0].strategy.weighted.x",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "strategy": { "weighted": { "y": 2 } } }] }),
            "rules[0].strategy.weighted.y",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "caps": { "per_day": 0 } }] }),
            "rules[0].caps.per_day",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "active": { "from": "09:00" } }] }),
            "rules[0].active",
        ),
    ];
    for (json, path) in cases {
        match RuleSet::from_json(&json.to_string()) {
            Err(Error::Config { path: got, .. }) => assert_eq!(got, path, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
    // Serde-level mistakes name the key and where it is.
    for (json, words) in [
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "strategy": "random" }] }),
            "random",
        ),
        (
            json!({ "time_zone": "Mars/Base", "rules": [] }),
            "Mars/Base",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "active": { "weekdays": ["funday"] } }] }),
            "funday",
        ),
        (
            json!({ "rules": [{ "name": "a", "users": ["x"], "when": { "field": "a", "eq": [] } }] }),
            "when.eq",
        ),
        (
            json!({ "rules": [{ "name": "a", "user": ["x"] }] }),
            "unknown field `user`",
        ),
    ] {
        let err = RuleSet::from_json(&json.to_string()).unwrap_err();
        assert!(err.to_string().contains(words), "{err}");
    }
}

#[test]
fn rule_sets_round_trip_through_json() {
    let json = json!({ "time_zone": "America/New_York", "rules": [
        { "name": "a", "priority": 2, "applies_to": ["lead", "ticket"],
          "when": { "field": "region", "in": ["east", "north"] },
          "active": { "weekdays": ["mon", "fri"], "from": "08:30", "until": "18:00" },
          "team": "east", "strategy": "load_balance", "caps": { "per_day": 10, "per_window": { "max": 3, "hours": 2 } } },
        { "name": "b", "priority": 0, "applies_to": ["lead"], "when": { "all": [] }, "users": ["ana"],
          "strategy": { "by_field": { "field": "custom.am", "names": "team" } } },
    ] });
    let set = rules(json.clone());
    assert_eq!(serde_json::to_value(&set).unwrap(), json);
}

#[test]
fn lead_scores_add_up_and_explain_themselves() {
    let scoring = LeadScoring::from_json(
        &json!({ "base": 10, "rules": [
            { "name": "fair", "when": { "field": "source", "eq": "fair" }, "points": 40 },
            { "name": "no phone", "when": { "field": "phone", "exists": false }, "points": -20 },
            { "name": "budget", "when": { "field": "custom.budget", "range": { "min": 1000 } }, "points": 80 },
        ] })
        .to_string(),
    )
    .unwrap();
    let score =
        scoring.score(&json!({ "source": "fair", "custom": { "budget": { "number": 5000 } } }));
    assert_eq!(score.score, 100, "10 + 40 - 20 + 80 is capped at 100");
    let parts: Vec<_> = score
        .parts
        .iter()
        .map(|p| (p.rule.as_str(), p.points))
        .collect();
    assert_eq!(parts, [("fair", 40), ("no phone", -20), ("budget", 80)]);
    assert_eq!(score.parts[1].detail, "phone not set is not set");
    assert_eq!(
        scoring.score(&json!({})).score,
        0,
        "10 - 20 is floored at 0"
    );
    let err = LeadScoring::from_json(
        r#"{ "rules": [ { "name": "x", "when": {"all": []}, "points": 500 } ] }"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration at lead_scoring.rules[0].points: must be between -100 and 100"
    );
}

#[test]
fn naive_bayes_learns_which_values_win() {
    let mut history = Vec::new();
    for i in 0..40 {
        // Referrals win 3 in 4; fairs 1 in 4; one rare source always wins.
        history.push((json!({ "source": "referral" }), i % 4 != 0));
        history.push((json!({ "source": "fair" }), i % 4 == 0));
    }
    history.push((json!({ "source": "rare" }), true));
    let fields = ["source".to_string()];
    let model = NaiveBayes::fit(&fields, history.iter().map(|(v, w)| (v, *w)), 5).unwrap();
    let referral = model.score(&json!({ "source": "referral" }));
    let fair = model.score(&json!({ "source": "fair" }));
    let rare = model.score(&json!({ "source": "rare" }));
    assert!(referral > 70 && fair < 30, "{referral} {fair}");
    assert_eq!(
        rare, 51,
        "one sample is below the minimum: only the prior counts"
    );
    let err =
        NaiveBayes::fit(&fields, history.iter().take(1).map(|(v, _)| (v, true)), 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid history: needs won and lost records (has 1 won, 0 lost)"
    );
}

proptest! {
    /// No user ever exceeds a cap, and every lead ends assigned or pooled with a reason.
    #[test]
    fn caps_hold_and_nothing_is_dropped(
        caps in proptest::collection::vec(1u32..4, 1..5),
        gaps in proptest::collection::vec(0i64..180, 1..60),
    ) {
        let users: Vec<String> = (0..caps.len()).map(|i| format!("u{i}")).collect();
        let set = rules(json!({ "rules": [
            { "name": "tight", "users": users, "caps": { "per_window": { "max": 2, "hours": 1 }, "per_day": 5 } },
        ] }));
        let mut router = Router::new(
            &set,
            users.iter().map(|u| Agent::new(user(u))).collect(),
            &RouterState::default(),
        ).unwrap();
        let facts = router.facts_from([]);
        let mut now = at(0, 0);
        let mut given: Vec<(String, DateTime<Utc>)> = Vec::new();
        for gap in gaps {
            now += Duration::minutes(gap);
            let decision = router.decide(&Item::new(EntityKind::Lead, &facts), now);
            let why = router.explain(&decision, &facts);
            match why.owner {
                Some(owner) => given.push((owner.to_string(), now)),
                None => prop_assert!(why.pool_reason.is_some()),
            }
            for u in &users {
                let in_hour = given.iter().filter(|(g, t)| g == u && *t > now - Duration::hours(1)).count();
                let today = given.iter().filter(|(g, t)| g == u && t.date_naive() == now.date_naive()).count();
                prop_assert!(in_hour <= 2 && today <= 5, "{u}: {in_hour} in the hour, {today} today");
            }
        }
    }

    /// Round robin over k available users gives each floor(n/k) or ceil(n/k).
    #[test]
    fn round_robin_is_even(k in 1usize..12, away in 0usize..4, n in 0usize..200) {
        let users: Vec<String> = (0..k + away).map(|i| format!("u{i:02}")).collect();
        let set = rules(json!({ "rules": [{ "name": "rr", "users": users }] }));
        let team = users.iter().enumerate().map(|(i, u)| {
            let agent = Agent::new(user(u));
            if i % 2 == 1 && i / 2 < away { agent.active(false) } else { agent }
        });
        let team: Vec<Agent> = team.collect();
        let available = team.iter().filter(|a| a.active).count();
        let mut router = Router::new(&set, team, &RouterState::default()).unwrap();
        let facts = router.facts_from([]);
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..n {
            let owner = router.decide(&Item::new(EntityKind::Lead, &facts), at(9, 0)).owner().cloned().unwrap();
            *counts.entry(owner).or_insert(0usize) += 1;
        }
        for count in counts.values() {
            prop_assert!(*count == n / available || *count == n.div_ceil(available));
        }
        prop_assert_eq!(counts.values().sum::<usize>(), n);
    }

    /// A batch decided at once is what single decisions give, state included.
    #[test]
    fn batches_spread_as_single_decisions(regions in proptest::collection::vec(0usize..3, 0..80)) {
        let set = rules(json!({ "rules": [
            { "name": "east", "when": { "field": "region", "eq": "r0" }, "users": ["a", "b", "c"], "caps": { "per_day": 7 } },
            { "name": "lb", "when": { "field": "region", "eq": "r1" }, "users": ["b", "c", "d"], "strategy": "load_balance" },
            { "name": "w", "users": ["a", "d"], "strategy": { "weighted": { "a": 2, "d": 5 } } },
        ] }));
        let team = agents(&["a", "b", "c", "d"]);
        let mut one = Router::new(&set, team.clone(), &RouterState::default()).unwrap();
        let mut all = Router::new(&set, team, &RouterState::default()).unwrap();
        let facts: Vec<Facts> = regions.iter().map(|r| one.facts(&json!({ "region": format!("r{r}") }))).collect();
        let singles: Vec<Decision> = facts.iter().map(|f| one.decide(&Item::new(EntityKind::Lead, f), at(9, 0))).collect();
        let items: Vec<Item> = facts.iter().map(|f| Item::new(EntityKind::Lead, f)).collect();
        let batch = all.decide_all(&items, at(9, 0));
        prop_assert_eq!(singles, batch);
        prop_assert_eq!(one.state(), all.state());
    }
}
