//! Contacts.

use napi_derive::napi;
use serde_json::Value;

use crm::{Contact, NewContact};

use crate::convert::{custom, custom_json};
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// A contact: a person at a customer.
#[napi(
    object,
    js_name = "Contact",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsContact {
    /// The contact's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the contact was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the contact last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The customer's id.
    pub customer: String,
    /// The name.
    pub name: String,
    /// The title.
    pub title: Option<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// The owner (the customer's).
    pub owner: Option<String>,
    /// The team (the customer's).
    pub team: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Contact> for JsContact {
    fn from(contact: Contact) -> Self {
        let meta = MetaFields::from(contact.meta);
        JsContact {
            id: contact.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            customer: contact.customer.to_string(),
            name: contact.name,
            title: contact.title,
            phones: contact.phones,
            emails: contact.emails,
            owner: opt_string(contact.owner),
            team: opt_string(contact.team),
            custom: custom_json(&contact.custom),
        }
    }
}

/// A new contact for `addContact`.
#[napi(object, js_name = "NewContact", object_to_js = false)]
pub struct JsNewContact {
    /// The customer's id.
    pub customer: String,
    /// The name.
    pub name: String,
    /// The title.
    pub title: Option<String>,
    /// Phone numbers (at most 20).
    pub phones: Option<Vec<String>>,
    /// Email addresses (at most 20).
    pub emails: Option<Vec<String>>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewContact {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewContact> {
        Ok(NewContact {
            customer: Some(self.customer.parse()?),
            name: self.name,
            title: self.title,
            phones: self.phones.unwrap_or_default(),
            emails: self.emails.unwrap_or_default(),
            custom: custom(self.custom)?,
        })
    }
}
