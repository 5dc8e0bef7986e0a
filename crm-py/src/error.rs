//! The one place where crm's errors become Python exceptions.
//!
//! The exception classes live in `crm/_errors.py` (so that `ValidationError`
//! can be a `ValueError` and `NotFoundError` a `LookupError` as well as a
//! `CrmError`); this module builds an instance with the error's structured
//! fields as attributes.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Converts a core error into the matching `crm` exception.
pub fn to_py(err: crm::Error) -> PyErr {
    Python::attach(|py| build(py, &err).unwrap_or_else(|failure| failure))
}

/// A `crm.ValidationError` for a field, for input the binding rejects before
/// it reaches the core (a naive datetime, a float where money is expected).
pub fn invalid(field: &str, reason: impl Into<String>) -> PyErr {
    to_py(crm::Error::invalid(field, reason))
}

fn build(py: Python<'_>, err: &crm::Error) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    let class = match err {
        crm::Error::Validation {
            fields,
            value,
            reason,
        } => {
            kwargs.set_item("fields", fields.clone())?;
            kwargs.set_item("value", value.clone())?;
            kwargs.set_item("reason", reason)?;
            "ValidationError"
        }
        crm::Error::InvalidTransition {
            entity,
            id,
            from,
            action,
        } => {
            kwargs.set_item("entity", entity.as_str())?;
            kwargs.set_item("id", id)?;
            kwargs.set_item("from_state", from)?;
            kwargs.set_item("action", action)?;
            "InvalidTransitionError"
        }
        crm::Error::NotFound { entity, id } => {
            kwargs.set_item("entity", entity.as_str())?;
            kwargs.set_item("id", id)?;
            "NotFoundError"
        }
        crm::Error::Conflict {
            entity,
            id,
            expected_version,
            found,
        } => {
            kwargs.set_item("entity", entity.as_str())?;
            kwargs.set_item("id", id)?;
            kwargs.set_item("expected_version", expected_version)?;
            kwargs.set_item("found", found)?;
            "ConflictError"
        }
        crm::Error::Forbidden {
            actor,
            action,
            entity,
            id,
        } => {
            kwargs.set_item("actor", actor)?;
            kwargs.set_item("action", action)?;
            kwargs.set_item("entity", entity.as_str())?;
            kwargs.set_item("id", id.clone())?;
            "ForbiddenError"
        }
        crm::Error::Storage { message, .. } => {
            kwargs.set_item("detail", message)?;
            "StorageError"
        }
        crm::Error::Config { path, reason } => {
            kwargs.set_item("path", path)?;
            kwargs.set_item("reason", reason)?;
            "ConfigError"
        }
    };
    kwargs.set_item("code", err.kind().code())?;
    let module = py.import("crm._errors")?;
    let instance = module
        .getattr(class)?
        .call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}
