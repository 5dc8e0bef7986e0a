//! Bulk import: rows from CSV, JSON Lines or an Excel workbook (`.xlsx`),
//! mapped to the fields of customers, contacts, leads or purchases, checked
//! row by row, and reported (row number, field, reason) when refused.
//!
//! This module reads and checks; the engine's
//! [`Crm::import_rows`](crate::Crm::import_rows) checks duplicates and writes, in
//! batches, with events.
//!
//! # The spec
//!
//! ```json
//! { "kind": "customer", "format": "csv",
//!   "mapping": {"name": "Company", "email": "E-mail", "phone": "Phone"},
//!   "mode": "all_or_nothing", "duplicates": "reject", "batch_size": 1000 }
//! ```
//!
//! - `kind`: `customer`, `contact`, `lead` or `purchase`;
//! - `format`: `csv` (comma-separated by default, `delimiter` to change it),
//!   `jsonl` (one object per line) or `xlsx` (the first sheet, or `sheet`);
//!   the first row of a CSV or a sheet names the columns;
//! - `mapping`: field to column; a field not mapped is read from the column
//!   of its own name, when there is one;
//! - `mode`: `all_or_nothing` (the default: every row is checked first, and
//!   nothing is written unless all pass) or `best_effort` (good rows are
//!   written, bad ones reported);
//! - `duplicates`: `reject` (the default: a row matching an existing record,
//!   or an earlier row of the file, is refused) or `allow`.
//!
//! Row numbers are the file's: in a CSV or a sheet the header is row 1 and the
//! first data row is row 2; in JSON Lines the first line is row 1.
//!
//! The fields:
//!
//! | kind | fields |
//! |---|---|
//! | customer | `name`*, `kind` (company, person), `owner`, `team`, `region`, `industry`, `tags` (`;`-separated), `phone`, `email`, `time_zone` |
//! | contact | `customer`* (its id), `name`*, `title`, `phones`, `emails` (`;`-separated) |
//! | lead | `company` or `contact_name`*, `source`, `channel`, `campaign`, `title`, `phone`, `email`, `region`, `product_line`, `owner`, `team` |
//! | purchase | `customer`* (its id), `reference`*, `amount`*, `currency`*, `at` (RFC 3339 or a date) |

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    CustomerId, CustomerKind, Money, NewContact, NewCustomer, NewLead, TeamId, UserId,
};

#[cfg(test)]
mod tests;

/// What the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Customers.
    Customer,
    /// Contacts of existing customers.
    Contact,
    /// Leads.
    Lead,
    /// Purchases of existing customers (recorded as loyalty purchases).
    Purchase,
}

impl ImportKind {
    /// Its name, as in the spec (`"customer"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Customer => "customer",
            ImportKind::Contact => "contact",
            ImportKind::Lead => "lead",
            ImportKind::Purchase => "purchase",
        }
    }

    /// The kind of record a row becomes (`None`: a purchase, which is a
    /// ledger posting on its customer).
    pub fn entity_kind(self) -> Option<crate::model::EntityKind> {
        use crate::model::EntityKind;
        match self {
            ImportKind::Customer => Some(EntityKind::Customer),
            ImportKind::Contact => Some(EntityKind::Contact),
            ImportKind::Lead => Some(EntityKind::Lead),
            ImportKind::Purchase => None,
        }
    }
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An Excel workbook: a sheet with a header row.
    Xlsx,
}

/// What happens when a row is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing is written unless every row passes.
    #[default]
    AllOrNothing,
    /// Good rows are written; bad ones are reported.
    BestEffort,
}

/// What happens to a likely duplicate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplicates {
    /// Refused, naming the record or row it duplicates.
    #[default]
    Reject,
    /// Imported all the same.
    Allow,
}

/// How to import a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// What the rows are.
    pub kind: ImportKind,
    /// The file's format.
    pub format: Format,
    /// Field to column.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// All or nothing (default), or best effort.
    #[serde(default)]
    pub mode: Mode,
    /// Reject (default) or allow likely duplicates.
    #[serde(default)]
    pub duplicates: Duplicates,
    /// The CSV delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// The workbook's sheet (default: the first).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Rows per commit (default 1000).
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

fn default_batch() -> usize {
    1000
}

impl ImportSpec {
    /// A spec with the defaults.
    pub fn new(kind: ImportKind, format: Format) -> Self {
        ImportSpec {
            kind,
            format,
            mapping: BTreeMap::new(),
            mode: Mode::default(),
            duplicates: Duplicates::default(),
            delimiter: None,
            sheet: None,
            batch_size: default_batch(),
        }
    }

    /// Reads a spec from JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] on `import` naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: ImportSpec =
            serde_json::from_str(json).map_err(|e| Error::config("import", e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the spec: known fields, a batch size of 1 to 100,000.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        let fields = fields_of(self.kind);
        for field in self.mapping.keys() {
            if !fields.contains(&field.as_str()) {
                return Err(Error::config(
                    format!("import.mapping.{field}"),
                    format!(
                        "is not a field of a {}: {}",
                        self.kind.as_str(),
                        fields.join(", ")
                    ),
                ));
            }
        }
        if !(1..=100_000).contains(&self.batch_size) {
            return Err(Error::config(
                "import.batch_size",
                "must be from 1 to 100000",
            ));
        }
        Ok(())
    }
}

/// The fields rows of a kind may carry.
pub fn fields_of(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Customer => &[
            "name",
            "kind",
            "owner",
            "team",
            "region",
            "industry",
            "tags",
            "phone",
            "email",
            "time_zone",
        ],
        ImportKind::Contact => &["customer", "name", "title", "phones", "emails"],
        ImportKind::Lead => &[
            "company",
            "contact_name",
            "source",
            "channel",
            "campaign",
            "title",
            "phone",
            "email",
            "region",
            "product_line",
            "owner",
            "team",
        ],
        ImportKind::Purchase => &["customer", "reference", "amount", "currency", "at"],
    }
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The row's number in the file.
    pub row: usize,
    /// The field at fault (`null`: the row as a whole, e.g. a duplicate).
    pub field: Option<String>,
    /// Why.
    pub reason: String,
}

/// Where an import stands (given to the progress callback after each batch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Rows read so far.
    pub rows: usize,
    /// Rows written.
    pub imported: usize,
    /// Rows refused.
    pub rejected: usize,
    /// `checking` (all or nothing, first pass) or `writing`.
    pub checking: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// Rows written.
    pub imported: usize,
    /// Of the refused, how many as duplicates.
    pub duplicates: usize,
    /// The refused rows, in file order.
    pub rejected: Vec<Rejected>,
    /// Commits made.
    pub batches: usize,
    /// Whether the caller's progress callback stopped it.
    pub cancelled: bool,
}

/// A file to import: read once per pass (an all-or-nothing import reads it
/// twice: to check, then to write).
pub trait Source {
    /// Opens the file from its start.
    ///
    /// # Errors
    ///
    /// The I/O error.
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>>;
}

/// Read and seek.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Source for Path {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        if self.as_os_str().is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "must not be an empty path",
            ));
        }
        Ok(Box::new(std::fs::File::open(self)?))
    }
}

impl Source for PathBuf {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        self.as_path().open()
    }
}

impl Source for &[u8] {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(Box::new(Cursor::new(*self)))
    }
}

impl Source for Vec<u8> {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(Box::new(Cursor::new(self.as_slice())))
    }
}

/// One row: its number and its values by column.
pub type Row = (usize, BTreeMap<String, String>);

fn io_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Storage {
        message: format!("cannot read the import file ({what}): {e}"),
        source: None,
    }
}

/// The rows of a file, one at a time (a workbook's sheet is read whole, as
/// `calamine` does; CSV and JSON Lines are streamed).
///
/// # Errors
///
/// [`Error::Storage`] when the file cannot be read; [`Error::Validation`] on
/// `sheet` when the workbook has no such sheet.
pub fn rows<'a>(
    spec: &ImportSpec,
    source: &'a dyn Source,
) -> Result<Box<dyn Iterator<Item = Result<Row>> + 'a>> {
    let reader = source.open().map_err(|e| match e.kind() {
        // What the source refused before any I/O (an empty path).
        std::io::ErrorKind::InvalidInput => Error::invalid("source", e.to_string()),
        _ => io_error("open", e),
    })?;
    match spec.format {
        Format::Csv => {
            let mut csv = csv::ReaderBuilder::new()
                .delimiter(spec.delimiter.map_or(b',', |d| d as u8))
                .flexible(true)
                .from_reader(reader);
            let headers: Vec<String> = csv
                .headers()
                .map_err(|e| io_error("the header row", e))?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            let mut number = 1;
            Ok(Box::new(csv.into_records().map(move |record| {
                number += 1;
                let record = record.map_err(|e| io_error(&format!("row {number}"), e))?;
                let values = headers
                    .iter()
                    .zip(record.iter())
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(h, v)| (h.clone(), v.trim().to_string()))
                    .collect();
                Ok((number, values))
            })))
        }
        Format::Jsonl => {
            let lines = BufReader::new(reader).lines();
            Ok(Box::new(lines.enumerate().filter_map(|(i, line)| {
                let number = i + 1;
                let line = match line {
                    Ok(line) => line,
                    Err(e) => return Some(Err(io_error(&format!("line {number}"), e))),
                };
                if line.trim().is_empty() {
                    return None;
                }
                let values = match serde_json::from_str::<serde_json::Value>(&line) {
                    Ok(serde_json::Value::Object(map)) => map
                        .into_iter()
                        .filter_map(|(k, v)| {
                            let text = match v {
                                serde_json::Value::Null => return None,
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Array(items) => items
                                    .iter()
                                    .map(|i| {
                                        i.as_str().map_or_else(|| i.to_string(), str::to_string)
                                    })
                                    .collect::<Vec<_>>()
                                    .join(";"),
                                other => other.to_string(),
                            };
                            (!text.trim().is_empty()).then(|| (k, text.trim().to_string()))
                        })
                        .collect(),
                    // A line that is not an object: a row with no values,
                    // refused with the reason.
                    _ => BTreeMap::from([("\u{0}".to_string(), "not a JSON object".to_string())]),
                };
                Some(Ok((number, values)))
            })))
        }
        Format::Xlsx => {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(reader).map_err(|e| io_error("the workbook", e))?;
            let names = book.sheet_names();
            let sheet = match &spec.sheet {
                Some(name) => names.iter().find(|n| *n == name).cloned().ok_or_else(|| {
                    Error::invalid("sheet", format!("the workbook has {}", names.join(", ")))
                        .with_value(name)
                })?,
                None => names
                    .first()
                    .cloned()
                    .ok_or_else(|| io_error("the workbook", "no sheet"))?,
            };
            let range = book
                .worksheet_range(&sheet)
                .map_err(|e| io_error(&format!("sheet {sheet}"), e))?;
            let start_row = range.start().map_or(0, |(r, _)| r as usize);
            let mut rows = range.rows();
            let headers: Vec<String> = rows
                .next()
                .map(|r| r.iter().map(|c| cell_text(c).trim().to_string()).collect())
                .unwrap_or_default();
            let data: Vec<Row> = rows
                .enumerate()
                .map(|(i, cells)| {
                    let values = headers
                        .iter()
                        .zip(cells)
                        .map(|(h, c)| (h.clone(), cell_text(c).trim().to_string()))
                        .filter(|(_, v)| !v.is_empty())
                        .collect();
                    (start_row + i + 2, values)
                })
                .collect();
            Ok(Box::new(data.into_iter().map(Ok)))
        }
    }
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers typed into a sheet come back as floats: show them whole.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| {
                if t.time() == chrono::NaiveTime::MIN {
                    t.date().to_string()
                } else {
                    t.and_utc().to_rfc3339()
                }
            })
            .unwrap_or_else(|| d.as_f64().to_string()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A row read into the input of its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A customer.
    Customer(NewCustomer),
    /// A contact.
    Contact(NewContact),
    /// A lead.
    Lead(NewLead),
    /// A purchase.
    Purchase(crate::PurchaseInput),
}

/// Maps a row's columns to fields: the mapping's column for a mapped field,
/// else the column of the field's own name.
///
/// # Errors
///
/// [`Rejected`] on the row when it holds no value for any field, or is not
/// a JSON object (JSON Lines).
pub fn map_row(
    spec: &ImportSpec,
    row: &Row,
) -> std::result::Result<BTreeMap<String, String>, Rejected> {
    let (number, values) = row;
    if let Some(reason) = values.get("\u{0}") {
        return Err(Rejected {
            row: *number,
            field: None,
            reason: reason.clone(),
        });
    }
    let out: BTreeMap<String, String> = fields_of(spec.kind)
        .iter()
        .filter_map(|field| {
            let column = spec.mapping.get(*field).map_or(*field, String::as_str);
            values
                .get(column)
                .map(|v| ((*field).to_string(), v.clone()))
        })
        .collect();
    if out.is_empty() {
        return Err(Rejected {
            row: *number,
            field: None,
            reason: "holds no value for any field".into(),
        });
    }
    Ok(out)
}

/// Reads mapped values into the kind's input; the first bad value is
/// refused, naming its field.
///
/// # Errors
///
/// [`Rejected`] naming the row and the field.
pub fn parse(
    kind: ImportKind,
    number: usize,
    values: &BTreeMap<String, String>,
) -> std::result::Result<Parsed, Rejected> {
    let reject = |field: &str, reason: String| Rejected {
        row: number,
        field: Some(field.to_string()),
        reason,
    };
    let text = |field: &str| values.get(field).cloned();
    let list = |field: &str| -> Vec<String> {
        values
            .get(field)
            .map(|v| {
                v.split(';')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let required = |field: &str| text(field).ok_or_else(|| reject(field, "is required".into()));
    let user = |field: &str| -> std::result::Result<Option<UserId>, Rejected> {
        text(field)
            .map(|u| UserId::new(u).map_err(|e| reject(field, reason_of(&e))))
            .transpose()
    };
    let team = |field: &str| -> std::result::Result<Option<TeamId>, Rejected> {
        text(field)
            .map(|t| TeamId::new(t).map_err(|e| reject(field, reason_of(&e))))
            .transpose()
    };
    let customer_id = || -> std::result::Result<CustomerId, Rejected> {
        required("customer")?
            .parse()
            .map_err(|e: Error| reject("customer", reason_of(&e)))
    };
    Ok(match kind {
        ImportKind::Customer => Parsed::Customer(NewCustomer {
            kind: match text("kind") {
                Some(k) => k
                    .to_lowercase()
                    .parse::<CustomerKind>()
                    .map_err(|e| reject("kind", reason_of(&e)))?,
                None => CustomerKind::default(),
            },
            name: required("name")?,
            owner: user("owner")?,
            team: team("team")?,
            region: text("region"),
            industry: text("industry"),
            tags: list("tags"),
            phone: text("phone"),
            email: text("email"),
            time_zone: text("time_zone"),
            custom: Default::default(),
        }),
        ImportKind::Contact => Parsed::Contact(NewContact {
            customer: Some(customer_id()?),
            name: required("name")?,
            title: text("title"),
            phones: list("phones"),
            emails: list("emails"),
            ..NewContact::default()
        }),
        ImportKind::Lead => {
            if text("company").is_none() && text("contact_name").is_none() {
                return Err(reject(
                    "company",
                    "a lead needs a company or a contact_name".into(),
                ));
            }
            Parsed::Lead(NewLead {
                source: text("source"),
                channel: text("channel"),
                campaign: text("campaign"),
                company: text("company"),
                contact_name: text("contact_name"),
                title: text("title"),
                phone: text("phone"),
                email: text("email"),
                region: text("region"),
                product_line: text("product_line"),
                owner: user("owner")?,
                team: team("team")?,
                ..NewLead::default()
            })
        }
        ImportKind::Purchase => {
            let amount =
                Money::parse(&required("amount")?, &required("currency")?).map_err(|e| {
                    let field = match &e {
                        Error::Validation { fields, .. }
                            if fields.first().is_some_and(|f| f == "currency") =>
                        {
                            "currency"
                        }
                        _ => "amount",
                    };
                    reject(field, reason_of(&e))
                })?;
            let at = text("at")
                .map(|t| {
                    parse_time(&t)
                        .ok_or_else(|| reject("at", format!("`{t}` is not a time or a date")))
                })
                .transpose()?;
            Parsed::Purchase(crate::PurchaseInput {
                customer: customer_id()?,
                reference: required("reference")?,
                amount,
                at,
                lines: Vec::new(),
                campaign: None,
            })
        }
    })
}

/// An RFC 3339 time, or a date (its midnight, UTC).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    text.parse::<DateTime<Utc>>()
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// An error's reason, without its field (the report names the field).
pub(crate) fn reason_of(error: &Error) -> String {
    match error {
        Error::Validation { reason, value, .. } => match value {
            Some(value) => format!("{reason} (got `{value}`)"),
            None => reason.clone(),
        },
        other => other.to_string(),
    }
}
