//! Custom fields: typed values on any record, checked against per-tenant
//! field definitions.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::EntityKind;

/// One custom value. Serialised with its type as the key, so a stored value
/// reads back as the same type: `{"decimal": "12.50"}`, `{"date": "2026-05-01"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    /// Free text.
    Text(String),
    /// A whole number.
    Number(i64),
    /// An exact decimal number (never a float).
    Decimal(Decimal),
    /// A calendar date.
    Date(NaiveDate),
    /// Yes or no.
    Bool(bool),
    /// One of the options the field definition lists.
    Choice(String),
}

impl FieldValue {
    fn type_name(&self) -> &'static str {
        match self {
            FieldValue::Text(_) => "text",
            FieldValue::Number(_) => "number",
            FieldValue::Decimal(_) => "decimal",
            FieldValue::Date(_) => "date",
            FieldValue::Bool(_) => "bool",
            FieldValue::Choice(_) => "choice",
        }
    }
}

/// The custom values of one record, by field key.
pub type CustomFields = BTreeMap<String, FieldValue>;

/// The type a custom field holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    /// Free text, at most `max_len` characters (default 1,000).
    Text {
        /// The longest value accepted, in characters.
        #[serde(default = "default_max_len")]
        max_len: usize,
    },
    /// A whole number.
    Number,
    /// An exact decimal number.
    Decimal,
    /// A calendar date.
    Date,
    /// Yes or no.
    Bool,
    /// One of a fixed list of options.
    Choice {
        /// The allowed values.
        options: Vec<String>,
    },
}

fn default_max_len() -> usize {
    1_000
}

/// The definition of one custom field.
///
/// # Examples
///
/// ```
/// use crm_core::FieldDef;
///
/// let def: FieldDef = serde_json::from_str(
///     r#"{"key": "budget", "type": "decimal", "required": true}"#,
/// ).unwrap();
/// assert!(def.required);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The key values are stored under: lower-case ASCII letters, digits and
    /// `_`, starting with a letter, at most 64 characters.
    pub key: String,
    /// A label for people; the key is used when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the field holds.
    #[serde(flatten)]
    pub field_type: FieldType,
    /// Whether every record of the kind must have a value.
    #[serde(default)]
    pub required: bool,
}

/// The custom field definitions of a tenant, per kind of record.
///
/// # Examples
///
/// ```
/// use crm_core::{CustomFields, EntityKind, FieldSchema, FieldValue};
///
/// let schema = FieldSchema::from_json(r#"{
///     "lead": [{"key": "budget", "type": "decimal"},
///              {"key": "size", "type": "choice", "options": ["small", "large"]}]
/// }"#).unwrap();
///
/// let mut values = CustomFields::new();
/// values.insert("size".into(), FieldValue::Choice("large".into()));
/// assert!(schema.check(EntityKind::Lead, &values).is_ok());
///
/// values.insert("size".into(), FieldValue::Choice("huge".into()));
/// let err = schema.check(EntityKind::Lead, &values).unwrap_err();
/// assert_eq!(err.to_string(), "invalid custom.size: is not one of the field's options (got `huge`)");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldSchema {
    fields: BTreeMap<EntityKind, Vec<FieldDef>>,
}

impl FieldSchema {
    /// Builds a schema, checking every definition.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the definition that is wrong: a bad or repeated
    /// key, a choice field without options.
    pub fn new(fields: BTreeMap<EntityKind, Vec<FieldDef>>) -> Result<Self> {
        for (kind, defs) in &fields {
            for (at, def) in defs.iter().enumerate() {
                let path = format!("{kind}[{at}]");
                if !is_field_key(&def.key) {
                    return Err(Error::config(
                        format!("{path}.key"),
                        format!(
                            "`{}` is not a field key (a-z, 0-9 and _, starting with a letter, at most 64)",
                            def.key.chars().take(70).collect::<String>()
                        ),
                    ));
                }
                if defs[..at].iter().any(|earlier| earlier.key == def.key) {
                    return Err(Error::config(
                        format!("{path}.key"),
                        format!("`{}` is defined twice", def.key),
                    ));
                }
                if let FieldType::Choice { options } = &def.field_type {
                    if options.is_empty() {
                        return Err(Error::config(
                            format!("{path}.options"),
                            "a choice field needs at least one option",
                        ));
                    }
                }
            }
        }
        Ok(FieldSchema { fields })
    }

    /// Loads a schema from JSON: an object from kind (`"lead"`, `"customer"`, ...)
    /// to a list of [`FieldDef`]s.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the JSON does not parse or a definition is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        let fields: BTreeMap<EntityKind, Vec<FieldDef>> =
            serde_json::from_str(json).map_err(|e| Error::config("fields", e.to_string()))?;
        Self::new(fields)
    }

    /// The definitions for one kind of record.
    pub fn fields(&self, kind: EntityKind) -> &[FieldDef] {
        self.fields.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Checks a record's custom values against the definitions of its kind.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `custom.KEY` for an undefined key, a value of the
    /// wrong type, an option not in the list, a text too long; and naming every
    /// required field that has no value.
    pub fn check(&self, kind: EntityKind, values: &CustomFields) -> Result<()> {
        let defs = self.fields(kind);
        for (key, value) in values {
            let field = format!("custom.{key}");
            let Some(def) = defs.iter().find(|def| &def.key == key) else {
                return Err(Error::invalid(
                    field,
                    format!("is not a defined {kind} field"),
                ));
            };
            match (&def.field_type, value) {
                (FieldType::Text { max_len }, FieldValue::Text(text)) => {
                    if text.chars().count() > *max_len {
                        return Err(Error::invalid(
                            field,
                            format!("is longer than {max_len} characters"),
                        ));
                    }
                }
                (FieldType::Choice { options }, FieldValue::Choice(choice)) => {
                    if !options.contains(choice) {
                        let shown: String = choice.chars().take(40).collect();
                        return Err(Error::invalid(field, "is not one of the field's options")
                            .with_value(shown));
                    }
                }
                (FieldType::Number, FieldValue::Number(_))
                | (FieldType::Decimal, FieldValue::Decimal(_))
                | (FieldType::Date, FieldValue::Date(_))
                | (FieldType::Bool, FieldValue::Bool(_)) => {}
                (expected, got) => {
                    return Err(Error::invalid(
                        field,
                        format!("expects a {} value", type_label(expected)),
                    )
                    .with_value(got.type_name()));
                }
            }
        }
        let missing: Vec<String> = defs
            .iter()
            .filter(|def| def.required && !values.contains_key(&def.key))
            .map(|def| format!("custom.{}", def.key))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Validation {
                fields: missing,
                value: None,
                reason: format!("required on every {kind}"),
            });
        }
        Ok(())
    }
}

fn type_label(field_type: &FieldType) -> &'static str {
    match field_type {
        FieldType::Text { .. } => "text",
        FieldType::Number => "number",
        FieldType::Decimal => "decimal",
        FieldType::Date => "date",
        FieldType::Bool => "bool",
        FieldType::Choice { .. } => "choice",
    }
}

/// Whether `key` is a valid custom field key: `[a-z][a-z0-9_]{0,63}`. Keys are
/// later used as column or JSON path names by stores, so nothing else passes.
pub fn is_field_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> FieldSchema {
        FieldSchema::from_json(
            r#"{"lead": [
                {"key": "budget", "type": "decimal", "required": true},
                {"key": "seats", "type": "number"},
                {"key": "note", "type": "text", "max_len": 5}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn required_fields_are_named() {
        let err = schema()
            .check(EntityKind::Lead, &CustomFields::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid custom.budget: required on every lead"
        );
        // Other kinds have no definitions, so nothing is required of them.
        assert!(
            schema()
                .check(EntityKind::Ticket, &CustomFields::new())
                .is_ok()
        );
    }

    #[test]
    fn types_and_lengths_are_checked() {
        let mut values = CustomFields::new();
        values.insert("budget".into(), FieldValue::Decimal(Decimal::new(125, 1)));
        values.insert("seats".into(), FieldValue::Text("ten".into()));
        let err = schema().check(EntityKind::Lead, &values).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid custom.seats: expects a number value (got `text`)"
        );
        values.insert("seats".into(), FieldValue::Number(10));
        values.insert("note".into(), FieldValue::Text("too long".into()));
        assert!(schema().check(EntityKind::Lead, &values).is_err());
        values.insert("note".into(), FieldValue::Text("short".into()));
        assert!(schema().check(EntityKind::Lead, &values).is_ok());
        values.insert("other".into(), FieldValue::Bool(true));
        let err = schema().check(EntityKind::Lead, &values).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid custom.other: is not a defined lead field"
        );
    }

    #[test]
    fn bad_definitions_are_config_errors() {
        let err = FieldSchema::from_json(r#"{"lead": [{"key": "Bad Key", "type": "bool"}]}"#)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        let err = FieldSchema::from_json(
            r#"{"lead": [{"key": "a", "type": "bool"}, {"key": "a", "type": "date"}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("defined twice"));
        let err =
            FieldSchema::from_json(r#"{"lead": [{"key": "c", "type": "choice", "options": []}]}"#)
                .unwrap_err();
        assert!(err.to_string().contains("at least one option"));
    }

    #[test]
    fn values_round_trip_with_their_type() {
        let value = FieldValue::Decimal(Decimal::new(1250, 2));
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, r#"{"decimal":"12.50"}"#);
        assert_eq!(serde_json::from_str::<FieldValue>(&json).unwrap(), value);
    }
}
