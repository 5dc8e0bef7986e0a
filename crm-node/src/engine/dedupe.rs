//! Duplicates in the store: the one-record check (`findDuplicates`,
//! `findDuplicatesOf`), merge and unmerge. The pure functions over records
//! the host passes (`dedupe`, `explainMatch`) are in `dedupe.rs`; the
//! candidate of `findDuplicates` is read by the same code
//! ([`RecordInput`]).

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crm::{DuplicateMatch, Error, EventId, MergeInput, MergeOutcome, SurvivorRule};

use crate::access::JsActor;
use crate::dedupe::{JsMatchExplanation, RecordInput};
use crate::engine::{Command, JsCrm, Pending};
use crate::model::{JsAnyRecord, JsRecordKey, record_key};

/// At most this many characters of a rejected rule are echoed in an error.
const SHOWN: usize = 40;

/// A stored record that may be a duplicate of the candidate.
#[napi(
    object,
    js_name = "DuplicateMatch",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsDuplicateMatch {
    /// The stored customer, contact or lead.
    pub record: JsRecordKey,
    /// The match probability, 0 to 1.
    pub probability: f64,
    /// The name of the first rule that holds (`'name_email'`, ...), or `null`.
    pub rule: Option<String>,
    /// Why they match, field by field (as `explainMatch` explains a pair).
    pub explanation: JsMatchExplanation,
}

impl From<DuplicateMatch> for JsDuplicateMatch {
    fn from(found: DuplicateMatch) -> Self {
        JsDuplicateMatch {
            record: found.record.into(),
            probability: found.probability,
            rule: found.rule,
            explanation: found.explanation.into(),
        }
    }
}

/// What `merge` merges, and why.
#[napi(object, js_name = "MergeOptions", object_to_js = false)]
pub struct JsMergeInput {
    /// The records to merge: two or more customers, contacts or leads, all of
    /// one kind (`[{ kind: 'customer', id }, ...]`).
    pub records: Vec<JsRecordKey>,
    /// The record that survives, one of `records`; without it, `rule`
    /// chooses.
    pub survivor: Option<JsRecordKey>,
    /// How to choose the survivor when none is named: `oldest` (the default:
    /// created first), `newest`, or `most_complete` (the most filled fields;
    /// ties: the oldest).
    #[napi(ts_type = "'oldest' | 'newest' | 'most_complete'")]
    pub rule: Option<String>,
    /// Why (required, not blank): kept in every event of the merge.
    pub reason: String,
}

/// Options of `unmerge`.
#[napi(object, js_name = "UnmergeOptions", object_to_js = false)]
pub struct JsUnmergeOptions {
    /// The `merge` event to undo (a merge's `event`); without it, the
    /// survivor's latest merge.
    pub event: Option<String>,
    /// Why (required, not blank).
    pub reason: String,
}

/// What `merge` did.
#[napi(object, js_name = "MergeOutcome", object_from_js = false)]
pub struct JsMergeOutcome {
    /// The survivor after the merge, tagged with its kind (see `AnyRecord`).
    pub survivor: JsAnyRecord,
    /// The records merged into it: kept, marked `mergedInto`.
    pub merged: Vec<JsRecordKey>,
    /// The records moved to the survivor (contacts, deals, contracts,
    /// tickets, activities, tasks).
    pub moved: Vec<JsRecordKey>,
    /// The id of the survivor's `merge` event, which `unmerge` undoes.
    pub event: String,
}

impl From<MergeOutcome> for JsMergeOutcome {
    fn from(outcome: MergeOutcome) -> Self {
        JsMergeOutcome {
            survivor: outcome.survivor.into(),
            merged: outcome.merged.into_iter().map(JsRecordKey::from).collect(),
            moved: outcome.moved.into_iter().map(JsRecordKey::from).collect(),
            event: outcome.event.to_string(),
        }
    }
}

#[napi]
impl JsCrm {
    /// The stored customers, contacts and leads that may be duplicates of
    /// `record` (a record as `dedupe` takes it: `{ firstName?, lastName?,
    /// name?, email?, phone?, company?, title?, city? }`), most likely first.
    /// Records sharing a match key with it (email, phone digits, name, last
    /// name and company, company) are looked up in the store's index, no
    /// scan, and kept when the configured method (the configuration's
    /// `dedupe` section) calls them a match. Only records the actor may read
    /// are considered; records merged into another are left out.
    ///
    /// @example
    /// ```js
    /// const [found] = crm.findDuplicates(ana, { company: 'Acme Widgets Inc.', phone: '(415) 555-0134' })
    /// found.record // { kind: 'customer', id: '...' }
    /// found.explanation.fields[3].level // 'exact'
    /// ```
    ///
    /// @throws {Error} `validation` on `record` when it is not an object, on
    /// `record.<key>` for a key that is not a field, on `record.<field>` for a
    /// value that is not a string or `null`; `config` when the configuration's
    /// `dedupe` section does not make a matcher; `storage`.
    #[napi]
    pub fn find_duplicates(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "MatchRecord")] record: RecordInput,
    ) -> napi::Result<Vec<JsDuplicateMatch>> {
        self.run(&env, find_duplicates(actor, record))
    }

    /// `findDuplicates` off the main thread: a Promise of the matches,
    /// rejected with the `Error` that `findDuplicates` throws. The record is
    /// read on the main thread first.
    #[napi(ts_return_type = "Promise<Array<DuplicateMatch>>")]
    pub fn find_duplicates_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "MatchRecord")] record: RecordInput,
    ) -> Pending<Vec<JsDuplicateMatch>> {
        self.spawn(find_duplicates(actor, record))
    }

    /// `findDuplicates` for a stored customer, contact or lead, matched by
    /// its own fields (itself left out).
    ///
    /// @throws {Error} `validation` on `entity` for an unknown kind or one
    /// that is not matched, on `customer_id` (etc.) for a malformed id;
    /// `not_found`; `forbidden` (read).
    #[napi]
    pub fn find_duplicates_of(
        &self,
        env: Env,
        actor: JsActor,
        #[napi(ts_arg_type = "'customer' | 'contact' | 'lead'")] kind: String,
        id: String,
    ) -> napi::Result<Vec<JsDuplicateMatch>> {
        self.run(&env, find_duplicates_of(actor, kind, id))
    }

    /// `findDuplicatesOf` off the main thread: a Promise of the matches,
    /// rejected with the `Error` that `findDuplicatesOf` throws.
    #[napi(ts_return_type = "Promise<Array<DuplicateMatch>>")]
    pub fn find_duplicates_of_async(
        &self,
        actor: JsActor,
        #[napi(ts_arg_type = "'customer' | 'contact' | 'lead'")] kind: String,
        id: String,
    ) -> Pending<Vec<JsDuplicateMatch>> {
        self.spawn(find_duplicates_of(actor, kind, id))
    }

    /// Merges duplicate customers, contacts or leads into one survivor, in
    /// one commit: the survivor keeps its values and takes each empty field
    /// from the others (lists such as tags, phones and emails are united;
    /// the better tier and the higher lead score win); the contacts, deals,
    /// contracts, tickets, activities and tasks of the others move to it; the
    /// others are kept, marked `mergedInto`, and no longer come up as
    /// duplicates. Every change has an event; the survivor's `merge` event
    /// keeps everything `unmerge` needs to undo it.
    ///
    /// @example
    /// ```js
    /// const outcome = crm.merge(admin, {
    ///   records: [{ kind: 'customer', id: acme }, { kind: 'customer', id: acme2 }],
    ///   reason: 'the same company',
    /// })
    /// outcome.survivor.customer.id // acme (the oldest)
    /// outcome.moved                // [{ kind: 'contact', id: maria }]
    /// ```
    ///
    /// @throws {Error} `validation` on `reason` when it is blank, on `records`
    /// (fewer than two, one named twice, of different kinds or a kind that is
    /// not merged, one merged already), on `survivor` when it is not one of
    /// them, on `rule` for another value, on `customer_id` (etc.) for a
    /// malformed id; `not_found`; `forbidden` (edit) unless the actor may edit
    /// every record of the group.
    #[napi]
    pub fn merge(
        &self,
        env: Env,
        actor: JsActor,
        input: JsMergeInput,
    ) -> napi::Result<JsMergeOutcome> {
        self.run(&env, merge(actor, input))
    }

    /// `merge` off the main thread: a Promise of what the merge did, rejected
    /// with the `Error` that `merge` throws.
    #[napi(ts_return_type = "Promise<MergeOutcome>")]
    pub fn merge_async(&self, actor: JsActor, input: JsMergeInput) -> Pending<JsMergeOutcome> {
        self.spawn(merge(actor, input))
    }

    /// Undoes a merge into `survivor` (`{ kind, id }`): the `merge` event
    /// `options.event`, or the survivor's latest. In one commit, the
    /// survivor's fields go back to what they were before, the merged records
    /// lose their `mergedInto` mark, and every moved record moves back, each
    /// with an event. Returns the survivor as restored, tagged with its kind
    /// (see `AnyRecord`).
    ///
    /// @throws {Error} `validation` on `reason` when it is blank, on `event`
    /// when it is malformed or not a merge into `survivor`; `conflict` when a
    /// record of the merge changed since (a merge undone already, or a later
    /// change to undo first); `not_found`; `forbidden` (edit).
    #[napi]
    pub fn unmerge(
        &self,
        env: Env,
        actor: JsActor,
        survivor: JsRecordKey,
        options: JsUnmergeOptions,
    ) -> napi::Result<JsAnyRecord> {
        self.run(&env, unmerge(actor, survivor, options))
    }

    /// `unmerge` off the main thread: a Promise of the survivor, rejected with
    /// the `Error` that `unmerge` throws.
    #[napi(ts_return_type = "Promise<AnyRecord>")]
    pub fn unmerge_async(
        &self,
        actor: JsActor,
        survivor: JsRecordKey,
        options: JsUnmergeOptions,
    ) -> Pending<JsAnyRecord> {
        self.spawn(unmerge(actor, survivor, options))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn find_duplicates(actor: JsActor, record: RecordInput) -> Command<Vec<JsDuplicateMatch>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let candidate = record.read("record")?;
        Ok(matches(crm.find_duplicates(&actor, &candidate)?))
    })
}

fn find_duplicates_of(actor: JsActor, kind: String, id: String) -> Command<Vec<JsDuplicateMatch>> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        Ok(matches(
            crm.find_duplicates_of(&actor, record_key(&kind, &id)?)?,
        ))
    })
}

fn merge(actor: JsActor, input: JsMergeInput) -> Command<JsMergeOutcome> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let records = input
            .records
            .iter()
            .map(JsRecordKey::to_core)
            .collect::<crm::Result<Vec<_>>>()?;
        let survivor = input
            .survivor
            .as_ref()
            .map(JsRecordKey::to_core)
            .transpose()?;
        let rule = match input.rule {
            Some(rule) => survivor_rule(rule)?,
            None => SurvivorRule::default(),
        };
        let input = MergeInput {
            records,
            survivor,
            rule,
            reason: input.reason,
        };
        Ok(crm.merge(&actor, input)?.into())
    })
}

fn unmerge(
    actor: JsActor,
    survivor: JsRecordKey,
    options: JsUnmergeOptions,
) -> Command<JsAnyRecord> {
    Box::new(move |crm| {
        let actor = actor.to_core()?;
        let survivor = survivor.to_core()?;
        let event = options
            .event
            .map(|event| {
                event
                    .parse::<EventId>()
                    .map_err(|err| err.in_field("event"))
            })
            .transpose()?;
        Ok(crm
            .unmerge(&actor, survivor, event, &options.reason)?
            .into())
    })
}

fn matches(found: Vec<DuplicateMatch>) -> Vec<JsDuplicateMatch> {
    found.into_iter().map(JsDuplicateMatch::from).collect()
}

/// A survivor rule by its name, as the core's JSON names it; another value
/// is a `validation` error on `rule`.
fn survivor_rule(rule: String) -> crm::Result<SurvivorRule> {
    serde_json::from_value(Value::String(rule.clone())).map_err(|_| {
        let shown: String = rule.chars().take(SHOWN).collect();
        Error::invalid("rule", "must be oldest, newest or most_complete").with_value(shown)
    })
}
