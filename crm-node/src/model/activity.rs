//! Activities: calls, emails, visits, meetings, notes.

use napi_derive::napi;
use serde_json::Value;

use crm::{Activity, ActivityKind, NewActivity};

use crate::clock::{TimeInput, opt_rfc3339, opt_time, rfc3339};
use crate::convert::{custom, custom_json};
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// An activity logged on a record: a call, an email, a visit, a meeting or a
/// note. Logging one on a lead counts as contacting it.
#[napi(
    object,
    js_name = "Activity",
    object_from_js = false,
    use_nullable = true
)]
pub struct JsActivity {
    /// The activity's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When it was logged (RFC 3339, UTC).
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who logged it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// What kind of activity.
    #[napi(ts_type = "'call' | 'email' | 'visit' | 'meeting' | 'note'")]
    pub kind: String,
    /// The record it was logged on.
    pub subject: JsRecordKey,
    /// What happened.
    pub summary: String,
    /// When it happened (RFC 3339, UTC).
    pub occurred_at: String,
    /// Who did it.
    pub by: String,
    /// Their team.
    pub team: Option<String>,
    /// When to follow up (RFC 3339, UTC).
    pub next_follow_up_at: Option<String>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Activity> for JsActivity {
    fn from(activity: Activity) -> Self {
        let meta = MetaFields::from(activity.meta);
        JsActivity {
            id: activity.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            kind: activity.kind.to_string(),
            subject: activity.subject.into(),
            summary: activity.summary,
            occurred_at: rfc3339(activity.occurred_at),
            by: activity.by.to_string(),
            team: opt_string(activity.team),
            next_follow_up_at: opt_rfc3339(activity.next_follow_up_at),
            custom: custom_json(&activity.custom),
        }
    }
}

/// A new activity for `logActivity`.
#[napi(object, js_name = "NewActivity", object_to_js = false)]
pub struct JsNewActivity {
    /// The record it is logged on, `{ kind: 'lead', id }`.
    pub subject: JsRecordKey,
    /// What kind of activity.
    #[napi(ts_type = "'call' | 'email' | 'visit' | 'meeting' | 'note'")]
    pub kind: String,
    /// What happened.
    pub summary: String,
    /// When it happened (default: now): an RFC 3339 string or a `Date`.
    #[napi(ts_type = "string | Date")]
    pub occurred_at: Option<TimeInput>,
    /// When to follow up (default: the engine's follow-up rule): an RFC 3339
    /// string or a `Date`.
    #[napi(ts_type = "string | Date")]
    pub next_follow_up_at: Option<TimeInput>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewActivity {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewActivity> {
        let subject = self.subject.to_core()?;
        let kind = self.kind.parse::<ActivityKind>()?;
        let mut new = NewActivity::new(kind, subject, self.summary);
        new.occurred_at = opt_time("occurred_at", self.occurred_at)?;
        new.next_follow_up_at = opt_time("next_follow_up_at", self.next_follow_up_at)?;
        new.custom = custom(self.custom)?;
        Ok(new)
    }
}
