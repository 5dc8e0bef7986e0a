//! SLA policies and the clocks they put on tickets.
//!
//! A [`Policy`] gives a first-response and a resolution target, in working
//! minutes of a named [`Calendar`], to the tickets it applies to: by
//! priority, category, customer tier or one customer. **The most specific
//! policy wins**: a policy naming a customer beats one naming a tier, which
//! beats one naming a category, which beats one naming a priority only
//! (each named criterion must match; more criteria beat fewer at the same
//! level); among equals, the first in the list. A policy naming nothing is the
//! default.
//!
//! A ticket's [`TicketSla`] keeps one [`TargetClock`] per target. The clock
//! runs in working time from the ticket's creation; statuses in
//! `pause_statuses` (`awaiting_customer` by default) stop it, and the pause is
//! counted in working time, so a wait over a weekend costs what the weekend
//! would have cost: nothing. First response stops its clock when the ticket
//! first enters one of `response_statuses`; resolution when it is resolved.
//! A reopened ticket's resolution clock resumes where it stopped
//! (`on_reopen: resume`, the time it spent resolved not counted) or starts
//! again (`restart`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::Calendar;
use crate::error::{Error, Result};
use crate::model::{CustomerId, TicketPriority, Tier};

/// What a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Until the first response.
    FirstResponse,
    /// Until the ticket is resolved.
    Resolution,
}

impl Target {
    /// The name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::Resolution => "resolution",
        }
    }
}

/// Targets for the tickets a policy applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Its name, kept on the tickets it applies to.
    pub name: String,
    /// Only tickets of this priority.
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    /// Only tickets of this category.
    #[serde(default)]
    pub category: Option<String>,
    /// Only tickets of customers of this tier (`A`, `B`, `C`).
    #[serde(default)]
    pub tier: Option<Tier>,
    /// Only tickets of this customer.
    #[serde(default)]
    pub customer: Option<CustomerId>,
    /// The calendar its minutes are counted in (a name in `calendars`).
    pub calendar: String,
    /// Working minutes to the first response.
    #[serde(default)]
    pub first_response_minutes: Option<u32>,
    /// Working minutes to resolution.
    #[serde(default)]
    pub resolution_minutes: Option<u32>,
}

impl Policy {
    /// How specific it is: customer 8, tier 4, category 2, priority 1.
    fn specificity(&self) -> u8 {
        u8::from(self.customer.is_some()) * 8
            + u8::from(self.tier.is_some()) * 4
            + u8::from(self.category.is_some()) * 2
            + u8::from(self.priority.is_some())
    }

    fn applies(&self, ticket: &TicketFacts<'_>) -> bool {
        self.priority.is_none_or(|p| p == ticket.priority)
            && self
                .category
                .as_deref()
                .is_none_or(|c| ticket.category == Some(c))
            && self.tier.is_none_or(|t| ticket.tier == Some(t))
            && self.customer.is_none_or(|c| ticket.customer == Some(c))
    }
}

/// What a policy looks at.
#[derive(Debug, Clone, Copy)]
pub struct TicketFacts<'a> {
    /// The ticket's priority.
    pub priority: TicketPriority,
    /// Its category.
    pub category: Option<&'a str>,
    /// Its customer's tier.
    pub tier: Option<Tier>,
    /// Its customer.
    pub customer: Option<CustomerId>,
}

/// What an escalation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// Notify the assignee (the group's supervisor when there is none).
    NotifyAssignee,
    /// Notify the group's supervisor.
    NotifySupervisor,
    /// Give the ticket to the group's supervisor, and notify them.
    AssignSupervisor,
}

/// An escalation step: when a running target has used `at_percent` of its
/// time, do `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    /// How much of the target's time is used, in percent (100: breached).
    pub at_percent: u32,
    /// Which target (default both).
    #[serde(default)]
    pub target: Option<Target>,
    /// What to do.
    pub action: EscalationAction,
}

/// What a reopened ticket's resolution clock does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnReopen {
    /// Resume where it stopped; the time spent resolved is not counted.
    #[default]
    Resume,
    /// Start again from the reopening, with the full target.
    Restart,
}

/// Satisfaction surveys after closing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyConfig {
    /// Hours after closing that the survey falls due (default 168: 7 days).
    pub after_hours: u32,
    /// A CSAT (1-5) at or below this is low (default 2).
    pub low_csat: u8,
    /// An NPS answer (0-10) at or below this is a detractor (default 6).
    pub low_nps: u8,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        SurveyConfig {
            after_hours: 168,
            low_csat: 2,
            low_nps: 6,
        }
    }
}

fn default_pause() -> Vec<String> {
    vec!["awaiting_customer".into()]
}

fn default_response() -> Vec<String> {
    vec![
        "in_progress".into(),
        "awaiting_customer".into(),
        "resolved".into(),
    ]
}

/// The service desk's SLA setup: calendars, policies, escalation, surveys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaConfig {
    /// Calendars by name.
    #[serde(default)]
    pub calendars: BTreeMap<String, Calendar>,
    /// The policies, in order (see the module docs for which wins).
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Statuses that stop the clocks (default `awaiting_customer`).
    #[serde(default = "default_pause")]
    pub pause_statuses: Vec<String>,
    /// Statuses that count as the first response (default `in_progress`,
    /// `awaiting_customer`, `resolved`).
    #[serde(default = "default_response")]
    pub response_statuses: Vec<String>,
    /// What a reopening does to the resolution clock.
    #[serde(default)]
    pub on_reopen: OnReopen,
    /// Escalation steps.
    #[serde(default)]
    pub escalation: Vec<EscalationRule>,
    /// Satisfaction surveys after closing (none unless set; `{}` for the
    /// defaults). Answers are taken either way.
    #[serde(default)]
    pub survey: Option<SurveyConfig>,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            calendars: BTreeMap::new(),
            policies: Vec::new(),
            pause_statuses: default_pause(),
            response_statuses: default_response(),
            on_reopen: OnReopen::Resume,
            escalation: Vec::new(),
            survey: None,
        }
    }
}

impl SlaConfig {
    /// Reads and checks the SLA setup from JSON:
    ///
    /// ```json
    /// {"calendars": {"office": {"time_zone": "Europe/Berlin",
    ///                           "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]}}},
    ///  "policies": [
    ///    {"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400},
    ///    {"name": "urgent", "priority": "urgent", "calendar": "office",
    ///     "first_response_minutes": 30, "resolution_minutes": 240}],
    ///  "escalation": [{"at_percent": 80, "action": "notify_assignee"},
    ///                 {"at_percent": 100, "action": "assign_supervisor"},
    ///                 {"at_percent": 200, "action": "notify_supervisor"}],
    ///  "survey": {"after_hours": 168}}
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the field: `sla` (not valid JSON),
    /// `sla.calendars.NAME...` as [`Calendar::from_json`] names them,
    /// `sla.policies[i].calendar` (no such calendar), `sla.policies[i]` (no
    /// target), `sla.policies[i].first_response_minutes` (0),
    /// `sla.escalation[i].at_percent` (0), `sla.survey.low_csat` (above 5),
    /// `sla.survey.low_nps` (above 10).
    pub fn from_json(json: &str) -> Result<SlaConfig> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid("sla", format!("is not valid JSON: {e}")))?;
        SlaConfig::from_value(value)
    }

    /// [`SlaConfig::from_json`] from a parsed value.
    ///
    /// # Errors
    ///
    /// As [`SlaConfig::from_json`].
    pub fn from_value(value: serde_json::Value) -> Result<SlaConfig> {
        // Calendars first, so their errors name their own fields.
        let mut value = value;
        let mut calendars = BTreeMap::new();
        if let Some(raw) = value.get_mut("calendars").map(serde_json::Value::take) {
            let raw: BTreeMap<String, serde_json::Value> = serde_json::from_value(raw)
                .map_err(|_| Error::invalid("sla.calendars", "must map names to calendars"))?;
            for (name, calendar) in raw {
                let calendar = Calendar::from_json(&calendar.to_string())
                    .map_err(|e| e.prefixed(&format!("sla.calendars.{name}")))?;
                calendars.insert(name, calendar);
            }
            value["calendars"] = serde_json::json!({});
        }
        let mut config: SlaConfig = serde_json::from_value(value)
            .map_err(|e| Error::invalid("sla", format!("is not a valid SLA setup: {e}")))?;
        config.calendars = calendars;
        config.validate()?;
        Ok(config)
    }

    /// Checks that policies name calendars that exist and have targets.
    ///
    /// # Errors
    ///
    /// As [`SlaConfig::from_json`].
    pub fn validate(&self) -> Result<()> {
        for (i, policy) in self.policies.iter().enumerate() {
            let field = format!("sla.policies[{i}]");
            if !self.calendars.contains_key(&policy.calendar) {
                return Err(
                    Error::invalid(format!("{field}.calendar"), "names no calendar")
                        .with_value(&policy.calendar),
                );
            }
            if policy.first_response_minutes.is_none() && policy.resolution_minutes.is_none() {
                return Err(Error::invalid(field, "sets no target"));
            }
            for (name, minutes) in [
                ("first_response_minutes", policy.first_response_minutes),
                ("resolution_minutes", policy.resolution_minutes),
            ] {
                if minutes == Some(0) {
                    return Err(Error::invalid(format!("{field}.{name}"), "must be above 0"));
                }
            }
        }
        for (i, rule) in self.escalation.iter().enumerate() {
            if rule.at_percent == 0 {
                return Err(Error::invalid(
                    format!("sla.escalation[{i}].at_percent"),
                    "must be above 0",
                ));
            }
        }
        let survey = self.surveys();
        if survey.low_csat > 5 {
            return Err(
                Error::invalid("sla.survey.low_csat", "is a score from 1 to 5")
                    .with_value(survey.low_csat),
            );
        }
        if survey.low_nps > 10 {
            return Err(
                Error::invalid("sla.survey.low_nps", "is a score from 0 to 10")
                    .with_value(survey.low_nps),
            );
        }
        Ok(())
    }

    /// The survey settings (the defaults when surveys are not scheduled).
    pub fn surveys(&self) -> SurveyConfig {
        self.survey.clone().unwrap_or_default()
    }

    /// The policy for a ticket: the most specific that applies, the first
    /// among equals.
    pub fn policy_for(&self, ticket: &TicketFacts<'_>) -> Option<&Policy> {
        let mut best: Option<&Policy> = None;
        for policy in self.policies.iter().filter(|p| p.applies(ticket)) {
            if best.is_none_or(|b| policy.specificity() > b.specificity()) {
                best = Some(policy);
            }
        }
        best
    }

    fn calendar(&self, sla: &TicketSla) -> Result<&Calendar> {
        self.calendars.get(&sla.calendar).ok_or_else(|| {
            Error::config(
                "sla.calendars",
                format!(
                    "a ticket's calendar `{}` is no longer configured",
                    sla.calendar
                ),
            )
        })
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Counting, within its time.
    Running,
    /// Stopped by a pause status.
    Paused,
    /// Stopped in time.
    Met,
    /// Past its time, stopped or not.
    Breached,
}

/// One target's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetClock {
    /// What it measures.
    pub target: Target,
    /// Its working minutes.
    pub minutes: u32,
    /// When it started (the ticket's creation, or a restart).
    pub started_at: DateTime<Utc>,
    /// Working seconds spent in pauses (and, on resume, resolved).
    pub paused_seconds: i64,
    /// When it falls due (`None` while paused or stopped).
    pub due_at: Option<DateTime<Utc>>,
    /// When it stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Working seconds used when it stopped or paused last.
    pub consumed_seconds: i64,
    /// Whether it was met (set when it stops).
    pub met: Option<bool>,
}

impl TargetClock {
    fn target_seconds(&self) -> i64 {
        i64::from(self.minutes) * 60
    }
}

/// An escalation done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalated {
    /// The target.
    pub target: Target,
    /// The step's threshold.
    pub at_percent: u32,
    /// What was done.
    pub action: EscalationAction,
    /// When.
    pub at: DateTime<Utc>,
}

/// A ticket's SLA: its policy, calendar, clocks and escalations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    /// The policy's name.
    pub policy: String,
    /// The calendar's name.
    pub calendar: String,
    /// A clock per target.
    pub clocks: Vec<TargetClock>,
    /// Paused since, while in a pause status.
    pub paused_since: Option<DateTime<Utc>>,
    /// Escalations done, oldest first.
    #[serde(default)]
    pub escalations: Vec<Escalated>,
    /// The next instant something falls due: a target or an escalation step
    /// (what `due_work` looks for).
    pub next_check_at: Option<DateTime<Utc>>,
}

/// A target's state at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    /// What it measures.
    pub target: Target,
    /// Where it stands.
    pub status: TargetStatus,
    /// Working minutes used.
    pub consumed_minutes: i64,
    /// Working minutes left (negative past due).
    pub remaining_minutes: i64,
    /// When it falls due, if running.
    pub due_at: Option<DateTime<Utc>>,
}

impl TicketSla {
    /// Clocks for a ticket created at `now` under `policy` (paused at once
    /// when it starts in a pause status).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the policy's calendar is missing.
    pub fn start(
        config: &SlaConfig,
        policy: &Policy,
        now: DateTime<Utc>,
        paused: bool,
    ) -> Result<TicketSla> {
        let mut clocks = Vec::new();
        for (target, minutes) in [
            (Target::FirstResponse, policy.first_response_minutes),
            (Target::Resolution, policy.resolution_minutes),
        ] {
            if let Some(minutes) = minutes {
                clocks.push(TargetClock {
                    target,
                    minutes,
                    started_at: now,
                    paused_seconds: 0,
                    due_at: None,
                    stopped_at: None,
                    consumed_seconds: 0,
                    met: None,
                });
            }
        }
        let mut sla = TicketSla {
            policy: policy.name.clone(),
            calendar: policy.calendar.clone(),
            clocks,
            paused_since: paused.then_some(now),
            escalations: Vec::new(),
            next_check_at: None,
        };
        sla.refresh(config)?;
        Ok(sla)
    }

    /// Working seconds a clock has used at `now`.
    fn consumed(&self, calendar: &Calendar, clock: &TargetClock, now: DateTime<Utc>) -> i64 {
        let end = clock.stopped_at.unwrap_or(now);
        let mut used = calendar.between_seconds(clock.started_at, end) - clock.paused_seconds;
        if clock.stopped_at.is_none() {
            if let Some(since) = self.paused_since {
                used -= calendar.between_seconds(since.max(clock.started_at), now);
            }
        }
        used.max(0)
    }

    /// Recomputes the due times and the next check.
    fn refresh(&mut self, config: &SlaConfig) -> Result<()> {
        let calendar = config.calendar(self)?;
        let paused = self.paused_since.is_some();
        let mut next: Option<DateTime<Utc>> = None;
        for clock in &mut self.clocks {
            clock.due_at = if clock.stopped_at.is_some() || paused {
                None
            } else {
                calendar.add_seconds(
                    clock.started_at,
                    clock.target_seconds() + clock.paused_seconds,
                )
            };
            if clock.stopped_at.is_some() || paused {
                continue;
            }
            let mut candidates: Vec<DateTime<Utc>> = clock.due_at.into_iter().collect();
            for rule in &config.escalation {
                if rule.target.is_some_and(|t| t != clock.target)
                    || self
                        .escalations
                        .iter()
                        .any(|e| e.target == clock.target && e.at_percent == rule.at_percent)
                {
                    continue;
                }
                // Round up: the step is due once the share is fully used.
                let share = (clock.target_seconds() * i64::from(rule.at_percent) + 99) / 100;
                if let Some(at) =
                    calendar.add_seconds(clock.started_at, share + clock.paused_seconds)
                {
                    candidates.push(at);
                }
            }
            for at in candidates {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        self.next_check_at = next;
        Ok(())
    }

    /// The ticket entered `status` at `now`: pauses, resumes,
    /// stops or restarts clocks as the configuration says.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the ticket's calendar is no longer configured.
    pub fn enter(&mut self, config: &SlaConfig, status: &str, now: DateTime<Utc>) -> Result<()> {
        let calendar = config.calendar(self)?;
        let pausing = config.pause_statuses.iter().any(|s| s == status);
        let was_paused = self.paused_since.is_some();
        if status == "reopened" {
            self.reopen(config, calendar, now);
        }
        // Leaving a pause: the paused working time is added to each running clock.
        if was_paused && !pausing {
            let since = self.paused_since.take().unwrap_or(now);
            for clock in self.clocks.iter_mut().filter(|c| c.stopped_at.is_none()) {
                clock.paused_seconds += calendar.between_seconds(since.max(clock.started_at), now);
            }
        }
        let responded = config.response_statuses.iter().any(|s| s == status);
        let resolved = status == "resolved";
        for i in 0..self.clocks.len() {
            let stop = match self.clocks[i].target {
                Target::FirstResponse => responded || resolved,
                Target::Resolution => resolved,
            };
            if stop && self.clocks[i].stopped_at.is_none() {
                let used = self.consumed(calendar, &self.clocks[i], now);
                let clock = &mut self.clocks[i];
                clock.stopped_at = Some(now);
                clock.consumed_seconds = used;
                clock.met = Some(used <= clock.target_seconds());
            }
        }
        if pausing && !was_paused {
            for i in 0..self.clocks.len() {
                if self.clocks[i].stopped_at.is_none() {
                    self.clocks[i].consumed_seconds = self.consumed(calendar, &self.clocks[i], now);
                }
            }
            self.paused_since = Some(now);
        }
        self.refresh(config)
    }

    fn reopen(&mut self, config: &SlaConfig, calendar: &Calendar, now: DateTime<Utc>) {
        for clock in self
            .clocks
            .iter_mut()
            .filter(|c| c.target == Target::Resolution)
        {
            let Some(stopped) = clock.stopped_at.take() else {
                continue;
            };
            clock.met = None;
            match config.on_reopen {
                OnReopen::Resume => {
                    clock.paused_seconds += calendar.between_seconds(stopped, now);
                }
                OnReopen::Restart => {
                    clock.started_at = now;
                    clock.paused_seconds = 0;
                    clock.consumed_seconds = 0;
                    self.escalations.retain(|e| e.target != Target::Resolution);
                }
            }
        }
    }

    /// Each target's state at `now`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the ticket's calendar is no longer configured.
    pub fn state(&self, config: &SlaConfig, now: DateTime<Utc>) -> Result<Vec<TargetState>> {
        let calendar = config.calendar(self)?;
        Ok(self
            .clocks
            .iter()
            .map(|clock| {
                let used = self.consumed(calendar, clock, now);
                let over = used > clock.target_seconds();
                let status = match (clock.met, clock.stopped_at, self.paused_since) {
                    (Some(true), _, _) => TargetStatus::Met,
                    (Some(false), _, _) => TargetStatus::Breached,
                    _ if over => TargetStatus::Breached,
                    (None, None, Some(_)) => TargetStatus::Paused,
                    _ => TargetStatus::Running,
                };
                TargetState {
                    target: clock.target,
                    status,
                    consumed_minutes: used / 60,
                    remaining_minutes: (clock.target_seconds() - used).div_euclid(60),
                    due_at: clock.due_at,
                }
            })
            .collect())
    }

    /// The escalation steps due at `now` and not yet done, in order of
    /// threshold: running, unpaused clocks that used their share.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the ticket's calendar is no longer configured.
    pub fn due_escalations<'c>(
        &self,
        config: &'c SlaConfig,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Target, &'c EscalationRule)>> {
        if self.paused_since.is_some() {
            return Ok(Vec::new());
        }
        let calendar = config.calendar(self)?;
        let mut due = Vec::new();
        for clock in self.clocks.iter().filter(|c| c.stopped_at.is_none()) {
            let used = self.consumed(calendar, clock, now);
            for rule in &config.escalation {
                if rule.target.is_some_and(|t| t != clock.target)
                    || self
                        .escalations
                        .iter()
                        .any(|e| e.target == clock.target && e.at_percent == rule.at_percent)
                {
                    continue;
                }
                if used * 100 >= clock.target_seconds() * i64::from(rule.at_percent) {
                    due.push((clock.target, rule));
                }
            }
        }
        due.sort_by_key(|(target, rule)| (rule.at_percent, *target));
        Ok(due)
    }

    /// Records escalations as done at `now` and recomputes the next check.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the ticket's calendar is no longer configured.
    pub fn escalated(
        &mut self,
        config: &SlaConfig,
        done: &[(Target, EscalationRule)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (target, rule) in done {
            self.escalations.push(Escalated {
                target: *target,
                at_percent: rule.at_percent,
                action: rule.action,
                at: now,
            });
        }
        self.refresh(config)
    }
}

/// How long after closing a survey falls due, when surveys are scheduled.
pub(crate) fn survey_delay(config: &SlaConfig) -> Option<Duration> {
    config
        .survey
        .as_ref()
        .map(|s| Duration::hours(i64::from(s.after_hours)))
}
