//! Large JTL files read through the real binary on one thread and on several: the output must be
//! the same byte for byte, whether the file is plain (read in parts) or has quoted cells, a bad
//! row or more endpoints than the cap (read in one pass after the parts give up).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

const HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,\
success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n";

/// About 12 MiB (over the 8 MiB from which a file is read in parts) of JMeter 5 rows.
fn jtl(labels: usize, odd_row: Option<(usize, &str)>) -> String {
    let mut out = String::from(HEADER);
    let mut t = 1_732_700_000_000u64;
    let mut x = 12345u64;
    for i in 0..110_000usize {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let elapsed = 1 + (x >> 33) % 3000;
        t += (x >> 20) % 3;
        // A few rows start before their predecessor, as JMeter writes them when they end.
        let start = if i.is_multiple_of(97) {
            t.saturating_sub(4000)
        } else {
            t
        };
        let ok = !(x >> 40).is_multiple_of(30);
        if let Some((at, row)) = odd_row
            && at == i
        {
            out.push_str(row);
            out.push('\n');
            continue;
        }
        writeln!(
            out,
            "{start},{elapsed},GET /item/{},{},{},Thread Group 1-{},text,{ok},,{},140,50,{},\
             http://127.0.0.1:8080/x,{elapsed},0,1",
            i % labels,
            if ok { 200 } else { 500 },
            if ok { "OK" } else { "Internal Server Error" },
            1 + i % 50,
            900 + i % 300,
            1 + i % 50,
        )
        .unwrap();
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
    let path = dir.path().join("big.jtl");
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
    let (code, out, err) = same_on_any_thread_count(&jtl(12, None));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["overall"]["requests"], 110_000);
    assert_eq!(v["endpoints"].as_array().unwrap().len(), 12);
}

#[test]
fn quotes_caps_and_bad_rows_fall_back_to_one_pass() {
    let quoted = "1732700000500,7,\"GET /a, b\",500,\"Non HTTP response code: x,\nrefused\",\
                  T 1-1,text,false,,1,1,1,1,u,7,0,1";
    let (code, out, _) = same_on_any_thread_count(&jtl(12, Some((60_000, quoted))));
    assert_eq!(code, 0);
    assert!(out.contains("\"GET /a, b\""), "{out}");

    let (code, out, _) = same_on_any_thread_count(&jtl(250, None));
    assert_eq!(code, 0);
    assert!(out.contains("more than 200 distinct endpoints"), "{out}");

    let bad = "1732700000500,7ms,GET /a,200,OK,T 1-1,text,true,,1,1,1,1,u,7,0,1";
    let (code, _, err) = same_on_any_thread_count(&jtl(12, Some((90_000, bad))));
    assert_ne!(code, 0);
    // Header on line 1, so row 90,000 (from 0) is on line 90,002.
    assert!(err.contains("big.jtl:90002:2: error: elapsed"), "{err}");
}
