//! Tells the quick tools' files apart by content: hey, wrk and ApacheBench reports and files,
//! Taurus final-stats dumps, k6's CSV output and Gatling's text log. Each test asks for the
//! labels the tool always writes, so a file merely mentioning one is not taken for it.

use super::format::{Format, contains};

/// An XML document that is one of these formats (the JTL has been ruled out).
pub fn xml(window: &[u8]) -> Option<Format> {
    contains(window, b"<FinalStatus").then_some(Format::TaurusStatsXml)
}

/// A text file that is one of these formats: `body` is the head of the file without leading
/// blanks, `line` its first line.
pub fn text(body: &[u8], line: &[u8]) -> Option<Format> {
    let starts = |p: &[u8]| line.starts_with(p);
    if starts(b"Percentage served,Time in ms") {
        return Some(Format::AbPercentiles);
    }
    if starts(b"starttime\tseconds\tctime\tdtime\tttime") {
        return Some(Format::AbGnuplot);
    }
    if starts(b"response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read") {
        return Some(Format::HeyCsv);
    }
    if starts(b"metric_name,timestamp,metric_value") {
        return Some(Format::K6Csv);
    }
    if is_taurus_csv_header(line) {
        return Some(Format::TaurusStatsCsv);
    }
    if is_gatling_record(line) {
        return Some(Format::GatlingLog);
    }
    if is_hey_report(body, line) {
        return Some(Format::HeyText);
    }
    if is_wrk_report(body) {
        return Some(Format::WrkText);
    }
    if is_ab_report(body) {
        return Some(Format::AbText);
    }
    None
}

fn is_taurus_csv_header(line: &[u8]) -> bool {
    let plain: Vec<u8> = line.iter().copied().filter(|&c| c != b'"').collect();
    let cells: Vec<&[u8]> = plain.split(|&c| c == b',').collect();
    let has = |n: &[u8]| cells.contains(&n);
    cells.first() == Some(&&b"label"[..])
        && has(b"throughput")
        && has(b"succ")
        && has(b"fail")
        && has(b"avg_rt")
}

/// Gatling's text log: record type first (2.x from 2.0 on, 3.x; assertions precede the run
/// record in 3.x), or third (2.0 milestones).
fn is_gatling_record(line: &[u8]) -> bool {
    let fields: Vec<&[u8]> = line.split(|&c| c == b'\t').collect();
    fields.len() >= 2
        && (matches!(fields[0], b"RUN" | b"ASSERTION")
            || (fields.len() >= 4 && fields[2] == b"RUN"))
}

/// `line` is the first line of the file without its leading blank lines.
pub fn is_hey_report(body: &[u8], line: &[u8]) -> bool {
    line.trim_ascii() == b"Summary:" && contains(body, b"\n  Total:\t") && contains(body, b" secs")
}

/// The line wrk prints first: `Running 10s test @ http://host/path`.
pub fn wrk_banner(body: &[u8]) -> bool {
    body.split(|&c| c == b'\n')
        .take(20)
        .any(|l| l.starts_with(b"Running ") && contains(l, b" test @ "))
}

fn is_wrk_report(body: &[u8]) -> bool {
    wrk_banner(body) && contains(body, b"Thread Stats") && contains(body, b" requests in ")
}

fn is_ab_report(body: &[u8]) -> bool {
    contains(body, b"\nComplete requests:")
        && contains(body, b"\nDocument Path:")
        && !contains(body, b"<table")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::sniff::sniff;

    #[test]
    fn each_quick_format_is_told_by_its_labels() {
        let cases: [(&[u8], Format); 10] = [
            (b"Percentage served,Time in ms\n0,1.0\n", Format::AbPercentiles),
            (
                b"starttime\tseconds\tctime\tdtime\tttime\twait\n",
                Format::AbGnuplot,
            ),
            (
                b"response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n",
                Format::HeyCsv,
            ),
            (
                b"metric_name,timestamp,metric_value,check,error\n",
                Format::K6Csv,
            ),
            (
                b"label,avg_ct,avg_lt,avg_rt,bytes,concurrency,fail,stdev_rt,succ,throughput\n",
                Format::TaurusStatsCsv,
            ),
            (b"RUN\tsim\tsim\t1\t \t3.9.5\n", Format::GatlingLog),
            (b"ASSERTION\tAAEC\nRUN\tsim\n", Format::GatlingLog),
            (
                b"\nSummary:\n  Total:\t1.0 secs\n  Slowest:\t0.1 secs\n",
                Format::HeyText,
            ),
            (
                b"Running 2s test @ http://127.0.0.1:1/\n  2 threads and 4 connections\n  Thread Stats   Avg\n  5 requests in 2.00s, 1KB read\n",
                Format::WrkText,
            ),
            (
                b"This is ApacheBench, Version 2.3\n\nDocument Path:          /\nComplete requests:      1\n",
                Format::AbText,
            ),
        ];
        for (head, want) in cases {
            assert_eq!(sniff("x", head), want, "{}", String::from_utf8_lossy(head));
        }
        assert_eq!(
            sniff("f.xml", b"<?xml version='1.0'?>\n<FinalStatus>\n"),
            Format::TaurusStatsXml
        );
    }

    #[test]
    fn a_mention_is_not_enough() {
        // The banner alone, or an ab run cut before its report, is not a report.
        assert_eq!(
            sniff("x", b"Running 2s test @ http://127.0.0.1:1/\n"),
            Format::Other
        );
        assert_eq!(
            sniff(
                "x",
                b"This is ApacheBench, Version 2.3\nBenchmarking 127.0.0.1\n"
            ),
            Format::Other
        );
        assert_eq!(sniff("x", b"Summary:\nof the meeting\n"), Format::Other);
        assert_eq!(sniff("x", b"label,value\n"), Format::Other);
    }
}
