//! Reading a profile document's fields by type, with the bounds no real profile reaches. Each
//! bad field becomes a diagnostic naming its path, and reading goes on, so `read` can check
//! every rule and report every problem at once.

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, show};
use crate::units::parse_duration_s;

/// Upper bounds no real profile reaches. Past them a value is a typo or an attack, and the
/// arithmetic of planning (rates times factors, durations times rates) would overflow into
/// infinities that no runner script can hold.
pub const MAX_RPS: f64 = 10_000_000.0;
pub const MAX_BURST_FACTOR: f64 = 100.0;
pub const MAX_LATENCY_MS: f64 = 86_400_000.0;
pub const MAX_THINK_TIME_MS: f64 = 3_600_000.0;
pub const MAX_WEIGHT: f64 = 1_000_000.0;
pub const MAX_DURATION_S: u64 = 30 * 24 * 3600;

/// Reads typed fields from a profile document, collecting a diagnostic for each bad one.
pub(super) struct Reader {
    pub diags: Vec<Diagnostic>,
}

impl Reader {
    pub fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(
                    Diagnostic::error(path, "expected a mapping of keys to values")
                        .value(show(other)),
                );
                None
            }
        }
    }

    pub fn number(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<f64> {
        let field = join(path, key);
        match m.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::Null => None,
            other => {
                self.err(Diagnostic::error(field, "expected a number").value(show(other)));
                None
            }
        }
    }

    pub fn string(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match m.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Number(n) => Some(n.to_string()),
            other => {
                self.err(Diagnostic::error(join(path, key), "expected text").value(show(other)));
                None
            }
        }
    }

    pub fn boolean(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        match m.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                self.err(
                    Diagnostic::error(join(path, key), "expected true or false").value(show(other)),
                );
                None
            }
        }
    }

    pub fn duration(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<u64> {
        let field = join(path, key);
        let v = m.get(key)?;
        let parsed = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => parse_duration_s(s),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(0) | None => {
                self.err(
                    Diagnostic::error(field, "expected a positive duration")
                        .value(show(v))
                        .hint("write seconds or a duration such as 90s, 15m, 4h"),
                );
                None
            }
            Some(s) if s > MAX_DURATION_S => {
                self.err(
                    Diagnostic::error(field, "longer than any load test: at most 30 days")
                        .value(show(v)),
                );
                None
            }
            Some(s) => Some(s),
        }
    }
}

pub(super) fn too_large(field: &str, v: f64, max: f64, unit: &str) -> Diagnostic {
    Diagnostic::error(
        field,
        format!("larger than any real load: at most {max} {unit}")
            .trim_end()
            .to_string(),
    )
    // 1e308 printed in full would be 309 digits long.
    .value(if v.abs() >= 1e9 {
        format!("{v:e}")
    } else {
        v.to_string()
    })
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
