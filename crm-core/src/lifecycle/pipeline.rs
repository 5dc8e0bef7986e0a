//! Opportunity pipelines: a list of stages, turned into a [`Machine`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lifecycle::{Machine, OnEnter, ReasonRule, StateDef, TransitionDef};
use crate::model::EntityKind;

/// One open stage of a [`Pipeline`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDef {
    /// The stage's name.
    pub name: String,
    /// The win probability in this stage, in percent.
    pub probability: u8,
    /// Fields a deal must have to enter the stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
    /// What to do when a deal enters the stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_enter: Vec<OnEnter>,
}

/// A sales pipeline: open stages in order, then `won` and `lost`.
///
/// The machine it makes has, for each open stage, `advance` (to the next open
/// stage), `move` (to any other open stage, forwards or back: name the target),
/// `win` (to `won`, which needs `won_requires`) and `lose` (to `lost`, with a
/// reason from `lost_reasons`); and `reopen` from `lost` back to the first stage.
///
/// # Examples
///
/// ```
/// use crm_core::lifecycle::{Lifecycles, Pipeline};
///
/// let pipeline = Pipeline::from_json(r#"{
///     "stages": [
///         {"name": "discovery", "probability": 20},
///         {"name": "demo", "probability": 50},
///         {"name": "contracting", "probability": 90, "required_fields": ["expected_close_date"]}
///     ],
///     "lost_reasons": ["price", "no_budget"]
/// }"#).unwrap();
/// let lifecycles = Lifecycles::default().with_pipeline(&pipeline).unwrap();
/// let step = lifecycles.opportunity.step("O1", "discovery", "advance", None).unwrap();
/// assert_eq!(step.to, "demo");
///
/// let err = Pipeline::from_json(r#"{"stages": [], "lost_reasons": ["price"]}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid configuration at pipeline.stages: a pipeline needs at least one open stage");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// The open stages, in order.
    pub stages: Vec<StageDef>,
    /// The reasons a deal may be lost for.
    pub lost_reasons: Vec<String>,
    /// Fields a deal needs to be won (default: `expected_amount`).
    #[serde(default = "default_won_requires")]
    pub won_requires: Vec<String>,
}

fn default_won_requires() -> Vec<String> {
    vec!["expected_amount".to_string()]
}

impl Pipeline {
    /// Loads a pipeline from JSON and checks it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the JSON does not parse or the pipeline is invalid.
    pub fn from_json(json: &str) -> Result<Self> {
        let pipeline: Pipeline =
            serde_json::from_str(json).map_err(|e| Error::config("pipeline", e.to_string()))?;
        pipeline.to_machine()?;
        Ok(pipeline)
    }

    /// The opportunity [`Machine`] this pipeline describes.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when there is no open stage, a stage is named `won` or
    /// `lost`, there is no lost reason, or the machine is otherwise invalid.
    pub fn to_machine(&self) -> Result<Machine> {
        if self.stages.is_empty() {
            return Err(Error::config(
                "pipeline.stages",
                "a pipeline needs at least one open stage",
            ));
        }
        if let Some(at) = self
            .stages
            .iter()
            .position(|s| s.name == "won" || s.name == "lost")
        {
            return Err(Error::config(
                format!("pipeline.stages[{at}].name"),
                "`won` and `lost` are added by the pipeline; name open stages otherwise",
            ));
        }
        if self.lost_reasons.is_empty() {
            return Err(Error::config(
                "pipeline.lost_reasons",
                "list at least one reason",
            ));
        }
        let open: Vec<String> = self.stages.iter().map(|s| s.name.clone()).collect();
        let mut states: Vec<StateDef> = self
            .stages
            .iter()
            .map(|stage| StateDef {
                name: stage.name.clone(),
                terminal: false,
                probability: Some(stage.probability),
                required_fields: stage.required_fields.clone(),
                on_enter: stage.on_enter.clone(),
            })
            .collect();
        states.push(StateDef {
            name: "won".into(),
            terminal: true,
            probability: Some(100),
            required_fields: self.won_requires.clone(),
            on_enter: Vec::new(),
        });
        states.push(StateDef {
            name: "lost".into(),
            terminal: true,
            probability: Some(0),
            required_fields: Vec::new(),
            on_enter: Vec::new(),
        });
        let mut transitions = Vec::new();
        for pair in open.windows(2) {
            transitions.push(transition("advance", vec![pair[0].clone()], &pair[1]));
        }
        for target in &open {
            let from: Vec<String> = open.iter().filter(|s| *s != target).cloned().collect();
            if !from.is_empty() {
                transitions.push(transition("move", from, target));
            }
        }
        transitions.push(transition("win", open.clone(), "won"));
        let mut lose = transition("lose", open.clone(), "lost");
        lose.reason = ReasonRule::OneOf(self.lost_reasons.clone());
        transitions.push(lose);
        transitions.push(transition("reopen", vec!["lost".into()], &open[0]));
        let machine = Machine {
            entity: EntityKind::Opportunity,
            initial: open[0].clone(),
            states,
            transitions,
        };
        machine.validate()?;
        Ok(machine)
    }
}

pub(super) fn transition(action: &str, from: Vec<String>, to: &str) -> TransitionDef {
    TransitionDef {
        action: action.to_string(),
        from,
        to: to.to_string(),
        reason: ReasonRule::Optional,
        required_fields: Vec::new(),
    }
}
