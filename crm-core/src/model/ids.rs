//! Typed record ids, user and team ids, and the id generator the host provides.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::random::SplitMix64;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident => $kind:ident) => {
        $(#[$doc])*
        ///
        /// A UUIDv7 (time-ordered) made by the engine's [`IdGenerator`]; shown and
        /// parsed in the hyphenated form.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// The kind of record this id names.
            pub const KIND: EntityKind = EntityKind::$kind;

            /// Wraps a UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// Parses the hyphenated (or simple) UUID form.
            fn from_str(text: &str) -> Result<Self> {
                parse_uuid(EntityKind::$kind.as_str(), text).map(Self)
            }
        }

        impl From<$name> for RecordKey {
            fn from(id: $name) -> RecordKey {
                RecordKey::new(EntityKind::$kind, id.to_string())
            }
        }

        impl From<&$name> for RecordKey {
            fn from(id: &$name) -> RecordKey {
                RecordKey::new(EntityKind::$kind, id.to_string())
            }
        }
    };
}

record_id!(
    /// The id of a [`Customer`](crate::model::Customer).
    CustomerId => Customer
);
record_id!(
    /// The id of a [`Contact`](crate::model::Contact).
    ContactId => Contact
);
record_id!(
    /// The id of a [`Lead`](crate::model::Lead).
    LeadId => Lead
);
record_id!(
    /// The id of an [`Opportunity`](crate::model::Opportunity).
    OpportunityId => Opportunity
);
record_id!(
    /// The id of a [`Contract`](crate::model::Contract).
    ContractId => Contract
);
record_id!(
    /// The id of a [`Ticket`](crate::model::Ticket).
    TicketId => Ticket
);
record_id!(
    /// The id of an [`Activity`](crate::model::Activity).
    ActivityId => Activity
);
record_id!(
    /// The id of a [`Task`](crate::model::Task).
    TaskId => Task
);
record_id!(
    /// The id of a [`PointsEntry`](crate::model::PointsEntry).
    PointsEntryId => PointsEntry
);
record_id!(
    /// The id of a [`Campaign`](crate::model::Campaign).
    CampaignId => Campaign
);

/// The id of an [`Event`](crate::event::Event) or an outbox message.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(Uuid);

impl EventId {
    /// Wraps a UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The UUID inside.
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", self.0.hyphenated())
    }
}

impl FromStr for EventId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_uuid("event", text).map(Self)
    }
}

/// Any stored record's identity: its kind and its id as text (a hyphenated
/// UUID, or the host's own id for users and teams). What the store and the event
/// log key on; every typed id converts into it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    /// The kind of record.
    pub kind: EntityKind,
    /// The record's id.
    pub id: String,
}

impl RecordKey {
    /// A key from a kind and an id.
    pub fn new(kind: EntityKind, id: impl Into<String>) -> Self {
        RecordKey {
            kind,
            id: id.into(),
        }
    }

    /// A key from a kind's name and an id as text, checking both the way the
    /// typed ids do: what bindings use to name a record.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `entity` for an unknown kind, on `KIND_id` for
    /// an id that is not a UUID (or not a valid user or team id).
    ///
    /// # Examples
    ///
    /// ```
    /// use crm_core::{EntityKind, RecordKey};
    ///
    /// let key = RecordKey::parse("lead", "0194a000-0000-7000-8000-000000000001").unwrap();
    /// assert_eq!(key.kind, EntityKind::Lead);
    /// assert_eq!(RecordKey::parse("lead", "x").unwrap_err().to_string(), "invalid lead_id: is not a UUID (got `x`)");
    /// assert!(RecordKey::parse("spaceship", "x").is_err());
    /// ```
    pub fn parse(kind: &str, id: &str) -> Result<Self> {
        let kind: EntityKind = kind.parse()?;
        let id = match kind {
            EntityKind::User => UserId::new(id)?.0,
            EntityKind::Team => TeamId::new(id)?.0,
            _ => parse_uuid(kind.as_str(), id)?.hyphenated().to_string(),
        };
        Ok(RecordKey { kind, id })
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

fn parse_uuid(kind: &str, text: &str) -> Result<Uuid> {
    let field = format!("{kind}_id");
    if text.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Uuid::try_parse(text).map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        Error::invalid(field, "is not a UUID").with_value(shown)
    })
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident => $kind:ident, $field:literal) => {
        $(#[$doc])*
        ///
        /// The host's own identifier (crm does not invent user or team ids, so an
        /// app keeps its own): 1 to 128 characters, no control characters, no
        /// leading or trailing spaces.
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an id.
            ///
            /// # Errors
            ///
            /// [`Error::Validation`] when the id is empty, longer than 128
            /// characters, padded with spaces or holds control characters.
            pub fn new(id: impl Into<String>) -> Result<Self> {
                let id = id.into();
                check_name_id($field, &id)?;
                Ok(Self(id))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self> {
                Self::new(text)
            }
        }

        impl From<$name> for RecordKey {
            fn from(id: $name) -> RecordKey {
                RecordKey::new(EntityKind::$kind, id.0)
            }
        }

        impl From<&$name> for RecordKey {
            fn from(id: &$name) -> RecordKey {
                RecordKey::new(EntityKind::$kind, id.0.clone())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::new(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_id!(
    /// The id of a user (a salesperson, an agent, a supervisor, an integration).
    UserId => User, "user_id"
);
name_id!(
    /// The id of a team (a sales team, a support group).
    TeamId => Team, "team_id"
);

fn check_name_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if id.chars().count() > 128 {
        return Err(Error::invalid(field, "is longer than 128 characters"));
    }
    if id.trim() != id {
        return Err(Error::invalid(field, "has leading or trailing spaces"));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::invalid(field, "holds control characters"));
    }
    Ok(())
}

/// Where the engine gets new ids from. The host provides one, as it provides a
/// [`Clock`](crate::Clock), so that tests are deterministic.
pub trait IdGenerator: Send {
    /// A new UUID for something created at `now`; UUIDs made one after another
    /// must differ, and should sort in the order they were made.
    fn next_uuid(&mut self, now: DateTime<Utc>) -> Uuid;
}

/// UUIDv7 ids from a seeded pseudo-random stream: the timestamp comes from `now`,
/// the random bits from SplitMix64 seeded by the host.
///
/// The same seed and the same clock give the same ids, which is what tests want;
/// an app seeds it from the operating system (the `crm` crate's
/// `crm::ids_from_entropy()` does). Ids made within one millisecond carry an
/// increasing counter, so they sort in the order they were made.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{IdGenerator, SeededIds};
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
/// let mut a = SeededIds::new(7);
/// let mut b = SeededIds::new(7);
/// let first = a.next_uuid(now);
/// assert_eq!(first, b.next_uuid(now));
/// assert_eq!(first.get_version_num(), 7);
/// assert!(a.next_uuid(now) > first);
/// ```
#[derive(Debug, Clone)]
pub struct SeededIds {
    random: SplitMix64,
    last_millis: u64,
    counter: u16,
}

impl SeededIds {
    /// A generator whose random bits come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            random: SplitMix64(seed),
            last_millis: 0,
            counter: 0,
        }
    }
}

impl IdGenerator for SeededIds {
    fn next_uuid(&mut self, now: DateTime<Utc>) -> Uuid {
        let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0) & ((1 << 48) - 1);
        if millis > self.last_millis {
            self.last_millis = millis;
            // Start each millisecond at a random counter in the lower half, so
            // there is room to count up.
            self.counter = (self.random.next() & 0x7FF) as u16;
        } else if self.counter >= 0xFFF {
            // Counter exhausted (or the clock went back): borrow the next millisecond.
            self.last_millis += 1;
            self.counter = 0;
        } else {
            self.counter += 1;
        }
        let rand_b = self.random.next() & ((1 << 62) - 1);
        let value = (u128::from(self.last_millis) << 80)
            | (0x7 << 76)
            | (u128::from(self.counter) << 64)
            | (0b10 << 62)
            | u128::from(rand_b);
        Uuid::from_u128(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_parse_and_print() {
        let id: LeadId = "0190c4a6-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(id.to_string(), "0190c4a6-0000-7000-8000-000000000001");
        let err = "nope".parse::<LeadId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid lead_id: is not a UUID (got `nope`)"
        );
        let err = "".parse::<CustomerId>().unwrap_err();
        assert_eq!(err.to_string(), "invalid customer_id: must not be empty");
    }

    #[test]
    fn user_ids_are_checked() {
        assert!(UserId::new("alice").is_ok());
        assert!(UserId::new("").is_err());
        assert!(UserId::new(" alice").is_err());
        assert!(UserId::new("a\u{0}b").is_err());
        assert!(UserId::new("x".repeat(129)).is_err());
        let err = serde_json::from_str::<TeamId>("\"\"").unwrap_err();
        assert!(err.to_string().contains("team_id"));
    }

    #[test]
    fn seeded_ids_are_v7_and_increase() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut ids = SeededIds::new(1);
        let mut last = ids.next_uuid(now);
        for _ in 0..10_000 {
            let next = ids.next_uuid(now);
            assert!(next > last);
            assert_eq!(next.get_version_num(), 7);
            assert_eq!(next.get_variant(), uuid::Variant::RFC4122);
            last = next;
        }
        // The clock going back never produces a smaller id.
        let earlier = ids.next_uuid(now - chrono::Duration::hours(1));
        assert!(earlier > last);
    }
}
