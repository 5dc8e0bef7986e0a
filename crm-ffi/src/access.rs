//! Who runs a command: the actor.

use crm::Error as CoreError;
use crm::access::Actor as CoreActor;

use crate::model::{opt_team, user};

/// Someone running a command: a user with roles, a team and a region. Every
/// command takes one and checks its permissions and data scope.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Actor {
    /// The user's id.
    pub user: String,
    /// Their roles (`sales`, `support`, `supervisor`, `admin` by default).
    #[uniffi(default)]
    pub roles: Vec<String>,
    /// Their team.
    #[uniffi(default)]
    pub team: Option<String>,
    /// Their region.
    #[uniffi(default)]
    pub region: Option<String>,
}

impl TryFrom<Actor> for CoreActor {
    type Error = CoreError;

    fn try_from(actor: Actor) -> Result<Self, CoreError> {
        Ok(CoreActor {
            user: user(actor.user)?,
            roles: actor.roles,
            team: opt_team(actor.team)?,
            region: actor.region,
        })
    }
}
