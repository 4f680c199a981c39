//! The service profile: what a service is, the traffic it sees and the SLOs it promises.
//! `load` turns profile text into a validated `ServiceProfile` plus every problem found in it.

mod fields;
mod read;
mod schema;

use serde::Serialize;

use crate::diag::{self, Diagnostic};
use crate::locate::Positions;
use crate::textdoc::{self, Syntax};

pub use read::check_service_name;
pub use schema::{KNOWN_HTTP_METHODS, closest as closest_key};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceProfile {
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub traffic: Traffic,
    pub slo: Slo,
    pub endpoints: Vec<Endpoint>,
    pub dependencies: Vec<String>,
    pub data: DataPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub windows: TestWindows,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    pub baseline_rps: f64,
    pub peak_rps: f64,
    pub burst_factor: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think_time_ms: Option<f64>,
}

/// Latency objectives in milliseconds, by percentile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencySlo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    #[serde(rename = "p99.9", skip_serializing_if = "Option::is_none")]
    pub p999: Option<f64>,
}

/// A percentile an SLO can name, in ascending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Percentile {
    P50,
    P90,
    P95,
    P99,
    P999,
}

impl Percentile {
    pub const ALL: [Percentile; 5] = [
        Percentile::P50,
        Percentile::P90,
        Percentile::P95,
        Percentile::P99,
        Percentile::P999,
    ];

    /// The key used in profiles (`p95`, `p99.9`).
    pub fn key(self) -> &'static str {
        match self {
            Percentile::P50 => "p50",
            Percentile::P90 => "p90",
            Percentile::P95 => "p95",
            Percentile::P99 => "p99",
            Percentile::P999 => "p99.9",
        }
    }

    /// The percentile as a number (95.0, 99.9).
    pub fn value(self) -> f64 {
        match self {
            Percentile::P50 => 50.0,
            Percentile::P90 => 90.0,
            Percentile::P95 => 95.0,
            Percentile::P99 => 99.0,
            Percentile::P999 => 99.9,
        }
    }
}

impl LatencySlo {
    pub fn get(&self, p: Percentile) -> Option<f64> {
        match p {
            Percentile::P50 => self.p50,
            Percentile::P90 => self.p90,
            Percentile::P95 => self.p95,
            Percentile::P99 => self.p99,
            Percentile::P999 => self.p999,
        }
    }

    pub fn set(&mut self, p: Percentile, v: Option<f64>) {
        match p {
            Percentile::P50 => self.p50 = v,
            Percentile::P90 => self.p90 = v,
            Percentile::P95 => self.p95 = v,
            Percentile::P99 => self.p99 = v,
            Percentile::P999 => self.p999 = v,
        }
    }

    /// The objectives that are set, lowest percentile first.
    pub fn iter(&self) -> impl Iterator<Item = (Percentile, f64)> + '_ {
        Percentile::ALL
            .into_iter()
            .filter_map(|p| self.get(p).map(|v| (p, v)))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The strictest tail objective, used for abort conditions: p99 if set, else the highest set.
    pub fn tail(&self) -> Option<(Percentile, f64)> {
        self.p99
            .map(|v| (Percentile::P99, v))
            .or_else(|| self.iter().last())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Slo {
    pub latency_ms: LatencySlo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub critical: bool,
    /// Share of traffic relative to the other endpoints' weights (default 1).
    pub weight: f64,
    /// The label runners use for this endpoint when it differs from `METHOD path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Per-endpoint objectives; unset fields fall back to the service SLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slo>,
}

impl Endpoint {
    /// `POST /cart/submit`
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The objectives this endpoint is held to: its overrides, else the service's.
    pub fn effective_slo(&self, service: &Slo) -> Slo {
        let mut out = service.clone();
        if let Some(own) = &self.slo {
            for p in Percentile::ALL {
                if let Some(v) = own.latency_ms.get(p) {
                    out.latency_ms.set(p, Some(v));
                }
            }
            if own.error_rate.is_some() {
                out.error_rate = own.error_rate;
            }
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataPolicy {
    pub uses_production_data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Optional overrides for scenario lengths, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TestWindows {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steady_hold_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spike_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soak_s: Option<u64>,
}

/// A parsed profile with its warnings (unknown keys and the like).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: ServiceProfile,
    pub warnings: Vec<Diagnostic>,
}

/// Every problem found in a profile that could not be loaded, errors and warnings together.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} has {} error(s)", file, diagnostics.iter().filter(|d| d.is_error()).count())]
pub struct ProfileErrors {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and validates profile text. `file` names the input in diagnostics.
pub fn load(file: &str, text: &str) -> Result<Loaded, ProfileErrors> {
    let syntax = Syntax::detect(file, text);
    let value = match textdoc::parse(text, syntax) {
        Ok(v) => v,
        Err(e) => {
            let d = Diagnostic::error(
                "",
                format!("not valid {}: {}", syntax_name(syntax), e.message),
            )
            .at(e.line, e.column)
            .hint("fix the syntax at this position");
            return Err(ProfileErrors {
                file: file.to_string(),
                diagnostics: placed(vec![d], file, text),
            });
        }
    };
    let (profile, diags) = read::read_profile(&value);
    let diags = placed(diags, file, text);
    match profile {
        Some(profile) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded {
            profile,
            warnings: diags,
        }),
        _ => Err(ProfileErrors {
            file: file.to_string(),
            diagnostics: diags,
        }),
    }
}

fn syntax_name(s: Syntax) -> &'static str {
    match s {
        Syntax::Json => "JSON",
        Syntax::Yaml => "YAML",
    }
}

fn placed(mut diags: Vec<Diagnostic>, file: &str, text: &str) -> Vec<Diagnostic> {
    if diags.is_empty() {
        // Locating costs a second parse; a clean profile needs none.
        return diags;
    }
    let positions = Positions::of(text);
    diag::place(&mut diags, file, &positions);
    // Errors first, then in document order, so the first line printed is the first thing to fix.
    diags.sort_by_key(|d| (d.severity, d.line.unwrap_or(0), d.column.unwrap_or(0)));
    diags
}

/// Tells whether a parsed document looks like a service profile rather than a results file:
/// it has a `service` name and at least one of `traffic`, `slo` or `endpoints`.
pub fn looks_like_profile(value: &serde_json::Value) -> bool {
    let Some(map) = value.as_object() else {
        return false;
    };
    map.contains_key("service")
        && (map.contains_key("traffic") || map.contains_key("slo") || map.contains_key("endpoints"))
}

#[cfg(test)]
mod tests;
