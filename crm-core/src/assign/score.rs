//! Lead scoring: points rules as data, explained rule by rule, and an optional
//! score learned from won and lost history.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::assign::condition::Node;
use crate::assign::{Condition, Fact, FieldIndex};
use crate::error::{Error, Result};

/// Points rules: a lead's score is `base` plus the points of every rule whose
/// condition holds, kept within 0 to 100.
///
/// ```
/// use crm_core::assign::LeadScoring;
/// use serde_json::json;
///
/// let scoring = LeadScoring::from_json(r#"{ "base": 20, "rules": [
///   { "name": "referral", "when": { "field": "source", "eq": "referral" }, "points": 30 },
///   { "name": "reachable", "when": { "all": [
///       { "field": "email", "exists": true }, { "field": "phone", "exists": true } ] }, "points": 15 },
///   { "name": "big budget", "when": { "field": "custom.budget", "range": { "min": 10000 } }, "points": 25 }
/// ] }"#)?;
/// let score = scoring.score(&json!({ "source": "referral", "email": "jo@acme.test" }));
/// assert_eq!(score.score, 50);
/// assert_eq!(score.parts.len(), 1);
/// assert_eq!(score.parts[0].rule, "referral");
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadScoring {
    /// Where every lead starts (default 0).
    #[serde(default)]
    pub base: i32,
    /// The rules, each adding (or taking away) points.
    #[serde(default)]
    pub rules: Vec<PointRule>,
}

/// One scoring rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointRule {
    /// A unique name, shown in the explanation.
    pub name: String,
    /// When it gives its points.
    pub when: Condition,
    /// The points (negative to take away).
    pub points: i32,
}

/// A score and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The score, 0 to 100.
    pub score: u8,
    /// Where it started.
    pub base: i32,
    /// The rules that gave points, in order.
    pub parts: Vec<ScorePart>,
}

/// Points given by one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorePart {
    /// The rule's name.
    pub rule: String,
    /// Its points.
    pub points: i32,
    /// Why its condition held.
    pub detail: String,
}

impl LeadScoring {
    /// Reads and checks scoring rules from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        let scoring: LeadScoring =
            serde_json::from_str(json).map_err(|e| Error::config("lead_scoring", e.to_string()))?;
        scoring.validate()?;
        Ok(scoring)
    }

    /// Checks the rules: names present and unique, points within ±100.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the rule.
    pub fn validate(&self) -> Result<()> {
        let mut names = HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.name.trim().is_empty() || !names.insert(rule.name.as_str()) {
                return Err(Error::config(
                    format!("lead_scoring.rules[{i}].name"),
                    "must be set and unique",
                ));
            }
            if !(-100..=100).contains(&rule.points) {
                return Err(Error::config(
                    format!("lead_scoring.rules[{i}].points"),
                    "must be between -100 and 100",
                ));
            }
        }
        if !(0..=100).contains(&self.base) {
            return Err(Error::config(
                "lead_scoring.base",
                "must be between 0 and 100",
            ));
        }
        Ok(())
    }

    /// Whether there are rules to score by.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Scores one record (as JSON).
    pub fn score(&self, record: &Value) -> Score {
        let mut fields = FieldIndex::default();
        let nodes: Vec<Node> = self
            .rules
            .iter()
            .map(|r| Node::compile(&r.when, &mut fields))
            .collect();
        let facts = fields.facts(record);
        let mut total = self.base;
        let mut parts = Vec::new();
        for (rule, node) in self.rules.iter().zip(&nodes) {
            if node.eval(&facts) {
                total += rule.points;
                parts.push(ScorePart {
                    rule: rule.name.clone(),
                    points: rule.points,
                    detail: node.explain(&facts, fields.names()),
                });
            }
        }
        Score {
            score: total.clamp(0, 100) as u8,
            base: self.base,
            parts,
        }
    }
}

/// A score learned from history: naive Bayes over field values, as Odoo's
/// predictive lead scoring does. A value seen fewer than `min_samples` times
/// in the history is ignored (it would say more about chance than about
/// leads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayes {
    fields: Vec<String>,
    min_samples: u32,
    won: u32,
    lost: u32,
    /// Per field, per value: (won, lost) counts.
    counts: Vec<BTreeMap<String, (u32, u32)>>,
}

impl NaiveBayes {
    /// Learns from records (as JSON) and whether each was won.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `history` when it holds no won or no lost
    /// record, on `fields` when there is none.
    pub fn fit<'a>(
        fields: &[String],
        history: impl IntoIterator<Item = (&'a Value, bool)>,
        min_samples: u32,
    ) -> Result<NaiveBayes> {
        if fields.is_empty() {
            return Err(Error::invalid(
                "fields",
                "name at least one field to learn from",
            ));
        }
        let mut index = FieldIndex::default();
        for field in fields {
            index.slot(field);
        }
        let mut model = NaiveBayes {
            fields: fields.to_vec(),
            min_samples,
            won: 0,
            lost: 0,
            counts: vec![BTreeMap::new(); fields.len()],
        };
        for (record, won) in history {
            if won {
                model.won += 1;
            } else {
                model.lost += 1;
            }
            let facts = index.facts(record);
            for (slot, fact) in facts.values().iter().enumerate() {
                let entry = model.counts[slot].entry(key(fact)).or_default();
                if won {
                    entry.0 += 1;
                } else {
                    entry.1 += 1;
                }
            }
        }
        if model.won == 0 || model.lost == 0 {
            return Err(Error::invalid(
                "history",
                format!(
                    "needs won and lost records (has {} won, {} lost)",
                    model.won, model.lost
                ),
            ));
        }
        Ok(model)
    }

    /// The chance, 0 to 100, that a record like this one is won.
    pub fn score(&self, record: &Value) -> u8 {
        let mut index = FieldIndex::default();
        for field in &self.fields {
            index.slot(field);
        }
        let facts = index.facts(record);
        let (won, lost) = (f64::from(self.won), f64::from(self.lost));
        // Work in logs: many small likelihoods would underflow.
        let mut log_won = (won / (won + lost)).ln();
        let mut log_lost = (lost / (won + lost)).ln();
        for (slot, fact) in facts.values().iter().enumerate() {
            let Some((w, l)) = self.counts[slot].get(&key(fact)) else {
                continue;
            };
            if w + l < self.min_samples {
                continue;
            }
            let values = self.counts[slot].len() as f64;
            // Laplace smoothing, so a value never seen with one outcome does
            // not rule that outcome out.
            log_won += ((f64::from(*w) + 1.0) / (won + values)).ln();
            log_lost += ((f64::from(*l) + 1.0) / (lost + values)).ln();
        }
        let p = 1.0 / (1.0 + (log_lost - log_won).exp());
        (p * 100.0).round().clamp(0.0, 100.0) as u8
    }
}

fn key(fact: &Fact) -> String {
    match fact {
        Fact::Missing => String::new(),
        other => other.to_string(),
    }
}
