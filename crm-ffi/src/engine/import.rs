//! Bulk import in the engine: customers, contacts, leads or purchases from
//! CSV, JSON Lines or an Excel sheet, checked row by row and written in
//! batches (`crm::import`, `Crm::import_rows`).

use std::path::PathBuf;

use crm::Error as CoreError;
use crm::import::{ImportSpec, Progress, Source};

use crate::access::Actor;
use crate::engine::{FfiCrm, actor};
use crate::error::CrmError;
use crate::import::{ImportProgress, ImportProgressListener, ImportReport};

#[uniffi::export(name = "Crm")]
impl FfiCrm {
    /// Imports a file of customers, contacts, leads or purchases: from the
    /// file at `path`, or from `data` (the file's bytes); exactly one of them.
    ///
    /// `specJson` is the spec: `{"kind": "customer" | "contact" | "lead" |
    /// "purchase", "format": "csv" | "jsonl" | "xlsx", "mapping": {field:
    /// column}, "mode": "all_or_nothing" (default) | "best_effort",
    /// "duplicates": "reject" (default) | "allow", "delimiter", "sheet",
    /// "batch_size" (default 1000)}`. Each row is checked as the matching
    /// command would check it, with the actor's permissions; refused rows
    /// come back in `ImportReport.rejected` (row, field, reason), and
    /// `all_or_nothing` writes nothing unless every row passes.
    ///
    /// `progress`, when given, is called on this thread after each batch;
    /// returning `false` stops the import (`cancelled`; the batches written
    /// stay written). It must not call this `Crm`.
    ///
    /// # Errors
    ///
    /// `Validation` on `source` unless exactly one of `path` and `data` is
    /// given, on `sheet`, on `progress` when the listener threw something
    /// other than a `CrmException` (which is thrown as it is) or called this
    /// `Crm`; `Config` on `import...` for a bad spec; `Storage` when the
    /// file cannot be read or the store fails.
    #[uniffi::method(default(path = None, data = None, progress = None))]
    pub fn import_rows(
        &self,
        actor: Actor,
        spec_json: String,
        path: Option<String>,
        data: Option<Vec<u8>>,
        progress: Option<Box<dyn ImportProgressListener>>,
    ) -> Result<ImportReport, CrmError> {
        let actor = self::actor(actor)?;
        let spec = ImportSpec::from_json(&spec_json)?;
        let source: Box<dyn Source> = match (path, data) {
            (Some(path), None) => Box::new(PathBuf::from(path)),
            (None, Some(data)) => Box::new(data),
            (Some(_), Some(_)) => {
                return Err(CoreError::invalid("source", "give a path or data, not both").into());
            }
            (None, None) => {
                return Err(CoreError::invalid("source", "give a path or data").into());
            }
        };
        let mut failure: Option<CrmError> = None;
        let mut engine = self.engine()?;
        let mut on_progress = |at: &Progress| -> bool {
            let Some(listener) = progress.as_deref() else {
                return true;
            };
            match self.calling_back(|| listener.on_progress(ImportProgress::from(at))) {
                Ok(go_on) => go_on,
                Err(err) => {
                    failure = Some(err);
                    false
                }
            }
        };
        let report = engine.import_rows(&actor, &spec, source.as_ref(), &mut on_progress)?;
        match failure {
            Some(err) => Err(err),
            None => Ok(report.into()),
        }
    }
}
