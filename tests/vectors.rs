//! Runs every shared test vector (tests/vectors/*.json) through the Rust API.
//! The Python, Node and FFI suites run the same files through theirs.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm::access::Actor;
use crm::store::MemoryStore;
use crm::{
    ActivityKind, Config, ConvertLead, Crm, CustomerKind, DealFromLead, EntityKind, Error,
    FixedClock, Grantee, Money, NewActivity, NewContact, NewCustomer, NewLead, NewOpportunity,
    NewTask, NewTicket, RecordKey, SeededIds, ShareAccess, TeamId, TeamInput, TransitionInput,
    UserId, UserInput,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

struct Runner {
    crm: Crm<MemoryStore>,
    clock: FixedClock,
    actors: HashMap<String, Actor>,
    saved: HashMap<String, Value>,
}

fn arg<T: DeserializeOwned>(args: &Map<String, Value>, name: &str) -> crm::Result<T> {
    let value = args.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|e| Error::invalid(name, e.to_string()))
}

fn opt<T: DeserializeOwned>(args: &Map<String, Value>, name: &str) -> crm::Result<Option<T>> {
    arg(args, name)
}

fn user(args: &Map<String, Value>, name: &str) -> crm::Result<UserId> {
    UserId::new(arg::<String>(args, name)?)
}

fn opt_user(args: &Map<String, Value>, name: &str) -> crm::Result<Option<UserId>> {
    opt::<String>(args, name)?.map(UserId::new).transpose()
}

fn opt_team(args: &Map<String, Value>, name: &str) -> crm::Result<Option<TeamId>> {
    opt::<String>(args, name)?.map(TeamId::new).transpose()
}

fn money(args: &Map<String, Value>, name: &str) -> crm::Result<Option<Money>> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let amount = value["amount"].as_str().unwrap_or_default();
            let currency = value["currency"].as_str().unwrap_or_default();
            Money::parse(amount, currency).map(Some)
        }
    }
}

fn key(args: &Map<String, Value>, kind_field: &str, id_field: &str) -> crm::Result<RecordKey> {
    RecordKey::parse(
        &arg::<String>(args, kind_field)?,
        &arg::<String>(args, id_field)?,
    )
}

fn id<T: std::str::FromStr<Err = Error>>(args: &Map<String, Value>) -> crm::Result<T> {
    id_in(args, "id")
}

fn id_in<T: std::str::FromStr<Err = Error>>(
    args: &Map<String, Value>,
    name: &str,
) -> crm::Result<T> {
    arg::<String>(args, name)?.parse()
}

fn terms(args: &Map<String, Value>) -> crm::Result<crm::schedule::Terms> {
    crm::schedule::Terms::from_json(&arg::<Value>(args, "terms")?.to_string())
}

fn out<T: serde::Serialize>(value: T) -> crm::Result<Value> {
    Ok(serde_json::to_value(value).expect("results serialise"))
}

fn grantee(args: &Map<String, Value>) -> crm::Result<Grantee> {
    match (opt_user(args, "user")?, opt_team(args, "team")?) {
        (Some(user), None) => Ok(Grantee::User(user)),
        (None, Some(team)) => Ok(Grantee::Team(team)),
        _ => Err(Error::invalid("grantee", "name a user or a team")),
    }
}

impl Runner {
    fn run(
        &mut self,
        command: &str,
        actor: Option<&Actor>,
        args: &Map<String, Value>,
    ) -> crm::Result<Value> {
        let actor = || actor.cloned().expect("this command needs an actor");
        let crm = &mut self.crm;
        match command {
            "advance_clock" => {
                let minutes = opt::<i64>(args, "minutes")?.unwrap_or(0)
                    + 60 * opt::<i64>(args, "hours")?.unwrap_or(0)
                    + 24 * 60 * opt::<i64>(args, "days")?.unwrap_or(0);
                self.clock.advance(Duration::minutes(minutes));
                Ok(Value::Null)
            }
            "save_team" => out(crm.save_team(
                &actor(),
                TeamInput {
                    id: TeamId::new(arg::<String>(args, "id")?)?,
                    name: arg(args, "name")?,
                    region: opt(args, "region")?,
                    supervisor: opt_user(args, "supervisor")?,
                },
            )?),
            "save_user" => {
                let mut input = UserInput::new(
                    UserId::new(arg::<String>(args, "id")?)?,
                    arg::<String>(args, "name")?,
                );
                input.email = opt(args, "email")?;
                input.team = opt_team(args, "team")?;
                input.region = opt(args, "region")?;
                input.roles = opt(args, "roles")?.unwrap_or_default();
                input.active = opt(args, "active")?.unwrap_or(true);
                input.away = opt(args, "away")?.unwrap_or_default();
                out(crm.save_user(&actor(), input)?)
            }
            "create_customer" => out(crm.create_customer(
                &actor(),
                NewCustomer {
                    kind: opt::<CustomerKind>(args, "kind")?.unwrap_or_default(),
                    name: arg(args, "name")?,
                    owner: opt_user(args, "owner")?,
                    region: opt(args, "region")?,
                    industry: opt(args, "industry")?,
                    phone: opt(args, "phone")?,
                    email: opt(args, "email")?,
                    tags: opt(args, "tags")?.unwrap_or_default(),
                    time_zone: opt(args, "time_zone")?,
                    ..NewCustomer::default()
                },
            )?),
            "add_contact" => out(crm.add_contact(
                &actor(),
                NewContact {
                    customer: Some(arg::<String>(args, "customer")?.parse()?),
                    name: arg(args, "name")?,
                    title: opt(args, "title")?,
                    phones: opt(args, "phones")?.unwrap_or_default(),
                    emails: opt(args, "emails")?.unwrap_or_default(),
                    ..NewContact::default()
                },
            )?),
            "create_lead" => out(crm.create_lead(
                &actor(),
                NewLead {
                    source: opt(args, "source")?,
                    channel: opt(args, "channel")?,
                    campaign: opt(args, "campaign")?,
                    company: opt(args, "company")?,
                    contact_name: opt(args, "contact_name")?,
                    title: opt(args, "title")?,
                    phone: opt(args, "phone")?,
                    email: opt(args, "email")?,
                    region: opt(args, "region")?,
                    product_line: opt(args, "product_line")?,
                    owner: opt_user(args, "owner")?,
                    team: opt_team(args, "team")?,
                    quality_score: opt(args, "quality_score")?,
                    ..NewLead::default()
                },
            )?),
            "assign_lead" => out(crm.assign_lead(&actor(), id(args)?, user(args, "owner")?)?),
            "log_activity" => {
                let subject = key(args, "subject_kind", "subject_id")?;
                let kind: ActivityKind = arg(args, "kind")?;
                let mut new = NewActivity::new(kind, subject, arg::<String>(args, "summary")?);
                new.next_follow_up_at = opt::<DateTime<Utc>>(args, "next_follow_up_at")?;
                out(crm.log_activity(&actor(), new)?)
            }
            "qualify_lead" => out(crm.qualify_lead(&actor(), id(args)?)?),
            "discard_lead" => {
                out(crm.discard_lead(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "convert_lead" => {
                let deal = opt::<bool>(args, "create_opportunity")?
                    .unwrap_or(true)
                    .then(|| -> crm::Result<DealFromLead> {
                        Ok(DealFromLead {
                            name: opt(args, "opportunity_name")?,
                            expected_amount: money(args, "expected_amount")?,
                            expected_close_date: None,
                        })
                    });
                let options = ConvertLead {
                    into_customer: opt::<String>(args, "into_customer")?
                        .map(|s| s.parse())
                        .transpose()?,
                    opportunity: deal.transpose()?,
                    allow_duplicate: opt(args, "allow_duplicate")?.unwrap_or(false),
                };
                out(crm.convert_lead(&actor(), id(args)?, options)?)
            }
            "create_opportunity" => out(crm.create_opportunity(
                &actor(),
                NewOpportunity {
                    name: arg(args, "name")?,
                    customer: Some(arg::<String>(args, "customer")?.parse()?),
                    owner: opt_user(args, "owner")?,
                    product_line: opt(args, "product_line")?,
                    expected_amount: money(args, "expected_amount")?,
                    expected_close_date: opt::<NaiveDate>(args, "expected_close_date")?,
                    ..NewOpportunity::default()
                },
            )?),
            "advance_opportunity" => out(crm.advance_opportunity(
                &actor(),
                id(args)?,
                opt::<String>(args, "to")?.as_deref(),
            )?),
            "win_opportunity" => {
                let (opportunity, contract) = crm.win_opportunity(&actor(), id(args)?)?;
                out(json!({ "opportunity": opportunity, "contract": contract }))
            }
            "lose_opportunity" => {
                out(crm.lose_opportunity(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "sign_contract" => out(crm.sign_contract(&actor(), id(args)?)?),
            "activate_contract" => out(crm.activate_contract(&actor(), id(args)?)?),
            "complete_contract" => out(crm.complete_contract(&actor(), id(args)?)?),
            "terminate_contract" => {
                out(crm.terminate_contract(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "open_ticket" => out(crm.open_ticket(
                &actor(),
                NewTicket {
                    subject: arg(args, "subject")?,
                    priority: opt(args, "priority")?.unwrap_or_default(),
                    category: opt(args, "category")?,
                    channel: opt(args, "channel")?,
                    customer: opt::<String>(args, "customer")?
                        .map(|s| s.parse())
                        .transpose()?,
                    group: opt_team(args, "group")?,
                    contract: opt::<String>(args, "contract")?
                        .map(|s| s.parse())
                        .transpose()?,
                    order: opt(args, "order")?,
                    warranty_until: opt(args, "warranty_until")?,
                    ..NewTicket::default()
                },
            )?),
            "calendar_add" => {
                let calendar =
                    crm::sla::Calendar::from_json(&arg::<Value>(args, "calendar")?.to_string())?;
                out(calendar.add(arg(args, "start")?, arg(args, "minutes")?)?)
            }
            "calendar_between" => {
                let calendar =
                    crm::sla::Calendar::from_json(&arg::<Value>(args, "calendar")?.to_string())?;
                out(calendar.between_minutes(arg(args, "from")?, arg(args, "to")?))
            }
            "escalate" => {
                let now = opt(args, "now")?.unwrap_or_else(|| crm.now());
                out(crm.escalate(&actor(), now)?)
            }
            "ticket_sla" => {
                let now = opt(args, "now")?.unwrap_or_else(|| crm.now());
                out(crm.ticket_sla(&actor(), id(args)?, now)?)
            }
            "answer_survey" => out(crm.answer_survey(
                &actor(),
                id(args)?,
                crm::SurveyAnswer {
                    csat: opt(args, "csat")?,
                    nps: opt(args, "nps")?,
                    feedback: opt(args, "feedback")?,
                    comment: opt(args, "comment")?,
                },
            )?),
            "record_purchase" => out(crm.record_purchase(
                &actor(),
                crm::PurchaseInput {
                    customer: id_in(args, "customer")?,
                    reference: arg(args, "reference")?,
                    amount: money(args, "amount")?
                        .ok_or_else(|| Error::invalid("amount", "is required"))?,
                    at: opt(args, "at")?,
                    lines: opt(args, "lines")?.unwrap_or_default(),
                    campaign: opt(args, "campaign")?,
                },
            )?),
            "refund_purchase" => out(crm.refund_purchase(
                &actor(),
                id_in(args, "customer")?,
                &arg::<String>(args, "reference")?,
                money(args, "amount")?.ok_or_else(|| Error::invalid("amount", "is required"))?,
            )?),
            "redeem_points" => out(crm.redeem_points(
                &actor(),
                id_in(args, "customer")?,
                arg(args, "points")?,
                &arg::<String>(args, "reward")?,
                opt::<String>(args, "reference")?.as_deref(),
            )?),
            "adjust_points" => out(crm.adjust_points(
                &actor(),
                id_in(args, "customer")?,
                arg(args, "points")?,
                &arg::<String>(args, "reason")?,
            )?),
            "award_bonus" => out(crm.award_bonus(
                &actor(),
                id_in(args, "customer")?,
                &arg::<String>(args, "event")?,
                opt::<String>(args, "reference")?.as_deref(),
            )?),
            "points_entries" => out(crm.points_entries(&actor(), id_in(args, "customer")?)?),
            "review_loyalty" => {
                let now = opt(args, "now")?.unwrap_or_else(|| crm.now());
                out(crm.review_loyalty(&actor(), now)?)
            }
            "act_on_care" => out(crm.act_on_care(
                &actor(),
                id_in(args, "customer")?,
                &arg::<String>(args, "rule")?,
                arg::<String>(args, "kind")?.parse()?,
                &arg::<String>(args, "summary")?,
            )?),
            "launch_campaign" => out(crm.launch_campaign(
                &actor(),
                crm::CampaignInput {
                    name: arg(args, "name")?,
                    action: opt(args, "action")?,
                    segment: crm::assign::Condition::from_value(
                        &arg::<Value>(args, "segment")?,
                        "segment",
                    )?,
                    holdout_percent: arg::<String>(args, "holdout_percent")?
                        .parse()
                        .map_err(|_| Error::invalid("holdout_percent", "is not a number"))?,
                    seed: arg(args, "seed")?,
                    window_days: arg(args, "window_days")?,
                },
            )?),
            "record_campaign_contacts" => {
                let customers = arg::<Vec<String>>(args, "customers")?
                    .iter()
                    .map(|c| c.parse())
                    .collect::<crm::Result<Vec<crm::CustomerId>>>()?;
                out(crm.record_campaign_contacts(
                    &actor(),
                    id_in(args, "campaign")?,
                    &customers,
                    opt(args, "at")?,
                )?)
            }
            "campaign_results" => out(crm.campaign_results(
                &actor(),
                id_in(args, "campaign")?,
                arg(args, "as_of")?,
            )?),
            "loyalty_points" => {
                let program = crm::loyalty::LoyaltyConfig::from_value(arg(args, "program")?)?;
                let lines: Vec<crm::loyalty::PurchaseLine> = arg(args, "lines")?;
                out(program.points_for(
                    &lines,
                    opt::<String>(args, "level")?.as_deref(),
                    opt::<String>(args, "campaign")?.as_deref(),
                ))
            }
            "draw_holdout" => out(crm::loyalty::draw_holdout(
                arg(args, "n")?,
                arg::<String>(args, "percent")?
                    .parse()
                    .map_err(|_| Error::invalid("percent", "is not a number"))?,
                arg(args, "seed")?,
            )?),
            "metric" => {
                let query: crm::MetricQuery =
                    serde_json::from_value(Value::Object(args.clone()))
                        .map_err(|e| Error::invalid("query", e.to_string()))?;
                out(crm.metric(&actor(), &query)?)
            }
            "customer_lifetime_value" => out(crm.customer_lifetime_value(
                &actor(),
                arg(args, "as_of")?,
                &opt(args, "options")?.unwrap_or_default(),
                &opt(args, "scope")?.unwrap_or_default(),
            )?),
            "fit_clv" => {
                let purchases: Vec<crm::rfm::Purchase> = arg(args, "purchases")?;
                out(crm::analytics::fit_clv(
                    &purchases,
                    arg(args, "as_of")?,
                    &opt(args, "options")?.unwrap_or_default(),
                )?)
            }
            "import_rows" => {
                let spec =
                    crm::import::ImportSpec::from_json(&arg::<Value>(args, "spec")?.to_string())?;
                let data = arg::<String>(args, "data")?.into_bytes();
                out(crm.import_rows(&actor(), &spec, &data, &mut |_| true)?)
            }
            "assign_ticket" => {
                out(crm.assign_ticket(&actor(), id(args)?, user(args, "assignee")?)?)
            }
            "start_ticket" => out(crm.start_ticket(&actor(), id(args)?)?),
            "await_customer" => out(crm.await_customer(&actor(), id(args)?)?),
            "customer_replied" => out(crm.customer_replied(&actor(), id(args)?)?),
            "close_ticket" => out(crm.close_ticket(&actor(), id(args)?)?),
            "resolve_ticket" => {
                out(crm.resolve_ticket(&actor(), id(args)?, &arg::<String>(args, "resolution")?)?)
            }
            "reopen_ticket" => {
                out(crm.reopen_ticket(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "transfer_ticket" => {
                let group = TeamId::new(arg::<String>(args, "group")?)?;
                out(crm.transfer_ticket(
                    &actor(),
                    id(args)?,
                    group,
                    &arg::<String>(args, "reason")?,
                )?)
            }
            "create_task" => out(crm.create_task(
                &actor(),
                NewTask {
                    title: arg(args, "title")?,
                    description: opt(args, "description")?,
                    priority: opt(args, "priority")?.unwrap_or_default(),
                    assignee: opt_user(args, "assignee")?,
                    team: opt_team(args, "team")?,
                    due_at: opt(args, "due_at")?,
                    ..NewTask::default()
                },
            )?),
            "start_task" => out(crm.start_task(&actor(), id(args)?)?),
            "submit_task" => out(crm.submit_task(&actor(), id(args)?)?),
            "approve_task" => out(crm.approve_task(&actor(), id(args)?)?),
            "reject_task" => {
                out(crm.reject_task(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "cancel_task" => {
                out(crm.cancel_task(&actor(), id(args)?, &arg::<String>(args, "reason")?)?)
            }
            "add_task_note" => {
                out(crm.add_task_note(&actor(), id(args)?, &arg::<String>(args, "note")?)?)
            }
            "transition" => {
                let input = TransitionInput {
                    to: opt(args, "to")?,
                    reason: opt(args, "reason")?,
                    expected_version: opt(args, "expected_version")?,
                };
                out(crm.transition(
                    &actor(),
                    key(args, "kind", "id")?,
                    &arg::<String>(args, "action")?,
                    input,
                )?)
            }
            "update" => {
                let fields: Map<String, Value> = arg(args, "fields")?;
                out(crm.update_fields(
                    &actor(),
                    key(args, "kind", "id")?,
                    arg(args, "expected_version")?,
                    fields,
                )?)
            }
            "share" => {
                let access: ShareAccess = arg(args, "access")?;
                out(crm.share(&actor(), key(args, "kind", "id")?, grantee(args)?, access)?)
            }
            "unshare" => out(crm.unshare(&actor(), key(args, "kind", "id")?, &grantee(args)?)?),
            "get" => out(crm.get_any(&actor(), key(args, "kind", "id")?)?),
            "history" => out(crm.history(&actor(), key(args, "kind", "id")?)?),
            "list" => {
                let mut query = crm::store::Query::new(arg::<String>(args, "kind")?.parse()?);
                if let Some(owner) = opt_user(args, "owner")? {
                    query = query.owner(owner);
                }
                if let Some(status) = opt::<String>(args, "status")? {
                    query = query.status(status);
                }
                if let Some(limit) = opt::<usize>(args, "limit")? {
                    query = query.limit(limit);
                }
                out(crm.list(&actor(), &query)?)
            }
            "take_outbox" => out(crm.take_outbox(arg(args, "limit")?)?),
            "ack_outbox" => {
                let ids: Vec<String> = arg(args, "ids")?;
                let ids = ids
                    .iter()
                    .map(|id| id.parse())
                    .collect::<crm::Result<Vec<_>>>()?;
                out(crm.ack_outbox(&ids)?)
            }
            "route" => {
                let kind: String = arg(args, "kind")?;
                let ids: Vec<String> = arg(args, "ids")?;
                let keys = ids
                    .iter()
                    .map(|id| RecordKey::parse(&kind, id))
                    .collect::<crm::Result<Vec<_>>>()?;
                out(crm.route(&actor(), &keys)?)
            }
            "route_lead" => out(crm.route_lead(&actor(), id(args)?)?),
            "route_pool" => {
                let kind: EntityKind = arg::<String>(args, "kind")?.parse()?;
                out(crm.route_pool(&actor(), kind, opt_team(args, "team")?.as_ref())?)
            }
            "pool" => {
                let kind: EntityKind = arg::<String>(args, "kind")?.parse()?;
                out(crm.pool(&actor(), kind, opt_team(args, "team")?.as_ref())?)
            }
            "claim" => out(crm.claim(&actor(), key(args, "kind", "id")?)?),
            "release" => {
                let reason: String = arg(args, "reason")?;
                out(crm.release(&actor(), key(args, "kind", "id")?, &reason)?)
            }
            "due_work" => {
                let now = opt(args, "now")?.unwrap_or_else(|| crm.now());
                out(crm.due_work(&actor(), now)?)
            }
            "reclaim_overdue" => {
                let now = opt(args, "now")?.unwrap_or_else(|| crm.now());
                out(crm.reclaim_overdue(&actor(), now)?)
            }
            "transfer_work" => {
                let reason: String = arg(args, "reason")?;
                let to = opt_user(args, "to")?;
                out(crm.transfer_work(&actor(), &user(args, "from")?, to.as_ref(), &reason)?)
            }
            "score_lead" => out(crm.score_lead(&actor(), id(args)?)?),
            "refresh_customer_value" => {
                let as_of = opt(args, "as_of")?.unwrap_or_else(|| crm.now());
                out(crm.refresh_customer_value(&actor(), as_of)?)
            }
            "score_rfm" => {
                let purchases: Vec<crm::rfm::Purchase> = arg(args, "purchases")?;
                let as_of: DateTime<Utc> = arg(args, "as_of")?;
                let config = match args.get("config") {
                    Some(config) => crm::rfm::RfmConfig::from_json(&config.to_string())?,
                    None => crm::rfm::RfmConfig::default(),
                };
                let table = crm::rfm::score(&purchases, as_of, &config)?;
                out(json!({ "customers": table.rows(), "skipped": table.skipped }))
            }
            "dedupe" => {
                use crm::dedupe;
                let records: Vec<dedupe::MatchRecord> = arg(args, "records")?;
                let config = dedupe_config(args)?;
                let scan = dedupe::scan(&records, &config, &mut dedupe::ScanOptions::default())?;
                let pairs: Vec<Value> = scan
                    .pairs()
                    .iter()
                    .map(|p| {
                        json!({
                            "left": p.left, "right": p.right, "probability": p.probability,
                            "rule": scan.rule_name(p),
                        })
                    })
                    .collect();
                let explanation = match opt::<[usize; 2]>(args, "explain")? {
                    Some([l, r]) => Some(scan.try_explain(l, r)?),
                    None => None,
                };
                out(json!({
                    "pairs": pairs,
                    "cluster_ids": scan.cluster_ids(),
                    "clusters": scan.clusters(),
                    "candidate_pairs": scan.candidate_pairs(),
                    "explanation": explanation,
                }))
            }
            "find_duplicates" => {
                let record: crm::dedupe::MatchRecord = arg(args, "record")?;
                out(crm.find_duplicates(&actor(), &record)?)
            }
            "merge" => out(crm.merge(
                &actor(),
                crm::MergeInput {
                    records: arg(args, "records")?,
                    survivor: opt(args, "survivor")?,
                    rule: opt(args, "rule")?.unwrap_or_default(),
                    reason: arg(args, "reason")?,
                },
            )?),
            "unmerge" => {
                let survivor: RecordKey = arg(args, "survivor")?;
                let event: Option<crm::EventId> = opt(args, "event")?;
                let reason: String = arg(args, "reason")?;
                out(crm.unmerge(&actor(), survivor, event, &reason)?)
            }
            "split_payments" => {
                let total: Money = arg(args, "total")?;
                let base: Option<chrono::NaiveDate> = opt(args, "base")?;
                out(crm::schedule::split(&total, &terms(args)?, base)?)
            }
            "price_quote" => {
                let lines: Vec<crm::quote::QuoteLine> = arg(args, "lines")?;
                let currency: crm::Currency = arg::<String>(args, "currency")?.parse()?;
                let list = match args.get("price_list") {
                    Some(list) => Some(crm::quote::PriceList::from_json(&list.to_string())?),
                    None => None,
                };
                out(crm::quote::price(&lines, &currency, list.as_ref())?)
            }
            "add_quote" => {
                let price_list = match args.get("price_list") {
                    Some(list) => Some(crm::quote::PriceList::from_json(&list.to_string())?),
                    None => None,
                };
                let currency = opt::<String>(args, "currency")?
                    .map(|c| c.parse())
                    .transpose()?;
                out(crm.add_quote(
                    &actor(),
                    id_in(args, "opportunity")?,
                    crm::QuoteInput {
                        lines: arg(args, "lines")?,
                        currency,
                        price_list,
                        valid_until: opt(args, "valid_until")?,
                        note: opt(args, "note")?,
                    },
                )?)
            }
            "accept_quote" => out(crm.accept_quote(
                &actor(),
                id_in(args, "opportunity")?,
                arg(args, "version")?,
            )?),
            "set_payment_plan" => out(crm.set_payment_plan(
                &actor(),
                id_in(args, "contract")?,
                &terms(args)?,
                opt(args, "base")?,
            )?),
            "record_payment" => {
                let amount = money(args, "amount")?
                    .ok_or_else(|| Error::invalid("amount", "is required"))?;
                out(crm.record_payment(
                    &actor(),
                    id_in(args, "contract")?,
                    crm::PaymentInput {
                        id: arg(args, "id")?,
                        amount,
                        on: opt(args, "on")?,
                        to: opt(args, "to")?,
                    },
                )?)
            }
            "reverse_payment" => out(crm.reverse_payment(
                &actor(),
                id_in(args, "contract")?,
                &arg::<String>(args, "id")?,
                &arg::<String>(args, "reason")?,
            )?),
            "write_off_installment" => out(crm.write_off_installment(
                &actor(),
                id_in(args, "contract")?,
                arg(args, "installment")?,
                &arg::<String>(args, "reason")?,
            )?),
            "reach_milestone" => out(crm.reach_milestone(
                &actor(),
                id_in(args, "contract")?,
                &arg::<String>(args, "event")?,
                opt(args, "on")?,
            )?),
            "reschedule_payments" => out(crm.reschedule_payments(
                &actor(),
                id_in(args, "contract")?,
                &terms(args)?,
                opt(args, "base")?,
                &arg::<String>(args, "reason")?,
            )?),
            "receivables" => {
                let customer = opt::<String>(args, "customer")?
                    .map(|c| c.parse())
                    .transpose()?;
                out(crm.receivables(&actor(), customer, arg(args, "today")?)?)
            }
            "collected" => out(crm.collected(&actor(), arg(args, "from")?, arg(args, "until")?)?),
            "explain_match" => {
                let a: crm::dedupe::MatchRecord = arg(args, "a")?;
                let b: crm::dedupe::MatchRecord = arg(args, "b")?;
                let matcher = crm::dedupe::Matcher::new(&dedupe_config(args)?)?;
                out(matcher.explain(&a, &b))
            }
            other => panic!("unknown command `{other}` in a vector"),
        }
    }
}

/// The `config` argument of the dedupe commands, or the default.
fn dedupe_config(args: &Map<String, Value>) -> crm::Result<crm::dedupe::DedupeConfig> {
    match args.get("config") {
        Some(config) => crm::dedupe::DedupeConfig::from_json(&config.to_string()),
        None => Ok(crm::dedupe::DedupeConfig::default()),
    }
}

/// The error as the vectors describe it: its code and its fields.
fn error_json(err: &Error) -> Value {
    let mut fields = match err {
        Error::Validation { fields, value, .. } => json!({ "fields": fields, "value": value }),
        Error::InvalidTransition {
            entity,
            id,
            from,
            action,
        } => json!({ "entity": entity, "id": id, "from": from, "action": action }),
        Error::NotFound { entity, id } => json!({ "entity": entity, "id": id }),
        Error::Conflict {
            entity,
            id,
            expected_version,
            found,
        } => {
            json!({ "entity": entity, "id": id, "expected_version": expected_version, "found": found })
        }
        Error::Forbidden {
            actor,
            action,
            entity,
            id,
        } => json!({ "actor": actor, "action": action, "entity": entity, "id": id }),
        Error::Storage { message, .. } => json!({ "message": message }),
        Error::Config { path, reason } => json!({ "path": path, "reason": reason }),
    };
    fields["kind"] = json!(err.kind().code());
    fields
}

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |value, segment| match value {
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(map) => map.get(segment),
            _ => None,
        })
}

fn resolve(value: &Value, saved: &HashMap<String, Value>) -> Value {
    match value {
        Value::String(text) if text.starts_with('$') => saved
            .get(&text[1..])
            .cloned()
            .unwrap_or_else(|| panic!("nothing saved as {text}")),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, saved)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, saved)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn run_vector(path: &Path) {
    let vector: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let start: DateTime<Utc> = vector["start"].as_str().unwrap().parse().unwrap();
    let clock = FixedClock::new(start);
    let config = match vector.get("config") {
        Some(config) => Config::from_json(&config.to_string()).unwrap(),
        None => Config::default(),
    };
    let crm = Crm::new(
        MemoryStore::new(),
        config,
        clock.clone(),
        SeededIds::new(vector["seed"].as_u64().unwrap()),
    )
    .unwrap();
    let mut actors = HashMap::new();
    for (name, spec) in vector["actors"].as_object().unwrap() {
        let actor: Actor = serde_json::from_value(spec.clone()).unwrap();
        actors.insert(name.clone(), actor);
    }
    let mut runner = Runner {
        crm,
        clock,
        actors,
        saved: HashMap::new(),
    };
    for (at, step) in vector["steps"].as_array().unwrap().iter().enumerate() {
        let command = step["do"].as_str().unwrap();
        let context = format!("{} step {at} ({command})", path.display());
        let actor = step
            .get("as")
            .map(|name| runner.actors[name.as_str().unwrap()].clone());
        let args = resolve(step.get("args").unwrap_or(&json!({})), &runner.saved);
        let result = runner.run(command, actor.as_ref(), args.as_object().unwrap());
        match (result, step.get("error")) {
            (Ok(value), None) => {
                let value = match value {
                    Value::Array(_) | Value::Object(_) => value,
                    scalar => json!({ "value": scalar }),
                };
                for (path, expected) in step
                    .get("expect")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let expected = resolve(expected, &runner.saved);
                    let actual = if path == "len" {
                        json!(value.as_array().map(Vec::len))
                    } else {
                        lookup(&value, path).cloned().unwrap_or(Value::Null)
                    };
                    assert_eq!(actual, expected, "{context}: {path}");
                }
                for (name, path) in step
                    .get("save")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let saved = lookup(&value, path.as_str().unwrap())
                        .cloned()
                        .unwrap_or_else(|| panic!("{context}: nothing at {path}"));
                    runner.saved.insert(name.clone(), saved);
                }
            }
            (Err(err), Some(expected)) => {
                let actual = error_json(&err);
                for (field, value) in expected.as_object().unwrap() {
                    assert_eq!(
                        actual.get(field),
                        Some(&resolve(value, &runner.saved)),
                        "{context}: error {field} of {err}"
                    );
                }
            }
            (Ok(value), Some(expected)) => {
                panic!("{context}: expected error {expected}, got {value}")
            }
            (Err(err), None) => panic!("{context}: unexpected error {err} ({err:?})"),
        }
    }
}

#[test]
fn every_vector_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "vectors missing in {}", dir.display());
    for file in files {
        run_vector(&file);
    }
}
