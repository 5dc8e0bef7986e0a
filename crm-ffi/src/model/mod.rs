//! Records across the boundary: one `uniffi::Record` per core record, made by
//! `From<core type>`, plus the inputs of the commands that create them.
//!
//! Conventions, the same in every record:
//!
//! - ids, user ids and team ids are strings;
//! - kinds and other closed sets (`"lead"`, `"call"`, `"urgent"`, `"read"`)
//!   are lowercase strings spelled as in the canonical JSON, parsed by the core's
//!   rules on the way in, so an unknown one is a `CrmError.Validation` naming the
//!   field;
//! - lifecycle states and actions are strings (pipelines are configurable);
//! - times are `SystemTime` (see [`crate::clock`]), dates `YYYY-MM-DD` strings;
//! - money is [`Money`] with a decimal string amount, never a float;
//! - free-form JSON (custom fields, event changes and payloads) is JSON text in
//!   fields named `*_json`;
//! - the core's `meta` is flattened into each record: `version`, `created_at`,
//!   `updated_at`, `created_by`, `shares`, `merged_into`.

mod activity;
mod campaign;
mod contact;
mod contract;
mod customer;
mod ids;
mod lead;
mod money;
mod opportunity;
mod points;
mod task;
mod ticket;
mod user;

pub use activity::{Activity, NewActivity};
pub use campaign::{Campaign, CampaignMember};
pub use contact::{Contact, NewContact};
pub use contract::Contract;
pub use customer::{Customer, NewCustomer};
pub use ids::RecordKey;
pub(crate) use ids::{opt_team, opt_text, opt_user, team, user};
pub use lead::{Conversion, ConvertLeadOptions, Lead, NewLead};
pub use money::Money;
pub(crate) use money::money_at;
pub use opportunity::{NewOpportunity, Opportunity, Win};
pub use points::PointsEntry;
pub use task::{NewTask, Task, TaskLogEntry};
pub use ticket::{NewTicket, Survey, SurveyAnswer, Ticket};
pub use user::{Absence, Team, TeamInput, User, UserInput};

use crm::AnyRecord as CoreAnyRecord;
use crm::CustomFields;
use crm::Error as CoreError;
use crm::Grantee as CoreGrantee;
use crm::Share as CoreShare;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Any one record, tagged with its kind: what the generic commands (`get`,
/// `list`, `transition`, `update`, `share`, `unshare`) return.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
#[allow(clippy::large_enum_variant)]
pub enum AnyRecord {
    /// A customer.
    Customer {
        /// The record.
        record: Customer,
    },
    /// A contact.
    Contact {
        /// The record.
        record: Contact,
    },
    /// A lead.
    Lead {
        /// The record.
        record: Lead,
    },
    /// An opportunity.
    Opportunity {
        /// The record.
        record: Opportunity,
    },
    /// A contract.
    Contract {
        /// The record.
        record: Contract,
    },
    /// A ticket.
    Ticket {
        /// The record.
        record: Ticket,
    },
    /// An activity.
    Activity {
        /// The record.
        record: Activity,
    },
    /// A task.
    Task {
        /// The record.
        record: Task,
    },
    /// A user.
    User {
        /// The record.
        record: User,
    },
    /// A team.
    Team {
        /// The record.
        record: Team,
    },
    /// A points ledger entry.
    PointsEntry {
        /// The record.
        record: PointsEntry,
    },
    /// A campaign.
    Campaign {
        /// The record.
        record: Campaign,
    },
}

impl From<CoreAnyRecord> for AnyRecord {
    fn from(any: CoreAnyRecord) -> Self {
        match any {
            CoreAnyRecord::Customer(record) => AnyRecord::Customer {
                record: record.into(),
            },
            CoreAnyRecord::Contact(record) => AnyRecord::Contact {
                record: record.into(),
            },
            CoreAnyRecord::Lead(record) => AnyRecord::Lead {
                record: record.into(),
            },
            CoreAnyRecord::Opportunity(record) => AnyRecord::Opportunity {
                record: record.into(),
            },
            CoreAnyRecord::Contract(record) => AnyRecord::Contract {
                record: record.into(),
            },
            CoreAnyRecord::Ticket(record) => AnyRecord::Ticket {
                record: record.into(),
            },
            CoreAnyRecord::Activity(record) => AnyRecord::Activity {
                record: record.into(),
            },
            CoreAnyRecord::Task(record) => AnyRecord::Task {
                record: record.into(),
            },
            CoreAnyRecord::User(record) => AnyRecord::User {
                record: record.into(),
            },
            CoreAnyRecord::Team(record) => AnyRecord::Team {
                record: record.into(),
            },
            CoreAnyRecord::PointsEntry(record) => AnyRecord::PointsEntry {
                record: record.into(),
            },
            CoreAnyRecord::Campaign(record) => AnyRecord::Campaign {
                record: record.into(),
            },
        }
    }
}

/// Who a record is shared with.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Grantee {
    /// One user.
    User {
        /// The user's id.
        id: String,
    },
    /// Every member of a team.
    Team {
        /// The team's id.
        id: String,
    },
}

impl From<CoreGrantee> for Grantee {
    fn from(grantee: CoreGrantee) -> Self {
        match grantee {
            CoreGrantee::User(id) => Grantee::User { id: id.to_string() },
            CoreGrantee::Team(id) => Grantee::Team { id: id.to_string() },
        }
    }
}

impl TryFrom<Grantee> for CoreGrantee {
    type Error = CoreError;

    fn try_from(grantee: Grantee) -> Result<Self, CoreError> {
        Ok(match grantee {
            Grantee::User { id } => CoreGrantee::User(user(id)?),
            Grantee::Team { id } => CoreGrantee::Team(team(id)?),
        })
    }
}

/// One share of a record: who, and `"read"` or `"edit"`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Share {
    /// Who it is shared with.
    pub grantee: Grantee,
    /// What they may do: `"read"` or `"edit"`.
    pub access: String,
}

impl From<CoreShare> for Share {
    fn from(share: CoreShare) -> Self {
        Share {
            grantee: share.grantee.into(),
            access: share.access.to_string(),
        }
    }
}

/// A count (rows, members, batches) as `u64` for the foreign side.
pub(crate) fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The shares of a record's meta.
pub(crate) fn shares(meta: &crm::Meta) -> Vec<Share> {
    meta.shares.iter().cloned().map(Share::from).collect()
}

/// A core enum value from its optional name (`"urgent"`), the core's default
/// when absent.
///
/// # Errors
///
/// The core's validation error on the enum's field, listing the names.
pub(crate) fn parse_name_or_default<T>(name: Option<String>) -> Result<T, CoreError>
where
    T: std::str::FromStr<Err = CoreError> + Default,
{
    name.map(|name| name.parse())
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Custom values as JSON text: `{"key": {"decimal": "12.50"}}`.
pub(crate) fn custom_json(custom: &CustomFields) -> String {
    // A map of strings to plain values always serialises.
    serde_json::to_string(custom).unwrap_or_else(|_| "{}".to_owned())
}

/// Free-form JSON as text, `None` for JSON `null`.
pub(crate) fn json_text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

/// Parses JSON text from the foreign side into `T`.
///
/// # Errors
///
/// A validation error on `field` giving the position of the problem, never
/// the text itself (it may be personal data).
pub(crate) fn parse_json<T: DeserializeOwned>(
    field: &str,
    what: &str,
    json: &str,
) -> Result<T, CoreError> {
    serde_json::from_str(json).map_err(|err| {
        CoreError::invalid(
            field,
            format!(
                "is not {what} (line {}, column {})",
                err.line(),
                err.column()
            ),
        )
    })
}

/// Custom values given as JSON text (`None`: no custom values).
///
/// # Errors
///
/// A validation error on `custom` when the text is not an object of typed
/// values (`{"key": {"text": "..."}}`).
pub(crate) fn parse_custom(json: Option<String>) -> Result<CustomFields, CoreError> {
    json.map_or_else(
        || Ok(CustomFields::new()),
        |json| parse_json("custom", "a JSON object of typed custom values", &json),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(crm::TicketPriority::Urgent.to_string(), "urgent");
        let kind: crm::CustomerKind = "person".parse().unwrap();
        assert_eq!(kind, crm::CustomerKind::Person);
        let err = "robot".parse::<crm::CustomerKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid kind: is not one of company, person (got `robot`)"
        );
    }

    #[test]
    fn bad_json_names_the_place_not_the_text() {
        let err = parse_custom(Some("{\"secret\": ".into())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid custom: is not a JSON object"),
            "{text}"
        );
        assert!(!text.contains("secret"));
    }
}
