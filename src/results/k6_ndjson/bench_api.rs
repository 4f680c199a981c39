//! For `benches/fast_paths` only, not an API: the k6 NDJSON line reading (the scanner with its
//! survey, or memmem and serde alone) and the whole reader with and without the scanner, so each
//! can be timed against a library on the same bytes.

use super::{Parsed, Used, parse, read_with};
use crate::results::model::{ResultsError, RunResults};

/// The fields of a line a bench checks: metric, value, endpoint (name, else url) and time.
pub struct Fields<'a> {
    pub kind: &'a str,
    pub metric: &'a str,
    pub value: Option<f64>,
    pub endpoint: Option<&'a str>,
    pub time: Option<&'a str>,
}

/// The reader's serde line shape, so a bench hands the very same type to another JSON library.
pub use super::Line;

impl Line<'_> {
    /// The fields a bench checks, as the reader takes them from a line serde read.
    pub fn fields(&self) -> Fields<'_> {
        let data = self.data.as_ref();
        let tags = data.and_then(|d| d.tags.as_ref());
        Fields {
            kind: &self.kind,
            metric: &self.metric,
            value: data.and_then(|d| d.value),
            endpoint: tags.and_then(|t| t.name.as_deref().or(t.url.as_deref())),
            time: data.and_then(|d| d.time.as_deref()),
        }
    }
}

/// Line reading as the reader does it: `scan` true is the hand-written scanner (after its
/// survey), false memmem and serde_json alone.
pub struct LineReader {
    used: Used,
}

impl LineReader {
    pub fn new(scan: bool) -> Self {
        LineReader {
            used: Used::new(scan),
        }
    }

    /// `f` of a complete, trimmed line's fields; `None` for a line naming no used metric
    /// (skipped unread) or one serde refuses.
    pub fn line<R>(&self, text: &[u8], f: impl FnOnce(&Fields) -> R) -> Option<R> {
        match parse(text, true, &self.used, |p| {
            f(&Fields {
                kind: p.kind,
                metric: p.metric,
                value: p.value,
                endpoint: p.endpoint(),
                time: p.time,
            })
        }) {
            Parsed::Read(r) => Some(r),
            Parsed::Unread | Parsed::Invalid(_) => None,
        }
    }
}

/// The whole one-pass k6 NDJSON reader over `data`, with the scanner (`scan`) or serde alone.
pub fn read(data: &[u8], scan: bool) -> Result<RunResults, ResultsError> {
    read_with("bench.ndjson", data, scan)
}
