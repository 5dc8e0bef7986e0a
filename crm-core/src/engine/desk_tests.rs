//! The service desk through the engine: routing on opening, SLA clocks that
//! follow the ticket, escalation, surveys with follow-ups, scope flags and
//! department tasks.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::access::Actor;
use crate::model::{FeedbackKind, NewTask, NewTicket, Task, TeamId, Ticket, TicketPriority};
use crate::sla::{EscalationAction, Target, TargetStatus};
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const CONFIG: &str = r#"{
  "assignment": {"rules": [
    {"name": "repairs", "applies_to": ["ticket"], "when": {"field": "category", "eq": "repair"},
     "users": ["tom"], "strategy": "round_robin"}]},
  "sla": {
    "calendars": {"office": {"time_zone": "Europe/Berlin",
                             "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]}}},
    "policies": [
      {"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400},
      {"name": "urgent", "priority": "urgent", "calendar": "office",
       "first_response_minutes": 30, "resolution_minutes": 240}],
    "escalation": [{"at_percent": 80, "action": "notify_assignee"},
                   {"at_percent": 100, "action": "assign_supervisor"}],
    "survey": {"after_hours": 168}
  }
}"#;

struct Desk {
    crm: Crm<MemoryStore>,
    clock: FixedClock,
    root: Actor,
    sue: Actor,
    tom: Actor,
}

fn desk() -> Desk {
    // Monday 2 March 2026, 07:00 in Berlin: before work.
    let clock = FixedClock::new(utc(2026, 3, 2, 6, 0));
    let config = Config::from_json(CONFIG).unwrap();
    let mut crm = Crm::new(
        MemoryStore::new(),
        config,
        clock.clone(),
        SeededIds::new(11),
    )
    .unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let service = TeamId::new("service").unwrap();
    crm.save_team(
        &root,
        TeamInput {
            id: service.clone(),
            name: "Service".into(),
            region: None,
            supervisor: Some(UserId::new("sue").unwrap()),
        },
    )
    .unwrap();
    let mut tom = UserInput::new(UserId::new("tom").unwrap(), "Tom");
    tom.team = Some(service.clone());
    crm.save_user(&root, tom).unwrap();
    let sue = Actor::new(UserId::new("sue").unwrap())
        .with_role("supervisor")
        .with_team(service.clone());
    let tom = Actor::new(UserId::new("tom").unwrap())
        .with_role("support")
        .with_team(service);
    Desk {
        crm,
        clock,
        root,
        sue,
        tom,
    }
}

fn repair(d: &mut Desk) -> Ticket {
    d.crm
        .open_ticket(
            &d.tom,
            NewTicket {
                subject: "Press 4 leaks oil".into(),
                priority: TicketPriority::Urgent,
                category: Some("repair".into()),
                ..NewTicket::default()
            },
        )
        .unwrap()
}

fn kinds(work: &[DueWork], user: &str) -> Vec<(DueKind, bool)> {
    work.iter()
        .filter(|w| w.user.as_str() == user)
        .flat_map(|w| w.items.iter().map(|i| (i.kind, i.overdue)))
        .collect()
}

#[test]
fn a_ticket_is_routed_and_its_clocks_start_when_work_does() {
    let mut d = desk();
    let ticket = repair(&mut d);
    assert_eq!(ticket.status, "assigned");
    assert_eq!(ticket.assignee.as_ref().map(UserId::as_str), Some("tom"));
    let sla = ticket.sla.as_ref().unwrap();
    assert_eq!(sla.policy, "urgent");
    // Opened at 07:00: 30 minutes from 09:00, 240 with the lunch break.
    assert_eq!(sla.clocks[0].due_at, Some(utc(2026, 3, 2, 8, 30)));
    assert_eq!(sla.clocks[1].due_at, Some(utc(2026, 3, 2, 13, 0)));
    let history = d.crm.history(&d.root, ticket.id).unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "assign"]);
    assert_eq!(history[1].payload["routing"]["rule"], "repairs");
    // Both targets are tom's to watch today.
    let work = d.crm.due_work(&d.root, utc(2026, 3, 2, 8, 0)).unwrap();
    assert_eq!(
        kinds(&work, "tom"),
        [(DueKind::Sla, false), (DueKind::Sla, false)]
    );
}

#[test]
fn escalation_notifies_then_hands_the_ticket_to_the_supervisor() {
    let mut d = desk();
    let ticket = repair(&mut d);
    // 09:25 (80 % of 30 minutes used): tom is told, once.
    let at = utc(2026, 3, 2, 8, 25);
    let work = d.crm.due_work(&d.root, at).unwrap();
    assert!(kinds(&work, "tom").contains(&(DueKind::Escalation, true)));
    let done = d.crm.escalate(&d.sue, at).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].target, done[0].at_percent, done[0].action),
        (Target::FirstResponse, 80, EscalationAction::NotifyAssignee)
    );
    assert_eq!(done[0].to.as_ref().map(UserId::as_str), Some("tom"));
    assert!(d.crm.escalate(&d.sue, at).unwrap().is_empty());
    // 09:31: breached, the ticket goes to sue.
    let done = d.crm.escalate(&d.sue, utc(2026, 3, 2, 8, 31)).unwrap();
    assert_eq!(done[0].action, EscalationAction::AssignSupervisor);
    let ticket: Ticket = d.crm.get(&d.root, ticket.id).unwrap();
    assert_eq!(ticket.assignee.as_ref().map(UserId::as_str), Some("sue"));
    assert_eq!(ticket.sla.as_ref().unwrap().escalations.len(), 2);
    let outbox = d.crm.take_outbox(10).unwrap();
    let escalations: Vec<_> = outbox
        .iter()
        .filter(|m| m.topic == "sla_escalation")
        .map(|m| m.recipient.as_ref().map(|u| u.as_str().to_string()))
        .collect();
    assert_eq!(escalations, [Some("tom".into()), Some("sue".into())]);
    let state = d
        .crm
        .ticket_sla(&d.root, ticket.id, utc(2026, 3, 2, 8, 31))
        .unwrap();
    assert_eq!(state[0].status, TargetStatus::Breached);
    assert_eq!(state[1].status, TargetStatus::Running);
}

#[test]
fn waiting_for_the_customer_pauses_and_closing_schedules_a_survey() {
    let mut d = desk();
    let ticket = repair(&mut d);
    // 09:10 tom starts (first response met), 10:00 waits for the customer.
    d.clock.set(utc(2026, 3, 2, 8, 10));
    d.crm.start_ticket(&d.tom, ticket.id).unwrap();
    d.clock.set(utc(2026, 3, 2, 9, 0));
    let waiting = d.crm.await_customer(&d.tom, ticket.id).unwrap();
    let sla = waiting.sla.as_ref().unwrap();
    assert_eq!(sla.clocks[0].met, Some(true));
    assert!(sla.paused_since.is_some());
    // Paused: nothing is due, nothing escalates.
    let work = d.crm.due_work(&d.root, utc(2026, 3, 3, 12, 0)).unwrap();
    assert!(kinds(&work, "tom").is_empty(), "{work:?}");
    assert!(
        d.crm
            .escalate(&d.root, utc(2026, 3, 3, 12, 0))
            .unwrap()
            .is_empty()
    );
    // The customer answers on Wednesday 10:00: 180 minutes are left.
    d.clock.set(utc(2026, 3, 4, 9, 0));
    let back = d.crm.customer_replied(&d.tom, ticket.id).unwrap();
    assert_eq!(
        back.sla.as_ref().unwrap().clocks[1].due_at,
        Some(utc(2026, 3, 4, 13, 0))
    );
    d.clock.set(utc(2026, 3, 4, 10, 0));
    d.crm.resolve_ticket(&d.tom, ticket.id, "new seal").unwrap();
    let closed = d.crm.close_ticket(&d.tom, ticket.id).unwrap();
    assert_eq!(closed.sla.as_ref().unwrap().clocks[1].met, Some(true));
    let survey = closed.survey.as_ref().unwrap();
    assert_eq!(survey.due_at, utc(2026, 3, 11, 10, 0));
    let work = d.crm.due_work(&d.root, utc(2026, 3, 11, 10, 5)).unwrap();
    assert_eq!(kinds(&work, "tom"), [(DueKind::Survey, true)]);
    // A low score with a complaint: a follow-up task for the supervisor.
    let answered = d
        .crm
        .answer_survey(
            &d.tom,
            ticket.id,
            SurveyAnswer {
                csat: Some(2),
                nps: Some(3),
                feedback: Some(FeedbackKind::Complaint),
                comment: Some("It took two days.".into()),
            },
        )
        .unwrap();
    let survey = answered.survey.as_ref().unwrap();
    let task: Task = d.crm.get(&d.root, survey.follow_up.unwrap()).unwrap();
    assert_eq!(task.assignee.as_ref().map(UserId::as_str), Some("sue"));
    assert_eq!(task.related, Some(answered.key()));
    let work = d.crm.due_work(&d.root, utc(2026, 3, 11, 10, 5)).unwrap();
    assert!(kinds(&work, "tom").is_empty());
    let again = d
        .crm
        .answer_survey(
            &d.tom,
            ticket.id,
            SurveyAnswer {
                csat: Some(5),
                ..SurveyAnswer::default()
            },
        )
        .unwrap_err();
    assert!(matches!(&again, Error::Validation { fields, .. } if fields == &["survey"]));
}

#[test]
fn a_reopened_ticket_resumes_its_resolution_clock() {
    let mut d = desk();
    let ticket = repair(&mut d);
    d.clock.set(utc(2026, 3, 2, 8, 10));
    d.crm.start_ticket(&d.tom, ticket.id).unwrap();
    d.clock.set(utc(2026, 3, 2, 9, 0));
    d.crm
        .resolve_ticket(&d.tom, ticket.id, "tightened")
        .unwrap();
    // Reopened the next morning at 09:00: 60 of 240 minutes were used, the
    // 180 left run until 12:00 (11:00 UTC).
    d.clock.set(utc(2026, 3, 3, 8, 0));
    let reopened = d
        .crm
        .reopen_ticket(&d.tom, ticket.id, "still leaks")
        .unwrap();
    let clock = &reopened.sla.as_ref().unwrap().clocks[1];
    assert_eq!(clock.met, None);
    assert_eq!(clock.due_at, Some(utc(2026, 3, 3, 11, 0)));
    let state = d.crm.ticket_sla(&d.root, ticket.id, d.crm.now()).unwrap();
    assert_eq!(state[1].consumed_minutes, 60);
}

#[test]
fn requests_outside_warranty_or_contract_are_flagged_and_bad_answers_refused() {
    let mut d = desk();
    let ticket = d
        .crm
        .open_ticket(
            &d.tom,
            NewTicket {
                subject: "Noise".into(),
                order: Some("SO-4711".into()),
                warranty_until: Some(utc(2026, 2, 28, 0, 0).date_naive()),
                ..NewTicket::default()
            },
        )
        .unwrap();
    assert_eq!(
        ticket.out_of_scope.as_deref(),
        Some("the warranty ended on 2026-02-28")
    );
    assert_eq!(ticket.sla.as_ref().unwrap().policy, "standard");
    // Not routed: no rule for this category; it waits in the queue.
    assert_eq!(ticket.status, "new");
    let field = |err: Error| match err {
        Error::Validation { fields, .. } => fields[0].clone(),
        other => panic!("{other:?}"),
    };
    let answer = |csat, nps| SurveyAnswer {
        csat,
        nps,
        ..SurveyAnswer::default()
    };
    assert_eq!(
        field(
            d.crm
                .answer_survey(&d.tom, ticket.id, answer(Some(6), None))
                .unwrap_err()
        ),
        "csat"
    );
    assert_eq!(
        field(
            d.crm
                .answer_survey(&d.tom, ticket.id, answer(None, Some(11)))
                .unwrap_err()
        ),
        "nps"
    );
    assert_eq!(
        field(
            d.crm
                .answer_survey(&d.tom, ticket.id, answer(None, None))
                .unwrap_err()
        ),
        "survey"
    );
    // Open tickets are not surveyed yet.
    assert_eq!(
        field(
            d.crm
                .answer_survey(&d.tom, ticket.id, answer(Some(4), None))
                .unwrap_err()
        ),
        "ticket"
    );
    assert_eq!(
        d.crm
            .open_ticket(
                &d.tom,
                NewTicket {
                    subject: "x".into(),
                    contract: Some(crate::model::ContractId::from_uuid(uuid::Uuid::nil())),
                    ..NewTicket::default()
                },
            )
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_department_task_waits_with_its_supervisor() {
    let mut d = desk();
    let task = d
        .crm
        .create_task(
            &d.sue,
            NewTask {
                title: "Check the spare parts stock".into(),
                team: Some(TeamId::new("service").unwrap()),
                due_at: Some(utc(2026, 3, 2, 12, 0)),
                ..NewTask::default()
            },
        )
        .unwrap();
    assert_eq!(task.assignee, None);
    let work = d.crm.due_work(&d.root, utc(2026, 3, 2, 13, 0)).unwrap();
    assert_eq!(kinds(&work, "sue"), [(DueKind::Task, true)]);
}
