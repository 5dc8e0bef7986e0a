//! Bulk import in the engine: rows checked, duplicates looked up, records
//! written in batches with their events.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::json;

use crate::access::Actor;
use crate::engine::{Crm, Note, Tx};
use crate::error::{Error, Result};
use crate::import::{
    Duplicates, ImportKind, ImportReport, ImportSpec, Mode, Parsed, Progress, Rejected, Source,
    map_row, parse, reason_of, rows,
};
use crate::model::{AnyRecord, Record};
use crate::store::Store;

/// What one pass remembers of the rows before: their strong keys (email,
/// phone, or a purchase's customer and reference), hashed, with the row.
type Seen = HashMap<u64, usize>;

/// How one row is checked.
#[derive(Clone, Copy)]
struct RowRules {
    kind: ImportKind,
    duplicates: Duplicates,
    /// Whether to look for duplicates in the store too.
    check_store: bool,
}

fn hashed(key: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

impl<S: Store> Crm<S> {
    /// Imports a file of customers, contacts, leads or purchases (see
    /// [`crate::import`] for the spec, the formats and the fields).
    ///
    /// Each row is mapped, read and checked as the matching command would
    /// (`create_customer`, `add_contact`, `create_lead`, `record_purchase`),
    /// with the actor's permissions. A row whose email or phone an earlier
    /// row had, or that the dedupe module matches to a stored customer,
    /// contact or lead, is refused as a duplicate (unless `duplicates` is
    /// `allow`). Records are written `batch_size` rows per commit, each with
    /// an `import` event naming its row. Imported leads are not routed or
    /// scored: `route_pool` hands them out afterwards.
    ///
    /// `all_or_nothing` reads the file twice: first every row is checked
    /// (nothing written); only when none is refused are they written. A
    /// store failure while writing leaves the batches before it written
    /// (reported in `imported`). Purchases are written one commit each (each
    /// posts to its customer's points account).
    ///
    /// Memory stays bounded by the batch and one hash per row (CSV and JSON
    /// Lines are streamed; a workbook's sheet is read whole).
    ///
    /// `progress` is called after each batch; returning `false` stops the
    /// import (`cancelled` in the report; batches written stay written).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] on the spec; [`Error::Storage`] when the file cannot
    /// be read or the store fails; [`Error::Validation`] on `sheet`.
    pub fn import_rows(
        &mut self,
        actor: &Actor,
        spec: &ImportSpec,
        source: &dyn Source,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> Result<ImportReport> {
        spec.validate()?;
        // An actor who may not create this kind of record at all is told so
        // once, not on every row.
        if let Some(kind) = spec.kind.entity_kind() {
            self.config
                .policy
                .check(actor, kind, crate::access::Permission::Create, None)?;
        }
        if spec.mode == Mode::AllOrNothing {
            let check = self.import_pass(actor, spec, source, progress, false)?;
            if !check.rejected.is_empty() || check.cancelled {
                return Ok(check);
            }
        }
        self.import_pass(actor, spec, source, progress, true)
    }

    fn import_pass(
        &mut self,
        actor: &Actor,
        spec: &ImportSpec,
        source: &dyn Source,
        progress: &mut dyn FnMut(&Progress) -> bool,
        write: bool,
    ) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut seen = Seen::new();
        let mut batch: Vec<(usize, Parsed)> = Vec::new();
        let tell = |report: &ImportReport| Progress {
            rows: report.rows,
            imported: report.imported,
            rejected: report.rejected.len(),
            checking: !write,
        };
        for row in rows(spec, source)? {
            let row = row?;
            report.rows += 1;
            let parsed = map_row(spec, &row).and_then(|values| parse(spec.kind, row.0, &values));
            match parsed {
                Ok(parsed) => batch.push((row.0, parsed)),
                Err(rejected) => report.rejected.push(rejected),
            }
            if batch.len() >= spec.batch_size {
                self.import_batch(actor, spec, &mut batch, &mut seen, &mut report, write)?;
                if !progress(&tell(&report)) {
                    report.cancelled = true;
                    return Ok(report);
                }
            }
        }
        if !batch.is_empty() {
            self.import_batch(actor, spec, &mut batch, &mut seen, &mut report, write)?;
        }
        progress(&tell(&report));
        Ok(report)
    }

    fn import_batch(
        &mut self,
        actor: &Actor,
        spec: &ImportSpec,
        batch: &mut Vec<(usize, Parsed)>,
        seen: &mut Seen,
        report: &mut ImportReport,
        write: bool,
    ) -> Result<()> {
        if spec.kind == ImportKind::Purchase {
            for (number, parsed) in batch.drain(..) {
                let Parsed::Purchase(input) = parsed else {
                    continue;
                };
                let key = hashed(&format!(
                    "purchase\u{0}{}\u{0}{}",
                    input.customer, input.reference
                ));
                if let Some(first) = seen.insert(key, number) {
                    report.duplicates += 1;
                    report.rejected.push(Rejected {
                        row: number,
                        field: Some("reference".into()),
                        reason: format!("repeats row {first}"),
                    });
                    continue;
                }
                let outcome = if write {
                    self.record_purchase(actor, input).map(|_| ())
                } else {
                    let now = self.now();
                    self.check_purchase(actor, &input, now).map(|_| ())
                };
                match outcome {
                    Ok(()) if write => {
                        report.imported += 1;
                        report.batches += 1;
                    }
                    Ok(()) => {}
                    Err(e @ (Error::Storage { .. } | Error::Conflict { .. })) => return Err(e),
                    Err(e) => report.rejected.push(rejected_of(number, "purchase", &e)),
                }
            }
            return Ok(());
        }
        let mut tx = self.begin(actor);
        let mut written = 0;
        let rules = RowRules {
            kind: spec.kind,
            duplicates: spec.duplicates,
            check_store: !(write && spec.mode == Mode::AllOrNothing),
        };
        for (number, parsed) in batch.drain(..) {
            match self.import_row(&mut tx, actor, rules, number, parsed, seen) {
                Ok(()) => written += 1,
                Err((rejected, duplicate)) => {
                    report.duplicates += usize::from(duplicate);
                    report.rejected.push(rejected);
                }
            }
        }
        if write && written > 0 {
            self.finish(tx)?;
            report.imported += written;
            report.batches += 1;
        }
        Ok(())
    }

    /// Checks and adds one row to the batch's commit. Errs with the refusal
    /// and whether it is a duplicate.
    fn import_row(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        rules: RowRules,
        number: usize,
        parsed: Parsed,
        seen: &mut Seen,
    ) -> std::result::Result<(), (Rejected, bool)> {
        let RowRules {
            kind,
            duplicates,
            check_store,
        } = rules;
        let refuse = |e: &Error| (rejected_of(number, kind.as_str(), e), false);
        let record: AnyRecord = match parsed {
            Parsed::Customer(new) => self
                .build_customer(tx, actor, new)
                .map_err(|e| refuse(&e))?
                .into_any(),
            Parsed::Contact(new) => self
                .build_contact(tx, actor, new)
                .map_err(|e| refuse(&e))?
                .into_any(),
            Parsed::Lead(new) => self
                .build_lead(tx, actor, new)
                .map_err(|e| refuse(&e))?
                .into_any(),
            Parsed::Purchase(_) => return Ok(()),
        };
        // Duplicates within the file: the same email or phone as a row before.
        let index = record.index();
        let mut keys: Vec<(&str, String)> = Vec::new();
        keys.extend(
            index
                .emails
                .iter()
                .map(|e| ("email", format!("email\u{0}{e}"))),
        );
        keys.extend(
            index
                .phones
                .iter()
                .map(|p| ("phone", format!("phone\u{0}{p}"))),
        );
        if duplicates == Duplicates::Reject {
            for (field, key) in &keys {
                if let Some(first) = seen.get(&hashed(key)) {
                    return Err((
                        Rejected {
                            row: number,
                            field: Some((*field).to_string()),
                            reason: format!("repeats the {field} of row {first}"),
                        },
                        true,
                    ));
                }
            }
        }
        // And against what is stored, by the dedupe module (not again while
        // writing an all-or-nothing import: its check pass did, before any
        // of its rows was stored).
        if duplicates == Duplicates::Reject && check_store {
            let views = super::dedupe::match_views(&record).unwrap_or_default();
            let found = self
                .duplicates_of(actor, &views, None)
                .map_err(|e| refuse(&e))?;
            if let Some(best) = found.first() {
                return Err((
                    Rejected {
                        row: number,
                        field: None,
                        reason: format!(
                            "likely duplicate of {} {} (probability {:.2}{})",
                            best.record.kind,
                            best.record.id,
                            best.probability,
                            best.rule
                                .as_ref()
                                .map(|r| format!(", rule {r}"))
                                .unwrap_or_default()
                        ),
                    },
                    true,
                ));
            }
        }
        let note = Note {
            action: "import",
            reason: None,
            payload: json!({ "row": number }),
        };
        let put = match record {
            AnyRecord::Customer(r) => self.put(tx, None, r, note).map(|_| ()),
            AnyRecord::Contact(r) => self.put(tx, None, r, note).map(|_| ()),
            AnyRecord::Lead(r) => self.put(tx, None, r, note).map(|_| ()),
            _ => Ok(()),
        };
        put.map_err(|e| refuse(&e))?;
        for (_, key) in keys {
            seen.entry(hashed(&key)).or_insert(number);
        }
        Ok(())
    }
}

/// A refusal from an engine error: a validation error names its field;
/// another error (not found, forbidden) is the row's.
fn rejected_of(row: usize, what: &str, error: &Error) -> Rejected {
    match error {
        Error::Validation { fields, .. } => Rejected {
            row,
            field: fields.first().cloned(),
            reason: reason_of(error),
        },
        Error::NotFound { entity, id } => Rejected {
            row,
            field: Some(entity.to_string()),
            reason: format!("no {entity} {id}"),
        },
        other => Rejected {
            row,
            field: None,
            reason: format!("the {what} cannot be imported: {other}"),
        },
    }
}
