//! The router: a rule set compiled against the users it can assign to.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::assign::condition::Node;
use crate::assign::{Caps, Facts, FieldIndex, Names, RuleSet, Schedule, Strategy};
use crate::error::Result;
use crate::model::{EntityKind, RecordKey, TeamId, UserId};
use crate::sla::local_midnight;

/// Someone the rules can assign to, as the router sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// The user.
    pub user: UserId,
    /// Their team (a rule targeting a team picks among its members).
    pub team: Option<TeamId>,
    /// Whether they can be given work.
    pub active: bool,
    /// When they are away: `[from, until)` spans.
    pub away: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    open: [u32; EntityKind::ALL.len()],
    /// Per kind: when they were given items, oldest first.
    given: [VecDeque<DateTime<Utc>>; EntityKind::ALL.len()],
}

impl Agent {
    /// An active user with no team, never away, with nothing open.
    pub fn new(user: UserId) -> Self {
        Agent {
            user,
            team: None,
            active: true,
            away: Vec::new(),
            open: [0; EntityKind::ALL.len()],
            given: Default::default(),
        }
    }

    /// In a team.
    pub fn in_team(mut self, team: TeamId) -> Self {
        self.team = Some(team);
        self
    }

    /// Active or not.
    pub fn active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// Away from `from` until `until`.
    pub fn away(mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        self.away.push((from, until));
        self
    }

    /// With `count` open items of a kind (what load balancing compares).
    pub fn with_open(mut self, kind: EntityKind, count: u32) -> Self {
        self.open[kind as usize] = count;
        self
    }

    /// How many open items of a kind they hold (counting what the router gave).
    pub fn open(&self, kind: EntityKind) -> u32 {
        self.open[kind as usize]
    }

    /// Whether they were given `cap` items of a kind since `since`: the
    /// `cap`-th most recent is that new (the list is sorted).
    fn at_cap(&self, kind: EntityKind, since: DateTime<Utc>, cap: u32) -> bool {
        let given = &self.given[kind as usize];
        let cap = cap as usize;
        cap == 0 || (given.len() >= cap && given[given.len() - cap] >= since)
    }

    /// Remembers an item given at `now`, forgetting what no cap can count any
    /// more: older than the horizon, or beyond the largest cap's count.
    fn remember(
        &mut self,
        kind: EntityKind,
        now: DateTime<Utc>,
        oldest: DateTime<Utc>,
        keep: usize,
    ) {
        let given = &mut self.given[kind as usize];
        // Times only move forward in practice; keep the list sorted if not.
        if given.back().is_none_or(|last| *last <= now) {
            given.push_back(now);
        } else {
            let at = given.partition_point(|t| *t <= now);
            given.insert(at, now);
        }
        while given.front().is_some_and(|t| *t < oldest) || given.len() > keep {
            given.pop_front();
        }
    }
}

/// What the strategies remember between decisions, to store between commands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterState {
    /// Per rule (by name): where it stands.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleState>,
    /// Per user: when they were given items of each kind, as far back as a
    /// cap needs (only kept when some rule has caps).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub given: BTreeMap<UserId, BTreeMap<EntityKind, Vec<DateTime<Utc>>>>,
}

/// Where one rule stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleState {
    /// The user it chose last (round robin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<UserId>,
    /// Each user's credit (smooth weighted round robin).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credit: BTreeMap<UserId, i64>,
    /// Per team named by a field: the member chosen last.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub teams: BTreeMap<TeamId, UserId>,
}

/// One record to decide on.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its kind (a rule routes only the kinds it applies to).
    pub kind: EntityKind,
    /// Its values of the fields the rules read ([`Router::facts`]).
    pub facts: &'a Facts,
    /// Users not to give it to (e.g. the owner it is taken back from).
    pub exclude: &'a [UserId],
}

impl<'a> Item<'a> {
    /// A record of a kind, with its facts.
    pub fn new(kind: EntityKind, facts: &'a Facts) -> Self {
        Item {
            kind,
            facts,
            exclude: &[],
        }
    }

    /// Not to be given to these users.
    pub fn excluding(mut self, users: &'a [UserId]) -> Self {
        self.exclude = users;
        self
    }
}

/// Why a user was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No such user.
    Unknown,
    /// Not active.
    Inactive,
    /// Away now.
    OnLeave,
    /// Given their daily cap today.
    AtDailyCap,
    /// Given their cap within the rolling window.
    AtWindowCap,
    /// Excluded from this decision (e.g. the owner it was taken from).
    Excluded,
}

impl SkipReason {
    /// The name, as in JSON: `"on_leave"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Unknown => "unknown",
            SkipReason::Inactive => "inactive",
            SkipReason::OnLeave => "on_leave",
            SkipReason::AtDailyCap => "at_daily_cap",
            SkipReason::AtWindowCap => "at_window_cap",
            SkipReason::Excluded => "excluded",
        }
    }
}

/// A user passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The user.
    pub user: UserId,
    /// Why.
    pub reason: SkipReason,
}

/// What became of one rule in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    /// Its condition did not hold.
    NotMatched,
    /// It is not active at this time.
    OutsideHours,
    /// It matched, but none of its users could take the record.
    NoOneAvailable,
    /// It matched and chose a user.
    Chosen,
}

impl StepResult {
    /// The name, as in JSON: `"not_matched"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepResult::NotMatched => "not_matched",
            StepResult::OutsideHours => "outside_hours",
            StepResult::NoOneAvailable => "no_one_available",
            StepResult::Chosen => "chosen",
        }
    }
}

/// A user passed over, compactly: [`Router::explain`] names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The router's agent at this position ([`Router::agents`]).
    Agent(usize),
    /// A user the router does not know.
    Unknown(UserId),
}

/// One rule tried in a decision (compact; [`Router::explain`] spells it out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The rule's position in the rule set.
    pub rule: usize,
    /// What became of it.
    pub result: StepResult,
    /// The users it passed over, and why.
    pub skipped: Vec<(Who, SkipReason)>,
}

/// Where a record goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// To a user, by a rule (its position in the rule set).
    Assigned {
        /// The user.
        user: UserId,
        /// The rule.
        rule: usize,
    },
    /// To the pool (of a team, when a matching rule targets one).
    Pooled {
        /// The pool's team.
        team: Option<TeamId>,
    },
}

/// A decision and its trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The kind of record decided on.
    pub kind: EntityKind,
    /// Where the record goes.
    pub outcome: Outcome,
    /// The rules that were out of hours or matched, in the order tried.
    /// Rules tried whose condition did not hold are left out (deciding stays
    /// cheap); [`Router::explain`] lists them from the facts.
    pub steps: Vec<Step>,
}

impl Decision {
    /// The user chosen, if any.
    pub fn owner(&self) -> Option<&UserId> {
        match &self.outcome {
            Outcome::Assigned { user, .. } => Some(user),
            Outcome::Pooled { .. } => None,
        }
    }
}

/// One rule tried, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// The rule's name.
    pub rule: String,
    /// What became of it.
    pub result: StepResult,
    /// Why: the tests that decided its condition, or its hours.
    pub detail: String,
    /// The users it passed over, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// A decision spelled out: what the engine returns and records in the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The record decided on (set by the engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<RecordKey>,
    /// The user chosen; `None`: the record went to the pool.
    pub owner: Option<UserId>,
    /// The team of the owner, or of the pool (the engine fills in the
    /// record's own team when the rules name none).
    pub team: Option<TeamId>,
    /// The rule that chose.
    pub rule: Option<String>,
    /// Why it went to the pool.
    pub pool_reason: Option<String>,
    /// Every rule tried, in order.
    pub trace: Vec<TraceStep>,
}

#[derive(Debug, Clone)]
enum Target {
    Agent(usize),
    Unknown(UserId),
}

#[derive(Debug, Clone)]
enum Pick {
    RoundRobin,
    LoadBalance,
    Weighted(Vec<i64>),
    ByField { slot: usize, names: Names },
}

#[derive(Debug, Clone)]
struct Compiled {
    index: usize,
    name: String,
    kinds: u32,
    node: Node,
    schedule: Option<Schedule>,
    targets: Vec<Target>,
    team: Option<TeamId>,
    pick: Pick,
    caps: Caps,
    last: Option<usize>,
    credit: Vec<i64>,
    team_last: HashMap<String, usize>,
}

/// A rule set compiled against the users it assigns to, with what its
/// strategies remember. See the [module](crate::assign).
#[derive(Debug, Clone)]
pub struct Router {
    rules: Vec<Compiled>,
    by_position: Vec<usize>,
    fields: FieldIndex,
    zone: Tz,
    agents: Vec<Agent>,
    by_id: HashMap<String, usize>,
    by_team: HashMap<String, Vec<usize>>,
    keep: usize,
    horizon: Duration,
    /// Today's span in the rule set's zone, for daily caps.
    day: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The zone's offset during one UTC minute (offsets change on whole
    /// minutes), so a batch converts the time once.
    offset: Option<(i64, chrono::FixedOffset)>,
}

fn kind_bit(kind: EntityKind) -> u32 {
    1 << (kind as u32)
}

impl Router {
    /// Compiles `rules` against `agents`, continuing from `state`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when the rules are invalid.
    pub fn new(rules: &RuleSet, agents: Vec<Agent>, state: &RouterState) -> Result<Router> {
        rules.validate()?;
        let mut agents = agents;
        agents.dedup_by(|a, b| a.user == b.user);
        let by_id: HashMap<String, usize> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.user.as_str().to_string(), i))
            .collect();
        let mut by_team: HashMap<String, Vec<usize>> = HashMap::new();
        let mut order: Vec<usize> = (0..agents.len()).collect();
        order.sort_by(|a, b| agents[*a].user.cmp(&agents[*b].user));
        for i in order {
            if let Some(team) = &agents[i].team {
                by_team
                    .entry(team.as_str().to_string())
                    .or_default()
                    .push(i);
            }
        }
        let mut fields = FieldIndex::default();
        let mut compiled = Vec::with_capacity(rules.rules.len());
        for (index, rule) in rules.rules.iter().enumerate() {
            let node = Node::compile(&rule.when, &mut fields);
            let targets: Vec<Target> = match &rule.team {
                Some(team) => by_team
                    .get(team.as_str())
                    .map(|members| members.iter().map(|i| Target::Agent(*i)).collect())
                    .unwrap_or_default(),
                None => rule
                    .users
                    .iter()
                    .map(|u| match by_id.get(u.as_str()) {
                        Some(i) => Target::Agent(*i),
                        None => Target::Unknown(u.clone()),
                    })
                    .collect(),
            };
            let target_user = |t: &Target| -> UserId {
                match t {
                    Target::Agent(i) => agents[*i].user.clone(),
                    Target::Unknown(u) => u.clone(),
                }
            };
            let pick = match &rule.strategy {
                Strategy::RoundRobin => Pick::RoundRobin,
                Strategy::LoadBalance => Pick::LoadBalance,
                Strategy::Weighted(weights) => Pick::Weighted(
                    targets
                        .iter()
                        .map(|t| i64::from(weights.get(&target_user(t)).copied().unwrap_or(1)))
                        .collect(),
                ),
                Strategy::ByField { field, names } => Pick::ByField {
                    slot: fields.slot(field),
                    names: *names,
                },
            };
            let saved = state.rules.get(&rule.name);
            let last = saved
                .and_then(|s| s.last.as_ref())
                .and_then(|user| targets.iter().position(|t| target_user(t) == *user));
            let credit = targets
                .iter()
                .map(|t| {
                    saved
                        .and_then(|s| s.credit.get(&target_user(t)))
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            let team_last = saved
                .map(|s| {
                    s.teams
                        .iter()
                        .filter_map(|(team, user)| {
                            by_id
                                .get(user.as_str())
                                .map(|i| (team.as_str().to_string(), *i))
                        })
                        .collect()
                })
                .unwrap_or_default();
            compiled.push(Compiled {
                index,
                name: rule.name.clone(),
                kinds: rule
                    .applies_to
                    .iter()
                    .fold(0, |bits, k| bits | kind_bit(*k)),
                node,
                schedule: rule.active.clone(),
                targets,
                team: rule.team.clone(),
                pick,
                caps: rule.caps,
                last,
                credit,
                team_last,
            });
        }
        // Lowest priority first; the sort is stable, so ties keep list order.
        compiled.sort_by_key(|r| rules.rules[r.index].priority);
        let mut by_position = vec![0; compiled.len()];
        for (at, rule) in compiled.iter().enumerate() {
            by_position[rule.index] = at;
        }
        let keep = compiled
            .iter()
            .flat_map(|r| [r.caps.per_day, r.caps.per_window.map(|w| w.max)])
            .flatten()
            .max()
            .unwrap_or(0) as usize;
        let horizon = compiled
            .iter()
            .filter_map(|r| {
                r.caps
                    .per_window
                    .map(|w| Duration::hours(i64::from(w.hours)))
            })
            .chain(std::iter::once(Duration::hours(26)))
            .max()
            .unwrap_or_else(|| Duration::hours(26));
        for agent in &mut agents {
            agent.given = Default::default();
            if keep > 0 {
                if let Some(kinds) = state.given.get(&agent.user) {
                    for (kind, times) in kinds {
                        let mut times = times.clone();
                        times.sort();
                        let skip = times.len().saturating_sub(keep);
                        agent.given[*kind as usize] = times.into_iter().skip(skip).collect();
                    }
                }
            }
        }
        Ok(Router {
            rules: compiled,
            by_position,
            fields,
            zone: rules.zone(),
            agents,
            by_id,
            by_team,
            keep,
            horizon,
            day: None,
            offset: None,
        })
    }

    /// The fields the rules read, by slot.
    pub fn fields(&self) -> &FieldIndex {
        &self.fields
    }

    /// A record's facts, from the record as JSON.
    pub fn facts(&self, record: &Value) -> Facts {
        self.fields.facts(record)
    }

    /// Facts from field names and values.
    pub fn facts_from<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, crate::assign::Fact)>,
    ) -> Facts {
        self.fields.facts_from(pairs)
    }

    /// The agents, with their open counts as the router has kept them.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// The name of the rule at a position in the rule set.
    pub fn rule_name(&self, rule: usize) -> &str {
        self.by_position
            .get(rule)
            .map_or("", |at| self.rules[*at].name.as_str())
    }

    /// Decides where one record goes, and remembers it (the owner's open count
    /// and cap windows, the rule's position).
    pub fn decide(&mut self, item: &Item<'_>, now: DateTime<Utc>) -> Decision {
        let Router {
            rules,
            agents,
            by_id,
            by_team,
            zone,
            keep,
            horizon,
            day,
            offset,
            ..
        } = self;
        let mut local = None;
        let mut day_start = None;
        let mut steps = Vec::new();
        let mut pool_team: Option<TeamId> = None;
        for rule in rules.iter_mut() {
            if rule.kinds & kind_bit(item.kind) == 0 {
                continue;
            }
            if let Some(schedule) = &rule.schedule {
                let local = *local.get_or_insert_with(|| {
                    let minute = now.timestamp().div_euclid(60);
                    let fixed = match offset {
                        Some((at, fixed)) if *at == minute => *fixed,
                        _ => {
                            let fixed = now.with_timezone(zone).fixed_offset().timezone();
                            *offset = Some((minute, fixed));
                            fixed
                        }
                    };
                    now.with_timezone(&fixed)
                });
                if !active(schedule, &local) {
                    steps.push(Step {
                        rule: rule.index,
                        result: StepResult::OutsideHours,
                        skipped: Vec::new(),
                    });
                    continue;
                }
            }
            if !rule.node.eval(item.facts) {
                // Not recorded: explain finds these again from the facts.
                continue;
            }
            let mut skipped = Vec::new();
            let mut check = |i: usize, skipped: &mut Vec<(Who, SkipReason)>| -> bool {
                let agent = &agents[i];
                let reason = if item.exclude.contains(&agent.user) {
                    Some(SkipReason::Excluded)
                } else if !agent.active {
                    Some(SkipReason::Inactive)
                } else if agent
                    .away
                    .iter()
                    .any(|(from, until)| *from <= now && now < *until)
                {
                    Some(SkipReason::OnLeave)
                } else if rule.caps.per_day.is_some_and(|cap| {
                    let start = *day_start.get_or_insert_with(|| match day {
                        Some((start, end)) if *start <= now && now < *end => *start,
                        _ => {
                            let span = day_span(zone, now);
                            *day = Some(span);
                            span.0
                        }
                    });
                    agent.at_cap(item.kind, start, cap)
                }) {
                    Some(SkipReason::AtDailyCap)
                } else if rule.caps.per_window.is_some_and(|w| {
                    agent.at_cap(item.kind, now - Duration::hours(i64::from(w.hours)), w.max)
                }) {
                    Some(SkipReason::AtWindowCap)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    skipped.push((Who::Agent(i), reason));
                }
                reason.is_none()
            };
            let unknown = |user: &UserId, skipped: &mut Vec<(Who, SkipReason)>| {
                skipped.push((Who::Unknown(user.clone()), SkipReason::Unknown));
            };
            let n = rule.targets.len();
            let chosen: Option<usize> = match &mut rule.pick {
                Pick::RoundRobin => {
                    let start = rule.last.map_or(0, |p| p + 1);
                    let mut chosen = None;
                    for k in 0..n {
                        let at = (start + k) % n;
                        match &rule.targets[at] {
                            Target::Unknown(user) => unknown(user, &mut skipped),
                            Target::Agent(i) => {
                                if check(*i, &mut skipped) {
                                    rule.last = Some(at);
                                    chosen = Some(*i);
                                    break;
                                }
                            }
                        }
                    }
                    chosen
                }
                Pick::LoadBalance => {
                    let mut best: Option<usize> = None;
                    for target in &rule.targets {
                        match target {
                            Target::Unknown(user) => unknown(user, &mut skipped),
                            Target::Agent(i) => {
                                if check(*i, &mut skipped)
                                    && best.is_none_or(|b| {
                                        agents[*i].open(item.kind) < agents[b].open(item.kind)
                                    })
                                {
                                    best = Some(*i);
                                }
                            }
                        }
                    }
                    best
                }
                Pick::Weighted(weights) => {
                    let mut total = 0;
                    let mut best: Option<usize> = None;
                    for (at, target) in rule.targets.iter().enumerate() {
                        match target {
                            Target::Unknown(user) => unknown(user, &mut skipped),
                            Target::Agent(i) => {
                                if check(*i, &mut skipped) {
                                    rule.credit[at] += weights[at];
                                    total += weights[at];
                                    if best.is_none_or(|b| rule.credit[at] > rule.credit[b]) {
                                        best = Some(at);
                                    }
                                }
                            }
                        }
                    }
                    best.map(|at| {
                        rule.credit[at] -= total;
                        match rule.targets[at] {
                            Target::Agent(i) => i,
                            Target::Unknown(_) => unreachable!("only agents earn credit"),
                        }
                    })
                }
                Pick::ByField { slot, names } => match item.facts.get(*slot) {
                    crate::assign::Fact::Text(name, _) => match names {
                        Names::User => match by_id.get(name.as_str()) {
                            Some(i) => check(*i, &mut skipped).then_some(*i),
                            None => {
                                if let Ok(user) = UserId::new(name.as_str()) {
                                    unknown(&user, &mut skipped);
                                }
                                None
                            }
                        },
                        Names::Team => {
                            let members = by_team.get(name.as_str()).map_or(&[][..], Vec::as_slice);
                            if pool_team.is_none() {
                                pool_team = TeamId::new(name.as_str()).ok();
                            }
                            let last = rule.team_last.get(name.as_str()).copied();
                            let start = last
                                .and_then(|l| members.iter().position(|m| *m == l))
                                .map_or(0, |p| p + 1);
                            let mut chosen = None;
                            for k in 0..members.len() {
                                let i = members[(start + k) % members.len()];
                                if check(i, &mut skipped) {
                                    rule.team_last.insert(name.clone(), i);
                                    chosen = Some(i);
                                    break;
                                }
                            }
                            chosen
                        }
                    },
                    _ => None,
                },
            };
            match chosen {
                Some(i) => {
                    let agent = &mut agents[i];
                    agent.open[item.kind as usize] += 1;
                    if *keep > 0 {
                        agent.remember(item.kind, now, now - *horizon, *keep);
                    }
                    steps.push(Step {
                        rule: rule.index,
                        result: StepResult::Chosen,
                        skipped,
                    });
                    return Decision {
                        kind: item.kind,
                        outcome: Outcome::Assigned {
                            user: agent.user.clone(),
                            rule: rule.index,
                        },
                        steps,
                    };
                }
                None => {
                    if pool_team.is_none() {
                        pool_team = rule.team.clone();
                    }
                    steps.push(Step {
                        rule: rule.index,
                        result: StepResult::NoOneAvailable,
                        skipped,
                    });
                }
            }
        }
        Decision {
            kind: item.kind,
            outcome: Outcome::Pooled { team: pool_team },
            steps,
        }
    }

    /// Decides a batch, one record after another in the order given (the
    /// same as deciding each alone, in that order).
    pub fn decide_all(&mut self, items: &[Item<'_>], now: DateTime<Utc>) -> Vec<Decision> {
        items.iter().map(|item| self.decide(item, now)).collect()
    }

    /// Spells a decision out: rule names, the tests that decided each
    /// condition, who was passed over and why, the pool reason.
    pub fn explain(&self, decision: &Decision, facts: &Facts) -> Routing {
        let names = self.fields.names();
        // Every rule tried, in order: the recorded steps, and in between the
        // rules for this kind whose condition did not hold.
        let not_matched = Step {
            rule: usize::MAX,
            result: StepResult::NotMatched,
            skipped: Vec::new(),
        };
        let last = match &decision.outcome {
            Outcome::Assigned { rule, .. } => self.by_position[*rule],
            Outcome::Pooled { .. } => self.rules.len().saturating_sub(1),
        };
        let tried: Vec<(&Compiled, &Step)> = self
            .rules
            .iter()
            .take(last + 1)
            .filter(|rule| rule.kinds & kind_bit(decision.kind) != 0)
            .map(|rule| {
                let step = decision
                    .steps
                    .iter()
                    .find(|s| s.rule == rule.index)
                    .unwrap_or(&not_matched);
                (rule, step)
            })
            .collect();
        let trace: Vec<TraceStep> = tried
            .into_iter()
            .map(|(rule, step)| {
                let detail = match step.result {
                    StepResult::OutsideHours => {
                        format!(
                            "not active now ({})",
                            describe(rule.schedule.as_ref(), self.zone)
                        )
                    }
                    StepResult::NotMatched | StepResult::Chosen => rule.node.explain(facts, names),
                    StepResult::NoOneAvailable => {
                        if rule.targets.is_empty() && !matches!(rule.pick, Pick::ByField { .. }) {
                            "its team has no members".to_string()
                        } else if step.skipped.is_empty() {
                            "no user is named by its field".to_string()
                        } else {
                            "every user it could choose is unavailable".to_string()
                        }
                    }
                };
                TraceStep {
                    rule: rule.name.clone(),
                    result: step.result,
                    detail,
                    skipped: step
                        .skipped
                        .iter()
                        .map(|(who, reason)| Skipped {
                            user: match who {
                                Who::Agent(i) => self.agents[*i].user.clone(),
                                Who::Unknown(user) => user.clone(),
                            },
                            reason: *reason,
                        })
                        .collect(),
                }
            })
            .collect();
        match &decision.outcome {
            Outcome::Assigned { user, rule } => Routing {
                subject: None,
                owner: Some(user.clone()),
                team: self
                    .by_id
                    .get(user.as_str())
                    .and_then(|i| self.agents[*i].team.clone()),
                rule: Some(self.rule_name(*rule).to_string()),
                pool_reason: None,
                trace,
            },
            Outcome::Pooled { team } => {
                let unavailable: Vec<&str> = trace
                    .iter()
                    .filter(|s| s.result == StepResult::NoOneAvailable)
                    .map(|s| s.rule.as_str())
                    .collect();
                let reason = if unavailable.is_empty() {
                    if trace.is_empty() {
                        "no rule routes this kind of record".to_string()
                    } else {
                        "no rule matches".to_string()
                    }
                } else {
                    format!(
                        "no user is available under rule{} {}",
                        if unavailable.len() > 1 { "s" } else { "" },
                        unavailable.join(", ")
                    )
                };
                Routing {
                    subject: None,
                    owner: None,
                    team: team.clone(),
                    rule: None,
                    pool_reason: Some(reason),
                    trace,
                }
            }
        }
    }

    /// What the strategies remember now, to store and pass to the next
    /// [`Router::new`].
    pub fn state(&self) -> RouterState {
        let user = |t: &Target| match t {
            Target::Agent(i) => self.agents[*i].user.clone(),
            Target::Unknown(u) => u.clone(),
        };
        let mut state = RouterState::default();
        for rule in &self.rules {
            let saved = RuleState {
                last: rule.last.map(|at| user(&rule.targets[at])),
                credit: rule
                    .targets
                    .iter()
                    .zip(&rule.credit)
                    .filter(|(_, c)| **c != 0)
                    .map(|(t, c)| (user(t), *c))
                    .collect(),
                teams: rule
                    .team_last
                    .iter()
                    .filter_map(|(team, i)| {
                        TeamId::new(team.as_str())
                            .ok()
                            .map(|t| (t, self.agents[*i].user.clone()))
                    })
                    .collect(),
            };
            if saved != RuleState::default() {
                state.rules.insert(rule.name.clone(), saved);
            }
        }
        for agent in &self.agents {
            for kind in EntityKind::ALL {
                let given = &agent.given[kind as usize];
                if !given.is_empty() {
                    let kinds = state.given.entry(agent.user.clone()).or_default();
                    kinds.insert(kind, given.iter().copied().collect());
                }
            }
        }
        state
    }
}

/// The start and end of the local day `now` falls in.
fn day_span(zone: &Tz, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let date = now.with_timezone(zone).date_naive();
    let start = local_midnight(*zone, date);
    let end = date
        .succ_opt()
        .map_or(now + Duration::hours(1), |next| local_midnight(*zone, next));
    (start, end.max(now + Duration::nanoseconds(1)))
}

fn active(schedule: &Schedule, local: &DateTime<chrono::FixedOffset>) -> bool {
    let time = local.time();
    let (day_ok, time_ok) = match (schedule.from, schedule.until) {
        (Some(from), Some(until)) if until < from => {
            // A span across midnight: the early hours belong to the day before.
            if time >= from {
                (on(schedule, local.weekday()), true)
            } else if time < until {
                (on(schedule, local.weekday().pred()), true)
            } else {
                (true, false)
            }
        }
        (Some(from), Some(until)) => (on(schedule, local.weekday()), time >= from && time < until),
        _ => (on(schedule, local.weekday()), true),
    };
    day_ok && time_ok
}

fn on(schedule: &Schedule, day: chrono::Weekday) -> bool {
    schedule.weekdays.is_empty() || schedule.weekdays.contains(&day)
}

fn describe(schedule: Option<&Schedule>, zone: Tz) -> String {
    let Some(schedule) = schedule else {
        return String::new();
    };
    let days = if schedule.weekdays.is_empty() {
        "every day".to_string()
    } else {
        schedule
            .weekdays
            .iter()
            .map(|d| d.to_string().to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match (schedule.from, schedule.until) {
        (Some(from), Some(until)) => format!(
            "{days} {}–{} {}",
            from.format("%H:%M"),
            until.format("%H:%M"),
            zone.name()
        ),
        _ => format!("{days} {}", zone.name()),
    }
}
