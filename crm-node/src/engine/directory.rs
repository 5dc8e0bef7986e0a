//! Users, teams, customers and contacts.

use napi::Env;
use napi_derive::napi;

use crm::{TeamId, TeamInput, UserId, UserInput};

use crate::access::JsActor;
use crate::engine::JsCrm;
use crate::model::{JsContact, JsCustomer, JsNewContact, JsNewCustomer, JsTeam, JsUser};

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
        self.run(&env, |crm| {
            Ok(crm.save_team(&actor.to_core()?, team.into_core()?)?.into())
        })
    }

    /// Creates a user, or replaces the one with this id.
    ///
    /// @throws {Error} `validation` on `user_id`, `team_id`, `name` or
    /// `email`; `forbidden` (create, edit).
    #[napi]
    pub fn save_user(&self, env: Env, actor: JsActor, user: JsUserInput) -> napi::Result<JsUser> {
        self.run(&env, |crm| {
            Ok(crm.save_user(&actor.to_core()?, user.into_core()?)?.into())
        })
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
        self.run(&env, |crm| {
            Ok(crm
                .create_customer(&actor.to_core()?, customer.into_core()?)?
                .into())
        })
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
        self.run(&env, |crm| {
            Ok(crm
                .add_contact(&actor.to_core()?, contact.into_core()?)?
                .into())
        })
    }
}
