//! The keys a profile may contain, per mapping, so unknown keys can be reported with the closest
//! known one (a typo such as `p59` or `peak_rsp` must never be silently ignored).

use serde_json::{Map, Value};

use crate::diag::Diagnostic;

pub const KNOWN_HTTP_METHODS: [&str; 7] =
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

pub const TOP: &[&str] = &[
    "service",
    "summary",
    "traffic",
    "slo",
    "endpoints",
    "dependencies",
    "data",
    "target",
    "test_window",
];
pub const TRAFFIC: &[&str] = &["baseline_rps", "peak_rps", "burst_factor", "think_time_ms"];
pub const SLO: &[&str] = &["latency_ms", "error_rate"];
pub const LATENCY: &[&str] = &["p50", "p90", "p95", "p99", "p99.9", "p999"];
pub const ENDPOINT: &[&str] = &["path", "method", "critical", "weight", "name", "slo"];
pub const DATA: &[&str] = &["uses_production_data", "notes"];
pub const TARGET: &[&str] = &["base_url"];
pub const WINDOWS: &[&str] = &["smoke", "steady_hold", "spike", "soak"];
pub const DEPENDENCY: &[&str] = &["name"];

/// Warns about every key of `map` not in `known`, suggesting the closest known key.
pub fn unknown_keys(
    map: &Map<String, Value>,
    known: &[&str],
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    for key in map.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let mut d = Diagnostic::warning(field, "unknown key, ignored");
        d = match closest(key, known) {
            Some(k) => d.hint(format!("did you mean `{k}`?")),
            None => d.hint(format!("known keys here: {}", known.join(", "))),
        };
        out.push(d);
    }
}

/// The known key nearest to `key` by edit distance (transpositions count once), if any is close.
pub fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    let sorted = |s: &str| {
        let mut c: Vec<char> = s.chars().collect();
        c.sort_unstable();
        c
    };
    // On a tie, prefer a key with the same letters (a transposition such as p59 → p95).
    known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&lower, k),
                sorted(k) != sorted(&lower),
                *k,
            )
        })
        .filter(|(d, _, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, anagram_miss, _)| (*d, *anagram_miss))
        .map(|(_, _, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        assert_eq!(closest("p59", LATENCY), Some("p95"));
        assert_eq!(closest("peak_rsp", TRAFFIC), Some("peak_rps"));
        assert_eq!(closest("baseline", TRAFFIC), None);
        assert_eq!(closest("Endpoints", TOP), Some("endpoints"));
        assert_eq!(closest("zzzzzz", TOP), None);
    }
}
