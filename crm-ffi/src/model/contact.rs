//! Contacts: the people at a customer.

use std::time::SystemTime;

use crm::Contact as CoreContact;
use crm::Error as CoreError;
use crm::NewContact as CoreNewContact;

use crate::clock::to_system_time;
use crate::model::ids::opt_text;
use crate::model::{RecordKey, Share, custom_json, parse_custom, shares};

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Contact {
    /// The contact's id.
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
    /// The customer the contact belongs to.
    pub customer: String,
    /// The person's name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Phone numbers, the main one first.
    pub phones: Vec<String>,
    /// Emails, the main one first.
    pub emails: Vec<String>,
    /// The owner (the customer's owner when the contact was added).
    pub owner: Option<String>,
    /// The owning team.
    pub team: Option<String>,
    /// Custom values as JSON text.
    pub custom_json: String,
}

impl From<CoreContact> for Contact {
    fn from(contact: CoreContact) -> Self {
        Contact {
            id: contact.id.to_string(),
            version: contact.meta.version,
            created_at: to_system_time(contact.meta.created_at),
            updated_at: to_system_time(contact.meta.updated_at),
            created_by: contact.meta.created_by.to_string(),
            shares: shares(&contact.meta),
            merged_into: contact.meta.merged_into.map(RecordKey::from),
            customer: contact.customer.to_string(),
            name: contact.name,
            title: contact.title,
            phones: contact.phones,
            emails: contact.emails,
            owner: opt_text(contact.owner),
            team: opt_text(contact.team),
            custom_json: custom_json(&contact.custom),
        }
    }
}

/// What a new contact is made of.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct NewContact {
    /// The customer's id.
    pub customer: String,
    /// The person's name.
    pub name: String,
    /// Job title.
    #[uniffi(default)]
    pub title: Option<String>,
    /// Phone numbers, the main one first.
    #[uniffi(default)]
    pub phones: Vec<String>,
    /// Emails, the main one first.
    #[uniffi(default)]
    pub emails: Vec<String>,
    /// Custom values as JSON text (`null`: none).
    #[uniffi(default)]
    pub custom_json: Option<String>,
}

impl TryFrom<NewContact> for CoreNewContact {
    type Error = CoreError;

    fn try_from(new: NewContact) -> Result<Self, CoreError> {
        Ok(CoreNewContact {
            customer: Some(new.customer.parse()?),
            name: new.name,
            title: new.title,
            phones: new.phones,
            emails: new.emails,
            custom: parse_custom(new.custom_json)?,
        })
    }
}
