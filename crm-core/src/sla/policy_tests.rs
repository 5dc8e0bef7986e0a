//! SLA policies and clocks: which policy wins, due times from outside working
//! hours, holidays, weekends and daylight-saving changes, pauses, reopening
//! and escalation steps.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::model::{CustomerId, TicketPriority};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const VIP: &str = "019c0000-0000-7000-8000-000000000001";

fn config(on_reopen: &str) -> SlaConfig {
    SlaConfig::from_json(&format!(
        r#"{{"calendars": {{"office": {{"time_zone": "Europe/Berlin",
                "hours": {{"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]}},
                "holidays": ["2026-12-25"]}}}},
            "policies": [
              {{"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400}},
              {{"name": "urgent", "priority": "urgent", "calendar": "office",
               "first_response_minutes": 30, "resolution_minutes": 240}},
              {{"name": "tier A", "tier": "A", "calendar": "office", "first_response_minutes": 60}},
              {{"name": "tier A repairs", "tier": "A", "category": "repair", "calendar": "office",
               "resolution_minutes": 480}},
              {{"name": "vip", "customer": "{VIP}", "calendar": "office", "first_response_minutes": 15}}],
            "escalation": [{{"at_percent": 80, "action": "notify_assignee"}},
                           {{"at_percent": 100, "action": "assign_supervisor"}},
                           {{"at_percent": 200, "target": "resolution", "action": "notify_supervisor"}}],
            "on_reopen": "{on_reopen}"}}"#
    ))
    .unwrap()
}

fn facts(priority: TicketPriority) -> TicketFacts<'static> {
    TicketFacts {
        priority,
        category: None,
        tier: None,
        customer: None,
    }
}

fn start(config: &SlaConfig, name: &str, at: DateTime<Utc>) -> TicketSla {
    let policy = config.policies.iter().find(|p| p.name == name).unwrap();
    TicketSla::start(config, policy, at, false).unwrap()
}

fn due(sla: &TicketSla, target: Target) -> Option<DateTime<Utc>> {
    sla.clocks
        .iter()
        .find(|c| c.target == target)
        .unwrap()
        .due_at
}

#[test]
fn the_most_specific_policy_wins() {
    let config = config("resume");
    let name = |f: TicketFacts<'_>| config.policy_for(&f).map(|p| p.name.clone());
    assert_eq!(
        name(facts(TicketPriority::Normal)).as_deref(),
        Some("standard")
    );
    assert_eq!(
        name(facts(TicketPriority::Urgent)).as_deref(),
        Some("urgent")
    );
    // A tier beats a priority; tier and category beat a tier alone.
    let tier_a = TicketFacts {
        tier: Some(crate::model::Tier::A),
        ..facts(TicketPriority::Urgent)
    };
    assert_eq!(name(tier_a).as_deref(), Some("tier A"));
    let repair = TicketFacts {
        category: Some("repair"),
        ..tier_a
    };
    assert_eq!(name(repair).as_deref(), Some("tier A repairs"));
    // One customer beats them all.
    let vip = TicketFacts {
        customer: Some(VIP.parse::<CustomerId>().unwrap()),
        ..repair
    };
    assert_eq!(name(vip).as_deref(), Some("vip"));
}

#[test]
fn clocks_start_when_work_does() {
    let config = config("resume");
    // Monday 2 March 07:00 CET (before work): 30 minutes -> 09:30.
    let sla = start(&config, "urgent", utc(2026, 3, 2, 6, 0));
    assert_eq!(
        due(&sla, Target::FirstResponse),
        Some(utc(2026, 3, 2, 8, 30))
    );
    // 240 working minutes with the lunch break: 09:00-12:00, 13:00-14:00.
    assert_eq!(due(&sla, Target::Resolution), Some(utc(2026, 3, 2, 13, 0)));
    // Saturday 7 March: Monday 09:30.
    let sla = start(&config, "urgent", utc(2026, 3, 7, 10, 0));
    assert_eq!(
        due(&sla, Target::FirstResponse),
        Some(utc(2026, 3, 9, 8, 30))
    );
    // Christmas Day (a Friday, a holiday): Monday 28 December 09:30.
    let sla = start(&config, "urgent", utc(2026, 12, 25, 9, 0));
    assert_eq!(
        due(&sla, Target::FirstResponse),
        Some(utc(2026, 12, 28, 8, 30))
    );
    // Friday 27 March 16:45 CET: 15 minutes on Friday, 15 on Monday in
    // summer time (09:15 CEST = 07:15 UTC).
    let sla = start(&config, "urgent", utc(2026, 3, 27, 15, 45));
    assert_eq!(
        due(&sla, Target::FirstResponse),
        Some(utc(2026, 3, 30, 7, 15))
    );
}

#[test]
fn a_pause_costs_no_working_time_and_a_response_stops_its_clock() {
    let config = config("resume");
    // Monday 2 March 09:00 CET.
    let mut sla = start(&config, "urgent", utc(2026, 3, 2, 8, 0));
    sla.enter(&config, "in_progress", utc(2026, 3, 2, 8, 10))
        .unwrap();
    let first = &sla.clocks[0];
    assert_eq!((first.met, first.consumed_seconds), (Some(true), 600));
    // Waiting for the customer from 10:00 until Wednesday 10:00.
    sla.enter(&config, "awaiting_customer", utc(2026, 3, 2, 9, 0))
        .unwrap();
    assert_eq!(due(&sla, Target::Resolution), None);
    let state = sla.state(&config, utc(2026, 3, 3, 12, 0)).unwrap();
    assert_eq!(state[1].status, TargetStatus::Paused);
    assert_eq!(state[1].consumed_minutes, 60);
    sla.enter(&config, "in_progress", utc(2026, 3, 4, 9, 0))
        .unwrap();
    // 180 minutes left from Wednesday 10:00: 12:00, then 13:00-14:00.
    assert_eq!(due(&sla, Target::Resolution), Some(utc(2026, 3, 4, 13, 0)));
    let state = sla.state(&config, utc(2026, 3, 4, 9, 30)).unwrap();
    assert_eq!(
        (
            state[1].status,
            state[1].consumed_minutes,
            state[1].remaining_minutes
        ),
        (TargetStatus::Running, 90, 150)
    );
    // Resolved at 11:00 (120 used): met.
    sla.enter(&config, "resolved", utc(2026, 3, 4, 10, 0))
        .unwrap();
    assert_eq!(sla.clocks[1].met, Some(true));
    assert_eq!(sla.clocks[1].consumed_seconds, 120 * 60);
    assert_eq!(sla.next_check_at, None);
}

#[test]
fn a_reopened_ticket_resumes_or_restarts_its_resolution_clock() {
    for (mode, due_at, used) in [
        // The time it spent resolved is not counted: 120 used, 120 left.
        ("resume", utc(2026, 3, 5, 10, 0), 120),
        // A fresh 240 minutes from Thursday 09:00: 12:00, 13:00-14:00.
        ("restart", utc(2026, 3, 5, 13, 0), 0),
    ] {
        let config = config(mode);
        let mut sla = start(&config, "urgent", utc(2026, 3, 4, 8, 0));
        sla.enter(&config, "in_progress", utc(2026, 3, 4, 8, 10))
            .unwrap();
        sla.enter(&config, "resolved", utc(2026, 3, 4, 10, 0))
            .unwrap();
        sla.enter(&config, "reopened", utc(2026, 3, 5, 8, 0))
            .unwrap();
        assert_eq!(due(&sla, Target::Resolution), Some(due_at), "{mode}");
        let state = sla.state(&config, utc(2026, 3, 5, 8, 0)).unwrap();
        assert_eq!(state[1].consumed_minutes, used, "{mode}");
        assert_eq!(state[1].status, TargetStatus::Running, "{mode}");
        // The first response stays met.
        assert_eq!(state[0].status, TargetStatus::Met, "{mode}");
    }
}

#[test]
fn escalation_steps_fall_due_in_order_and_once() {
    let config = config("resume");
    // Monday 09:00; first response 30 minutes: 80 % at 09:24, breach at 09:30.
    let mut sla = start(&config, "urgent", utc(2026, 3, 2, 8, 0));
    assert_eq!(sla.next_check_at, Some(utc(2026, 3, 2, 8, 24)));
    assert!(
        sla.due_escalations(&config, utc(2026, 3, 2, 8, 23))
            .unwrap()
            .is_empty()
    );
    let due = sla
        .due_escalations(&config, utc(2026, 3, 2, 8, 25))
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].0, due[0].1.at_percent), (Target::FirstResponse, 80));
    let done: Vec<_> = due.into_iter().map(|(t, r)| (t, r.clone())).collect();
    sla.escalated(&config, &done, utc(2026, 3, 2, 8, 25))
        .unwrap();
    assert_eq!(sla.next_check_at, Some(utc(2026, 3, 2, 8, 30)));
    let due = sla
        .due_escalations(&config, utc(2026, 3, 2, 8, 31))
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1.action, EscalationAction::AssignSupervisor);
    let state = sla.state(&config, utc(2026, 3, 2, 8, 31)).unwrap();
    assert_eq!(state[0].status, TargetStatus::Breached);
    // A late response stops the clock as breached; the 200 % step is for
    // resolution only.
    sla.enter(&config, "in_progress", utc(2026, 3, 2, 8, 45))
        .unwrap();
    assert_eq!(sla.clocks[0].met, Some(false));
    let state = sla.state(&config, utc(2026, 3, 2, 9, 0)).unwrap();
    assert_eq!(state[0].status, TargetStatus::Breached);
}

#[test]
fn bad_setups_name_the_field() {
    let field = |json: &str| match SlaConfig::from_json(json).unwrap_err() {
        crate::Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(r#"{"policies": [{"name": "x", "calendar": "none", "resolution_minutes": 5}]}"#),
        "sla.policies[0].calendar"
    );
    assert_eq!(
        field(r#"{"calendars": {"c": {"time_zone": "Nowhere", "hours": {}}}}"#),
        "sla.calendars.c.time_zone"
    );
    let cal = r#""calendars": {"c": {"time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}}"#;
    assert_eq!(
        field(&format!(
            r#"{{{cal}, "policies": [{{"name": "x", "calendar": "c"}}]}}"#
        )),
        "sla.policies[0]"
    );
    assert_eq!(
        field(&format!(
            r#"{{{cal}, "escalation": [{{"at_percent": 0, "action": "notify_assignee"}}]}}"#
        )),
        "sla.escalation[0].at_percent"
    );
    assert_eq!(
        field(r#"{"survey": {"low_csat": 9}}"#),
        "sla.survey.low_csat"
    );
    assert_eq!(field(r#"{"polices": []}"#), "sla");
}
