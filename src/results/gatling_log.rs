//! Gatling's text `simulation.log` (2.x and 3.0 to 3.12; 3.13 made it binary), streamed. Tab
//! separated; the REQUEST record's columns moved between versions (scenario and user id
//! dropped, four timestamps became two), so the layout is taken from the first REQUEST record:
//! the OK/KO status follows the run of epoch-millisecond timestamps, the request name precedes it.

use std::io::BufRead;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::lines::Lines;
use super::model::{ResultsError, RunResults};
use super::problems::Problems;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "gatling-simulation-log";

/// Columns of a REQUEST record in one file's layout.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Layout {
    name: usize,
    /// First and last timestamp: the request's start and the response's end.
    start: usize,
    end: usize,
    status: usize,
}

/// An epoch-millisecond timestamp, as Gatling writes them (13 digits since 2001).
fn timestamp(s: &str) -> Option<u64> {
    (s.len() >= 10 && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn layout_of(fields: &[&str]) -> Option<Layout> {
    // The record type is first (2.0 on) or third (2.0 milestones).
    let kind = fields.iter().take(3).position(|f| *f == "REQUEST")?;
    let status = (kind + 3..fields.len())
        .find(|&i| matches!(fields[i], "OK" | "KO") && timestamp(fields[i - 1]).is_some())?;
    let mut first = status;
    while first > kind + 1 && timestamp(fields[first - 1]).is_some() {
        first -= 1;
    }
    let stamps = status - first;
    // Two stamps (2.2 on) or four (2.0, 2.1: request start/end, response start/end); a name made
    // of digits would add one, and is the name.
    let first = match stamps {
        2 | 4 => first,
        3 | 5 => first + 1,
        _ => return None,
    };
    (first > kind + 1).then_some(Layout {
        name: first - 1,
        start: first,
        end: status - 1,
        status,
    })
}

pub fn read<R: BufRead>(name: &str, mut input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    let mut lines = Lines::new(&mut input);
    let mut line_no = 0usize;
    let mut layout: Option<Layout> = None;
    let mut version: Option<String> = None;
    while let Some(line) = lines.next_text(name, &mut line_no)? {
        let (text, complete) = (&*line.text, line.complete);
        let fields: Vec<&str> = text.split('\t').collect();
        if fields.len() >= 2 && fields[0] == "RUN" && version.is_none() {
            version = fields.last().map(|v| v.trim().to_string());
        }
        let is_request =
            fields.first() == Some(&"REQUEST") || (fields.len() > 2 && fields[2] == "REQUEST");
        if !is_request {
            continue;
        }
        let l = match layout {
            Some(l) => l,
            None => match layout_of(&fields) {
                Some(l) => *layout.insert(l),
                None => {
                    let d = Diagnostic::error(
                        "",
                        "a REQUEST record of no Gatling layout known: expected name, start and end (epoch ms), then OK or KO",
                    )
                    .value(format!("{text:?}"))
                    .at(Some(line_no), None);
                    if !complete {
                        problems.notes.push(format!("line {line_no} is incomplete and was skipped: was the file still being written?"));
                        break;
                    }
                    if problems.error(d) {
                        break;
                    }
                    continue;
                }
            },
        };
        match sample(&fields, l) {
            Ok(s) => agg.add(&s),
            Err(_) if !complete => {
                problems.notes.push(format!(
                    "line {line_no} is incomplete and was skipped: was the file still being written?"
                ));
                break;
            }
            Err((column, what)) => {
                let d = Diagnostic::error("", what)
                    .value(format!("{:?}", fields.get(column).copied().unwrap_or("")))
                    .at(Some(line_no), Some(column + 1));
                if problems.error(d) {
                    break;
                }
            }
        }
    }
    if line_no == 0 {
        return Err(problems.fail(Diagnostic::error("", "the file is empty")));
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(
            Diagnostic::error("", "no REQUEST records in this simulation.log")
                .hint("Gatling writes one per request; did the simulation send any?"),
        ));
    }
    let mut r = agg.finish(FORMAT);
    r.notes.push(format!(
        "Gatling simulation.log{}: requests named by their Gatling request name (groups not kept apart), KO as a failure; the log has no status codes or methods",
        match version.as_deref() {
            // Gatling 2.x writes its log format's version there, not its own.
            Some("2.0") => " written by Gatling 2.x".to_string(),
            Some(v) => format!(" written by Gatling {v}"),
            None => String::new(),
        }
    ));
    problems.finish(r)
}

fn sample<'a>(fields: &[&'a str], l: Layout) -> Result<Sample<'a>, (usize, String)> {
    if fields.len() <= l.status {
        return Err((
            fields.len().saturating_sub(1),
            format!(
                "a REQUEST record with {} fields where this file's layout has {}",
                fields.len(),
                l.status + 1
            ),
        ));
    }
    let stamp = |i: usize| {
        timestamp(fields[i]).ok_or((i, "expected an epoch-millisecond timestamp".to_string()))
    };
    let (start, end) = (stamp(l.start)?, stamp(l.end)?);
    if end < start {
        return Err((
            l.end,
            "the response ends before the request starts".to_string(),
        ));
    }
    let success = match fields[l.status] {
        "OK" => true,
        "KO" => false,
        _ => return Err((l.status, "expected OK or KO".to_string())),
    };
    Ok(Sample {
        start_ms: Some(start as f64),
        elapsed_ms: (end - start) as f64,
        name: Some(fields[l.name]),
        method: None,
        success: Some(success),
        status: None,
        users: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_layout_is_found() {
        let split = |s: &'static str| s.split('\t').collect::<Vec<_>>();
        // 3.4 to 3.12: groups, name, start, end, status, message
        let l = layout_of(&split(
            "REQUEST\t\thome\t1600000000000\t1600000000100\tOK\t ",
        ))
        .unwrap();
        assert_eq!((l.name, l.start, l.end, l.status), (2, 3, 4, 5));
        // 3.0 to 3.3: user id first
        let l = layout_of(&split(
            "REQUEST\t1\t\thome\t1600000000000\t1600000000100\tKO\tboom",
        ))
        .unwrap();
        assert_eq!((l.name, l.status), (3, 6));
        // 2.2, 2.3: scenario and user id
        let l = layout_of(&split(
            "REQUEST\tScn\t1\t\thome\t1600000000000\t1600000000100\tOK\t ",
        ))
        .unwrap();
        assert_eq!((l.name, l.status), (4, 7));
        // 2.0, 2.1: four timestamps
        let l = layout_of(&split("REQUEST\tScn\t1\t\thome\t1600000000000\t1600000000010\t1600000000050\t1600000000100\tOK\t ")).unwrap();
        assert_eq!((l.name, l.start, l.end, l.status), (4, 5, 8, 9));
        // 2.0 milestones: the record type third
        let l = layout_of(&split("Scn\t1\tREQUEST\t\thome\t1600000000000\t1600000000010\t1600000000050\t1600000000100\tOK\t ")).unwrap();
        assert_eq!((l.name, l.status), (4, 9));
        // a name of digits is still the name
        let l = layout_of(&split(
            "REQUEST\t\t1234567890123\t1600000000000\t1600000000100\tOK\t ",
        ))
        .unwrap();
        assert_eq!(l.name, 2);
    }

    #[test]
    fn requests_become_samples() {
        let log = "RUN\tsim.Basic\tbasic\t1600000000000\t \t3.9.5\nUSER\tScn\tSTART\t1600000000000\nREQUEST\t\thome\t1600000000000\t1600000000100\tOK\t \nREQUEST\tshop\tcart\t1600000000200\t1600000000230\tKO\tstatus.find.is(200), but actually found 500\nUSER\tScn\tEND\t1600000000300\n";
        let r = read("simulation.log", log.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(2));
        assert_eq!(r.overall.errors, Some(1));
        assert_eq!(r.overall.latency_ms.max, Some(100.0));
        assert_eq!(r.endpoints[0].name, "cart");
        assert_eq!(r.duration_s, Some(0.23));
        assert!(r.notes.iter().any(|n| n.contains("Gatling 3.9.5")));
    }

    #[test]
    fn a_bad_record_names_its_line() {
        let log = "RUN\tsim\tsim\t1600000000000\t \t3.9.5\nREQUEST\t\thome\t1600000000000\t1600000000100\tOK\t \nREQUEST\t\thome\t1600000000000\tlater\tOK\t \n";
        let e = read("simulation.log", log.as_bytes()).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(3));
    }
}
