//! Plan shapes worth a second look before anyone runs them: a hold shorter than the ramp that leads
//! into it measures mostly the ramp's after-effects, not the level it was meant to hold.

use super::{Plan, ScenarioKind, StageKind};
use crate::diag::Diagnostic;

/// The profile field that sets a hold's length, where a profile can set it.
fn field_of(kind: ScenarioKind, stage: &str) -> Option<&'static str> {
    match (kind, stage) {
        (ScenarioKind::Smoke, "smoke") => Some("test_window.smoke"),
        (ScenarioKind::Steady, "hold-peak") => Some("test_window.steady_hold"),
        (ScenarioKind::Burst, "spike") => Some("test_window.spike"),
        (ScenarioKind::Soak, "soak") => Some("test_window.soak"),
        _ => None,
    }
}

/// One warning for every hold that is shorter than the ramp just before it, naming the profile
/// field that set the hold (so a caller can place it at its line), or none when it is a default.
pub fn shape_warnings(plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in &plan.scenarios {
        for pair in s.stages.windows(2) {
            let (ramp, hold) = (&pair[0], &pair[1]);
            if ramp.kind != StageKind::Ramp
                || hold.kind != StageKind::Hold
                || hold.duration_s >= ramp.duration_s
            {
                continue;
            }
            let field = field_of(s.kind, &hold.name).unwrap_or("");
            let mut d = Diagnostic::warning(
                field,
                format!(
                    "{} holds `{}` for {} s, shorter than the {} s ramp `{}` before it: the hold measures mostly the ramp's after-effects",
                    s.name, hold.name, hold.duration_s, ramp.duration_s, ramp.name
                ),
            )
            .hint(format!(
                "hold at least as long as the ramp ({} s); five times as long gives stable percentiles",
                ramp.duration_s
            ));
            if !field.is_empty() {
                d = d.value(format!("{}s", hold.duration_s));
            }
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Defaults, generate};
    use crate::profile;

    fn plan(extra: &str) -> Plan {
        let yaml = format!(
            "service: s\ntraffic: {{baseline_rps: 10, peak_rps: 20}}\nslo: {{latency_ms: {{p95: 100}}}}\nendpoints: [{{path: /a, method: GET}}]\n{extra}"
        );
        generate(
            &profile::load("p.yaml", &yaml).unwrap().profile,
            &Defaults::default(),
        )
    }

    #[test]
    fn a_short_steady_hold_is_named_by_its_field() {
        let w = shape_warnings(&plan("test_window: {steady_hold: 2m}\n"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].field, "test_window.steady_hold");
        assert_eq!(w[0].value.as_deref(), Some("120s"));
        assert!(
            w[0].message.contains(
                "steady holds `hold-peak` for 120 s, shorter than the 180 s ramp `ramp-to-peak`"
            ),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn default_plans_and_holds_as_long_as_their_ramp_are_quiet() {
        assert!(shape_warnings(&plan("")).is_empty());
        assert!(shape_warnings(&plan("test_window: {steady_hold: 3m, spike: 10s}\n")).is_empty());
        let w = shape_warnings(&plan("test_window: {spike: 5s}\n"));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].field, "test_window.spike");
    }
}
