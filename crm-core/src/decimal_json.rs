//! Decimals in configuration JSON: read exactly from text (`"2.5"`) or from a
//! JSON number's digits (`2.5`), written as text. For `#[serde(with = ...)]`:
//! this module for a `Decimal`, [`opt`] for an `Option<Decimal>`, [`list`]
//! for a `Vec<Decimal>`.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_string())
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    parse(&value).map_err(serde::de::Error::custom)
}

/// A decimal from a JSON string or number, never rounded: a number with more
/// digits than a `Decimal` holds is an error, not a nearby value.
pub(crate) fn parse(value: &serde_json::Value) -> Result<Decimal, String> {
    let text = match value {
        serde_json::Value::String(text) => text.trim().to_string(),
        serde_json::Value::Number(number) => number.to_string(),
        other => return Err(format!("must be a number, not {other}")),
    };
    Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("`{text}` is not an exact number"))
}

/// An optional decimal (`null` or absent: none).
pub(crate) mod opt {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Decimal>, D::Error> {
        match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => super::parse(&value)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A list of decimals.
pub(crate) mod list {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(values: &[Decimal], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(|v| v.to_string()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
        let values = Vec::<serde_json::Value>::deserialize(d)?;
        values
            .iter()
            .map(super::parse)
            .collect::<Result<_, _>>()
            .map_err(serde::de::Error::custom)
    }
}
