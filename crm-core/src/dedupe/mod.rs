//! Duplicate matching: normalise, block, compare, score, cluster and explain
//! customers, contacts and leads; the engine merges what it finds.
//!
//! # How a scan works
//!
//! 1. **Normalise** ([`normalize`]): names folded (NFKC, case, accents), emails
//!    lower-cased, phones reduced to their digits (and read to E.164 with the
//!    `phonenumber` crate when two numbers need comparing), company names
//!    stripped of legal forms in several languages.
//! 2. **Block**: only records that share a key are compared. The keys
//!    ([`BlockKey`]) are the email, the phone's last 8 digits, the name (first
//!    and last in either order), the last name with the company, the first
//!    name with the company, and the last name with a company email domain
//!    (free-mail domains excluded). A block
//!    larger than `max_block` records is skipped and reported, so one common
//!    name cannot blow up the run. The number of candidate pairs is reported.
//! 3. **Compare**: each field of a pair gets a [`Level`]: `missing` (either
//!    side blank: no evidence either way), `different`, `similar`, `close` or
//!    `exact`. Names use Jaro-Winkler (close at 0.92, similar at 0.80, an
//!    initial matching the name counts as similar) and are also tried swapped;
//!    companies use Jaro-Winkler and token sets; phones compare E.164 (exact),
//!    the national number when one side had no country code (close), or the
//!    last 8 digits (similar); emails are the same address (exact) or not (a
//!    shared local part such as `jane.doe@` is no evidence: many people of
//!    one name have it).
//! 4. **Score**, two ways, both always computed:
//!    - **probabilistic** (Fellegi-Sunter): each level has an `m` (how often a
//!      true match shows it) and a `u` (how often two random records do); the
//!      match weight is `log2(prior odds) + sum(log2(m / u))` and the match
//!      probability `2^w / (1 + 2^w)`. `u` comes from the value frequencies (for
//!      `exact`) and from random pairs drawn with a fixed seed (for the rest),
//!      `m` and the prior from expectation-maximisation over the candidate
//!      pairs. An exact match on a common value (Smith, London) counts for
//!      less than one on a rare value: its `u` is that value's frequency
//!      (term-frequency adjustment).
//!    - **rules** ([`MatchRule`]), like the standard contact rules of the big
//!      CRMs: e.g. first name similar, last name close and email exact. A
//!      blank field never satisfies a rule.
//!
//!    [`Method`] says which decides; the default is probabilistic with a match
//!    probability of at least 0.9.
//! 5. **Cluster**: matched pairs, strongest first, join records into groups;
//!    two groups join only when at least half of the pairs between them
//!    matched (`cluster_min_link`), so one weak link cannot chain unrelated
//!    records together. Output is deterministic: a cluster's id is its
//!    smallest row.
//! 6. **Explain**: [`Scan::explain`] gives, for any two rows, every field's
//!    values, level, similarity and weight, the prior, the probability and the
//!    rule that matched.
//!
//! ```
//! use crm_core::dedupe::{self, DedupeConfig, MatchRecord};
//!
//! let person = |first: &str, last: &str, email: &str, phone: &str| MatchRecord {
//!     first_name: Some(first.into()),
//!     last_name: Some(last.into()),
//!     email: Some(email.into()),
//!     phone: Some(phone.into()),
//!     ..MatchRecord::default()
//! };
//! let rows = [
//!     person("Jonathan", "Smith", "jon.smith@acme.com", "+1 415 555 0134"),
//!     person("Jonathon", "SMITH", "Jon.Smith@ACME.com", "(415) 555-0134"),
//!     person("Maria", "Garcia", "maria@example.org", "+34 612 345 678"),
//! ];
//! let scan = dedupe::scan(&rows, &DedupeConfig::default(), &mut dedupe::ScanOptions::default())?;
//! assert_eq!(scan.pairs().len(), 1);
//! assert_eq!(scan.cluster_ids(), [0, 0, 2]);
//! let why = scan.explain(0, 1);
//! assert!(why.probability > 0.99);
//! assert_eq!(why.field("email").unwrap().level, dedupe::Level::Exact);
//! # Ok::<(), crm_core::Error>(())
//! ```

pub mod normalize;

mod compare;
mod records;
mod scan;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::named;

pub use compare::{Matcher, jaro_winkler, token_set};
pub use records::match_keys_of;
pub use scan::{
    BlockReport, Cluster, MIN_TRAIN_ROWS, Progress, Scan, ScanOptions, ScoredPair, scan,
};

/// One record to match: a person (first and last name, or one full name)
/// and/or a company, with contact points. Every field may be blank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchRecord {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// The full name, used when first and last are both blank: its first word
    /// is read as the first name and the rest as the last name (and both
    /// orders are tried when comparing).
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number, in any format.
    pub phone: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// City (or a light address).
    pub city: Option<String>,
}

/// The fields compared, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Email.
    Email,
    /// Phone.
    Phone,
    /// Company.
    Company,
    /// Title.
    Title,
    /// City.
    City,
}

impl Field {
    /// Every field, in order.
    pub const ALL: [Field; 7] = [
        Field::FirstName,
        Field::LastName,
        Field::Email,
        Field::Phone,
        Field::Company,
        Field::Title,
        Field::City,
    ];
}

named!(Field, "field", {
    FirstName => "first_name",
    LastName => "last_name",
    Email => "email",
    Phone => "phone",
    Company => "company",
    Title => "title",
    City => "city",
});

/// How well one field of two records agrees, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Blank on either side: no evidence.
    Missing,
    /// Disagrees.
    Different,
    /// Agrees loosely (see the module docs per field).
    Similar,
    /// Agrees closely.
    Close,
    /// Agrees exactly once normalised.
    Exact,
}

named!(Level, "level", {
    Missing => "missing",
    Different => "different",
    Similar => "similar",
    Close => "close",
    Exact => "exact",
});

impl Level {
    /// The levels that carry evidence, in the order of [`FieldWeights`]' arrays.
    pub const SCORED: [Level; 4] = [Level::Different, Level::Similar, Level::Close, Level::Exact];

    fn index(self) -> Option<usize> {
        match self {
            Level::Missing => None,
            Level::Different => Some(0),
            Level::Similar => Some(1),
            Level::Close => Some(2),
            Level::Exact => Some(3),
        }
    }

    fn from_bits(bits: u32) -> Level {
        match bits {
            1 => Level::Different,
            2 => Level::Similar,
            3 => Level::Close,
            4 => Level::Exact,
            _ => Level::Missing,
        }
    }
}

/// Which score decides whether a pair is a duplicate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Match probability at least `threshold`.
    #[default]
    Probabilistic,
    /// Any of the `rules` holds.
    Rules,
    /// Either.
    Either,
}

/// A deterministic match rule: every listed field must reach its level (a
/// blank field never does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRule {
    /// The rule's name, shown in explanations.
    pub name: String,
    /// Field -> the lowest level that satisfies it.
    pub all: BTreeMap<Field, Level>,
}

impl MatchRule {
    /// Whether levels (indexed like [`Field::ALL`]) satisfy the rule.
    pub fn holds(&self, levels: &[Level; 7]) -> bool {
        self.all.iter().all(|(field, min)| {
            let level = levels[*field as usize];
            level != Level::Missing && level >= *min
        })
    }

    /// The default rules, modelled on the standard contact matching rule of
    /// the big CRMs (names tried in both orders):
    /// - `name_email`: first name similar, last name close, email exact;
    /// - `name_phone`: first name similar, last name close, phone close;
    /// - `name_company_title`: first name close, last name exact, company
    ///   close, title close;
    /// - `email_phone`: email exact and phone close.
    pub fn standard() -> Vec<MatchRule> {
        let rule = |name: &str, all: &[(Field, Level)]| MatchRule {
            name: name.into(),
            all: all.iter().copied().collect(),
        };
        use Field::*;
        use Level::*;
        vec![
            rule(
                "name_email",
                &[(FirstName, Similar), (LastName, Close), (Email, Exact)],
            ),
            rule(
                "name_phone",
                &[(FirstName, Similar), (LastName, Close), (Phone, Close)],
            ),
            rule(
                "name_company_title",
                &[
                    (FirstName, Close),
                    (LastName, Exact),
                    (Company, Close),
                    (Title, Close),
                ],
            ),
            rule("email_phone", &[(Email, Exact), (Phone, Close)]),
        ]
    }
}

/// A blocking key: which records get compared at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKey {
    /// The normalised email.
    Email,
    /// The phone's last 8 digits.
    Phone,
    /// First and last name, in either order.
    Name,
    /// Last name and company.
    LastCompany,
    /// Last name and the email's domain, unless it is free mail.
    LastDomain,
    /// First name and company (a last name mistyped at the same firm).
    FirstCompany,
}

named!(BlockKey, "blocking", {
    Email => "email",
    Phone => "phone",
    Name => "name",
    LastCompany => "last_company",
    LastDomain => "last_domain",
    FirstCompany => "first_company",
});

impl BlockKey {
    /// Every key, in order.
    pub const ALL: [BlockKey; 6] = [
        BlockKey::Email,
        BlockKey::Phone,
        BlockKey::Name,
        BlockKey::LastCompany,
        BlockKey::LastDomain,
        BlockKey::FirstCompany,
    ];
}

/// The `m` and `u` probabilities of one field, per level in the order of
/// [`Level::SCORED`] (different, similar, close, exact).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldWeights {
    /// P(level | the records are the same).
    pub m: [f64; 4],
    /// P(level | the records are not).
    pub u: [f64; 4],
}

impl FieldWeights {
    /// log2(m / u) of a level; 0 for `missing`.
    pub fn weight(&self, level: Level) -> f64 {
        level.index().map_or(0.0, |i| {
            (self.m[i].max(1e-12) / self.u[i].max(1e-12)).log2()
        })
    }
}

/// A Fellegi-Sunter model: the prior probability that a candidate pair is a
/// match and the weights of each field. [`Model::default`] holds stated
/// starting values (used by the one-record check when no trained model is
/// configured); a scan trains its own and returns it, and it can be put in
/// the configuration for the engine's checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// P(match) for a candidate pair.
    pub prior: f64,
    /// Per field.
    pub fields: BTreeMap<Field, FieldWeights>,
}

impl Default for Model {
    fn default() -> Self {
        use Field::*;
        let w = |m: [f64; 4], u: [f64; 4]| FieldWeights { m, u };
        let fields = BTreeMap::from([
            (
                FirstName,
                w([0.05, 0.1, 0.1, 0.75], [0.95, 0.035, 0.01, 0.005]),
            ),
            (
                LastName,
                w([0.04, 0.06, 0.1, 0.8], [0.97, 0.02, 0.007, 0.003]),
            ),
            (
                Email,
                w([0.3, 0.0001, 0.05, 0.65], [0.9999, 0.0001, 1e-5, 1e-6]),
            ),
            (Phone, w([0.1, 0.02, 0.08, 0.8], [0.9999, 1e-5, 1e-5, 1e-6])),
            (
                Company,
                w([0.1, 0.05, 0.15, 0.7], [0.98, 0.01, 0.005, 0.005]),
            ),
            (Title, w([0.3, 0.05, 0.1, 0.55], [0.9, 0.03, 0.02, 0.05])),
            (City, w([0.15, 0.02, 0.03, 0.8], [0.9, 0.01, 0.01, 0.08])),
        ]);
        Model {
            prior: 0.001,
            fields,
        }
    }
}

/// How matching works; loaded from JSON (the `dedupe` section of the
/// engine's configuration), every key optional.
///
/// ```
/// use crm_core::dedupe::{DedupeConfig, Method};
///
/// let config = DedupeConfig::from_json(r#"{"method": "rules", "default_region": "GB"}"#)?;
/// assert_eq!(config.method, Method::Rules);
/// let err = DedupeConfig::from_json(r#"{"threshold": 1.5}"#).unwrap_err();
/// assert!(err.to_string().contains("threshold"));
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupeConfig {
    /// What decides a match (default probabilistic).
    pub method: Method,
    /// The lowest match probability that is a match (default 0.9).
    pub threshold: f64,
    /// The rules (default [`MatchRule::standard`]).
    pub rules: Vec<MatchRule>,
    /// The region of phone numbers written without a country code (default
    /// `US`).
    pub default_region: String,
    /// Apply email providers' rules (Gmail dots, `+tags`); default off.
    pub email_provider_rules: bool,
    /// The blocking keys (default all of [`BlockKey::ALL`]).
    pub blocking: Vec<BlockKey>,
    /// Blocks with more records than this are skipped and reported (default
    /// 1,000).
    pub max_block: usize,
    /// Two groups join only when at least this share of the pairs between
    /// them matched (default 0.5; 0 is plain connected components).
    pub cluster_min_link: f64,
    /// Train the model on the scanned records (default true) when there are
    /// at least [`MIN_TRAIN_ROWS`]; otherwise use `model` (or
    /// [`Model::default`]).
    pub train: bool,
    /// Weigh exact matches by how common the value is (default true).
    pub term_frequency: bool,
    /// The model used when not training, and by the one-record check.
    pub model: Option<Model>,
    /// Random pairs drawn to estimate `u` (default 200,000), with `seed`.
    pub u_samples: usize,
    /// The seed of the random pairs (default 1).
    pub seed: u64,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        DedupeConfig {
            method: Method::Probabilistic,
            threshold: 0.9,
            rules: MatchRule::standard(),
            default_region: "US".into(),
            email_provider_rules: false,
            blocking: BlockKey::ALL.to_vec(),
            max_block: 1_000,
            cluster_min_link: 0.5,
            train: true,
            term_frequency: true,
            model: None,
            u_samples: 200_000,
            seed: 1,
        }
    }
}

impl DedupeConfig {
    /// Reads and checks a configuration from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] naming the field, e.g. `dedupe.threshold`, when
    /// the JSON does not parse or a value is out of range.
    pub fn from_json(json: &str) -> Result<Self> {
        let config: DedupeConfig = serde_json::from_str(json).map_err(|e| {
            Error::invalid(
                "dedupe",
                format!("is not a valid dedupe configuration: {e}"),
            )
        })?;
        config.check()?;
        Ok(config)
    }

    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `dedupe.threshold`, `dedupe.cluster_min_link`,
    /// `dedupe.max_block`, `dedupe.default_region`, `dedupe.rules` or
    /// `dedupe.model` when out of range.
    pub fn check(&self) -> Result<()> {
        let unit = |field: &str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(Error::invalid(field, "must be between 0 and 1").with_value(value))
            }
        };
        unit("dedupe.threshold", self.threshold)?;
        unit("dedupe.cluster_min_link", self.cluster_min_link)?;
        if self.max_block < 2 {
            return Err(
                Error::invalid("dedupe.max_block", "must be at least 2").with_value(self.max_block)
            );
        }
        normalize::region(&self.default_region).map_err(|e| e.in_field("dedupe.default_region"))?;
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.name.trim().is_empty() || rule.all.is_empty() {
                return Err(Error::invalid(
                    format!("dedupe.rules[{i}]"),
                    "needs a name and at least one field",
                ));
            }
            if rule.all.values().any(|l| *l == Level::Missing) {
                return Err(Error::invalid(
                    format!("dedupe.rules[{i}].all"),
                    "a rule cannot ask for a missing field",
                ));
            }
        }
        if let Some(model) = &self.model {
            unit("dedupe.model.prior", model.prior)?;
            for (field, w) in &model.fields {
                if w.m.iter().chain(&w.u).any(|p| !(0.0..=1.0).contains(p)) {
                    return Err(Error::invalid(
                        format!("dedupe.model.fields.{field}"),
                        "m and u are probabilities between 0 and 1",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One field of an explained pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldExplanation {
    /// The field.
    pub field: Field,
    /// The left record's value, normalised (blank: `None`).
    pub left: Option<String>,
    /// The right record's value, normalised.
    pub right: Option<String>,
    /// How well they agree.
    pub level: Level,
    /// The string similarity behind the level, where one was computed.
    pub similarity: Option<f64>,
    /// Its match weight, log2(m / u) (0 when missing).
    pub weight: f64,
    /// Whether the weight was adjusted for how common the value is.
    pub term_frequency: bool,
}

/// Why two records do or do not match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The match probability.
    pub probability: f64,
    /// The total match weight (prior included).
    pub weight: f64,
    /// log2 of the prior odds.
    pub prior_weight: f64,
    /// Per field.
    pub fields: Vec<FieldExplanation>,
    /// The first rule that holds, if any.
    pub rule: Option<String>,
    /// Whether the pair is a match under the configured method.
    pub matched: bool,
    /// What decided, e.g. `probability 0.998 >= 0.9` or `rule name_email`.
    pub decided_by: String,
    /// Whether the names matched in swapped order (first <-> last).
    pub names_swapped: bool,
}

impl Explanation {
    /// The explanation of one field.
    pub fn field(&self, name: &str) -> Option<&FieldExplanation> {
        self.fields.iter().find(|f| f.field.as_str() == name)
    }
}

/// The keys under which the store indexes a record for the one-record
/// duplicate check, mirroring the blocking keys: `e:` email, `p:` phone
/// digits, `n:` name (order-insensitive), `lc:` last name and company,
/// `c:` company. Empty fields give no key.
pub fn match_keys(record: &MatchRecord) -> Vec<String> {
    let prepared = compare::Prepared::new(record, normalize::EmailRules::default());
    let mut keys = Vec::new();
    if let Some(email) = &prepared.email {
        keys.push(format!("e:{email}"));
    }
    if let Some(suffix) = prepared.phone_suffix {
        keys.push(format!("p:{suffix}"));
    }
    if let (Some(first), Some(last)) = (&prepared.first, &prepared.last) {
        let (a, b) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        keys.push(format!("n:{a}|{b}"));
    }
    if let (Some(last), Some(company)) = (&prepared.last, &prepared.company) {
        keys.push(format!("lc:{last}|{company}"));
    }
    if let Some(company) = &prepared.company {
        keys.push(format!("c:{company}"));
    }
    keys.sort();
    keys.dedup();
    keys
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} (probability {:.4}, weight {:+.2}, prior {:+.2})",
            if self.matched { "match" } else { "no match" },
            self.probability,
            self.weight,
            self.prior_weight
        )?;
        for field in &self.fields {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            writeln!(
                f,
                "  {:<10} {:<8} {:+6.2}  {} | {}{}",
                field.field.as_str(),
                field.level.as_str(),
                field.weight,
                show(&field.left),
                show(&field.right),
                if field.term_frequency { "  (tf)" } else { "" }
            )?;
        }
        write!(f, "  decided by {}", self.decided_by)
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "probabilistic" => Ok(Method::Probabilistic),
            "rules" => Ok(Method::Rules),
            "either" => Ok(Method::Either),
            _ => Err(
                Error::invalid("method", "is not one of probabilistic, rules, either")
                    .with_value(text.chars().take(40).collect::<String>()),
            ),
        }
    }
}
