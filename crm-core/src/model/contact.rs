//! Contacts: the people at a customer.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    Access, ContactId, CustomFields, CustomerId, IndexKeys, Meta, Record, RecordKey, SHORT_TEXT,
    TeamId, UserId, check_opt_text, check_text, normalize_email, normalize_phone,
};

/// A person at a customer (a customer has one or more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// Version, times, creator, shares.
    #[serde(flatten)]
    pub meta: Meta,
    /// The customer the contact belongs to.
    pub customer: CustomerId,
    /// The person's name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Phone numbers, the main one first.
    #[serde(default)]
    pub phones: Vec<String>,
    /// Emails, the main one first.
    #[serde(default)]
    pub emails: Vec<String>,
    /// The owner (the customer's owner when the contact was added).
    pub owner: Option<UserId>,
    /// The owning team.
    pub team: Option<TeamId>,
    /// Custom values.
    #[serde(default)]
    pub custom: CustomFields,
}

/// What a new contact is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewContact {
    /// The customer the contact belongs to.
    pub customer: Option<CustomerId>,
    /// The person's name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Phone numbers, the main one first.
    pub phones: Vec<String>,
    /// Emails, the main one first.
    pub emails: Vec<String>,
    /// Custom values.
    pub custom: CustomFields,
}

impl Record for Contact {
    const KIND: crate::model::EntityKind = crate::model::EntityKind::Contact;
    const PROTECTED: &'static [&'static str] = &["customer", "owner"];

    record_basics!(Contact);

    fn access(&self) -> Access {
        Access {
            owners: self.owner.iter().cloned().collect(),
            team: self.team.clone(),
            region: None,
        }
    }

    fn index(&self) -> IndexKeys {
        IndexKeys {
            owner: self.owner.clone(),
            team: self.team.clone(),
            phones: self
                .phones
                .iter()
                .filter_map(|p| normalize_phone(p).ok())
                .collect(),
            emails: self
                .emails
                .iter()
                .filter_map(|e| normalize_email(e).ok())
                .collect(),
            match_keys: crate::dedupe::match_keys_of(&self.match_records()),
            parent: Some(RecordKey::from(&self.customer)),
            ..IndexKeys::default()
        }
    }

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, SHORT_TEXT)?;
        check_opt_text("title", &self.title, SHORT_TEXT)?;
        if self.phones.len() > 20 || self.emails.len() > 20 {
            return Err(Error::invalid("phones", "at most 20 phones and 20 emails"));
        }
        for phone in &self.phones {
            normalize_phone(phone)?;
        }
        for email in &self.emails {
            normalize_email(email)?;
        }
        Ok(())
    }
}
