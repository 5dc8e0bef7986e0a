//! The life of one customer, from a web enquiry to a closed service ticket,
//! kept in the embedded default store: an SQLite file.
//!
//! Run it with `cargo run --example quickstart` (it writes `crm.db`; give
//! another path as the first argument). Run it again and it continues the same
//! data: the customer comes back with a new enquiry and is recognised.

use chrono::{Duration, TimeZone, Utc};
use crm::access::Actor;
use crm::{
    ActivityKind, Config, ConvertLead, Crm, DealFromLead, Error, FixedClock, Money, NewActivity,
    NewLead, NewTicket, RecordKey, SeededIds, SqliteStore, Store, TeamId, TeamInput, UserId,
    UserInput,
};

fn main() -> Result<(), Error> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "crm.db".to_string());
    let store = SqliteStore::open(&path)?;

    // The host provides the clock and the ids; a fixed clock makes the story
    // repeatable. A file that already holds a story continues a day after it.
    let earlier = store.events_after(0, usize::MAX)?;
    let (start, seed) = match earlier.last() {
        None => (Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(), 2026),
        Some(last) => {
            println!("{path}: continuing after {} events", earlier.len());
            (last.at + Duration::days(1), 2026 + earlier.len() as u64)
        }
    };
    let clock = FixedClock::new(start);
    let mut crm = Crm::new(
        store,
        Config::default(),
        clock.clone(),
        SeededIds::new(seed),
    )?;

    // Who works here.
    let admin = Actor::new(UserId::new("admin")?).with_role("admin");
    let sales = TeamId::new("sales-north")?;
    let service = TeamId::new("service")?;
    crm.save_team(
        &admin,
        TeamInput {
            id: sales.clone(),
            name: "Sales North".into(),
            region: Some("north".into()),
            supervisor: Some(UserId::new("sue")?),
        },
    )?;
    crm.save_team(
        &admin,
        TeamInput {
            id: service.clone(),
            name: "Service".into(),
            region: None,
            supervisor: Some(UserId::new("sue")?),
        },
    )?;
    for (id, name, team, role) in [
        ("sue", "Sue", &sales, "supervisor"),
        ("ana", "Ana", &sales, "sales"),
        ("sam", "Sam", &service, "support"),
    ] {
        let mut user = UserInput::new(UserId::new(id)?, name);
        user.team = Some(team.clone());
        user.roles = vec![role.to_string()];
        crm.save_user(&admin, user)?;
    }
    let sue = Actor::new(UserId::new("sue")?)
        .with_role("supervisor")
        .with_team(sales.clone());
    let ana = Actor::new(UserId::new("ana")?)
        .with_role("sales")
        .with_team(sales.clone());
    let sam = Actor::new(UserId::new("sam")?)
        .with_role("support")
        .with_team(service.clone());

    // 1. A lead arrives from the web form and lands in the team's pool.
    let lead = crm.create_lead(
        &sue,
        NewLead {
            source: Some("web_form".into()),
            company: Some("Nordwind Logistics".into()),
            contact_name: Some("Jo Berger".into()),
            email: Some("jo.berger@nordwind.example".into()),
            phone: Some("+49 40 555 0101".into()),
            region: Some("north".into()),
            product_line: Some("fleet telematics".into()),
            team: Some(sales.clone()),
            ..NewLead::default()
        },
    )?;
    println!(
        "{}  lead {} arrives from the web form, in the pool of {}",
        crm.now(),
        short(lead.id),
        sales
    );

    // 2. Sue assigns it to Ana: the first contact is now due within 24 hours.
    let lead = crm.assign_lead(&sue, lead.id, ana.user.clone())?;
    println!(
        "{}  Sue assigns it to Ana; first contact due {}",
        crm.now(),
        lead.first_contact_due_at.unwrap()
    );

    // 3. Ana calls two hours later: the lead is contacted, a follow-up is set.
    clock.advance(Duration::hours(2));
    crm.log_activity(
        &ana,
        NewActivity::new(ActivityKind::Call, lead.id, "Needs tracking for 40 trucks"),
    )?;
    let lead: crm::Lead = crm.get(&ana, lead.id)?;
    println!(
        "{}  Ana calls: lead is {}, next follow-up {}",
        crm.now(),
        lead.status,
        lead.next_follow_up_at.unwrap()
    );

    // 4. Qualified and converted: a customer, a contact and a deal, in one commit.
    clock.advance(Duration::days(1));
    crm.qualify_lead(&ana, lead.id)?;
    // After an earlier run a customer with this email exists: the duplicate
    // check would refuse a second one, so the lead is converted into it.
    let known = crm.find_by_contact_point(&ana, lead.email.as_deref(), None)?;
    let into_customer = known.iter().find_map(|record| match record {
        crm::AnyRecord::Customer(customer) => Some(customer.id),
        _ => None,
    });
    let conversion = crm.convert_lead(
        &ana,
        lead.id,
        ConvertLead {
            into_customer,
            opportunity: Some(DealFromLead {
                expected_amount: Some(Money::parse("48000.00", "EUR")?),
                ..DealFromLead::default()
            }),
            ..ConvertLead::default()
        },
    )?;
    let deal_id = conversion
        .opportunity
        .expect("the conversion opened a deal");
    let customer: crm::Customer = crm.get(&ana, conversion.customer)?;
    let deal: crm::Opportunity = crm.get(&ana, deal_id)?;
    println!(
        "{}  Ana qualifies and converts it: customer \"{}\", deal \"{}\"",
        crm.now(),
        customer.name,
        deal.name
    );

    // 5. An illegal move is a typed error, not a silent no-op.
    if let Err(err) = crm.qualify_lead(&ana, lead.id) {
        println!("{}  (qualifying it again is refused: {err})", crm.now());
    }

    // 6. The deal moves through the pipeline and is won: a draft contract appears.
    clock.advance(Duration::days(3));
    let deal = crm.advance_opportunity(&ana, deal_id, None)?;
    println!(
        "{}  deal enters {} ({} %)",
        crm.now(),
        deal.stage,
        deal.probability
    );
    clock.advance(Duration::days(5));
    let deal = crm.advance_opportunity(&ana, deal_id, None)?;
    println!(
        "{}  deal enters {} ({} %)",
        crm.now(),
        deal.stage,
        deal.probability
    );
    clock.advance(Duration::days(4));
    let (deal, contract) = crm.win_opportunity(&ana, deal_id)?;
    println!(
        "{}  deal is {}: contract {} drafted for {}",
        crm.now(),
        deal.stage,
        contract.number,
        contract.amount
    );
    crm.sign_contract(&sue, contract.id)?;
    let contract = crm.activate_contract(&sue, contract.id)?;
    println!(
        "{}  Sue signs the contract; it is {}",
        crm.now(),
        contract.status
    );

    // 7. After the sale: a ticket is opened, worked and closed.
    clock.advance(Duration::days(30));
    let ticket = crm.open_ticket(
        &sam,
        NewTicket {
            subject: "Two trucks show no position".into(),
            customer: Some(conversion.customer),
            category: Some("repair".into()),
            ..NewTicket::default()
        },
    )?;
    crm.assign_ticket(&sam, ticket.id, sam.user.clone())?;
    crm.start_ticket(&sam, ticket.id)?;
    clock.advance(Duration::hours(3));
    crm.resolve_ticket(&sam, ticket.id, "Re-paired the trackers")?;
    let ticket = crm.close_ticket(&sam, ticket.id)?;
    println!(
        "{}  ticket \"{}\" is {}",
        crm.now(),
        ticket.subject,
        ticket.status
    );

    // 8. The host drains the outbox: what it must send, exactly once.
    let messages = crm.take_outbox(100)?;
    for message in &messages {
        let to = message
            .recipient
            .as_ref()
            .map(UserId::as_str)
            .unwrap_or("-");
        println!(
            "outbox: {} for {} about {}",
            message.topic, to, message.record
        );
    }
    crm.ack_outbox(&messages.iter().map(|m| m.id).collect::<Vec<_>>())?;

    // 9. Every change left an event: the customer's story, record by record.
    println!("\nHistory");
    let records: Vec<RecordKey> = vec![
        lead.id.into(),
        conversion.customer.into(),
        deal_id.into(),
        contract.id.into(),
        ticket.id.into(),
    ];
    for key in records {
        for event in crm.history(&admin, key.clone())? {
            let states = match (&event.from, &event.to) {
                (Some(from), Some(to)) if from != to => format!(" {from} -> {to}"),
                (None, Some(to)) => format!(" -> {to}"),
                _ => String::new(),
            };
            let reason = event.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            println!(
                "  #{:<3} {}  {:<11} {:<12} by {:<5}{}{}",
                event.seq,
                event.at,
                key.kind.as_str(),
                event.action,
                event.actor.as_str(),
                states,
                reason
            );
        }
    }
    Ok(())
}

fn short(id: impl std::fmt::Display) -> String {
    id.to_string()[..8].to_string()
}
