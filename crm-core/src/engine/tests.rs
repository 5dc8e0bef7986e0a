//! Engine behaviour, command by command, on the memory store.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::access::Actor;
use crate::model::{
    ActivityKind, Customer, Grantee, Lead, NewActivity, NewCustomer, NewLead, NewOpportunity,
    NewTask, NewTicket, Opportunity, ShareAccess, TeamId,
};
use crate::store::MemoryStore;
use crate::{ErrorKind, FixedClock, SeededIds};

struct World {
    crm: Crm<MemoryStore>,
    clock: FixedClock,
    admin: Actor,
    sue: Actor,
    ana: Actor,
    bo: Actor,
}

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn team(id: &str) -> TeamId {
    TeamId::new(id).unwrap()
}

fn world_with(config: Config) -> World {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let mut crm = Crm::new(
        MemoryStore::new(),
        config,
        clock.clone(),
        SeededIds::new(42),
    )
    .unwrap();
    let admin = Actor::new(user("root")).with_role("admin");
    crm.save_team(
        &admin,
        TeamInput {
            id: team("east"),
            name: "East".into(),
            region: None,
            supervisor: Some(user("sue")),
        },
    )
    .unwrap();
    for (id, role) in [("sue", "supervisor"), ("ana", "sales"), ("bo", "sales")] {
        let mut input = UserInput::new(user(id), id.to_uppercase());
        input.team = Some(team("east"));
        input.roles = vec![role.into()];
        crm.save_user(&admin, input).unwrap();
    }
    let actor = |id: &str, role: &str| Actor::new(user(id)).with_role(role).with_team(team("east"));
    World {
        crm,
        clock,
        sue: actor("sue", "supervisor"),
        ana: actor("ana", "sales"),
        bo: actor("bo", "sales"),
        admin,
    }
}

fn world() -> World {
    world_with(Config::default())
}

fn lead_for(w: &mut World, owner: &Actor) -> Lead {
    w.crm
        .create_lead(
            owner,
            NewLead {
                company: Some("Acme GmbH".into()),
                contact_name: Some("Jo Doe".into()),
                email: Some("jo@acme.example".into()),
                phone: Some("+49 30 1234567".into()),
                product_line: Some("presses".into()),
                owner: Some(owner.user.clone()),
                ..NewLead::default()
            },
        )
        .unwrap()
}

fn eur(amount: &str) -> crate::model::Money {
    crate::model::Money::parse(amount, "EUR").unwrap()
}

fn actions(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

#[test]
fn a_lead_goes_from_new_to_converted_with_an_event_per_step() {
    let mut w = world();
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    assert_eq!(
        lead.first_contact_due_at,
        Some(w.crm.now() + Duration::hours(24))
    );

    w.clock.advance(Duration::hours(2));
    w.crm
        .log_activity(
            &ana,
            NewActivity::new(ActivityKind::Call, lead.id, "Needs 3 presses"),
        )
        .unwrap();
    let lead: Lead = w.crm.get(&ana, lead.id).unwrap();
    assert_eq!(lead.status, "contacted");
    assert_eq!(lead.first_contacted_at, Some(w.crm.now()));
    assert_eq!(lead.first_contact_due_at, None);
    assert_eq!(
        lead.next_follow_up_at,
        Some(w.crm.now() + Duration::days(3))
    );

    // A later activity moves the follow-up, not the state.
    let next = w.crm.now() + Duration::days(7);
    let mut call = NewActivity::new(ActivityKind::Email, lead.id, "Sent brochure");
    call.next_follow_up_at = Some(next);
    w.crm.log_activity(&ana, call).unwrap();
    let lead: Lead = w.crm.get(&ana, lead.id).unwrap();
    assert_eq!(
        (lead.status.as_str(), lead.next_follow_up_at),
        ("contacted", Some(next))
    );

    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let conversion = w
        .crm
        .convert_lead(&ana, lead.id, ConvertLead::default())
        .unwrap();
    let customer: Customer = w.crm.get(&ana, conversion.customer).unwrap();
    assert_eq!(
        (customer.name.as_str(), customer.stage.as_str()),
        ("Acme GmbH", "prospect")
    );
    assert_eq!(customer.source_lead, Some(lead.id));
    let deal: Opportunity = w.crm.get(&ana, conversion.opportunity.unwrap()).unwrap();
    assert_eq!(
        (deal.stage.as_str(), deal.probability),
        ("needs_analysis", 10)
    );
    assert_eq!(deal.name, "Acme GmbH – presses");

    let history = w.crm.history(&ana, lead.id).unwrap();
    assert_eq!(
        actions(&history),
        ["create", "contact", "follow_up", "qualify", "convert"]
    );
    let states: Vec<_> = history
        .iter()
        .map(|e| (e.from.as_deref(), e.to.as_deref()))
        .collect();
    assert_eq!(states[1], (Some("new"), Some("contacted")));
    assert_eq!(states[4], (Some("qualified"), Some("converted")));
    assert!(history.iter().all(|e| e.actor == ana.user));
    assert_eq!(history[4].payload["customer"], json!(conversion.customer));
    assert!(
        history[3]
            .changes
            .iter()
            .any(|c| c.field == "status" && c.new == json!("qualified"))
    );
}

#[test]
fn illegal_moves_name_the_state_and_action() {
    let mut w = world();
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    w.crm.discard_lead(&ana, lead.id, "no budget").unwrap();
    let before = w.crm.history(&ana, lead.id).unwrap().len();
    let err = w.crm.qualify_lead(&ana, lead.id).unwrap_err();
    match &err {
        Error::InvalidTransition {
            entity,
            id,
            from,
            action,
        } => {
            assert_eq!(
                (*entity, from.as_str(), action.as_str()),
                (EntityKind::Lead, "discarded", "qualify")
            );
            assert_eq!(*id, lead.id.to_string());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.crm.history(&ana, lead.id).unwrap().len(), before);
    // Recycling brings it back, without the old reason.
    let lead = w
        .crm
        .transition(&ana, lead.id, "recycle", TransitionInput::default())
        .unwrap();
    match lead {
        AnyRecord::Lead(lead) => {
            assert_eq!((lead.status.as_str(), lead.discard_reason), ("new", None))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn guards_name_missing_fields_and_leave_the_record_alone() {
    let mut w = world();
    let ana = w.ana.clone();
    let customer = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "Deal".into(),
                customer: Some(customer.id),
                ..Default::default()
            },
        )
        .unwrap();
    let err = w.crm.advance_opportunity(&ana, deal.id, None).unwrap_err();
    match &err {
        Error::Validation { fields, reason, .. } => {
            assert_eq!(fields, &["expected_amount"]);
            assert_eq!(reason, "required to enter `proposal`");
        }
        other => panic!("{other:?}"),
    }
    let stored: Opportunity = w.crm.get(&ana, deal.id).unwrap();
    assert_eq!(
        (stored.stage.as_str(), stored.meta.version),
        ("needs_analysis", 1)
    );
    assert_eq!(w.crm.history(&ana, deal.id).unwrap().len(), 1);
    assert!(w.crm.take_outbox(10).unwrap().is_empty());

    // Discarding without a reason fails on the reason.
    let lead = lead_for(&mut w, &ana);
    let err = w.crm.discard_lead(&ana, lead.id, "  ").unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["reason"]),
        "{err}"
    );
}

#[test]
fn stale_versions_conflict_and_protected_fields_stay() {
    let mut w = world();
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    let updated = w
        .crm
        .update::<Lead>(&ana, lead.id, 1, |l| l.title = Some("CTO".into()))
        .unwrap();
    assert_eq!(updated.meta.version, 2);
    let err = w
        .crm
        .update::<Lead>(&ana, lead.id, 1, |l| l.title = Some("CEO".into()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                expected_version: 1,
                found: Some(2),
                ..
            }
        ),
        "{err}"
    );
    let err = w
        .crm
        .update::<Lead>(&ana, lead.id, 2, |l| l.status = "converted".into())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["status"]),
        "{err}"
    );
    let stale = TransitionInput {
        expected_version: Some(1),
        ..Default::default()
    };
    let err = w
        .crm
        .transition(&ana, lead.id, "qualify", stale)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let stored: Lead = w.crm.get(&ana, lead.id).unwrap();
    assert_eq!(
        (stored.title.as_deref(), stored.status.as_str()),
        (Some("CTO"), "new")
    );
    let history = w.crm.history(&ana, lead.id).unwrap();
    assert_eq!(actions(&history), ["create", "update"]);
    assert_eq!(history[1].changes.len(), 1);
    assert_eq!(history[1].changes[0].field, "title");
}

#[test]
fn update_fields_names_the_field_that_does_not_fit() {
    let mut w = world();
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    let fields = |value: serde_json::Value| value.as_object().unwrap().clone();
    let updated = w
        .crm
        .update_fields(
            &ana,
            lead.id,
            1,
            fields(json!({"region": "north", "quality_score": 80})),
        )
        .unwrap();
    assert_eq!(updated.version(), 2);
    let err = w
        .crm
        .update_fields(&ana, lead.id, 2, fields(json!({"quality_score": "high"})))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["quality_score"]),
        "{err}"
    );
    let err = w
        .crm
        .update_fields(&ana, lead.id, 2, fields(json!({"quality_score": 101})))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["quality_score"]),
        "{err}"
    );
    let err = w
        .crm
        .update_fields(&ana, lead.id, 2, fields(json!({"colour": "red"})))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid fields: is not a lead field (got `colour`)"
    );
    let err = w
        .crm
        .update_fields(&ana, lead.id, 2, fields(json!({"owner": "bo"})))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["owner"]),
        "{err}"
    );
}

#[test]
fn actors_outside_their_scope_are_forbidden_and_nothing_changes() {
    let mut w = world();
    let (ana, bo, sue) = (w.ana.clone(), w.bo.clone(), w.sue.clone());
    let lead = lead_for(&mut w, &ana);
    let err = w.crm.qualify_lead(&bo, lead.id).unwrap_err();
    match &err {
        Error::Forbidden {
            actor,
            action,
            entity,
            id,
        } => {
            assert_eq!(
                (actor.as_str(), action.as_str(), *entity),
                ("bo", "edit", EntityKind::Lead)
            );
            assert_eq!(id.as_deref(), Some(lead.id.to_string().as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.crm.get::<Lead>(&bo, lead.id).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        w.crm.history(&bo, lead.id).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    // Sales cannot hand leads around; their team's supervisor can.
    assert_eq!(
        w.crm
            .assign_lead(&ana, lead.id, bo.user.clone())
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let lead = w.crm.assign_lead(&sue, lead.id, bo.user.clone()).unwrap();
    assert_eq!(lead.owner.as_ref(), Some(&bo.user));
    assert_eq!(
        w.crm.get::<Lead>(&ana, lead.id).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    // Only admins manage users.
    let err = w
        .crm
        .save_user(&sue, UserInput::new(user("eve"), "Eve"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    // Lists show only what the actor may read.
    lead_for(&mut w, &ana);
    let query = Query::new(EntityKind::Lead);
    assert_eq!(w.crm.list(&ana, &query).unwrap().len(), 1);
    assert_eq!(w.crm.list(&bo, &query).unwrap().len(), 1);
    assert_eq!(w.crm.list(&sue, &query).unwrap().len(), 2);
    let nobody = Actor::new(user("guest"));
    assert_eq!(
        w.crm.list(&nobody, &query).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
}

#[test]
fn sharing_opens_one_record_and_is_recorded() {
    let mut w = world();
    let (ana, bo) = (w.ana.clone(), w.bo.clone());
    let customer = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "Deal".into(),
                customer: Some(customer.id),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(w.crm.get::<Opportunity>(&bo, deal.id).is_err());
    w.crm
        .share(
            &ana,
            deal.id,
            Grantee::User(bo.user.clone()),
            ShareAccess::Read,
        )
        .unwrap();
    assert!(w.crm.get::<Opportunity>(&bo, deal.id).is_ok());
    let fields = json!({"expected_close_date": "2026-03-01"})
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(
        w.crm
            .update_fields(&bo, deal.id, 2, fields.clone())
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    w.crm
        .share(
            &ana,
            deal.id,
            Grantee::User(bo.user.clone()),
            ShareAccess::Edit,
        )
        .unwrap();
    w.crm.update_fields(&bo, deal.id, 3, fields).unwrap();
    // Bo may edit but not pass it on.
    assert_eq!(
        w.crm
            .share(&bo, deal.id, Grantee::Team(team("east")), ShareAccess::Read)
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    w.crm
        .unshare(&ana, deal.id, &Grantee::User(bo.user.clone()))
        .unwrap();
    assert!(w.crm.get::<Opportunity>(&bo, deal.id).is_err());
    let err = w
        .crm
        .unshare(&ana, deal.id, &Grantee::User(bo.user.clone()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let history = w.crm.history(&ana, deal.id).unwrap();
    assert_eq!(
        actions(&history),
        ["create", "share", "share", "update", "unshare"]
    );
    assert_eq!(history[1].changes[0].field, "shares");
}

#[test]
fn winning_drafts_a_numbered_contract_and_onboards_the_customer() {
    let mut w = world();
    let ana = w.ana.clone();
    let customer = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let new = |name: &str| NewOpportunity {
        name: name.into(),
        customer: Some(customer.id),
        expected_amount: Some(eur("12000.50")),
        ..Default::default()
    };
    let deal = w.crm.create_opportunity(&ana, new("First")).unwrap();
    let deal = w.crm.advance_opportunity(&ana, deal.id, None).unwrap();
    assert_eq!((deal.stage.as_str(), deal.probability), ("proposal", 30));
    let deal = w
        .crm
        .advance_opportunity(&ana, deal.id, Some("negotiation"))
        .unwrap();
    assert_eq!(deal.probability, 60);
    // Back one stage is a move, too.
    let deal = w
        .crm
        .advance_opportunity(&ana, deal.id, Some("proposal"))
        .unwrap();
    assert_eq!(deal.stage, "proposal");
    let (won, contract) = w.crm.win_opportunity(&ana, deal.id).unwrap();
    assert_eq!(
        (won.stage.as_str(), won.probability, won.closed_at),
        ("won", 100, Some(w.crm.now()))
    );
    assert_eq!(won.contract, Some(contract.id));
    assert_eq!(
        (contract.number.as_str(), contract.status.as_str()),
        ("C-000001", "draft")
    );
    assert_eq!(contract.amount, eur("12000.50"));
    let customer: Customer = w.crm.get(&ana, customer.id).unwrap();
    assert_eq!(customer.stage, "new");
    let onboard = w.crm.history(&ana, customer.id).unwrap().pop().unwrap();
    assert_eq!(
        (onboard.action.as_str(), onboard.reason.as_deref()),
        ("onboard", Some("first deal won"))
    );

    let second = w.crm.create_opportunity(&ana, new("Second")).unwrap();
    let (_, contract2) = w.crm.win_opportunity(&ana, second.id).unwrap();
    assert_eq!(contract2.number, "C-000002");
    assert_eq!(
        w.crm.get::<Customer>(&ana, customer.id).unwrap().stage,
        "new"
    );
    assert_eq!(
        w.crm.win_opportunity(&ana, second.id).unwrap_err().kind(),
        ErrorKind::InvalidTransition
    );

    // Contracts: sales may read theirs, only a supervisor moves them on.
    let sue = w.sue.clone();
    assert_eq!(
        w.crm.sign_contract(&ana, contract.id).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let signed = w.crm.sign_contract(&sue, contract.id).unwrap();
    assert_eq!(signed.signed_at, Some(w.crm.now()));
    w.crm.activate_contract(&sue, contract.id).unwrap();
    let done = w.crm.complete_contract(&sue, contract.id).unwrap();
    assert_eq!(
        (done.status.as_str(), done.ended_at),
        ("completed", Some(w.crm.now()))
    );
    let ended = w
        .crm
        .terminate_contract(&sue, contract2.id, "customer went bankrupt")
        .unwrap();
    assert_eq!(
        ended.termination_reason.as_deref(),
        Some("customer went bankrupt")
    );
}

#[test]
fn lost_deals_need_a_listed_reason_and_can_reopen() {
    let mut w = world();
    let ana = w.ana.clone();
    let customer = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "D".into(),
                customer: Some(customer.id),
                ..Default::default()
            },
        )
        .unwrap();
    let err = w
        .crm
        .lose_opportunity(&ana, deal.id, "bad vibes")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid reason: must be one of: price, budget"),
        "{err}"
    );
    let lost = w.crm.lose_opportunity(&ana, deal.id, "competitor").unwrap();
    assert_eq!(
        (lost.lost_reason.as_deref(), lost.probability),
        (Some("competitor"), 0)
    );
    let reopened = w
        .crm
        .transition(&ana, deal.id, "reopen", TransitionInput::default())
        .unwrap();
    match reopened {
        AnyRecord::Opportunity(deal) => {
            assert_eq!(
                (deal.stage.as_str(), deal.lost_reason, deal.closed_at),
                ("needs_analysis", None, None)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn on_entry_actions_reach_the_outbox_exactly_once_acknowledged() {
    let mut w = world();
    let ana = w.ana.clone();
    let customer = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "D".into(),
                customer: Some(customer.id),
                expected_amount: Some(eur("10")),
                ..Default::default()
            },
        )
        .unwrap();
    w.crm.advance_opportunity(&ana, deal.id, None).unwrap();
    let taken = w.crm.take_outbox(10).unwrap();
    assert_eq!(taken.len(), 1);
    let message = &taken[0];
    assert_eq!(
        (message.topic.as_str(), message.recipient.as_ref()),
        ("send_quote_template", Some(&ana.user))
    );
    assert_eq!(message.record, RecordKey::from(deal.id));
    let event = w.crm.history(&ana, deal.id).unwrap().pop().unwrap();
    assert_eq!(message.event, event.id);
    // The host crashed before acknowledging: after the lease it comes back.
    assert!(w.crm.take_outbox(10).unwrap().is_empty());
    w.clock.advance(Duration::minutes(5));
    let again = w.crm.take_outbox(10).unwrap();
    assert_eq!((again[0].id, again[0].attempts), (message.id, 2));
    assert_eq!(w.crm.ack_outbox(&[message.id]).unwrap(), 1);
    w.clock.advance(Duration::hours(1));
    assert!(w.crm.take_outbox(10).unwrap().is_empty());
}

#[test]
fn tickets_run_their_course_with_notifications() {
    let mut w = world();
    let (sue, bo) = (w.sue.clone(), w.bo.clone());
    let ticket = w
        .crm
        .open_ticket(
            &sue,
            NewTicket {
                subject: "Press leaks oil".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (ticket.status.as_str(), ticket.group.as_ref()),
        ("new", Some(&team("east")))
    );
    let ticket = w
        .crm
        .assign_ticket(&sue, ticket.id, bo.user.clone())
        .unwrap();
    assert_eq!(ticket.assignee.as_ref(), Some(&bo.user));
    for step in ["start", "await_customer", "customer_replied"] {
        w.crm
            .transition(&sue, ticket.id, step, TransitionInput::default())
            .unwrap();
    }
    let err = w.crm.resolve_ticket(&sue, ticket.id, "").unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["resolution"]),
        "{err}"
    );
    let resolved = w
        .crm
        .resolve_ticket(&sue, ticket.id, "Replaced the seal")
        .unwrap();
    assert_eq!(resolved.resolved_at, Some(w.crm.now()));
    let reopened = w.crm.reopen_ticket(&sue, ticket.id, "still leaks").unwrap();
    assert_eq!((reopened.reopen_count, reopened.resolved_at), (1, None));
    let moved = w
        .crm
        .transfer_ticket(&sue, ticket.id, team("west"), "needs a hydraulics expert")
        .unwrap();
    assert_eq!(
        (
            moved.status.as_str(),
            moved.assignee.clone(),
            moved.group.clone()
        ),
        ("new", None, Some(team("west")))
    );
    let history = w.crm.history(&w.admin.clone(), ticket.id).unwrap();
    assert_eq!(
        actions(&history),
        [
            "create",
            "assign",
            "start",
            "await_customer",
            "customer_replied",
            "resolve",
            "reopen",
            "transfer"
        ]
    );
    let topics: Vec<(String, Option<UserId>)> = w
        .crm
        .take_outbox(10)
        .unwrap()
        .into_iter()
        .map(|m| {
            (
                m.payload["template"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                m.recipient,
            )
        })
        .collect();
    assert_eq!(
        topics,
        [
            ("ticket_assigned".to_string(), Some(bo.user.clone())),
            ("ticket_reopened".to_string(), Some(user("sue")))
        ]
    );
    // The ticket left sue's team; and it starts over: it cannot be closed from `new`.
    assert_eq!(
        w.crm.close_ticket(&sue, ticket.id).unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let admin = w.admin.clone();
    let err = w.crm.close_ticket(&admin, ticket.id).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidTransition { from, .. } if from == "new"),
        "{err}"
    );
}

#[test]
fn tasks_keep_a_log() {
    let mut w = world();
    let (sue, bo) = (w.sue.clone(), w.bo.clone());
    let task = w
        .crm
        .create_task(
            &sue,
            NewTask {
                title: "Prepare quote".into(),
                assignee: Some(bo.user.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(task.status, "open");
    w.crm.start_task(&bo, task.id).unwrap();
    w.crm
        .add_task_note(&bo, task.id, "Asked finance for prices")
        .unwrap();
    w.crm.submit_task(&bo, task.id).unwrap();
    w.crm
        .reject_task(&sue, task.id, "add the discount")
        .unwrap();
    w.crm.submit_task(&bo, task.id).unwrap();
    let done = w.crm.approve_task(&sue, task.id).unwrap();
    assert_eq!(done.status, "done");
    assert_eq!(done.log.len(), 1);
    assert_eq!(
        (done.log[0].by.as_str(), done.log[0].note.as_str()),
        ("bo", "Asked finance for prices")
    );
    assert_eq!(
        w.crm.add_task_note(&bo, task.id, "").unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        w.crm.cancel_task(&sue, task.id, "late").unwrap_err().kind(),
        ErrorKind::InvalidTransition
    );
    // Sales cannot hand work to others.
    let err = w
        .crm
        .create_task(
            &bo,
            NewTask {
                title: "For Ana".into(),
                assignee: Some(user("ana")),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
}

#[test]
fn conversion_checks_duplicates_and_fills_only_empty_fields() {
    let mut w = world();
    let ana = w.ana.clone();
    let existing = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme Group".into(),
                region: Some("south".into()),
                email: Some("JO@acme.example".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let mut lead = lead_for(&mut w, &ana);
    lead = w
        .crm
        .update::<Lead>(&ana, lead.id, 1, |l| l.region = Some("north".into()))
        .unwrap();
    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let err = w
        .crm
        .convert_lead(&ana, lead.id, ConvertLead::default())
        .unwrap_err();
    match &err {
        Error::Validation { fields, reason, .. } => {
            assert_eq!(fields, &["email"]);
            assert!(reason.contains(&existing.id.to_string()), "{reason}");
            assert!(
                !reason.contains("jo@"),
                "no personal data in errors: {reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.crm.get::<Lead>(&ana, lead.id).unwrap().status,
        "qualified"
    );
    let conversion = w
        .crm
        .convert_lead(
            &ana,
            lead.id,
            ConvertLead {
                into_customer: Some(existing.id),
                opportunity: None,
                allow_duplicate: false,
            },
        )
        .unwrap();
    assert_eq!(
        (conversion.customer, conversion.opportunity),
        (existing.id, None)
    );
    let filled: Customer = w.crm.get(&ana, existing.id).unwrap();
    assert_eq!(
        filled.region.as_deref(),
        Some("south"),
        "a set field is kept"
    );
    assert_eq!(
        filled.phone.as_deref(),
        Some("+49 30 1234567"),
        "an empty field is filled"
    );
    assert_eq!(filled.name, "Acme Group");
    let contact: crate::model::Contact = w.crm.get(&ana, conversion.contact).unwrap();
    assert_eq!(contact.customer, existing.id);
}

#[test]
fn a_command_that_fails_half_way_writes_nothing() {
    // A policy under which sales may create customers and contacts but no deals.
    let mut config = Config::default();
    let mut policy_json: serde_json::Value = serde_json::to_value(&config.policy).unwrap();
    policy_json["sales"][0]["entities"] =
        json!(["lead", "customer", "contact", "activity", "task"]);
    config.policy = crate::access::Policy::from_json(&policy_json.to_string()).unwrap();
    let mut w = world_with(config);
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let events_before = w.crm.store().events_after(0, 1000).unwrap().len();
    let records_before = w.crm.store().len();
    let err = w
        .crm
        .convert_lead(&ana, lead.id, ConvertLead::default())
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Forbidden {
                entity: EntityKind::Opportunity,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        w.crm.store().events_after(0, 1000).unwrap().len(),
        events_before
    );
    assert_eq!(w.crm.store().len(), records_before);
    assert_eq!(
        w.crm.get::<Lead>(&ana, lead.id).unwrap().status,
        "qualified"
    );
}

#[test]
fn custom_fields_are_checked_and_can_guard_stages() {
    let mut config = Config {
        fields: crate::model::FieldSchema::from_json(
            r#"{"lead": [
        {"key": "budget", "type": "decimal"},
        {"key": "source_detail", "type": "text", "required": true}
    ]}"#,
        )
        .unwrap(),
        ..Config::default()
    };

    config
        .lifecycles
        .lead
        .transitions
        .iter_mut()
        .find(|t| t.action == "qualify")
        .unwrap()
        .required_fields = vec!["custom.budget".into()];
    let mut w = world_with(config);
    let ana = w.ana.clone();
    let err = w
        .crm
        .create_lead(
            &ana,
            NewLead {
                company: Some("A".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid custom.source_detail: required on every lead"
    );
    let mut new = NewLead {
        company: Some("A".into()),
        owner: Some(ana.user.clone()),
        ..Default::default()
    };
    new.custom.insert(
        "source_detail".into(),
        crate::model::FieldValue::Text("fair".into()),
    );
    let lead = w.crm.create_lead(&ana, new).unwrap();
    let err = w.crm.qualify_lead(&ana, lead.id).unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["custom.budget"]),
        "{err}"
    );
    let lead = w
        .crm
        .update::<Lead>(&ana, lead.id, 1, |l| {
            l.custom.insert(
                "budget".into(),
                crate::model::FieldValue::Decimal(rust_decimal::Decimal::new(5000, 0)),
            );
        })
        .unwrap();
    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let update = &w.crm.history(&ana, lead.id).unwrap()[1];
    assert_eq!(update.changes[0].field, "custom.budget");
}

#[test]
fn configured_tasks_are_created_on_entry() {
    let mut config = Config::default();
    let qualified = config
        .lifecycles
        .lead
        .states
        .iter_mut()
        .find(|s| s.name == "qualified")
        .unwrap();
    qualified
        .on_enter
        .push(crate::lifecycle::OnEnter::CreateTask {
            title: "Send the offer".into(),
            due_in_hours: Some(48),
            priority: crate::model::TaskPriority::Important,
        });
    let mut w = world_with(config);
    let ana = w.ana.clone();
    let lead = lead_for(&mut w, &ana);
    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let tasks = w
        .crm
        .list(&ana, &Query::new(EntityKind::Task).parent(lead.id.into()))
        .unwrap();
    assert_eq!(tasks.len(), 1);
    match &tasks[0] {
        AnyRecord::Task(task) => {
            assert_eq!(task.title, "Send the offer");
            assert_eq!(task.assignee.as_ref(), Some(&ana.user));
            assert_eq!(task.due_at, Some(w.crm.now() + Duration::hours(48)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_configuration_is_refused() {
    let config = Config {
        follow_up_after: Duration::zero(),
        ..Config::default()
    };
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let err = Crm::new(MemoryStore::new(), config, clock, SeededIds::new(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration at follow_up_after: must be longer than zero"
    );
}

#[test]
fn converting_without_a_contact_name_names_the_leads_field() {
    let mut w = world();
    let ana = w.ana.clone();
    let lead = w
        .crm
        .create_lead(
            &ana,
            NewLead {
                company: Some("Acme".into()),
                owner: Some(ana.user.clone()),
                ..NewLead::default()
            },
        )
        .unwrap();
    w.crm.qualify_lead(&ana, lead.id).unwrap();
    let err = w
        .crm
        .convert_lead(&ana, lead.id, ConvertLead::default())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { fields, .. } if fields == &["contact_name"]),
        "{err}"
    );
}

#[test]
fn saving_a_user_as_stored_records_nothing() {
    let mut w = world();
    let admin = w.admin.clone();
    let mut input = UserInput::new(user("ana"), "ANA");
    input.team = Some(team("east"));
    input.roles = vec!["sales".into()];
    let before = w.crm.history(&admin, user("ana")).unwrap().len();
    let same = w.crm.save_user(&admin, input.clone()).unwrap();
    assert_eq!(same.meta.version, 1);
    assert_eq!(w.crm.history(&admin, user("ana")).unwrap().len(), before);
    input.active = false;
    let changed = w.crm.save_user(&admin, input).unwrap();
    assert_eq!((changed.meta.version, changed.active), (2, false));
    let last = w.crm.history(&admin, user("ana")).unwrap().pop().unwrap();
    assert_eq!(
        (last.action.as_str(), last.changes[0].field.as_str()),
        ("update", "active")
    );
}

/// A signed contract for `customer` of `amount` euros, signed now.
fn signed(w: &mut World, customer: crate::model::CustomerId, amount: &str) {
    let ana = w.ana.clone();
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "deal".into(),
                customer: Some(customer),
                expected_amount: Some(eur(amount)),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w.crm.advance_opportunity(&ana, deal.id, None).unwrap();
    let (_, contract) = w.crm.win_opportunity(&ana, deal.id).unwrap();
    w.crm.sign_contract(&w.sue.clone(), contract.id).unwrap();
}

#[test]
fn customer_value_sets_tiers_and_moves_stages_by_each_customers_cadence() {
    let mut w = world();
    let ana = w.ana.clone();
    let start = w.crm.now();
    let mut customer = |name: &str| {
        w.crm
            .create_customer(
                &ana,
                NewCustomer {
                    name: name.into(),
                    owner: Some(user("ana")),
                    ..Default::default()
                },
            )
            .unwrap()
            .id
    };
    let (weekly, once, big) = (customer("Weekly"), customer("Once"), customer("Big"));
    for week in 0..3 {
        w.clock.set(start + Duration::days(7 * week));
        signed(&mut w, weekly, "100.00");
    }
    w.clock.set(start);
    signed(&mut w, once, "50.00");
    signed(&mut w, big, "9000.00");
    w.clock.set(start + Duration::days(120));
    signed(&mut w, big, "1.00"); // after as_of: left out

    let as_of = start + Duration::days(60);
    let refresh = w
        .crm
        .refresh_customer_value(&w.admin.clone(), as_of)
        .unwrap();
    assert_eq!(
        (refresh.scored, refresh.batches, refresh.skipped.future),
        (3, 1, 1)
    );
    let get = |w: &World, id| -> Customer { w.crm.get(&w.admin, id).unwrap() };
    // Weekly buyer silent 46 days: more than 4 gaps of 7 days: dormant.
    let c = get(&w, weekly);
    assert_eq!(c.stage, "dormant");
    let last = w.crm.history(&w.admin, weekly).unwrap().pop().unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.from.as_deref(),
            last.to.as_deref()
        ),
        ("value", Some("new"), Some("dormant"))
    );
    assert_eq!(last.payload["path"], json!(["activate", "go_dormant"]));
    assert_eq!(last.payload["value"]["frequency"], 3);
    // One purchase 60 days ago, against an assumed 90-day gap: active.
    assert_eq!(get(&w, once).stage, "active");
    assert!(get(&w, big).tier.is_some());
    // The dormant customer is ana's win-back, due 3 days after the refresh.
    let due = w
        .crm
        .due_work(&w.admin, w.crm.now() + Duration::days(4))
        .unwrap();
    let win_back: Vec<_> = due
        .iter()
        .flat_map(|d| {
            d.items.iter().map(move |i| {
                (
                    d.user.as_str(),
                    i.kind,
                    i.title.as_str(),
                    i.due_at,
                    i.overdue,
                )
            })
        })
        .filter(|i| i.1 == crate::engine::DueKind::WinBack)
        .collect();
    assert_eq!(
        win_back,
        [(
            "ana",
            crate::engine::DueKind::WinBack,
            "Weekly",
            w.crm.now() + Duration::days(3),
            true
        )]
    );
    // A second refresh with nothing new changes nothing.
    let again = w
        .crm
        .refresh_customer_value(&w.admin.clone(), as_of)
        .unwrap();
    assert_eq!(
        (again.tiers_changed, again.stages_changed, again.batches),
        (0, 0, 0)
    );
    // Sales may not rewrite customers they do not own... ana owns them all,
    // but bo does not: nothing is written.
    let bo = w.bo.clone();
    let err = w
        .crm
        .refresh_customer_value(&bo, as_of + Duration::days(200))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(get(&w, weekly).stage, "dormant");
}

#[test]
fn customer_value_needs_one_currency() {
    let mut w = world();
    let ana = w.ana.clone();
    let id = w
        .crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Acme".into(),
                owner: Some(user("ana")),
                ..Default::default()
            },
        )
        .unwrap()
        .id;
    signed(&mut w, id, "10.00");
    let deal = w
        .crm
        .create_opportunity(
            &ana,
            NewOpportunity {
                name: "usd".into(),
                customer: Some(id),
                expected_amount: Some(crate::model::Money::parse("5.00", "USD").unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    let deal = w.crm.advance_opportunity(&ana, deal.id, None).unwrap();
    let (_, contract) = w.crm.win_opportunity(&ana, deal.id).unwrap();
    w.crm.sign_contract(&w.sue.clone(), contract.id).unwrap();
    let err = w
        .crm
        .refresh_customer_value(&w.admin.clone(), w.crm.now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration at value_currency: purchases are in EUR, USD; set value_currency to score one of them"
    );
}
