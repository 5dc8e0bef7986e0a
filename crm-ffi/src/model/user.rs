//! Users and teams, and how the host describes them.

use std::time::SystemTime;

use crm::Absence as CoreAbsence;
use crm::Error as CoreError;
use crm::Team as CoreTeam;
use crm::TeamInput as CoreTeamInput;
use crm::User as CoreUser;
use crm::UserInput as CoreUserInput;

use crate::clock::{from_system_time, to_system_time};
use crate::model::ids::opt_text;
use crate::model::{RecordKey, Share, custom_json, opt_team, opt_user, shares, team, user};

/// A user: someone (or some integration) who works in the CRM.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct User {
    /// The host's id for the user.
    pub id: String,
    /// Bumped by one on every write.
    pub version: u64,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was (`merge`; `unmerge`
    /// clears it).
    pub merged_into: Option<RecordKey>,
    /// Display name.
    pub name: String,
    /// Work email.
    pub email: Option<String>,
    /// The team they belong to.
    pub team: Option<String>,
    /// Their region.
    pub region: Option<String>,
    /// The product lines they sell.
    pub product_lines: Vec<String>,
    /// Their roles (names in the access policy: `sales`, `support`,
    /// `supervisor`, `admin` by default).
    pub roles: Vec<String>,
    /// Whether they can be given work.
    pub active: bool,
    /// When they are away (leave, holidays): assignment rules pass them over
    /// then.
    pub away: Vec<Absence>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreUser> for User {
    fn from(user: CoreUser) -> Self {
        User {
            id: user.id.to_string(),
            version: user.meta.version,
            created_at: to_system_time(user.meta.created_at),
            updated_at: to_system_time(user.meta.updated_at),
            created_by: user.meta.created_by.to_string(),
            shares: shares(&user.meta),
            merged_into: user.meta.merged_into.map(RecordKey::from),
            name: user.name,
            email: user.email,
            team: opt_text(user.team),
            region: user.region,
            product_lines: user.product_lines,
            roles: user.roles,
            active: user.active,
            away: user.away.into_iter().map(Absence::from).collect(),
            custom_json: custom_json(&user.custom),
        }
    }
}

/// A user as the host describes them; `saveUser` creates or updates.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserInput {
    /// The host's id for the user.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Work email.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Their team.
    #[uniffi(default)]
    pub team: Option<String>,
    /// Their region.
    #[uniffi(default)]
    pub region: Option<String>,
    /// The product lines they sell.
    #[uniffi(default)]
    pub product_lines: Vec<String>,
    /// Their roles.
    #[uniffi(default)]
    pub roles: Vec<String>,
    /// Whether they can be given work (default `true`).
    #[uniffi(default = true)]
    pub active: bool,
    /// When they are away (assignment rules pass them over then); replaces
    /// what was stored.
    #[uniffi(default)]
    pub away: Vec<Absence>,
}

impl TryFrom<UserInput> for CoreUserInput {
    type Error = CoreError;

    fn try_from(input: UserInput) -> Result<Self, CoreError> {
        Ok(CoreUserInput {
            id: user(input.id)?,
            name: input.name,
            email: input.email,
            team: opt_team(input.team)?,
            region: input.region,
            product_lines: input.product_lines,
            roles: input.roles,
            active: input.active,
            away: input
                .away
                .into_iter()
                .enumerate()
                .map(|(i, absence)| absence.into_core(i))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A time a user is away, from `from` until (not including) `until`: in a
/// [`User`], and in the [`UserInput`] of `saveUser`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Absence {
    /// When it starts.
    pub from: SystemTime,
    /// When it ends (the user is back at this instant); after `from`.
    pub until: SystemTime,
    /// Why (holiday, sick leave, ...).
    #[uniffi(default)]
    pub reason: Option<String>,
}

impl From<CoreAbsence> for Absence {
    fn from(absence: CoreAbsence) -> Self {
        Absence {
            from: to_system_time(absence.from),
            until: to_system_time(absence.until),
            reason: absence.reason,
        }
    }
}

impl Absence {
    /// The core absence at position `i` of `away`.
    ///
    /// # Errors
    ///
    /// A validation error on `away[i].from` or `away[i].until` when the time
    /// is out of range. (The core checks the rest: `until` after `from`, the
    /// reason's length.)
    fn into_core(self, i: usize) -> Result<CoreAbsence, CoreError> {
        Ok(CoreAbsence {
            from: from_system_time(&format!("away[{i}].from"), self.from)?,
            until: from_system_time(&format!("away[{i}].until"), self.until)?,
            reason: self.reason,
        })
    }
}

/// A team: a sales team or a service group.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Team {
    /// The host's id for the team.
    pub id: String,
    /// Bumped by one on every write.
    pub version: u64,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was (`merge`; `unmerge`
    /// clears it).
    pub merged_into: Option<RecordKey>,
    /// Display name.
    pub name: String,
    /// The team's region.
    pub region: Option<String>,
    /// Who supervises it (escalations go there).
    pub supervisor: Option<String>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreTeam> for Team {
    fn from(team: CoreTeam) -> Self {
        Team {
            id: team.id.to_string(),
            version: team.meta.version,
            created_at: to_system_time(team.meta.created_at),
            updated_at: to_system_time(team.meta.updated_at),
            created_by: team.meta.created_by.to_string(),
            shares: shares(&team.meta),
            merged_into: team.meta.merged_into.map(RecordKey::from),
            name: team.name,
            region: team.region,
            supervisor: opt_text(team.supervisor),
            custom_json: custom_json(&team.custom),
        }
    }
}

/// A team as the host describes it; `saveTeam` creates or updates.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TeamInput {
    /// The host's id for the team.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The team's region.
    #[uniffi(default)]
    pub region: Option<String>,
    /// Who supervises it.
    #[uniffi(default)]
    pub supervisor: Option<String>,
}

impl TryFrom<TeamInput> for CoreTeamInput {
    type Error = CoreError;

    fn try_from(input: TeamInput) -> Result<Self, CoreError> {
        Ok(CoreTeamInput {
            id: team(input.id)?,
            name: input.name,
            region: input.region,
            supervisor: opt_user(input.supervisor)?,
        })
    }
}
