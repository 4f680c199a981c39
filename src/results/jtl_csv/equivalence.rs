//! The fast path and the parallel parts must give exactly what the full one-pass reader gives:
//! the same results, serialised, or the same errors at the same line and column.

use crate::results::splitmix::Rng;
use proptest::prelude::*;

use super::read_with;
use crate::results::model::{ResultsError, RunResults};

const JMETER5: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,\
success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";

/// How odd the generated file is.
#[derive(Debug, Clone)]
struct Knobs {
    seed: u64,
    rows: usize,
    /// Largest gap between consecutive starts, in ms: wide gaps make many time buckets.
    step: u64,
    labels: u64,
    codes: u64,
    /// Per mille of cells that are quoted, malformed, missing...
    odd: u64,
    layout: u8,
    crlf: bool,
    trailing_newline: bool,
}

fn cell(text: String) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn label(rng: &mut Rng, k: &Knobs) -> String {
    let i = rng.below(k.labels);
    match i % 11 {
        0 if rng.chance(k.odd * 20) => format!("search, page {i}"),
        1 if rng.chance(k.odd * 20) => format!("say \"hi\" {i}"),
        2 if rng.chance(k.odd * 20) => format!("two\nlines {i}"),
        3 => format!("GET /ünïcode/{i}"),
        4 => format!("a label long enough to pass sixteen bytes {i}"),
        // Same length and outer bytes, told apart only in the middle.
        5 => format!("GET /orders/{:04}/lines/all", i % 10_000),
        _ => format!("GET /item/{i}"),
    }
}

/// One data row in JMeter 5's default columns, possibly spoilt.
fn row(rng: &mut Rng, k: &Knobs, t: &mut u64) -> Vec<String> {
    *t += rng.below(k.step);
    let start = if rng.chance(50) {
        t.saturating_sub(rng.below(20_000))
    } else {
        *t
    };
    let odd = |rng: &mut Rng| rng.chance(k.odd);
    let timestamp = if odd(rng) {
        ["2024/05/01 12:00:00.000", "soon", "", "-5"][rng.below(4) as usize].to_string()
    } else {
        start.to_string()
    };
    let elapsed = if odd(rng) {
        ["12.5", "abc", "", " 7", "99999999999999999999"][rng.below(5) as usize].to_string()
    } else {
        (1 + rng.below(3000)).to_string()
    };
    let code_i = rng.below(k.codes);
    let code = match code_i {
        0 => "other".to_string(),
        1 => String::new(),
        2 => "Non HTTP response code: java.net.ConnectException".to_string(),
        _ => (200 + code_i).to_string(),
    };
    let success = if odd(rng) {
        ["TRUE", "False", "maybe", ""][rng.below(4) as usize].to_string()
    } else {
        (!code_i.is_multiple_of(7)).to_string()
    };
    let message = if rng.chance(k.odd * 5) {
        "Non HTTP response code: x,Non HTTP response message: refused".to_string()
    } else {
        "OK".to_string()
    };
    let threads = if odd(rng) {
        ["", "x", "3.5"][rng.below(3) as usize].to_string()
    } else {
        (1 + rng.below(50)).to_string()
    };
    let mut cells = vec![
        timestamp,
        elapsed,
        label(rng, k),
        code,
        message,
        "Thread Group 1-1".into(),
        "text".into(),
        success,
        String::new(),
        "1200".into(),
        "140".into(),
        "5".into(),
        threads,
        "http://127.0.0.1/x".into(),
        "3".into(),
        "0".into(),
        "1".into(),
    ];
    if odd(rng) {
        let keep = rng.below(cells.len() as u64) as usize;
        cells.truncate(keep);
    } else if odd(rng) {
        cells.push("extra".into());
    }
    cells.into_iter().map(cell).collect()
}

fn generate(k: &Knobs) -> String {
    let mut rng = Rng(k.seed);
    let nl = if k.crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    let (header, pick): (Option<&str>, &[usize]) = match k.layout {
        0 => (Some(JMETER5), &[]),
        1 => (Some("elapsed,label,success"), &[1, 2, 7]),
        2 => (
            Some("timeStamp,elapsed,label,method,responseCode,allThreads"),
            &[0, 1, 2, 5, 3, 12],
        ),
        3 => (
            Some("timeStamp\telapsed\tlabel\tresponseCode"),
            &[0, 1, 2, 3],
        ),
        _ => (None, &[]),
    };
    if let Some(h) = header {
        out.push_str(h);
        out.push_str(nl);
    }
    let delimiter = if k.layout == 3 { "\t" } else { "," };
    let mut t = 1_700_000_000_000u64;
    for _ in 0..k.rows {
        let cells = row(&mut rng, k, &mut t);
        let cells: Vec<String> = if pick.is_empty() {
            cells
        } else {
            // Column 5 of layout 2 is `method`: thread names make a handful of methods.
            pick.iter().filter_map(|&i| cells.get(i).cloned()).collect()
        };
        out.push_str(&cells.join(delimiter));
        out.push_str(nl);
        if rng.chance(k.odd) {
            out.push_str(nl); // a blank line
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

/// Reads `text` every way; returns how many part counts took the parallel path.
fn check(text: &str) -> usize {
    check_bytes(text.as_bytes())
}

fn check_bytes(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let slow = shown(&read_with("t.jtl", bytes, false));
    let fast = shown(&read_with("t.jtl", bytes, true));
    assert_eq!(slow, fast, "fast path differs on:\n{text}");
    let mut parallel = 0;
    for parts in [2, 3, 7] {
        if let Some(r) = crate::results::parts::read_in_order("t.jtl", bytes, parts) {
            parallel += 1;
            assert_eq!(slow, shown(&r), "{parts} parts differ on:\n{text}");
        }
    }
    parallel
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        any::<u64>(),
        (0usize..400, prop_oneof![Just(40u64), Just(300_000u64)]),
        1u64..300,
        1u64..70,
        prop_oneof![Just(0u64), 1u64..30, 30u64..200],
        0u8..5,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(seed, (rows, step), labels, codes, odd, layout, crlf, trailing_newline)| Knobs {
                seed,
                rows,
                step,
                labels,
                codes,
                odd,
                layout,
                crlf,
                trailing_newline,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_path_reads_the_same(k in knobs()) {
        check(&generate(&k));
    }
}

#[test]
fn clean_files_take_the_parallel_path_and_agree() {
    for (labels, codes) in [(8, 3), (150, 40), (199, 50)] {
        let k = Knobs {
            seed: labels,
            rows: 3000,
            step: if labels == 150 { 100_000 } else { 40 },
            labels,
            codes,
            odd: 0,
            layout: 0,
            crlf: false,
            trailing_newline: true,
        };
        assert_eq!(check(&generate(&k)), 3, "clean file not read in parts");
    }
}

#[test]
fn caps_reached_in_a_part_fall_back_and_still_agree() {
    // 300 labels (cap 200) and 70 codes (cap 50): the parts refuse to merge.
    let k = Knobs {
        seed: 9,
        rows: 4000,
        step: 40,
        labels: 300,
        codes: 70,
        odd: 0,
        layout: 0,
        crlf: true,
        trailing_newline: true,
    };
    check(&generate(&k));
}

#[test]
fn quoted_newlines_and_errors_agree_on_line_and_column() {
    let text = format!(
        "{JMETER5}\n1700000000000,5,\"a\nb\",200,OK,t,text,true,,1,1,1,1,u,1,0,1\n\
         1700000000001,x,a,200,OK,t,text,true,,1,1,1,1,u,1,0,1\n\
         1700000000002,5,a,200,OK,t,text,yes,,1,1,1,1,u,1,0,1\n"
    );
    check(&text);
    let e = read_with("t.jtl", text.as_bytes(), true).unwrap_err();
    let at: Vec<_> = e.diagnostics.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(at, [(Some(4), Some(2)), (Some(5), Some(8))]);
}

#[test]
fn invalid_utf8_in_labels_and_codes_reads_alike() {
    let mut bytes = b"timeStamp,elapsed,label,responseCode,success\n".to_vec();
    for i in 0..50u8 {
        let label: &[u8] = if i % 7 == 3 { b"caf\xE9" } else { b"home" };
        let code: &[u8] = if i % 11 == 5 { b"2\xFF0" } else { b"200" };
        bytes.extend_from_slice(
            format!("{},{},", 1_700_000_000_000u64 + u64::from(i), i).as_bytes(),
        );
        bytes.extend_from_slice(label);
        bytes.push(b',');
        bytes.extend_from_slice(code);
        bytes.extend_from_slice(b",true\n");
    }
    check_bytes(&bytes);
    let r = read_with("t.jtl", &bytes[..], true).unwrap();
    assert!(
        r.overall.status_codes.contains_key("2\u{FFFD}0"),
        "{:?}",
        r.overall.status_codes
    );
    assert!(r.endpoints.iter().any(|e| e.name == "caf\u{FFFD}"));
}
