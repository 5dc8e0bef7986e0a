//! Conditions: a small typed tree of tests on a record's fields, and the facts
//! they are tested against.
//!
//! In JSON a condition is one of:
//!
//! - `{"all": [c, ...]}`, `{"any": [c, ...]}`, `{"not": c}`;
//! - `{"field": "region", "eq": "east"}`: equal (text exactly, numbers by value);
//! - `{"field": "source", "in": ["fair", "referral"]}`: equal to one of;
//! - `{"field": "custom.budget", "range": {"min": 1000, "max": 5000}}`: between,
//!   both ends included, either end optional; numbers compare by value, text
//!   (dates, times) in order;
//! - `{"field": "email", "exists": true}`: set and not empty (or, with `false`, not);
//! - `{"field": "source", "prefix": "web"}`: text starting with.
//!
//! A field is a dot path into the record as JSON (`region`, `custom.budget`,
//! `expected_amount.amount`); a custom value's type tag is looked through, so
//! `custom.budget` reads `{"decimal": "12.50"}` as `12.50`. A field holding a
//! list (a customer's `tags`) passes `eq`, `in` and `prefix` when one of its
//! items does.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// A value a test compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// A number (exact).
    Number(Decimal),
    /// Yes or no.
    Bool(bool),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Text(text) => write!(f, "{text:?}"),
            Scalar::Number(number) => write!(f, "{number}"),
            Scalar::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

impl Scalar {
    fn parse(value: &Value, path: &str) -> Result<Scalar> {
        match value {
            Value::String(text) => Ok(Scalar::Text(text.clone())),
            Value::Bool(flag) => Ok(Scalar::Bool(*flag)),
            Value::Number(number) => Decimal::from_str_exact(&number.to_string())
                .or_else(|_| Decimal::from_scientific(&number.to_string()))
                .map(Scalar::Number)
                .map_err(|_| Error::config(path, format!("{number} is not an exact number"))),
            other => Err(Error::config(
                path,
                format!("must be text, a number or true/false, not {other}"),
            )),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Scalar::Text(text) => Value::String(text.clone()),
            Scalar::Bool(flag) => Value::Bool(*flag),
            Scalar::Number(number) => {
                serde_json::from_str(&number.normalize().to_string()).unwrap_or(Value::Null)
            }
        }
    }
}

/// One test on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// Equal to.
    Eq(Scalar),
    /// Equal to one of.
    In(Vec<Scalar>),
    /// Between, both ends included.
    Range {
        /// The lowest value that passes.
        min: Option<Scalar>,
        /// The highest value that passes.
        max: Option<Scalar>,
    },
    /// Set (true) or not set (false).
    Exists(bool),
    /// Text starting with.
    Prefix(String),
}

/// A condition on a record: see the [module](self) for the JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Condition {
    /// Always passes (an empty `all`).
    #[default]
    Always,
    /// Every one passes.
    All(Vec<Condition>),
    /// At least one passes.
    Any(Vec<Condition>),
    /// Does not pass.
    Not(Box<Condition>),
    /// A test on a field.
    Field {
        /// The dot path of the field.
        field: String,
        /// The test.
        test: Test,
    },
}

const TESTS: [&str; 5] = ["eq", "in", "range", "exists", "prefix"];

impl Condition {
    /// Reads a condition from its JSON form; errors name the path inside it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] with the path (under `path`) of what is wrong.
    pub fn from_value(value: &Value, path: &str) -> Result<Condition> {
        let Value::Object(map) = value else {
            return Err(Error::config(path, "a condition must be an object"));
        };
        if let Some(field) = map.get("field") {
            let Value::String(field) = field else {
                return Err(Error::config(format!("{path}.field"), "must be text"));
            };
            check_path(field, &format!("{path}.field"))?;
            let tests: Vec<&str> = TESTS
                .iter()
                .copied()
                .filter(|t| map.contains_key(*t))
                .collect();
            if let Some(extra) = map
                .keys()
                .find(|k| *k != "field" && !TESTS.contains(&k.as_str()))
            {
                return Err(Error::config(
                    format!("{path}.{extra}"),
                    format!("is not a test; use one of {}", TESTS.join(", ")),
                ));
            }
            let [name] = tests[..] else {
                return Err(Error::config(
                    path,
                    format!(
                        "a field condition needs exactly one of {}",
                        TESTS.join(", ")
                    ),
                ));
            };
            let at = format!("{path}.{name}");
            let arg = &map[name];
            let test = match name {
                "eq" => Test::Eq(Scalar::parse(arg, &at)?),
                "in" => {
                    let Value::Array(items) = arg else {
                        return Err(Error::config(at, "must be a list"));
                    };
                    if items.is_empty() {
                        return Err(Error::config(at, "must not be empty"));
                    }
                    Test::In(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, item)| Scalar::parse(item, &format!("{at}[{i}]")))
                            .collect::<Result<_>>()?,
                    )
                }
                "range" => {
                    let Value::Object(bounds) = arg else {
                        return Err(Error::config(at, "must be an object with min and/or max"));
                    };
                    if let Some(extra) = bounds.keys().find(|k| *k != "min" && *k != "max") {
                        return Err(Error::config(format!("{at}.{extra}"), "use min and max"));
                    }
                    let bound = |name: &str| {
                        bounds
                            .get(name)
                            .map(|v| Scalar::parse(v, &format!("{at}.{name}")))
                            .transpose()
                    };
                    let (min, max) = (bound("min")?, bound("max")?);
                    match (&min, &max) {
                        (None, None) => return Err(Error::config(at, "needs min or max")),
                        (Some(lo), Some(hi))
                            if compare(lo, hi) == Some(std::cmp::Ordering::Greater) =>
                        {
                            return Err(Error::config(at, format!("min {lo} is above max {hi}")));
                        }
                        (Some(lo), Some(hi)) if compare(lo, hi).is_none() => {
                            return Err(Error::config(
                                at,
                                "min and max must both be numbers or both text",
                            ));
                        }
                        _ => {}
                    }
                    Test::Range { min, max }
                }
                "exists" => match arg {
                    Value::Bool(flag) => Test::Exists(*flag),
                    _ => return Err(Error::config(at, "must be true or false")),
                },
                _ => match arg {
                    Value::String(prefix) => Test::Prefix(prefix.clone()),
                    _ => return Err(Error::config(at, "must be text")),
                },
            };
            return Ok(Condition::Field {
                field: field.clone(),
                test,
            });
        }
        let [(name, arg)] = map.iter().collect::<Vec<_>>()[..] else {
            return Err(Error::config(
                path,
                "a condition is {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or a field test",
            ));
        };
        let at = format!("{path}.{name}");
        match name.as_str() {
            "all" | "any" => {
                let Value::Array(items) = arg else {
                    return Err(Error::config(at, "must be a list of conditions"));
                };
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Condition::from_value(item, &format!("{at}[{i}]")))
                    .collect::<Result<Vec<_>>>()?;
                Ok(if name == "all" {
                    if items.is_empty() {
                        Condition::Always
                    } else {
                        Condition::All(items)
                    }
                } else {
                    if items.is_empty() {
                        return Err(Error::config(at, "must not be empty"));
                    }
                    Condition::Any(items)
                })
            }
            "not" => Ok(Condition::Not(Box::new(Condition::from_value(arg, &at)?))),
            _ => Err(Error::config(
                at,
                "is not all, any, not or field; a field test is {\"field\": ..., \"eq\": ...}",
            )),
        }
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        match self {
            Condition::Always => json!({ "all": [] }),
            Condition::All(items) => {
                json!({ "all": items.iter().map(Condition::to_value).collect::<Vec<_>>() })
            }
            Condition::Any(items) => {
                json!({ "any": items.iter().map(Condition::to_value).collect::<Vec<_>>() })
            }
            Condition::Not(inner) => json!({ "not": inner.to_value() }),
            Condition::Field { field, test } => {
                let mut map = Map::new();
                map.insert("field".into(), Value::String(field.clone()));
                let (name, arg) = match test {
                    Test::Eq(value) => ("eq", value.to_value()),
                    Test::In(values) => (
                        "in",
                        Value::Array(values.iter().map(Scalar::to_value).collect()),
                    ),
                    Test::Range { min, max } => {
                        let mut bounds = Map::new();
                        if let Some(min) = min {
                            bounds.insert("min".into(), min.to_value());
                        }
                        if let Some(max) = max {
                            bounds.insert("max".into(), max.to_value());
                        }
                        ("range", Value::Object(bounds))
                    }
                    Test::Exists(flag) => ("exists", Value::Bool(*flag)),
                    Test::Prefix(prefix) => ("prefix", Value::String(prefix.clone())),
                };
                map.insert(name.into(), arg);
                Value::Object(map)
            }
        }
    }

    /// Whether a record (as JSON) passes the condition. To test many
    /// records, [`compile`](Self::compile) it once.
    pub fn matches(&self, record: &Value) -> bool {
        self.compile().matches(record)
    }

    /// The condition compiled for testing many records.
    pub fn compile(&self) -> Matcher {
        let mut fields = FieldIndex::default();
        let node = Node::compile(self, &mut fields);
        Matcher { fields, node }
    }

    /// Every field the condition reads, in order of first use.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Condition::Always => {}
            Condition::All(items) | Condition::Any(items) => {
                items.iter().for_each(|c| c.fields(out));
            }
            Condition::Not(inner) => inner.fields(out),
            Condition::Field { field, .. } => {
                if !out.contains(field) {
                    out.push(field.clone());
                }
            }
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Condition::from_value(&value, "when").map_err(serde::de::Error::custom)
    }
}

fn check_path(field: &str, at: &str) -> Result<()> {
    if field.is_empty() || field.split('.').any(str::is_empty) {
        return Err(Error::config(
            at,
            format!("{field:?} is not a dot path like custom.budget"),
        ));
    }
    Ok(())
}

/// Orders two scalars of the same sort (numbers by value, text in order).
fn compare(a: &Scalar, b: &Scalar) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Scalar::Number(a), Scalar::Number(b)) => Some(a.cmp(b)),
        (Scalar::Text(a), Scalar::Text(b)) => Some(a.cmp(b)),
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// A field's value as the tests see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Fact {
    /// Not set, null, or empty text.
    #[default]
    Missing,
    /// Text, and its value when it reads as a number (`"12.50"`).
    Text(String, Option<Decimal>),
    /// A number.
    Number(Decimal),
    /// Yes or no.
    Bool(bool),
    /// A list of values (e.g. tags); an empty list is missing.
    List(Vec<Fact>),
}

impl Fact {
    /// The fact a JSON value makes.
    pub fn from_value(value: &Value) -> Fact {
        match value {
            Value::Null => Fact::Missing,
            Value::Bool(flag) => Fact::Bool(*flag),
            Value::Number(number) => Decimal::from_str(&number.to_string())
                .or_else(|_| Decimal::from_scientific(&number.to_string()))
                .map(Fact::Number)
                .unwrap_or(Fact::Missing),
            Value::String(text) if text.trim().is_empty() => Fact::Missing,
            Value::String(text) => Fact::Text(text.clone(), Decimal::from_str(text).ok()),
            Value::Array(items) if items.is_empty() => Fact::Missing,
            Value::Array(items) => Fact::List(items.iter().map(Fact::from_value).collect()),
            Value::Object(map) => match map.iter().next() {
                // A custom value: {"decimal": "12.50"}.
                Some((tag, Value::String(number))) if map.len() == 1 && tag == "decimal" => {
                    Decimal::from_str(number).map_or(Fact::Missing, Fact::Number)
                }
                Some((tag, inner))
                    if map.len() == 1
                        && matches!(
                            tag.as_str(),
                            "text" | "number" | "decimal" | "date" | "bool" | "choice"
                        ) =>
                {
                    Fact::from_value(inner)
                }
                _ => Fact::Missing,
            },
        }
    }

    /// A fact from text.
    pub fn text(text: impl Into<String>) -> Fact {
        Fact::from_value(&Value::String(text.into()))
    }

    fn is_set(&self) -> bool {
        !matches!(self, Fact::Missing)
    }

    fn any(&self, test: impl Fn(&Fact) -> bool + Copy) -> bool {
        match self {
            Fact::List(items) => items.iter().any(|item| item.any(test)),
            other => test(other),
        }
    }

    fn equals(&self, scalar: &Scalar) -> bool {
        self.any(|fact| match (fact, scalar) {
            (Fact::Text(text, _), Scalar::Text(want)) => text == want,
            (Fact::Text(_, Some(number)), Scalar::Number(want)) => number == want,
            (Fact::Number(number), Scalar::Number(want)) => number == want,
            (Fact::Bool(flag), Scalar::Bool(want)) => flag == want,
            _ => false,
        })
    }

    fn order(&self, scalar: &Scalar) -> Option<std::cmp::Ordering> {
        match (self, scalar) {
            (Fact::Number(n), Scalar::Number(b)) | (Fact::Text(_, Some(n)), Scalar::Number(b)) => {
                Some(n.cmp(b))
            }
            // Text holding numbers ("120.50" and "120.5") compares by value.
            (Fact::Text(_, Some(n)), Scalar::Text(b)) | (Fact::Number(n), Scalar::Text(b))
                if Decimal::from_str(b).is_ok() =>
            {
                Decimal::from_str(b).ok().map(|b| n.cmp(&b))
            }
            (Fact::Text(text, _), Scalar::Text(b)) => Some(text.as_str().cmp(b.as_str())),
            _ => None,
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Missing => f.write_str("not set"),
            Fact::Text(text, _) => write!(f, "{text:?}"),
            Fact::Number(number) => write!(f, "{number}"),
            Fact::Bool(flag) => write!(f, "{flag}"),
            Fact::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A [`Condition`] compiled once ([`Condition::compile`]), to test many
/// records.
#[derive(Debug, Clone)]
pub struct Matcher {
    fields: FieldIndex,
    node: Node,
}

impl Matcher {
    /// Whether a record (as JSON) passes the condition.
    pub fn matches(&self, record: &Value) -> bool {
        self.node.eval(&self.fields.facts(record))
    }
}

/// The fields a set of conditions reads, each given a slot, so that the facts
/// of one record are read once and tested by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldIndex {
    names: Vec<String>,
    slots: HashMap<String, usize>,
    /// The texts the conditions compare with (`eq`, `in`), numbered, so
    /// that comparing a fact with them is comparing two numbers.
    symbols: HashMap<String, u32>,
}

/// A fact's code for the quick text comparisons: [`GENERIC`] for a fact that
/// is not a single text (compared the long way), [`UNKNOWN_TEXT`] for a text
/// no condition names, else the text's symbol + 2.
const GENERIC: u32 = 0;
const UNKNOWN_TEXT: u32 = 1;

impl FieldIndex {
    /// The slot of a field, adding it when new.
    pub fn slot(&mut self, field: &str) -> usize {
        if let Some(slot) = self.slots.get(field) {
            return *slot;
        }
        self.names.push(field.to_string());
        self.slots.insert(field.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// The slot of a field, if any condition reads it.
    pub fn get(&self, field: &str) -> Option<usize> {
        self.slots.get(field).copied()
    }

    /// The fields, by slot.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn symbol(&mut self, text: &str) -> u32 {
        let next = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX - 2);
        *self.symbols.entry(text.to_string()).or_insert(next)
    }

    fn code(&self, fact: &Fact) -> u32 {
        match fact {
            Fact::Text(text, _) => self.symbols.get(text).map_or(UNKNOWN_TEXT, |s| s + 2),
            _ => GENERIC,
        }
    }

    /// Reads every indexed field of a record (as JSON).
    ///
    /// See also [`Condition::matches`] for one condition on one record.
    pub fn facts(&self, record: &Value) -> Facts {
        let values: Vec<Fact> = self
            .names
            .iter()
            .map(|path| {
                let mut at = record;
                for part in path.split('.') {
                    match at.get(part) {
                        Some(next) => at = next,
                        None => return Fact::Missing,
                    }
                }
                Fact::from_value(at)
            })
            .collect();
        let codes = values.iter().map(|f| self.code(f)).collect();
        Facts { values, codes }
    }

    /// Facts from field names and values; fields not indexed are ignored.
    pub fn facts_from<'a>(&self, pairs: impl IntoIterator<Item = (&'a str, Fact)>) -> Facts {
        let mut values = vec![Fact::Missing; self.names.len()];
        for (name, fact) in pairs {
            if let Some(slot) = self.get(name) {
                values[slot] = fact;
            }
        }
        let codes = values.iter().map(|f| self.code(f)).collect();
        Facts { values, codes }
    }
}

/// One record's values of the indexed fields, by slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    values: Vec<Fact>,
    codes: Vec<u32>,
}

impl Facts {
    /// The value in a slot.
    pub fn get(&self, slot: usize) -> &Fact {
        self.values.get(slot).unwrap_or(&Fact::Missing)
    }

    /// The values, by slot.
    pub fn values(&self) -> &[Fact] {
        &self.values
    }

    fn code(&self, slot: usize) -> u32 {
        self.codes.get(slot).copied().unwrap_or(GENERIC)
    }
}

/// A quick form of a text test: the symbols it accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Quick {
    Eq(u32),
    In(Vec<u32>),
}

/// A condition with its fields resolved to slots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Always,
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Field {
        slot: usize,
        test: Test,
        quick: Option<Quick>,
    },
}

impl Node {
    pub(crate) fn compile(condition: &Condition, fields: &mut FieldIndex) -> Node {
        match condition {
            Condition::Always => Node::Always,
            Condition::All(items) => {
                Node::All(items.iter().map(|c| Node::compile(c, fields)).collect())
            }
            Condition::Any(items) => {
                Node::Any(items.iter().map(|c| Node::compile(c, fields)).collect())
            }
            Condition::Not(inner) => Node::Not(Box::new(Node::compile(inner, fields))),
            Condition::Field { field, test } => {
                let text = |s: &Scalar| match s {
                    Scalar::Text(text) => Some(text.clone()),
                    _ => None,
                };
                let quick = match test {
                    Test::Eq(want) => text(want).map(|t| Quick::Eq(fields.symbol(&t))),
                    Test::In(wants) => wants
                        .iter()
                        .map(text)
                        .collect::<Option<Vec<_>>>()
                        .map(|ts| Quick::In(ts.iter().map(|t| fields.symbol(t)).collect())),
                    _ => None,
                };
                Node::Field {
                    slot: fields.slot(field),
                    test: test.clone(),
                    quick,
                }
            }
        }
    }

    pub(crate) fn eval(&self, facts: &Facts) -> bool {
        match self {
            Node::Always => true,
            Node::All(items) => items.iter().all(|n| n.eval(facts)),
            Node::Any(items) => items.iter().any(|n| n.eval(facts)),
            Node::Not(inner) => !inner.eval(facts),
            Node::Field { slot, test, quick } => {
                if let Some(quick) = quick {
                    match facts.code(*slot) {
                        GENERIC => {}
                        UNKNOWN_TEXT => return false,
                        code => {
                            return match quick {
                                Quick::Eq(sym) => code == sym + 2,
                                Quick::In(syms) => syms.iter().any(|s| code == s + 2),
                            };
                        }
                    }
                }
                let fact = facts.get(*slot);
                match test {
                    Test::Eq(want) => fact.equals(want),
                    Test::In(wants) => wants.iter().any(|w| fact.equals(w)),
                    Test::Range { min, max } => fact.any(|f| {
                        min.as_ref()
                            .is_none_or(|lo| f.order(lo).is_some_and(|o| o.is_ge()))
                            && max
                                .as_ref()
                                .is_none_or(|hi| f.order(hi).is_some_and(|o| o.is_le()))
                    }),
                    Test::Exists(want) => fact.is_set() == *want,
                    Test::Prefix(prefix) => fact.any(|f| match f {
                        Fact::Text(text, _) => text.starts_with(prefix.as_str()),
                        _ => false,
                    }),
                }
            }
        }
    }

    /// Why the condition passes or fails, in words: the tests that decided it.
    pub(crate) fn explain(&self, facts: &Facts, names: &[String]) -> String {
        let pass = self.eval(facts);
        match self {
            Node::Always => "always".into(),
            Node::All(items) => {
                if pass {
                    join(items.iter().map(|n| n.explain(facts, names)), " and ")
                } else {
                    let failed = items.iter().find(|n| !n.eval(facts));
                    failed.map_or_else(String::new, |n| n.explain(facts, names))
                }
            }
            Node::Any(items) => {
                if pass {
                    let passed = items.iter().find(|n| n.eval(facts));
                    passed.map_or_else(String::new, |n| n.explain(facts, names))
                } else {
                    join(items.iter().map(|n| n.explain(facts, names)), " and ")
                }
            }
            Node::Not(inner) => format!("not ({})", inner.explain(facts, names)),
            Node::Field { slot, test, .. } => {
                let name = names.get(*slot).map_or("?", String::as_str);
                let fact = facts.get(*slot);
                let want = match test {
                    Test::Eq(want) => format!("= {want}"),
                    Test::In(wants) => {
                        format!("in [{}]", join(wants.iter().map(|w| w.to_string()), ", "))
                    }
                    Test::Range { min, max } => match (min, max) {
                        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
                        (Some(lo), None) => format!(">= {lo}"),
                        (None, Some(hi)) => format!("<= {hi}"),
                        (None, None) => String::new(),
                    },
                    Test::Exists(true) => "set".into(),
                    Test::Exists(false) => "not set".into(),
                    Test::Prefix(prefix) => format!("starts with {prefix:?}"),
                };
                let verdict = if self.eval(facts) { "is" } else { "is not" };
                format!("{name} {fact} {verdict} {want}")
            }
        }
    }
}

fn join(parts: impl Iterator<Item = String>, by: &str) -> String {
    parts.collect::<Vec<_>>().join(by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(condition: Value, record: Value) -> (bool, String) {
        let condition = Condition::from_value(&condition, "when").unwrap();
        let mut fields = FieldIndex::default();
        let node = Node::compile(&condition, &mut fields);
        let facts = fields.facts(&record);
        (node.eval(&facts), node.explain(&facts, fields.names()))
    }

    #[test]
    fn field_tests_read_records_custom_values_and_lists() {
        let lead = json!({
            "region": "east", "source": "web-form", "email": "",
            "custom": { "budget": { "decimal": "2500.00" } },
            "tags": ["vip", "fair"],
            "expected_amount": { "amount": "120.50", "currency": "EUR" },
        });
        let cases = [
            (json!({ "field": "region", "eq": "east" }), true),
            (json!({ "field": "region", "eq": "East" }), false),
            (json!({ "field": "region", "in": ["west", "east"] }), true),
            (
                json!({ "field": "custom.budget", "range": { "min": 1000, "max": 2500 } }),
                true,
            ),
            (
                json!({ "field": "custom.budget", "range": { "min": 2500.01 } }),
                false,
            ),
            (
                json!({ "field": "expected_amount.amount", "range": { "max": "120.5" } }),
                true,
            ),
            (
                json!({ "field": "expected_amount.amount", "eq": 120.5 }),
                true,
            ),
            (json!({ "field": "email", "exists": true }), false),
            (json!({ "field": "phone", "exists": false }), true),
            (json!({ "field": "source", "prefix": "web" }), true),
            (json!({ "field": "tags", "eq": "vip" }), true),
            (json!({ "field": "tags", "prefix": "fa" }), true),
            (json!({ "not": { "field": "tags", "eq": "vip" } }), false),
            (
                json!({ "any": [{ "field": "region", "eq": "west" }, { "field": "tags", "in": ["fair"] }] }),
                true,
            ),
            (
                json!({ "all": [{ "field": "region", "eq": "east" }, { "field": "missing.deep", "exists": true }] }),
                false,
            ),
            (json!({ "all": [] }), true),
        ];
        for (condition, want) in cases {
            assert_eq!(
                check(condition.clone(), lead.clone()).0,
                want,
                "{condition}"
            );
        }
    }

    #[test]
    fn explanations_name_the_deciding_test() {
        let lead = json!({ "region": "west", "custom": { "budget": { "number": 50 } } });
        let (pass, why) = check(
            json!({ "all": [{ "field": "region", "eq": "east" }, { "field": "custom.budget", "exists": true }] }),
            lead.clone(),
        );
        assert!(!pass);
        assert_eq!(why, "region \"west\" is not = \"east\"");
        let (pass, why) = check(
            json!({ "field": "custom.budget", "range": { "min": 10 } }),
            lead,
        );
        assert!(pass);
        assert_eq!(why, "custom.budget 50 is >= 10");
    }

    #[test]
    fn bad_conditions_name_the_path() {
        let cases = [
            (json!({ "field": "region", "equals": "x" }), "when.equals"),
            (json!({ "field": "region" }), "when"),
            (
                json!({ "all": [{ "field": "a", "in": [] }] }),
                "when.all[0].in",
            ),
            (
                json!({ "any": [{ "field": "a", "range": { "min": 5, "max": 1 } }] }),
                "when.any[0].range",
            ),
            (json!({ "field": "a..b", "eq": 1 }), "when.field"),
            (json!({ "field": "a", "eq": [1] }), "when.eq"),
            (json!({ "every": [] }), "when.every"),
            (json!([1]), "when"),
        ];
        for (condition, path) in cases {
            match Condition::from_value(&condition, "when") {
                Err(Error::Config { path: got, .. }) => assert_eq!(got, path, "{condition}"),
                other => panic!("{condition}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_json_form_round_trips() {
        let condition = json!({ "all": [
            { "field": "region", "eq": "east" },
            { "not": { "field": "source", "in": ["spam", 3, true] } },
            { "field": "custom.budget", "range": { "min": 1000.5 } },
            { "field": "email", "exists": true },
            { "field": "source", "prefix": "web" },
        ] });
        let parsed = Condition::from_value(&condition, "when").unwrap();
        assert_eq!(parsed.to_value(), condition);
        let again: Condition = serde_json::from_value(parsed.to_value()).unwrap();
        assert_eq!(again, parsed);
    }
}
