//! JSON exports: an array of objects, or JSON Lines. Mapped names may be dotted paths into
//! nested objects (`patient.firstName`).

use std::io::Read;

use serde_json::value::RawValue;
use serde_json::Value;

use super::{decode, missing_column, InputSettings, RawRecord};

pub(super) fn read<R: Read>(
    mut source: R,
    input: &InputSettings,
) -> anyhow::Result<Vec<RawRecord>> {
    let mut bytes = Vec::new();
    source.read_to_end(&mut bytes)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = decode(body, input.encoding).map_err(|e| anyhow::anyhow!("{e}"))?;

    let rows: Vec<(u64, Result<Value, String>)> = if text.trim_start().starts_with('[') {
        let elements: Vec<&RawValue> = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("not a valid JSON array: {e}"))?;
        elements
            .into_iter()
            .map(|raw| {
                let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
                let line = text[..offset].matches('\n').count() as u64 + 1;
                let value = serde_json::from_str(raw.get()).map_err(|e| e.to_string());
                (line, value)
            })
            .collect()
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let value = serde_json::from_str(l).map_err(|e| format!("not valid JSON: {e}"));
                (i as u64 + 1, value)
            })
            .collect()
    };

    let mut seen = vec![false; input.columns.slots().len()];
    let mut records = Vec::with_capacity(rows.len());
    for (row, value) in rows {
        let mut raw = RawRecord::new(row);
        match value {
            Ok(Value::Object(object)) => {
                let object = Value::Object(object);
                for (i, (field, path)) in input.columns.slots().iter().enumerate() {
                    match lookup(&object, path) {
                        None => {}
                        Some(found) => {
                            seen[i] = true;
                            match scalar(found) {
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
                }
            }
            Ok(_) => raw.problem = Some("the entry is not a JSON object".to_string()),
            Err(e) => raw.problem = Some(e),
        }
        records.push(raw);
    }

    // A mapped path that no record has is a mapping mistake, not a column of blanks.
    if !records.is_empty() {
        if let Some(i) = seen.iter().position(|s| !s) {
            let (field, path) = &input.columns.slots()[i];
            return Err(missing_column(*field, path, &first_keys(&text), "key"));
        }
    }
    Ok(records)
}

/// Follows a dotted path; a key that itself contains dots is matched first.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = value.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The text of a scalar value; `Err` names the kind of a non-scalar.
fn scalar(value: &Value) -> Result<Option<String>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) => Err("a list"),
        Value::Object(_) => Err("an object"),
    }
}

/// The keys of the first object in the file, for the "key not found" message.
fn first_keys(text: &str) -> Vec<String> {
    let first = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Value>>(text)
            .ok()
            .and_then(|v| v.into_iter().next())
    } else {
        text.lines()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str(l).ok())
    };
    match first {
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
