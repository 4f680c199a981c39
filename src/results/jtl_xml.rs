//! JMeter JTL results as XML (`<testResults>` of `<httpSample>`/`<sample>` elements), streamed.
//! Only top-level samples count: nested sub-samples (redirects, embedded resources, transaction
//! children) are already inside their parent's time and would count a request twice.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::errors::{Error as XmlError, SyntaxError};
use quick_xml::events::{BytesStart, Event};

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::model::{ResultsError, RunResults};
use super::problems::{Problems, io_error};
use crate::diag::Diagnostic;

pub const FORMAT: &str = "jmeter-jtl-xml";

pub fn read<R: BufRead>(name: &str, input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(4096);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut saw_root = false;
    loop {
        buf.clear();
        let at = line;
        let event = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(XmlError::Io(e)) => return Err(io_error(name, Some(at), &e)),
            Err(XmlError::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue,
            )) if agg.count() > 0 => {
                problems.notes.push(format!(
                    "the XML is cut short at line {at} (was the file still being written?); \
                     samples before it were read"
                ));
                break;
            }
            Err(e) => {
                return Err(problems.fail(
                    Diagnostic::error("", format!("not valid XML: {e}"))
                        .at(Some(at), None)
                        .hint("a JTL in XML is <testResults> with one <httpSample> or <sample> per request"),
                ));
            }
        };
        line += newlines(&event);
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                if depth == 0 {
                    saw_root = match check_root(e, at) {
                        Ok(root) => root,
                        Err(d) => return Err(problems.fail(*d)),
                    };
                } else if depth == 1 && is_sample(e) && add_sample(e, at, &mut agg, &mut problems) {
                    break;
                }
                // An empty element opens and closes at once.
                depth += usize::from(matches!(event, Event::Start(_)));
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => {
                if depth > 0 && agg.count() > 0 {
                    problems.notes.push(
                        "the XML ends before </testResults> (was the file still being \
                         written?); the samples in it were read"
                            .into(),
                    );
                }
                break;
            }
            _ => {}
        }
    }
    if !saw_root {
        return Err(problems.fail(
            Diagnostic::error("", "no <testResults> element")
                .hint("a JTL in XML starts with <testResults version=\"1.2\">"),
        ));
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(
            Diagnostic::error("", "the JTL has no samples")
                .hint("did the test plan run? JMeter writes one <httpSample> per request"),
        ));
    }
    problems.finish(agg.finish(FORMAT))
}

/// Newlines inside an event, so errors can name a line (quick-xml counts only bytes).
fn newlines(event: &Event) -> usize {
    let bytes: &[u8] = match event {
        Event::Start(e) | Event::Empty(e) => e,
        Event::Text(t) | Event::Comment(t) | Event::DocType(t) => t,
        Event::CData(c) => c,
        _ => &[],
    };
    bytes.iter().filter(|&&c| c == b'\n').count()
}

fn is_sample(e: &BytesStart) -> bool {
    matches!(e.name().as_ref(), b"httpSample" | b"sample")
}

/// Only `<testResults>` may be the root: anything else is not a JTL.
fn check_root(e: &BytesStart, line: usize) -> Result<bool, Box<Diagnostic>> {
    if e.name().as_ref() == b"testResults" {
        return Ok(true);
    }
    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    Err(Box::new(
        Diagnostic::error(
            "",
            format!("the root element is <{tag}>, not <testResults>"),
        )
        .at(Some(line), None),
    ))
}

/// Adds one top-level sample; true when the reader should stop after too many errors.
fn add_sample(e: &BytesStart, line: usize, agg: &mut Aggregator, problems: &mut Problems) -> bool {
    let mut t = None;
    let mut ts = None;
    let mut ok = None;
    let mut label = None;
    let mut code = None;
    let mut threads = None;
    for attr in e.attributes() {
        let attr = match attr {
            Ok(a) => a,
            Err(err) => {
                return problems.error(
                    Diagnostic::error("", format!("bad attribute: {err}")).at(Some(line), None),
                );
            }
        };
        let value = || match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&attr.value).into_owned(),
        };
        match attr.key.as_ref() {
            b"t" => t = Some(value()),
            b"ts" => ts = Some(value()),
            b"s" => ok = Some(value()),
            b"lb" => label = Some(value()),
            b"rc" => code = Some(value()),
            b"na" => threads = Some(value()),
            _ => {}
        }
    }
    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let bad = |attr: &str, v: &str, expected: &str| {
        Diagnostic::error(format!("{tag}.{attr}"), format!("expected {expected}"))
            .value(format!("{v:?}"))
            .at(Some(line), None)
    };
    let Some(t) = t else {
        return problems.error(
            Diagnostic::error(
                format!("{tag}.t"),
                "the sample has no elapsed time (attribute t)",
            )
            .at(Some(line), None),
        );
    };
    let Some(elapsed) = t
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
    else {
        return problems.error(bad("t", &t, "a whole number of milliseconds"));
    };
    let start_ms = match &ts {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) => Some(n as f64),
            Err(_) => return problems.error(bad("ts", v, "milliseconds since the epoch")),
        },
        None => None,
    };
    let success = match ok.as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => return problems.error(bad("s", v, "true or false")),
        None => code
            .as_deref()
            .map(|c| c.starts_with('2') || c.starts_with('3')),
    };
    agg.add(&Sample {
        start_ms,
        elapsed_ms: elapsed,
        name: label.as_deref(),
        method: None,
        success,
        status: code.as_deref(),
        users: threads.and_then(|v| v.trim().parse().ok()),
    });
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_top_level_samples() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testResults version="1.2">
<httpSample t="100" ts="1700000000000" s="true" lb="home" rc="200"/>
<sample t="300" ts="1700000000100" s="false" lb="checkout &amp; pay" rc="500">
  <httpSample t="120" ts="1700000000100" s="true" lb="step 1" rc="200"/>
  <httpSample t="180" ts="1700000000220" s="false" lb="step 2" rc="500">
    <responseData class="java.lang.String">oops</responseData>
  </httpSample>
</sample>
</testResults>
"#;
        let r = read("r.jtl", xml.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(2));
        assert_eq!(r.overall.errors, Some(1));
        let names: Vec<_> = r.endpoints.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["checkout & pay", "home"]);
        assert_eq!(r.duration_s, Some(0.4));
    }

    #[test]
    fn bad_elapsed_names_attribute_and_line() {
        let xml = "<testResults>\n<httpSample t=\"1\" ts=\"1\" s=\"true\" lb=\"a\"/>\n<httpSample t=\"x\" lb=\"a\"/>\n</testResults>";
        let e = read("r.jtl", xml.as_bytes()).unwrap_err();
        assert_eq!(e.diagnostics[0].field, "httpSample.t");
        assert_eq!(e.diagnostics[0].line, Some(3));
    }

    #[test]
    fn cut_short_file_keeps_the_samples_read() {
        let xml = "<testResults>\n<httpSample t=\"5\" ts=\"1\" s=\"true\" lb=\"a\"/>\n<httpSample t=\"6\" ts=";
        let r = read("r.jtl", xml.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(1));
        assert!(r.notes.iter().any(|n| n.contains("cut short")));
    }
}
