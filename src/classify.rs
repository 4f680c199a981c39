//! What an input is — a service profile, a results file (streamed or read whole) or a runner's
//! companion file — decided once, for the CLI and the daemon, from its name and its first bytes,
//! whatever its size and whether or not it starts with a byte-order mark. Pure: the caller reads
//! the head.

use serde_json::Value;

use crate::{profile, results, textdoc};

/// Bytes of a file's start that classification looks at.
pub const HEAD_LEN: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Profile,
    Results,
    /// A file a runner writes beside its main results file (Locust's `X_failures.csv`): the main
    /// file, named here, is judged instead.
    Companion {
        main: String,
    },
}

/// Classifies a file named `name` whose first bytes are `head`; `whole` says that `head` is the
/// entire file. YAML names are profiles (no runner writes YAML results). A JSON object is a
/// profile when it names a `service` and carries a profile section (`traffic`, `slo` or
/// `endpoints`) and nothing a results file has; everything else is offered to the results readers.
pub fn classify(name: &str, head: &[u8], whole: bool) -> Kind {
    if let Some(main) = results::companion_of(name) {
        return Kind::Companion { main };
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return Kind::Profile;
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let opens_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if !(lower.ends_with(".json") || opens_object) {
        return Kind::Results;
    }
    if whole && let Ok(value) = std::str::from_utf8(body).map(textdoc::parse_json) {
        return match value {
            Ok(v) if profile::looks_like_profile(&v) && !results::looks_like_results(&v) => {
                Kind::Profile
            }
            Ok(_) => Kind::Results,
            // A broken document is judged by the keys before the break, so that a profile with a
            // typo is reported as a profile, not as an unknown results format.
            Err(_) => by_keys(body),
        };
    }
    by_keys(body)
}

/// Whether a results file named `name` that starts with `head` is a raw-sample stream (JTL, k6
/// NDJSON, ...): the kind a runner appends to while its run goes on. Which format it is, is
/// `results::sniff`'s to say.
pub fn is_raw_sample_stream(name: &str, head: &[u8]) -> bool {
    results::sniff::sniff(name, head).is_stream()
}

/// Profile or results from the top-level keys found in `head` (which may end mid-document).
fn by_keys(head: &[u8]) -> Kind {
    let keys = top_level_keys(head);
    let object: serde_json::Map<String, Value> =
        keys.into_iter().map(|k| (k, Value::Null)).collect();
    let shape = Value::Object(object);
    if profile::looks_like_profile(&shape) && !results::looks_like_results(&shape) {
        Kind::Profile
    } else {
        Kind::Results
    }
}

/// The keys of a JSON object's top level, as far as `text` goes. Values are skipped without
/// recursion (a bracket counter), so any nesting and any length costs constant stack.
pub fn top_level_keys(text: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut i = skip_ws(text, 0);
    if text.get(i) != Some(&b'{') {
        return keys;
    }
    i += 1;
    loop {
        i = skip_ws(text, i);
        match text.get(i) {
            Some(b'"') => {}
            _ => return keys,
        }
        let Some((key, after)) = string_at(text, i) else {
            return keys;
        };
        i = skip_ws(text, after);
        if text.get(i) != Some(&b':') {
            return keys;
        }
        keys.push(key);
        let Some(after) = skip_value(text, i + 1) else {
            return keys;
        };
        i = skip_ws(text, after);
        match text.get(i) {
            Some(b',') => i += 1,
            _ => return keys,
        }
    }
}

fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The string starting with the quote at `i`, unescaped by serde_json, and the index after it.
fn string_at(text: &[u8], i: usize) -> Option<(String, usize)> {
    let mut j = i + 1;
    while j < text.len() {
        match text[j] {
            b'\\' => j += 2,
            b'"' => {
                let raw = std::str::from_utf8(&text[i..=j]).ok()?;
                let s = serde_json::from_str::<String>(raw).ok()?;
                return Some((s, j + 1));
            }
            _ => j += 1,
        }
    }
    None
}

/// The index after the value starting at or after `i`, or `None` when the text ends first.
fn skip_value(text: &[u8], i: usize) -> Option<usize> {
    let mut i = skip_ws(text, i);
    let mut depth = 0usize;
    loop {
        match *text.get(i)? {
            b'"' => {
                i += 1;
                loop {
                    match *text.get(i)? {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                // A closer with nothing open ends the enclosing object: the value was empty.
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                i += 1;
            }
            b',' if depth == 0 => return Some(i),
            _ => i += 1,
        }
        if depth == 0 && matches!(text.get(i.wrapping_sub(1)), Some(b'}' | b']' | b'"')) {
            return Some(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str =
        r#"{"service": "a", "traffic": {"peak_rps": 5, "x": [1, {"y": "}"}]}, "slo": {}}"#;

    #[test]
    fn keys_are_found_past_any_nesting_and_up_to_where_the_text_stops() {
        assert_eq!(
            top_level_keys(PROFILE.as_bytes()),
            ["service", "traffic", "slo"]
        );
        let deep = format!(
            "{{\"service\": \"a\", \"x\": {}1{}, \"slo\": 1}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(top_level_keys(deep.as_bytes()), ["service", "x", "slo"]);
        let cut = &PROFILE.as_bytes()[..40];
        assert_eq!(top_level_keys(cut), ["service", "traffic"]);
        assert_eq!(
            top_level_keys(br#"{"a\"b": 1, "c": "d,e", "f": true}"#),
            ["a\"b", "c", "f"]
        );
        assert!(top_level_keys(b"[1, 2]").is_empty());
    }

    #[test]
    fn size_and_byte_order_marks_never_change_what_a_file_is() {
        let bom = [b"\xef\xbb\xbf".as_slice(), PROFILE.as_bytes()].concat();
        for (head, whole) in [
            (PROFILE.as_bytes(), true),
            (PROFILE.as_bytes(), false),
            (bom.as_slice(), true),
            (bom.as_slice(), false),
        ] {
            assert_eq!(classify("p.json", head, whole), Kind::Profile);
            assert_eq!(classify("p", head, whole), Kind::Profile);
        }
        assert_eq!(classify("big.yaml", b"service: a\n", false), Kind::Profile);
        let summary = br#"{"service": "a", "p95_ms": 3, "error_rate": 0.01}"#;
        assert_eq!(classify("m.json", summary, true), Kind::Results);
        assert_eq!(classify("m.json", summary, false), Kind::Results);
        assert_eq!(
            classify("run.jtl", b"timeStamp,elapsed\n", false),
            Kind::Results
        );
        assert_eq!(
            classify("x_failures.csv", b"Method,Name\n", true),
            Kind::Companion {
                main: "x_stats.csv".into()
            }
        );
    }

    #[test]
    fn raw_sample_streams_are_told_from_summaries() {
        assert!(is_raw_sample_stream(
            "run.jtl",
            b"timeStamp,elapsed,label\n"
        ));
        let k6 = br#"{"type":"Point","metric":"http_req_duration","data":{"value":1}}"#;
        assert!(is_raw_sample_stream("out.json", k6));
        assert!(!is_raw_sample_stream("m.json", br#"{"p95_ms": 3}"#));
        assert!(!is_raw_sample_stream(
            "x_stats.csv",
            b"Type,Name,Request Count\n"
        ));
    }

    #[test]
    fn a_broken_profile_is_still_a_profile() {
        let broken = br#"{"service": "a", "slo": {"p95": }"#;
        assert_eq!(classify("p.json", broken, true), Kind::Profile);
    }
}
