//! Tasks.

use napi::Env;
use napi_derive::napi;

use crate::access::JsActor;
use crate::engine::{Command, JsCrm, Pending};
use crate::model::{JsNewTask, JsTask};

#[napi]
impl JsCrm {
    /// Creates a task (status `open`) for `assignee` or the actor.
    ///
    /// @throws {Error} `validation` on `title`, `priority`, `due_at`,
    /// `user_id`, ...; `not_found` (the related record); `forbidden` (create).
    #[napi]
    pub fn create_task(&self, env: Env, actor: JsActor, task: JsNewTask) -> napi::Result<JsTask> {
        self.run(&env, create_task(actor, task))
    }

    /// `createTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `createTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn create_task_async(&self, actor: JsActor, task: JsNewTask) -> Pending<JsTask> {
        self.spawn(create_task(actor, task))
    }

    /// Starts a task (→ `in_progress`).
    ///
    /// @throws {Error} `invalid_transition`; `validation` on `task_id`;
    /// `not_found`; `forbidden` (edit).
    #[napi]
    pub fn start_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, start_task(actor, id))
    }

    /// `startTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `startTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn start_task_async(&self, actor: JsActor, id: String) -> Pending<JsTask> {
        self.spawn(start_task(actor, id))
    }

    /// Submits a task for review (→ `pending_review`).
    ///
    /// @throws {Error} as `startTask`.
    #[napi]
    pub fn submit_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, submit_task(actor, id))
    }

    /// `submitTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `submitTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn submit_task_async(&self, actor: JsActor, id: String) -> Pending<JsTask> {
        self.spawn(submit_task(actor, id))
    }

    /// Approves a reviewed task (→ `done`).
    ///
    /// @throws {Error} as `startTask`.
    #[napi]
    pub fn approve_task(&self, env: Env, actor: JsActor, id: String) -> napi::Result<JsTask> {
        self.run(&env, approve_task(actor, id))
    }

    /// `approveTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `approveTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn approve_task_async(&self, actor: JsActor, id: String) -> Pending<JsTask> {
        self.spawn(approve_task(actor, id))
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
        self.run(&env, reject_task(actor, id, reason))
    }

    /// `rejectTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `rejectTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn reject_task_async(&self, actor: JsActor, id: String, reason: String) -> Pending<JsTask> {
        self.spawn(reject_task(actor, id, reason))
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
        self.run(&env, cancel_task(actor, id, reason))
    }

    /// `cancelTask` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `cancelTask` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn cancel_task_async(&self, actor: JsActor, id: String, reason: String) -> Pending<JsTask> {
        self.spawn(cancel_task(actor, id, reason))
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
        self.run(&env, add_task_note(actor, id, note))
    }

    /// `addTaskNote` off the main thread: a Promise of the task, rejected with
    /// the `Error` that `addTaskNote` throws.
    #[napi(ts_return_type = "Promise<Task>")]
    pub fn add_task_note_async(&self, actor: JsActor, id: String, note: String) -> Pending<JsTask> {
        self.spawn(add_task_note(actor, id, note))
    }
}

// The commands of the methods above, each run by its synchronous method and
// its `...Async` twin.

fn create_task(actor: JsActor, task: JsNewTask) -> Command<JsTask> {
    Box::new(move |crm| {
        Ok(crm
            .create_task(&actor.to_core()?, task.into_core()?)?
            .into())
    })
}

fn start_task(actor: JsActor, id: String) -> Command<JsTask> {
    Box::new(move |crm| Ok(crm.start_task(&actor.to_core()?, id.parse()?)?.into()))
}

fn submit_task(actor: JsActor, id: String) -> Command<JsTask> {
    Box::new(move |crm| Ok(crm.submit_task(&actor.to_core()?, id.parse()?)?.into()))
}

fn approve_task(actor: JsActor, id: String) -> Command<JsTask> {
    Box::new(move |crm| Ok(crm.approve_task(&actor.to_core()?, id.parse()?)?.into()))
}

fn reject_task(actor: JsActor, id: String, reason: String) -> Command<JsTask> {
    Box::new(move |crm| {
        Ok(crm
            .reject_task(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}

fn cancel_task(actor: JsActor, id: String, reason: String) -> Command<JsTask> {
    Box::new(move |crm| {
        Ok(crm
            .cancel_task(&actor.to_core()?, id.parse()?, &reason)?
            .into())
    })
}

fn add_task_note(actor: JsActor, id: String, note: String) -> Command<JsTask> {
    Box::new(move |crm| {
        Ok(crm
            .add_task_note(&actor.to_core()?, id.parse()?, &note)?
            .into())
    })
}
