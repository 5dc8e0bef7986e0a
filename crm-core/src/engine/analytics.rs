//! Analytics in the engine: the metrics over the records the actor may read,
//! in a scope and a period, as tables; and customer lifetime value.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::analytics::clv::{self, BgNbd, ClvOptions, ClvPrediction, GammaGamma};
use crate::analytics::metrics::{self, Cost, Period, SalesTarget};
use crate::analytics::{Table, columns};
use crate::engine::Crm;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::model::{AnyRecord, EntityKind, Record, TeamId, UserId};
use crate::store::{Query, Store};

/// Whose records a metric counts (within what the actor may read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Everything the actor may read.
    #[default]
    All,
    /// Records owned by this user.
    User(UserId),
    /// Records of this team.
    Team(TeamId),
    /// Records of this region.
    Region(String),
}

/// The metrics [`Crm::metric`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Lead conversion rate by source, channel and campaign.
    LeadConversion,
    /// Moves between deal stages, with shares and days before them.
    StageConversion,
    /// Days in each deal stage.
    TimeInStage,
    /// Win rate by owner.
    WinRate,
    /// Why deals were lost.
    LostReasons,
    /// Mean and median sales cycle.
    CycleTime,
    /// The weighted pipeline by close month and forecast category.
    Forecast,
    /// New, active and churned customers and the churn rate.
    Churn,
    /// Response and resolution times, SLA attainment, reopen rate, CSAT, NPS.
    Service,
    /// Cost, leads, customers and revenue by channel and campaign.
    ChannelRoi,
    /// Sales targets' attainment and ranking.
    Targets,
    /// Lifetime value per customer: historic and predicted.
    Clv,
}

impl Metric {
    /// Every metric, in the order above.
    pub const ALL: [Metric; 12] = [
        Metric::LeadConversion,
        Metric::StageConversion,
        Metric::TimeInStage,
        Metric::WinRate,
        Metric::LostReasons,
        Metric::CycleTime,
        Metric::Forecast,
        Metric::Churn,
        Metric::Service,
        Metric::ChannelRoi,
        Metric::Targets,
        Metric::Clv,
    ];

    /// Its name, as in a query (`"win_rate"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::LeadConversion => "lead_conversion",
            Metric::StageConversion => "stage_conversion",
            Metric::TimeInStage => "time_in_stage",
            Metric::WinRate => "win_rate",
            Metric::LostReasons => "lost_reasons",
            Metric::CycleTime => "cycle_time",
            Metric::Forecast => "forecast",
            Metric::Churn => "churn",
            Metric::Service => "service",
            Metric::ChannelRoi => "channel_roi",
            Metric::Targets => "targets",
            Metric::Clv => "clv",
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = Error;

    /// A metric by its name; an unknown name is an error on `metric` that
    /// lists the names.
    fn from_str(name: &str) -> Result<Metric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
                Error::invalid("metric", format!("is not one of {}", names.join(", ")))
                    .with_value(name.chars().take(40).collect::<String>())
            })
    }
}

/// What [`Crm::metric`] computes. In JSON:
///
/// ```json
/// { "metric": "win_rate", "from": "2026-01-01T00:00:00Z", "until": "2026-04-01T00:00:00Z",
///   "scope": {"team": "east"}, "group_by": "priority",
///   "costs": [{"channel": "fair", "amount": {"amount": "1200.00", "currency": "EUR"}}],
///   "targets": [{"user": "ana", "from": "...", "until": "...", "amount": {...}, "new_customers": 5}],
///   "clv": {"months": 12, "monthly_discount": 0.01} }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricQuery {
    /// The metric.
    pub metric: Metric,
    /// The period's start (default: the beginning of time).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// The period's end, excluded (default: just after now, so that what
    /// happened now counts).
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Whose records (default: all the actor may read).
    #[serde(default)]
    pub scope: Scope,
    /// `service`: group by `priority` or `category`.
    #[serde(default)]
    pub group_by: Option<String>,
    /// `channel_roi`: what each channel and campaign cost.
    #[serde(default)]
    pub costs: Vec<Cost>,
    /// `targets`: the targets to measure.
    #[serde(default)]
    pub targets: Vec<SalesTarget>,
    /// `clv`: the horizon and discount.
    #[serde(default)]
    pub clv: Option<ClvOptions>,
}

impl MetricQuery {
    /// A query for a metric over all time and everything the actor may read.
    pub fn new(metric: Metric) -> Self {
        MetricQuery {
            metric,
            from: None,
            until: None,
            scope: Scope::All,
            group_by: None,
            costs: Vec::new(),
            targets: Vec::new(),
            clv: None,
        }
    }

    /// Reads a query from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `query` naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::invalid("query", e.to_string()))
    }
}

/// Lifetime value per customer: what they paid, and what the models predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvRow {
    /// The customer.
    pub customer: String,
    /// Money received so far (purchases less refunds, signed contracts).
    pub historic: Decimal,
    /// Repeat purchase days.
    pub frequency: u32,
    /// Days from the first purchase to the last.
    pub recency: u32,
    /// Days from the first purchase to the end of the period.
    pub t: u32,
    /// Mean spend on the repeat days.
    pub monetary: Decimal,
    /// The chance the customer is still active.
    pub p_alive: Option<f64>,
    /// Purchases expected in the horizon.
    pub expected_purchases: Option<f64>,
    /// Expected spend per purchase.
    pub expected_value: Option<Decimal>,
    /// The discounted value of the horizon's purchases.
    pub clv: Option<Decimal>,
}
columns!(ClvRow, {
    customer: Text, historic: Decimal, frequency: Integer, recency: Integer, t: Integer,
    monetary: Decimal, p_alive: Float, expected_purchases: Float, expected_value: Decimal,
    clv: Decimal
});

/// The lifetime value of the customers, with the fitted models (`None` when
/// there is too little history to fit them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvReport {
    /// The currency of the amounts.
    pub currency: Option<String>,
    /// The BG/NBD model.
    pub bg_nbd: Option<BgNbd>,
    /// The Gamma-Gamma model.
    pub gamma_gamma: Option<GammaGamma>,
    /// Why a model could not be fitted.
    pub not_fitted: Option<String>,
    /// One row per customer with a purchase.
    pub rows: Vec<ClvRow>,
}

fn in_scope(record: &AnyRecord, scope: &Scope) -> bool {
    let access = record.access();
    match scope {
        Scope::All => true,
        Scope::User(user) => access.owners.contains(user),
        Scope::Team(team) => access.team.as_ref() == Some(team),
        Scope::Region(region) => access.region.as_ref() == Some(region),
    }
}

impl<S: Store> Crm<S> {
    /// The records of a kind the actor may read, in the scope.
    fn scoped<R: Record>(&self, actor: &Actor, scope: &Scope) -> Result<Vec<R>> {
        Ok(self
            .list(actor, &Query::new(R::KIND))?
            .into_iter()
            .filter(|r| in_scope(r, scope))
            .filter_map(R::from_any)
            .collect())
    }

    /// The events of the given records (by id), oldest first.
    fn events_of(&self, kind: EntityKind, ids: &HashSet<String>) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.events_after(after, 10_000)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            out.extend(
                page.into_iter()
                    .filter(|e| e.entity.kind == kind && ids.contains(&e.entity.id)),
            );
        }
        Ok(out)
    }

    /// Computes a metric over the records the actor may read, in the
    /// query's scope and period, as a table (see [`Metric`] for what each
    /// holds, and [`crate::analytics::metrics`] for the definitions).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] when the actor may not read the kind of record a
    /// metric reads; [`Error::Validation`] on `until` when it is not after
    /// `from`, on `group_by`.
    pub fn metric(&self, actor: &Actor, query: &MetricQuery) -> Result<Table> {
        let period = Period {
            from: query.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
            // By default everything up to now, now included.
            until: query
                .until
                .unwrap_or_else(|| self.now() + chrono::Duration::microseconds(1)),
        };
        if period.until <= period.from {
            return Err(
                Error::invalid("until", "must be after from").with_value(period.until.to_rfc3339())
            );
        }
        let scope = &query.scope;
        let name = query.metric.as_str();
        Ok(match query.metric {
            Metric::LeadConversion => {
                let leads = self.scoped(actor, scope)?;
                Table::from_rows(name, &metrics::lead_conversion(&leads, period))
            }
            Metric::StageConversion | Metric::TimeInStage => {
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, scope)?;
                let ids: HashSet<String> = deals.iter().map(|d| d.id.to_string()).collect();
                let events = self.events_of(EntityKind::Opportunity, &ids)?;
                if query.metric == Metric::StageConversion {
                    Table::from_rows(name, &metrics::stage_moves(&events, period))
                } else {
                    Table::from_rows(name, &metrics::time_in_stage(&events, period))
                }
            }
            Metric::WinRate => {
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, scope)?;
                Table::from_rows(name, &metrics::win_rate(&deals, period))
            }
            Metric::LostReasons => {
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, scope)?;
                Table::from_rows(name, &metrics::lost_reasons(&deals, period))
            }
            Metric::CycleTime => {
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, scope)?;
                Table::from_rows(name, &metrics::cycle_time(&deals, period))
            }
            Metric::Forecast => {
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, scope)?;
                Table::from_rows(name, &metrics::forecast(&deals))
            }
            Metric::Churn => {
                let customers: Vec<crate::model::Customer> = self.scoped(actor, scope)?;
                let ids: HashSet<String> = customers.iter().map(|c| c.id.to_string()).collect();
                let events = self.events_of(EntityKind::Customer, &ids)?;
                let (purchases, _) = self.purchases()?;
                let times: Vec<_> = purchases
                    .iter()
                    .filter(|p| p.amount > Decimal::ZERO)
                    .filter_map(|p| Some((p.customer.parse().ok()?, p.at)))
                    .collect();
                let row = metrics::churn(&customers, &events, &times, period);
                Table::from_rows(name, &[row])
            }
            Metric::Service => {
                if let Some(by) = query
                    .group_by
                    .as_deref()
                    .filter(|b| !matches!(*b, "priority" | "category" | "all"))
                {
                    return Err(
                        Error::invalid("group_by", "is one of priority, category, all")
                            .with_value(by),
                    );
                }
                let tickets: Vec<crate::model::Ticket> = self.scoped(actor, scope)?;
                Table::from_rows(
                    name,
                    &metrics::service(&tickets, period, query.group_by.as_deref()),
                )
            }
            Metric::ChannelRoi => {
                let leads: Vec<crate::model::Lead> = self.scoped(actor, scope)?;
                let deals: Vec<crate::model::Opportunity> = self.scoped(actor, &Scope::All)?;
                let contracts: Vec<crate::model::Contract> = self.scoped(actor, &Scope::All)?;
                Table::from_rows(
                    name,
                    &metrics::channel_roi(&leads, &deals, &contracts, &query.costs, period),
                )
            }
            Metric::Targets => {
                let contracts: Vec<crate::model::Contract> = self.scoped(actor, &Scope::All)?;
                let customers: Vec<crate::model::Customer> = self.scoped(actor, &Scope::All)?;
                let activities: Vec<crate::model::Activity> = self.scoped(actor, &Scope::All)?;
                let users: Vec<crate::model::User> = self
                    .store
                    .query(&Query::new(EntityKind::User))?
                    .into_iter()
                    .filter_map(crate::model::User::from_any)
                    .collect();
                let teams: BTreeMap<UserId, Option<TeamId>> =
                    users.into_iter().map(|u| (u.id, u.team)).collect();
                let team_of = |user: &UserId| teams.get(user).cloned().flatten();
                Table::from_rows(
                    name,
                    &metrics::targets(
                        &query.targets,
                        &contracts,
                        &customers,
                        &activities,
                        &team_of,
                    ),
                )
            }
            Metric::Clv => {
                let report = self.customer_lifetime_value(
                    actor,
                    period.until,
                    &query.clv.unwrap_or_default(),
                    scope,
                )?;
                Table::from_rows(name, &report.rows)
            }
        })
    }

    /// Lifetime value of each customer the actor may read (in the scope):
    /// the money received so far (signed contracts and recorded purchases,
    /// less refunds) and, when there is enough history, the BG/NBD and
    /// Gamma-Gamma predictions ([`clv`]) fitted on those customers'
    /// purchases up to `as_of`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] on `value_currency` when purchases are in several
    /// currencies and none is set; [`Error::Validation`] on the options.
    pub fn customer_lifetime_value(
        &self,
        actor: &Actor,
        as_of: DateTime<Utc>,
        options: &ClvOptions,
        scope: &Scope,
    ) -> Result<ClvReport> {
        options.validate()?;
        let customers: Vec<crate::model::Customer> = self.scoped(actor, scope)?;
        let ids: HashSet<String> = customers.iter().map(|c| c.id.to_string()).collect();
        let (purchases, currency) = self.purchases()?;
        let purchases: Vec<_> = purchases
            .into_iter()
            .filter(|p| ids.contains(&p.customer) && p.at <= as_of)
            .collect();
        let mut historic: BTreeMap<String, Decimal> = BTreeMap::new();
        for p in &purchases {
            *historic.entry(p.customer.clone()).or_default() += p.amount;
        }
        let summary = clv::summarize(&purchases, as_of);
        let mut options = *options;
        if let Some(currency) = currency {
            options.minor_units = currency.minor_units();
        }
        let fitted =
            clv::BgNbd::fit(&summary).and_then(|bg| Ok((bg, clv::GammaGamma::fit(&summary)?)));
        let (bg_nbd, gamma_gamma, not_fitted, predictions) = match fitted {
            Ok((bg, gg)) => {
                let predictions = clv::predict(&bg, &gg, &summary, &options)?;
                (Some(bg), Some(gg), None, predictions)
            }
            Err(e) => (None, None, Some(e.to_string()), Vec::new()),
        };
        let by_customer: BTreeMap<&str, &ClvPrediction> = predictions
            .iter()
            .map(|p| (p.summary.customer.as_str(), p))
            .collect();
        let rows = summary
            .iter()
            .map(|s| {
                let p = by_customer.get(s.customer.as_str());
                ClvRow {
                    customer: s.customer.clone(),
                    historic: historic.get(&s.customer).copied().unwrap_or_default(),
                    frequency: s.frequency,
                    recency: s.recency,
                    t: s.t,
                    monetary: crate::model::round_minor(s.monetary, options.minor_units),
                    p_alive: p.map(|p| p.p_alive),
                    expected_purchases: p.map(|p| p.expected_purchases),
                    expected_value: p.map(|p| p.expected_value),
                    clv: p.map(|p| p.clv),
                }
            })
            .collect();
        Ok(ClvReport {
            currency: currency.map(|c| c.to_string()),
            bg_nbd,
            gamma_gamma,
            not_fitted,
            rows,
        })
    }
}
