//! The scanner and the parallel parts must give exactly what serde alone gives in one pass: the
//! same results, serialised, or the same errors at the same line and column.

use crate::results::splitmix::Rng;
use std::fmt::Write as _;

use proptest::prelude::*;

use super::read_with;
use crate::results::model::{ResultsError, RunResults};

#[derive(Debug, Clone)]
struct Knobs {
    seed: u64,
    requests: usize,
    /// Largest gap between requests, in ms: wide gaps make many time buckets.
    step: u64,
    names: u64,
    /// Per mille of lines or fields that are odd: escapes, missing fields, bad values...
    odd: u64,
    crlf: bool,
    trailing_newline: bool,
}

fn name(rng: &mut Rng, k: &Knobs) -> String {
    let i = rng.below(k.names);
    match i % 9 {
        0 if rng.chance(k.odd * 20) => format!("say \\\"hi\\\" {i}"),
        1 if rng.chance(k.odd * 20) => format!("caf\\u00e9 {i}"),
        2 => format!("/ünïcode/{i}"),
        // Used metrics' names inside other lines: those lines cannot be skipped unread.
        5 if rng.chance(k.odd * 20) => format!("/http_req_failed/dropped_iterations/{i}"),
        3 => format!("a name long enough to pass sixteen bytes {i}"),
        _ => format!("/item/{i}"),
    }
}

/// Go's RFC 3339 with nanoseconds, in UTC or with an offset.
fn time(rng: &mut Rng, k: &Knobs, ms: u64) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    let base = format!(
        "2024-11-27T{:02}:{:02}:{:02}",
        10 + s / 3600 % 10,
        s / 60 % 60,
        s % 60
    );
    match rng.below(6) {
        _ if rng.chance(k.odd) => "yesterday".to_string(),
        _ if rng.chance(k.odd) => format!("{base}.{frac:03}+0200"),
        0 => format!("{base}.{frac:03}{:06}Z", rng.below(1_000_000)),
        1 => format!("{base}.{frac:03}+02:00"),
        2 => format!("{base}-05:30"),
        _ => format!("{base}.{frac:03}Z"),
    }
}

fn tags(rng: &mut Rng, k: &Knobs) -> String {
    let n = name(rng, k);
    let bad = rng.chance(30);
    let mut t = String::from("{");
    if !rng.chance(k.odd * 5) {
        let expected = if rng.chance(k.odd) {
            "maybe"
        } else if bad {
            "false"
        } else {
            "true"
        };
        write!(t, "\"expected_response\":\"{expected}\",").unwrap();
    }
    t.push_str("\"group\":\"\",");
    if !rng.chance(k.odd * 5) {
        let m = ["GET", "POST", "PUT"][rng.below(3) as usize];
        write!(t, "\"method\":\"{m}\",").unwrap();
    }
    if !rng.chance(k.odd * 5) {
        write!(t, "\"name\":\"{n}\",").unwrap();
    }
    if rng.chance(k.odd) {
        t.push_str("\"name\":\"twice\",");
    }
    if rng.chance(k.odd) {
        t.push_str("\"custom\":7,");
    }
    let status = if bad {
        500 + rng.below(4)
    } else {
        200 + rng.below(2)
    };
    write!(
        t,
        "\"proto\":\"HTTP/1.1\",\"scenario\":\"default\",\"status\":\"{status}\",\"url\":\"http://127.0.0.1:8080{n}\"}}"
    )
    .unwrap();
    t
}

fn value(rng: &mut Rng, k: &Knobs) -> String {
    let v = rng.below(3_000_000) as f64 / 997.0;
    match rng.below(8) {
        _ if rng.chance(k.odd) => "\"slow\"".to_string(),
        _ if rng.chance(k.odd) => format!("-{v}"),
        _ if rng.chance(k.odd) => "null".to_string(),
        _ if rng.chance(k.odd) => "-0".to_string(),
        _ if rng.chance(k.odd) => "1e999".to_string(),
        0 => format!("{}", rng.below(3000)),
        1 => format!("{v:e}"),
        2 => format!("{:.17}", v),
        _ => format!("{v}"),
    }
}

/// One point line, in k6's key order or (now and then) another, possibly spoilt.
fn point(rng: &mut Rng, k: &Knobs, metric: &str, value: &str, time: &str, tags: &str) -> String {
    let data = if rng.chance(k.odd) {
        format!("{{\"value\":{value},\"time\":\"{time}\"}}")
    } else if rng.chance(k.odd) {
        "null".to_string()
    } else {
        format!("{{\"time\":\"{time}\",\"value\":{value},\"tags\":{tags}}}")
    };
    match rng.below(1000) {
        x if x < k.odd => format!("{{\"type\":\"Point\",\"data\":{data},\"metric\":\"{metric}\"}}"),
        x if x < 2 * k.odd => {
            format!("{{ \"metric\": \"{metric}\", \"type\": \"Point\", \"data\": {data} }}")
        }
        x if x < 3 * k.odd => {
            format!("{{\"metric\":\"{metric}\",\"type\":\"Point\",\"data\":{data}")
        }
        x if x < 4 * k.odd => format!(
            "{{\"metric\":\"{metric}\",\"type\":\"Point\",\"data\":{data},\"extra\":[1,{{}}]}}"
        ),
        _ => format!("{{\"metric\":\"{metric}\",\"type\":\"Point\",\"data\":{data}}}"),
    }
}

fn generate(k: &Knobs) -> String {
    let mut rng = Rng(k.seed);
    let nl = if k.crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    out.push_str(r#"{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":["p(95)<500"],"submetrics":null},"metric":"http_req_duration"}"#);
    out.push_str(nl);
    let mut ms = 0u64;
    for _ in 0..k.requests {
        ms += rng.below(k.step);
        // k6 stamps a point when the request ends: some come before earlier ones.
        let at = if rng.chance(50) {
            ms.saturating_sub(rng.below(20_000))
        } else {
            ms
        };
        let t = time(&mut rng, k, at);
        let tags = tags(&mut rng, k);
        let v = value(&mut rng, k);
        let failed = if tags.contains("\"false\"") { "1" } else { "0" };
        let lines = [
            point(&mut rng, k, "http_reqs", "1", &t, &tags),
            point(&mut rng, k, "http_req_duration", &v, &t, &tags),
            point(&mut rng, k, "http_req_failed", failed, &t, &tags),
            point(&mut rng, k, "http_req_waiting", &v, &t, &tags),
        ];
        for l in lines {
            if !rng.chance(k.odd) {
                out.push_str(&l);
                out.push_str(nl);
            }
        }
        if rng.chance(20) {
            let n = if rng.chance(k.odd * 10) { "0.5" } else { "1" };
            out.push_str(&point(&mut rng, k, "dropped_iterations", n, &t, "{}"));
            out.push_str(nl);
        }
        if rng.chance(k.odd) {
            out.push_str(nl); // a blank line
        }
        if rng.chance(k.odd) {
            out.push_str("not json at all");
            out.push_str(nl);
        }
        if rng.chance(k.odd) {
            out.push_str(r#"{"metric":"http_req_duration","type":"Metric","data":{"name":"x"}}"#);
            out.push_str(nl);
        }
    }
    if !k.trailing_newline {
        out.truncate(out.trim_end_matches(['\r', '\n']).len());
    }
    out
}

fn shown(r: &Result<RunResults, ResultsError>) -> String {
    match r {
        Ok(r) => serde_json::to_string(r).unwrap(),
        Err(e) => format!("{:?}", e.diagnostics),
    }
}

/// Reads `bytes` every way; returns how many part counts took the parallel path.
fn check_bytes(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let serde = shown(&read_with("t.json", bytes, false));
    let scanned = shown(&read_with("t.json", bytes, true));
    assert_eq!(serde, scanned, "the scanner differs on:\n{text}");
    let mut parallel = 0;
    for parts in [2, 3, 7] {
        if let Some(r) = crate::results::parts::read_in_order("t.json", bytes, parts) {
            parallel += 1;
            assert_eq!(serde, shown(&r), "{parts} parts differ on:\n{text}");
        }
    }
    parallel
}

fn check(text: &str) -> usize {
    check_bytes(text.as_bytes())
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        any::<u64>(),
        (0usize..200, prop_oneof![Just(40u64), Just(300_000u64)]),
        1u64..300,
        prop_oneof![Just(0u64), 1u64..30, 30u64..150],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(seed, (requests, step), names, odd, crlf, trailing_newline)| Knobs {
                seed,
                requests,
                step,
                names,
                odd,
                crlf,
                trailing_newline,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn every_path_reads_the_same(k in knobs()) {
        check(&generate(&k));
    }
}

#[test]
fn clean_files_take_the_parallel_path_and_agree() {
    // Names times three methods stay within the endpoint cap (200).
    for (names, step) in [(8, 40), (60, 100_000), (66, 40)] {
        let k = Knobs {
            seed: names,
            requests: 2000,
            step,
            names,
            odd: 0,
            crlf: false,
            trailing_newline: true,
        };
        assert_eq!(check(&generate(&k)), 3, "clean file not read in parts");
    }
}

#[test]
fn more_endpoints_than_the_cap_fall_back_and_still_agree() {
    let k = Knobs {
        seed: 3,
        requests: 3000,
        step: 40,
        names: 400,
        odd: 0,
        crlf: true,
        trailing_newline: true,
    };
    check(&generate(&k));
}

#[test]
fn bad_lines_agree_on_line_and_column() {
    let text = "{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"time\":\"2024-05-01T12:00:00Z\",\"value\":1,\"tags\":{}}}\n\
        {\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"value\":\"slow\"}}\n\
        {\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"time\":\"noon\",\"value\":1}}\n\
        {\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"value\":-1}}\n";
    check(text);
    let e = read_with("t.json", text.as_bytes(), true).unwrap_err();
    let at: Vec<_> = e
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.field.clone()))
        .collect();
    assert_eq!(
        at,
        [
            (Some(2), Some(67), "".to_string()),
            (Some(3), None, "data.time".to_string()),
            (Some(4), None, "data.value".to_string())
        ]
    );
}

#[test]
fn invalid_utf8_reads_alike() {
    let mut bytes = Vec::new();
    for i in 0..40u8 {
        let name: &[u8] = if i % 7 == 3 { b"caf\xE9" } else { b"home" };
        bytes.extend_from_slice(format!("{{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{{\"time\":\"2024-05-01T12:00:{:02}Z\",\"value\":{i}.5,\"tags\":{{\"name\":\"", i % 60).as_bytes());
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(b"\"}}}\n");
    }
    check_bytes(&bytes);
}
