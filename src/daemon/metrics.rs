//! The daemon's Prometheus metrics (`--metrics-listen`): what was handled, rejected and written,
//! how long a drop took to reach the outbox, how much waits, and when a batch last succeeded.
//! Only built when metrics are asked for; without them the daemon holds no registry at all.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

type Labels2 = [(&'static str, &'static str); 2];
type Labels1 = [(&'static str, &'static str); 1];

/// Upper bounds (seconds) of the drop-to-output buckets: a single drop takes milliseconds, a
/// file waiting out its settle window or a writer takes seconds, a burst's tail up to minutes.
const LATENCY_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

pub struct Metrics {
    registry: Registry,
    inputs: Family<Labels2, Counter>,
    rejects: Family<Labels1, Counter>,
    latency: Histogram,
    queue_depth: Gauge,
    records: Counter,
    write_failures: Counter,
    last_success: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let inputs = Family::<Labels2, Counter>::default();
        registry.register(
            "perfassist_inputs_handled",
            "Inbox inputs handled and recorded, by kind (profile, results, companion, input) and outcome (the evidence outcome, or waiting)",
            inputs.clone(),
        );
        let rejects = Family::<Labels1, Counter>::default();
        registry.register(
            "perfassist_inputs_rejected",
            "Inputs rejected with an error report, by kind",
            rejects.clone(),
        );
        let latency = Histogram::new(LATENCY_BUCKETS);
        registry.register(
            "perfassist_drop_to_output_seconds",
            "From the first sight of an input to its outputs and evidence record being durable",
            latency.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "perfassist_queue_depth",
            "Inbox files waiting to settle or to be handled",
            queue_depth.clone(),
        );
        let records = Counter::default();
        registry.register(
            "perfassist_evidence_records",
            "Evidence records appended",
            records.clone(),
        );
        let write_failures = Counter::default();
        registry.register(
            "perfassist_write_failures",
            "Inputs or batches not recorded because outputs or evidence could not be written (retried)",
            write_failures.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "perfassist_last_success_timestamp_seconds",
            "Unix time of the last batch whose outputs and evidence were all recorded",
            last_success.clone(),
        );
        registry.register(
            "perfassist_build",
            "perfassist's version",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            inputs,
            rejects,
            latency,
            queue_depth,
            records,
            write_failures,
            last_success,
        }
    }

    /// One input recorded: its kind, outcome and drop-to-output time.
    pub fn handled(&self, kind: &'static str, outcome: &'static str, seconds: f64) {
        self.inputs
            .get_or_create(&[("kind", kind), ("outcome", outcome)])
            .inc();
        if outcome == "input-rejected" {
            self.rejects.get_or_create(&[("kind", kind)]).inc();
        }
        self.latency.observe(seconds);
    }

    pub fn records_written(&self, n: u64) {
        self.records.inc_by(n);
    }

    pub fn write_failed(&self) {
        self.write_failures.inc();
    }

    pub fn batch_succeeded(&self, unix_seconds: f64) {
        self.last_success.set(unix_seconds);
    }

    pub fn queue_depth(&self, n: usize) {
        self.queue_depth.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The exposition in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_every_metric_with_its_counts() {
        let m = Metrics::new();
        m.handled("profile", "plan-generated", 0.004);
        m.handled("profile", "plan-generated", 0.006);
        m.handled("results", "input-rejected", 0.3);
        m.records_written(3);
        m.write_failed();
        m.queue_depth(7);
        m.batch_succeeded(1_700_000_000.5);
        let text = m.encode();
        for line in [
            "perfassist_inputs_handled_total{kind=\"profile\",outcome=\"plan-generated\"} 2",
            "perfassist_inputs_handled_total{kind=\"results\",outcome=\"input-rejected\"} 1",
            "perfassist_inputs_rejected_total{kind=\"results\"} 1",
            "perfassist_drop_to_output_seconds_count 3",
            "perfassist_drop_to_output_seconds_bucket{le=\"0.005\"} 1",
            "perfassist_queue_depth 7",
            "perfassist_evidence_records_total 3",
            "perfassist_write_failures_total 1",
            "perfassist_last_success_timestamp_seconds 1700000000.5",
            "perfassist_build_info{version=\"",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }
}
