//! Who runs a command: the actor, as a plain JS object.

use napi_derive::napi;

use crm::access::Actor;
use crm::{TeamId, UserId};

/// The user running a command, with the roles, team and region that decide
/// what they may see and do: `{ user: 'ana', roles: ['sales'], team: 'east' }`.
///
/// A malformed `user` or `team` id is a `validation` error naming `user_id` or
/// `team_id`.
#[napi(object, js_name = "Actor", object_to_js = false)]
pub struct JsActor {
    /// The user's id.
    pub user: String,
    /// Their roles (names in the engine's policy: `admin`, `supervisor`,
    /// `sales`, `support`, ...).
    pub roles: Option<Vec<String>>,
    /// Their team's id.
    pub team: Option<String>,
    /// Their region.
    pub region: Option<String>,
}

impl JsActor {
    /// The core actor.
    pub(crate) fn to_core(&self) -> crm::Result<Actor> {
        let mut actor = Actor::new(UserId::new(self.user.as_str())?);
        actor.roles = self.roles.clone().unwrap_or_default();
        actor.team = self.team.as_deref().map(TeamId::new).transpose()?;
        actor.region = self.region.clone();
        Ok(actor)
    }
}
