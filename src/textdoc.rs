//! Reading and writing structured text (YAML and JSON) for the whole crate.
//! serde_yaml 0.9 is unmaintained upstream, so every YAML call goes through this file: swapping in
//! a maintained fork means changing these functions only.

use serde::Serialize;
use serde_json::Value;

/// The syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// Chooses the syntax from the file name, falling back to the content: a document whose first
    /// non-blank character opens a JSON object or array is read as JSON (YAML accepts it too, but
    /// serde_json gives better error positions for JSON).
    pub fn detect(name: &str, text: &str) -> Syntax {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Syntax::Json;
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            return Syntax::Yaml;
        }
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('{') | Some('[') => Syntax::Json,
            _ => Syntax::Yaml,
        }
    }
}

/// A syntax error with the position the parser reported (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parses a YAML or JSON document into a JSON value tree, which the rest of the crate walks.
pub fn parse(text: &str, syntax: Syntax) -> Result<Value, SyntaxError> {
    let text = text.trim_start_matches('\u{feff}');
    match syntax {
        Syntax::Json => serde_json::from_str(text).map_err(|e| SyntaxError {
            message: strip_position(&e.to_string()),
            line: Some(e.line()),
            column: Some(e.column()),
        }),
        Syntax::Yaml => parse_yaml(text),
    }
}

/// The one place serde_yaml parses anything.
fn parse_yaml(text: &str) -> Result<Value, SyntaxError> {
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        let loc = e.location();
        SyntaxError {
            message: strip_position(&e.to_string()),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
        }
    })
}

/// The one place serde_yaml writes anything.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}

/// Both parsers append " at line L column C" to their messages; we report the position separately.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_has_position() {
        let err = parse("{\n  \"a\": 1,\n  \"b\": }\n", Syntax::Json).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.column.is_some());
        assert!(!err.message.contains("at line"));
    }

    #[test]
    fn yaml_error_has_position() {
        let err = parse("a: 1\nb: [1, 2\n", Syntax::Yaml).unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }

    #[test]
    fn detects_syntax_from_name_then_content() {
        assert_eq!(Syntax::detect("x.json", "a: 1"), Syntax::Json);
        assert_eq!(Syntax::detect("x.yml", "{}"), Syntax::Yaml);
        assert_eq!(Syntax::detect("x", "  {\"a\":1}"), Syntax::Json);
        assert_eq!(Syntax::detect("x", "a: 1"), Syntax::Yaml);
    }
}
