//! The key figures of a judged run as an evidence record carries them, so history and trends
//! can be told from the log alone: request and error counts, error rate, throughput and the
//! latency percentiles, each only where the runner reported it.

use serde::{Deserialize, Serialize};

use crate::results::Stats;

/// A run's whole-run figures. Every field is optional and omitted when absent: a figure the
/// results did not contain is not recorded (never estimated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    /// A share (0.01 is 1 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

impl Figures {
    /// The figures of a run's overall statistics; `None` when it reports none of them.
    /// Non-finite values are left out: JSON cannot hold them, and a record must read back to
    /// the very bytes that were hashed.
    pub fn of(stats: &Stats) -> Option<Figures> {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        let f = Figures {
            requests: stats.requests,
            errors: stats.errors,
            error_rate: finite(stats.error_rate()),
            throughput_rps: finite(stats.throughput_rps),
            p50_ms: finite(stats.latency_ms.p50),
            p95_ms: finite(stats.latency_ms.p95),
            p99_ms: finite(stats.latency_ms.p99),
        };
        (f != Figures::default()).then_some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_non_finite_figures_are_left_out() {
        assert_eq!(Figures::of(&Stats::default()), None);
        let mut s = Stats {
            requests: Some(200),
            errors: Some(3),
            throughput_rps: Some(f64::NAN),
            ..Stats::default()
        };
        s.latency_ms.p95 = Some(412.5);
        let f = Figures::of(&s).unwrap();
        assert_eq!(f.error_rate, Some(0.015), "derived from the counts");
        assert_eq!(f.throughput_rps, None);
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"requests":200,"errors":3,"error_rate":0.015,"p95_ms":412.5}"#
        );
    }
}
