//! Records: ids, money, custom fields, and the records a CRM keeps.
//!
//! Every record carries a [`Meta`] (version, creation and update times, who
//! created it, whom it is shared with) and custom fields. The [`Record`] trait is
//! what the engine and the stores see of each kind; [`AnyRecord`] holds any of
//! them.

/// The parts of [`Record`] that are the same for every kind.
macro_rules! record_basics {
    ($ty:ident) => {
        fn key(&self) -> $crate::model::RecordKey {
            $crate::model::RecordKey::from(&self.id)
        }
        fn meta(&self) -> &$crate::model::Meta {
            &self.meta
        }
        fn meta_mut(&mut self) -> &mut $crate::model::Meta {
            &mut self.meta
        }
        fn custom(&self) -> &$crate::model::CustomFields {
            &self.custom
        }
        fn into_any(self) -> $crate::model::AnyRecord {
            $crate::model::AnyRecord::$ty(self)
        }
        fn from_any(any: $crate::model::AnyRecord) -> Option<Self> {
            match any {
                $crate::model::AnyRecord::$ty(record) => Some(record),
                _ => None,
            }
        }
    };
    ($ty:ident, $state:ident) => {
        record_basics!($ty);
        fn state(&self) -> Option<&str> {
            Some(&self.$state)
        }
        fn set_state(&mut self, state: &str) {
            self.$state = state.to_string();
        }
    };
}

mod activity;
mod campaign;
mod contact;
mod contract;
mod custom;
mod customer;
mod ids;
mod lead;
mod money;
mod normalize;
mod opportunity;
mod points;
mod task;
mod ticket;
mod user;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use activity::{Activity, ActivityKind, NewActivity};
pub use campaign::{Campaign, CampaignMember};
pub use contact::{Contact, NewContact};
pub use contract::Contract;
pub use custom::{CustomFields, FieldDef, FieldSchema, FieldType, FieldValue, is_field_key};
pub use customer::{Customer, CustomerKind, NewCustomer, Tier};
pub use ids::{
    ActivityId, CampaignId, ContactId, ContractId, CustomerId, EventId, IdGenerator, LeadId,
    OpportunityId, PointsEntryId, RecordKey, SeededIds, TaskId, TeamId, TicketId, UserId,
};
pub use lead::{Conversion, Lead, NewLead};
pub(crate) use money::round_minor;
pub use money::{Currency, Money};
pub use normalize::{normalize_email, normalize_phone};
pub use opportunity::{NewOpportunity, Opportunity};
pub use points::{PointsEntry, PointsKind};
pub use task::{NewTask, Task, TaskLogEntry, TaskPriority};
pub use ticket::{FeedbackKind, NewTicket, Survey, Ticket, TicketPriority};
pub use user::{Absence, Team, User};

/// The kinds of record crm keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A [`Customer`].
    Customer,
    /// A [`Contact`].
    Contact,
    /// A [`Lead`].
    Lead,
    /// An [`Opportunity`].
    Opportunity,
    /// A [`Contract`].
    Contract,
    /// A [`Ticket`].
    Ticket,
    /// An [`Activity`].
    Activity,
    /// A [`Task`].
    Task,
    /// A [`User`].
    User,
    /// A [`Team`].
    Team,
    /// A [`PointsEntry`].
    PointsEntry,
    /// A [`Campaign`].
    Campaign,
}

impl EntityKind {
    /// Every kind, in a stable order.
    pub const ALL: [EntityKind; 12] = [
        EntityKind::Customer,
        EntityKind::Contact,
        EntityKind::Lead,
        EntityKind::Opportunity,
        EntityKind::Contract,
        EntityKind::Ticket,
        EntityKind::Activity,
        EntityKind::Task,
        EntityKind::User,
        EntityKind::Team,
        EntityKind::PointsEntry,
        EntityKind::Campaign,
    ];

    /// The kind's name, as used in JSON and in messages: `"lead"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Customer => "customer",
            EntityKind::Contact => "contact",
            EntityKind::Lead => "lead",
            EntityKind::Opportunity => "opportunity",
            EntityKind::Contract => "contract",
            EntityKind::Ticket => "ticket",
            EntityKind::Activity => "activity",
            EntityKind::Task => "task",
            EntityKind::User => "user",
            EntityKind::Team => "team",
            EntityKind::PointsEntry => "points_entry",
            EntityKind::Campaign => "campaign",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        EntityKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                let shown: String = text.chars().take(40).collect();
                Error::invalid("entity", "is not a kind of record").with_value(shown)
            })
    }
}

/// Gives a small enum its names: `as_str()`, `Display`, `NAMES`, and a
/// `FromStr` whose error is a [`Error::Validation`] on `$field` listing the
/// names. One spelling for the bindings, which read and write these as text.
macro_rules! named {
    ($ty:ident, $field:literal, { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The name, as in JSON: e.g. `"urgent"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self> {
                match text {
                    $($name => Ok($ty::$variant),)*
                    _ => {
                        let shown: String = text.chars().take(40).collect();
                        Err(Error::invalid($field, format!("is not one of {}", Self::NAMES.join(", ")))
                            .with_value(shown))
                    }
                }
            }
        }
    };
}
pub(crate) use named;

named!(CustomerKind, "kind", { Company => "company", Person => "person" });
named!(Tier, "tier", { A => "A", B => "B", C => "C" });
named!(TicketPriority, "priority", { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });
named!(TaskPriority, "priority", { Normal => "normal", Important => "important", Urgent => "urgent" });
named!(ActivityKind, "kind", { Call => "call", Email => "email", Visit => "visit", Meeting => "meeting", Note => "note" });

/// Who a record is shared with, beyond what their role's data scope allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grantee {
    /// One user.
    User(UserId),
    /// Every member of a team.
    Team(TeamId),
}

/// What a share allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareAccess {
    /// Read the record and its history.
    Read,
    /// Read and edit (including moving it through its lifecycle).
    Edit,
}

named!(ShareAccess, "access", { Read => "read", Edit => "edit" });

/// One share of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Who it is shared with.
    pub grantee: Grantee,
    /// What they may do.
    pub access: ShareAccess,
}

/// What every record carries besides its own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Bumped by one on every write; a write must carry the version it read.
    pub version: u64,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: UserId,
    /// Whom it is shared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<Share>,
    /// The record this one was merged into, if it was (it is kept, marked,
    /// and left out of duplicate checks; `unmerge` clears the mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<RecordKey>,
}

impl Meta {
    /// The meta of a record created now by `by`, before its first write
    /// (version 0; the first write stores version 1).
    pub fn new(now: DateTime<Utc>, by: UserId) -> Self {
        Meta {
            version: 0,
            created_at: now,
            updated_at: now,
            created_by: by,
            shares: Vec::new(),
            merged_into: None,
        }
    }
}

/// Who a record belongs to, for data scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// The users who own the record (owner, assignee, creator of a task).
    pub owners: Vec<UserId>,
    /// The team it belongs to.
    pub team: Option<TeamId>,
    /// The region it belongs to.
    pub region: Option<String>,
}

/// The values a store indexes a record by; a [`Query`](crate::store::Query)
/// matches against these, in every backend alike.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKeys {
    /// The owner (or assignee).
    pub owner: Option<UserId>,
    /// The team.
    pub team: Option<TeamId>,
    /// The lifecycle state.
    pub status: Option<String>,
    /// The next time something is due on the record (a follow-up, a first
    /// contact, a task's due time).
    pub due_at: Option<DateTime<Utc>>,
    /// Normalised phone numbers.
    pub phones: Vec<String>,
    /// Normalised emails.
    pub emails: Vec<String>,
    /// The record this one belongs to (a contact's customer, an activity's subject).
    pub parent: Option<RecordKey>,
    /// Duplicate-matching keys of customers, contacts and leads
    /// ([`dedupe::match_keys`](crate::dedupe::match_keys)): what the
    /// one-record duplicate check looks records up by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_keys: Vec<String>,
}

/// What the engine and the stores need of every kind of record.
pub trait Record:
    Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The kind of record.
    const KIND: EntityKind;
    /// The JSON fields that only dedicated commands change (the lifecycle state
    /// through transitions, the owner through assignment, the meta through the
    /// engine); a plain update that touches them is refused.
    const PROTECTED: &'static [&'static str];

    /// The record's key.
    fn key(&self) -> RecordKey;
    /// The record's meta.
    fn meta(&self) -> &Meta;
    /// The record's meta, to change.
    fn meta_mut(&mut self) -> &mut Meta;
    /// The current lifecycle state, for records that have one.
    fn state(&self) -> Option<&str> {
        None
    }
    /// Sets the lifecycle state (only the engine calls this, after checking the
    /// transition).
    fn set_state(&mut self, _state: &str) {}
    /// Keeps the record's own bookkeeping in step with a state it just entered
    /// (a deal's probability and close time, a ticket's resolution time, a
    /// discard reason). Called by the engine after [`set_state`](Self::set_state).
    fn entered(
        &mut self,
        _state: &crate::lifecycle::StateDef,
        _now: DateTime<Utc>,
        _reason: Option<&str>,
    ) {
    }
    /// The custom values.
    fn custom(&self) -> &CustomFields;
    /// Whom the record belongs to, for data scopes.
    fn access(&self) -> Access;
    /// What stores index it by.
    fn index(&self) -> IndexKeys;
    /// Checks the record's own fields (lengths, signs, formats).
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the first field at fault.
    fn validate(&self) -> Result<()>;
    /// Wraps it in an [`AnyRecord`].
    fn into_any(self) -> AnyRecord;
    /// Unwraps it from an [`AnyRecord`] of the same kind.
    fn from_any(any: AnyRecord) -> Option<Self>;
}

macro_rules! any_record {
    ($($variant:ident),* $(,)?) => {
        /// Any one record, tagged with its kind (`{"entity": "lead", ...}` in JSON).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "entity", rename_all = "snake_case")]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyRecord {
            $(
                #[doc = concat!("A [`", stringify!($variant), "`].")]
                $variant($variant),
            )*
        }

        impl AnyRecord {
            /// The record's kind.
            pub fn kind(&self) -> EntityKind {
                match self {
                    $(AnyRecord::$variant(_) => EntityKind::$variant,)*
                }
            }

            /// The record's key.
            pub fn key(&self) -> RecordKey {
                match self {
                    $(AnyRecord::$variant(record) => record.key(),)*
                }
            }

            /// The record's meta.
            pub fn meta(&self) -> &Meta {
                match self {
                    $(AnyRecord::$variant(record) => record.meta(),)*
                }
            }

            /// The record's current version.
            pub fn version(&self) -> u64 {
                self.meta().version
            }

            /// The lifecycle state, for records that have one.
            pub fn state(&self) -> Option<&str> {
                match self {
                    $(AnyRecord::$variant(record) => record.state(),)*
                }
            }

            /// Whom the record belongs to.
            pub fn access(&self) -> Access {
                match self {
                    $(AnyRecord::$variant(record) => record.access(),)*
                }
            }

            /// What stores index it by.
            pub fn index(&self) -> IndexKeys {
                match self {
                    $(AnyRecord::$variant(record) => record.index(),)*
                }
            }

            /// The custom values.
            pub fn custom(&self) -> &CustomFields {
                match self {
                    $(AnyRecord::$variant(record) => record.custom(),)*
                }
            }

            /// Checks the record's own fields.
            ///
            /// # Errors
            ///
            /// [`Error::Validation`] naming the first field at fault.
            pub fn validate(&self) -> Result<()> {
                match self {
                    $(AnyRecord::$variant(record) => record.validate(),)*
                }
            }

            /// The record's meta, to change (stores set `version` on commit).
            pub fn meta_mut(&mut self) -> &mut Meta {
                match self {
                    $(AnyRecord::$variant(record) => record.meta_mut(),)*
                }
            }
        }
    };
}

impl AnyRecord {
    /// Who the record is given to: the owner, or a ticket's or task's
    /// assignee. `None` for kinds nobody owns (activities, users, teams).
    pub fn owner(&self) -> Option<&UserId> {
        match self {
            AnyRecord::Customer(r) => r.owner.as_ref(),
            AnyRecord::Contact(r) => r.owner.as_ref(),
            AnyRecord::Lead(r) => r.owner.as_ref(),
            AnyRecord::Opportunity(r) => r.owner.as_ref(),
            AnyRecord::Contract(r) => r.owner.as_ref(),
            AnyRecord::Ticket(r) => r.assignee.as_ref(),
            AnyRecord::Task(r) => r.assignee.as_ref(),
            AnyRecord::Campaign(r) => r.owner.as_ref(),
            AnyRecord::Activity(_)
            | AnyRecord::User(_)
            | AnyRecord::Team(_)
            | AnyRecord::PointsEntry(_) => None,
        }
    }

    /// The team the record belongs to (a ticket's group).
    pub fn team(&self) -> Option<&TeamId> {
        match self {
            AnyRecord::Customer(r) => r.team.as_ref(),
            AnyRecord::Contact(r) => r.team.as_ref(),
            AnyRecord::Lead(r) => r.team.as_ref(),
            AnyRecord::Opportunity(r) => r.team.as_ref(),
            AnyRecord::Contract(r) => r.team.as_ref(),
            AnyRecord::Ticket(r) => r.group.as_ref(),
            AnyRecord::Task(r) => r.team.as_ref(),
            AnyRecord::Activity(r) => r.team.as_ref(),
            AnyRecord::User(r) => r.team.as_ref(),
            AnyRecord::Team(r) => Some(&r.id),
            AnyRecord::PointsEntry(r) => r.team.as_ref(),
            AnyRecord::Campaign(r) => r.team.as_ref(),
        }
    }

    /// Whether the record can be given to someone ([`AnyRecord::set_owner`]).
    pub fn has_owner(kind: EntityKind) -> bool {
        !matches!(
            kind,
            EntityKind::Activity | EntityKind::User | EntityKind::Team | EntityKind::PointsEntry
        )
    }

    /// Gives the record to `owner` (or to no one), and to `team` when one is
    /// given. Does nothing for kinds nobody owns.
    pub fn set_owner(&mut self, owner: Option<UserId>, team: Option<TeamId>) {
        macro_rules! give {
            ($r:ident, $owner:ident, $team:ident) => {{
                $r.$owner = owner;
                if team.is_some() {
                    $r.$team = team;
                }
            }};
        }
        match self {
            AnyRecord::Customer(r) => give!(r, owner, team),
            AnyRecord::Contact(r) => give!(r, owner, team),
            AnyRecord::Lead(r) => give!(r, owner, team),
            AnyRecord::Opportunity(r) => give!(r, owner, team),
            AnyRecord::Contract(r) => give!(r, owner, team),
            AnyRecord::Ticket(r) => give!(r, assignee, group),
            AnyRecord::Task(r) => give!(r, assignee, team),
            AnyRecord::Campaign(r) => give!(r, owner, team),
            AnyRecord::Activity(_)
            | AnyRecord::User(_)
            | AnyRecord::Team(_)
            | AnyRecord::PointsEntry(_) => {}
        }
    }
}

any_record!(
    Customer,
    Contact,
    Lead,
    Opportunity,
    Contract,
    Ticket,
    Activity,
    Task,
    User,
    Team,
    PointsEntry,
    Campaign
);

/// Checks a required free text: not blank, at most `max` characters, no control
/// characters other than tab and line breaks. The value is not echoed (it may be
/// personal data).
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    check_len(field, text, max)
}

/// [`check_text`] for an optional field.
pub(crate) fn check_opt_text(field: &str, text: &Option<String>, max: usize) -> Result<()> {
    match text {
        Some(text) => check_text(field, text, max),
        None => Ok(()),
    }
}

fn check_len(field: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(field, "holds control characters"));
    }
    Ok(())
}

/// The longest name, title or label accepted.
pub(crate) const SHORT_TEXT: usize = 200;
/// The longest summary, description or note accepted.
pub(crate) const LONG_TEXT: usize = 20_000;

/// Checks every item of a list of tags or labels.
pub(crate) fn check_labels(field: &str, labels: &[String]) -> Result<()> {
    labels
        .iter()
        .try_for_each(|label| check_text(field, label, SHORT_TEXT))
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn names_match_the_json_spelling() {
        fn check<T: Serialize + FromStr<Err = Error> + fmt::Display + PartialEq + fmt::Debug>(
            names: &[&str],
        ) {
            for name in names {
                let value: T = name.parse().unwrap();
                assert_eq!(
                    serde_json::to_value(&value).unwrap(),
                    serde_json::json!(name)
                );
                assert_eq!(value.to_string(), *name);
            }
        }
        check::<CustomerKind>(CustomerKind::NAMES);
        check::<Tier>(Tier::NAMES);
        check::<TicketPriority>(TicketPriority::NAMES);
        check::<TaskPriority>(TaskPriority::NAMES);
        check::<ActivityKind>(ActivityKind::NAMES);
        check::<ShareAccess>(ShareAccess::NAMES);
        let err = "whenever".parse::<TicketPriority>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid priority: is not one of low, normal, high, urgent (got `whenever`)"
        );
    }
}
