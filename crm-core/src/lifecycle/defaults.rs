//! The default lifecycles, from CRM practice (see DESIGN.md).

use crate::lifecycle::pipeline::transition;
use crate::lifecycle::{
    Lifecycles, Machine, OnEnter, Pipeline, ReasonRule, Recipient, StageDef, StateDef,
    TransitionDef,
};
use crate::model::EntityKind;

fn state(name: &str) -> StateDef {
    StateDef {
        name: name.to_string(),
        terminal: false,
        probability: None,
        required_fields: Vec::new(),
        on_enter: Vec::new(),
    }
}

fn terminal(name: &str) -> StateDef {
    StateDef {
        terminal: true,
        ..state(name)
    }
}

fn from(states: &[&str]) -> Vec<String> {
    states.iter().map(|s| s.to_string()).collect()
}

fn with_reason(mut t: TransitionDef) -> TransitionDef {
    t.reason = ReasonRule::Required;
    t
}

fn notify(recipient: Recipient, template: &str) -> OnEnter {
    OnEnter::Notify {
        recipient,
        template: template.to_string(),
    }
}

/// The lost reasons of the default pipeline.
pub(crate) const LOST_REASONS: [&str; 6] = [
    "price",
    "budget",
    "competitor",
    "timing",
    "no_decision",
    "other",
];

pub(super) fn lifecycles() -> Lifecycles {
    Lifecycles {
        customer: customer(),
        lead: lead(),
        opportunity: opportunity(),
        contract: contract(),
        ticket: ticket(),
        task: task(),
    }
}

fn customer() -> Machine {
    let mut at_risk = state("at_risk");
    at_risk
        .on_enter
        .push(notify(Recipient::Owner, "customer_at_risk"));
    Machine {
        entity: EntityKind::Customer,
        initial: "prospect".into(),
        states: vec![
            state("prospect"),
            state("new"),
            state("active"),
            at_risk,
            state("dormant"),
            state("churned"),
        ],
        transitions: vec![
            transition("onboard", from(&["prospect"]), "new"),
            transition("activate", from(&["new"]), "active"),
            transition("flag_at_risk", from(&["new", "active"]), "at_risk"),
            transition("go_dormant", from(&["active", "at_risk"]), "dormant"),
            with_reason(transition(
                "churn",
                from(&["new", "active", "at_risk", "dormant"]),
                "churned",
            )),
            transition(
                "reactivate",
                from(&["at_risk", "dormant", "churned"]),
                "active",
            ),
        ],
    }
}

fn lead() -> Machine {
    let mut convert = transition("convert", from(&["qualified"]), "converted");
    convert.required_fields = vec!["contact_name".into()];
    Machine {
        entity: EntityKind::Lead,
        initial: "new".into(),
        states: vec![
            state("new"),
            state("contacted"),
            state("qualified"),
            terminal("converted"),
            state("discarded"),
        ],
        transitions: vec![
            transition("contact", from(&["new"]), "contacted"),
            transition("qualify", from(&["new", "contacted"]), "qualified"),
            convert,
            with_reason(transition(
                "discard",
                from(&["new", "contacted", "qualified"]),
                "discarded",
            )),
            transition("recycle", from(&["discarded"]), "new"),
        ],
    }
}

fn opportunity() -> Machine {
    let pipeline = Pipeline {
        stages: vec![
            StageDef {
                name: "needs_analysis".into(),
                probability: 10,
                required_fields: Vec::new(),
                on_enter: Vec::new(),
            },
            StageDef {
                name: "proposal".into(),
                probability: 30,
                required_fields: vec!["expected_amount".into()],
                on_enter: vec![OnEnter::Emit {
                    topic: "send_quote_template".into(),
                }],
            },
            StageDef {
                name: "negotiation".into(),
                probability: 60,
                required_fields: vec!["expected_amount".into()],
                on_enter: Vec::new(),
            },
        ],
        lost_reasons: LOST_REASONS.iter().map(|r| r.to_string()).collect(),
        won_requires: vec!["expected_amount".into()],
    };
    // The default pipeline is a constant that the tests validate.
    pipeline
        .to_machine()
        .unwrap_or_else(|err| unreachable!("default pipeline: {err}"))
}

fn contract() -> Machine {
    let mut signed = state("signed");
    signed.on_enter.push(OnEnter::Emit {
        topic: "contract_signed".into(),
    });
    Machine {
        entity: EntityKind::Contract,
        initial: "draft".into(),
        states: vec![
            state("draft"),
            signed,
            state("active"),
            terminal("completed"),
            terminal("terminated"),
        ],
        transitions: vec![
            transition("sign", from(&["draft"]), "signed"),
            transition("activate", from(&["signed"]), "active"),
            transition("complete", from(&["active"]), "completed"),
            with_reason(transition(
                "terminate",
                from(&["draft", "signed", "active"]),
                "terminated",
            )),
        ],
    }
}

fn ticket() -> Machine {
    let mut assigned = state("assigned");
    assigned
        .on_enter
        .push(notify(Recipient::Owner, "ticket_assigned"));
    let mut resolved = state("resolved");
    resolved.required_fields.push("resolution".into());
    let mut reopened = state("reopened");
    reopened
        .on_enter
        .push(notify(Recipient::Supervisor, "ticket_reopened"));
    let open = [
        "new",
        "assigned",
        "in_progress",
        "awaiting_customer",
        "reopened",
    ];
    let mut assign = transition("assign", from(&["new", "assigned", "reopened"]), "assigned");
    assign.required_fields.push("assignee".into());
    Machine {
        entity: EntityKind::Ticket,
        initial: "new".into(),
        states: vec![
            state("new"),
            assigned,
            state("in_progress"),
            state("awaiting_customer"),
            resolved,
            terminal("closed"),
            reopened,
        ],
        transitions: vec![
            assign,
            transition("start", from(&["assigned", "reopened"]), "in_progress"),
            transition(
                "await_customer",
                from(&["in_progress"]),
                "awaiting_customer",
            ),
            transition(
                "customer_replied",
                from(&["awaiting_customer"]),
                "in_progress",
            ),
            transition(
                "resolve",
                from(&["assigned", "in_progress", "awaiting_customer"]),
                "resolved",
            ),
            transition("close", from(&["resolved"]), "closed"),
            with_reason(transition("reopen", from(&["resolved"]), "reopened")),
            transition("transfer", from(&open), "new"),
        ],
    }
}

fn task() -> Machine {
    Machine {
        entity: EntityKind::Task,
        initial: "open".into(),
        states: vec![
            state("open"),
            state("in_progress"),
            state("pending_review"),
            terminal("done"),
            terminal("cancelled"),
        ],
        transitions: vec![
            transition("start", from(&["open"]), "in_progress"),
            transition("submit", from(&["in_progress"]), "pending_review"),
            transition("approve", from(&["pending_review"]), "done"),
            with_reason(transition(
                "reject",
                from(&["pending_review"]),
                "in_progress",
            )),
            with_reason(transition(
                "cancel",
                from(&["open", "in_progress", "pending_review"]),
                "cancelled",
            )),
        ],
    }
}
