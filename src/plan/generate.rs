//! Turns a validated profile into a plan. Pure and deterministic: the same profile always gives
//! the same plan, byte for byte once rendered, so plans diff cleanly and a touch changes nothing.

use sha2::{Digest, Sha256};

use super::{
    AbortCondition, Check, Comparator, DataSafety, Defaults, EndpointRate, PLAN_SCHEMA, Plan,
    PlannedEndpoint, Scenario, ScenarioKind, Stage, StageKind,
};
use crate::profile::{Endpoint, ServiceProfile};
use crate::units::{format_duration, round};

/// Generates the plan for a profile with the given defaults.
pub fn generate(profile: &ServiceProfile, d: &Defaults) -> Plan {
    let total_weight: f64 = profile.endpoints.iter().map(|e| e.weight).sum();
    let endpoints: Vec<PlannedEndpoint> = profile
        .endpoints
        .iter()
        .map(|e| PlannedEndpoint {
            method: e.method.clone(),
            path: e.path.clone(),
            name: e.name.clone(),
            critical: e.critical,
            share: round(share(e, total_weight), 4),
        })
        .collect();
    let g = Gen {
        p: profile,
        d,
        total_weight,
    };
    let scenarios = vec![g.smoke(), g.steady(), g.burst(), g.soak(), g.stress()];
    Plan {
        schema: PLAN_SCHEMA,
        service: profile.service.clone(),
        summary: profile.summary.clone(),
        profile_digest: digest(profile),
        generator: format!("perfassist {}", env!("CARGO_PKG_VERSION")),
        target: profile.base_url.clone(),
        data_safety: profile.data.uses_production_data.then(|| DataSafety {
            warning: "DATA SAFETY: this service uses production data. Run only with written approval, \
                      against an environment where test traffic cannot change or expose real customer data."
                .to_string(),
            notes: profile.data.notes.clone(),
        }),
        preflight: preflight(profile, &scenarios),
        slo: profile.slo.clone(),
        endpoints,
        dependencies: profile.dependencies.clone(),
        think_time_ms: profile.traffic.think_time_ms,
        scenarios,
    }
}

fn share(e: &Endpoint, total_weight: f64) -> f64 {
    if total_weight > 0.0 {
        e.weight / total_weight
    } else {
        0.0
    }
}

fn digest(profile: &ServiceProfile) -> String {
    // Serialising a struct of plain fields cannot fail; an empty digest would show it if it did.
    let bytes = serde_json::to_vec(profile).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

fn preflight(p: &ServiceProfile, scenarios: &[Scenario]) -> Vec<String> {
    let mut out = Vec::new();
    if p.data.uses_production_data {
        out.push(
            "Data safety: get written approval to run against production data, confirm no test request \
             can modify or expose real customer records, and agree a stop contact before starting."
                .to_string(),
        );
    }
    out.push(match &p.base_url {
        Some(url) => format!("Confirm {url} is the intended test environment, not production."),
        None => {
            "Set the target base URL (profile target.base_url or --target) to a test environment."
                .to_string()
        }
    });
    // The true maximum of the plan: every stage of every scenario.
    let (top, which) = scenarios
        .iter()
        .map(|s| (s.peak_rps, s.name))
        .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    out.push(format!(
        "Check the load generators can deliver {} requests/s (the {which} scenario goes that high) without running out of workers.",
        fmt_rate(top)
    ));
    if !p.dependencies.is_empty() {
        out.push(format!(
            "Tell the owners of {} about the test window, or stub them.",
            p.dependencies.join(", ")
        ));
    }
    out.push(
        "Make sure service metrics (CPU, memory, latency, errors) are recorded for the whole run."
            .to_string(),
    );
    out
}

fn fmt_rate(v: f64) -> String {
    let r = round(v, 2);
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

pub(super) struct Gen<'a> {
    pub p: &'a ServiceProfile,
    pub d: &'a Defaults,
    pub total_weight: f64,
}

fn ramp(name: &str, secs: u64, from: f64, to: f64) -> Stage {
    Stage {
        name: name.to_string(),
        kind: StageKind::Ramp,
        duration_s: secs,
        start_rps: round(from, 2),
        target_rps: round(to, 2),
    }
}

fn hold(name: &str, secs: u64, rate: f64) -> Stage {
    Stage {
        name: name.to_string(),
        kind: StageKind::Hold,
        duration_s: secs,
        start_rps: round(rate, 2),
        target_rps: round(rate, 2),
    }
}

pub(super) fn names(stages: &[&str]) -> Vec<String> {
    stages.iter().map(|s| s.to_string()).collect()
}

impl Gen<'_> {
    fn baseline(&self) -> f64 {
        self.p.traffic.baseline_rps
    }

    fn peak(&self) -> f64 {
        self.p.traffic.peak_rps
    }

    fn scenario(
        &self,
        kind: ScenarioKind,
        purpose: String,
        stages: Vec<Stage>,
        checks: Vec<Check>,
        abort: Vec<AbortCondition>,
        extra_metrics: &[&str],
    ) -> Scenario {
        let peak = stages
            .iter()
            .map(|s| s.target_rps.max(s.start_rps))
            .fold(0.0, f64::max);
        let endpoint_rates = self
            .p
            .endpoints
            .iter()
            .map(|e| {
                let s = share(e, self.total_weight);
                EndpointRate {
                    endpoint: e.label(),
                    share: round(s, 4),
                    peak_rps: round(peak * s, 2),
                }
            })
            .collect();
        Scenario {
            name: kind.name(),
            kind,
            purpose,
            load_model: "open (arrival rate)",
            total_duration_s: stages.iter().map(|s| s.duration_s).sum(),
            peak_rps: round(peak, 2),
            stages,
            endpoint_rates,
            checks,
            abort_conditions: abort,
            metrics_to_watch: self.metrics(extra_metrics),
            time_scale: None,
        }
    }

    fn metrics(&self, extra: &[&str]) -> Vec<String> {
        let mut m: Vec<String> = [
            "latency p50/p95/p99 per endpoint (ms)",
            "error rate and HTTP status codes per endpoint",
            "achieved vs planned request rate (and dropped iterations in the runner)",
            "CPU utilisation (%)",
            "memory utilisation (%)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        m.extend(extra.iter().map(|s| s.to_string()));
        for dep in &self.p.dependencies {
            m.push(format!("dependency {dep}: latency, error rate, saturation"));
        }
        m
    }

    fn smoke(&self) -> Scenario {
        let rate = self
            .baseline()
            .min(self.d.smoke_max_rps)
            .max(1.0_f64.min(self.baseline()));
        let checks = self.smoke_checks();
        let needed_hold = checks
            .iter()
            .filter_map(super::decisive::samples_for)
            .map(|n| (1.5 * n as f64 / rate).ceil() as u64)
            .max()
            .unwrap_or(0)
            .div_ceil(10)
            * 10;
        let total = match self.p.windows.smoke_s {
            Some(s) => s.max(2),
            None => self.d.smoke_s.max(self.d.smoke_s / 6 + needed_hold),
        };
        // A short ramp keeps the stages continuous (runners interpolate between stage targets).
        let first = (total / 6).clamp(1, (total - 1).min(10));
        let stages = vec![
            ramp("smoke-ramp", first, 0.0, rate),
            hold("smoke", total - first, rate),
        ];
        let mut aborts = self.aborts(self.d.abort_latency_multiple, 10);
        aborts.retain(|a| a.metric == "error_rate");
        self.scenario(
            ScenarioKind::Smoke,
            format!(
                "A {} run at a low rate ({} requests/s) that proves the script, the target and the metrics work before any long test; quick enough for every CI build, and long enough for a healthy run to decide its checks.",
                format_duration(total),
                fmt_rate(rate)
            ),
            stages,
            checks,
            aborts,
            &[],
        )
    }

    fn steady(&self) -> Scenario {
        let d = self.d;
        let (b, p) = (self.baseline(), self.peak());
        let warm = (b * d.warmup_fraction).max(b.min(1.0));
        let hold_peak = self.p.windows.steady_hold_s.unwrap_or(d.hold_peak_s);
        let mut stages = vec![
            hold("warm-up", d.warmup_s, warm),
            ramp("ramp-to-baseline", d.ramp_to_baseline_s, warm, b),
            hold("hold-baseline", d.hold_baseline_s, b),
        ];
        if p > b {
            stages.push(ramp("ramp-to-peak", d.ramp_to_peak_s, b, p));
        }
        stages.push(hold("hold-peak", hold_peak, p));
        stages.push(ramp("ramp-down", d.ramp_down_s, p, 0.0));
        let mut checks = self.slo_checks(
            "steady",
            &["hold-baseline", "hold-peak"],
            &[
                "ramp-to-baseline",
                "hold-baseline",
                "ramp-to-peak",
                "hold-peak",
            ],
        );
        checks.push(self.throughput_check("steady", p, "hold-peak", "traffic.peak_rps"));
        self.scenario(
            ScenarioKind::Steady,
            format!(
                "Shows the service meets its SLOs at normal load ({} requests/s) and holds them at the expected peak ({} requests/s) for {}.",
                fmt_rate(b),
                fmt_rate(p),
                format_duration(hold_peak)
            ),
            stages,
            checks,
            self.aborts(d.abort_latency_multiple, d.abort_sustained_s),
            &["connection pool and thread pool usage"],
        )
    }

    fn burst(&self) -> Scenario {
        let d = self.d;
        let (b, p) = (self.baseline(), self.peak());
        let spike = p * self.p.traffic.burst_factor;
        let spike_hold = self.p.windows.spike_s.unwrap_or(d.spike_hold_s);
        let stages = vec![
            ramp("warm-up", d.warmup_s, 0.0, b),
            hold("pre-burst", d.burst_reference_s, b),
            ramp("spike-up", d.spike_ramp_s, b, spike),
            hold("spike", spike_hold, spike),
            ramp("spike-down", d.spike_ramp_s, spike, b),
            hold("recovery", d.recovery_hold_s, b),
        ];
        let mut checks = self.slo_checks(
            "burst",
            &["pre-burst", "spike", "recovery"],
            &["pre-burst", "spike", "recovery"],
        );
        checks.push(Check {
            id: "burst.recovery_time".to_string(),
            metric: "recovery_time_s".to_string(),
            comparator: Comparator::AtMost,
            threshold: d.max_recovery_s,
            source: "defaults.max_recovery_s".to_string(),
            endpoint: None,
            stages: names(&["recovery"]),
        });
        self.scenario(
            ScenarioKind::Burst,
            format!(
                "Checks the service absorbs a sudden spike to peak × burst_factor ({} requests/s for {}) and returns to its SLOs within {} s once the spike ends.",
                fmt_rate(spike),
                format_duration(spike_hold),
                d.max_recovery_s
            ),
            stages,
            checks,
            self.aborts(d.abort_latency_multiple, d.abort_sustained_s),
            &["autoscaling events", "request queue depth", "time to recover after the spike"],
        )
    }

    fn soak(&self) -> Scenario {
        let d = self.d;
        let b = self.baseline();
        let soak = self.p.windows.soak_s.unwrap_or(d.soak_hold_s);
        let stages = vec![
            ramp("ramp-up", d.soak_ramp_s, 0.0, b),
            hold("soak", soak, b),
            ramp("ramp-down", d.soak_ramp_s, b, 0.0),
        ];
        let mut checks = self.slo_checks("soak", &["soak"], &["soak"]);
        let drift = |id: &str, metric: &str, t: f64, src: &str| Check {
            id: format!("soak.{id}"),
            metric: metric.to_string(),
            comparator: Comparator::AtMost,
            threshold: t,
            source: src.to_string(),
            endpoint: None,
            stages: names(&["soak"]),
        };
        if self.p.slo.latency_ms.p95.is_some() || !self.p.slo.latency_ms.is_empty() {
            checks.push(drift(
                "latency_drift",
                "latency_p95_drift_pct_per_hour",
                d.soak_latency_drift_pct_per_hour,
                "defaults.soak_latency_drift_pct_per_hour",
            ));
        }
        if let Some(er) = self.p.slo.error_rate {
            checks.push(drift(
                "error_drift",
                "error_rate_drift_per_hour",
                round(er / 4.0, 6),
                "slo.error_rate",
            ));
        }
        checks.push(drift(
            "memory_growth",
            "memory_growth_pct_per_hour",
            d.soak_memory_growth_pct_per_hour,
            "defaults.soak_memory_growth_pct_per_hour",
        ));
        self.scenario(
            ScenarioKind::Soak,
            format!(
                "Holds normal load ({} requests/s) for {} to expose slow leaks and drift: memory growth, latency creep, error creep, exhausted pools or disks.",
                fmt_rate(b),
                format_duration(soak)
            ),
            stages,
            checks,
            self.aborts(d.abort_latency_multiple, d.abort_sustained_s),
            &["memory growth per hour", "garbage-collection pauses", "open connections and file descriptors", "disk usage and log volume"],
        )
    }

    fn stress(&self) -> Scenario {
        let d = self.d;
        let p = self.peak();
        let mut factors: Vec<f64> = d.stress_step_factors.to_vec();
        let bf = self.p.traffic.burst_factor;
        if bf > factors.last().copied().unwrap_or(1.0) {
            factors.push(bf);
            factors.push(bf * 1.25);
        }
        let mut stages = Vec::new();
        let mut prev = 0.0;
        let mut first_hold = String::new();
        for f in &factors {
            let rate = p * f;
            let label = format!("{}%", round(f * 100.0, 0));
            stages.push(ramp(
                &format!("step-{label}-ramp"),
                if prev == 0.0 {
                    d.warmup_s
                } else {
                    d.stress_step_ramp_s
                },
                prev,
                rate,
            ));
            let hold_name = format!("step-{label}");
            if first_hold.is_empty() {
                first_hold = hold_name.clone();
            }
            stages.push(hold(&hold_name, d.stress_step_hold_s, rate));
            prev = rate;
        }
        stages.push(ramp("ramp-down", d.ramp_down_s, prev, 0.0));
        let checks = self.slo_checks("stress", &[first_hold.as_str()], &[first_hold.as_str()]);
        self.scenario(
            ScenarioKind::Stress,
            format!(
                "Steps beyond the peak (up to {}× = {} requests/s) to find where the SLOs break and how much headroom the service has; the SLOs must still hold at the 100 % step.",
                factors.last().copied().unwrap_or(1.0),
                fmt_rate(prev)
            ),
            stages,
            checks,
            self.aborts(d.abort_latency_multiple + 2.0, 30),
            &["the load level where latency or errors first cross the SLO (capacity knee)", "queue depth and pool saturation"],
        )
    }
}
