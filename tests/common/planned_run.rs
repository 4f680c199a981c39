//! Raw-sample files of runs made exactly as a plan's scenario says: requests arrive at each
//! stage's planned rate (ramps rising linearly, as arrival-rate executors ramp), spread over the
//! endpoints by their shares, with latencies chosen by the test. Written as a JMeter JTL (CSV)
//! or k6 `--out json` NDJSON, the two raw-sample formats runners write.

use perfassist::plan::Scenario;

/// One generated request: start (ms since the run began), endpoint label, latency (ms), success.
pub struct Request {
    pub at_ms: f64,
    pub endpoint: String,
    pub latency_ms: f64,
    pub ok: bool,
}

/// Requests following `s`'s stages. `latency(at_s, rate)` gives each request's latency from its
/// time and the planned rate at that time; every request succeeds unless `fail(i)`.
pub fn requests(
    s: &Scenario,
    latency: impl Fn(f64, f64) -> f64,
    fail: impl Fn(u64) -> bool,
) -> Vec<Request> {
    let mut out = Vec::new();
    let shares: Vec<(String, f64)> = s
        .endpoint_rates
        .iter()
        .map(|e| (e.endpoint.clone(), e.share))
        .collect();
    // Deterministic spread over the endpoints: a running tally per endpoint.
    let mut tally = vec![0.0f64; shares.len()];
    let mut t = 0.0f64;
    let mut i = 0u64;
    let mut stage_start = 0.0;
    for st in &s.stages {
        let d = st.duration_s as f64;
        let end = stage_start + d;
        // Integrate the planned rate: the next arrival comes when one more request is due.
        let mut due = 0.0;
        let mut now = stage_start.max(t);
        let step = 0.001;
        while now < end {
            let frac = (now - stage_start) / d;
            let rate = st.start_rps + (st.target_rps - st.start_rps) * frac;
            due += rate * step;
            if due >= 1.0 {
                due -= 1.0;
                for (k, (_, share)) in shares.iter().enumerate() {
                    tally[k] += share;
                }
                let k = (0..shares.len())
                    .max_by(|&a, &b| tally[a].total_cmp(&tally[b]))
                    .unwrap_or(0);
                tally[k] -= 1.0;
                out.push(Request {
                    at_ms: now * 1000.0,
                    endpoint: shares[k].0.clone(),
                    latency_ms: latency(now, rate),
                    ok: !fail(i),
                });
                i += 1;
            }
            now += step;
        }
        t = end;
        stage_start = end;
    }
    out
}

/// A healthy service: latencies spread between 20 and 80 ms, whatever the load.
pub fn healthy(at_s: f64, _rate: f64) -> f64 {
    20.0 + ((at_s * 7919.0).sin().abs() * 60.0).floor()
}

/// The requests as a JMeter 5 JTL (CSV with a header), starting at `epoch_ms`.
pub fn jtl(reqs: &[Request], epoch_ms: u64) -> String {
    let mut out = String::from(
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,bytes\n",
    );
    for r in reqs {
        out.push_str(&format!(
            "{},{},{},{},{},Thread Group 1-1,{},512\n",
            epoch_ms + r.at_ms as u64,
            r.latency_ms.round() as u64,
            r.endpoint,
            if r.ok { 200 } else { 500 },
            if r.ok { "OK" } else { "Internal Server Error" },
            r.ok
        ));
    }
    out
}

/// The requests as k6 `--out json` lines (`http_reqs`, `http_req_duration`, `http_req_failed`).
pub fn k6_ndjson(reqs: &[Request], epoch_s: i64) -> String {
    let mut out = String::new();
    for r in reqs {
        let (method, path) = r.endpoint.split_once(' ').unwrap_or(("GET", &r.endpoint));
        let t = chrono::DateTime::from_timestamp_millis(epoch_s * 1000 + r.at_ms as i64)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let tags = format!(
            r#"{{"expected_response":"{}","method":"{method}","name":"http://127.0.0.1{path}","status":"{}","url":"http://127.0.0.1{path}"}}"#,
            r.ok,
            if r.ok { 200 } else { 500 }
        );
        for (metric, value) in [
            ("http_reqs", "1".to_string()),
            ("http_req_duration", format!("{:.3}", r.latency_ms)),
            ("http_req_failed", if r.ok { "0" } else { "1" }.to_string()),
        ] {
            out.push_str(&format!(
                r#"{{"metric":"{metric}","type":"Point","data":{{"time":"{t}","value":{value},"tags":{tags}}}}}"#
            ));
            out.push('\n');
        }
    }
    out
}
