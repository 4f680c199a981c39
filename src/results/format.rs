//! The kinds of runner file that detection tells apart, and what each means for reading it
//! (streamed or read whole), shared by `sniff` and `sniff_quick`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JtlCsv,
    JtlXml,
    K6Ndjson,
    LocustStats,
    LocustHistory,
    LocustFailures,
    LocustExceptions,
    LocustJson,
    /// hey's default text report.
    HeyText,
    /// hey `-o csv`: one row per response, times in seconds.
    HeyCsv,
    /// wrk's text report, with or without `--latency`.
    WrkText,
    /// ApacheBench's text report.
    AbText,
    /// ApacheBench `-e`: the percentiles CSV.
    AbPercentiles,
    /// ApacheBench `-g`: one tab-separated row per request.
    AbGnuplot,
    /// Taurus `final-stats` `dump-xml`.
    TaurusStatsXml,
    /// Taurus `final-stats` `dump-csv`.
    TaurusStatsCsv,
    /// k6 `--out csv`: one row per metric sample.
    K6Csv,
    /// Gatling's text `simulation.log` (before the binary log of 3.13).
    GatlingLog,
    /// Anything else: summaries and JSON documents, read whole by the other readers.
    Other,
}

impl Format {
    /// What the file is, in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::JtlCsv => "a JMeter JTL (CSV)",
            Format::JtlXml => "a JMeter JTL (XML)",
            Format::K6Ndjson => "a k6 JSON output stream",
            Format::LocustStats => "a Locust stats file",
            Format::LocustHistory => "a Locust stats history file",
            Format::LocustFailures => "a Locust failures file",
            Format::LocustExceptions => "a Locust exceptions file",
            Format::LocustJson => "Locust's JSON output",
            Format::HeyText => "hey's text report",
            Format::HeyCsv => "hey's CSV output (-o csv)",
            Format::WrkText => "wrk's text report",
            Format::AbText => "ApacheBench's text report",
            Format::AbPercentiles => "ApacheBench's percentiles CSV (-e)",
            Format::AbGnuplot => "ApacheBench's per-request TSV (-g)",
            Format::TaurusStatsXml => "Taurus final-stats XML (dump-xml)",
            Format::TaurusStatsCsv => "Taurus final-stats CSV (dump-csv)",
            Format::K6Csv => "k6's CSV output (--out csv)",
            Format::GatlingLog => "a Gatling text simulation.log",
            Format::Other => "a summary",
        }
    }

    /// Raw-sample formats, read as a stream in constant memory.
    pub fn is_stream(self) -> bool {
        matches!(
            self,
            Format::JtlCsv
                | Format::JtlXml
                | Format::K6Ndjson
                | Format::HeyCsv
                | Format::AbGnuplot
                | Format::K6Csv
                | Format::GatlingLog
        )
    }

    /// The quick tools' summaries (hey, wrk, ab, Taurus final-stats), read whole as text.
    pub fn is_quick_summary(self) -> bool {
        matches!(
            self,
            Format::HeyText
                | Format::WrkText
                | Format::AbText
                | Format::AbPercentiles
                | Format::TaurusStatsXml
                | Format::TaurusStatsCsv
        )
    }
}

/// Whether `needle` occurs anywhere in `hay`.
pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
