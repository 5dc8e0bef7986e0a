//! Analytics in the engine: the metrics over the records the actor may read,
//! in a scope and a period, as tables (`metric`), and customer lifetime value
//! (`customerLifetimeValue`). The tables and the fitted models are declared in
//! `analytics.rs`, beside the pure `fitClv`.
//!
//! Inputs are plain objects with camelCase keys; money is `{ amount,
//! currency }` with a decimal string, times RFC 3339 strings or `Date`s.

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crm::analytics::{ClvOptions, Cost, SalesTarget};
use crm::{ClvReport, ClvRow, Error, Metric, MetricQuery, Scope, TeamId, UserId};

use crate::access::JsActor;
use crate::analytics::{JsBgNbd, JsClvOptions, JsGammaGamma, JsTable};
use crate::clock::{TimeInput, opt_time, time};
use crate::convert::{Fields, Strict, count_u32};
use crate::engine::{Command, JsCrm, Pending};
use crate::model::JsMoney;

/// What a channel (and campaign) cost, for the `channel_roi` metric.
#[napi(object, js_name = "ChannelCost", object_to_js = false)]
pub struct JsChannelCost {
    /// The channel (absent: any).
    pub channel: Option<String>,
    /// The campaign (absent: any).
    pub campaign: Option<String>,
    /// What it cost: `{ amount: '250.00', currency: 'EUR' }`.
    pub amount: JsMoney,
}

impl Fields for JsChannelCost {
    const WHAT: &'static str = "a channel cost";
    const FIELDS: &'static [&'static str] = &["channel", "campaign", "amount"];
}

impl JsChannelCost {
    fn into_core(self) -> crm::Result<Cost> {
        Ok(Cost {
            channel: self.channel,
            campaign: self.campaign,
            amount: self.amount.to_core()?,
        })
    }
}

/// A sales target, for the `targets` metric: a user's or a team's, over a
/// period, on any of contract amounts, new customers and activities.
#[napi(object, js_name = "SalesTarget", object_to_js = false)]
pub struct JsSalesTarget {
    /// The user (or give a team).
    pub user: Option<String>,
    /// The team.
    pub team: Option<String>,
    /// The period's start (an RFC 3339 string or a `Date`).
    #[napi(ts_type = "string | Date")]
    pub from: TimeInput,
    /// Its end, excluded.
    #[napi(ts_type = "string | Date")]
    pub until: TimeInput,
    /// Contract amounts to sign: `{ amount: '4000.00', currency: 'EUR' }`.
    pub amount: Option<JsMoney>,
    /// New customers to win (a whole number).
    pub new_customers: Option<f64>,
    /// Activities to log (a whole number).
    pub activities: Option<f64>,
}

impl Fields for JsSalesTarget {
    const WHAT: &'static str = "a sales target";
    const FIELDS: &'static [&'static str] = &[
        "user",
        "team",
        "from",
        "until",
        "amount",
        "newCustomers",
        "activities",
    ];
}

impl JsSalesTarget {
    fn into_core(self, row: usize) -> crm::Result<SalesTarget> {
        let at = |field: &str| format!("targets[{row}].{field}");
        Ok(SalesTarget {
            user: self.user.map(UserId::new).transpose()?,
            team: self.team.map(TeamId::new).transpose()?,
            from: time(&at("from"), self.from)?,
            until: time(&at("until"), self.until)?,
            amount: self.amount.map(|money| money.to_core()).transpose()?,
            new_customers: self
                .new_customers
                .map(|n| count_u32(&at("new_customers"), n))
                .transpose()?,
            activities: self
                .activities
                .map(|n| count_u32(&at("activities"), n))
                .transpose()?,
        })
    }
}

/// What `metric` computes: the metric, over a period and a scope, with what
/// some metrics need (costs, targets, the CLV horizon).
#[napi(object, js_name = "MetricQuery", object_to_js = false)]
pub struct JsMetricQuery {
    /// The metric: `lead_conversion` (by source, channel and campaign),
    /// `stage_conversion`, `time_in_stage`, `win_rate` (by owner),
    /// `lost_reasons`, `cycle_time`, `forecast` (the weighted pipeline by
    /// close month), `churn`, `service`, `channel_roi`, `targets` or `clv`.
    #[napi(
        ts_type = "'lead_conversion' | 'stage_conversion' | 'time_in_stage' | 'win_rate' | 'lost_reasons' | 'cycle_time' | 'forecast' | 'churn' | 'service' | 'channel_roi' | 'targets' | 'clv'"
    )]
    pub metric: String,
    /// The period's start (default: the beginning of time).
    #[napi(ts_type = "string | Date")]
    pub from: Option<TimeInput>,
    /// The period's end, excluded (default: now).
    #[napi(ts_type = "string | Date")]
    pub until: Option<TimeInput>,
    /// Whose records (within what the actor may read): `'all'` (the default),
    /// `{ user: 'ana' }`, `{ team: 'east' }` or `{ region: 'north' }`.
    #[napi(ts_type = "'all' | { user: string } | { team: string } | { region: string }")]
    pub scope: Option<Value>,
    /// `service` only: group by `priority` or `category` (or `all`).
    #[napi(ts_type = "'priority' | 'category' | 'all'")]
    pub group_by: Option<String>,
    /// `channel_roi` only: what each channel and campaign cost.
    #[napi(ts_type = "Array<ChannelCost>")]
    pub costs: Option<Vec<Strict<JsChannelCost>>>,
    /// `targets` only: the targets to measure.
    #[napi(ts_type = "Array<SalesTarget>")]
    pub targets: Option<Vec<Strict<JsSalesTarget>>>,
    /// `clv` only: the horizon and discount.
    pub clv: Option<JsClvOptions>,
}

/// A scope from JS: absent, `null` or `'all'`, or `{ user }`, `{ team }`,
/// `{ region }`.
fn scope(value: Option<Value>) -> crm::Result<Scope> {
    match value {
        None | Some(Value::Null) => Ok(Scope::All),
        Some(value) => serde_json::from_value(value).map_err(|err| {
            Error::invalid(
                "scope",
                format!("must be 'all', {{ user }}, {{ team }} or {{ region }}: {err}"),
            )
        }),
    }
}

impl JsMetricQuery {
    /// The core query. An unknown metric is a `validation` error on `query`,
    /// as the core's `MetricQuery::from_json` names it.
    fn into_core(self) -> crm::Result<MetricQuery> {
        let metric: Metric =
            serde_json::from_value(Value::String(self.metric.clone())).map_err(|err| {
                let shown: String = self.metric.chars().take(40).collect();
                Error::invalid("query", format!("metric: {err}")).with_value(shown)
            })?;
        Ok(MetricQuery {
            metric,
            from: opt_time("from", self.from)?,
            until: opt_time("until", self.until)?,
            scope: scope(self.scope)?,
            group_by: self.group_by,
            costs: self
                .costs
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(row, cost)| cost.checked(&format!("costs[{row}]"))?.into_core())
                .collect::<crm::Result<_>>()?,
            targets: self
                .targets
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(row, target)| target.checked(&format!("targets[{row}]"))?.into_core(row))
                .collect::<crm::Result<_>>()?,
            clv: self.clv.map(JsClvOptions::into_core).transpose()?,
        })
    }
}

/// Options of `customerLifetimeValue`; every key optional.
#[napi(object, js_name = "LifetimeValueOptions", object_to_js = false)]
pub struct JsLifetimeValueOptions {
    /// The end of the history (an RFC 3339 string or a `Date`; default: now).
    #[napi(ts_type = "string | Date")]
    pub as_of: Option<TimeInput>,
    /// The horizon, in months of 30 days (a whole number; default 12).
    pub months: Option<f64>,
    /// The monthly discount rate, a JS number (default 0.01).
    pub monthly_discount: Option<f64>,
    /// Whose customers: `'all'` (the default), `{ user }`, `{ team }` or `{
    /// region }`.
    #[napi(ts_type = "'all' | { user: string } | { team: string } | { region: string }")]
    pub scope: Option<Value>,
}

/// One customer's lifetime value: what they paid, and what the models
/// predict (`null` when the models could not be fitted).
#[napi(
    object,
    js_name = "ClvRow",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsClvRow {
    /// The customer's id.
    pub customer: String,
    /// Money received so far (purchases less refunds, signed contracts), a
    /// decimal string.
    pub historic: String,
    /// Repeat purchase days.
    pub frequency: u32,
    /// Days from the first purchase day to the last.
    pub recency: u32,
    /// Days from the first purchase day to `asOf`.
    pub t: u32,
    /// The mean spend on the repeat days, a decimal string.
    pub monetary: String,
    /// The chance the customer is still active, a JS number.
    pub p_alive: Option<f64>,
    /// Purchases expected in the horizon, a JS number.
    pub expected_purchases: Option<f64>,
    /// Expected spend per purchase, a decimal string.
    pub expected_value: Option<String>,
    /// The discounted value of the horizon's purchases, a decimal string.
    pub clv: Option<String>,
}

impl From<ClvRow> for JsClvRow {
    fn from(row: ClvRow) -> Self {
        JsClvRow {
            customer: row.customer,
            historic: row.historic.to_string(),
            frequency: row.frequency,
            recency: row.recency,
            t: row.t,
            monetary: row.monetary.to_string(),
            p_alive: row.p_alive,
            expected_purchases: row.expected_purchases,
            expected_value: row.expected_value.map(|value| value.to_string()),
            clv: row.clv.map(|value| value.to_string()),
        }
    }
}

/// What `customerLifetimeValue` returns: the models (when there is enough
/// history to fit them) and one row per customer with a purchase.
#[napi(
    object,
    js_name = "ClvReport",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsClvReport {
    /// The currency of the amounts (`null` without purchases).
    pub currency: Option<String>,
    /// The BG/NBD model, or `null` when it could not be fitted.
    pub bg_nbd: Option<JsBgNbd>,
    /// The Gamma-Gamma model, or `null`.
    pub gamma_gamma: Option<JsGammaGamma>,
    /// Why the models could not be fitted, or `null`.
    pub not_fitted: Option<String>,
    /// One row per customer with a purchase, ordered by id.
    pub rows: Vec<JsClvRow>,
}

impl From<ClvReport> for JsClvReport {
    fn from(report: ClvReport) -> Self {
        JsClvReport {
            currency: report.currency,
            bg_nbd: report.bg_nbd.map(JsBgNbd::from),
            gamma_gamma: report.gamma_gamma.map(JsGammaGamma::from),
            not_fitted: report.not_fitted,
            rows: report.rows.into_iter().map(JsClvRow::from).collect(),
        }
    }
}

#[napi]
impl JsCrm {
    /// Computes a metric over the records the actor may read, in the query's
    /// scope and period, as a `Table`: `{ metric, columns: [{ name, kind }],
    /// rows: [{ [column]: value }] }`, decimals (money) as strings, times as
    /// RFC 3339 strings.
    ///
    /// @example
    /// ```js
    /// const table = crm.metric(ana, { metric: 'win_rate', from: '2026-01-01T00:00:00Z' })
    /// table.columns.map((c) => c.name) // ['owner', 'won', 'lost', 'win_rate']
    /// table.rows[0].win_rate           // 0.5
    /// ```
    ///
    /// @throws {Error} `validation` on `query` for an unknown metric, on
    /// `scope`, on `from` or `until` (malformed, or `until` not after `from`),
    /// on `group_by` (`service`: not `priority`, `category` or `all`), on
    /// `targets[i].from` (etc.), on `amount` or `currency` of a cost or a
    /// target; `forbidden` when the actor may not read what the metric
    /// reads; `config` on `value_currency` (`clv`: purchases in several
    /// currencies and none set).
    #[napi]
    pub fn metric(&self, env: Env, actor: JsActor, query: JsMetricQuery) -> napi::Result<JsTable> {
        self.run(&env, metric(actor, query))
    }

    /// `metric` off the main thread: a Promise of the table, rejected with the
    /// `Error` that `metric` throws.
    #[napi(ts_return_type = "Promise<Table>")]
    pub fn metric_async(&self, actor: JsActor, query: JsMetricQuery) -> Pending<JsTable> {
        self.spawn(metric(actor, query))
    }

    /// Lifetime value of each customer the actor may read (in the scope): the
    /// money received so far (signed contracts and recorded purchases, less
    /// refunds) and, when there is enough history, the BG/NBD and Gamma-Gamma
    /// predictions (as `fitClv` fits them) on those customers' purchases up to
    /// `asOf`. Without enough history the models are `null` and `notFitted`
    /// says why.
    ///
    /// @throws {Error} `validation` on `as_of`, `scope`, `months`,
    /// `monthly_discount`; `config` on `value_currency` when purchases are in
    /// several currencies and none is set; `forbidden` (read customers).
    #[napi]
    pub fn customer_lifetime_value(
        &self,
        env: Env,
        actor: JsActor,
        options: Option<JsLifetimeValueOptions>,
    ) -> napi::Result<JsClvReport> {
        self.run(&env, customer_lifetime_value(actor, options))
    }

    /// `customerLifetimeValue` off the main thread: a Promise of the report,
    /// rejected with the `Error` that `customerLifetimeValue` throws.
    #[napi(ts_return_type = "Promise<ClvReport>")]
    pub fn customer_lifetime_value_async(
        &self,
        actor: JsActor,
        options: Option<JsLifetimeValueOptions>,
    ) -> Pending<JsClvReport> {
        self.spawn(customer_lifetime_value(actor, options))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn metric(actor: JsActor, query: JsMetricQuery) -> Command<JsTable> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let query = query.into_core()?;
        Ok(crm.metric(&actor, &query)?.into())
    })
}

fn customer_lifetime_value(
    actor: JsActor,
    options: Option<JsLifetimeValueOptions>,
) -> Command<JsClvReport> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let (as_of, clv, scope_value) = match options {
            None => (None, ClvOptions::default(), None),
            Some(options) => (
                opt_time("as_of", options.as_of)?,
                JsClvOptions {
                    months: options.months,
                    monthly_discount: options.monthly_discount,
                    minor_units: None,
                }
                .into_core()?,
                options.scope,
            ),
        };
        let scope = scope(scope_value)?;
        let as_of = as_of.unwrap_or_else(|| crm.now());
        Ok(crm
            .customer_lifetime_value(&actor, as_of, &clv, &scope)?
            .into())
    })
}
