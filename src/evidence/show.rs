//! `show`: the records of a log in chain order, across rotated files, filtered by service,
//! outcome and time. Reading only; `verify` is what checks the seals.

use chrono::{DateTime, NaiveDate, Utc};

use super::files::Layout;
use super::reader::snapshot;
use super::record::Record;
use super::verify::Problem;
use super::{EvidenceError, Outcome};

/// Which records to show; every field set must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub service: Option<String>,
    pub outcome: Option<Outcome>,
    /// Records at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        if self.service.as_ref().is_some_and(|s| *s != r.service) {
            return false;
        }
        if self.outcome.is_some_and(|o| o != r.outcome) {
            return false;
        }
        match self.since {
            None => true,
            Some(since) => {
                DateTime::parse_from_rfc3339(&r.ts).is_ok_and(|t| t.with_timezone(&Utc) >= since)
            }
        }
    }
}

/// Parses `--since`: an RFC 3339 time (`2026-11-27T04:00:00Z`) or a date (`2026-11-27`, from
/// its midnight UTC).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "{text:?} is not a time: use RFC 3339 (2026-11-27T04:00:00Z) or a date (2026-11-27)"
    ))
}

/// Calls `each` with every matching record and its stored line; returns lines that could not be
/// read as records.
pub fn show(
    layout: &Layout,
    filter: &Filter,
    mut each: impl FnMut(&Record, &[u8]),
) -> Result<Vec<Problem>, EvidenceError> {
    let mut problems = Vec::new();
    snapshot(layout)?.for_each_line(|line| {
        let parsed = if line.complete {
            serde_json::from_slice::<Record>(line.bytes).map_err(|e| e.to_string())
        } else {
            Err("incomplete last line (a write cut short)".to_string())
        };
        match parsed {
            Ok(r) if filter.matches(&r) => each(&r, line.bytes),
            Ok(_) => {}
            Err(message) => problems.push(Problem {
                file: line.file.to_path_buf(),
                line: Some(line.number),
                message,
            }),
        }
    })?;
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_dates() {
        assert_eq!(
            parse_since("2026-11-27").unwrap(),
            parse_since("2026-11-27T00:00:00Z").unwrap()
        );
        assert_eq!(
            parse_since("2026-11-27T06:00:00+02:00").unwrap(),
            parse_since("2026-11-27T04:00:00Z").unwrap()
        );
        assert!(parse_since("yesterday").is_err());
    }
}
