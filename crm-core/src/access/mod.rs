//! Who may do what: actors, roles, permissions and data scopes.
//!
//! Every engine command runs as an [`Actor`]. The [`Policy`] maps role names to
//! [`Grant`]s; a grant gives permissions on kinds of record within a data
//! [`Scope`] (the actor's own records, their team's, their region's, or all).
//! A record shared with a user or team is readable (and, with edit access,
//! editable) by them whatever their scope.
//!
//! # Examples
//!
//! ```
//! use crm_core::access::{Actor, Permission, Policy, Target};
//! use crm_core::{EntityKind, ErrorKind, UserId};
//!
//! let policy = Policy::default();
//! let ana = Actor::new(UserId::new("ana").unwrap()).with_role("sales");
//!
//! // Sales may edit their own leads...
//! let own = Target::owned_by(UserId::new("ana").unwrap());
//! assert!(policy.check(&ana, EntityKind::Lead, Permission::Edit, Some(&own)).is_ok());
//!
//! // ...but not a colleague's.
//! let other = Target::owned_by(UserId::new("bo").unwrap());
//! let err = policy.check(&ana, EntityKind::Lead, Permission::Edit, Some(&other)).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Forbidden);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Access, EntityKind, Grantee, Share, ShareAccess, TeamId, UserId};

/// Someone running a command: a user with roles, a team and a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// Their roles (names in the [`Policy`]).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Their team.
    #[serde(default)]
    pub team: Option<TeamId>,
    /// Their region.
    #[serde(default)]
    pub region: Option<String>,
}

impl Actor {
    /// An actor with no role, team or region.
    pub fn new(user: UserId) -> Self {
        Actor {
            user,
            roles: Vec::new(),
            team: None,
            region: None,
        }
    }

    /// Adds a role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Sets the team.
    pub fn with_team(mut self, team: TeamId) -> Self {
        self.team = Some(team);
        self
    }

    /// Sets the region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// What an actor may do to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See it and its history.
    Read,
    /// Create it.
    Create,
    /// Change its fields and move it through its lifecycle.
    Edit,
    /// Give it to another owner.
    Assign,
    /// Share it with others.
    Share,
}

impl Permission {
    /// The permission's name: `"read"`, `"edit"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Create => "create",
            Permission::Edit => "edit",
            Permission::Assign => "assign",
            Permission::Share => "share",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which records a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Records the actor owns.
    Own,
    /// Records of the actor's team (owned by the team or by a member), and their own.
    Team,
    /// Records of the actor's region, and their own.
    Region,
    /// Every record.
    All,
}

/// Either everything (`"*"` in JSON) or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector<T> {
    /// Everything.
    All,
    /// Only these.
    Only(Vec<T>),
}

impl<T: PartialEq> Selector<T> {
    /// Whether `item` is selected.
    pub fn contains(&self, item: &T) -> bool {
        match self {
            Selector::All => true,
            Selector::Only(items) => items.contains(item),
        }
    }
}

impl<T: Serialize> Serialize for Selector<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Selector::All => s.serialize_str("*"),
            Selector::Only(items) => items.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Selector<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr<T> {
            Star(String),
            List(Vec<T>),
        }
        match Repr::deserialize(d)? {
            Repr::Star(star) if star == "*" => Ok(Selector::All),
            Repr::Star(other) => Err(serde::de::Error::custom(format!(
                "expected \"*\" or a list, got \"{other}\""
            ))),
            Repr::List(items) => Ok(Selector::Only(items)),
        }
    }
}

/// Permissions on kinds of record within a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The kinds of record (`"*"` for all).
    pub entities: Selector<EntityKind>,
    /// The permissions (`"*"` for all).
    pub permissions: Selector<Permission>,
    /// The records reached.
    pub scope: Scope,
}

/// Roles and what they grant.
///
/// The default policy has four roles:
///
/// | role | grants |
/// | --- | --- |
/// | `sales` | read, create, edit and share their own leads, customers, contacts, opportunities, activities and tasks; read their own contracts and tickets; open tickets |
/// | `support` | read, create and edit their team's tickets; read all customers and contacts; their own activities and tasks |
/// | `supervisor` | everything on their team's records, assignment and sharing included |
/// | `admin` | everything on every record, users and teams included |
///
/// Everyone may read users and teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Policy {
    roles: BTreeMap<String, Vec<Grant>>,
}

/// What a permission is checked against: whom a record belongs to, the teams of
/// its owners, and whom it is shared with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// Owners, team and region of the record.
    pub access: Access,
    /// The teams the record's owners belong to.
    pub owner_teams: Vec<TeamId>,
    /// The record's shares.
    pub shares: Vec<Share>,
}

impl Target {
    /// A target owned by one user, with no team, region or share.
    pub fn owned_by(user: UserId) -> Self {
        Target {
            access: Access {
                owners: vec![user],
                ..Access::default()
            },
            ..Target::default()
        }
    }
}

impl Policy {
    /// A policy from roles and their grants.
    pub fn new(roles: BTreeMap<String, Vec<Grant>>) -> Self {
        Policy { roles }
    }

    /// Loads a policy from JSON: an object from role name to a list of grants.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the JSON does not parse.
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::access::Policy;
    ///
    /// let policy = Policy::from_json(r#"{
    ///     "auditor": [{"entities": "*", "permissions": ["read"], "scope": "all"}]
    /// }"#).unwrap();
    /// assert!(policy.role("auditor").is_some());
    /// assert!(Policy::from_json(r#"{"x": [{"entities": "all"}]}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::config("policy", e.to_string()))
    }

    /// The grants of a role.
    pub fn role(&self, name: &str) -> Option<&[Grant]> {
        self.roles.get(name).map(Vec::as_slice)
    }

    /// Whether `actor` may do `permission` on a record of kind `entity`
    /// (`target`), or on some record of that kind (`None`: used for creating and
    /// listing, where the scope filters what is seen).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] naming the actor, the permission and the kind.
    pub fn check(
        &self,
        actor: &Actor,
        entity: EntityKind,
        permission: Permission,
        target: Option<&Target>,
    ) -> Result<()> {
        if self.allows(actor, entity, permission, target) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                actor: actor.user.to_string(),
                action: permission.to_string(),
                entity,
                id: None,
            })
        }
    }

    /// [`Policy::check`] as a yes or no.
    pub fn allows(
        &self,
        actor: &Actor,
        entity: EntityKind,
        permission: Permission,
        target: Option<&Target>,
    ) -> bool {
        let granted = actor
            .roles
            .iter()
            .filter_map(|role| self.roles.get(role))
            .flatten()
            .filter(|grant| {
                grant.entities.contains(&entity) && grant.permissions.contains(&permission)
            })
            .any(|grant| match target {
                None => true,
                Some(target) => in_scope(actor, grant.scope, target),
            });
        granted || target.is_some_and(|target| shared(actor, permission, target))
    }
}

fn in_scope(actor: &Actor, scope: Scope, target: &Target) -> bool {
    let own = target.access.owners.contains(&actor.user);
    match scope {
        Scope::Own => own,
        Scope::Team => {
            own || actor.team.as_ref().is_some_and(|team| {
                target.access.team.as_ref() == Some(team) || target.owner_teams.contains(team)
            })
        }
        Scope::Region => {
            own || actor
                .region
                .as_ref()
                .is_some_and(|region| target.access.region.as_ref() == Some(region))
        }
        Scope::All => true,
    }
}

fn shared(actor: &Actor, permission: Permission, target: &Target) -> bool {
    target.shares.iter().any(|share| {
        let reaches = match &share.grantee {
            Grantee::User(user) => *user == actor.user,
            Grantee::Team(team) => actor.team.as_ref() == Some(team),
        };
        reaches
            && match permission {
                Permission::Read => true,
                Permission::Edit => share.access == ShareAccess::Edit,
                Permission::Create | Permission::Assign | Permission::Share => false,
            }
    })
}

impl Default for Policy {
    fn default() -> Self {
        use EntityKind::*;
        use Permission::*;
        let grant = |entities: &[EntityKind], permissions: &[Permission], scope| Grant {
            entities: Selector::Only(entities.to_vec()),
            permissions: Selector::Only(permissions.to_vec()),
            scope,
        };
        let directory = grant(&[User, Team], &[Read], Scope::All);
        let mut roles = BTreeMap::new();
        roles.insert(
            "sales".to_string(),
            vec![
                grant(
                    &[Lead, Customer, Contact, Opportunity, Activity, Task],
                    &[Read, Create, Edit, Share],
                    Scope::Own,
                ),
                grant(&[Contract, Ticket, PointsEntry], &[Read], Scope::Own),
                grant(&[Ticket], &[Create], Scope::Own),
                grant(&[Campaign], &[Read, Edit], Scope::Team),
                grant(&[Campaign], &[Create], Scope::Own),
                directory.clone(),
            ],
        );
        roles.insert(
            "support".to_string(),
            vec![
                grant(&[Ticket], &[Read, Create, Edit], Scope::Team),
                grant(&[Customer, Contact, PointsEntry], &[Read], Scope::All),
                grant(&[Activity, Task], &[Read, Create, Edit], Scope::Own),
                directory.clone(),
            ],
        );
        roles.insert(
            "supervisor".to_string(),
            vec![
                Grant {
                    entities: Selector::Only(vec![
                        Customer,
                        Contact,
                        Lead,
                        Opportunity,
                        Contract,
                        Ticket,
                        Activity,
                        Task,
                        PointsEntry,
                        Campaign,
                    ]),
                    permissions: Selector::All,
                    scope: Scope::Team,
                },
                directory,
            ],
        );
        roles.insert(
            "admin".to_string(),
            vec![Grant {
                entities: Selector::All,
                permissions: Selector::All,
                scope: Scope::All,
            }],
        );
        Policy { roles }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::new(id).unwrap()
    }

    fn team(id: &str) -> TeamId {
        TeamId::new(id).unwrap()
    }

    #[test]
    fn scopes() {
        let policy = Policy::default();
        let lead_of_bo_in_east = Target {
            access: Access {
                owners: vec![user("bo")],
                team: Some(team("east")),
                region: Some("north".into()),
            },
            ..Target::default()
        };
        let sales = Actor::new(user("ana"))
            .with_role("sales")
            .with_team(team("east"));
        let supervisor_east = Actor::new(user("sue"))
            .with_role("supervisor")
            .with_team(team("east"));
        let supervisor_west = Actor::new(user("sam"))
            .with_role("supervisor")
            .with_team(team("west"));
        let admin = Actor::new(user("root")).with_role("admin");
        let nobody = Actor::new(user("guest"));
        let t = Some(&lead_of_bo_in_east);
        assert!(!policy.allows(&sales, EntityKind::Lead, Permission::Read, t));
        assert!(policy.allows(&supervisor_east, EntityKind::Lead, Permission::Assign, t));
        assert!(!policy.allows(&supervisor_west, EntityKind::Lead, Permission::Read, t));
        assert!(policy.allows(&admin, EntityKind::User, Permission::Edit, None));
        assert!(!policy.allows(&sales, EntityKind::User, Permission::Edit, None));
        assert!(!policy.allows(&nobody, EntityKind::Lead, Permission::Read, None));
        // A team-owned record counts for the owner's team even when its own team is unset.
        let owned_by_member = Target {
            owner_teams: vec![team("west")],
            ..Target::owned_by(user("wes"))
        };
        assert!(policy.allows(
            &supervisor_west,
            EntityKind::Opportunity,
            Permission::Edit,
            Some(&owned_by_member)
        ));
    }

    #[test]
    fn shares_open_one_record() {
        let policy = Policy::default();
        let mut target = Target::owned_by(user("bo"));
        let ana = Actor::new(user("ana"))
            .with_role("sales")
            .with_team(team("east"));
        assert!(!policy.allows(
            &ana,
            EntityKind::Opportunity,
            Permission::Read,
            Some(&target)
        ));
        target.shares.push(Share {
            grantee: Grantee::Team(team("east")),
            access: ShareAccess::Read,
        });
        assert!(policy.allows(
            &ana,
            EntityKind::Opportunity,
            Permission::Read,
            Some(&target)
        ));
        assert!(!policy.allows(
            &ana,
            EntityKind::Opportunity,
            Permission::Edit,
            Some(&target)
        ));
        target.shares.push(Share {
            grantee: Grantee::User(user("ana")),
            access: ShareAccess::Edit,
        });
        assert!(policy.allows(
            &ana,
            EntityKind::Opportunity,
            Permission::Edit,
            Some(&target)
        ));
        assert!(!policy.allows(
            &ana,
            EntityKind::Opportunity,
            Permission::Assign,
            Some(&target)
        ));
    }

    #[test]
    fn policies_round_trip_through_json() {
        let policy = Policy::default();
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(Policy::from_json(&json).unwrap(), policy);
        assert!(json.contains(r#""permissions":"*""#));
    }
}
