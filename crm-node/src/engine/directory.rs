//! Users, teams, customers and contacts.

use napi::Env;
use napi_derive::napi;

use crm::{Absence, TeamId, TeamInput, UserId, UserInput};

use crate::access::JsActor;
use crate::clock::{TimeInput, time};
use crate::engine::{Command, JsCrm, Pending};
use crate::model::{JsContact, JsCustomer, JsNewContact, JsNewCustomer, JsTeam, JsUser};

/// A time a user is away, for `saveUser`: from `from` until (not including)
/// `until`.
#[napi(object, js_name = "AbsenceInput", object_to_js = false)]
pub struct JsAbsenceInput {
    /// When it starts (an RFC 3339 string or a `Date`).
    #[napi(ts_type = "string | Date")]
    pub from: TimeInput,
    /// When it ends: they are back at this instant (an RFC 3339 string or a
    /// `Date`, after `from`).
    #[napi(ts_type = "string | Date")]
    pub until: TimeInput,
    /// Why (holiday, sick leave, ...).
    pub reason: Option<String>,
}

impl JsAbsenceInput {
    /// The core absence, the `at`th of the list: a malformed time is a
    /// `validation` error on `away[at].from` or `away[at].until`.
    fn into_core(self, at: usize) -> crm::Result<Absence> {
        Ok(Absence {
            from: time(&format!("away[{at}].from"), self.from)?,
            until: time(&format!("away[{at}].until"), self.until)?,
            reason: self.reason,
        })
    }
}

/// A user for `saveUser`: created, or replaced when the id exists.
#[napi(object, js_name = "UserInput", object_to_js = false)]
pub struct JsUserInput {
    /// The user's id (name-like, such as `ana`; at most 128 characters).
    pub id: String,
    /// The name.
    pub name: String,
    /// The email address.
    pub email: Option<String>,
    /// Their team's id.
    pub team: Option<String>,
    /// Their region.
    pub region: Option<String>,
    /// The product lines they sell.
    pub product_lines: Option<Vec<String>>,
    /// Their roles (`admin`, `supervisor`, `sales`, `support`, ...).
    pub roles: Option<Vec<String>>,
    /// Whether they can be assigned work (default `true`).
    pub active: Option<bool>,
    /// When they are away (default: never); the assignment rules pass them
    /// over then. Replaces the times saved before.
    pub away: Option<Vec<JsAbsenceInput>>,
}

impl JsUserInput {
    fn into_core(self) -> crm::Result<UserInput> {
        let mut input = UserInput::new(UserId::new(self.id)?, self.name);
        input.email = self.email;
        input.team = self.team.map(TeamId::new).transpose()?;
        input.region = self.region;
        input.product_lines = self.product_lines.unwrap_or_default();
        input.roles = self.roles.unwrap_or_default();
        input.active = self.active.unwrap_or(input.active);
        input.away = self
            .away
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(at, absence)| absence.into_core(at))
            .collect::<crm::Result<_>>()?;
        Ok(input)
    }
}

/// A team for `saveTeam`: created, or replaced when the id exists.
#[napi(object, js_name = "TeamInput", object_to_js = false)]
pub struct JsTeamInput {
    /// The team's id (name-like, such as `east`; at most 128 characters).
    pub id: String,
    /// The name.
    pub name: String,
    /// The region.
    pub region: Option<String>,
    /// The supervisor's user id.
    pub supervisor: Option<String>,
}

impl JsTeamInput {
    fn into_core(self) -> crm::Result<TeamInput> {
        Ok(TeamInput {
            id: TeamId::new(self.id)?,
            name: self.name,
            region: self.region,
            supervisor: self.supervisor.map(UserId::new).transpose()?,
        })
    }
}

#[napi]
impl JsCrm {
    /// Creates a team, or replaces the one with this id.
    ///
    /// @throws {Error} `validation` on `team_id`, `user_id` (supervisor) or
    /// `name`; `forbidden` (create, edit).
    #[napi]
    pub fn save_team(&self, env: Env, actor: JsActor, team: JsTeamInput) -> napi::Result<JsTeam> {
        self.run(&env, save_team(actor, team))
    }

    /// `saveTeam` off the main thread: a Promise of the team, rejected with the
    /// `Error` that `saveTeam` throws.
    #[napi(ts_return_type = "Promise<Team>")]
    pub fn save_team_async(&self, actor: JsActor, team: JsTeamInput) -> Pending<JsTeam> {
        self.spawn(save_team(actor, team))
    }

    /// Creates a user, or replaces the one with this id.
    ///
    /// @throws {Error} `validation` on `user_id`, `team_id`, `name`, `email`,
    /// or `away[0].until` (etc.) when a time is malformed or an absence does
    /// not end after it starts; `forbidden` (create, edit).
    #[napi]
    pub fn save_user(&self, env: Env, actor: JsActor, user: JsUserInput) -> napi::Result<JsUser> {
        self.run(&env, save_user(actor, user))
    }

    /// `saveUser` off the main thread: a Promise of the user, rejected with the
    /// `Error` that `saveUser` throws.
    #[napi(ts_return_type = "Promise<User>")]
    pub fn save_user_async(&self, actor: JsActor, user: JsUserInput) -> Pending<JsUser> {
        self.spawn(save_user(actor, user))
    }

    /// Creates a customer (stage `prospect`), owned by `owner` or the actor.
    ///
    /// @throws {Error} `validation` on `name`, `kind`, `phone`, `email`,
    /// `tags`, `custom`, ...; `forbidden` (create).
    #[napi]
    pub fn create_customer(
        &self,
        env: Env,
        actor: JsActor,
        customer: JsNewCustomer,
    ) -> napi::Result<JsCustomer> {
        self.run(&env, create_customer(actor, customer))
    }

    /// `createCustomer` off the main thread: a Promise of the customer,
    /// rejected with the `Error` that `createCustomer` throws.
    #[napi(ts_return_type = "Promise<Customer>")]
    pub fn create_customer_async(
        &self,
        actor: JsActor,
        customer: JsNewCustomer,
    ) -> Pending<JsCustomer> {
        self.spawn(create_customer(actor, customer))
    }

    /// Adds a contact to a customer; it shares the customer's owner and team.
    ///
    /// @throws {Error} `validation` on `customer_id`, `name`, `phones`,
    /// `emails`, ...; `not_found` (the customer); `forbidden` (create).
    #[napi]
    pub fn add_contact(
        &self,
        env: Env,
        actor: JsActor,
        contact: JsNewContact,
    ) -> napi::Result<JsContact> {
        self.run(&env, add_contact(actor, contact))
    }

    /// `addContact` off the main thread: a Promise of the contact, rejected
    /// with the `Error` that `addContact` throws.
    #[napi(ts_return_type = "Promise<Contact>")]
    pub fn add_contact_async(&self, actor: JsActor, contact: JsNewContact) -> Pending<JsContact> {
        self.spawn(add_contact(actor, contact))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn save_team(actor: JsActor, team: JsTeamInput) -> Command<JsTeam> {
    Box::new(move |crm| Ok(crm.save_team(&actor.to_core()?, team.into_core()?)?.into()))
}

fn save_user(actor: JsActor, user: JsUserInput) -> Command<JsUser> {
    Box::new(move |crm| Ok(crm.save_user(&actor.to_core()?, user.into_core()?)?.into()))
}

fn create_customer(actor: JsActor, customer: JsNewCustomer) -> Command<JsCustomer> {
    Box::new(move |crm| {
        Ok(crm
            .create_customer(&actor.to_core()?, customer.into_core()?)?
            .into())
    })
}

fn add_contact(actor: JsActor, contact: JsNewContact) -> Command<JsContact> {
    Box::new(move |crm| {
        Ok(crm
            .add_contact(&actor.to_core()?, contact.into_core()?)?
            .into())
    })
}
