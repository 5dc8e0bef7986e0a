//! Bulk import: what the engine's `importRows` (in `engine/import.rs`)
//! reports ([`ImportReport`], [`RejectedRow`]), where it stands while it runs
//! ([`ImportProgress`]), and the host's listener ([`ImportProgressListener`],
//! a uniffi callback interface). The spec, the formats and the fields are
//! `crm::import`'s.

use crm::import::{
    ImportReport as CoreImportReport, Progress as CoreProgress, Rejected as CoreRejected,
};

use crate::error::CrmError;
use crate::model::count;

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RejectedRow {
    /// The row's number in the file (a CSV's or a sheet's header is row 1,
    /// its first data row row 2; a JSON Lines file's first line is row 1).
    pub row: u64,
    /// The field at fault (`null`: the row as a whole).
    pub field: Option<String>,
    /// Why (`"is not an email address"`, `"repeats the email of row 2"`).
    pub reason: String,
}

impl From<CoreRejected> for RejectedRow {
    fn from(rejected: CoreRejected) -> Self {
        RejectedRow {
            row: count(rejected.row),
            field: rejected.field,
            reason: rejected.reason,
        }
    }
}

/// What `importRows` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    /// Rows read.
    pub rows: u64,
    /// Rows written.
    pub imported: u64,
    /// Of the refused, how many as duplicates.
    pub duplicates: u64,
    /// The refused rows, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Commits made.
    pub batches: u64,
    /// Whether the progress listener stopped it (the batches written before
    /// stay written).
    pub cancelled: bool,
}

impl From<CoreImportReport> for ImportReport {
    fn from(report: CoreImportReport) -> Self {
        ImportReport {
            rows: count(report.rows),
            imported: count(report.imported),
            duplicates: count(report.duplicates),
            rejected: report.rejected.into_iter().map(Into::into).collect(),
            batches: count(report.batches),
            cancelled: report.cancelled,
        }
    }
}

/// Where an import stands: given to the listener after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ImportProgress {
    /// Rows read so far.
    pub rows: u64,
    /// Rows written.
    pub imported: u64,
    /// Rows refused.
    pub rejected: u64,
    /// `true` in an all-or-nothing import's first pass (checking, nothing
    /// written), `false` while writing.
    pub checking: bool,
}

impl From<&CoreProgress> for ImportProgress {
    fn from(progress: &CoreProgress) -> Self {
        ImportProgress {
            rows: count(progress.rows),
            imported: count(progress.imported),
            rejected: count(progress.rejected),
            checking: progress.checking,
        }
    }
}

/// The host's progress listener of `importRows` (a Kotlin interface, a
/// Swift protocol), called on the calling thread after each batch.
///
/// It must not call the `Crm` running the import (that call fails with
/// `Validation` on `progress`); an exception thrown in it stops the import
/// and `importRows` throws: a `CrmException` as it is, any other as
/// `CrmException.Validation` on `progress`.
#[uniffi::export(callback_interface)]
pub trait ImportProgressListener: Send + Sync {
    /// Where the import stands; `true` goes on, `false` stops it
    /// (`ImportReport.cancelled`; the batches written stay written).
    fn on_progress(&self, progress: ImportProgress) -> Result<bool, CrmError>;
}
