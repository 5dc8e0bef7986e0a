//! Duplicate matching: the [`DedupeScan`] object (a batch scan over
//! [`MatchRecord`]s and what it found) and the free function `explainMatch`
//! (why two records do or do not match), no engine involved.
//!
//! Both run `crm::dedupe` (see its module documentation for normalising,
//! blocking, the Fellegi-Sunter and rule scores, clustering and
//! explanations) and only convert: the configuration is the dedupe config
//! JSON text, fields and levels come back as their canonical names
//! (`"first_name"`, `"exact"`), the trained model and the blocking reports as
//! JSON text.
//!
//! The engine's duplicate commands (`findDuplicates`, `findDuplicatesOf`,
//! `merge`, `unmerge`, in `engine/dedupe.rs`) take the same [`MatchRecord`]
//! and return the records defined here: [`DuplicateMatch`] (with its
//! [`MatchExplanation`]), [`MergeInput`] and [`MergeOutcome`].

use std::sync::Arc;

use crm::Error as CoreError;
use crm::RecordKey as CoreRecordKey;
use crm::dedupe::{
    self, Cluster as CoreCluster, DedupeConfig, Explanation as CoreExplanation,
    FieldExplanation as CoreFieldExplanation, MatchRecord as CoreMatchRecord, Matcher, Scan,
    ScanOptions,
};

use crate::error::CrmError;
use crate::model::{AnyRecord, RecordKey, count};

/// One record to match: a person (first and last name, or one full name)
/// and/or a company, with contact points. Every field may be left out
/// (`null`); a blank field is no evidence either way and never matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct MatchRecord {
    /// Given name.
    #[uniffi(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[uniffi(default)]
    pub last_name: Option<String>,
    /// The full name, used when first and last are both blank: its first
    /// word is read as the first name, the rest as the last name (both
    /// orders are tried when comparing).
    #[uniffi(default)]
    pub name: Option<String>,
    /// Email address.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Phone number, in any format (`"+1 415 555 0134"`, `"(415) 555-0134"`).
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Company name (legal forms such as `Inc.` or `GmbH` are ignored).
    #[uniffi(default)]
    pub company: Option<String>,
    /// Job title.
    #[uniffi(default)]
    pub title: Option<String>,
    /// City (or a light address).
    #[uniffi(default)]
    pub city: Option<String>,
}

impl From<MatchRecord> for CoreMatchRecord {
    fn from(record: MatchRecord) -> Self {
        CoreMatchRecord {
            first_name: record.first_name,
            last_name: record.last_name,
            name: record.name,
            email: record.email,
            phone: record.phone,
            company: record.company,
            title: record.title,
            city: record.city,
        }
    }
}

/// Two rows that matched.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchPair {
    /// The smaller row (a position in the scanned records).
    pub left: u32,
    /// The larger row.
    pub right: u32,
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The match weight (log2 odds, prior included).
    pub weight: f64,
    /// The name of the first rule that holds (`"name_email"`, ...), if any.
    pub rule: Option<String>,
}

/// A group of duplicates: two or more rows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateCluster {
    /// The cluster's id: its smallest row.
    pub id: u32,
    /// Its rows, ascending.
    pub rows: Vec<u32>,
    /// The matched pairs inside it.
    pub pairs: u64,
    /// The weakest matched pair's probability.
    pub min_probability: f64,
}

impl From<CoreCluster> for DuplicateCluster {
    fn from(cluster: CoreCluster) -> Self {
        DuplicateCluster {
            id: cluster.id,
            rows: cluster.rows,
            pairs: count(cluster.pairs),
            min_probability: cluster.min_probability,
        }
    }
}

/// One field of an explained pair.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldMatch {
    /// The field: `"first_name"`, `"last_name"`, `"email"`, `"phone"`,
    /// `"company"`, `"title"` or `"city"`.
    pub field: String,
    /// The left record's value, normalised (`null`: blank).
    pub left: Option<String>,
    /// The right record's value, normalised.
    pub right: Option<String>,
    /// How well they agree: `"missing"` (blank on either side: no evidence),
    /// `"different"`, `"similar"`, `"close"` or `"exact"`.
    pub level: String,
    /// The string similarity behind the level, where one was computed.
    pub similarity: Option<f64>,
    /// Its match weight, log2(m / u) (0 when missing).
    pub weight: f64,
    /// Whether the weight was adjusted for how common the value is.
    pub term_frequency: bool,
}

impl From<CoreFieldExplanation> for FieldMatch {
    fn from(field: CoreFieldExplanation) -> Self {
        FieldMatch {
            field: field.field.as_str().to_owned(),
            left: field.left,
            right: field.right,
            level: field.level.as_str().to_owned(),
            similarity: field.similarity,
            weight: field.weight,
            term_frequency: field.term_frequency,
        }
    }
}

/// Why two records do or do not match.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchExplanation {
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The total match weight (prior included).
    pub weight: f64,
    /// log2 of the prior odds.
    pub prior_weight: f64,
    /// Every field, in a fixed order (first name, last name, email, phone,
    /// company, title, city).
    pub fields: Vec<FieldMatch>,
    /// The first rule that holds, if any.
    pub rule: Option<String>,
    /// Whether the pair is a match under the configured method.
    pub matched: bool,
    /// What decided, e.g. `"probability 0.998 >= 0.9"` or `"rule name_email"`.
    pub decided_by: String,
    /// Whether the names matched in swapped order (first <-> last).
    pub names_swapped: bool,
}

impl From<CoreExplanation> for MatchExplanation {
    fn from(why: CoreExplanation) -> Self {
        MatchExplanation {
            probability: why.probability,
            weight: why.weight,
            prior_weight: why.prior_weight,
            fields: why.fields.into_iter().map(FieldMatch::from).collect(),
            rule: why.rule,
            matched: why.matched,
            decided_by: why.decided_by,
            names_swapped: why.names_swapped,
        }
    }
}

/// A stored customer, contact or lead that may be a duplicate (what
/// `findDuplicates` and `findDuplicatesOf` return, most likely first).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateMatch {
    /// The stored record (`RecordKey(kind = "customer", id = ...)`).
    pub record: RecordKey,
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The first match rule that holds, if any.
    pub rule: Option<String>,
    /// Why, field by field.
    pub explanation: MatchExplanation,
}

impl From<crm::DuplicateMatch> for DuplicateMatch {
    fn from(found: crm::DuplicateMatch) -> Self {
        DuplicateMatch {
            record: found.record.into(),
            probability: found.probability,
            rule: found.rule,
            explanation: found.explanation.into(),
        }
    }
}

/// A merge to run: two or more customers, contacts or leads, all of one
/// kind, into one survivor.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct MergeInput {
    /// The records to merge (`RecordKey(kind, id)`), all of one kind.
    pub records: Vec<RecordKey>,
    /// The survivor, one of `records`; chosen by `rule` when left out.
    #[uniffi(default)]
    pub survivor: Option<RecordKey>,
    /// How to choose the survivor when none is named: `"oldest"` (the
    /// default), `"newest"` or `"most_complete"`.
    #[uniffi(default)]
    pub rule: Option<String>,
    /// Why (required).
    pub reason: String,
}

impl TryFrom<MergeInput> for crm::MergeInput {
    type Error = CoreError;

    /// # Errors
    ///
    /// A validation error on `entity` or `<kind>_id` for a malformed key, on
    /// `rule` for an unknown rule.
    fn try_from(input: MergeInput) -> Result<Self, CoreError> {
        Ok(crm::MergeInput {
            records: input
                .records
                .into_iter()
                .map(CoreRecordKey::try_from)
                .collect::<Result<_, _>>()?,
            survivor: input.survivor.map(CoreRecordKey::try_from).transpose()?,
            rule: survivor_rule(input.rule)?,
            reason: input.reason,
        })
    }
}

/// A survivor rule by its canonical name, the core's default (`oldest`)
/// when absent.
///
/// # Errors
///
/// A validation error on `rule` listing the names.
fn survivor_rule(name: Option<String>) -> Result<crm::SurvivorRule, CoreError> {
    let Some(name) = name else {
        return Ok(crm::SurvivorRule::default());
    };
    serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
        let shown: String = name.chars().take(40).collect();
        CoreError::invalid("rule", "is not one of oldest, newest, most_complete").with_value(shown)
    })
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MergeOutcome {
    /// The survivor, after the merge.
    pub survivor: AnyRecord,
    /// The records merged into it (kept, marked `mergedInto`).
    pub merged: Vec<RecordKey>,
    /// The records moved to the survivor (contacts, deals, contracts,
    /// tickets, activities, tasks).
    pub moved: Vec<RecordKey>,
    /// The id of the survivor's `merge` event, which `unmerge` undoes.
    pub event: String,
}

impl From<crm::MergeOutcome> for MergeOutcome {
    fn from(outcome: crm::MergeOutcome) -> Self {
        MergeOutcome {
            survivor: outcome.survivor.into(),
            merged: outcome.merged.into_iter().map(RecordKey::from).collect(),
            moved: outcome.moved.into_iter().map(RecordKey::from).collect(),
            event: outcome.event.to_string(),
        }
    }
}

/// The dedupe configuration: the dedupe config JSON
/// (`crm::dedupe::DedupeConfig::from_json`), or the default one.
///
/// # Errors
///
/// A validation error naming the field (`dedupe` for JSON that does not
/// parse or an unknown key, `dedupe.threshold`, `dedupe.default_region`, ...).
fn dedupe_config(json: Option<String>) -> Result<DedupeConfig, CoreError> {
    json.map_or_else(
        || Ok(DedupeConfig::default()),
        |json| DedupeConfig::from_json(&json),
    )
}

/// JSON text of a serialisable core value. The core's model and blocking
/// reports always serialise (plain numbers, strings and maps with string
/// keys); should that ever fail, `null` comes back rather than a panic.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A finished duplicate scan: the matched pairs, a cluster id per row, the
/// clusters, the model it scored with, and explanations of any two rows.
///
/// Immutable and safe to share between threads; it holds the normalised
/// records (to explain pairs), so drop (`close()`/`destroy()`) it when done.
#[derive(Debug, uniffi::Object)]
pub struct DedupeScan {
    scan: Scan,
}

#[uniffi::export]
impl DedupeScan {
    /// Finds the duplicates among `records`: normalise, block, compare,
    /// score (Fellegi-Sunter, trained on the records when there are at least
    /// 1,000, and the match rules), cluster. Deterministic: the same records
    /// and configuration give the same result on any number of threads.
    ///
    /// `configJson` is the dedupe configuration, every key optional:
    /// `method` (`"probabilistic"`, `"rules"` or `"either"`), `threshold`,
    /// `rules`, `default_region`, `email_provider_rules`, `blocking`,
    /// `max_block`, `cluster_min_link`, `train`, `term_frequency`, `model`,
    /// `u_samples`, `seed`. `threads` (default 1) runs the scan on that many
    /// threads, started and joined within the call.
    ///
    /// # Errors
    ///
    /// `Validation` naming the field: `dedupe` for a configuration that does
    /// not parse or has an unknown key, `dedupe.threshold`,
    /// `dedupe.default_region`, `dedupe.rules[i]`, ... for a value out of
    /// range; `threads` when it is 0.
    #[uniffi::constructor(default(config_json = None, threads = None))]
    pub fn new(
        records: Vec<MatchRecord>,
        config_json: Option<String>,
        threads: Option<u32>,
    ) -> Result<Arc<Self>, CrmError> {
        let config = dedupe_config(config_json)?;
        let threads = threads.map_or(1, |t| usize::try_from(t).unwrap_or(usize::MAX));
        let records: Vec<CoreMatchRecord> = records.into_iter().map(Into::into).collect();
        let scan = dedupe::scan(
            &records,
            &config,
            &mut ScanOptions {
                threads,
                progress: None,
            },
        )?;
        Ok(Arc::new(DedupeScan { scan }))
    }

    /// The matched pairs, by (left, right).
    pub fn pairs(&self) -> Vec<MatchPair> {
        self.scan
            .pairs()
            .iter()
            .map(|pair| MatchPair {
                left: pair.left,
                right: pair.right,
                probability: pair.probability,
                weight: pair.weight,
                rule: self.scan.rule_name(pair).map(str::to_owned),
            })
            .collect()
    }

    /// The cluster id of each row, one per record: the smallest row of its
    /// group (a row with no duplicate is its own group).
    pub fn cluster_ids(&self) -> Vec<u32> {
        self.scan.cluster_ids().to_vec()
    }

    /// The groups of two or more rows, by id.
    pub fn clusters(&self) -> Vec<DuplicateCluster> {
        self.scan
            .clusters()
            .into_iter()
            .map(DuplicateCluster::from)
            .collect()
    }

    /// Why rows `left` and `right` do or do not match (any two rows,
    /// compared or not).
    ///
    /// # Errors
    ///
    /// `Validation` on `left` or `right` when it is not a row of the scan.
    pub fn explain(&self, left: u32, right: u32) -> Result<MatchExplanation, CrmError> {
        let row = |r: u32| usize::try_from(r).unwrap_or(usize::MAX);
        Ok(self.scan.try_explain(row(left), row(right))?.into())
    }

    /// The model the scan scored with (trained on the records, unless there
    /// were fewer than 1,000 or training was off), as JSON text:
    /// `{"prior": ..., "fields": {"first_name": {"m": [...], "u": [...]}, ...}}`,
    /// the form the configuration's `model` takes.
    pub fn model_json(&self) -> String {
        to_json(self.scan.model())
    }

    /// Pairs compared, after blocking.
    pub fn candidate_pairs(&self) -> u64 {
        self.scan.candidate_pairs()
    }

    /// What each blocking key contributed, as JSON text: a list of
    /// `{"key", "blocks", "pairs", "skipped_blocks", "skipped_records"}`.
    pub fn blocking_json(&self) -> String {
        to_json(self.scan.blocking())
    }

    /// Rows scanned.
    // No `is_empty`: foreign callers compare `len()` with 0, and every method
    // here is one more generated function in three languages.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        count(self.scan.len())
    }
}

/// Why records `a` and `b` do or do not match, by the configuration's
/// `model` (or the default one: nothing is trained on two records) and
/// rules. A pure function: no scan, no engine, nothing kept.
///
/// # Errors
///
/// `Validation` naming the field of the configuration, as for `DedupeScan`.
#[uniffi::export(default(config_json = None))]
pub fn explain_match(
    a: MatchRecord,
    b: MatchRecord,
    config_json: Option<String>,
) -> Result<MatchExplanation, CrmError> {
    let matcher = Matcher::new(&dedupe_config(config_json)?)?;
    Ok(matcher.explain(&a.into(), &b.into()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(first: &str, last: &str, email: &str, phone: &str, company: &str) -> MatchRecord {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        MatchRecord {
            first_name: opt(first),
            last_name: opt(last),
            email: opt(email),
            phone: opt(phone),
            company: opt(company),
            ..MatchRecord::default()
        }
    }

    fn rows() -> Vec<MatchRecord> {
        vec![
            person(
                "Jonathan",
                "Smith",
                "jon.smith@acme.com",
                "+1 415 555 0134",
                "Acme Inc.",
            ),
            person(
                "Jonathon",
                "SMITH",
                "",
                "(415) 555-0134",
                "ACME Incorporated",
            ),
            person(
                "Maria",
                "Garcia",
                "maria@example.org",
                "+34 612 345 678",
                "",
            ),
            person(
                "Maria",
                "Garcia",
                "mgarcia@other.org",
                "+34 699 999 999",
                "",
            ),
            MatchRecord::default(),
            MatchRecord::default(),
        ]
    }

    /// The binding returns what the core computes, converted.
    #[test]
    fn scan_matches_the_core() {
        let ours = DedupeScan::new(rows(), None, None).unwrap();
        let records: Vec<CoreMatchRecord> = rows().into_iter().map(Into::into).collect();
        let core = dedupe::scan(
            &records,
            &DedupeConfig::default(),
            &mut ScanOptions::default(),
        )
        .unwrap();
        let pairs = ours.pairs();
        assert_eq!(pairs.len(), core.pairs().len());
        for (got, want) in pairs.iter().zip(core.pairs()) {
            assert_eq!((got.left, got.right), (want.left, want.right));
            assert_eq!(got.probability, want.probability);
            assert_eq!(got.weight, want.weight);
            assert_eq!(got.rule.as_deref(), core.rule_name(want));
        }
        assert_eq!(
            pairs.iter().map(|p| (p.left, p.right)).collect::<Vec<_>>(),
            [(0, 1)]
        );
        // Blank rows never match each other.
        assert_eq!(ours.cluster_ids(), [0, 0, 2, 3, 4, 5]);
        assert_eq!(ours.cluster_ids(), core.cluster_ids());
        let clusters = ours.clusters();
        assert_eq!(clusters.len(), 1);
        assert_eq!((clusters[0].id, clusters[0].pairs), (0, 1));
        assert_eq!(clusters[0].rows, [0, 1]);
        assert_eq!(ours.len(), 6);
        assert_eq!(ours.candidate_pairs(), core.candidate_pairs());

        let model: serde_json::Value = serde_json::from_str(&ours.model_json()).unwrap();
        assert_eq!(model, serde_json::to_value(core.model()).unwrap());
        assert!(model["fields"]["first_name"]["m"].is_array());
        let blocking: serde_json::Value = serde_json::from_str(&ours.blocking_json()).unwrap();
        assert_eq!(blocking, serde_json::to_value(core.blocking()).unwrap());
        assert_eq!(blocking[0]["key"], "email");
    }

    #[test]
    fn explanations_use_canonical_names() {
        let scan = DedupeScan::new(rows(), None, Some(2)).unwrap();
        let why = scan.explain(0, 1).unwrap();
        assert!(why.matched && why.probability > 0.9);
        let fields: Vec<&str> = why.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "first_name",
                "last_name",
                "email",
                "phone",
                "company",
                "title",
                "city"
            ]
        );
        assert_eq!(why.fields[2].level, "missing");
        assert_eq!(why.fields[3].level, "exact");
        let blank = scan.explain(4, 5).unwrap();
        assert!(!blank.matched && blank.fields.iter().all(|f| f.level == "missing"));

        let one = explain_match(
            person("Garcia", "Maria", "m.garcia@acme.es", "", ""),
            person("Maria", "García", "M.Garcia@acme.es", "", ""),
            Some(r#"{"method": "rules"}"#.into()),
        )
        .unwrap();
        assert!(one.matched && one.names_swapped);
        assert_eq!(one.rule.as_deref(), Some("name_email"));
        assert_eq!(one.decided_by, "rule name_email");
    }

    #[test]
    fn bad_input_is_typed() {
        let fields_of = |err: CrmError| match err {
            CrmError::Validation { fields, .. } => fields,
            other => panic!("not a validation error: {other:?}"),
        };
        let scan = DedupeScan::new(rows(), None, None).unwrap();
        assert_eq!(fields_of(scan.explain(0, 6).unwrap_err()), ["right"]);
        assert_eq!(fields_of(scan.explain(u32::MAX, 0).unwrap_err()), ["left"]);
        let err = DedupeScan::new(vec![], Some(r#"{"threshold": 1.5}"#.into()), None).unwrap_err();
        assert_eq!(fields_of(err), ["dedupe.threshold"]);
        let err = DedupeScan::new(vec![], Some(r#"{"treshold": 0.5}"#.into()), None).unwrap_err();
        assert_eq!(fields_of(err), ["dedupe"]);
        let err = DedupeScan::new(vec![], Some("{".into()), None).unwrap_err();
        assert_eq!(fields_of(err), ["dedupe"]);
        let err = DedupeScan::new(rows(), None, Some(0)).unwrap_err();
        assert_eq!(fields_of(err), ["threads"]);
        let err = explain_match(
            MatchRecord::default(),
            MatchRecord::default(),
            Some(r#"{"default_region": "ZZ"}"#.into()),
        )
        .unwrap_err();
        assert_eq!(fields_of(err), ["dedupe.default_region"]);
    }
}
