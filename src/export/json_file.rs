//! JSON exports: an array of objects, or JSON Lines. Mapped names may be dotted paths into
//! nested objects (`patient.firstName`).

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::value::RawValue;
use serde_json::Value;

use super::columns::Field;
use super::columns::Resolved;
use super::record::{decode, missing_columns, Export, InputSettings, RawRecord};
use super::sniff;

/// The line a place in the text is on, counted on from the place asked before: an array's
/// elements come in order, so the text is read once (counting from the start for each element
/// took minutes for 100,000 of them).
struct Lines<'a> {
    text: &'a str,
    /// The place asked before, and its line.
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> u64 {
        if offset < self.at {
            (self.at, self.line) = (0, 1);
        }
        let newlines = self.text.as_bytes()[self.at..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        (self.at, self.line) = (offset, self.line + newlines as u64);
        self.line
    }
}

pub(super) fn read<R: Read>(mut source: R, input: &InputSettings) -> anyhow::Result<Export> {
    let prefix = sniff::prefix(&mut source, input.encoding)?;
    let mut bytes = prefix.bytes;
    if !prefix.whole {
        source.read_to_end(&mut bytes)?;
    }
    let text = decode(&bytes, prefix.encoding).map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(bytes);
    if text.trim().is_empty() {
        anyhow::bail!(
            "the file holds only blank space: the export did not finish or wrote nothing; export \
             the schedule again"
        );
    }

    let mut lines = Lines {
        text: &text,
        at: 0,
        line: 1,
    };
    let mut element = |raw: &RawValue| {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let line = lines.at(offset);
        let value = serde_json::from_str(raw.get()).map_err(|e| e.to_string());
        (line, value)
    };
    let id_path = input
        .columns
        .column(Field::AppointmentId)
        .unwrap_or_default();
    let rows: Vec<(u64, Result<Value, String>)> = if let Some(path) = &input.records {
        let rows = records_at(&text, path)?
            .into_iter()
            .map(&mut element)
            .collect();
        unique_rows(rows)
    } else if text.trim_start().starts_with('[') {
        let elements: Vec<&RawValue> = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("not a valid JSON array: {e}"))?;
        unique_rows(elements.into_iter().map(&mut element).collect())
    } else {
        if let Some(e) = wrapped(&text, id_path) {
            return Err(e);
        }
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let value = serde_json::from_str(l).map_err(|e| format!("not valid JSON: {e}"));
                (i as u64 + 1, value)
            })
            .collect()
    };

    // What the first objects hold, for a message that lists every path a mapping could use.
    let mut found = Vec::new();
    for (_, value) in rows.iter().take(10) {
        if let Ok(v) = value {
            leaf_paths(v, "", &mut found);
        }
    }

    let slots = input.columns.slots();
    let mut seen = vec![false; slots.len()];
    let mut records = Vec::with_capacity(rows.len());
    for (row, value) in rows {
        let mut raw = RawRecord::new(row);
        match value {
            Ok(object @ Value::Object(_)) => {
                for (i, (field, path)) in slots.iter().enumerate() {
                    let Some(found) = lookup(&object, path) else {
                        continue;
                    };
                    seen[i] = true;
                    match scalar(found, *field) {
                        Ok(Some(v)) => raw.push(*field, &v),
                        Ok(None) => {}
                        Err(kind) => {
                            raw.problem.get_or_insert(format!(
                                "`{path}` is {kind}, expected text or a number"
                            ));
                        }
                    }
                }
            }
            Ok(_) => raw.problem = Some("the entry is not a JSON object".to_string()),
            Err(e) => raw.problem = Some(e),
        }
        records.push(raw);
    }

    // A mapped path that no record has is a mapping mistake, not a column of blanks (unless a
    // preset guessed it: it is then ignored).
    let resolved = if records.is_empty() {
        Resolved {
            columns: input.columns.clone(),
            ignored: Vec::new(),
        }
    } else {
        let seen_path = |c: &str| slots.iter().zip(&seen).any(|((_, p), s)| *s && p == c);
        input
            .columns
            .resolve(seen_path)
            .map_err(|missing| missing_columns(&missing, &found, "key"))?
    };
    let unread_opt_outs =
        super::opt_out_columns::unread(found.iter().map(String::as_str), &resolved.columns);
    Ok(Export {
        records,
        columns: resolved.columns,
        ignored: resolved.ignored,
        unread_opt_outs,
    })
}

/// A list's rows, numbered so that no two share a number. Each is numbered by the line its object
/// starts on, so the office finds it in an editor; but a list with several appointments on one
/// line (a minified array, as many practice-management APIs and export tools write it) would
/// give them one number, and everything keyed by row (the results' order, the preview's
/// patients, `outcomes`) would merge or lose them. Such a list's rows are numbered by their
/// place in it instead (the first appointment is row 1), and the log says so once.
fn unique_rows<T>(mut rows: Vec<(u64, T)>) -> Vec<(u64, T)> {
    // The elements come in order, so a line that holds two of them holds neighbours.
    let shared = rows.windows(2).any(|pair| pair[0].0 == pair[1].0);
    if shared {
        for (place, (row, _)) in rows.iter_mut().enumerate() {
            *row = place as u64 + 1;
        }
        tracing::info!(
            "the file puts several appointments on one line: rows are numbered by their place \
             in the list (row 1 is the first appointment, row 2 the second), not by line"
        );
    }
    rows
}

/// The list `[input] records` points at (`"data.appointments"`), each element borrowed from
/// `text` so its line can be told.
fn records_at<'a>(text: &'a str, path: &str) -> anyhow::Result<Vec<&'a RawValue>> {
    let mut current: &RawValue =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("not valid JSON: {e}"))?;
    for key in path.split('.') {
        let object: BTreeMap<String, &RawValue> =
            serde_json::from_str(current.get()).map_err(|_| {
                anyhow::anyhow!(
                    "[input] records = \"{path}\": the value before `{key}` is not a JSON object"
                )
            })?;
        current = match object.get(key) {
            Some(v) => v,
            None => anyhow::bail!(
                "[input] records = \"{path}\": there is no key `{key}`; keys there: {}",
                object.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
    }
    serde_json::from_str(current.get())
        .map_err(|_| anyhow::anyhow!("[input] records = \"{path}\" is not a list of appointments"))
}

/// The error for a file that is one JSON object wrapping the list (`{"appointments": [...]}`),
/// naming its keys and the list it probably means. `None` when the text is not one object, or
/// is one appointment (JSON Lines with a single line).
fn wrapped(text: &str, id_path: &str) -> Option<anyhow::Error> {
    let object: Value = serde_json::from_str(text).ok()?;
    if !object.is_object() || lookup(&object, id_path).is_some() {
        return None;
    }
    let keys = object
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let hint = match list_of_objects(&object, "", 3) {
        Some(path) => format!(
            "`{path}` holds a list of objects: if those are the appointments, set [input] \
             records = \"{path}\""
        ),
        None => "set [input] records to the dotted path of the list of appointments".to_string(),
    };
    Some(anyhow::anyhow!(
        "the file holds one JSON object, not a list of appointments; its keys: {keys}. {hint}"
    ))
}

/// The dotted path of the first list of objects within `depth` levels.
fn list_of_objects(value: &Value, prefix: &str, depth: u32) -> Option<String> {
    let object = value.as_object()?;
    for (key, v) in object {
        let path = join(prefix, key);
        if v.as_array()
            .and_then(|a| a.first())
            .is_some_and(Value::is_object)
        {
            return Some(path);
        }
    }
    if depth > 1 {
        for (key, v) in object {
            if let Some(p) = list_of_objects(v, &join(prefix, key), depth - 1) {
                return Some(p);
            }
        }
    }
    None
}

/// Every dotted path to a non-object value (nested objects are walked), in first-seen order.
fn leaf_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, v) in object {
        let path = join(prefix, key);
        match v {
            Value::Object(o) if !o.is_empty() => leaf_paths(v, &path, out),
            _ if !out.contains(&path) => out.push(path),
            _ => {}
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    match prefix {
        "" => key.to_string(),
        p => format!("{p}.{key}"),
    }
}

/// Follows a dotted path; a key that itself contains dots is matched first.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = value.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The text of a scalar value; `Err` names the kind of a value `field` cannot hold. A whole
/// number written as a float (`5003.0`, as pandas writes a column with blanks) is the number
/// (`5003`): an id written one way one night and the other way the next is one appointment.
/// An id cannot be `true` or `false`.
fn scalar(value: &Value, field: Field) -> Result<Option<String>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(number_text(n))),
        Value::Bool(_) if matches!(field, Field::AppointmentId | Field::PatientId) => {
            Err("true or false")
        }
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) => Err("a list"),
        Value::Object(_) => Err("an object"),
    }
}

/// A JSON number as text: a whole number without a fraction, whatever its spelling.
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        // Exactly whole and within f64's exact integers: no digit is guessed.
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            format!("{f:.0}")
        }
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{unique_rows, Lines};

    /// Lines that tell the rows apart are kept; one line shared by two appointments anywhere
    /// numbers the whole list by place, so no number means two things in one file.
    #[test]
    fn rows_are_numbered_by_place_only_when_a_line_holds_two() {
        let numbers = |lines: &[u64]| -> Vec<u64> {
            let rows = lines.iter().map(|l| (*l, ())).collect();
            unique_rows(rows).into_iter().map(|(n, ())| n).collect()
        };
        assert_eq!(numbers(&[2, 4, 5]), [2, 4, 5]);
        assert_eq!(numbers(&[1, 1, 1]), [1, 2, 3]);
        assert_eq!(numbers(&[2, 3, 3, 7]), [1, 2, 3, 4]);
        assert_eq!(numbers(&[1]), [1]);
        assert_eq!(numbers(&[]), Vec::<u64>::new());
    }

    /// Each place's line, asked in order (as an array's elements come) or not.
    #[test]
    fn a_place_is_on_the_line_counted_from_the_start() {
        let text = "[\n {\"a\": 1},\n\n {\"a\": 2},\n {\"a\": 3}\n]";
        let places: Vec<usize> = text.match_indices('{').map(|(i, _)| i).collect();
        let mut lines = Lines {
            text,
            at: 0,
            line: 1,
        };
        let got: Vec<u64> = places.iter().map(|p| lines.at(*p)).collect();
        assert_eq!(got, [2, 4, 5]);
        assert_eq!(lines.at(places[0]), 2, "a place before the last one asked");
        assert_eq!(lines.at(places[2]), 5);
        assert_eq!(lines.at(0), 1);
    }
}
