//! Reading and writing structured text (YAML and JSON) for the whole crate.
//! serde_yaml 0.9 is unmaintained upstream, so every YAML call goes through this file: swapping in
//! a maintained fork means changing these functions only.

use std::cell::Cell;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Visitor};
use serde_json::Value;

use crate::locate::{self, MAX_DEPTH, ShapeError};

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

impl SyntaxError {
    fn at(message: impl Into<String>, line: usize, column: usize) -> Self {
        SyntaxError {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

/// The text of a file's bytes: UTF-8, without a byte-order mark. Invalid bytes are an error at
/// their line and column, never replaced silently.
pub fn decode(bytes: &[u8]) -> Result<&str, SyntaxError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, as editors show them.
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        SyntaxError::at(
            format!(
                "not UTF-8 text: byte 0x{:02x} at offset {} is not valid UTF-8",
                bytes[e.valid_up_to()],
                e.valid_up_to()
            ),
            line,
            column,
        )
    })
}

/// Parses a YAML or JSON document into a JSON value tree, which the rest of the crate walks.
/// Strict where the parsers are lenient: an empty document, nesting beyond `MAX_DEPTH`, a key
/// given twice in one mapping, and a number that is not finite are all errors at their position.
pub fn parse(text: &str, syntax: Syntax) -> Result<Value, SyntaxError> {
    let text = text.trim_start_matches('\u{feff}');
    if is_blank(text, syntax) {
        return Err(SyntaxError {
            message: match syntax {
                Syntax::Json => "the file is empty".into(),
                Syntax::Yaml => "the file is empty (nothing but blank lines and comments)".into(),
            },
            line: None,
            column: None,
        });
    }
    match syntax {
        Syntax::Json => parse_json(text),
        Syntax::Yaml => parse_yaml(text),
    }
}

/// Parses a JSON document with the checks of `parse`. The runner readers use it for every JSON
/// file they read whole.
pub fn parse_json(text: &str) -> Result<Value, SyntaxError> {
    let budget = Budget::for_text(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict::new(&budget)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| SyntaxError {
        message: strip_position(&e.to_string()),
        line: Some(e.line()),
        column: Some(e.column()),
    })
}

fn is_blank(text: &str, syntax: Syntax) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || (syntax == Syntax::Yaml && (l.starts_with('#') || l == "---"))
    })
}

/// The one place serde_yaml parses anything.
fn parse_yaml(text: &str) -> Result<Value, SyntaxError> {
    // Checked before serde_yaml sees the text: its recursion limit stops deep documents, but
    // the positions of later diagnostics come from another parser that must not see them either.
    locate::check(text).map_err(|e| match e {
        ShapeError::TooDeep { at } => SyntaxError::at(too_deep(), at.line, at.column),
        ShapeError::DuplicateKey {
            path,
            key,
            at,
            first,
        } => SyntaxError::at(
            format!(
                "duplicate key `{key}`{}: it is also set at line {}; give each key once",
                if path.is_empty() {
                    String::new()
                } else {
                    format!(" in `{path}`")
                },
                first.line
            ),
            at.line,
            at.column,
        ),
    })?;
    let budget = Budget::for_text(text);
    Strict::new(&budget)
        .deserialize(serde_yaml::Deserializer::from_str(text))
        .map_err(|e| {
            let loc = e.location();
            let (message, start) = where_it_began(&strip_path(&e.to_string()));
            SyntaxError {
                message,
                line: start.map(|s| s.0).or(loc.as_ref().map(|l| l.line())),
                column: start.map(|s| s.1).or(loc.as_ref().map(|l| l.column())),
            }
        })
}

fn too_deep() -> String {
    format!(
        "nested deeper than {MAX_DEPTH} levels; profiles and summaries nest a few levels, so this is not one"
    )
}

/// serde_yaml prefixes a message from inside a document with the field path (`slo.x: ...`);
/// diagnostics show the position instead.
fn strip_path(message: &str) -> String {
    match message.split_once(": ") {
        Some((path, rest))
            if !path.contains(' ') && !path.is_empty() && !message.starts_with("found ") =>
        {
            rest.to_string()
        }
        _ => message.to_string(),
    }
}

/// libyaml reports where it gave up (often the end of the file) and, after "while ...", where
/// the construct it was reading began: an unclosed quote or bracket. The beginning is where the
/// user has to look, so that becomes the position.
fn where_it_began(message: &str) -> (String, Option<(usize, usize)>) {
    let Some((problem, context)) = message.split_once(", while ") else {
        return (strip_position(message), None);
    };
    let (what, pos) = match context.rsplit_once(" at line ") {
        Some((what, pos)) => (what, pos),
        None => return (strip_position(message), None),
    };
    let mut nums = pos
        .split(" column ")
        .map(|n| n.trim().parse::<usize>().ok());
    match (nums.next().flatten(), nums.next().flatten()) {
        (Some(line), Some(column)) => (
            format!("{} while {what} that starts here", strip_position(problem)),
            Some((line, column)),
        ),
        _ => (strip_position(message), None),
    }
}

/// Nodes a document may build, in proportion to its length: without aliases every node takes
/// at least a character of text, so only alias expansion (a "billion laughs" file) can exceed it.
struct Budget {
    left: Cell<usize>,
}

impl Budget {
    fn for_text(text: &str) -> Budget {
        Budget {
            left: Cell::new(text.len() + 1024),
        }
    }

    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(n) => {
                self.left.set(n);
                Ok(())
            }
            None => Err(E::custom(
                "the document expands to far more values than it has text (YAML aliases repeated over and over?)",
            )),
        }
    }
}

/// Builds a `Value` as serde_json's own visitor would, refusing repeated keys, numbers that are
/// not finite and nesting beyond `MAX_DEPTH` at the point the parser has reached.
#[derive(Clone, Copy)]
struct Strict<'b> {
    depth: usize,
    budget: &'b Budget,
}

impl<'b> Strict<'b> {
    fn new(budget: &'b Budget) -> Self {
        Strict { depth: 0, budget }
    }

    fn deeper<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(too_deep()));
        }
        Ok(Strict {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn finite<E: de::Error>(v: f64) -> Result<Value, E> {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| E::custom(format!("{v} is not a finite number")))
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.budget.take()?;
        finite(v as f64)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.budget.take()?;
        finite(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.budget.take()?;
        finite(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::String(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.budget.take()?;
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.visit_none()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.take()?;
        let inner = self.deeper()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.take()?;
        let inner = self.deeper()?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}`: give each key once"
                )));
            }
            let value = map.next_value_seed(inner)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A mapping key as text. YAML allows numbers and booleans as keys (`200: 5`); they are kept
/// as the text JSON would use.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key written as text, a number or true/false")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
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

    #[test]
    fn empty_documents_say_so() {
        for (text, syntax) in [
            ("", Syntax::Yaml),
            ("\n# only a comment\n---\n", Syntax::Yaml),
            (" \n", Syntax::Json),
        ] {
            let e = parse(text, syntax).unwrap_err();
            assert!(e.message.starts_with("the file is empty"), "{e:?}");
        }
    }

    #[test]
    fn repeated_keys_are_errors_where_the_second_one_stands() {
        let e = parse("a: 1\nb:\n  c: 2\n  c: 3\n", Syntax::Yaml).unwrap_err();
        assert_eq!((e.line, e.column), (Some(4), Some(3)), "{e:?}");
        assert!(e.message.contains("duplicate key `c` in `b`"), "{e:?}");
        assert!(e.message.contains("line 3"), "{e:?}");
        let e = parse("{\"error_rate\": 0.1,\n \"error_rate\": 0.2}", Syntax::Json).unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
        assert!(e.message.contains("duplicate key `error_rate`"), "{e:?}");
    }

    #[test]
    fn numbers_that_are_not_finite_are_refused() {
        for v in [".nan", ".inf", "-.inf", ".NaN"] {
            let e = parse(&format!("traffic:\n  peak_rps: {v}\n"), Syntax::Yaml).unwrap_err();
            assert_eq!(e.line, Some(2), "{v}: {e:?}");
            assert!(e.message.contains("not a finite number"), "{v}: {e:?}");
        }
        let e = parse("{\"p95_ms\": 1e999}", Syntax::Json).unwrap_err();
        assert!(e.message.contains("out of range"), "{e:?}");
    }

    #[test]
    fn deep_documents_are_refused_before_any_recursion() {
        let yaml = format!("service: x\nsummary:\n{}x\n", "- ".repeat(30_000));
        let e = parse(&yaml, Syntax::Yaml).unwrap_err();
        assert!(e.message.contains("nested deeper than 64 levels"), "{e:?}");
        assert_eq!(e.line, Some(3));
        let json = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&json, Syntax::Json).unwrap_err();
        assert!(e.message.contains("nested deeper than 64 levels"), "{e:?}");
        assert_eq!((e.line, e.column), (Some(1), Some(65)));
    }

    #[test]
    fn alias_bombs_are_refused_in_proportion_to_the_text() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = (b'a' + i - 1) as char;
            let name = (b'a' + i) as char;
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let e = parse(&text, Syntax::Yaml).unwrap_err();
        assert!(e.message.contains("expands to far more values"), "{e:?}");
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opens() {
        let text = "service: a\nslo:\n  error_rate: 0.01\nsummary: 'never closed\ntraffic:\n  peak_rps: 5\n\n";
        let e = parse(text, Syntax::Yaml).unwrap_err();
        assert_eq!((e.line, e.column), (Some(4), Some(10)), "{e:?}");
        assert!(
            e.message.contains("quoted scalar that starts here"),
            "{e:?}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_at_its_line_and_column() {
        let e = decode(b"service: a\nsummary: caf\xe9 au lait\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(13)), "{e:?}");
        assert!(e.message.contains("0xe9"), "{e:?}");
        assert_eq!(decode(b"\xef\xbb\xbfa: 1").unwrap(), "a: 1");
    }

    #[test]
    fn numeric_keys_stay_readable() {
        let v = parse("codes:\n  200: 5\n  true: 1\n", Syntax::Yaml).unwrap();
        assert_eq!(v["codes"]["200"], 5);
        assert_eq!(v["codes"]["true"], 1);
    }
}
