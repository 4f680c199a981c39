//! Stage lengths and ratios the generator uses when the profile does not say. Each value's
//! reason is written in SPEC.md ("Plan defaults"); keep the two in step.

/// Durations in seconds and ratios used to shape scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub warmup_s: u64,
    pub warmup_fraction: f64,
    pub ramp_to_baseline_s: u64,
    pub hold_baseline_s: u64,
    pub ramp_to_peak_s: u64,
    pub hold_peak_s: u64,
    pub ramp_down_s: u64,
    pub burst_reference_s: u64,
    pub spike_ramp_s: u64,
    pub spike_hold_s: u64,
    pub recovery_hold_s: u64,
    pub max_recovery_s: f64,
    pub soak_ramp_s: u64,
    pub soak_hold_s: u64,
    pub soak_latency_drift_pct_per_hour: f64,
    pub soak_memory_growth_pct_per_hour: f64,
    pub stress_step_factors: &'static [f64],
    pub stress_step_ramp_s: u64,
    pub stress_step_hold_s: u64,
    pub smoke_s: u64,
    pub smoke_max_rps: f64,
    pub smoke_max_error_rate: f64,
    pub abort_error_multiple: f64,
    pub abort_error_floor: f64,
    pub abort_latency_multiple: f64,
    pub abort_sustained_s: u64,
    pub min_throughput_share: f64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            warmup_s: 60,
            warmup_fraction: 0.1,
            ramp_to_baseline_s: 120,
            hold_baseline_s: 300,
            ramp_to_peak_s: 180,
            hold_peak_s: 900,
            ramp_down_s: 60,
            burst_reference_s: 300,
            spike_ramp_s: 10,
            spike_hold_s: 60,
            recovery_hold_s: 300,
            max_recovery_s: 60.0,
            soak_ramp_s: 300,
            soak_hold_s: 4 * 3600,
            soak_latency_drift_pct_per_hour: 5.0,
            soak_memory_growth_pct_per_hour: 2.0,
            stress_step_factors: &[1.0, 1.25, 1.5, 2.0, 2.5, 3.0],
            stress_step_ramp_s: 30,
            stress_step_hold_s: 120,
            smoke_s: 60,
            smoke_max_rps: 5.0,
            smoke_max_error_rate: 0.02,
            abort_error_multiple: 10.0,
            abort_error_floor: 0.05,
            abort_latency_multiple: 3.0,
            abort_sustained_s: 60,
            min_throughput_share: 0.95,
        }
    }
}
