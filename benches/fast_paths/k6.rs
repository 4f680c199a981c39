//! k6 NDJSON contenders: the hand-written line scanner (with its survey) beside memmem + serde_json
//! (the reader's own fallback) and memmem + sonic-rs, and the whole reader with the scanner and
//! with serde alone.

use perfassist::bench_api::k6;

use super::{Contender, Group, results_sum};

const USED: [&str; 3] = ["http_req_duration", "http_req_failed", "dropped_iterations"];

/// What every line reader reports of a line: its value and endpoint length, when it is a Point
/// of a used metric.
fn line_sum(kind: &str, metric: &str, value: Option<f64>, endpoint: Option<&str>) -> f64 {
    if kind != "Point" || !USED.contains(&metric) {
        return 0.0;
    }
    value.unwrap_or(-1.0) + endpoint.map_or(0, str::len) as f64
}

/// Trimmed, non-empty lines of `data`, as (start, end).
pub fn lines(data: &[u8]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', data).chain([data.len()]) {
        let mut end = nl;
        while end > start && data[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end > start {
            out.push((start as u32, end as u32));
        }
        start = nl + 1;
    }
    out
}

pub fn groups<'a>(data: &'a [u8], lines: &'a [(u32, u32)]) -> Vec<Group<'a>> {
    let whole = "k6 whole read";
    let line = move |(f, t): (u32, u32)| &data[f as usize..t as usize];
    let mut out = Vec::new();
    out.push(Group::new(
        whole,
        data.len(),
        None,
        vec![
            Contender::reader("reader with scanner (one thread)", move || {
                results_sum(k6::read(data, true))
            }),
            Contender::other("reader, memmem + serde_json only", move || {
                results_sum(k6::read(data, false))
            }),
        ],
    ));
    let scanner = k6::LineReader::new(true);
    let serde_lines = k6::LineReader::new(false);
    let finders = USED.map(|n| memchr::memmem::Finder::new(n.as_bytes()));
    out.push(Group::new(
        "k6 line reading (survey + scanner vs skip + parse)",
        data.len(),
        Some(whole),
        vec![
            Contender::reader("reader: survey + scan.rs (hand-written)", move || {
                let mut sum = 0.0;
                for &l in lines {
                    sum += scanner
                        .line(line(l), |p| line_sum(p.kind, p.metric, p.value, p.endpoint))
                        .unwrap_or(0.0);
                }
                sum.to_bits()
            }),
            Contender::other("memmem + serde_json borrowed (reader's own)", move || {
                let mut sum = 0.0;
                for &l in lines {
                    sum += serde_lines
                        .line(line(l), |p| line_sum(p.kind, p.metric, p.value, p.endpoint))
                        .unwrap_or(0.0);
                }
                sum.to_bits()
            }),
            Contender::other("memmem + sonic-rs borrowed", move || {
                let mut sum = 0.0;
                for &l in lines {
                    let b = line(l);
                    if !finders.iter().any(|f| f.find(b).is_some()) {
                        continue;
                    }
                    let Ok(p) = sonic_rs::from_slice::<k6::Line>(b) else {
                        continue;
                    };
                    let f = p.fields();
                    sum += line_sum(f.kind, f.metric, f.value, f.endpoint);
                }
                sum.to_bits()
            }),
        ],
    ));
    out
}
