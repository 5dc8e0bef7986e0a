//! Users and teams.

use napi_derive::napi;
use serde_json::Value;

use crm::{Absence, Team, User};

use crate::clock::rfc3339;
use crate::convert::custom_json;
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// A time a user is away, from `from` until (not including) `until`: the
/// assignment rules pass them over then (`on_leave`).
#[napi(
    object,
    js_name = "Absence",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsAbsence {
    /// When it starts (RFC 3339, UTC).
    pub from: String,
    /// When it ends: they are back at this instant (RFC 3339, UTC).
    pub until: String,
    /// Why (holiday, sick leave, ...).
    pub reason: Option<String>,
}

impl From<Absence> for JsAbsence {
    fn from(absence: Absence) -> Self {
        JsAbsence {
            from: rfc3339(absence.from),
            until: rfc3339(absence.until),
            reason: absence.reason,
        }
    }
}

/// A user of the CRM.
#[napi(object, js_name = "User", object_from_js = false, use_nullable = true)]
pub struct JsUser {
    /// The user's id (name-like, such as `ana`).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the user was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the user last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The name.
    pub name: String,
    /// The email address.
    pub email: Option<String>,
    /// Their team.
    pub team: Option<String>,
    /// Their region.
    pub region: Option<String>,
    /// The product lines they sell.
    pub product_lines: Vec<String>,
    /// Their roles.
    pub roles: Vec<String>,
    /// Whether they can still be assigned work.
    pub active: bool,
    /// When they are away, in the order given.
    pub away: Vec<JsAbsence>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<User> for JsUser {
    fn from(user: User) -> Self {
        let meta = MetaFields::from(user.meta);
        JsUser {
            id: user.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            name: user.name,
            email: user.email,
            team: opt_string(user.team),
            region: user.region,
            product_lines: user.product_lines,
            roles: user.roles,
            active: user.active,
            away: user.away.into_iter().map(JsAbsence::from).collect(),
            custom: custom_json(&user.custom),
        }
    }
}

/// A team of users.
#[napi(object, js_name = "Team", object_from_js = false, use_nullable = true)]
pub struct JsTeam {
    /// The team's id (name-like, such as `east`).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the team was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the team last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The name.
    pub name: String,
    /// The region.
    pub region: Option<String>,
    /// The supervisor's user id.
    pub supervisor: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Team> for JsTeam {
    fn from(team: Team) -> Self {
        let meta = MetaFields::from(team.meta);
        JsTeam {
            id: team.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            name: team.name,
            region: team.region,
            supervisor: opt_string(team.supervisor),
            custom: custom_json(&team.custom),
        }
    }
}
