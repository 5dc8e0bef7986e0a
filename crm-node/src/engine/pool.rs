//! Running commands off the main thread: what the `...Async` methods return.
//!
//! An `...Async` method runs in three steps. On the main thread, napi converts
//! the JS arguments into Rust values and the method wraps them, with the
//! command, into a [`Job`]. On the libuv thread pool, [`Job`] locks the engine
//! and runs the command (store I/O included), keeping any failure as Rust
//! values. Back on the main thread, `resolve` converts the result into JS
//! (napi's `ToNapiValue`) or the failure into the same `Error` the synchronous
//! method throws, and the Promise settles with it.
//!
//! One generic task type serves every method: the work is a boxed closure and
//! the result type a parameter, so a command is written once and run either
//! way (see [`super::JsCrm::run`] and [`super::JsCrm::spawn`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError};

use napi::bindgen_prelude::{ToNapiValue, TypeName};
use napi::{Env, Task};

use crate::engine::Engine;
use crate::error::Failure;

/// A command: what a method does with the engine, its arguments already moved
/// in. Runs on the main thread (synchronous methods) or on the thread pool
/// (`...Async` methods).
pub(crate) type Command<T> = Box<dyn FnOnce(&mut Engine) -> crm::Result<T> + Send>;

/// What a command came to: its output, or why it failed.
pub(crate) type Outcome<T> = Result<T, Failure>;

/// Work for the libuv thread pool that settles a Promise of a `T` (a record, a
/// list of events, a new `Crm`, ...).
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> Outcome<T> + Send>>,
}

impl<T> Job<T> {
    /// A job doing `work` (which must not panic past [`guarded`]).
    pub(crate) fn new(work: impl FnOnce() -> Outcome<T> + Send + 'static) -> Self {
        Job {
            work: Some(Box::new(work)),
        }
    }
}

impl<T> Task for Job<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = Outcome<T>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Outcome<T>> {
        match self.work.take() {
            Some(work) => Ok(work()),
            None => Err(napi::Error::from_reason("crm: a job ran twice (a bug)")),
        }
    }

    fn resolve(&mut self, env: Env, output: Outcome<T>) -> napi::Result<T> {
        output.map_err(|failure| failure.into_js(&env))
    }
}

/// Runs `work`, catching a panic (a bug) so that it becomes an `internal`
/// error instead of unwinding into napi, which would abort the process.
pub(crate) fn guarded<T>(work: impl FnOnce() -> crm::Result<T>) -> Outcome<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Failure::Crm(err)),
        Err(panic) => Err(Failure::Panic(panic)),
    }
}

/// Runs `command` on the engine, waiting for the command that holds it (on the
/// thread pool) to finish first.
///
/// The lock is not poisoned by a panicking command ([`guarded`] catches it
/// before the guard drops); should it be anyway, the engine is used as it is,
/// as the single-threaded binding did after a caught panic.
pub(crate) fn execute<T>(
    engine: &Mutex<Engine>,
    command: impl FnOnce(&mut Engine) -> crm::Result<T>,
) -> Outcome<T> {
    let mut engine = engine.lock().unwrap_or_else(PoisonError::into_inner);
    guarded(|| command(&mut engine))
}
