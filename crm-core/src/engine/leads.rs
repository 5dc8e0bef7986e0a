//! Leads: creation, assignment, activities, qualification, discarding and
//! conversion into a customer, a contact and a deal.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::access::{Actor, Permission};
use crate::engine::{Crm, Note, TransitionInput, Tx};
use crate::error::{Error, Result};
use crate::model::{
    Activity, ActivityId, AnyRecord, Contact, ContactId, Conversion, Customer, CustomerId,
    CustomerKind, EntityKind, Lead, LeadId, Money, NewActivity, Opportunity, OpportunityId, Record,
    RecordKey, UserId, normalize_email, normalize_phone,
};
use crate::store::{Query, Store};

/// How to convert a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertLead {
    /// Convert into this existing customer instead of creating one; only its
    /// empty fields are filled from the lead.
    pub into_customer: Option<CustomerId>,
    /// Open a deal, and how (`None`: no deal).
    pub opportunity: Option<DealFromLead>,
    /// Create a new customer even when a customer or contact with the lead's
    /// email or phone exists.
    pub allow_duplicate: bool,
}

impl Default for ConvertLead {
    /// A new customer and contact, and a deal named after the lead.
    fn default() -> Self {
        ConvertLead {
            into_customer: None,
            opportunity: Some(DealFromLead::default()),
            allow_duplicate: false,
        }
    }
}

/// The deal a conversion opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealFromLead {
    /// Its name (default: the company, or the contact's name, and the product line).
    pub name: Option<String>,
    /// The amount expected.
    pub expected_amount: Option<Money>,
    /// The date it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
}

impl<S: Store> Crm<S> {
    /// Records a new lead. With an owner it is assigned now (first contact due
    /// within the configured time). Without one, the assignment rules choose
    /// the owner when they route leads (the decision and its trace are in the
    /// `create` event's payload, under `routing`); otherwise, or when no one
    /// is available, it goes to its team's pool. Without a quality score, the
    /// lead scoring rules (if any) give it one (under `score`).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may create this lead,
    /// [`Error::Validation`] when it has neither company nor contact name, a bad
    /// phone or email, a score above 100, invalid custom values.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let lead = crm.create_lead(&ana, NewLead {
    ///     company: Some("Acme".into()),
    ///     owner: Some(ana.user.clone()),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(lead.status, "new");
    /// assert!(lead.first_contact_due_at.is_some());
    ///
    /// let err = crm.create_lead(&ana, NewLead::default()).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid company, contact_name: a lead needs a company or a contact name");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn create_lead(&mut self, actor: &Actor, new: crate::model::NewLead) -> Result<Lead> {
        let mut tx = self.begin(actor);
        let mut lead = self.build_lead(&tx, actor, new)?;
        // Scored and routed by the configured rules (the rules, not the
        // actor, choose the owner: creating into the pool is enough).
        let payload = self.place_new_lead(&mut tx, &mut lead)?;
        let duplicates = self.duplicates_payload(actor, &lead.match_records(), None)?;
        let payload = super::dedupe::with_duplicates(payload, duplicates);
        let note = Note {
            action: "create",
            reason: None,
            payload,
        };
        let lead = self.put(&mut tx, None, lead, note)?;
        self.finish(tx)?;
        Ok(lead)
    }

    /// A new lead as [`Crm::create_lead`] makes it before scoring and
    /// routing, checked for the actor's permission, not yet written.
    pub(super) fn build_lead(
        &mut self,
        tx: &Tx,
        actor: &Actor,
        new: crate::model::NewLead,
    ) -> Result<Lead> {
        let team = match new.team {
            Some(team) => Some(team),
            None => self.team_of(new.owner.as_ref(), actor)?,
        };
        let assigned = new.owner.is_some();
        let lead = Lead {
            id: LeadId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(tx),
            status: self.initial_state(EntityKind::Lead)?,
            source: new.source,
            channel: new.channel,
            campaign: new.campaign,
            company: new.company,
            contact_name: new.contact_name,
            title: new.title,
            phone: new.phone,
            email: new.email,
            region: new.region,
            product_line: new.product_line,
            owner: new.owner,
            team,
            quality_score: new.quality_score,
            assigned_at: assigned.then_some(tx.now),
            first_contact_due_at: assigned.then(|| tx.now + self.config.first_contact_within),
            first_contacted_at: None,
            next_follow_up_at: None,
            discard_reason: None,
            conversion: None,
            custom: new.custom,
        };
        self.authorize_create(actor, &lead)?;
        if lead
            .owner
            .as_ref()
            .is_some_and(|owner| *owner != actor.user)
        {
            self.authorize(actor, Permission::Assign, &lead)?;
        }
        Ok(lead)
    }

    /// Gives a lead to `owner`: the first contact falls due within the
    /// configured time from now.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`]; [`Error::Forbidden`] unless the actor may assign the
    /// lead; [`Error::InvalidTransition`] when the lead is converted or discarded.
    pub fn assign_lead(&mut self, actor: &Actor, id: LeadId, owner: UserId) -> Result<Lead> {
        let before: Lead = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Assign, &before)?;
        let machine = self.machine(EntityKind::Lead)?;
        if machine.state(&before.status).is_none_or(|s| s.terminal) || before.status == "discarded"
        {
            return Err(Error::InvalidTransition {
                entity: EntityKind::Lead,
                id: id.to_string(),
                from: before.status.clone(),
                action: "assign".into(),
            });
        }
        let mut tx = self.begin(actor);
        let mut after = before.clone();
        let team = self.team_of(Some(&owner), actor)?;
        after.owner = Some(owner);
        if team.is_some() {
            after.team = team;
        }
        after.assigned_at = Some(tx.now);
        if after.first_contacted_at.is_none() {
            after.first_contact_due_at = Some(tx.now + self.config.first_contact_within);
        }
        let after = self.put(&mut tx, Some(&before), after, Note::action("assign"))?;
        self.finish(tx)?;
        Ok(after)
    }

    /// Records a call, email, visit, meeting or note about a lead, customer,
    /// contact, opportunity or ticket. For a lead, the first activity moves it
    /// from `new` to `contacted`, and the next follow-up is set (to the
    /// activity's, or now + the configured interval).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the subject does not exist; [`Error::Forbidden`]
    /// unless the actor may edit the subject; [`Error::Validation`] for a blank
    /// summary or a subject that cannot carry activities (users, teams,
    /// activities).
    pub fn log_activity(&mut self, actor: &Actor, new: NewActivity) -> Result<Activity> {
        let mut tx = self.begin(actor);
        let activity = self.log_activity_in(&mut tx, actor, new)?;
        self.finish(tx)?;
        Ok(activity)
    }

    /// [`Crm::log_activity`] inside a command: the activity, and the
    /// subject's follow-up (a lead) or last contact (a customer).
    pub(super) fn log_activity_in(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        new: NewActivity,
    ) -> Result<Activity> {
        if matches!(
            new.subject.kind,
            EntityKind::User
                | EntityKind::Team
                | EntityKind::Activity
                | EntityKind::PointsEntry
                | EntityKind::Campaign
        ) {
            return Err(Error::invalid(
                "subject",
                format!("activities are not logged on a {}", new.subject.kind),
            ));
        }
        let subject = self.load_any(&new.subject)?;
        self.authorize_any(actor, Permission::Edit, &subject)?;
        let activity = Activity {
            id: ActivityId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(tx),
            kind: new.kind,
            subject: new.subject,
            summary: new.summary,
            occurred_at: new
                .occurred_at
                .map(crate::clock::to_micros)
                .unwrap_or(tx.now),
            by: actor.user.clone(),
            team: actor.team.clone(),
            next_follow_up_at: new.next_follow_up_at.map(crate::clock::to_micros),
            custom: new.custom,
        };
        let activity = self.put(tx, None, activity, Note::action("create"))?;
        if let AnyRecord::Customer(customer) = &subject {
            let mut after = customer.clone();
            after.last_contact_at = Some(
                customer
                    .last_contact_at
                    .map_or(activity.occurred_at, |last| last.max(activity.occurred_at)),
            );
            if after.last_contact_at != customer.last_contact_at {
                let note = Note {
                    action: "contact",
                    reason: None,
                    payload: json!({ "activity": activity.id }),
                };
                self.put(tx, Some(customer), after, note)?;
            }
        }
        if let AnyRecord::Lead(lead) = subject {
            let next = activity
                .next_follow_up_at
                .unwrap_or(tx.now + self.config.follow_up_after);
            let machine = self.machine(EntityKind::Lead)?;
            let first_contact = machine
                .step(&lead.id.to_string(), &lead.status, "contact", None)
                .is_ok();
            let payload = json!({ "activity": activity.id });
            if first_contact {
                let input = TransitionInput::default();
                self.step(tx, &lead, "contact", &input, payload, |lead| {
                    lead.next_follow_up_at = Some(next);
                })?;
            } else if lead.conversion.is_none() && lead.status != "discarded" {
                let mut after = lead.clone();
                after.next_follow_up_at = Some(next);
                let note = Note {
                    action: "follow_up",
                    reason: None,
                    payload,
                };
                self.put(tx, Some(&lead), after, note)?;
            }
        }
        Ok(activity)
    }

    /// Marks a lead as qualified.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`].
    pub fn qualify_lead(&mut self, actor: &Actor, id: LeadId) -> Result<Lead> {
        self.transition_typed(actor, id.into(), "qualify", TransitionInput::default())
    }

    /// Discards a lead, with a reason (it keeps its history and can be recycled).
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`]; [`Error::Validation`] on `reason` when it is blank.
    pub fn discard_lead(&mut self, actor: &Actor, id: LeadId, reason: &str) -> Result<Lead> {
        let input = TransitionInput {
            reason: Some(reason.to_string()),
            ..TransitionInput::default()
        };
        self.transition_typed(actor, id.into(), "discard", input)
    }

    /// Converts a qualified lead into a customer, a contact and (optionally) a
    /// deal, in one commit. Customers and contacts with the lead's email or
    /// phone are looked for first: if there are any, conversion stops with an
    /// error naming them, unless `into_customer` picks one (then only its empty
    /// fields are filled, and a matching contact of that customer is reused) or
    /// `allow_duplicate` is set.
    ///
    /// # Errors
    ///
    /// As [`Crm::transition`] (the lead must be `qualified` and have a contact
    /// name); [`Error::Validation`] on `email` or `phone` naming the existing
    /// records when it would create a duplicate; [`Error::NotFound`] when
    /// `into_customer` does not exist; [`Error::Forbidden`] unless the actor may
    /// create customers, contacts and deals.
    ///
    /// # Examples
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use crm_core::{access::Actor, store::MemoryStore, *};
    /// # let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut crm = Crm::new(MemoryStore::new(), Config::default(), clock, SeededIds::new(1))?;
    /// # let ana = Actor::new(UserId::new("ana")?).with_role("sales");
    /// let lead = crm.create_lead(&ana, NewLead {
    ///     company: Some("Acme".into()),
    ///     contact_name: Some("Jo".into()),
    ///     owner: Some(ana.user.clone()),
    ///     ..Default::default()
    /// })?;
    /// // Only a qualified lead converts.
    /// let err = crm.convert_lead(&ana, lead.id, ConvertLead::default()).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidTransition);
    ///
    /// crm.qualify_lead(&ana, lead.id)?;
    /// let made = crm.convert_lead(&ana, lead.id, ConvertLead::default())?;
    /// let customer: Customer = crm.get(&ana, made.customer)?;
    /// assert_eq!((customer.name.as_str(), customer.stage.as_str()), ("Acme", "prospect"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn convert_lead(
        &mut self,
        actor: &Actor,
        id: LeadId,
        options: ConvertLead,
    ) -> Result<Conversion> {
        let lead: Lead = self.load(&RecordKey::from(id))?;
        self.authorize(actor, Permission::Edit, &lead)?;
        // Check the move and its guards first, so a lead in the wrong state or
        // without a contact name fails with that error, naming the lead's field.
        let machine = self.machine(EntityKind::Lead)?;
        let transition = machine.step(&id.to_string(), &lead.status, "convert", None)?;
        let json = super::to_json(&lead)?;
        machine.check_guards(transition, None, |field| super::has_field(&json, field))?;
        let email = lead.email.as_deref().and_then(|e| normalize_email(e).ok());
        let phone = lead.phone.as_deref().and_then(|p| normalize_phone(p).ok());

        // Likely duplicates are reported in the conversion's event; exact
        // contact-point matches are refused below.
        let duplicates = match options.into_customer {
            Some(_) => Value::Array(Vec::new()),
            None => {
                self.duplicates_payload(actor, &lead.match_records(), Some(&RecordKey::from(id)))?
            }
        };
        let mut tx = self.begin(actor);
        let customer = match options.into_customer {
            Some(customer_id) => {
                let before: Customer = self.load(&RecordKey::from(customer_id))?;
                self.authorize(actor, Permission::Edit, &before)?;
                let mut after = before.clone();
                fill(&mut after.region, &lead.region);
                fill(&mut after.phone, &lead.phone);
                fill(&mut after.email, &lead.email);
                if after != before {
                    let note = Note {
                        action: "update",
                        reason: Some("filled from a converted lead".into()),
                        payload: json!({ "lead": id }),
                    };
                    self.put(&mut tx, Some(&before), after, note)?
                } else {
                    before
                }
            }
            None => {
                if !options.allow_duplicate {
                    self.refuse_duplicates(email.as_deref(), phone.as_deref())?;
                }
                let name = lead
                    .company
                    .clone()
                    .or_else(|| lead.contact_name.clone())
                    .unwrap_or_default();
                let customer = Customer {
                    id: CustomerId::from_uuid(self.next_id(tx.now)),
                    meta: self.new_meta(&tx),
                    kind: if lead.company.is_some() {
                        CustomerKind::Company
                    } else {
                        CustomerKind::Person
                    },
                    name,
                    stage: self.initial_state(EntityKind::Customer)?,
                    stage_since: Some(tx.now),
                    tier: None,
                    owner: lead.owner.clone().or_else(|| Some(actor.user.clone())),
                    team: lead.team.clone(),
                    region: lead.region.clone(),
                    industry: None,
                    tags: Vec::new(),
                    phone: lead.phone.clone(),
                    email: lead.email.clone(),
                    source_lead: Some(id),
                    time_zone: None,
                    segment: None,
                    last_contact_at: None,
                    loyalty: None,
                    care_done: Default::default(),
                    custom: Default::default(),
                };
                self.authorize_create(actor, &customer)?;
                let note = Note {
                    action: "create",
                    reason: None,
                    payload: json!({ "lead": id }),
                };
                self.put(&mut tx, None, customer, note)?
            }
        };

        let existing_contact = if options.into_customer.is_some() {
            let contacts = self
                .store
                .query(&Query::new(EntityKind::Contact).parent(customer.key()))?;
            contacts
                .into_iter()
                .filter_map(|r| match r {
                    AnyRecord::Contact(contact) => Some(contact),
                    _ => None,
                })
                .find(|contact| {
                    let index = contact.index();
                    email.as_ref().is_some_and(|e| index.emails.contains(e))
                        || phone.as_ref().is_some_and(|p| index.phones.contains(p))
                })
        } else {
            None
        };
        let contact = match existing_contact {
            Some(contact) => contact,
            None => {
                let contact = Contact {
                    id: ContactId::from_uuid(self.next_id(tx.now)),
                    meta: self.new_meta(&tx),
                    customer: customer.id,
                    name: lead.contact_name.clone().unwrap_or_default(),
                    title: lead.title.clone(),
                    phones: lead.phone.iter().cloned().collect(),
                    emails: lead.email.iter().cloned().collect(),
                    owner: customer.owner.clone(),
                    team: customer.team.clone(),
                    custom: Default::default(),
                };
                self.authorize_create(actor, &contact)?;
                let note = Note {
                    action: "create",
                    reason: None,
                    payload: json!({ "lead": id }),
                };
                self.put(&mut tx, None, contact, note)?
            }
        };

        let opportunity = match options.opportunity {
            Some(deal) => {
                let deals = self.machine(EntityKind::Opportunity)?;
                let stage = deals.initial.clone();
                let probability = deals.state(&stage).and_then(|s| s.probability).unwrap_or(0);
                let name = deal.name.unwrap_or_else(|| {
                    let who = lead
                        .company
                        .clone()
                        .or_else(|| lead.contact_name.clone())
                        .unwrap_or_default();
                    match &lead.product_line {
                        Some(line) => format!("{who} – {line}"),
                        None => who,
                    }
                });
                let opportunity = Opportunity {
                    id: OpportunityId::from_uuid(self.next_id(tx.now)),
                    meta: self.new_meta(&tx),
                    name,
                    stage,
                    customer: customer.id,
                    contact: Some(contact.id),
                    lead: Some(id),
                    owner: lead.owner.clone().or_else(|| Some(actor.user.clone())),
                    team: lead.team.clone(),
                    product_line: lead.product_line.clone(),
                    expected_amount: deal.expected_amount,
                    expected_close_date: deal.expected_close_date,
                    probability,
                    lost_reason: None,
                    contract: None,
                    closed_at: None,
                    custom: Default::default(),
                    quotes: Vec::new(),
                };
                self.authorize_create(actor, &opportunity)?;
                let note = Note {
                    action: "create",
                    reason: None,
                    payload: json!({ "lead": id }),
                };
                Some(self.put(&mut tx, None, opportunity, note)?.id)
            }
            None => None,
        };

        let conversion = Conversion {
            customer: customer.id,
            contact: contact.id,
            opportunity,
        };
        let input = TransitionInput::default();
        let converted = conversion.clone();
        self.step(
            &mut tx,
            &lead,
            "convert",
            &input,
            super::dedupe::with_duplicates(json!(conversion), duplicates),
            move |lead| {
                lead.conversion = Some(converted);
            },
        )?;
        self.finish(tx)?;
        Ok(conversion)
    }

    /// Fails when a customer or contact already has this email or phone.
    fn refuse_duplicates(&self, email: Option<&str>, phone: Option<&str>) -> Result<()> {
        for (field, value) in [("email", email), ("phone", phone)] {
            let Some(value) = value else { continue };
            for kind in [EntityKind::Customer, EntityKind::Contact] {
                let query = if field == "email" {
                    Query::new(kind).email(value)
                } else {
                    Query::new(kind).phone(value)
                };
                let found = self.store.query(&query.limit(5))?;
                if !found.is_empty() {
                    let ids: Vec<String> = found.iter().map(|r| r.key().to_string()).collect();
                    return Err(Error::invalid(
                        field,
                        format!(
                            "matches existing records ({}); convert into that customer or allow the duplicate",
                            ids.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn fill(target: &mut Option<String>, source: &Option<String>) {
    if target.as_deref().is_none_or(|t| t.trim().is_empty()) {
        if let Some(value) = source {
            *target = Some(value.clone());
        }
    }
}
