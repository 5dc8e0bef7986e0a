//! The metrics: pure functions over records and events for a period
//! `[from, until)`. The engine picks the records the actor may read and in
//! the asked scope, and calls these.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::analytics::table::columns;
use crate::event::Event;
use crate::model::{
    Activity, Contract, Currency, Customer, CustomerId, Lead, LeadId, Money, Opportunity, TeamId,
    Ticket, UserId, round_minor,
};
use crate::sla::Target;

/// A period: from (included) until (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first instant in it.
    pub from: DateTime<Utc>,
    /// The first instant after it.
    pub until: DateTime<Utc>,
}

impl Period {
    /// Whether `at` falls in the period.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The median (the mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

// ----- leads ---------------------------------------------------------------------

/// Lead conversion by source, channel and campaign: the leads created in
/// the period, and what became of them by now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadConversionRow {
    /// The source (`null`: none given).
    pub source: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// The campaign.
    pub campaign: Option<String>,
    /// Leads created in the period.
    pub leads: usize,
    /// Of those, converted to a customer.
    pub converted: usize,
    /// Of those, discarded.
    pub discarded: usize,
    /// `converted / leads`.
    pub conversion_rate: Option<f64>,
}
columns!(LeadConversionRow, {
    source: Text, channel: Text, campaign: Text, leads: Integer, converted: Integer,
    discarded: Integer, conversion_rate: Float
});

/// Lead conversion rate by source, channel and campaign.
pub fn lead_conversion(leads: &[Lead], period: Period) -> Vec<LeadConversionRow> {
    type Key = (Option<String>, Option<String>, Option<String>);
    let mut groups: BTreeMap<Key, (usize, usize, usize)> = BTreeMap::new();
    for lead in leads.iter().filter(|l| period.contains(l.meta.created_at)) {
        let key = (
            lead.source.clone(),
            lead.channel.clone(),
            lead.campaign.clone(),
        );
        let entry = groups.entry(key).or_default();
        entry.0 += 1;
        entry.1 += usize::from(lead.conversion.is_some());
        entry.2 += usize::from(lead.status == "discarded");
    }
    groups
        .into_iter()
        .map(
            |((source, channel, campaign), (n, converted, discarded))| LeadConversionRow {
                source,
                channel,
                campaign,
                leads: n,
                converted,
                discarded,
                conversion_rate: rate(converted, n),
            },
        )
        .collect()
}

// ----- stages ----------------------------------------------------------------------

/// Moves between two stages in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageMoveRow {
    /// The stage left.
    pub from: String,
    /// The stage entered.
    pub to: String,
    /// Moves in the period.
    pub moves: usize,
    /// `moves` over every move out of `from` in the period.
    pub share: Option<f64>,
    /// Mean days spent in `from` before these moves.
    pub mean_days: Option<f64>,
    /// Median days spent in `from` before these moves.
    pub median_days: Option<f64>,
}
columns!(StageMoveRow, {
    from: Text, to: Text, moves: Integer, share: Float, mean_days: Float, median_days: Float
});

/// Time in each stage: stays that ended in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTimeRow {
    /// The stage.
    pub stage: String,
    /// Records that entered it in the period.
    pub entered: usize,
    /// Records that left it in the period.
    pub left: usize,
    /// Mean days of the stays that ended in the period.
    pub mean_days: Option<f64>,
    /// Median days of those stays.
    pub median_days: Option<f64>,
}
columns!(StageTimeRow, {
    stage: Text, entered: Integer, left: Integer, mean_days: Float, median_days: Float
});

/// One stay: entered, left (if it has), and the stage it went to.
struct Stay {
    stage: String,
    entered: DateTime<Utc>,
    left: Option<(DateTime<Utc>, String)>,
}

/// Each record's stays from its events (oldest first): a state change
/// closes the stay in `from` and opens one in `to`.
fn stays(events: &[Event]) -> Vec<Stay> {
    let mut by_record: HashMap<&str, Vec<&Event>> = HashMap::new();
    for event in events {
        by_record
            .entry(event.entity.id.as_str())
            .or_default()
            .push(event);
    }
    let mut out = Vec::new();
    for (_, mut list) in by_record {
        list.sort_by_key(|e| (e.seq, e.at));
        let mut open: Option<Stay> = None;
        for event in list {
            let (Some(to), from) = (&event.to, &event.from) else {
                continue;
            };
            if from.as_ref() == Some(to) {
                continue;
            }
            if let Some(mut stay) = open.take() {
                stay.left = Some((event.at, to.clone()));
                out.push(stay);
            }
            open = Some(Stay {
                stage: to.clone(),
                entered: event.at,
                left: None,
            });
        }
        out.extend(open);
    }
    out
}

/// Stage-to-stage conversion from the records' events: every move in the
/// period, with its share of the moves out of its stage and the days spent
/// there before it. Sorted by `from`, then `to`.
pub fn stage_moves(events: &[Event], period: Period) -> Vec<StageMoveRow> {
    let mut moves: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut out_of: HashMap<String, usize> = HashMap::new();
    for stay in stays(events) {
        if let Some((at, to)) = &stay.left {
            if period.contains(*at) {
                moves
                    .entry((stay.stage.clone(), to.clone()))
                    .or_default()
                    .push(days(stay.entered, *at));
                *out_of.entry(stay.stage.clone()).or_default() += 1;
            }
        }
    }
    moves
        .into_iter()
        .map(|((from, to), spent)| StageMoveRow {
            share: rate(spent.len(), out_of.get(&from).copied().unwrap_or(0)),
            moves: spent.len(),
            mean_days: mean(&spent),
            median_days: median(&spent),
            from,
            to,
        })
        .collect()
}

/// Time in stage from the records' events, by stage.
pub fn time_in_stage(events: &[Event], period: Period) -> Vec<StageTimeRow> {
    let mut rows: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for stay in stays(events) {
        let row = rows.entry(stay.stage.clone()).or_default();
        if period.contains(stay.entered) {
            row.0 += 1;
        }
        if let Some((at, _)) = &stay.left {
            if period.contains(*at) {
                row.1.push(days(stay.entered, *at));
            }
        }
    }
    rows.into_iter()
        .filter(|(_, (entered, spent))| *entered > 0 || !spent.is_empty())
        .map(|(stage, (entered, spent))| StageTimeRow {
            stage,
            entered,
            left: spent.len(),
            mean_days: mean(&spent),
            median_days: median(&spent),
        })
        .collect()
}

// ----- deals -----------------------------------------------------------------------

fn won(deal: &Opportunity) -> bool {
    deal.contract.is_some() || deal.stage == "won"
}

/// Win rate: deals closed in the period, by owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WinRateRow {
    /// The owner (`null`: deals with none).
    pub owner: Option<String>,
    /// Deals won in the period.
    pub won: usize,
    /// Deals lost in the period.
    pub lost: usize,
    /// `won / (won + lost)`.
    pub win_rate: Option<f64>,
}
columns!(WinRateRow, { owner: Text, won: Integer, lost: Integer, win_rate: Float });

/// Win rate of the deals closed in the period, by owner.
pub fn win_rate(deals: &[Opportunity], period: Period) -> Vec<WinRateRow> {
    let mut by_owner: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
    for deal in deals {
        if !deal.closed_at.is_some_and(|at| period.contains(at)) {
            continue;
        }
        let entry = by_owner
            .entry(deal.owner.as_ref().map(|o| o.to_string()))
            .or_default();
        if won(deal) {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    by_owner
        .into_iter()
        .map(|(owner, (w, l))| WinRateRow {
            owner,
            won: w,
            lost: l,
            win_rate: rate(w, w + l),
        })
        .collect()
}

/// Why deals were lost in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LostReasonRow {
    /// The reason given.
    pub reason: Option<String>,
    /// Deals lost for it.
    pub deals: usize,
    /// Its share of the deals lost.
    pub share: Option<f64>,
}
columns!(LostReasonRow, { reason: Text, deals: Integer, share: Float });

/// Lost reasons, most frequent first (then by reason).
pub fn lost_reasons(deals: &[Opportunity], period: Period) -> Vec<LostReasonRow> {
    let lost: Vec<&Opportunity> = deals
        .iter()
        .filter(|d| d.closed_at.is_some_and(|at| period.contains(at)) && !won(d))
        .collect();
    let mut counts: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for deal in &lost {
        *counts.entry(deal.lost_reason.clone()).or_default() += 1;
    }
    let mut rows: Vec<LostReasonRow> = counts
        .into_iter()
        .map(|(reason, n)| LostReasonRow {
            reason,
            deals: n,
            share: rate(n, lost.len()),
        })
        .collect();
    rows.sort_by(|a, b| b.deals.cmp(&a.deals).then_with(|| a.reason.cmp(&b.reason)));
    rows
}

/// Sales cycle: days from a deal's creation to its close.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleRow {
    /// `won`, `lost` or `all`.
    pub outcome: String,
    /// Deals closed in the period.
    pub deals: usize,
    /// Mean days.
    pub mean_days: Option<f64>,
    /// Median days.
    pub median_days: Option<f64>,
}
columns!(CycleRow, { outcome: Text, deals: Integer, mean_days: Float, median_days: Float });

/// Average and median cycle time of the deals closed in the period.
pub fn cycle_time(deals: &[Opportunity], period: Period) -> Vec<CycleRow> {
    let (mut w, mut l) = (Vec::new(), Vec::new());
    for deal in deals {
        if let Some(closed) = deal.closed_at.filter(|at| period.contains(*at)) {
            let d = days(deal.meta.created_at, closed);
            if won(deal) { w.push(d) } else { l.push(d) }
        }
    }
    let all: Vec<f64> = w.iter().chain(&l).copied().collect();
    [("won", w), ("lost", l), ("all", all)]
        .into_iter()
        .map(|(outcome, values)| CycleRow {
            outcome: outcome.to_string(),
            deals: values.len(),
            mean_days: mean(&values),
            median_days: median(&values),
        })
        .collect()
}

/// The weighted pipeline of one close month and forecast category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// The expected close month (`2026-03`; `null`: no date).
    pub month: Option<String>,
    /// `commit` (probability 90 or more), `best_case` (50 or more) or
    /// `pipeline`.
    pub category: String,
    /// The currency.
    pub currency: String,
    /// Open deals.
    pub deals: usize,
    /// Their expected amounts.
    pub amount: Decimal,
    /// Each amount times its stage's probability, summed (rounded half up
    /// to the currency's minor unit per deal).
    pub weighted: Decimal,
}
columns!(ForecastRow, {
    month: Date, category: Text, currency: Text, deals: Integer, amount: Decimal, weighted: Decimal
});

/// The forecast category of a stage probability.
pub fn forecast_category(probability: u8) -> &'static str {
    match probability {
        90.. => "commit",
        50..=89 => "best_case",
        _ => "pipeline",
    }
}

/// Weighted pipeline by close month and forecast category: the open deals
/// with an expected amount.
pub fn forecast(deals: &[Opportunity]) -> Vec<ForecastRow> {
    type Key = (Option<String>, &'static str, String);
    let mut rows: BTreeMap<Key, (usize, Decimal, Decimal)> = BTreeMap::new();
    for deal in deals.iter().filter(|d| d.closed_at.is_none()) {
        let Some(amount) = deal.expected_amount else {
            continue;
        };
        let month = deal
            .expected_close_date
            .map(|d| format!("{:04}-{:02}", d.year(), d.month()));
        let currency = amount.currency();
        let weighted = round_minor(
            amount.amount() * Decimal::from(deal.probability) / Decimal::ONE_HUNDRED,
            currency.minor_units(),
        );
        let entry = rows
            .entry((
                month,
                forecast_category(deal.probability),
                currency.to_string(),
            ))
            .or_default();
        entry.0 += 1;
        entry.1 += amount.amount();
        entry.2 += weighted;
    }
    rows.into_iter()
        .map(
            |((month, category, currency), (n, amount, weighted))| ForecastRow {
                month,
                category: category.to_string(),
                currency,
                deals: n,
                amount,
                weighted,
            },
        )
        .collect()
}

// ----- customers -----------------------------------------------------------------

/// New, active and churned customers, and the churn rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnRow {
    /// Customers at the start: created before it and not churned then.
    pub at_start: usize,
    /// Customers created in the period.
    pub new: usize,
    /// Customers with a purchase in the period.
    pub active: usize,
    /// Customers that entered the `churned` stage in the period.
    pub churned: usize,
    /// `churned / at_start`.
    pub churn_rate: Option<f64>,
}
columns!(ChurnRow, {
    at_start: Integer, new: Integer, active: Integer, churned: Integer, churn_rate: Float
});

/// Churn over the period. `events`: the customers' events (for when they
/// entered `churned`); `purchases`: (customer, when) of every purchase.
pub fn churn(
    customers: &[Customer],
    events: &[Event],
    purchases: &[(CustomerId, DateTime<Utc>)],
    period: Period,
) -> ChurnRow {
    // Per customer: the stage it was in at the start (its last stage change
    // before), and whether it entered `churned` in the period.
    let mut before: HashMap<&str, (DateTime<Utc>, u64, &str)> = HashMap::new();
    let mut churned_in: BTreeSet<&str> = BTreeSet::new();
    for event in events {
        let (Some(to), id) = (event.to.as_deref(), event.entity.id.as_str()) else {
            continue;
        };
        if event.from.as_deref() == Some(to) {
            continue;
        }
        if event.at < period.from {
            let last = before.entry(id).or_insert((event.at, event.seq, to));
            if (event.at, event.seq) >= (last.0, last.1) {
                *last = (event.at, event.seq, to);
            }
        } else if period.contains(event.at) && to == "churned" {
            churned_in.insert(id);
        }
    }
    let mut ids = BTreeSet::new();
    let (mut at_start, mut new, mut churned) = (0, 0, 0);
    for customer in customers {
        let id = customer.id.to_string();
        let created = customer.meta.created_at;
        if created < period.from {
            let gone = before
                .get(id.as_str())
                .is_some_and(|(_, _, s)| *s == "churned");
            at_start += usize::from(!gone);
        } else if period.contains(created) {
            new += 1;
        }
        churned += usize::from(churned_in.contains(id.as_str()));
        ids.insert(id);
    }
    let active: BTreeSet<String> = purchases
        .iter()
        .filter(|(_, at)| period.contains(*at))
        .map(|(c, _)| c.to_string())
        .filter(|c| ids.contains(c))
        .collect();
    ChurnRow {
        at_start,
        new,
        active: active.len(),
        churned,
        churn_rate: rate(churned, at_start),
    }
}

// ----- service -------------------------------------------------------------------

/// The service desk's figures for the tickets opened in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// The group (`priority`, `category`, or `all`).
    pub group: Option<String>,
    /// Tickets opened in the period.
    pub tickets: usize,
    /// Of those, resolved (or closed).
    pub resolved: usize,
    /// Mean working minutes to the first response (SLA clocks).
    pub first_response_mean_minutes: Option<f64>,
    /// Median working minutes to the first response.
    pub first_response_median_minutes: Option<f64>,
    /// Mean working minutes to resolution.
    pub resolution_mean_minutes: Option<f64>,
    /// Median working minutes to resolution.
    pub resolution_median_minutes: Option<f64>,
    /// Targets met.
    pub sla_met: usize,
    /// Targets missed.
    pub sla_breached: usize,
    /// `met / (met + breached)`.
    pub sla_attainment: Option<f64>,
    /// Tickets reopened at least once.
    pub reopened: usize,
    /// `reopened / resolved`.
    pub reopen_rate: Option<f64>,
    /// CSAT answers.
    pub csat_answers: usize,
    /// Their mean (1 to 5).
    pub csat_mean: Option<f64>,
    /// NPS answers.
    pub nps_answers: usize,
    /// Net promoter score: % promoters (9-10) - % detractors (0-6).
    pub nps: Option<f64>,
}
columns!(ServiceRow, {
    group: Text, tickets: Integer, resolved: Integer,
    first_response_mean_minutes: Float, first_response_median_minutes: Float,
    resolution_mean_minutes: Float, resolution_median_minutes: Float,
    sla_met: Integer, sla_breached: Integer, sla_attainment: Float,
    reopened: Integer, reopen_rate: Float, csat_answers: Integer, csat_mean: Float,
    nps_answers: Integer, nps: Float
});

/// Net promoter score of answers 0 to 10, in points (-100 to 100).
pub fn nps(answers: &[u8]) -> Option<f64> {
    let n = answers.len();
    let promoters = answers.iter().filter(|a| **a >= 9).count();
    let detractors = answers.iter().filter(|a| **a <= 6).count();
    (n > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / n as f64)
}

/// Service metrics for the tickets opened in the period, grouped by `by`
/// (`priority`, `category`; anything else: one row, `all`).
pub fn service(tickets: &[Ticket], period: Period, by: Option<&str>) -> Vec<ServiceRow> {
    let mut groups: BTreeMap<Option<String>, Vec<&Ticket>> = BTreeMap::new();
    for ticket in tickets
        .iter()
        .filter(|t| period.contains(t.meta.created_at))
    {
        let key = match by {
            Some("priority") => Some(ticket.priority.to_string()),
            Some("category") => ticket.category.clone(),
            _ => Some("all".to_string()),
        };
        groups.entry(key).or_default().push(ticket);
    }
    groups
        .into_iter()
        .map(|(group, list)| {
            let (mut first, mut resolution) = (Vec::new(), Vec::new());
            let (mut met, mut breached) = (0, 0);
            for ticket in &list {
                for clock in ticket.sla.iter().flat_map(|s| &s.clocks) {
                    let Some(_) = clock.stopped_at else { continue };
                    let minutes = clock.consumed_seconds as f64 / 60.0;
                    match clock.target {
                        Target::FirstResponse => first.push(minutes),
                        Target::Resolution => resolution.push(minutes),
                    }
                    match clock.met {
                        Some(true) => met += 1,
                        Some(false) => breached += 1,
                        None => {}
                    }
                }
            }
            let resolved = list.iter().filter(|t| t.resolved_at.is_some()).count();
            let reopened = list.iter().filter(|t| t.reopen_count > 0).count();
            let csat: Vec<f64> = list
                .iter()
                .filter_map(|t| t.survey.as_ref()?.csat)
                .map(f64::from)
                .collect();
            let scores: Vec<u8> = list.iter().filter_map(|t| t.survey.as_ref()?.nps).collect();
            ServiceRow {
                group,
                tickets: list.len(),
                resolved,
                first_response_mean_minutes: mean(&first),
                first_response_median_minutes: median(&first),
                resolution_mean_minutes: mean(&resolution),
                resolution_median_minutes: median(&resolution),
                sla_met: met,
                sla_breached: breached,
                sla_attainment: rate(met, met + breached),
                reopened,
                reopen_rate: rate(reopened, resolved),
                csat_answers: csat.len(),
                csat_mean: mean(&csat),
                nps_answers: scores.len(),
                nps: nps(&scores),
            }
        })
        .collect()
}

// ----- marketing and targets -----------------------------------------------------

/// What a channel or campaign cost in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// The channel (`null`: any).
    #[serde(default)]
    pub channel: Option<String>,
    /// The campaign (`null`: any).
    #[serde(default)]
    pub campaign: Option<String>,
    /// What it cost.
    pub amount: Money,
}

/// Return on a channel's (and campaign's) spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRow {
    /// The channel.
    pub channel: Option<String>,
    /// The campaign.
    pub campaign: Option<String>,
    /// The currency of the cost and revenue.
    pub currency: Option<String>,
    /// What it cost.
    pub cost: Decimal,
    /// Leads created in the period.
    pub leads: usize,
    /// Customers those leads became.
    pub new_customers: usize,
    /// Won deals from those leads (their contracts' amounts, in the currency).
    pub revenue: Decimal,
    /// `cost / leads`.
    pub cost_per_lead: Option<Decimal>,
    /// `cost / new_customers`.
    pub cost_per_customer: Option<Decimal>,
    /// `revenue / cost`.
    pub roi: Option<f64>,
}
columns!(ChannelRow, {
    channel: Text, campaign: Text, currency: Text, cost: Decimal, leads: Integer,
    new_customers: Integer, revenue: Decimal, cost_per_lead: Decimal, cost_per_customer: Decimal,
    roi: Float
});

/// Channel ROI, cost per lead and per new customer: leads created in the
/// period grouped by channel and campaign, with the costs given for that
/// channel and campaign.
pub fn channel_roi(
    leads: &[Lead],
    deals: &[Opportunity],
    contracts: &[Contract],
    costs: &[Cost],
    period: Period,
) -> Vec<ChannelRow> {
    type Key = (Option<String>, Option<String>);
    let mut groups: BTreeMap<Key, Vec<&Lead>> = BTreeMap::new();
    for lead in leads.iter().filter(|l| period.contains(l.meta.created_at)) {
        groups
            .entry((lead.channel.clone(), lead.campaign.clone()))
            .or_default()
            .push(lead);
    }
    for cost in costs {
        groups
            .entry((cost.channel.clone(), cost.campaign.clone()))
            .or_default();
    }
    let contract_amount: HashMap<String, Money> = contracts
        .iter()
        .filter(|c| c.signed_at.is_some())
        .map(|c| (c.id.to_string(), c.amount))
        .collect();
    let mut deal_revenue: HashMap<LeadId, Vec<Money>> = HashMap::new();
    for deal in deals.iter().filter(|d| won(d)) {
        if let (Some(lead), Some(contract)) = (deal.lead, deal.contract) {
            if let Some(amount) = contract_amount.get(&contract.to_string()) {
                deal_revenue.entry(lead).or_default().push(*amount);
            }
        }
    }
    groups
        .into_iter()
        .map(|((channel, campaign), list)| {
            let matching: Vec<&Cost> = costs
                .iter()
                .filter(|c| c.channel == channel && c.campaign == campaign)
                .collect();
            let currency: Option<Currency> = matching.first().map(|c| c.amount.currency());
            let cost: Decimal = matching
                .iter()
                .filter(|c| Some(c.amount.currency()) == currency)
                .map(|c| c.amount.amount())
                .sum();
            let customers: BTreeSet<String> = list
                .iter()
                .filter_map(|l| l.conversion.as_ref().map(|c| c.customer.to_string()))
                .collect();
            let revenue: Decimal = list
                .iter()
                .flat_map(|l| deal_revenue.get(&l.id).into_iter().flatten())
                .filter(|m| currency.is_none_or(|c| m.currency() == c))
                .map(|m| m.amount())
                .sum();
            let minor = currency.map_or(2, |c| c.minor_units());
            let per = |n: usize| {
                (n > 0 && currency.is_some()).then(|| round_minor(cost / Decimal::from(n), minor))
            };
            ChannelRow {
                currency: currency.map(|c| c.to_string()),
                cost,
                leads: list.len(),
                new_customers: customers.len(),
                revenue,
                cost_per_lead: per(list.len()),
                cost_per_customer: per(customers.len()),
                roi: (cost > Decimal::ZERO).then(|| {
                    use rust_decimal::prelude::ToPrimitive;
                    (revenue / cost).to_f64().unwrap_or(0.0)
                }),
                channel,
                campaign,
            }
        })
        .collect()
}

/// A sales target for a user or a team over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesTarget {
    /// The user (or give a team).
    #[serde(default)]
    pub user: Option<UserId>,
    /// The team.
    #[serde(default)]
    pub team: Option<TeamId>,
    /// The period.
    pub from: DateTime<Utc>,
    /// Its end (excluded).
    pub until: DateTime<Utc>,
    /// Contract amounts signed.
    #[serde(default)]
    pub amount: Option<Money>,
    /// New customers.
    #[serde(default)]
    pub new_customers: Option<u32>,
    /// Activities logged.
    #[serde(default)]
    pub activities: Option<u32>,
}

/// A target's attainment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// `user` or `team`.
    pub level: String,
    /// The user's or the team's id.
    pub who: String,
    /// The period's start.
    pub from: DateTime<Utc>,
    /// Its end.
    pub until: DateTime<Utc>,
    /// The amount's currency.
    pub currency: Option<String>,
    /// The amount aimed at.
    pub amount_target: Option<Decimal>,
    /// Signed contract amounts (in the currency).
    pub amount_actual: Decimal,
    /// `actual / target`.
    pub amount_attainment: Option<f64>,
    /// New customers aimed at.
    pub customers_target: Option<u32>,
    /// New customers owned.
    pub customers_actual: usize,
    /// `actual / target`.
    pub customers_attainment: Option<f64>,
    /// Activities aimed at.
    pub activities_target: Option<u32>,
    /// Activities logged.
    pub activities_actual: usize,
    /// `actual / target`.
    pub activities_attainment: Option<f64>,
    /// Rank by amount attainment (then customers, then activities), 1 best.
    pub rank: usize,
}
columns!(TargetRow, {
    level: Text, who: Text, from: Time, until: Time, currency: Text,
    amount_target: Decimal, amount_actual: Decimal, amount_attainment: Float,
    customers_target: Integer, customers_actual: Integer, customers_attainment: Float,
    activities_target: Integer, activities_actual: Integer, activities_attainment: Float,
    rank: Integer
});

/// Attainment of each target, ranked. `team_of` gives a user's team (for
/// team targets: what the team's members did).
pub fn targets(
    targets: &[SalesTarget],
    contracts: &[Contract],
    customers: &[Customer],
    activities: &[Activity],
    team_of: &dyn Fn(&UserId) -> Option<TeamId>,
) -> Vec<TargetRow> {
    use rust_decimal::prelude::ToPrimitive;
    let mut rows: Vec<TargetRow> = targets
        .iter()
        .map(|t| {
            let period = Period {
                from: t.from,
                until: t.until,
            };
            let mine = |owner: Option<&UserId>, team: Option<&TeamId>| match (&t.user, &t.team) {
                (Some(user), _) => owner == Some(user),
                (None, Some(wanted)) => {
                    team == Some(wanted) || owner.and_then(team_of).as_ref() == Some(wanted)
                }
                _ => false,
            };
            let currency = t.amount.map(|a| a.currency());
            let amount_actual: Decimal = contracts
                .iter()
                .filter(|c| c.signed_at.is_some_and(|at| period.contains(at)))
                .filter(|c| mine(c.owner.as_ref(), c.team.as_ref()))
                .filter(|c| currency.is_none_or(|cur| c.amount.currency() == cur))
                .map(|c| c.amount.amount())
                .sum();
            let customers_actual = customers
                .iter()
                .filter(|c| {
                    period.contains(c.meta.created_at) && mine(c.owner.as_ref(), c.team.as_ref())
                })
                .count();
            let activities_actual = activities
                .iter()
                .filter(|a| period.contains(a.occurred_at) && mine(Some(&a.by), a.team.as_ref()))
                .count();
            let ratio = |actual: f64, target: f64| (target > 0.0).then(|| actual / target);
            TargetRow {
                level: if t.user.is_some() { "user" } else { "team" }.to_string(),
                who: t
                    .user
                    .as_ref()
                    .map(|u| u.to_string())
                    .or_else(|| t.team.as_ref().map(|team| team.to_string()))
                    .unwrap_or_default(),
                from: t.from,
                until: t.until,
                currency: currency.map(|c| c.to_string()),
                amount_target: t.amount.map(|a| a.amount()),
                amount_attainment: t
                    .amount
                    .and_then(|a| ratio(amount_actual.to_f64()?, a.amount().to_f64()?)),
                amount_actual,
                customers_target: t.new_customers,
                customers_attainment: t
                    .new_customers
                    .and_then(|n| ratio(customers_actual as f64, f64::from(n))),
                customers_actual,
                activities_target: t.activities,
                activities_attainment: t
                    .activities
                    .and_then(|n| ratio(activities_actual as f64, f64::from(n))),
                activities_actual,
                rank: 0,
            }
        })
        .collect();
    let key = |r: &TargetRow| {
        [
            r.amount_attainment,
            r.customers_attainment,
            r.activities_attainment,
        ]
        .map(|v| v.unwrap_or(f64::NEG_INFINITY))
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(&rows[a]), key(&rows[b]));
        kb[0]
            .total_cmp(&ka[0])
            .then(kb[1].total_cmp(&ka[1]))
            .then(kb[2].total_cmp(&ka[2]))
    });
    for (rank, i) in order.into_iter().enumerate() {
        rows[i].rank = rank + 1;
    }
    rows
}
