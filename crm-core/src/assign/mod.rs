//! Assignment: rules, as data, that decide who gets a lead or a ticket, and
//! explain the decision.
//!
//! A [`RuleSet`] is an ordered list of [`Rule`]s. Each has a priority, a
//! [`Condition`] on the record, optional active weekdays and hours, a target
//! (a list of users, or a team) and a [`Strategy`] to pick among them, with
//! optional [`Caps`]. The first rule by priority whose condition holds and who
//! has an available user wins; a rule whose users are all unavailable (away,
//! inactive, at their cap) falls through to the next, and the trace says so. A
//! record no rule can place goes to the pool, with the reason; it is never
//! dropped.
//!
//! The [`Router`] applies a rule set: it is pure (no store, no clock) and keeps
//! what the strategies remember (round-robin positions, weighted-round-robin
//! credit, what each user was given within their cap windows) in a
//! [`RouterState`] the engine stores between commands. Deciding a batch is
//! deciding one record after another, so a batch spreads exactly as single
//! decisions would.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::assign::{Agent, Fact, Item, Router, RouterState, RuleSet};
//! use crm_core::{EntityKind, UserId};
//!
//! let rules = RuleSet::from_json(r#"{ "rules": [
//!   { "name": "east", "when": { "field": "region", "eq": "east" },
//!     "users": ["ana", "ben"], "strategy": "round_robin", "caps": { "per_day": 1 } }
//! ] }"#)?;
//! let agents = ["ana", "ben"].map(|id| Agent::new(UserId::new(id).unwrap())).to_vec();
//! let mut router = Router::new(&rules, agents, &RouterState::default())?;
//! let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
//!
//! let east = router.facts_from([("region", Fact::text("east"))]);
//! let owners: Vec<_> = (0..3)
//!     .map(|_| router.decide(&Item::new(EntityKind::Lead, &east), now).owner().cloned())
//!     .collect();
//! // One each, then both are at their daily cap: the third goes to the pool.
//! assert_eq!(owners, [Some(UserId::new("ana")?), Some(UserId::new("ben")?), None]);
//!
//! let third = router.decide(&Item::new(EntityKind::Lead, &east), now);
//! let why = router.explain(&third, &east);
//! assert_eq!(why.pool_reason.as_deref(), Some("no user is available under rule east"));
//! assert_eq!(why.trace[0].skipped[0].reason.as_str(), "at_daily_cap");
//! # Ok::<(), crm_core::Error>(())
//! ```

mod condition;
mod router;
mod score;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::model::{EntityKind, TeamId, UserId};

pub use condition::{Condition, Fact, Facts, FieldIndex, Matcher, Scalar, Test};
pub use router::{
    Agent, Decision, Item, Outcome, Router, RouterState, Routing, RuleState, SkipReason, Skipped,
    Step, StepResult, TraceStep, Who,
};
pub use score::{LeadScoring, NaiveBayes, PointRule, Score, ScorePart};

/// An ordered set of assignment rules, and the time zone their hours and
/// daily caps are in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The IANA time zone of the rules' hours and of "a day" for daily caps
    /// (default UTC).
    #[serde(default, with = "zone")]
    pub time_zone: Option<Tz>,
    /// The rules; the lowest `priority` is tried first, ties in list order.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One assignment rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A unique name, shown in traces and events.
    pub name: String,
    /// Lower runs first (default 0); ties keep list order.
    #[serde(default)]
    pub priority: i32,
    /// The kinds of record it routes (default: leads).
    #[serde(default = "leads")]
    pub applies_to: Vec<EntityKind>,
    /// When it applies (default: always).
    #[serde(default)]
    pub when: Condition,
    /// The weekdays and hours it is active (default: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Schedule>,
    /// The users it assigns to, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// Or: the team whose members it assigns to (in order of their ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    /// How it picks among them (default round robin).
    #[serde(default)]
    pub strategy: Strategy,
    /// How much one user may be given.
    #[serde(default, skip_serializing_if = "Caps::is_none")]
    pub caps: Caps,
}

fn leads() -> Vec<EntityKind> {
    vec![EntityKind::Lead]
}

/// How a rule picks a user among its targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Strategy {
    /// The next available user after the one chosen last, in list order,
    /// wrapping around (`"round_robin"`).
    #[default]
    RoundRobin,
    /// The available user with the fewest open items of the kind, ties in list
    /// order (`"load_balance"`).
    LoadBalance,
    /// Shares in proportion to weights, deterministically (smooth weighted
    /// round robin): `{"weighted": {"ana": 3, "ben": 1}}`; users not named
    /// weigh 1.
    Weighted(BTreeMap<UserId, u32>),
    /// A field of the record names the owner, or a team whose members take
    /// turns: `{"by_field": {"field": "custom.account_manager", "names": "user"}}`.
    ByField {
        /// The dot path of the field.
        field: String,
        /// What its value names.
        #[serde(default)]
        names: Names,
    },
}

/// What a [`Strategy::ByField`] field names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Names {
    /// A user.
    #[default]
    User,
    /// A team.
    Team,
}

/// Limits on how much one user is given (counted per kind of record, across
/// all rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    /// At most this many per calendar day (in the rule set's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u32>,
    /// At most `max` within any `hours` hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_window: Option<Window>,
}

impl Caps {
    fn is_none(&self) -> bool {
        self.per_day.is_none() && self.per_window.is_none()
    }
}

/// A rolling window cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// The most items within the window.
    pub max: u32,
    /// The window's length in hours.
    pub hours: u32,
}

/// When a rule is active: weekdays and a daily time span, in the rule set's
/// time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The weekdays (`"mon"` ... `"sun"`); empty: every day.
    #[serde(default, with = "weekdays")]
    pub weekdays: Vec<Weekday>,
    /// From this time of day (`"09:00"`), included.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "clock_time")]
    pub from: Option<NaiveTime>,
    /// Until this time of day, excluded; before `from` for a span across midnight.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "clock_time")]
    pub until: Option<NaiveTime>,
}

impl RuleSet {
    /// Reads and checks a rule set from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming what is wrong: unknown keys, a bad condition,
    /// a rule with no users, a weight of zero, a duplicate name.
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::assign::RuleSet;
    ///
    /// let err = RuleSet::from_json(r#"{ "rules": [ { "name": "x", "users": [] } ] }"#).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid configuration at rules[0]: a rule needs users or a team");
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        let rules: RuleSet =
            serde_json::from_str(json).map_err(|e| Error::config("assignment", e.to_string()))?;
        rules.validate()?;
        Ok(rules)
    }

    /// Checks the rules.
    ///
    /// # Errors
    ///
    /// As [`RuleSet::from_json`].
    pub fn validate(&self) -> Result<()> {
        let mut names = std::collections::HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("rules[{i}]");
            if rule.name.trim().is_empty() {
                return Err(Error::config(format!("{at}.name"), "must not be blank"));
            }
            if !names.insert(rule.name.as_str()) {
                return Err(Error::config(
                    format!("{at}.name"),
                    format!("{:?} is the name of an earlier rule", rule.name),
                ));
            }
            if rule.applies_to.is_empty() {
                return Err(Error::config(
                    format!("{at}.applies_to"),
                    "must not be empty",
                ));
            }
            let by_field = matches!(rule.strategy, Strategy::ByField { .. });
            match (rule.users.is_empty(), &rule.team) {
                (false, Some(_)) => {
                    return Err(Error::config(&at, "a rule has users or a team, not both"));
                }
                (true, None) if !by_field => {
                    return Err(Error::config(&at, "a rule needs users or a team"));
                }
                _ => {}
            }
            for (j, user) in rule.users.iter().enumerate() {
                if rule.users[..j].contains(user) {
                    return Err(Error::config(
                        format!("{at}.users[{j}]"),
                        format!("{user} is listed twice"),
                    ));
                }
            }
            match &rule.strategy {
                Strategy::Weighted(weights) => {
                    if let Some((user, _)) = weights.iter().find(|(_, w)| **w == 0) {
                        return Err(Error::config(
                            format!("{at}.strategy.weighted.{user}"),
                            "a weight must be at least 1",
                        ));
                    }
                    if let Some(user) = weights
                        .keys()
                        .find(|u| !rule.users.is_empty() && !rule.users.contains(u))
                    {
                        return Err(Error::config(
                            format!("{at}.strategy.weighted.{user}"),
                            "is not one of the rule's users",
                        ));
                    }
                }
                Strategy::ByField { field, .. }
                    if field.is_empty() || field.split('.').any(str::is_empty) =>
                {
                    return Err(Error::config(
                        format!("{at}.strategy.by_field.field"),
                        format!("{field:?} is not a dot path"),
                    ));
                }
                _ => {}
            }
            if rule.caps.per_day == Some(0) {
                return Err(Error::config(
                    format!("{at}.caps.per_day"),
                    "must be at least 1",
                ));
            }
            if let Some(window) = rule.caps.per_window {
                if window.max == 0 || window.hours == 0 {
                    return Err(Error::config(
                        format!("{at}.caps.per_window"),
                        "max and hours must be at least 1",
                    ));
                }
            }
            if let Some(schedule) = &rule.active {
                if schedule.from.is_some() != schedule.until.is_some() {
                    return Err(Error::config(
                        format!("{at}.active"),
                        "give both from and until, or neither",
                    ));
                }
                if schedule.from.is_some() && schedule.from == schedule.until {
                    return Err(Error::config(
                        format!("{at}.active"),
                        "from and until are the same time",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The time zone (UTC unless set).
    pub fn zone(&self) -> Tz {
        self.time_zone.unwrap_or(Tz::UTC)
    }

    /// Whether some rule routes this kind of record.
    pub fn routes(&self, kind: EntityKind) -> bool {
        self.rules.iter().any(|r| r.applies_to.contains(&kind))
    }
}

mod zone {
    use super::*;

    pub fn serialize<S: Serializer>(
        zone: &Option<Tz>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        zone.map(|z| z.name().to_string()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Tz>, D::Error> {
        let name: Option<String> = Option::deserialize(d)?;
        name.map(|name| {
            Tz::from_str(&name).map_err(|_| {
                serde::de::Error::custom(format!(
                    "time_zone {name:?} is not an IANA time zone like Europe/Berlin"
                ))
            })
        })
        .transpose()
    }
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

mod weekdays {
    use super::*;

    pub fn serialize<S: Serializer>(
        days: &[Weekday],
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let names: Vec<&str> = days
            .iter()
            .filter_map(|d| DAYS.iter().find(|(_, w)| w == d).map(|(n, _)| *n))
            .collect();
        names.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Vec<Weekday>, D::Error> {
        let names: Vec<String> = Vec::deserialize(d)?;
        names
            .iter()
            .map(|name| {
                DAYS.iter()
                    .find(|(n, _)| *n == name.to_ascii_lowercase())
                    .map(|(_, w)| *w)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "weekday {name:?} is not one of mon, tue, wed, thu, fri, sat, sun"
                        ))
                    })
            })
            .collect()
    }
}

mod clock_time {
    use super::*;

    pub fn serialize<S: Serializer>(
        time: &Option<NaiveTime>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        time.map(|t| t.format("%H:%M").to_string()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<NaiveTime>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|text| {
            NaiveTime::parse_from_str(&text, "%H:%M")
                .map_err(|_| serde::de::Error::custom(format!("time {text:?} is not HH:MM")))
        })
        .transpose()
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::RoundRobin => "round robin",
            Strategy::LoadBalance => "load balance",
            Strategy::Weighted(_) => "weighted",
            Strategy::ByField { .. } => "by field",
        })
    }
}

#[cfg(test)]
mod tests;
