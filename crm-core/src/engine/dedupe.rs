//! Duplicates in the store: the one-record check, merge and unmerge.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Crm, Note, to_json};
use crate::access::{Actor, Permission};
use crate::dedupe::{DedupeConfig, Explanation, MatchRecord, Matcher, match_keys};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::model::{
    AnyRecord, ContactId, CustomerId, EntityKind, EventId, Record, RecordKey, Tier,
};
use crate::store::{Query, Store};

/// How many records one match key may bring back for the one-record check.
const PER_KEY: usize = 200;

/// A stored record that may be a duplicate of a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateMatch {
    /// The stored record.
    pub record: RecordKey,
    /// The match probability.
    pub probability: f64,
    /// The first match rule that holds, if any.
    pub rule: Option<String>,
    /// Why, field by field.
    pub explanation: Explanation,
}

/// Which record of a group survives a merge when the caller names none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurvivorRule {
    /// The record created first (ties: the smaller id).
    #[default]
    Oldest,
    /// The record created last.
    Newest,
    /// The record with the most filled fields (ties: the oldest).
    MostComplete,
}

/// A merge to run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MergeInput {
    /// The records to merge: two or more customers, contacts or leads, all
    /// of one kind.
    pub records: Vec<RecordKey>,
    /// The survivor, one of `records`; by `rule` when not given.
    pub survivor: Option<RecordKey>,
    /// How to choose the survivor (default the oldest).
    pub rule: SurvivorRule,
    /// Why (required).
    pub reason: String,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeOutcome {
    /// The survivor, after the merge.
    pub survivor: AnyRecord,
    /// The records merged into it (kept, marked `merged_into`).
    pub merged: Vec<RecordKey>,
    /// The records moved to the survivor (contacts, deals, contracts,
    /// tickets, activities, tasks).
    pub moved: Vec<RecordKey>,
    /// The survivor's `merge` event, which `unmerge` undoes.
    pub event: EventId,
}

/// One reference moved by a merge, as its event records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Moved {
    record: RecordKey,
    field: String,
    from: RecordKey,
}

impl<S: Store> Crm<S> {
    fn matcher(&self) -> Result<Matcher> {
        Matcher::new(&self.config.dedupe)
    }

    /// The customers, contacts and leads that may be duplicates of
    /// `candidate`, most likely first: records sharing one of its match keys
    /// (email, phone digits, name, last name and company, company; looked up
    /// in the store's index, no scan) that the configured method calls a
    /// match. Only records the actor may read are considered; records merged
    /// into another are left out.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store fails.
    pub fn find_duplicates(
        &self,
        actor: &Actor,
        candidate: &MatchRecord,
    ) -> Result<Vec<DuplicateMatch>> {
        self.duplicates_of(actor, std::slice::from_ref(candidate), None)
    }

    /// [`Crm::find_duplicates`] for a stored customer, contact or lead (itself
    /// left out).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], [`Error::Forbidden`] when the actor may not read
    /// it, [`Error::Validation`] on `entity` for another kind of record.
    pub fn find_duplicates_of(
        &self,
        actor: &Actor,
        key: impl Into<RecordKey>,
    ) -> Result<Vec<DuplicateMatch>> {
        let key = key.into();
        let record = self.get_any(actor, key.clone())?;
        let views = match_views(&record).ok_or_else(|| not_matchable(&key))?;
        self.duplicates_of(actor, &views, Some(&key))
    }

    pub(super) fn duplicates_of(
        &self,
        actor: &Actor,
        candidate: &[MatchRecord],
        skip: Option<&RecordKey>,
    ) -> Result<Vec<DuplicateMatch>> {
        let matcher = self.matcher()?;
        let keys: HashSet<String> = candidate.iter().flat_map(match_keys).collect();
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.sort();
        let mut seen: HashSet<RecordKey> = HashSet::new();
        let mut found = Vec::new();
        for kind in [EntityKind::Customer, EntityKind::Contact, EntityKind::Lead] {
            if !self
                .config
                .policy
                .allows(actor, kind, Permission::Read, None)
            {
                continue;
            }
            for key in &keys {
                let query = Query::new(kind).match_key(key.clone()).limit(PER_KEY);
                for record in self.list(actor, &query)? {
                    let record_key = record.key();
                    if Some(&record_key) == skip
                        || record.meta().merged_into.is_some()
                        || !seen.insert(record_key.clone())
                    {
                        continue;
                    }
                    let Some(views) = match_views(&record) else {
                        continue;
                    };
                    let best = candidate
                        .iter()
                        .flat_map(|a| views.iter().map(move |b| (a, b)))
                        .map(|(a, b)| matcher.explain(a, b))
                        .max_by(|x, y| x.probability.total_cmp(&y.probability));
                    if let Some(explanation) = best.filter(|e| e.matched) {
                        found.push(DuplicateMatch {
                            record: record_key,
                            probability: explanation.probability,
                            rule: explanation.rule.clone(),
                            explanation,
                        });
                    }
                }
            }
        }
        found.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then_with(|| a.record.cmp(&b.record))
        });
        Ok(found)
    }

    /// The likely duplicates of a new record as an event payload lists them.
    pub(super) fn duplicates_payload(
        &self,
        actor: &Actor,
        candidate: &[MatchRecord],
        skip: Option<&RecordKey>,
    ) -> Result<Value> {
        let found = self.duplicates_of(actor, candidate, skip)?;
        Ok(Value::Array(
            found
                .iter()
                .map(|d| {
                    json!({
                        "kind": d.record.kind, "id": d.record.id,
                        "probability": d.probability, "rule": d.rule,
                    })
                })
                .collect(),
        ))
    }

    /// Merges a group of duplicate customers, contacts or leads into one
    /// survivor, in one commit:
    ///
    /// - the survivor keeps its own values and takes each empty field from
    ///   the others, in order (oldest first by default); lists such as tags,
    ///   phones and emails are united; custom fields are filled key by key;
    ///   the better tier and the higher lead score win;
    /// - contacts, deals, contracts, tickets, activities and tasks of the
    ///   merged records move to the survivor (each with an event);
    /// - the merged records are kept, marked `merged_into` (each with an
    ///   event), and no longer come up as duplicates;
    /// - the survivor's `merge` event holds the full prior state of every
    ///   record of the group and every reference moved, so nothing is lost
    ///   and [`Crm::unmerge`] can undo it.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `records` (fewer than two, repeated, of
    /// different or unmergeable kinds, already merged), on `survivor` (not
    /// in the group), on `reason` (empty); [`Error::NotFound`];
    /// [`Error::Forbidden`] without the edit permission on every record of
    /// the group.
    pub fn merge(&mut self, actor: &Actor, input: MergeInput) -> Result<MergeOutcome> {
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "a merge needs a reason"));
        }
        if input.records.len() < 2 {
            return Err(Error::invalid(
                "records",
                "a merge needs two or more records",
            ));
        }
        let mut unique = HashSet::new();
        for key in &input.records {
            if !unique.insert(key) {
                return Err(Error::invalid("records", "names a record twice").with_value(key));
            }
        }
        let kind = input.records[0].kind;
        if !matches!(
            kind,
            EntityKind::Customer | EntityKind::Contact | EntityKind::Lead
        ) {
            return Err(
                Error::invalid("records", "only customers, contacts and leads are merged")
                    .with_value(kind),
            );
        }
        if input.records.iter().any(|k| k.kind != kind) {
            return Err(Error::invalid("records", "are not all of one kind"));
        }
        let mut group = Vec::new();
        for key in &input.records {
            let record = self.load_any(key)?;
            self.authorize_any(actor, Permission::Edit, &record)?;
            if let Some(into) = &record.meta().merged_into {
                return Err(Error::invalid(
                    "records",
                    format!("{key} was merged into {into} already"),
                ));
            }
            group.push(record);
        }
        let survivor_key = match &input.survivor {
            Some(key) if !input.records.contains(key) => {
                return Err(Error::invalid("survivor", "is not one of the records").with_value(key));
            }
            Some(key) => key.clone(),
            None => choose_survivor(&group, input.rule)?,
        };
        // The survivor first, the others in the rule's order.
        order_group(&mut group, input.rule)?;
        let at = group
            .iter()
            .position(|r| r.key() == survivor_key)
            .expect("the survivor is in the group");
        let survivor = group.remove(at);
        let others = group;

        let mut tx = self.begin(actor);
        let mut versions: BTreeMap<String, u64> = BTreeMap::new();
        let mut moved: Vec<Moved> = Vec::new();
        let mut moved_keys = Vec::new();
        for other in &others {
            for child in self.children(other)? {
                let before = child.clone();
                let mut after = child;
                let fields = repoint(&mut after, &other.key(), &survivor_key)?;
                if fields.is_empty() {
                    continue;
                }
                let key = after.key();
                for field in &fields {
                    moved.push(Moved {
                        record: key.clone(),
                        field: (*field).to_string(),
                        from: other.key(),
                    });
                }
                let note = Note {
                    action: "merge_move",
                    reason: Some(reason.to_string()),
                    payload: json!({ "from": other.key(), "to": survivor_key, "fields": fields }),
                };
                let after = self.put_any(&mut tx, &before, after, note)?;
                versions.insert(key.to_string(), after.meta().version);
                moved_keys.push(key);
            }
            let mut marked = other.clone();
            marked.meta_mut().merged_into = Some(survivor_key.clone());
            let note = Note {
                action: "merged",
                reason: Some(reason.to_string()),
                payload: json!({ "into": survivor_key }),
            };
            let marked = self.put_any(&mut tx, other, marked, note)?;
            versions.insert(other.key().to_string(), marked.meta().version);
        }
        let merged = merge_fields(&survivor, &others)?;
        let prior: Vec<Value> = others.iter().map(to_json).collect::<Result<_>>()?;
        let payload = json!({
            "survivor_before": to_json(&survivor)?,
            "merged": prior,
            "moved": moved,
            "rule": input.rule,
            "chosen_by": if input.survivor.is_some() { "caller" } else { "rule" },
            "versions": versions,
        });
        let note = Note {
            action: "merge",
            reason: Some(reason.to_string()),
            payload,
        };
        let mut merged = self.put_any(&mut tx, &survivor, merged, note)?;
        let event = tx
            .changes
            .events
            .last()
            .map(|e| e.id)
            .expect("the merge wrote its event");
        // The survivor's version after the merge, for unmerge's check.
        if let Some(Value::Object(versions)) = tx
            .changes
            .events
            .last_mut()
            .and_then(|e| e.payload.get_mut("versions"))
        {
            versions.insert(survivor_key.to_string(), Value::from(merged.meta().version));
        }
        self.finish(tx)?;
        merged = self.load_any(&survivor_key)?;
        Ok(MergeOutcome {
            survivor: merged,
            merged: others.iter().map(AnyRecord::key).collect(),
            moved: moved_keys,
            event,
        })
    }

    /// Undoes a merge from its event (the latest `merge` event of
    /// `survivor` when `event` is `None`): the survivor's fields as they were
    /// before, the merged records unmarked, every moved reference moved back,
    /// in one commit, each change with an event.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] on `event` when it is not a merge of
    /// `survivor`, on `reason` when empty; [`Error::Conflict`] when a record
    /// of the merge changed since (undo that change first);
    /// [`Error::Forbidden`] without the edit permission on the survivor.
    pub fn unmerge(
        &mut self,
        actor: &Actor,
        survivor: impl Into<RecordKey>,
        event: Option<EventId>,
        reason: &str,
    ) -> Result<AnyRecord> {
        let survivor_key = survivor.into();
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "an unmerge needs a reason"));
        }
        let current = self.load_any(&survivor_key)?;
        self.authorize_any(actor, Permission::Edit, &current)?;
        let history = self.store.history(&survivor_key)?;
        let merge: &Event = history
            .iter()
            .rev()
            .find(|e| e.action == "merge" && event.is_none_or(|id| e.id == id))
            .ok_or_else(|| {
                Error::invalid("event", format!("is not a merge into {survivor_key}"))
            })?;
        let payload = &merge.payload;
        let versions: BTreeMap<String, u64> =
            serde_json::from_value(payload["versions"].clone()).map_err(broken_payload)?;
        let moved: Vec<Moved> =
            serde_json::from_value(payload["moved"].clone()).map_err(broken_payload)?;
        let merged: Vec<AnyRecord> =
            serde_json::from_value(payload["merged"].clone()).map_err(broken_payload)?;
        let before: AnyRecord =
            serde_json::from_value(payload["survivor_before"].clone()).map_err(broken_payload)?;
        // Every record the merge wrote must be as it left it.
        let mut stored = BTreeMap::new();
        for (key, version) in &versions {
            let record_key = parse_key(key)?;
            let record = self.load_any(&record_key)?;
            if record.meta().version != *version {
                return Err(Error::Conflict {
                    entity: record_key.kind,
                    id: record_key.id,
                    expected_version: *version,
                    found: Some(record.meta().version),
                });
            }
            stored.insert(key.clone(), record);
        }
        let mut tx = self.begin(actor);
        let note = |action| Note {
            action,
            reason: Some(reason.to_string()),
            payload: json!({ "merge_event": merge.id }),
        };
        for child in group_moves(&moved) {
            let current = &stored[&child.0.to_string()];
            let mut after = current.clone();
            for (field, from) in child.1 {
                repoint_field(&mut after, field, from)?;
            }
            self.put_any(&mut tx, current, after, note("unmerge_move"))?;
        }
        for record in &merged {
            let current = &stored[&record.key().to_string()];
            let mut after = current.clone();
            after.meta_mut().merged_into = None;
            self.put_any(&mut tx, current, after, note("unmerged"))?;
        }
        let mut restored = before;
        *restored.meta_mut() = current.meta().clone();
        let restored = self.put_any(&mut tx, &current, restored, note("unmerge"))?;
        self.finish(tx)?;
        Ok(restored)
    }

    /// The records that point at `record`: its contacts, deals, contracts,
    /// tickets, activities and tasks (for a contact, also the deals and
    /// tickets of its customer that name it).
    fn children(&self, record: &AnyRecord) -> Result<Vec<AnyRecord>> {
        let key = record.key();
        let mut out = Vec::new();
        let kinds: &[EntityKind] = match key.kind {
            EntityKind::Customer => &[
                EntityKind::Contact,
                EntityKind::Opportunity,
                EntityKind::Contract,
                EntityKind::Ticket,
                EntityKind::Activity,
                EntityKind::Task,
            ],
            _ => &[EntityKind::Activity, EntityKind::Task],
        };
        for kind in kinds {
            out.extend(self.store.query(&Query::new(*kind).parent(key.clone()))?);
        }
        if let AnyRecord::Contact(contact) = record {
            let customer = RecordKey::from(&contact.customer);
            for kind in [EntityKind::Opportunity, EntityKind::Ticket] {
                for child in self
                    .store
                    .query(&Query::new(kind).parent(customer.clone()))?
                {
                    let names_it = match &child {
                        AnyRecord::Opportunity(o) => o.contact == Some(contact.id),
                        AnyRecord::Ticket(t) => t.contact == Some(contact.id),
                        _ => false,
                    };
                    if names_it {
                        out.push(child);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// An event payload with the likely duplicates added as
/// `possible_duplicates` (unchanged when there are none).
pub(super) fn with_duplicates(payload: Value, duplicates: Value) -> Value {
    if duplicates.as_array().is_none_or(Vec::is_empty) {
        return payload;
    }
    match payload {
        Value::Object(mut map) => {
            map.insert("possible_duplicates".into(), duplicates);
            Value::Object(map)
        }
        Value::Null => json!({ "possible_duplicates": duplicates }),
        other => json!({ "result": other, "possible_duplicates": duplicates }),
    }
}

/// The views of a customer, contact or lead for matching.
pub(super) fn match_views(record: &AnyRecord) -> Option<Vec<MatchRecord>> {
    match record {
        AnyRecord::Customer(c) => Some(c.match_records()),
        AnyRecord::Contact(c) => Some(c.match_records()),
        AnyRecord::Lead(l) => Some(l.match_records()),
        _ => None,
    }
}

fn not_matchable(key: &RecordKey) -> Error {
    Error::invalid(
        "entity",
        "only customers, contacts and leads are checked for duplicates",
    )
    .with_value(key.kind)
}

fn broken_payload(e: serde_json::Error) -> Error {
    Error::Storage {
        message: format!("a merge event's payload does not read back: {e}"),
        source: None,
    }
}

fn parse_key(text: &str) -> Result<RecordKey> {
    let (kind, id) = text
        .split_once(' ')
        .ok_or_else(|| broken_payload(serde::de::Error::custom("a record key")))?;
    Ok(RecordKey::new(kind.parse()?, id))
}

/// Moves grouped by record, in a stable order.
fn group_moves(moved: &[Moved]) -> Vec<(RecordKey, Vec<(&str, &RecordKey)>)> {
    let mut by: BTreeMap<RecordKey, Vec<(&str, &RecordKey)>> = BTreeMap::new();
    for m in moved {
        by.entry(m.record.clone())
            .or_default()
            .push((m.field.as_str(), &m.from));
    }
    by.into_iter().collect()
}

/// How many fields of a record hold something.
fn filled(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::String(s) => usize::from(!s.trim().is_empty()),
        Value::Array(items) => usize::from(!items.is_empty()),
        Value::Object(map) => map.values().map(filled).sum(),
        _ => 1,
    }
}

fn order_group(group: &mut [AnyRecord], rule: SurvivorRule) -> Result<()> {
    let mut keyed = Vec::new();
    for record in group.iter() {
        let completeness = match rule {
            SurvivorRule::MostComplete => filled(&to_json(record)?),
            _ => 0,
        };
        keyed.push((record.key(), completeness));
    }
    let rank = |record: &AnyRecord| {
        let completeness = keyed
            .iter()
            .find(|(k, _)| *k == record.key())
            .map_or(0, |(_, c)| *c);
        (completeness, record.meta().created_at, record.key())
    };
    match rule {
        SurvivorRule::Oldest => group.sort_by_key(|r| (r.meta().created_at, r.key())),
        SurvivorRule::Newest => {
            group.sort_by_key(|r| (std::cmp::Reverse(r.meta().created_at), r.key()));
        }
        SurvivorRule::MostComplete => group.sort_by(|a, b| {
            let (ca, ta, ka) = rank(a);
            let (cb, tb, kb) = rank(b);
            cb.cmp(&ca).then(ta.cmp(&tb)).then(ka.cmp(&kb))
        }),
    }
    Ok(())
}

fn choose_survivor(group: &[AnyRecord], rule: SurvivorRule) -> Result<RecordKey> {
    let mut ordered = group.to_vec();
    order_group(&mut ordered, rule)?;
    Ok(ordered[0].key())
}

/// The survivor with its empty fields filled from the others, in order.
fn merge_fields(survivor: &AnyRecord, others: &[AnyRecord]) -> Result<AnyRecord> {
    let protected: &[&str] = match survivor {
        AnyRecord::Customer(_) => crate::model::Customer::PROTECTED,
        AnyRecord::Contact(_) => crate::model::Contact::PROTECTED,
        AnyRecord::Lead(_) => crate::model::Lead::PROTECTED,
        _ => &[],
    };
    let mut out = to_json(survivor)?;
    // AnyRecord is tagged by kind ("entity") beside its fields.
    let Value::Object(fields) = &mut out else {
        return Err(Error::invalid("records", "a record is not an object"));
    };
    for other in others {
        let other = to_json(other)?;
        let Some(theirs) = other.as_object() else {
            continue;
        };
        for (name, value) in theirs {
            if matches!(name.as_str(), "entity" | "id" | "meta")
                || protected.contains(&name.as_str())
            {
                continue;
            }
            let mine = fields.entry(name.clone()).or_insert(Value::Null);
            match (mine, value) {
                (Value::Array(mine), Value::Array(theirs)) => {
                    for item in theirs {
                        if !mine.contains(item) {
                            mine.push(item.clone());
                        }
                    }
                }
                (Value::Object(mine), Value::Object(theirs)) => {
                    for (k, v) in theirs {
                        mine.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                (mine, value) if filled(mine) == 0 => *mine = value.clone(),
                _ => {}
            }
        }
    }
    let mut merged: AnyRecord = serde_json::from_value(out).map_err(|e| Error::Storage {
        message: format!("a merged record does not read back: {e}"),
        source: None,
    })?;
    // The better tier, the higher lead score.
    match &mut merged {
        AnyRecord::Customer(c) => {
            let best = others
                .iter()
                .filter_map(|o| match o {
                    AnyRecord::Customer(o) => o.tier,
                    _ => None,
                })
                .chain(c.tier)
                .min_by_key(|t| tier_rank(*t));
            c.tier = best;
        }
        AnyRecord::Lead(l) => {
            let best = others
                .iter()
                .filter_map(|o| match o {
                    AnyRecord::Lead(o) => o.quality_score,
                    _ => None,
                })
                .chain(l.quality_score)
                .max();
            l.quality_score = best;
        }
        _ => {}
    }
    Ok(merged)
}

fn tier_rank(tier: Tier) -> u8 {
    match tier {
        Tier::A => 0,
        Tier::B => 1,
        Tier::C => 2,
    }
}

/// Points a record's references from `from` to `to`; returns the fields
/// changed.
fn repoint(record: &mut AnyRecord, from: &RecordKey, to: &RecordKey) -> Result<Vec<&'static str>> {
    let mut fields = Vec::new();
    for field in ["customer", "contact", "subject", "related"] {
        if points_at(record, field, from) {
            repoint_field(record, field, to)?;
            fields.push(field);
        }
    }
    Ok(fields)
}

fn points_at(record: &AnyRecord, field: &str, key: &RecordKey) -> bool {
    let customer = |id: &CustomerId| key.kind == EntityKind::Customer && id.to_string() == key.id;
    let contact = |id: &ContactId| key.kind == EntityKind::Contact && id.to_string() == key.id;
    match (record, field) {
        (AnyRecord::Contact(r), "customer") => customer(&r.customer),
        (AnyRecord::Opportunity(r), "customer") => customer(&r.customer),
        (AnyRecord::Contract(r), "customer") => customer(&r.customer),
        (AnyRecord::Ticket(r), "customer") => r.customer.as_ref().is_some_and(customer),
        (AnyRecord::Opportunity(r), "contact") => r.contact.as_ref().is_some_and(contact),
        (AnyRecord::Ticket(r), "contact") => r.contact.as_ref().is_some_and(contact),
        (AnyRecord::Activity(r), "subject") => r.subject == *key,
        (AnyRecord::Task(r), "related") => r.related.as_ref() == Some(key),
        _ => false,
    }
}

/// Sets the reference `field` of a record to `to`.
fn repoint_field(record: &mut AnyRecord, field: &str, to: &RecordKey) -> Result<()> {
    let customer = || to.id.parse::<CustomerId>();
    let contact = || to.id.parse::<ContactId>();
    match (record, field) {
        (AnyRecord::Contact(r), "customer") => r.customer = customer()?,
        (AnyRecord::Opportunity(r), "customer") => r.customer = customer()?,
        (AnyRecord::Contract(r), "customer") => r.customer = customer()?,
        (AnyRecord::Ticket(r), "customer") => r.customer = Some(customer()?),
        (AnyRecord::Opportunity(r), "contact") => r.contact = Some(contact()?),
        (AnyRecord::Ticket(r), "contact") => r.contact = Some(contact()?),
        (AnyRecord::Activity(r), "subject") => r.subject = to.clone(),
        (AnyRecord::Task(r), "related") => r.related = Some(to.clone()),
        (_, field) => {
            return Err(
                Error::invalid("field", "is not a reference a merge moves").with_value(field)
            );
        }
    }
    Ok(())
}

/// The dedupe section of the engine's configuration.
pub(super) fn dedupe_config(json: &str) -> Result<DedupeConfig> {
    DedupeConfig::from_json(json).map_err(|e| match e {
        Error::Validation { fields, reason, .. } => Error::config(
            fields.first().cloned().unwrap_or_else(|| "dedupe".into()),
            reason,
        ),
        other => other,
    })
}
