//! The time series in Locust's JSON report: each endpoint's requests and failures per second
//! (`num_reqs_per_sec`, `num_fail_per_sec`), turned into buckets with one cell per endpoint, so a
//! Locust run's stages can be placed and its load and errors judged stage by stage. Latencies are
//! kept per endpoint for the whole run only, so a stage's latency is judged on the whole run.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Bucket, BucketDetail, Cell, Group, SeriesDetail};

/// Buckets kept at most; past it, neighbouring seconds merge into wider buckets.
const MAX_BUCKETS: usize = 300;

/// (endpoint index, requests, failures) per Unix second.
type PerSecond = BTreeMap<i64, Vec<(usize, u64, u64)>>;

/// Reads the per-second counts of every entry; `None` when the report has none.
pub fn read(entries: &[Value]) -> Option<(Vec<Bucket>, SeriesDetail)> {
    let mut per: PerSecond = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let counts = |k: &str| -> BTreeMap<i64, u64> {
            e.get(k)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(s, n)| Some((s.parse::<f64>().ok()? as i64, n.as_u64()?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let reqs = counts("num_reqs_per_sec");
        let fails = counts("num_fail_per_sec");
        for (sec, n) in reqs {
            let f = fails.get(&sec).copied().unwrap_or(0).min(n);
            per.entry(sec).or_default().push((i, n, f));
        }
    }
    let (&first, _) = per.first_key_value()?;
    let (&last, _) = per.last_key_value()?;
    let span = (last - first + 1) as usize;
    let mut width = 1i64;
    while span.div_ceil(width as usize) > MAX_BUCKETS {
        width *= 2;
    }
    let mut buckets: BTreeMap<i64, Vec<(usize, u64, u64)>> = BTreeMap::new();
    for (sec, cells) in per {
        buckets
            .entry((sec - first) / width)
            .or_default()
            .extend(cells);
    }
    let mut series = Vec::new();
    let mut detail = SeriesDetail {
        per_ms: 1.0,
        buckets: Vec::new(),
    };
    for (k, cells) in buckets {
        let offset = (k * width) as f64;
        let w = (width as f64).min((last - first + 1) as f64 - offset);
        let requests: u64 = cells.iter().map(|c| c.1).sum();
        let failures: u64 = cells.iter().map(|c| c.2).sum();
        let mut merged: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        for (i, n, f) in cells {
            let m = merged.entry(i).or_default();
            m.0 += n;
            m.1 += f;
        }
        series.push(Bucket {
            offset_s: offset,
            throughput_rps: (w > 0.0).then(|| requests as f64 / w),
            error_rate: (requests > 0).then(|| failures as f64 / requests as f64),
            ..Bucket::default()
        });
        detail.buckets.push(BucketDetail {
            width_s: w,
            cells: merged
                .into_iter()
                .map(|(i, (n, f))| Cell {
                    group: Group::Endpoint(i),
                    requests: n,
                    errors: f,
                    known: n,
                    hist: None,
                })
                .collect(),
        });
    }
    Some((series, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_become_buckets_with_a_cell_per_endpoint() {
        let v: Value = serde_json::from_str(
            r#"[{"num_reqs_per_sec": {"100": 5, "101": 4, "103": 5}, "num_fail_per_sec": {"101": 1}},
                {"num_reqs_per_sec": {"100": 1}}]"#,
        )
        .unwrap();
        let (series, detail) = read(v.as_array().unwrap()).unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].throughput_rps, Some(6.0));
        assert_eq!(series[1].error_rate, Some(0.25));
        assert_eq!(series[2].offset_s, 3.0);
        assert_eq!(detail.buckets[0].cells.len(), 2);
        assert_eq!(detail.buckets[1].cells[0].errors, 1);
    }
}
