//! Format detection for runner files from their first bytes, with the file name as a hint:
//! which raw-sample stream (JTL CSV/XML, k6 NDJSON) or Locust file a head of bytes starts. The
//! quick tools' files (hey, wrk, ab, Taurus final-stats, k6 CSV, Gatling's log) are told apart
//! by `sniff_quick`.

pub use super::format::Format;
use super::format::contains;
use super::sniff_quick;

/// Bytes of the file's head that detection looks at.
pub const HEAD_LEN: usize = 64 * 1024;

pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

fn trim_start(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

fn first_line(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    let line = &b[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The JTL header's column names, when `line` is one (any single-byte delimiter JMeter allows).
pub fn jtl_header_delimiter(line: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(line).ok()?;
    for d in [b',', b'\t', b';', b'|'] {
        let cells: Vec<&str> = text
            .split(d as char)
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let has = |n: &str| cells.contains(&n);
        // A header without `elapsed` is still recognised by JMeter's camel-case `timeStamp`,
        // so the reader can say which column is missing instead of calling it headerless.
        let others = ["label", "success", "responseCode", "threadName", "Latency"];
        if (has("elapsed") && (has("timeStamp") || has("label") || has("success")))
            || (has("timeStamp") && others.iter().any(|n| has(n)))
        {
            return Some(d);
        }
    }
    None
}

/// A data row of a headerless JTL: epoch-ms timestamp, integer elapsed, and true/false success.
fn looks_like_headerless_jtl(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    let cells: Vec<&str> = text.split(',').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    cells.len() >= 8
        && digits(cells[0])
        && cells[0].len() >= 12
        && digits(cells[1])
        && cells.iter().any(|c| *c == "true" || *c == "false")
}

fn is_k6_line(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
        #[serde(borrow)]
        metric: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<Probe>(line) {
        Ok(p) => (p.kind == "Metric" || p.kind == "Point") && p.metric.is_some(),
        Err(_) => false,
    }
}

/// Detects the format of a file from the start of its (decompressed) content.
pub fn sniff(name: &str, head: &[u8]) -> Format {
    let body = trim_start(head);
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if body.starts_with(b"<") {
        let window = &body[..body.len().min(4096)];
        if contains(window, b"<testResults") {
            return Format::JtlXml;
        }
        return sniff_quick::xml(window).unwrap_or(Format::Other);
    }
    let line = first_line(body);
    if body.starts_with(b"{") {
        if is_k6_line(line) {
            return Format::K6Ndjson;
        }
        // A truncated first line (head cut mid-line) still has the k6 shape at its start.
        if (lower.ends_with(".ndjson") || lower.ends_with(".jsonl"))
            && contains(line, b"\"type\"")
            && contains(line, b"\"metric\"")
        {
            return Format::K6Ndjson;
        }
        return Format::Other;
    }
    if body.starts_with(b"[") {
        let window = &body[..body.len().min(8192)];
        if contains(window, b"\"num_requests\"") && contains(window, b"\"response_times\"") {
            return Format::LocustJson;
        }
        return Format::Other;
    }
    if let Some(f) = sniff_quick::text(body, line) {
        return f;
    }
    let plain: Vec<u8> = line.iter().copied().filter(|&c| c != b'"').collect();
    if plain.starts_with(b"Type,Name,Request Count") || plain.starts_with(b"Type,Name,# requests") {
        return Format::LocustStats;
    }
    if plain.starts_with(b"Timestamp,User Count,Type,Name")
        || plain.starts_with(b"Timestamp,") && contains(&plain, b"Total Request Count")
    {
        return Format::LocustHistory;
    }
    if plain.starts_with(b"Method,Name,Error,Occurrences") {
        return Format::LocustFailures;
    }
    if plain.starts_with(b"Count,Message,Traceback") {
        return Format::LocustExceptions;
    }
    if jtl_header_delimiter(line).is_some() || looks_like_headerless_jtl(line) {
        return Format::JtlCsv;
    }
    if lower.ends_with(".jtl") && !body.is_empty() {
        // Named as a JTL but of no layout we know: the JTL reader explains what it expected.
        return Format::JtlCsv;
    }
    Format::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_content() {
        let jtl = b"timeStamp,elapsed,label,responseCode,success\n1,2,a,200,true\n";
        assert_eq!(sniff("x.csv", jtl), Format::JtlCsv);
        let tsv = b"timeStamp\telapsed\tlabel\n";
        assert_eq!(sniff("x", tsv), Format::JtlCsv);
        let no_elapsed = b"timeStamp,label,success\n1,a,true\n";
        assert_eq!(sniff("x.csv", no_elapsed), Format::JtlCsv);
        let headerless = b"1732700000000,12,home,200,OK,Thread Group 1-1,text,true,1234,1,1,10\n";
        assert_eq!(sniff("x.csv", headerless), Format::JtlCsv);
        let xml = b"<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n";
        assert_eq!(sniff("r.xml", xml), Format::JtlXml);
        let k6 = br#"{"type":"Point","data":{"time":"2024-01-01T00:00:00Z","value":1,"tags":{}},"metric":"http_reqs"}"#;
        assert_eq!(sniff("out.json", k6), Format::K6Ndjson);
        assert_eq!(
            sniff("a_stats.csv", b"Type,Name,Request Count,Failure Count\n"),
            Format::LocustStats
        );
        assert_eq!(
            sniff("a.csv", b"Timestamp,User Count,Type,Name,Requests/s\n"),
            Format::LocustHistory
        );
        assert_eq!(
            sniff(
                "a.csv",
                b"Method,Name,Error,Occurrences,First Seen,Last Seen\n"
            ),
            Format::LocustFailures
        );
        assert_eq!(
            sniff(
                "a.json",
                br#"[{"name":"/","num_requests":1,"response_times":{}}]"#
            ),
            Format::LocustJson
        );
    }

    #[test]
    fn summaries_are_left_to_the_other_readers() {
        assert_eq!(sniff("m.json", br#"{"p95_ms": 300}"#), Format::Other);
        assert_eq!(
            sniff("m.csv", b"p95_ms,error_rate\n300,0.01\n"),
            Format::Other
        );
        assert_eq!(sniff("m.csv", b""), Format::Other);
    }
}
