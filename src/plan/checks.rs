//! The checks a plan's scenarios are judged by: the SLO's objectives for the service and for
//! each endpoint that must meet them on its own, the throughput each stage must reach, the
//! smoke test's looser bounds, and the conditions that stop a run early.

use super::generate::{Gen, names};
use super::{AbortCondition, Check, Comparator};
use crate::profile::{Endpoint, Slo};
use crate::units::round;

impl Gen<'_> {
    /// SLO checks for the whole service and for each endpoint that must meet its SLO on its own
    /// (critical ones, and any with its own objectives).
    pub(super) fn slo_checks(
        &self,
        scenario: &str,
        latency_stages: &[&str],
        error_stages: &[&str],
    ) -> Vec<Check> {
        let mut out = Vec::new();
        self.push_slo_checks(
            &mut out,
            scenario,
            None,
            &self.p.slo,
            "slo",
            latency_stages,
            error_stages,
        );
        for (i, e) in self.p.endpoints.iter().enumerate() {
            if !(e.critical || e.slo.is_some()) {
                continue;
            }
            let slo = e.effective_slo(&self.p.slo);
            let src = format!("endpoints[{i}]");
            self.push_slo_checks(
                &mut out,
                scenario,
                Some(e),
                &slo,
                &src,
                latency_stages,
                error_stages,
            );
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_slo_checks(
        &self,
        out: &mut Vec<Check>,
        scenario: &str,
        e: Option<&Endpoint>,
        slo: &Slo,
        src: &str,
        lat: &[&str],
        err: &[&str],
    ) {
        let suffix = e.map(|e| format!("[{}]", e.label())).unwrap_or_default();
        let own = |field: &str| -> String {
            // Per-endpoint checks name the override when there is one, else the service SLO.
            match e.and_then(|e| e.slo.as_ref()) {
                Some(o) if field == "error_rate" && o.error_rate.is_some() => {
                    format!("{src}.slo.error_rate")
                }
                Some(o)
                    if field != "error_rate"
                        && o.latency_ms.iter().any(|(p, _)| p.key() == field) =>
                {
                    format!("{src}.slo.latency_ms.{field}")
                }
                _ if field == "error_rate" => "slo.error_rate".to_string(),
                _ => format!("slo.latency_ms.{field}"),
            }
        };
        for (p, v) in slo.latency_ms.iter() {
            out.push(Check {
                id: format!("{scenario}.latency_{}{suffix}", p.key()),
                metric: format!("latency_{}_ms", p.key().replace('.', "_")),
                comparator: Comparator::AtMost,
                threshold: v,
                source: own(p.key()),
                endpoint: e.map(Endpoint::label),
                stages: names(lat),
            });
        }
        if let Some(er) = slo.error_rate {
            out.push(Check {
                id: format!("{scenario}.error_rate{suffix}"),
                metric: "error_rate".to_string(),
                comparator: Comparator::AtMost,
                threshold: er,
                source: own("error_rate"),
                endpoint: e.map(Endpoint::label),
                stages: names(err),
            });
        }
    }

    pub(super) fn throughput_check(
        &self,
        scenario: &str,
        rate: f64,
        stage: &str,
        source: &str,
    ) -> Check {
        Check {
            id: format!("{scenario}.throughput"),
            metric: "throughput_rps".to_string(),
            comparator: Comparator::AtLeast,
            threshold: round(rate * self.d.min_throughput_share, 2),
            source: source.to_string(),
            endpoint: None,
            stages: names(&[stage]),
        }
    }

    pub(super) fn aborts(&self, latency_multiple: f64, sustained_s: u64) -> Vec<AbortCondition> {
        let mut out = Vec::new();
        if let Some(er) = self.p.slo.error_rate {
            let t = (er * self.d.abort_error_multiple)
                .max(self.d.abort_error_floor)
                .min(1.0);
            out.push(AbortCondition {
                metric: "error_rate".to_string(),
                comparator: Comparator::AtLeast,
                threshold: round(t, 4),
                sustained_s,
                reason: format!(
                    "errors at {}× the SLO (or {} %) mean the service is failing; continuing only adds damage",
                    self.d.abort_error_multiple,
                    self.d.abort_error_floor * 100.0
                ),
            });
        }
        if let Some((p, v)) = self.p.slo.latency_ms.tail() {
            out.push(AbortCondition {
                metric: format!("latency_{}_ms", p.key().replace('.', "_")),
                comparator: Comparator::AtLeast,
                threshold: round(v * latency_multiple, 2),
                sustained_s,
                reason: format!(
                    "{} latency at {latency_multiple}× its SLO means the service is saturated",
                    p.key()
                ),
            });
        }
        out
    }

    /// Smoke proves the script, the target and the metrics work, on the whole service: the
    /// latency objectives up to p95 (a smoke run is too short to bound p99 reliably) and the error
    /// rate, loosened to `smoke_max_error_rate` when the SLO is tighter than a short run can
    /// show. Its hold lasts long enough for a healthy run to decide those checks.
    pub(super) fn smoke_checks(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let lat: Vec<_> = self.p.slo.latency_ms.iter().collect();
        let upto_p95: Vec<_> = lat
            .iter()
            .filter(|(p, _)| p.value() <= 95.0)
            .copied()
            .collect();
        let chosen = if upto_p95.is_empty() {
            lat.first().copied().into_iter().collect()
        } else {
            upto_p95
        };
        for (p, v) in chosen {
            out.push(Check {
                id: format!("smoke.latency_{}", p.key()),
                metric: format!("latency_{}_ms", p.key().replace('.', "_")),
                comparator: Comparator::AtMost,
                threshold: v,
                source: format!("slo.latency_ms.{}", p.key()),
                endpoint: None,
                stages: names(&["smoke"]),
            });
        }
        let floor = self.d.smoke_max_error_rate;
        let (threshold, source) = match self.p.slo.error_rate {
            Some(e) if e >= floor => (e, "slo.error_rate"),
            _ => (floor, "defaults.smoke_max_error_rate"),
        };
        out.push(Check {
            id: "smoke.error_rate".into(),
            metric: "error_rate".into(),
            comparator: Comparator::AtMost,
            threshold,
            source: source.into(),
            endpoint: None,
            stages: names(&["smoke"]),
        });
        out
    }
}
