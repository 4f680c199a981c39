//! Large k6 `--out json` files read through the real binary on one thread and on several: the
//! output must be the same byte for byte, whether the file is plain (read in parts) or has an
//! escaped name, a bad point or more endpoints than the cap (read in one pass after the parts
//! give up).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// About 12 MiB (over the 8 MiB from which a file is read in parts) of the points k6 writes per
/// request: http_reqs, http_req_duration, http_req_failed and http_req_waiting.
fn k6(names: usize, odd_line: Option<(usize, &str)>) -> String {
    let mut out = String::from(
        r#"{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}"#,
    );
    out.push('\n');
    let mut x = 12345u64;
    let mut ms = 0u64;
    for i in 0..12_000usize {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ms += (x >> 20) % 7;
        let value = format!("{}.{:06}", 1 + (x >> 33) % 3000, (x >> 13) % 1_000_000);
        let bad = (x >> 40).is_multiple_of(30);
        let time = format!(
            "2024-11-27T10:{:02}:{:02}.{:03}{:06}+01:00",
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            (x >> 7) % 1_000_000
        );
        let name = format!("/item/{}", i % names);
        let tags = format!(
            r#"{{"expected_response":"{}","group":"","method":"GET","name":"{name}","proto":"HTTP/1.1","scenario":"default","status":"{}","url":"http://127.0.0.1:8080{name}"}}"#,
            !bad,
            if bad { 503 } else { 200 }
        );
        if let Some((at, line)) = odd_line
            && at == i
        {
            out.push_str(line);
            out.push('\n');
        }
        for (metric, v) in [
            ("http_reqs", "1"),
            ("http_req_duration", value.as_str()),
            ("http_req_failed", if bad { "1" } else { "0" }),
            ("http_req_waiting", value.as_str()),
        ] {
            writeln!(
                out,
                r#"{{"metric":"{metric}","type":"Point","data":{{"time":"{time}","value":{v},"tags":{tags}}}}}"#
            )
            .unwrap();
        }
    }
    out
}

/// (exit code, stdout, stderr) of `perfassist results --metrics path` on `threads` threads.
fn results(path: &Path, threads: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args(["results", "--metrics"])
        .arg(path)
        .env("PERFASSIST_THREADS", threads)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn same_on_any_thread_count(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    std::fs::write(&path, text).unwrap();
    assert!(
        text.len() > 8 << 20,
        "the file must be large enough to be read in parts"
    );
    let one = results(&path, "1");
    for threads in ["2", "5"] {
        assert_eq!(one, results(&path, threads), "{threads} threads differ");
    }
    one
}

#[test]
fn a_plain_file_reads_the_same_in_parts() {
    let (code, out, err) = same_on_any_thread_count(&k6(12, None));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["overall"]["requests"], 12_000);
    assert_eq!(v["endpoints"].as_array().unwrap().len(), 12);
    assert_eq!(v["format"], "k6-ndjson");
}

#[test]
fn escapes_caps_and_bad_points_fall_back_to_one_pass() {
    let escaped = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2024-11-27T10:00:30Z","value":7,"tags":{"name":"say \"hi\""}}}"#;
    let (code, out, err) = same_on_any_thread_count(&k6(12, Some((6_000, escaped))));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#""say \"hi\"""#), "{out}");

    let (code, out, _) = same_on_any_thread_count(&k6(250, None));
    assert_eq!(code, 0);
    assert!(out.contains("more than 200 distinct endpoints"), "{out}");

    let bad = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2024-11-27T10:00:30Z","value":"slow"}}"#;
    let (code, _, err) = same_on_any_thread_count(&k6(12, Some((9_000, bad))));
    assert_ne!(code, 0);
    // The Metric line, then 4 lines per request: request 9,000 (from 0) is on line 36,002.
    assert!(err.contains("big.json:36002:"), "{err}");
}
