//! Assignment through the engine: rules at lead creation, batch routing,
//! the pool, due work, reclaim, transfer and scoring, on the memory store.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::access::Actor;
use crate::assign::{SkipReason, StepResult};
use crate::model::{
    Absence, ActivityKind, Lead, NewActivity, NewCustomer, NewLead, NewTask, TeamId,
};
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn team(id: &str) -> TeamId {
    TeamId::new(id).unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

struct World {
    crm: Crm<MemoryStore>,
    clock: FixedClock,
    admin: Actor,
    sue: Actor,
    ana: Actor,
    bo: Actor,
    web: Actor,
}

const RULES: &str = r#"{
  "claim_limit": 2,
  "lead_scoring": { "base": 10, "rules": [
    { "name": "referral", "when": { "field": "source", "eq": "referral" }, "points": 50 },
    { "name": "reachable", "when": { "field": "phone", "exists": true }, "points": 20 }
  ] },
  "assignment": { "rules": [
    { "name": "east", "when": { "field": "region", "eq": "east" }, "team": "east",
      "strategy": "round_robin" },
    { "name": "west", "when": { "field": "region", "eq": "west" }, "users": ["cy"] }
  ] }
}"#;

fn world(config: &str) -> World {
    let clock = FixedClock::new(start());
    let config = Config::from_json(config).unwrap();
    let mut crm = Crm::new(MemoryStore::new(), config, clock.clone(), SeededIds::new(7)).unwrap();
    let admin = Actor::new(user("root")).with_role("admin");
    for id in ["east", "west"] {
        crm.save_team(
            &admin,
            TeamInput {
                id: team(id),
                name: id.into(),
                region: Some(id.into()),
                supervisor: Some(user("sue")),
            },
        )
        .unwrap();
    }
    for (id, role, home) in [
        ("sue", "supervisor", "east"),
        ("ana", "sales", "east"),
        ("bo", "sales", "east"),
        ("cy", "sales", "west"),
    ] {
        let mut input = UserInput::new(user(id), id.to_uppercase());
        input.team = Some(team(home));
        input.roles = vec![role.into()];
        if id == "sue" {
            // The supervisor is in the team but takes no leads: away for good.
            input.away = vec![Absence {
                from: start() - Duration::days(1),
                until: start() + Duration::days(365),
                reason: Some("manages".into()),
            }];
        }
        crm.save_user(&admin, input).unwrap();
    }
    let actor = |id: &str, role: &str, home: &str| {
        Actor::new(user(id)).with_role(role).with_team(team(home))
    };
    World {
        crm,
        clock,
        sue: actor("sue", "supervisor", "east"),
        ana: actor("ana", "sales", "east"),
        bo: actor("bo", "sales", "east"),
        web: Actor::new(user("web-form")).with_role("admin"),
        admin,
    }
}

fn new_lead(company: &str, region: &str) -> NewLead {
    NewLead {
        company: Some(company.into()),
        region: Some(region.into()),
        ..NewLead::default()
    }
}

#[test]
fn new_leads_are_scored_and_routed_with_the_trace_in_their_event() {
    let mut w = world(RULES);
    let a = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap();
    let b = w
        .crm
        .create_lead(
            &w.web,
            NewLead {
                source: Some("referral".into()),
                phone: Some("+49 30 1234567".into()),
                ..new_lead("B", "east")
            },
        )
        .unwrap();
    let c = w.crm.create_lead(&w.web, new_lead("C", "east")).unwrap();
    let d = w.crm.create_lead(&w.web, new_lead("D", "north")).unwrap();
    // The east team in id order is ana, bo, sue; sue is away, so it alternates.
    let owners: Vec<_> = [&a, &b, &c, &d].map(|l| l.owner.clone()).to_vec();
    assert_eq!(
        owners,
        [Some(user("ana")), Some(user("bo")), Some(user("ana")), None]
    );
    assert_eq!(a.team, Some(team("east")));
    assert_eq!(a.first_contact_due_at, Some(start() + Duration::hours(24)));
    assert_eq!((a.quality_score, b.quality_score), (Some(10), Some(80)));

    let history = w.crm.history(&w.admin, b.id).unwrap();
    let payload = &history[0].payload;
    assert_eq!(payload["routing"]["rule"], "east");
    assert_eq!(payload["routing"]["trace"][0]["result"], "chosen");
    assert_eq!(
        payload["routing"]["trace"][0]["detail"],
        "region \"east\" is = \"east\""
    );
    assert_eq!(payload["score"]["parts"][0]["rule"], "referral");

    // c's trace shows sue passed over as away.
    let history = w.crm.history(&w.admin, c.id).unwrap();
    assert_eq!(
        history[0].payload["routing"]["trace"][0]["skipped"][0],
        json!({ "user": "sue", "reason": "on_leave" })
    );
    // d matched no rule and is in the pool, with the reason.
    let history = w.crm.history(&w.admin, d.id).unwrap();
    assert_eq!(
        history[0].payload["routing"]["pool_reason"],
        "no rule matches"
    );
    let pool = w.crm.pool(&w.admin, EntityKind::Lead, None).unwrap();
    assert_eq!(
        pool.iter().map(AnyRecord::key).collect::<Vec<_>>(),
        [d.key()]
    );
}

#[test]
fn batch_routing_hands_out_the_best_leads_first_and_spreads_evenly() {
    let mut w = world(
        r#"{ "assignment": { "rules": [
        { "name": "east", "when": { "field": "region", "eq": "east" }, "users": ["ana", "bo"] } ] } }"#,
    );
    // Created with an owner given, then released to the pool.
    let mut keys = Vec::new();
    for score in [10u8, 90, 50, 70, 30, 60] {
        let lead = w
            .crm
            .create_lead(
                &w.ana,
                NewLead {
                    quality_score: Some(score),
                    owner: Some(user("ana")),
                    ..new_lead(&format!("S{score}"), "east")
                },
            )
            .unwrap();
        w.crm.release(&w.ana, lead.id, "not mine").unwrap();
        keys.push(lead.key());
    }
    let pool = w
        .crm
        .pool(&w.sue, EntityKind::Lead, Some(&team("east")))
        .unwrap();
    let scores: Vec<_> = pool
        .iter()
        .map(|r| Lead::from_any(r.clone()).unwrap().quality_score.unwrap())
        .collect();
    assert_eq!(scores, [90, 70, 60, 50, 30, 10]);

    let routed = w
        .crm
        .route_pool(&w.sue, EntityKind::Lead, Some(&team("east")))
        .unwrap();
    // Results come in pool order (best first); owners alternate from ana.
    let got: Vec<_> = routed
        .iter()
        .map(|r| r.owner.clone().unwrap().to_string())
        .collect();
    assert_eq!(got, ["ana", "bo", "ana", "bo", "ana", "bo"]);
    let first: Lead = w
        .crm
        .get(&w.sue, routed[0].subject.clone().unwrap())
        .unwrap();
    assert_eq!(
        (first.quality_score, first.owner.clone()),
        (Some(90), Some(user("ana")))
    );
    assert!(
        w.crm
            .pool(&w.sue, EntityKind::Lead, None)
            .unwrap()
            .is_empty()
    );

    // The rule's position is kept: the next lead goes to ana again after bo.
    let next = w.crm.create_lead(&w.web, new_lead("next", "east")).unwrap();
    assert_eq!(next.owner, Some(user("ana")));

    // Routing a converted lead, or a lead twice, is refused.
    let err = w
        .crm
        .route(&w.sue, &[keys[0].clone(), keys[0].clone()])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let err = w.crm.route(&w.ana, &[keys[0].clone()]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "sales may not assign");
}

#[test]
fn claiming_and_releasing_respect_teams_limits_and_reasons() {
    let mut w = world(RULES);
    let pooled: Vec<Lead> = (0..4)
        .map(|i| {
            w.crm
                .create_lead(
                    &w.web,
                    NewLead {
                        team: Some(team("east")),
                        ..new_lead(&format!("P{i}"), "north")
                    },
                )
                .unwrap()
        })
        .collect();
    let west = w
        .crm
        .create_lead(
            &w.web,
            NewLead {
                team: Some(team("west")),
                ..new_lead("W", "north")
            },
        )
        .unwrap();
    assert!(pooled.iter().all(|l| l.owner.is_none()));
    // ana sees her team's pool, not the west one.
    let visible = w.crm.pool(&w.ana, EntityKind::Lead, None).unwrap();
    assert_eq!(visible.len(), 4);
    let err = w.crm.claim(&w.ana, west.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);

    let claimed = w.crm.claim(&w.ana, pooled[0].id).unwrap();
    assert_eq!(claimed.owner(), Some(&user("ana")));
    w.crm.claim(&w.ana, pooled[1].id).unwrap();
    let err = w.crm.claim(&w.ana, pooled[2].id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid claim_limit: ana holds 2 open leads; the limit to claim more is 2 (got `2`)"
    );
    let err = w.crm.claim(&w.bo, pooled[0].id).unwrap_err();
    assert!(err.to_string().contains("belongs to ana"), "{err}");

    let err = w.crm.release(&w.ana, pooled[0].id, " ").unwrap_err();
    assert_eq!(err.to_string(), "invalid reason: must not be blank");
    let released = w
        .crm
        .release(&w.ana, pooled[0].id, "wrong product line")
        .unwrap();
    let released = Lead::from_any(released).unwrap();
    assert_eq!(
        (released.owner, released.first_contact_due_at),
        (None, None)
    );
    let history = w.crm.history(&w.admin, pooled[0].id).unwrap();
    let actions: Vec<_> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "claim", "release"]);
    assert_eq!(history[2].reason.as_deref(), Some("wrong product line"));
    // Now she is below the limit again.
    w.crm.claim(&w.ana, pooled[2].id).unwrap();
    // Another team's pool needs the assign permission there: sue supervises
    // east, not west; an admin may.
    let err = w.crm.claim(&w.sue, west.id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    let taken = w.crm.claim(&w.admin, west.id).unwrap();
    assert_eq!(taken.owner(), Some(&user("root")));
}

#[test]
fn due_work_lists_first_contacts_follow_ups_and_tasks_per_user() {
    let mut w = world(RULES);
    let a = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap(); // ana
    let b = w.crm.create_lead(&w.web, new_lead("B", "east")).unwrap(); // bo
    w.clock.advance(Duration::hours(2));
    let mut call = NewActivity::new(ActivityKind::Call, b.id, "intro call");
    call.next_follow_up_at = Some(start() + Duration::hours(30));
    w.crm.log_activity(&w.bo, call).unwrap();
    w.crm
        .create_task(
            &w.ana,
            NewTask {
                title: "send brochure".into(),
                assignee: Some(user("ana")),
                due_at: Some(start() + Duration::hours(3)),
                ..NewTask::default()
            },
        )
        .unwrap();

    let now = start() + Duration::hours(25);
    let work = w.crm.due_work(&w.sue, now).unwrap();
    let flat: Vec<_> = work
        .iter()
        .flat_map(|d| {
            d.items.iter().map(move |i| {
                (
                    d.user.as_str(),
                    i.kind.as_str(),
                    i.title.as_str(),
                    i.overdue,
                )
            })
        })
        .collect();
    assert_eq!(
        flat,
        [
            ("ana", "task", "send brochure", true),
            ("ana", "first_contact", "A", true),
            ("bo", "follow_up", "B", false),
        ]
    );
    assert_eq!((work[0].overdue, work[1].overdue), (2, 0));
    // Sales see only their own.
    let mine = w.crm.due_work(&w.bo, now).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].user, user("bo"));
    let _ = a;
}

#[test]
fn overdue_leads_are_reclaimed_to_the_pool_or_to_the_next_user() {
    let mut w = world(RULES);
    let a = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap(); // ana
    let b = w.crm.create_lead(&w.web, new_lead("B", "east")).unwrap(); // bo
    w.crm
        .log_activity(&w.bo, NewActivity::new(ActivityKind::Call, b.id, "called"))
        .unwrap();
    // Nothing is overdue yet.
    assert!(
        w.crm
            .reclaim_overdue(&w.sue, start() + Duration::hours(23))
            .unwrap()
            .is_empty()
    );
    let back = w
        .crm
        .reclaim_overdue(&w.sue, start() + Duration::hours(25))
        .unwrap();
    assert_eq!(back.len(), 1, "b was contacted in time");
    assert_eq!(back[0].subject, Some(a.key()));
    assert_eq!(back[0].owner, None);
    assert_eq!(
        back[0].pool_reason.as_deref(),
        Some("first contact was due at 2026-01-06T09:00:00Z")
    );
    let history = w.crm.history(&w.admin, a.id).unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.payload["from"].as_str()),
        ("reclaim", Some("ana"))
    );

    // To the next user: never the one it was taken from.
    let mut w = world(&RULES.replace(
        "\"claim_limit\": 2,",
        "\"claim_limit\": 2, \"reclaim\": { \"to\": \"next_user\", \"grace_hours\": 1 },",
    ));
    let a = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap(); // ana
    let b = w.crm.create_lead(&w.web, new_lead("B", "east")).unwrap(); // bo
    assert!(
        w.crm
            .reclaim_overdue(&w.sue, start() + Duration::minutes(24 * 60 + 30))
            .unwrap()
            .is_empty(),
        "within grace"
    );
    let back = w
        .crm
        .reclaim_overdue(&w.sue, start() + Duration::hours(26))
        .unwrap();
    // The team in id order is ana, bo, sue. After bo come sue (away) and
    // ana, but A is taken from her: back to bo. Then B goes on to ana.
    assert_eq!(back[0].subject, Some(a.key()));
    assert_eq!(back[0].owner, Some(user("bo")));
    let skipped: Vec<_> = back[0].trace[0]
        .skipped
        .iter()
        .map(|s| (s.user.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [("sue", SkipReason::OnLeave), ("ana", SkipReason::Excluded)]
    );
    assert_eq!(
        (back[1].subject.clone(), back[1].owner.clone()),
        (Some(b.key()), Some(user("ana")))
    );
    let lead: Lead = w.crm.get(&w.admin, a.id).unwrap();
    assert_eq!(lead.owner, Some(user("bo")));
    assert_eq!(
        lead.first_contact_due_at,
        Some(w.crm.now() + Duration::hours(24))
    );
}

#[test]
fn a_leaving_users_work_moves_by_the_rules_in_one_command() {
    let mut w = world(RULES);
    let a = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap(); // ana
    let c = w.crm.create_lead(&w.web, new_lead("C", "east")).unwrap(); // bo
    let e = w.crm.create_lead(&w.web, new_lead("E", "east")).unwrap(); // ana
    assert_eq!(
        (a.owner.as_ref(), c.owner.as_ref(), e.owner.as_ref()),
        (Some(&user("ana")), Some(&user("bo")), Some(&user("ana")))
    );
    let customer = w
        .crm
        .create_customer(
            &w.ana,
            NewCustomer {
                owner: Some(user("ana")),
                name: "Acme".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    let err = w
        .crm
        .transfer_work(&w.sue, &user("ana"), None, "")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);

    let moved = w
        .crm
        .transfer_work(&w.sue, &user("ana"), None, "left the company")
        .unwrap();
    let summary: Vec<_> = moved
        .iter()
        .map(|r| {
            (
                r.subject.as_ref().unwrap().kind,
                r.owner.as_ref().map(|u| u.to_string()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (EntityKind::Customer, None),
            (EntityKind::Lead, Some("bo".to_string())),
            (EntityKind::Lead, Some("bo".to_string())),
        ]
    );
    assert_eq!(
        moved[0].pool_reason.as_deref(),
        Some("no rule routes customers")
    );
    let customer: crate::model::Customer = w.crm.get(&w.admin, customer.id).unwrap();
    assert_eq!(customer.owner, None);
    let history = w.crm.history(&w.admin, e.id).unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.reason.as_deref()),
        ("transfer", Some("left the company"))
    );

    // To a named user, everything goes to them.
    let moved = w
        .crm
        .transfer_work(&w.sue, &user("bo"), Some(&user("ana")), "covering")
        .unwrap();
    assert_eq!(moved.len(), 3);
    assert!(moved.iter().all(|r| r.owner == Some(user("ana"))));
}

#[test]
fn scores_are_stored_and_explained() {
    let mut w = world(RULES);
    let lead = w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap();
    assert_eq!(lead.quality_score, Some(10));
    w.crm
        .update_fields(
            &w.ana,
            lead.key(),
            lead.meta.version,
            serde_json::Map::from_iter([("phone".to_string(), json!("+49 30 1234567"))]),
        )
        .unwrap();
    let score = w.crm.score_lead(&w.ana, lead.id).unwrap();
    assert_eq!(score.score, 30);
    assert_eq!(score.parts[0].rule, "reachable");
    let stored: Lead = w.crm.get(&w.ana, lead.id).unwrap();
    assert_eq!(stored.quality_score, Some(30));
    assert_eq!(
        w.crm
            .history(&w.ana, lead.id)
            .unwrap()
            .last()
            .unwrap()
            .action,
        "score"
    );
}

#[test]
fn the_router_state_is_stored_and_continues_across_engines() {
    let mut w = world(RULES);
    w.crm.create_lead(&w.web, new_lead("A", "east")).unwrap();
    let state = w.crm.store().state("assignment").unwrap().unwrap();
    assert_eq!(state.value["rules"]["east"]["last"], "ana");
    let store = w.crm.into_store();
    let mut again = Crm::new(
        store,
        Config::from_json(RULES).unwrap(),
        FixedClock::new(start()),
        SeededIds::new(8),
    )
    .unwrap();
    let next = again.create_lead(&w.web, new_lead("B", "east")).unwrap();
    assert_eq!(next.owner, Some(user("bo")));
}

#[test]
fn tickets_route_by_the_same_rules_and_move_to_assigned() {
    let mut w = world(
        r#"{ "assignment": { "rules": [
        { "name": "vip", "applies_to": ["ticket"], "when": { "field": "account.tier", "eq": "A" }, "users": ["bo"] },
        { "name": "urgent", "applies_to": ["ticket"], "when": { "field": "priority", "in": ["high", "urgent"] },
          "team": "east", "strategy": "load_balance" }
    ] } }"#,
    );
    let mut acme = NewCustomer {
        name: "Acme".into(),
        ..NewCustomer::default()
    };
    acme.owner = Some(user("ana"));
    let acme = w.crm.create_customer(&w.ana, acme).unwrap();
    let mut tier = serde_json::Map::new();
    tier.insert("tier".into(), json!("A"));
    w.crm
        .update_fields(&w.admin, acme.key(), acme.meta.version, tier)
        .unwrap();
    let vip = w
        .crm
        .open_ticket(
            &w.admin,
            crate::model::NewTicket {
                customer: Some(acme.id),
                subject: "broken".into(),
                ..crate::model::NewTicket::default()
            },
        )
        .unwrap();
    let urgent = w
        .crm
        .open_ticket(
            &w.admin,
            crate::model::NewTicket {
                priority: crate::model::TicketPriority::Urgent,
                subject: "down".into(),
                ..crate::model::NewTicket::default()
            },
        )
        .unwrap();
    let low = w
        .crm
        .open_ticket(
            &w.admin,
            crate::model::NewTicket {
                subject: "question".into(),
                ..crate::model::NewTicket::default()
            },
        )
        .unwrap();
    let routed = w
        .crm
        .route(&w.sue, &[vip.key(), urgent.key(), low.key()])
        .unwrap_err();
    assert_eq!(
        routed.kind(),
        ErrorKind::Forbidden,
        "sue supervises east; the tickets are in no team"
    );
    let routed = w
        .crm
        .route(&w.admin, &[vip.key(), urgent.key(), low.key()])
        .unwrap();
    assert_eq!(routed[0].owner, Some(user("bo")));
    // bo now holds one open ticket; ana none: load balancing picks ana.
    assert_eq!(routed[1].owner, Some(user("ana")));
    assert_eq!(routed[2].owner, None);
    assert_eq!(
        routed[2].trace.iter().map(|s| s.result).collect::<Vec<_>>(),
        [StepResult::NotMatched, StepResult::NotMatched]
    );
    let vip: crate::model::Ticket = w.crm.get(&w.admin, vip.id).unwrap();
    assert_eq!(
        (vip.status.as_str(), vip.assignee),
        ("assigned", Some(user("bo")))
    );
}

#[test]
fn configuration_errors_name_the_path() {
    for (json, want) in [
        (
            r#"{ "assignment": { "rules": [ { "name": "a" } ] } }"#,
            "invalid configuration at assignment.rules[0]: a rule needs users or a team",
        ),
        (
            r#"{ "claim_limit": -1 }"#,
            "invalid configuration at claim_limit: must be a whole number or null",
        ),
        (
            r#"{ "first_contact_within_hours": 0 }"#,
            "invalid configuration at first_contact_within_hours: must be a positive number of hours",
        ),
        (
            r#"[]"#,
            "invalid configuration at config: must be a JSON object",
        ),
    ] {
        assert_eq!(Config::from_json(json).unwrap_err().to_string(), want);
    }
    let err = Config::from_json(r#"{ "reclaim": { "to": "nowhere" } }"#).unwrap_err();
    assert!(err.to_string().contains("nowhere"), "{err}");
}
