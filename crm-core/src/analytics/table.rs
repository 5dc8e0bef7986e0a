//! Results as tables: named, typed columns and rows of JSON values, which the
//! bindings turn into Arrow / pandas / polars frames (Python) or arrays of
//! objects (Node).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// A floating-point number (rates, shares, durations).
    Float,
    /// An exact decimal, as text (money amounts).
    Decimal,
    /// An instant, as RFC 3339 text in UTC.
    Time,
    /// A calendar date (or month, `2026-03`), as text.
    Date,
    /// True or false.
    Bool,
}

impl ColumnKind {
    /// Its name, as in JSON (`"decimal"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Float => "float",
            ColumnKind::Decimal => "decimal",
            ColumnKind::Time => "time",
            ColumnKind::Date => "date",
            ColumnKind::Bool => "bool",
        }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// A metric's result: columns and rows (each row one value per column, in
/// column order; `null` where there is none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The metric's name.
    pub metric: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Vec<Value>>,
}

/// A typed row that a [`Table`] can hold: its columns, in order.
pub trait TableRow: Serialize {
    /// The columns: each field's name and kind, in order.
    const COLUMNS: &'static [(&'static str, ColumnKind)];
}

impl Table {
    /// A table of typed rows.
    pub fn from_rows<R: TableRow>(metric: &str, rows: &[R]) -> Table {
        let columns = R::COLUMNS
            .iter()
            .map(|(name, kind)| Column {
                name: (*name).to_string(),
                kind: *kind,
            })
            .collect();
        let rows = rows
            .iter()
            .map(|row| {
                let value = serde_json::to_value(row).unwrap_or(Value::Null);
                R::COLUMNS
                    .iter()
                    .map(|(name, _)| value.get(*name).cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        Table {
            metric: metric.to_string(),
            columns,
            rows,
        }
    }

    /// The rows as JSON objects keyed by column name.
    pub fn records(&self) -> Vec<serde_json::Map<String, Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.name.clone(), v.clone()))
                    .collect()
            })
            .collect()
    }
}

/// Declares a row type's columns: `columns!(Row, { field: Kind, ... })`.
macro_rules! columns {
    ($row:ty, { $($field:ident: $kind:ident),* $(,)? }) => {
        impl $crate::analytics::TableRow for $row {
            const COLUMNS: &'static [(&'static str, $crate::analytics::ColumnKind)] = &[
                $((stringify!($field), $crate::analytics::ColumnKind::$kind)),*
            ];
        }
    };
}
pub(crate) use columns;
