//! Per-request files stamped in whole seconds (ab `-g`, k6 `--out csv` by default): the span of
//! such a run is known only to within a second, so duration and every rate derived from it are
//! withdrawn rather than reported with an error the user cannot see.

use super::model::RunResults;

/// Removes duration and throughput (overall, per endpoint, per time bucket) and says why.
pub fn withdraw_rates(r: &mut RunResults, why: &str) {
    r.duration_s = None;
    r.overall.throughput_rps = None;
    for e in &mut r.endpoints {
        e.stats.throughput_rps = None;
    }
    for b in &mut r.timeseries {
        b.throughput_rps = None;
    }
    r.notes.push(format!(
        "{why}: the run's length is known only to within a second, so duration and throughput are not reported"
    ));
}
