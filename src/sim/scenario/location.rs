//! Turning byte offsets in a scenario file into the line, column and field a person can fix.

use super::super::error::ScenarioError;

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The table a byte offset sits in, as `groups[1]` for the second `[[groups]]`, or `""`
/// at the top level.
fn table_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let mut current = String::new();
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|s| s.split("]]").next())
        {
            let name = name.trim().trim_end_matches(']').trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.split(']').next()) {
            current = name.trim().trim_end_matches(']').trim().to_string();
        }
        pos += line.len();
    }
    current
}

/// The key written on the line that holds `offset` (`key = value`), if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// Joins a table path and a key: `groups[1]` + `consumers` = `groups[1].consumers`.
pub(crate) fn join_path(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The first name quoted in backticks in a serde message (`unknown field `x``).
fn quoted_name(message: &str, after: &str) -> Option<String> {
    let rest = &message[message.find(after)? + after.len()..];
    let rest = rest.strip_prefix('`')?;
    Some(rest[..rest.find('`')?].to_string())
}

/// An error at byte `offset` about `field`.
pub(crate) fn error_at(
    origin: &str,
    text: &str,
    offset: usize,
    field: String,
    message: impl Into<String>,
) -> ScenarioError {
    let (line, column) = line_col(text, offset);
    ScenarioError {
        origin: origin.to_string(),
        line,
        column,
        field,
        message: message.into(),
    }
}

/// Locates a TOML or serde error from the parser.
pub(crate) fn from_toml(origin: &str, text: &str, err: &toml::de::Error) -> ScenarioError {
    let message = err.message().trim().to_string();
    let offset = err.span().map_or(0, |s| s.start);
    let table = table_at(text, offset);
    let field = if let Some(name) = quoted_name(&message, "unknown field ") {
        join_path(&table, &name)
    } else if let Some(name) = quoted_name(&message, "missing field ") {
        join_path(&table, &name)
    } else if let Some(key) = key_on_line(text, offset) {
        join_path(&table, &key)
    } else if table.is_empty() {
        "(document)".to_string()
    } else {
        table
    };
    error_at(origin, text, offset, field, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 11), (2, 6));
    }

    #[test]
    fn tables_of_arrays_are_numbered() {
        let text = "name = \"x\"\n[[groups]]\nname = \"a\"\n[[groups]]\nname = \"b\"\n";
        let off = text.rfind("name").unwrap();
        assert_eq!(table_at(text, off), "groups[1]");
        assert_eq!(key_on_line(text, off + 8).as_deref(), Some("name"));
        assert_eq!(table_at(text, 0), "");
    }
}
