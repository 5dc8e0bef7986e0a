//! Every metric on a small, hand-computed history: leads from two channels,
//! four deals moving through the stages over ten days, a churned customer,
//! three tickets on a 24/7 calendar, costs and targets.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;
use crate::access::Actor;
use crate::analytics::{Table, metrics::Cost, metrics::SalesTarget};
use crate::model::{
    ActivityKind, Money, NewActivity, NewCustomer, NewLead, NewOpportunity, NewTicket,
    TicketPriority,
};
use crate::store::MemoryStore;
use crate::{FixedClock, SeededIds, TeamId};

fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::days(d)
}

fn eur(text: &str) -> Money {
    Money::parse(text, "EUR").unwrap()
}

const CONFIG: &str = r#"{"sla": {
  "calendars": {"always": {"time_zone": "UTC", "hours": {"mon-sun": [["00:00", "24:00"]]}}},
  "policies": [{"name": "standard", "calendar": "always", "first_response_minutes": 60, "resolution_minutes": 480}]}}"#;

struct History {
    crm: Crm<MemoryStore>,
    root: Actor,
    ana: Actor,
}

fn history() -> History {
    let clock = FixedClock::new(day(0));
    let config = Config::from_json(CONFIG).unwrap();
    let mut crm = Crm::new(MemoryStore::new(), config, clock.clone(), SeededIds::new(3)).unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
    let lead = |crm: &mut Crm<MemoryStore>,
                source: &str,
                channel: &str,
                campaign: Option<&str>,
                name: &str| {
        crm.create_lead(
            &ana,
            NewLead {
                source: Some(source.into()),
                channel: Some(channel.into()),
                campaign: campaign.map(Into::into),
                company: Some(name.into()),
                contact_name: Some(format!("{name} buyer")),
                owner: Some(ana.user.clone()),
                ..NewLead::default()
            },
        )
        .unwrap()
    };
    let convert = |crm: &mut Crm<MemoryStore>, id, amount: &str| {
        crm.qualify_lead(&ana, id).unwrap();
        crm.convert_lead(
            &ana,
            id,
            ConvertLead {
                opportunity: Some(DealFromLead {
                    expected_amount: Some(eur(amount)),
                    ..DealFromLead::default()
                }),
                ..ConvertLead::default()
            },
        )
        .unwrap()
    };
    let l1 = lead(&mut crm, "web", "online", Some("spring"), "Alpha");
    let l2 = lead(&mut crm, "web", "online", Some("spring"), "Beta");
    let l3 = lead(&mut crm, "fair", "offline", None, "Gamma");
    lead(&mut crm, "fair", "offline", None, "Delta");
    let c1 = convert(&mut crm, l1.id, "1000.00");
    crm.discard_lead(&ana, l2.id, "no budget").unwrap();
    let c2 = convert(&mut crm, l3.id, "400.00");
    let (d1, d2) = (c1.opportunity.unwrap(), c2.opportunity.unwrap());
    let deal = |crm: &mut Crm<MemoryStore>, amount: &str, close: (u32, u32)| {
        crm.create_opportunity(
            &ana,
            NewOpportunity {
                name: "Extra".into(),
                customer: Some(c1.customer),
                expected_amount: Some(eur(amount)),
                expected_close_date: NaiveDate::from_ymd_opt(2026, close.0, close.1),
                ..NewOpportunity::default()
            },
        )
        .unwrap()
        .id
    };
    deal(&mut crm, "500.00", (2, 15));
    let d4 = deal(&mut crm, "2000.00", (3, 10));
    let mut c3 = crm
        .create_customer(
            &ana,
            NewCustomer {
                name: "Omega".into(),
                ..NewCustomer::default()
            },
        )
        .unwrap();
    c3 = crm
        .transition(&ana, c3.key(), "onboard", TransitionInput::default())
        .map(|r| crate::model::Customer::from_any(r).unwrap())
        .unwrap();

    clock.set(day(2));
    crm.advance_opportunity(&ana, d1, None).unwrap();
    clock.set(day(5));
    crm.advance_opportunity(&ana, d1, None).unwrap();
    crm.advance_opportunity(&ana, d2, None).unwrap();
    crm.advance_opportunity(&ana, d4, None).unwrap();
    crm.advance_opportunity(&ana, d4, None).unwrap();
    clock.set(day(10));
    let (_, contract) = crm.win_opportunity(&ana, d1).unwrap();
    crm.sign_contract(&root, contract.id).unwrap();
    crm.lose_opportunity(&ana, d2, "price").unwrap();
    crm.log_activity(
        &ana,
        NewActivity::new(ActivityKind::Call, c1.customer, "Kick-off"),
    )
    .unwrap();
    clock.set(day(15));
    crm.create_customer(
        &ana,
        NewCustomer {
            name: "Newcomer".into(),
            ..NewCustomer::default()
        },
    )
    .unwrap();
    clock.set(day(20));
    crm.transition(
        &ana,
        c3.key(),
        "churn",
        TransitionInput {
            reason: Some("moved away".into()),
            ..TransitionInput::default()
        },
    )
    .unwrap();

    // Tickets: 30 and 120 minutes to respond, 120 and 540 to resolve.
    let ticket = |crm: &mut Crm<MemoryStore>, start: DateTime<Utc>, respond: i64, resolve: i64| {
        clock.set(start);
        let t = crm
            .open_ticket(
                &root,
                NewTicket {
                    subject: "Help".into(),
                    priority: TicketPriority::Normal,
                    ..NewTicket::default()
                },
            )
            .unwrap();
        crm.assign_ticket(&root, t.id, UserId::new("root").unwrap())
            .unwrap();
        clock.set(start + Duration::minutes(respond));
        crm.start_ticket(&root, t.id).unwrap();
        clock.set(start + Duration::minutes(resolve));
        crm.resolve_ticket(&root, t.id, "done").unwrap();
        t.id
    };
    let t1 = ticket(&mut crm, day(21), 30, 120);
    let t2 = ticket(&mut crm, day(22), 120, 540);
    crm.answer_survey(
        &root,
        t1,
        SurveyAnswer {
            csat: Some(5),
            nps: Some(10),
            ..SurveyAnswer::default()
        },
    )
    .unwrap();
    crm.answer_survey(
        &root,
        t2,
        SurveyAnswer {
            csat: Some(2),
            nps: Some(3),
            ..SurveyAnswer::default()
        },
    )
    .unwrap();
    clock.set(day(23));
    crm.open_ticket(
        &root,
        NewTicket {
            subject: "Untouched".into(),
            ..NewTicket::default()
        },
    )
    .unwrap();
    clock.set(day(30));
    History { crm, root, ana }
}

fn query(metric: Metric, from: i64, until: i64) -> MetricQuery {
    MetricQuery {
        from: Some(day(from)),
        until: Some(day(until)),
        ..MetricQuery::new(metric)
    }
}

fn rows(table: &Table) -> Vec<Value> {
    table.records().into_iter().map(Value::Object).collect()
}

fn close(value: &Value, want: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - want).abs() < 1e-9)
}

#[test]
fn lead_conversion_by_source_channel_and_campaign() {
    let h = history();
    let table = h
        .crm
        .metric(&h.ana, &query(Metric::LeadConversion, 0, 30))
        .unwrap();
    assert_eq!(
        rows(&table),
        [
            json!({"source": "fair", "channel": "offline", "campaign": null, "leads": 2, "converted": 1, "discarded": 0, "conversion_rate": 0.5}),
            json!({"source": "web", "channel": "online", "campaign": "spring", "leads": 2, "converted": 1, "discarded": 1, "conversion_rate": 0.5}),
        ]
    );
    assert_eq!(table.columns[6].kind, crate::analytics::ColumnKind::Float);
    // Another owner's scope holds none of them; a period before them neither.
    let mut bo = query(Metric::LeadConversion, 0, 30);
    bo.scope = Scope::User(UserId::new("bo").unwrap());
    assert!(h.crm.metric(&h.root, &bo).unwrap().rows.is_empty());
    assert!(
        h.crm
            .metric(&h.ana, &query(Metric::LeadConversion, -5, -1))
            .unwrap()
            .rows
            .is_empty()
    );
}

#[test]
fn stage_moves_and_time_in_stage_come_from_the_events() {
    let h = history();
    let moves = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::StageConversion, 0, 30))
            .unwrap(),
    );
    let find = |from: &str, to: &str| {
        moves
            .iter()
            .find(|r| r["from"] == from && r["to"] == to)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let na = find("needs_analysis", "proposal");
    assert_eq!(na["moves"], 3);
    assert!(
        close(&na["share"], 1.0) && close(&na["mean_days"], 4.0) && close(&na["median_days"], 5.0),
        "{na}"
    );
    let pn = find("proposal", "negotiation");
    assert!(
        close(&pn["share"], 2.0 / 3.0) && close(&pn["mean_days"], 1.5),
        "{pn}"
    );
    let pl = find("proposal", "lost");
    assert!(
        close(&pl["share"], 1.0 / 3.0) && close(&pl["median_days"], 5.0),
        "{pl}"
    );
    assert!(close(&find("negotiation", "won")["mean_days"], 5.0));
    let stays = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::TimeInStage, 0, 30))
            .unwrap(),
    );
    let stage = |name: &str| stays.iter().find(|r| r["stage"] == name).cloned().unwrap();
    assert_eq!(
        (
            stage("needs_analysis")["entered"].clone(),
            stage("needs_analysis")["left"].clone()
        ),
        (json!(4), json!(3))
    );
    let proposal = stage("proposal");
    assert_eq!(
        (proposal["entered"].clone(), proposal["left"].clone()),
        (json!(3), json!(3))
    );
    assert!(close(&proposal["mean_days"], 8.0 / 3.0) && close(&proposal["median_days"], 3.0));
    assert_eq!(stage("negotiation")["left"], 1);
    assert_eq!(stage("won")["entered"], 1);
}

#[test]
fn win_rate_lost_reasons_cycle_time_and_forecast() {
    let h = history();
    let win = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::WinRate, 0, 30))
            .unwrap(),
    );
    assert_eq!(
        win,
        [json!({"owner": "ana", "won": 1, "lost": 1, "win_rate": 0.5})]
    );
    let lost = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::LostReasons, 0, 30))
            .unwrap(),
    );
    assert_eq!(lost, [json!({"reason": "price", "deals": 1, "share": 1.0})]);
    let cycle = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::CycleTime, 0, 30))
            .unwrap(),
    );
    assert_eq!(
        cycle[0],
        json!({"outcome": "won", "deals": 1, "mean_days": 10.0, "median_days": 10.0})
    );
    assert_eq!(cycle[2]["deals"], 2);
    // Nothing closed before day 10.
    assert_eq!(
        rows(
            &h.crm
                .metric(&h.ana, &query(Metric::WinRate, 0, 10))
                .unwrap()
        )
        .len(),
        0
    );
    let forecast = rows(
        &h.crm
            .metric(&h.ana, &query(Metric::Forecast, 0, 30))
            .unwrap(),
    );
    assert_eq!(
        forecast,
        [
            json!({"month": "2026-02", "category": "pipeline", "currency": "EUR", "deals": 1, "amount": "500.00", "weighted": "50.00"}),
            json!({"month": "2026-03", "category": "best_case", "currency": "EUR", "deals": 1, "amount": "2000.00", "weighted": "1200.00"}),
        ]
    );
}

#[test]
fn churn_counts_the_customers_at_the_start_new_active_and_churned() {
    let h = history();
    let churn = rows(&h.crm.metric(&h.ana, &query(Metric::Churn, 10, 30)).unwrap());
    let row = &churn[0];
    assert_eq!(
        (
            row["at_start"].clone(),
            row["new"].clone(),
            row["active"].clone(),
            row["churned"].clone()
        ),
        (json!(3), json!(1), json!(1), json!(1))
    );
    assert!(close(&row["churn_rate"], 1.0 / 3.0));
    // After day 20 the churned customer is not at the start.
    let later = rows(&h.crm.metric(&h.ana, &query(Metric::Churn, 21, 30)).unwrap());
    assert_eq!(
        (later[0]["at_start"].clone(), later[0]["churned"].clone()),
        (json!(3), json!(0))
    );
}

#[test]
fn service_figures_use_the_working_clocks_and_the_surveys() {
    let h = history();
    let service = rows(
        &h.crm
            .metric(&h.root, &query(Metric::Service, 0, 30))
            .unwrap(),
    );
    let all = &service[0];
    assert_eq!(all["group"], "all");
    assert_eq!(
        (all["tickets"].clone(), all["resolved"].clone()),
        (json!(3), json!(2))
    );
    assert!(
        close(&all["first_response_mean_minutes"], 75.0)
            && close(&all["resolution_median_minutes"], 330.0),
        "{all}"
    );
    assert_eq!(
        (all["sla_met"].clone(), all["sla_breached"].clone()),
        (json!(2), json!(2))
    );
    assert!(close(&all["sla_attainment"], 0.5) && close(&all["reopen_rate"], 0.0));
    assert!(close(&all["csat_mean"], 3.5) && close(&all["nps"], 0.0));
    let err = {
        let mut q = query(Metric::Service, 0, 30);
        q.group_by = Some("colour".into());
        h.crm.metric(&h.root, &q).unwrap_err()
    };
    assert_eq!(
        err.to_string(),
        "invalid group_by: is one of priority, category, all (got `colour`)"
    );
}

#[test]
fn channel_roi_and_targets() {
    let h = history();
    let mut q = query(Metric::ChannelRoi, 0, 30);
    q.costs = vec![
        Cost {
            channel: Some("online".into()),
            campaign: Some("spring".into()),
            amount: eur("300.00"),
        },
        Cost {
            channel: Some("offline".into()),
            campaign: None,
            amount: eur("100.00"),
        },
    ];
    let roi = rows(&h.crm.metric(&h.ana, &q).unwrap());
    assert_eq!(roi[0]["channel"], "offline");
    assert_eq!(
        (
            roi[0]["leads"].clone(),
            roi[0]["new_customers"].clone(),
            roi[0]["revenue"].clone()
        ),
        (json!(2), json!(1), json!("0"))
    );
    assert_eq!(
        (
            roi[0]["cost_per_lead"].clone(),
            roi[0]["cost_per_customer"].clone()
        ),
        (json!("50.00"), json!("100.00"))
    );
    assert_eq!(roi[1]["revenue"], "1000.00");
    assert!(close(&roi[1]["roi"], 1000.0 / 300.0));
    let mut q = query(Metric::Targets, 0, 30);
    q.targets = vec![
        SalesTarget {
            user: Some(UserId::new("bo").unwrap()),
            team: None,
            from: day(0),
            until: day(30),
            amount: Some(eur("100.00")),
            new_customers: None,
            activities: None,
        },
        SalesTarget {
            user: Some(UserId::new("ana").unwrap()),
            team: None,
            from: day(0),
            until: day(30),
            amount: Some(eur("2000.00")),
            new_customers: Some(4),
            activities: Some(2),
        },
    ];
    let targets = rows(&h.crm.metric(&h.root, &q).unwrap());
    let ana = &targets[1];
    assert_eq!(
        (
            ana["amount_actual"].clone(),
            ana["customers_actual"].clone(),
            ana["activities_actual"].clone()
        ),
        (json!("1000.00"), json!(4), json!(1))
    );
    assert!(
        close(&ana["amount_attainment"], 0.5)
            && close(&ana["customers_attainment"], 1.0)
            && close(&ana["activities_attainment"], 0.5)
    );
    assert_eq!(
        (ana["rank"].clone(), targets[0]["rank"].clone()),
        (json!(1), json!(2))
    );
}

#[test]
fn lifetime_value_reports_the_money_received_and_why_no_model_was_fitted() {
    let h = history();
    let report = h
        .crm
        .customer_lifetime_value(
            &h.ana,
            day(30),
            &crate::analytics::ClvOptions::default(),
            &Scope::All,
        )
        .unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].historic, eur("1000.00").amount());
    assert_eq!((report.rows[0].frequency, report.rows[0].t), (0, 20));
    assert!(report.bg_nbd.is_none() && report.rows[0].clv.is_none());
    assert!(
        report
            .not_fitted
            .as_deref()
            .unwrap_or_default()
            .contains("repeat purchase"),
        "{report:?}"
    );
    // Bad options are refused even when there is nothing to fit.
    let zero = crate::analytics::ClvOptions {
        months: 0,
        ..Default::default()
    };
    let err = h
        .crm
        .customer_lifetime_value(&h.ana, day(30), &zero, &Scope::All)
        .unwrap_err();
    assert!(err.to_string().starts_with("invalid months"), "{err}");
    let table = h.crm.metric(&h.ana, &query(Metric::Clv, 0, 30)).unwrap();
    assert_eq!(table.rows.len(), 1);
    let bad = MetricQuery::from_json(r#"{"metric": "win_rates"}"#).unwrap_err();
    assert!(
        bad.to_string()
            .starts_with("invalid query: unknown variant `win_rates`"),
        "{bad}"
    );
}

#[test]
fn a_team_or_region_scope_keeps_that_team_or_regions_records() {
    let clock = FixedClock::new(day(0));
    let mut crm = Crm::new(
        MemoryStore::new(),
        Config::default(),
        clock,
        SeededIds::new(9),
    )
    .unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    for (company, team, region) in [
        ("North One", Some("north"), Some("eu")),
        ("North Two", Some("north"), None),
        ("South One", Some("south"), Some("eu")),
        ("Nowhere", None, None),
    ] {
        crm.create_lead(
            &root,
            NewLead {
                source: Some("web".into()),
                company: Some(company.into()),
                team: team.map(|t| TeamId::new(t).unwrap()),
                region: region.map(Into::into),
                ..NewLead::default()
            },
        )
        .unwrap();
    }
    let leads = |scope: Scope| {
        let mut q = query(Metric::LeadConversion, 0, 30);
        q.scope = scope;
        let table = crm.metric(&root, &q).unwrap();
        rows(&table)
            .iter()
            .map(|r| r["leads"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(leads(Scope::All), 4);
    assert_eq!(leads(Scope::Team(TeamId::new("north").unwrap())), 2);
    assert_eq!(leads(Scope::Team(TeamId::new("south").unwrap())), 1);
    assert_eq!(leads(Scope::Region("eu".into())), 2);
    assert_eq!(leads(Scope::Region("us".into())), 0);
}

#[test]
fn a_fitted_lifetime_value_is_the_models_fit_on_the_customers_purchases() {
    let end = day(400);
    let clock = FixedClock::new(end);
    let mut crm = Crm::new(
        MemoryStore::new(),
        Config::default(),
        clock,
        SeededIds::new(11),
    )
    .unwrap();
    let root = Actor::new(UserId::new("root").unwrap()).with_role("admin");
    let as_of = day(365);
    let mut purchases = Vec::new();
    let mut seed = 7_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for c in 0..60 {
        let customer = crm
            .create_customer(
                &root,
                NewCustomer {
                    name: format!("Customer {c}"),
                    ..NewCustomer::default()
                },
            )
            .unwrap();
        let mut at = day(i64::try_from(next(120)).unwrap());
        for k in 0..(1 + next(6)) {
            if at > end {
                break;
            }
            let amount = Decimal::new(1000 + i64::try_from(next(9000)).unwrap(), 2);
            crm.record_purchase(
                &root,
                crate::PurchaseInput {
                    customer: customer.id,
                    reference: format!("R-{c}-{k}"),
                    amount: Money::new(amount, "EUR".parse().unwrap()).unwrap(),
                    at: Some(at),
                    lines: Vec::new(),
                    campaign: None,
                },
            )
            .unwrap();
            if at <= as_of {
                purchases.push(crate::rfm::Purchase {
                    customer: customer.id.to_string(),
                    at,
                    amount,
                });
            }
            at += Duration::days(i64::try_from(5 + next(90)).unwrap());
        }
    }
    let options = crate::analytics::ClvOptions::default();
    let report = crm
        .customer_lifetime_value(&root, as_of, &options, &Scope::All)
        .unwrap();
    let model = crate::analytics::fit_clv(&purchases, as_of, &options).unwrap();
    assert_eq!(report.not_fitted, None);
    assert_eq!(report.bg_nbd, Some(model.bg_nbd));
    assert_eq!(report.gamma_gamma, Some(model.gamma_gamma));
    assert_eq!(report.rows.len(), model.customers.len());
    for (row, p) in report.rows.iter().zip(&model.customers) {
        assert_eq!(row.customer, p.summary.customer);
        assert_eq!(
            (row.frequency, row.recency, row.t),
            (p.summary.frequency, p.summary.recency, p.summary.t)
        );
        assert_eq!(row.p_alive, Some(p.p_alive));
        assert_eq!(row.expected_value, Some(p.expected_value));
        assert_eq!(row.clv, Some(p.clv));
        // What was paid up to as_of (purchases after it are left out).
        let paid: Decimal = purchases
            .iter()
            .filter(|q| q.customer == row.customer)
            .map(|q| q.amount)
            .sum();
        assert_eq!(row.historic, paid);
    }
    assert!(report.rows.iter().any(|r| r.frequency > 0));
}

#[test]
fn metric_and_column_names_are_their_json_names() {
    for metric in Metric::ALL {
        assert_eq!(
            serde_json::to_value(metric).unwrap(),
            json!(metric.as_str())
        );
        assert_eq!(metric.as_str().parse::<Metric>().unwrap(), metric);
    }
    let err = "win_rates".parse::<Metric>().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid metric: is not one of lead_conversion, "),
        "{err}"
    );
    use crate::analytics::ColumnKind;
    for kind in [
        ColumnKind::Text,
        ColumnKind::Integer,
        ColumnKind::Float,
        ColumnKind::Decimal,
        ColumnKind::Time,
        ColumnKind::Date,
        ColumnKind::Bool,
    ] {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
    }
}
