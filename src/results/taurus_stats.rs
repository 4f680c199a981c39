//! Taurus `final-stats` dumps (`dump-xml`, `dump-csv`): one KPI set per label and the total
//! under the empty label. Times are seconds; `throughput` is a sample COUNT, not a rate;
//! `perc_0.0` is the fastest sample and `perc_100.0` the slowest; `rc_*` count response codes.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::model::{EndpointResults, Latency, ResultsError, RunResults, Stats};
use crate::diag::Diagnostic;

pub const FORMAT_XML: &str = "taurus-final-stats-xml";
pub const FORMAT_CSV: &str = "taurus-final-stats-csv";

/// One label's KPIs as Taurus wrote them.
#[derive(Default)]
struct Kpis {
    label: String,
    count: Option<u64>,
    succ: Option<u64>,
    fail: Option<u64>,
    avg_rt: Option<f64>,
    /// (level in percent, seconds)
    perc: Vec<(f64, f64)>,
    rc: Vec<(String, u64)>,
}

/// Reading state: the file name and every problem found.
struct Ctx<'a> {
    file: &'a str,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn bad(
        &mut self,
        line: usize,
        column: Option<usize>,
        field: &str,
        value: &str,
        expected: &str,
    ) {
        self.diags.push(
            Diagnostic::error(field, format!("expected {expected}"))
                .value(format!("{value:?}"))
                .at(Some(line), column),
        );
    }

    /// Fills the KPI named `key` (a CSV column or XML element, with its `param`) from `value`.
    fn set(
        &mut self,
        k: &mut Kpis,
        key: &str,
        param: Option<&str>,
        value: &str,
        at: (usize, Option<usize>),
    ) {
        let value = value.trim();
        let field = match param {
            Some(p) => format!("{key}/{p}"),
            None => key.to_string(),
        };
        let count = |ctx: &mut Self| -> Option<u64> {
            let v = value.parse::<u64>().ok();
            if v.is_none() {
                ctx.bad(at.0, at.1, &field, value, "a whole number");
            }
            v
        };
        let seconds = |ctx: &mut Self| -> Option<f64> {
            let v = value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0);
            if v.is_none() {
                ctx.bad(
                    at.0,
                    at.1,
                    &field,
                    value,
                    "a non-negative number of seconds",
                );
            }
            v
        };
        match (key, param) {
            ("throughput", None) => k.count = count(self),
            ("succ", None) => k.succ = count(self),
            ("fail", None) => k.fail = count(self),
            ("avg_rt", None) => k.avg_rt = seconds(self),
            ("rc", Some(code)) if !value.is_empty() => {
                if let Some(n) = count(self) {
                    k.rc.push((code.to_string(), n));
                }
            }
            ("perc", Some(level)) if !value.is_empty() => match level.parse::<f64>() {
                Ok(l) if (0.0..=100.0).contains(&l) => {
                    if let Some(s) = seconds(self) {
                        k.perc.push((l, s));
                    }
                }
                _ => self.bad(
                    at.0,
                    at.1,
                    &field,
                    level,
                    "a percentile level from 0 to 100",
                ),
            },
            _ => {}
        }
    }

    fn finish(self, r: RunResults) -> Result<RunResults, ResultsError> {
        if self.diags.is_empty() {
            return Ok(r);
        }
        Err(ResultsError::all(self.file, self.diags))
    }
}

pub fn read_csv(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut ctx = Ctx {
        file: name,
        diags: Vec::new(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ResultsError::not_csv(name, &e)),
    };
    let mut sets = Vec::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                ctx.diags.push(super::model::not_csv(&e));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let mut k = Kpis::default();
        for (i, (h, v)) in headers.iter().zip(rec.iter()).enumerate() {
            let at = (line, Some(i + 1));
            if h == "label" {
                k.label = v.to_string();
            } else if let Some(level) = h.strip_prefix("perc_") {
                ctx.set(&mut k, "perc", Some(level), v, at);
            } else if let Some(code) = h.strip_prefix("rc_") {
                ctx.set(&mut k, "rc", Some(code), v, at);
            } else {
                ctx.set(&mut k, h, None, v, at);
            }
        }
        sets.push(k);
    }
    let r = build(&mut ctx, sets, None, FORMAT_CSV);
    ctx.finish(r)
}

pub fn read_xml(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut ctx = Ctx {
        file: name,
        diags: Vec::new(),
    };
    let mut reader = Reader::from_str(text);
    let line_at = |pos: u64| {
        text.as_bytes()[..(pos as usize).min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let mut sets: Vec<Kpis> = Vec::new();
    let mut current: Option<Kpis> = None;
    let mut duration: Option<f64> = None;
    let mut in_duration = false;
    loop {
        let at = line_at(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                ctx.diags.push(
                    Diagnostic::error("", format!("not well-formed XML: {e}"))
                        .at(Some(at), None)
                        .hint("is the file complete? Taurus writes it when the test ends"),
                );
                break;
            }
        };
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let tag = e.name();
                match tag.as_ref() {
                    b"Group" => {
                        let label = attr(&e, b"label").unwrap_or_default();
                        if let Some(k) = current.replace(Kpis {
                            label,
                            ..Kpis::default()
                        }) {
                            sets.push(k);
                        }
                    }
                    b"TestDuration" => in_duration = true,
                    b"name" | b"value" | b"FinalStatus" => {}
                    kpi => {
                        if let (Some(k), Some(value)) = (current.as_mut(), attr(&e, b"value")) {
                            let key = String::from_utf8_lossy(kpi).into_owned();
                            let param = attr(&e, b"param");
                            ctx.set(k, &key, param.as_deref(), &value, (at, None));
                        }
                    }
                }
            }
            Event::Text(t) if in_duration => {
                let v = String::from_utf8_lossy(t.as_ref()).trim().to_string();
                match v.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0) {
                    Some(d) => duration = Some(d),
                    None => ctx.bad(at, None, "TestDuration", &v, "seconds"),
                }
            }
            Event::End(e) => match e.name().as_ref() {
                b"TestDuration" => in_duration = false,
                b"Group" => sets.extend(current.take()),
                _ => {}
            },
            _ => {}
        }
    }
    sets.extend(current.take());
    let r = build(&mut ctx, sets, duration, FORMAT_XML);
    ctx.finish(r)
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

fn build(ctx: &mut Ctx, sets: Vec<Kpis>, duration: Option<f64>, format: &str) -> RunResults {
    let mut r = RunResults::new(format);
    r.duration_s = duration;
    let mut total = None;
    for k in sets {
        let stats = stats_of(&k, duration);
        if k.label.is_empty() {
            total = Some(stats);
        } else {
            r.endpoints.push(EndpointResults {
                name: k.label,
                method: None,
                stats,
            });
        }
    }
    match total {
        Some(t) => r.overall = t,
        None => ctx.diags.push(
            Diagnostic::error(
                "",
                "no total: Taurus writes the whole run's KPIs under an empty label",
            )
            .hint("is the file complete?"),
        ),
    }
    let mismatched: Vec<&str> = std::iter::once(("", &r.overall))
        .chain(r.endpoints.iter().map(|e| (e.name.as_str(), &e.stats)))
        .filter(|(_, s)| s.requests.zip(s.errors).is_some_and(|(n, e)| e > n))
        .map(|(n, _)| n)
        .collect();
    for label in mismatched {
        ctx.diags.push(Diagnostic::error(
            "fail",
            format!("label {label:?} has more failures than samples (throughput)"),
        ));
    }
    if duration.is_none() {
        r.notes.push("Taurus' final-stats CSV has no test duration, and its throughput column is a sample count: no rate is reported (the XML dump has the duration)".into());
    }
    r.notes.push("Taurus final-stats times are seconds, read as milliseconds; its percentiles come from Taurus' own aggregation of the samples".into());
    if r.overall.latency_ms.p95.is_none() || r.overall.latency_ms.p99.is_none() {
        r.notes.push("p95 or p99 not in this final-stats dump (enable `percentiles` in the final-stats reporter)".into());
    }
    r
}

fn stats_of(k: &Kpis, duration: Option<f64>) -> Stats {
    let ms = |s: f64| (s * 100_000.0).round() / 100.0;
    let at = |level: f64| {
        k.perc
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, s)| ms(*s))
    };
    let mut s = Stats {
        requests: k.count,
        errors: k.fail,
        latency_ms: Latency {
            mean: k.avg_rt.map(ms),
            min: at(0.0),
            p50: at(50.0),
            p90: at(90.0),
            p95: at(95.0),
            p99: at(99.0),
            p999: at(99.9),
            max: at(100.0),
        },
        status_codes: k.rc.iter().cloned().collect(),
        ..Stats::default()
    };
    // A label without samples has zeros for times: no data, not 0 ms.
    if k.count == Some(0) {
        s.latency_ms = Latency::default();
    }
    s.error_rate = s.error_rate();
    s.throughput_rps = match (k.count, duration) {
        (Some(n), Some(d)) if d > 0.0 => Some(n as f64 / d),
        _ => None,
    };
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "label,avg_ct,avg_lt,avg_rt,bytes,concurrency,fail,stdev_rt,succ,throughput,perc_0.0,perc_50.0,perc_90.0,perc_95.0,perc_99.0,perc_99.9,perc_100.0,rc_200,rc_500\n/fast,0.00000,0.00000,0.04386,756,3,0,0.00897,63,63,0.00700,0.04400,0.04800,0.05000,0.08400,0.08400,0.08400,63,\n,0.00000,0.00000,0.06158,3033,3,21,0.03286,42,63,0.00700,0.04400,0.11700,0.14400,0.15300,0.15900,0.15900,42,21\n";

    #[test]
    fn csv_labels_become_endpoints_and_the_empty_label_the_total() {
        let r = read_csv("final.csv", CSV).unwrap();
        assert_eq!(r.overall.requests, Some(63));
        assert_eq!(r.overall.errors, Some(21));
        assert_eq!(r.overall.latency_ms.p95, Some(144.0));
        assert_eq!(r.overall.latency_ms.mean, Some(61.58));
        assert_eq!(r.overall.status_codes.get("500"), Some(&21));
        assert_eq!(r.endpoints[0].name, "/fast");
        assert_eq!(r.endpoints[0].stats.status_codes.get("500"), None);
        assert_eq!(r.overall.throughput_rps, None);
    }

    #[test]
    fn a_bad_cell_names_line_column_and_field() {
        let e = read_csv("final.csv", &CSV.replace("0.04386", "fast")).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            (d.line, d.column, d.field.as_str()),
            (Some(2), Some(4), "avg_rt")
        );
        let e = read_csv(
            "final.csv",
            CSV.lines().take(2).collect::<Vec<_>>().join("\n").as_str(),
        )
        .unwrap_err();
        assert!(e.diagnostics[0].message.contains("no total"));
    }

    #[test]
    fn xml_groups_and_duration() {
        let xml = "<?xml version='1.0' encoding='UTF-8'?>\n<FinalStatus>\n  <TestDuration>5.0</TestDuration>\n  <Group label=\"\">\n    <throughput value=\"10\"><name>throughput</name><value>10</value></throughput>\n    <fail value=\"1\"/>\n    <succ value=\"9\"/>\n    <avg_rt value=\"0.05000\"/>\n    <rc value=\"9\" param=\"200\"/>\n    <perc value=\"0.12000\" param=\"95.0\"/>\n  </Group>\n</FinalStatus>\n";
        let r = read_xml("final.xml", xml).unwrap();
        assert_eq!(r.overall.requests, Some(10));
        assert_eq!(r.overall.latency_ms.p95, Some(120.0));
        assert_eq!(r.overall.throughput_rps, Some(2.0));
        assert_eq!(r.duration_s, Some(5.0));
        let e = read_xml("final.xml", &xml.replace("0.12000", "-1")).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(10));
    }
}
