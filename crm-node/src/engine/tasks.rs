//! Tasks.

use napi::Env;
use napi_derive::napi;

use crate::access::JsActor;
use crate::engine::JsCrm;
use crate::model::{JsNewTask, JsTask};

#[napi]
impl JsCrm {
    /// Creates a task (status `open`) for `assignee` or the actor.
    ///
    /// @throws {Error} `validation` on `title`, `priority`, `due_at`,
    /// `user_id`, ...; `not_found` (the related record); `forbidden` (create).
    #[napi]
    pub fn create_task(&self, env: Env, actor: JsActor, task: JsNewTask) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm
                .create_task(&actor.to_core()?, task.into_core()?)?
                .into())
        })
    }

    /// Starts a task (→ `in_progress`).
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `task_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn start_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm.start_task(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Submits a task for review (→ `pending_review`).
    ///
    /// @throws {Error} as `startTask`.
    #[napi]
    pub fn submit_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm.submit_task(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Approves a reviewed task (→ `done`).
    ///
    /// @throws {Error} as `startTask`.
    #[napi]
    pub fn approve_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm.approve_task(&actor.to_core()?, id.parse()?)?.into())
        })
    }

    /// Sends a reviewed task back into work, for a reason (→ `in_progress`).
    ///
    /// @throws {Error} `validation` on `reason` when it is blank; as `startTask`.
    #[napi]
    pub fn reject_task(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm
                .reject_task(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }

    /// Cancels a task, for a reason (→ `cancelled`).
    ///
    /// @throws {Error} `validation` on `reason` when it is blank; as `startTask`.
    #[napi]
    pub fn cancel_task(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        reason: String,
    ) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm
                .cancel_task(&actor.to_core()?, id.parse()?, &reason)?
                .into())
        })
    }

    /// Adds a note to a task's log.
    ///
    /// @throws {Error} `validation` on `note` when it is blank or too long; as
    /// `startTask`.
    #[napi]
    pub fn add_task_note(
        &self,
        env: Env,
        actor: JsActor,
        id: String,
        note: String,
    ) -> napi::Result<JsTask> {
        self.run(&env, |crm| {
            Ok(crm
                .add_task_note(&actor.to_core()?, id.parse()?, &note)?
                .into())
        })
    }
}
