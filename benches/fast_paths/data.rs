//! The bench's inputs, made in memory the way `benches/results_stream.sh` makes its files: a JTL
//! CSV with JMeter 5's default columns (8 labels, ~3 % failures, latencies 1 ms to 3 s) and a k6
//! `--out json` NDJSON with four points per request.

use std::fmt::Write as _;

pub use perfassist::bench_api::Rng;

pub const JTL_HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n";

/// Index of the columns the reader uses, in the header above.
pub const TIMESTAMP: usize = 0;
pub const ELAPSED: usize = 1;
pub const LABEL: usize = 2;
pub const THREADS: usize = 12;
/// Cells a row must have for the reader: up to `allThreads`.
pub const NEEDED: usize = THREADS + 1;

/// A JTL CSV of `rows` samples: the header, then the rows.
pub fn jtl(rows: usize) -> Vec<u8> {
    let labels = [
        "GET /cart/view",
        "POST /cart/submit",
        "GET /catalog",
        "GET /catalog/item",
        "POST /login",
        "GET /health",
        "GET /search",
        "PUT /cart/item",
    ];
    let mut rng = Rng(42);
    let mut t: u64 = 1_732_700_000_000;
    let mut out = String::with_capacity(rows * 120);
    out.push_str(JTL_HEADER);
    for i in 0..rows {
        let r = rng.unit();
        let e = (1.0 + 3000.0 * r * r * r) as u64;
        let ok = rng.unit() > 0.03;
        t += u64::from(i % 7 == 0);
        let _ = writeln!(
            out,
            "{t},{e},{},{},{},Thread Group 1-{},text,{},{},{},140,50,50,http://127.0.0.1:8080/x,{},0,{}",
            labels[i % 8],
            if ok { "200" } else { "500" },
            if ok { "OK" } else { "Internal Server Error" },
            1 + i % 50,
            ok,
            if ok { "" } else { "Test failed" },
            900 + i % 300,
            if e > 2 { e - 2 } else { e },
            i % 3
        );
    }
    out.into_bytes()
}

/// A k6 NDJSON of `points` points: a Metric line, then http_reqs, http_req_duration,
/// http_req_failed and http_req_waiting per request.
pub fn k6(points: usize) -> Vec<u8> {
    let names = ["/cart/view", "/cart/submit", "/catalog", "/login"];
    let mut rng = Rng(7);
    let mut out = String::with_capacity(points * 300);
    out.push_str(r#"{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}"#);
    out.push('\n');
    let (mut s, mut ms) = (0u64, 0u64);
    for i in 0..points / 4 {
        let r = rng.unit();
        let d = 0.5 + 2500.0 * r * r * r;
        let bad = rng.unit() < 0.03;
        ms += 3;
        if ms >= 1000 {
            ms -= 1000;
            s += 1;
        }
        let time = format!("2024-11-27T10:{:02}:{:02}.{ms:03}Z", (s / 60) % 60, s % 60);
        let name = names[i % 4];
        let tags = format!(
            r#"{{"expected_response":"{}","group":"","method":"GET","name":"{name}","proto":"HTTP/1.1","scenario":"default","status":"{}","url":"http://127.0.0.1:8080{name}"}}"#,
            !bad,
            if bad { "503" } else { "200" },
        );
        for (metric, value) in [
            ("http_reqs", "1".to_string()),
            ("http_req_duration", format!("{d:.6}")),
            ("http_req_failed", u8::from(bad).to_string()),
            ("http_req_waiting", format!("{:.6}", d * 0.9)),
        ] {
            let _ = writeln!(
                out,
                r#"{{"metric":"{metric}","type":"Point","data":{{"time":"{time}","value":{value},"tags":{tags}}}}}"#
            );
        }
    }
    out.into_bytes()
}

/// `data` cut into blocks of at most `size` bytes, each ending at a line end, as the reader's
/// 64 KiB buffer hands them to the fast path.
pub fn blocks(data: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let cut = match memchr::memrchr(b'\n', &rest[..size.min(rest.len())]) {
            Some(nl) => nl + 1,
            None => rest.len(),
        };
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}
