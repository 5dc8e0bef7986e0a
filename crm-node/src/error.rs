//! The one place where crm's errors become JavaScript errors.
//!
//! Every [`crm::Error`] is thrown as a plain JS `Error` whose `message` is the
//! core's message and whose `code` is the stable kind
//! ([`crm::ErrorKind::code`]: `validation`, `invalid_transition`, `not_found`,
//! `conflict`, `forbidden`, `storage`, `config`). The variant's fields ride along
//! as camelCase properties:
//!
//! | code | properties |
//! | --- | --- |
//! | `validation` | `fields: string[]`, `value: string \| null`, `reason: string` |
//! | `invalid_transition` | `entity`, `id`, `from`, `action` |
//! | `not_found` | `entity`, `id` |
//! | `conflict` | `entity`, `id`, `expectedVersion: number`, `found: number \| null` |
//! | `forbidden` | `actor`, `action`, `entity`, `id: string \| null` |
//! | `storage` | (the message only) |
//! | `config` | `path`, `reason` |
//!
//! The mapping is an exhaustive `match`: a new kind of error in the core does
//! not compile here until it is mapped. A Rust panic (a bug) never crosses into
//! JS as an abort: it is caught and thrown as an `Error` with code `internal`.
//!
//! The `...Async` methods fail on the thread pool, where there is no `Env` to
//! build a JS error with: they carry a [`Failure`] back to the main thread,
//! which converts it as the synchronous methods do, so a rejected Promise holds
//! the same `Error` (code and fields) that the synchronous method throws.

use std::any::Any;

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue};
use napi::{Env, JsValue, Status};

use crate::convert::number;

/// The code of the error thrown when the engine panicked (a bug in crm, never
/// bad input).
const INTERNAL: &str = "internal";

/// Why a command failed, kept as Rust values until the main thread converts it
/// (see `Failure::into_js`).
pub enum Failure {
    /// The core refused or failed: a `crm::Error`.
    Crm(crm::Error),
    /// The engine panicked (a bug); the panic's payload.
    Panic(Box<dyn Any + Send>),
    /// A command was called while another ran on the same thread (see
    /// `reentered`).
    Busy,
}

impl Failure {
    /// The JS error to throw, or to reject a Promise with.
    pub(crate) fn into_js(self, env: &Env) -> napi::Error {
        match self {
            Failure::Crm(err) => to_js(env, err),
            Failure::Panic(payload) => from_panic(env, payload),
            Failure::Busy => reentered(env),
        }
    }
}

/// Converts a core error into the JS `Error` (with `code` and the structured
/// fields) that the calling method throws.
pub(crate) fn to_js(env: &Env, err: crm::Error) -> napi::Error {
    let message = err.to_string();
    let code = err.kind().code();
    thrown(env, message, code, |object| set_fields(object, err))
}

/// Converts a caught panic into a JS `Error` with code `internal`.
fn from_panic(env: &Env, payload: Box<dyn Any + Send>) -> napi::Error {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("no message");
    let message = format!("internal error in crm (a bug, please report it): {detail}");
    thrown(env, message, INTERNAL, |_| Ok(()))
}

/// The error of a command called while another runs on the same engine (only
/// possible from JS code that the conversion of an argument runs, such as a
/// getter): code `internal`.
fn reentered(env: &Env) -> napi::Error {
    let message = "crm is busy with another command on this engine \
                   (called from inside an argument's getter?)";
    thrown(env, message.to_owned(), INTERNAL, |_| Ok(()))
}

/// A JS `Error` with `message`, `code` and the properties `fields` sets, as
/// the `napi::Error` that throws it. Should building it fail (it does not, short
/// of an exhausted heap), a plain error with the message is thrown instead.
fn thrown(
    env: &Env,
    message: String,
    code: &str,
    fields: impl FnOnce(&mut Object<'_>) -> napi::Result<()>,
) -> napi::Error {
    let built = env
        .create_error(napi::Error::new(Status::GenericFailure, &message))
        .and_then(|mut object| {
            object.set_named_property("code", code)?;
            fields(&mut object)?;
            Ok(napi::Error::from(object.to_unknown()))
        });
    built.unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, message))
}

fn set(object: &mut Object<'_>, name: &str, value: impl ToNapiValue) -> napi::Result<()> {
    object.set_named_property(name, value)
}

fn set_fields(object: &mut Object<'_>, err: crm::Error) -> napi::Result<()> {
    match err {
        crm::Error::Validation {
            fields,
            value,
            reason,
        } => {
            set(object, "fields", fields)?;
            set(object, "value", value)?;
            set(object, "reason", reason)
        }
        crm::Error::InvalidTransition {
            entity,
            id,
            from,
            action,
        } => {
            set(object, "entity", entity.as_str())?;
            set(object, "id", id)?;
            set(object, "from", from)?;
            set(object, "action", action)
        }
        crm::Error::NotFound { entity, id } => {
            set(object, "entity", entity.as_str())?;
            set(object, "id", id)
        }
        crm::Error::Conflict {
            entity,
            id,
            expected_version,
            found,
        } => {
            set(object, "entity", entity.as_str())?;
            set(object, "id", id)?;
            set(object, "expectedVersion", number(expected_version))?;
            set(object, "found", found.map(number))
        }
        crm::Error::Forbidden {
            actor,
            action,
            entity,
            id,
        } => {
            set(object, "actor", actor)?;
            set(object, "action", action)?;
            set(object, "entity", entity.as_str())?;
            set(object, "id", id)
        }
        // The message already says what failed; the backend's own error stays
        // in Rust (it may hold details that are not for display).
        crm::Error::Storage { .. } => Ok(()),
        crm::Error::Config { path, reason } => {
            set(object, "path", path)?;
            set(object, "reason", reason)
        }
    }
}
