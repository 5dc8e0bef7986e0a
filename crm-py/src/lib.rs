//! Python bindings of crm.

use pyo3::prelude::*;

/// The native module behind `import crm`.
#[pymodule]
fn _crm(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
