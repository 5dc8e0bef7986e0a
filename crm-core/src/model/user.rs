//! Users and teams.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    Access, CustomFields, IndexKeys, Meta, Record, SHORT_TEXT, TeamId, UserId, check_labels,
    check_opt_text, check_text, normalize_email,
};

/// A user: someone (or some integration) who works in the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The host's id for the user.
    pub id: UserId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// Display name.
    pub name: String,
    /// Work email.
    pub email: Option<String>,
    /// The team they belong to.
    pub team: Option<TeamId>,
    /// Their region.
    pub region: Option<String>,
    /// The product lines they sell.
    #[serde(default)]
    pub product_lines: Vec<String>,
    /// Their roles (names of roles in the [`Policy`](crate::access::Policy)).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Whether they can be given work.
    pub active: bool,
    /// When they are away (leave, holidays): assignment rules pass them over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub away: Vec<Absence>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

impl User {
    /// An active user with a name and no team, region or roles.
    pub fn new(id: UserId, name: impl Into<String>, meta: Meta) -> Self {
        User {
            id,
            meta,
            name: name.into(),
            email: None,
            team: None,
            region: None,
            product_lines: Vec::new(),
            roles: Vec::new(),
            active: true,
            away: Vec::new(),
            custom: CustomFields::new(),
        }
    }
}

/// A time a user is away, from `from` until (not including) `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// When it starts.
    pub from: DateTime<Utc>,
    /// When it ends (the user is back at this instant).
    pub until: DateTime<Utc>,
    /// Why (holiday, sick leave, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl User {
    /// Whether they are away at `at`.
    pub fn is_away(&self, at: DateTime<Utc>) -> bool {
        self.away.iter().any(|a| a.from <= at && at < a.until)
    }
}

/// A team: a sales team or a service group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// The host's id for the team.
    pub id: TeamId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// Display name.
    pub name: String,
    /// The team's region.
    pub region: Option<String>,
    /// Who supervises it (escalations go there).
    pub supervisor: Option<UserId>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

impl Record for User {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::User;
    const PROTECTED: &'static [&'static str] = &[];

    record_basics!(User);

    fn access(&self) -> Access {
        Access {
            owners: vec![self.id.clone()],
            team: self.team.clone(),
            region: self.region.clone(),
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: Some(self.id.clone()),
            team: self.team.clone(),
            status: Some(if self.active { "active" } else { "inactive" }.to_string()),
            emails: self
                .email
                .iter()
                .filter_map(|e| normalize_email(e).ok())
                .collect(),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("region", &self.region, SHORT_TEXT)?;
        check_labels("product_lines", &self.product_lines)?;
        check_labels("roles", &self.roles)?;
        for (i, absence) in self.away.iter().enumerate() {
            if absence.until <= absence.from {
                return Err(
                    Error::invalid(format!("away[{i}].until"), "must be after from").with_value(
                        absence
                            .until
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                );
            }
            check_opt_text(&format!("away[{i}].reason"), &absence.reason, SHORT_TEXT)?;
        }
        if let Some(email) = &self.email {
            normalize_email(email)?;
        }
        Ok(())
    }
}

impl Record for Team {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Team;
    const PROTECTED: &'static [&'static str] = &[];

    record_basics!(Team);

    fn access(&self) -> Access {
        Access {
            owners: self.supervisor.iter().cloned().collect(),
            team: Some(self.id.clone()),
            region: self.region.clone(),
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.supervisor.clone(),
            team: Some(self.id.clone()),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("region", &self.region, SHORT_TEXT)
    }
}
