//! Lifecycles as data: one state machine per kind of record.
//!
//! A [`Machine`] is a table of states and transitions. A transition has an
//! action name, the states it may start from, the state it leads to, a rule for
//! its reason, and fields it requires; a state may require fields too (a deal in
//! `proposal` needs an `expected_amount`) and may carry actions to run on entry
//! (create a task, notify the owner, hand the host a topic through the outbox).
//!
//! [`Lifecycles::default`] holds the defaults from CRM practice; every machine
//! loads from JSON and is validated on load, and the opportunity pipeline can be
//! given as a simpler list of stages ([`Pipeline`]).
//!
//! # Examples
//!
//! ```
//! use crm_core::lifecycle::Lifecycles;
//! use crm_core::{EntityKind, Error};
//!
//! let lifecycles = Lifecycles::default();
//! let lead = lifecycles.machine(EntityKind::Lead).unwrap();
//! let step = lead.step("L1", "new", "qualify", None).unwrap();
//! assert_eq!(step.to, "qualified");
//!
//! let err = lead.step("L1", "converted", "qualify", None).unwrap_err();
//! assert!(matches!(err, Error::InvalidTransition { .. }));
//! ```

mod defaults;
mod pipeline;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{EntityKind, TaskPriority, is_field_key};

pub use pipeline::{Pipeline, StageDef};

/// A state of a [`Machine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDef {
    /// The state's name: lower-case letters, digits and `_`.
    pub name: String,
    /// A state no work continues from (won, lost, closed, ...).
    #[serde(default)]
    pub terminal: bool,
    /// The win probability of a record in this state, in percent (pipelines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<u8>,
    /// Fields a record must have to enter this state (`custom.KEY` for custom fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
    /// What to do when a record enters this state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_enter: Vec<OnEnter>,
}

/// What a transition needs by way of a reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonRule {
    /// A reason may be given.
    #[default]
    Optional,
    /// A reason must be given.
    Required,
    /// A reason must be given, from this list (lost reasons such as `price`).
    OneOf(Vec<String>),
}

/// A transition of a [`Machine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionDef {
    /// The action's name (`qualify`, `win`, `resolve`, ...).
    pub action: String,
    /// The states it may start from.
    pub from: Vec<String>,
    /// The state it leads to.
    pub to: String,
    /// What it needs by way of a reason.
    #[serde(default)]
    pub reason: ReasonRule,
    /// Fields a record must have for this transition (beyond those its target
    /// state requires).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
}

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The record's owner (or assignee).
    Owner,
    /// The supervisor of the record's team.
    Supervisor,
}

/// An action run when a record enters a state, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum OnEnter {
    /// Create a task for the record's owner.
    CreateTask {
        /// The task's title.
        title: String,
        /// Due this many hours after entry.
        #[serde(default)]
        due_in_hours: Option<u32>,
        /// The task's priority.
        #[serde(default)]
        priority: TaskPriority,
    },
    /// Write a `notify` message to the outbox for the host to deliver.
    Notify {
        /// Whom to notify.
        recipient: Recipient,
        /// Which message template the host should use.
        template: String,
    },
    /// Write a message with this topic to the outbox (e.g. `send_quote_template`).
    Emit {
        /// The topic.
        topic: String,
    },
}

/// One lifecycle: states, an initial state and transitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The kind of record it governs.
    pub entity: EntityKind,
    /// The state new records start in.
    pub initial: String,
    /// The states.
    pub states: Vec<StateDef>,
    /// The transitions.
    pub transitions: Vec<TransitionDef>,
}

impl Machine {
    /// Loads a machine from JSON and validates it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the JSON does not parse or the machine is
    /// inconsistent (see [`Machine::validate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::lifecycle::Machine;
    ///
    /// let machine = Machine::from_json(r#"{
    ///     "entity": "task", "initial": "open",
    ///     "states": [{"name": "open"}, {"name": "done", "terminal": true}],
    ///     "transitions": [{"action": "finish", "from": ["open"], "to": "done"}]
    /// }"#).unwrap();
    /// assert_eq!(machine.actions_from("open"), ["finish"]);
    ///
    /// let err = Machine::from_json(r#"{
    ///     "entity": "task", "initial": "open", "states": [{"name": "open"}],
    ///     "transitions": [{"action": "finish", "from": ["open"], "to": "gone"}]
    /// }"#).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid configuration at task.transitions[0].to: unknown state `gone`");
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let machine: Machine =
            serde_json::from_str(json).map_err(|e| Error::config("machine", e.to_string()))?;
        machine.validate()?;
        Ok(machine)
    }

    /// Checks that names are well formed and unique, that every transition
    /// starts and ends in a known state, that no state pair is joined twice by
    /// one action, that probabilities are percentages, and that required fields
    /// are well formed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the path of the first problem.
    pub fn validate(&self) -> Result<()> {
        let entity = self.entity;
        if self.states.is_empty() {
            return Err(Error::config(
                format!("{entity}.states"),
                "a machine needs states",
            ));
        }
        for (at, state) in self.states.iter().enumerate() {
            let path = format!("{entity}.states[{at}]");
            check_name(&format!("{path}.name"), &state.name)?;
            if self.states[..at].iter().any(|s| s.name == state.name) {
                return Err(Error::config(
                    format!("{path}.name"),
                    format!("state `{}` is defined twice", state.name),
                ));
            }
            if state.probability.is_some_and(|p| p > 100) {
                return Err(Error::config(
                    format!("{path}.probability"),
                    "must be 0 to 100",
                ));
            }
            check_fields(&format!("{path}.required_fields"), &state.required_fields)?;
        }
        if self.state(&self.initial).is_none() {
            return Err(Error::config(
                format!("{entity}.initial"),
                format!("unknown state `{}`", self.initial),
            ));
        }
        for (at, transition) in self.transitions.iter().enumerate() {
            let path = format!("{entity}.transitions[{at}]");
            check_name(&format!("{path}.action"), &transition.action)?;
            if self.state(&transition.to).is_none() {
                return Err(Error::config(
                    format!("{path}.to"),
                    format!("unknown state `{}`", transition.to),
                ));
            }
            if transition.from.is_empty() {
                return Err(Error::config(format!("{path}.from"), "names no state"));
            }
            for from in &transition.from {
                if self.state(from).is_none() {
                    return Err(Error::config(
                        format!("{path}.from"),
                        format!("unknown state `{from}`"),
                    ));
                }
                let twice = self.transitions[..at].iter().any(|earlier| {
                    earlier.action == transition.action
                        && earlier.to == transition.to
                        && earlier.from.contains(from)
                });
                if twice {
                    return Err(Error::config(
                        path,
                        format!(
                            "`{}` from `{from}` to `{}` is defined twice",
                            transition.action, transition.to
                        ),
                    ));
                }
            }
            if let ReasonRule::OneOf(reasons) = &transition.reason {
                if reasons.is_empty() {
                    return Err(Error::config(format!("{path}.reason"), "lists no reason"));
                }
            }
            check_fields(
                &format!("{path}.required_fields"),
                &transition.required_fields,
            )?;
        }
        Ok(())
    }

    /// The state called `name`.
    pub fn state(&self, name: &str) -> Option<&StateDef> {
        self.states.iter().find(|state| state.name == name)
    }

    /// The actions allowed from `state`, in definition order, each once: what a
    /// user interface offers as buttons.
    pub fn actions_from(&self, state: &str) -> Vec<&str> {
        let mut actions: Vec<&str> = Vec::new();
        for transition in &self.transitions {
            if transition.from.iter().any(|from| from == state)
                && !actions.contains(&transition.action.as_str())
            {
                actions.push(&transition.action);
            }
        }
        actions
    }

    /// The transition `action` takes from state `from` (to state `to`, when the
    /// action can lead to several states).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTransition`] naming the record `id`, the state and the
    /// action when no such transition exists; [`Error::Validation`] on `to` when
    /// the action leads to several states and `to` does not say which, and on
    /// `action` or `to` when they are not names at all (`a-z`, `0-9`, `_`, at
    /// most 64 characters).
    pub fn step(
        &self,
        id: &str,
        from: &str,
        action: &str,
        to: Option<&str>,
    ) -> Result<&TransitionDef> {
        // Names that cannot be in any machine are bad input, not a refused move:
        // say so without echoing a huge or odd string back.
        for (field, name) in [("action", Some(action)), ("to", to)] {
            if let Some(name) = name.filter(|name| !is_field_key(name)) {
                let shown: String = name.chars().take(40).collect();
                return Err(
                    Error::invalid(field, "is not a state or action name").with_value(shown)
                );
            }
        }
        let mut candidates = self.transitions.iter().filter(|t| {
            t.action == action && t.from.iter().any(|f| f == from) && to.is_none_or(|to| t.to == to)
        });
        let first = candidates.next().ok_or_else(|| Error::InvalidTransition {
            entity: self.entity,
            id: id.to_string(),
            from: from.to_string(),
            action: action.to_string(),
        })?;
        if candidates.next().is_some() {
            return Err(Error::invalid(
                "to",
                format!("`{action}` from `{from}` leads to several states; name the one wanted"),
            ));
        }
        Ok(first)
    }

    /// Checks a transition's guards on a record: its reason rule, and the fields
    /// the transition and its target state require. `present` says whether the
    /// record has a value for a field.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `reason` when a required reason is missing or not
    /// in the list; [`Error::Validation`] naming every missing field otherwise.
    pub fn check_guards(
        &self,
        transition: &TransitionDef,
        reason: Option<&str>,
        present: impl Fn(&str) -> bool,
    ) -> Result<()> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match (&transition.reason, reason) {
            (ReasonRule::Required | ReasonRule::OneOf(_), None) => {
                return Err(Error::invalid(
                    "reason",
                    format!("`{}` needs a reason", transition.action),
                ));
            }
            (ReasonRule::OneOf(allowed), Some(reason)) if !allowed.iter().any(|a| a == reason) => {
                let shown: String = reason.chars().take(60).collect();
                return Err(Error::invalid(
                    "reason",
                    format!("must be one of: {}", allowed.join(", ")),
                )
                .with_value(shown));
            }
            _ => {}
        }
        let target = self.state(&transition.to);
        let required = transition
            .required_fields
            .iter()
            .chain(target.into_iter().flat_map(|s| s.required_fields.iter()));
        let mut missing: Vec<String> = Vec::new();
        for field in required {
            if !present(field) && !missing.contains(field) {
                missing.push(field.clone());
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation {
                fields: missing,
                value: None,
                reason: format!("required to enter `{}`", transition.to),
            })
        }
    }
}

fn check_name(path: &str, name: &str) -> Result<()> {
    if is_field_key(name) {
        Ok(())
    } else {
        Err(Error::config(
            path,
            format!(
                "`{}` is not a name (a-z, 0-9 and _, starting with a letter, at most 64)",
                name.chars().take(70).collect::<String>()
            ),
        ))
    }
}

fn check_fields(path: &str, fields: &[String]) -> Result<()> {
    for field in fields {
        let key = field.strip_prefix("custom.").unwrap_or(field);
        if !is_field_key(key) {
            return Err(Error::config(
                path,
                format!("`{field}` is not a field name"),
            ));
        }
    }
    Ok(())
}

/// The lifecycles of every kind of record that has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycles {
    /// Customers: prospect, new, active, at risk, dormant, churned.
    pub customer: Machine,
    /// Leads: new, contacted, qualified, converted or discarded.
    pub lead: Machine,
    /// Opportunities: the sales pipeline.
    pub opportunity: Machine,
    /// Contracts: draft, signed, active, completed or terminated.
    pub contract: Machine,
    /// Tickets: new, assigned, in progress, awaiting customer, resolved, closed, reopened.
    pub ticket: Machine,
    /// Tasks: open, in progress, pending review, done (or cancelled).
    pub task: Machine,
}

impl Lifecycles {
    /// The machine for records of `kind`, when that kind has a lifecycle.
    pub fn machine(&self, kind: EntityKind) -> Option<&Machine> {
        match kind {
            EntityKind::Customer => Some(&self.customer),
            EntityKind::Lead => Some(&self.lead),
            EntityKind::Opportunity => Some(&self.opportunity),
            EntityKind::Contract => Some(&self.contract),
            EntityKind::Ticket => Some(&self.ticket),
            EntityKind::Task => Some(&self.task),
            EntityKind::Contact
            | EntityKind::Activity
            | EntityKind::User
            | EntityKind::Team
            | EntityKind::PointsEntry
            | EntityKind::Campaign => None,
        }
    }

    /// Replaces the opportunity lifecycle with one built from a pipeline.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the pipeline is invalid.
    pub fn with_pipeline(mut self, pipeline: &Pipeline) -> Result<Self> {
        self.opportunity = pipeline.to_machine()?;
        Ok(self)
    }

    /// Loads every lifecycle from JSON (an object with one machine per kind).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the JSON does not parse or a machine is invalid.
    pub fn from_json(json: &str) -> Result<Self> {
        let lifecycles: Lifecycles =
            serde_json::from_str(json).map_err(|e| Error::config("lifecycles", e.to_string()))?;
        lifecycles.validate()?;
        Ok(lifecycles)
    }

    /// Validates every machine and checks each governs the kind it is filed under.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the path of the first problem.
    pub fn validate(&self) -> Result<()> {
        for kind in EntityKind::ALL {
            if let Some(machine) = self.machine(kind) {
                if machine.entity != kind {
                    return Err(Error::config(
                        format!("{kind}.entity"),
                        format!("is `{}`, expected `{kind}`", machine.entity),
                    ));
                }
                machine.validate()?;
            }
        }
        Ok(())
    }
}

impl Default for Lifecycles {
    fn default() -> Self {
        defaults::lifecycles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Lifecycles::default().validate().unwrap();
    }

    #[test]
    fn defaults_round_trip_through_json() {
        let lifecycles = Lifecycles::default();
        let json = serde_json::to_string_pretty(&lifecycles).unwrap();
        assert_eq!(Lifecycles::from_json(&json).unwrap(), lifecycles);
    }

    #[test]
    fn guards_name_every_missing_field() {
        let lifecycles = Lifecycles::default();
        let deals = &lifecycles.opportunity;
        let step = deals.step("O1", "needs_analysis", "advance", None).unwrap();
        assert_eq!(step.to, "proposal");
        let err = deals.check_guards(step, None, |_| false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid expected_amount: required to enter `proposal`"
        );
        assert!(deals.check_guards(step, None, |_| true).is_ok());
    }

    #[test]
    fn reasons_are_checked() {
        let lifecycles = Lifecycles::default();
        let deals = &lifecycles.opportunity;
        let lose = deals.step("O1", "proposal", "lose", None).unwrap();
        let err = deals.check_guards(lose, None, |_| true).unwrap_err();
        assert_eq!(err.to_string(), "invalid reason: `lose` needs a reason");
        let err = deals
            .check_guards(lose, Some("weather"), |_| true)
            .unwrap_err();
        assert!(err.to_string().contains("must be one of: price"), "{err}");
        assert!(deals.check_guards(lose, Some("price"), |_| true).is_ok());
    }

    #[test]
    fn moves_to_several_states_need_a_target() {
        let lifecycles = Lifecycles::default();
        let deals = &lifecycles.opportunity;
        let err = deals
            .step("O1", "needs_analysis", "move", None)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Validation);
        let step = deals
            .step("O1", "needs_analysis", "move", Some("negotiation"))
            .unwrap();
        assert_eq!(step.to, "negotiation");
        let err = deals
            .step("O1", "won", "move", Some("proposal"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot move opportunity O1: not allowed from state `won`"
        );
    }

    #[test]
    fn names_that_cannot_exist_are_bad_input() {
        let lifecycles = Lifecycles::default();
        let err = lifecycles
            .lead
            .step("L1", "new", &"x".repeat(1_000_000), None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid action: is not a state or action name (got `{}`)",
                "x".repeat(40)
            )
        );
        let err = lifecycles
            .opportunity
            .step("O1", "needs_analysis", "move", Some("Won!"))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Validation { fields, .. } if fields == &["to"]),
            "{err}"
        );
    }

    #[test]
    fn invalid_machines_are_refused() {
        let mut machine = Lifecycles::default().task;
        machine.transitions.push(machine.transitions[0].clone());
        let err = machine.validate().unwrap_err();
        assert!(err.to_string().contains("defined twice"), "{err}");

        let mut machine = Lifecycles::default().task;
        machine.initial = "Nope".into();
        assert!(machine.validate().is_err());

        let mut lifecycles = Lifecycles::default();
        lifecycles.lead.entity = EntityKind::Ticket;
        let err = lifecycles.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration at lead.entity: is `ticket`, expected `lead`"
        );
    }
}
