//! Tasks.

use napi_derive::napi;
use serde_json::Value;

use crm::{NewTask, Task, TaskLogEntry, TaskPriority, TeamId, UserId};

use crate::clock::{TimeInput, opt_rfc3339, opt_time, rfc3339};
use crate::convert::{custom, custom_json};
use crate::model::{JsRecordKey, JsShare, MetaFields, opt_string};

/// A note in a task's log.
#[napi(object, js_name = "TaskLogEntry", object_from_js = false)]
pub struct JsTaskLogEntry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who wrote it.
    pub by: String,
    /// The note.
    pub note: String,
}

impl From<TaskLogEntry> for JsTaskLogEntry {
    fn from(entry: TaskLogEntry) -> Self {
        JsTaskLogEntry {
            at: rfc3339(entry.at),
            by: entry.by.to_string(),
            note: entry.note,
        }
    }
}

/// A task: opened, started, submitted for review, approved (done), rejected
/// back into work, or cancelled.
#[napi(object, js_name = "Task", object_from_js = false, use_nullable = true)]
pub struct JsTask {
    /// The task's id (a UUID).
    pub id: String,
    /// Bumped by one on every write; pass it back as `expectedVersion`.
    pub version: i64,
    /// When the task was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the task last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Who created it.
    pub created_by: String,
    /// Whom it is shared with.
    pub shares: Vec<JsShare>,
    /// The record this one was merged into (see `merge`), or `null`; it is
    /// kept, and `unmerge` clears the mark.
    pub merged_into: Option<JsRecordKey>,
    /// The title.
    pub title: String,
    /// The description.
    pub description: Option<String>,
    /// The lifecycle state: `open`, `in_progress`, `pending_review`, `done`, `cancelled`.
    pub status: String,
    /// The priority.
    #[napi(ts_type = "'normal' | 'important' | 'urgent'")]
    pub priority: String,
    /// The user who does it; `null` for a department's task not handed out
    /// yet (a `team` and no assignee).
    pub assignee: Option<String>,
    /// The team it belongs to.
    pub team: Option<String>,
    /// When it is due (RFC 3339, UTC).
    pub due_at: Option<String>,
    /// The record it is about.
    pub related: Option<JsRecordKey>,
    /// Notes added while working on it, oldest first.
    pub log: Vec<JsTaskLogEntry>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Value,
}

impl From<Task> for JsTask {
    fn from(task: Task) -> Self {
        let meta = MetaFields::from(task.meta);
        JsTask {
            id: task.id.to_string(),
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            created_by: meta.created_by,
            shares: meta.shares,
            merged_into: meta.merged_into,
            title: task.title,
            description: task.description,
            status: task.status,
            priority: task.priority.to_string(),
            assignee: opt_string(task.assignee),
            team: opt_string(task.team),
            due_at: opt_rfc3339(task.due_at),
            related: task.related.map(JsRecordKey::from),
            log: task.log.into_iter().map(JsTaskLogEntry::from).collect(),
            custom: custom_json(&task.custom),
        }
    }
}

/// A new task for `createTask`.
#[napi(object, js_name = "NewTask", object_to_js = false)]
pub struct JsNewTask {
    /// The title.
    pub title: String,
    /// The description.
    pub description: Option<String>,
    /// The priority (default `normal`).
    #[napi(ts_type = "'normal' | 'important' | 'urgent'")]
    pub priority: Option<String>,
    /// The assignee's user id (default: the actor, unless a `team` is given).
    pub assignee: Option<String>,
    /// The department (team id) it is for: with no `assignee`, the team's
    /// task, unassigned, for its supervisor to hand out (default: the
    /// assignee's team).
    pub team: Option<String>,
    /// When it is due: an RFC 3339 string or a `Date`.
    #[napi(ts_type = "string | Date")]
    pub due_at: Option<TimeInput>,
    /// The record it is about.
    pub related: Option<JsRecordKey>,
    /// Custom values, `{ key: { text: '...' } }`.
    #[napi(ts_type = "Record<string, any>")]
    pub custom: Option<Value>,
}

impl JsNewTask {
    /// The core input.
    pub(crate) fn into_core(self) -> crm::Result<NewTask> {
        Ok(NewTask {
            title: self.title,
            description: self.description,
            priority: crate::convert::parse_or_default::<TaskPriority>(self.priority.as_deref())?,
            assignee: self.assignee.map(UserId::new).transpose()?,
            team: self.team.map(TeamId::new).transpose()?,
            due_at: opt_time("due_at", self.due_at)?,
            related: self.related.map(|key| key.to_core()).transpose()?,
            custom: custom(self.custom)?,
        })
    }
}
