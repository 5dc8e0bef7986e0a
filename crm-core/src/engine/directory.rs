//! Users, teams, customers and contacts.

use crate::access::{Actor, Permission};
use crate::engine::{Crm, Note, Tx};
use crate::error::{Error, Result};
use crate::model::{
    Absence, AnyRecord, Contact, ContactId, Customer, CustomerId, EntityKind, NewContact,
    NewCustomer, Record, RecordKey, Team, TeamId, User, UserId,
};
use crate::store::Store;

/// A user as the host describes them; [`Crm::save_user`] creates or updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    /// The host's id for the user.
    pub id: UserId,
    /// Display name.
    pub name: String,
    /// Work email.
    pub email: Option<String>,
    /// Their team.
    pub team: Option<TeamId>,
    /// Their region.
    pub region: Option<String>,
    /// The product lines they sell.
    pub product_lines: Vec<String>,
    /// Their roles.
    pub roles: Vec<String>,
    /// Whether they can be given work.
    pub active: bool,
    /// When they are away (assignment rules pass them over then).
    pub away: Vec<Absence>,
}

impl UserInput {
    /// An active user with a name and nothing else.
    pub fn new(id: UserId, name: impl Into<String>) -> Self {
        UserInput {
            id,
            name: name.into(),
            email: None,
            team: None,
            region: None,
            product_lines: Vec::new(),
            roles: Vec::new(),
            active: true,
            away: Vec::new(),
        }
    }
}

/// A team as the host describes it; [`Crm::save_team`] creates or updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamInput {
    /// The host's id for the team.
    pub id: TeamId,
    /// Display name.
    pub name: String,
    /// The team's region.
    pub region: Option<String>,
    /// Who supervises it.
    pub supervisor: Option<UserId>,
}

impl<S: Store> Crm<S> {
    /// Creates a user, or updates the one with this id (an event records what
    /// changed; deactivating is `active: false`, never a deletion). Saving a
    /// user exactly as stored writes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may create (or edit) users,
    /// [`Error::Validation`] for a blank name or a bad email.
    pub fn save_user(&mut self, actor: &Actor, input: UserInput) -> Result<User> {
        let key = RecordKey::from(&input.id);
        let existing: Option<User> = self.store.get(&key)?.and_then(User::from_any);
        let mut tx = self.begin(actor);
        let meta = match &existing {
            Some(user) => user.meta.clone(),
            None => self.new_meta(&tx),
        };
        let user = User {
            id: input.id,
            meta,
            name: input.name,
            email: input.email,
            team: input.team,
            region: input.region,
            product_lines: input.product_lines,
            roles: input.roles,
            active: input.active,
            away: input.away,
            custom: existing
                .as_ref()
                .map(|u| u.custom.clone())
                .unwrap_or_default(),
        };
        let permission = if existing.is_some() {
            Permission::Edit
        } else {
            Permission::Create
        };
        self.authorize(actor, permission, existing.as_ref().unwrap_or(&user))?;
        if existing.as_ref() == Some(&user) {
            // Saving what is stored changes nothing and records no event.
            return Ok(user);
        }
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        let user = self.put(&mut tx, existing.as_ref(), user, Note::action(action))?;
        self.finish(tx)?;
        Ok(user)
    }

    /// Creates a team, or updates the one with this id. Saving a team exactly
    /// as stored writes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may create (or edit) teams,
    /// [`Error::Validation`] for a blank name.
    pub fn save_team(&mut self, actor: &Actor, input: TeamInput) -> Result<Team> {
        let key = RecordKey::from(&input.id);
        let existing: Option<Team> = self.store.get(&key)?.and_then(Team::from_any);
        let mut tx = self.begin(actor);
        let meta = match &existing {
            Some(team) => team.meta.clone(),
            None => self.new_meta(&tx),
        };
        let team = Team {
            id: input.id,
            meta,
            name: input.name,
            region: input.region,
            supervisor: input.supervisor,
            custom: existing
                .as_ref()
                .map(|t| t.custom.clone())
                .unwrap_or_default(),
        };
        let permission = if existing.is_some() {
            Permission::Edit
        } else {
            Permission::Create
        };
        self.authorize(actor, permission, existing.as_ref().unwrap_or(&team))?;
        if existing.as_ref() == Some(&team) {
            // Saving what is stored changes nothing and records no event.
            return Ok(team);
        }
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        let team = self.put(&mut tx, existing.as_ref(), team, Note::action(action))?;
        self.finish(tx)?;
        Ok(team)
    }

    /// Creates a customer in the lifecycle's first stage, owned by `owner` (or
    /// the actor) and their team.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] unless the actor may create this customer,
    /// [`Error::Validation`] for a blank name, a bad phone or email, invalid
    /// custom values.
    pub fn create_customer(&mut self, actor: &Actor, new: NewCustomer) -> Result<Customer> {
        let mut tx = self.begin(actor);
        let customer = self.build_customer(&tx, actor, new)?;
        let customer = self.put(&mut tx, None, customer, Note::action("create"))?;
        self.finish(tx)?;
        Ok(customer)
    }

    /// A new customer as [`Crm::create_customer`] makes it, checked for
    /// the actor's permission, not yet written.
    pub(super) fn build_customer(
        &mut self,
        tx: &Tx,
        actor: &Actor,
        new: NewCustomer,
    ) -> Result<Customer> {
        let owner = new.owner.or_else(|| Some(actor.user.clone()));
        let team = match new.team {
            Some(team) => Some(team),
            None => self.team_of(owner.as_ref(), actor)?,
        };
        let customer = Customer {
            id: CustomerId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(tx),
            kind: new.kind,
            name: new.name,
            stage: self.initial_state(EntityKind::Customer)?,
            stage_since: Some(tx.now),
            tier: None,
            owner,
            team,
            region: new.region,
            industry: new.industry,
            tags: new.tags,
            phone: new.phone,
            email: new.email,
            source_lead: None,
            time_zone: new.time_zone,
            segment: None,
            last_contact_at: None,
            loyalty: None,
            care_done: Default::default(),
            custom: new.custom,
        };
        self.authorize_create(actor, &customer)?;
        Ok(customer)
    }

    /// Adds a contact to a customer; it takes the customer's owner and team.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `customer` when none is named,
    /// [`Error::NotFound`] when the customer does not exist,
    /// [`Error::Forbidden`] unless the actor may create contacts there,
    /// [`Error::Validation`] for a blank name, bad phones or emails.
    pub fn add_contact(&mut self, actor: &Actor, new: NewContact) -> Result<Contact> {
        let mut tx = self.begin(actor);
        let contact = self.build_contact(&tx, actor, new)?;
        let contact = self.put(&mut tx, None, contact, Note::action("create"))?;
        self.finish(tx)?;
        Ok(contact)
    }

    /// A new contact as [`Crm::add_contact`] makes it, checked for the
    /// actor's permission, not yet written.
    pub(super) fn build_contact(
        &mut self,
        tx: &Tx,
        actor: &Actor,
        new: NewContact,
    ) -> Result<Contact> {
        let customer_id = new
            .customer
            .ok_or_else(|| Error::invalid("customer", "a contact belongs to a customer"))?;
        let customer: Customer = self.load(&RecordKey::from(customer_id))?;
        let contact = Contact {
            id: ContactId::from_uuid(self.next_id(tx.now)),
            meta: self.new_meta(tx),
            customer: customer_id,
            name: new.name,
            title: new.title,
            phones: new.phones,
            emails: new.emails,
            owner: customer.owner.clone(),
            team: customer.team.clone(),
            custom: new.custom,
        };
        self.authorize_create(actor, &contact)?;
        Ok(contact)
    }

    /// The team of `owner` (from their user record), or else the actor's.
    pub(super) fn team_of(&self, owner: Option<&UserId>, actor: &Actor) -> Result<Option<TeamId>> {
        if let Some(owner) = owner {
            if let Some(user) = self.user_record(owner)? {
                if user.team.is_some() {
                    return Ok(user.team);
                }
            }
            if *owner != actor.user {
                return Ok(None);
            }
        }
        Ok(actor.team.clone())
    }

    /// Finds customers and contacts with this email or phone: what a duplicate
    /// check before creating one starts from.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store fails.
    pub fn find_by_contact_point(
        &self,
        actor: &Actor,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Vec<AnyRecord>> {
        let mut found: Vec<AnyRecord> = Vec::new();
        for kind in [EntityKind::Customer, EntityKind::Contact] {
            if !self
                .config
                .policy
                .allows(actor, kind, Permission::Read, None)
            {
                continue;
            }
            let mut queries = Vec::new();
            if let Some(email) = email {
                queries.push(crate::store::Query::new(kind).email(email));
            }
            if let Some(phone) = phone {
                queries.push(crate::store::Query::new(kind).phone(phone));
            }
            for query in queries {
                for record in self.list(actor, &query)? {
                    if !found.iter().any(|f| f.key() == record.key()) {
                        found.push(record);
                    }
                }
            }
        }
        Ok(found)
    }
}
