//! One `[input.columns]` value: a column name, or `false` for "this export has no such column".
//!
//! An empty name is refused where it is written (the TOML error names the line): `""` used to
//! be read as a column called "", which no export has, so the run stopped with a puzzling
//! "column `` is not in the file".

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A mapped column, or a preset's column switched off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Named(String),
    /// `key = false`: the field is not read, whatever the preset says.
    Off,
}

impl Column {
    /// The column's name, if it is mapped.
    pub fn name(&self) -> Option<&str> {
        match self {
            Column::Named(n) => Some(n),
            Column::Off => None,
        }
    }
}

/// A non-empty column name (an entry of `phones`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnName(pub String);

const EMPTY: &str = "an empty column name: name the export column, or write `false` (no quotes) \
                     to switch this field off";

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Column;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column name, or false to switch the field off")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Column, E> {
                match v.trim() {
                    "" => Err(E::custom(EMPTY)),
                    _ => Ok(Column::Named(v.to_string())),
                }
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Column, E> {
                match v {
                    false => Ok(Column::Off),
                    true => Err(E::custom(
                        "`true` is not a column: name the export column, or write false to \
                         switch this field off",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ColumnName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim() {
            "" => Err(de::Error::custom(
                "an empty column name in `phones`: list the export's phone columns",
            )),
            _ => Ok(ColumnName(text)),
        }
    }
}
