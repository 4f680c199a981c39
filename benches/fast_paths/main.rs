//! The JTL CSV and k6 NDJSON readers' parts, each against alternatives (libraries, or the
//! hand-written code a library replaced), on the same generated data, interleaved in rounds (each
//! contender once per round, the order reversed every other round) so that a neighbour's load falls
//! on all of them alike. Per contender: median and min time, MB/s; per part: the ratio of the
//! reader's way to the best alternative in every round and its spread (the noise), and the part's
//! time and gain as shares of the whole one-thread read timed in the same rounds.
//!
//! `cargo bench --bench fast_paths`; `FAST_PATHS_ROWS` (JTL rows, default 3,000,000),
//! `FAST_PATHS_POINTS` (k6 points, default 1,200,000) and `FAST_PATHS_ROUNDS` (default 7).

mod data;
mod jtl;
mod k6;

use std::hash::{Hash, Hasher};
use std::time::Instant;

use perfassist::results::{ResultsError, RunResults};

/// One way of doing a group's job; `run` returns a sum of what it read, which must be the same
/// for every contender of the group (else they did not do the same job).
pub struct Contender<'a> {
    name: &'static str,
    reader: bool,
    run: Box<dyn FnMut() -> u64 + 'a>,
    secs: Vec<f64>,
}

impl<'a> Contender<'a> {
    /// The way the reader does the job.
    pub fn reader(name: &'static str, run: impl FnMut() -> u64 + 'a) -> Self {
        Contender {
            name,
            reader: true,
            run: Box::new(run),
            secs: Vec::new(),
        }
    }

    pub fn other(name: &'static str, run: impl FnMut() -> u64 + 'a) -> Self {
        Contender {
            reader: false,
            ..Contender::reader(name, run)
        }
    }
}

/// Contenders doing the same job on `bytes` bytes; `part_of` names the whole read it is part of.
pub struct Group<'a> {
    title: &'static str,
    bytes: usize,
    part_of: Option<&'static str>,
    contenders: Vec<Contender<'a>>,
}

impl<'a> Group<'a> {
    pub fn new(
        title: &'static str,
        bytes: usize,
        part_of: Option<&'static str>,
        contenders: Vec<Contender<'a>>,
    ) -> Self {
        Group {
            title,
            bytes,
            part_of,
            contenders,
        }
    }
}

/// A whole read's result, hashed: the readers compared must give the same results.
pub fn results_sum(r: Result<RunResults, ResultsError>) -> u64 {
    let text = match r {
        Ok(r) => serde_json::to_string(&r).unwrap_or_default(),
        Err(e) => format!("{e:?}"),
    };
    let mut h = std::hash::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn main() {
    let rows = env_usize("FAST_PATHS_ROWS", 3_000_000);
    let points = env_usize("FAST_PATHS_POINTS", 1_200_000);
    let rounds = env_usize("FAST_PATHS_ROUNDS", 7).max(1);

    let t = Instant::now();
    let jtl_data = data::jtl(rows);
    let body = &jtl_data[data::JTL_HEADER.len()..];
    let blocks = data::blocks(body, 1 << 16);
    let spans = jtl::Spans::of(&blocks);
    let k6_data = data::k6(points);
    let k6_lines = k6::lines(&k6_data);
    println!(
        "data: JTL {rows} rows, {:.0} MB; k6 {points} points, {:.0} MB; made in {:.1} s; {rounds} rounds",
        jtl_data.len() as f64 / 1e6,
        k6_data.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before: {}", load.trim());
    }

    let mut groups = jtl::groups(&jtl_data, body, &blocks, &spans);
    groups.extend(k6::groups(&k6_data, &k6_lines));

    // A warm-up round, untimed, that also checks every contender read the same.
    for g in &mut groups {
        let sums: Vec<u64> = g.contenders.iter_mut().map(|c| (c.run)()).collect();
        for (c, s) in g.contenders.iter().zip(&sums) {
            assert_eq!(
                *s, sums[0],
                "{}: {} read differently from {}",
                g.title, c.name, g.contenders[0].name
            );
        }
    }
    for round in 0..rounds {
        for g in &mut groups {
            let n = g.contenders.len();
            for i in 0..n {
                let c = &mut g.contenders[if round % 2 == 0 { i } else { n - 1 - i }];
                let t = Instant::now();
                std::hint::black_box((c.run)());
                c.secs.push(t.elapsed().as_secs_f64());
            }
        }
        eprint!("round {}/{rounds} done\r", round + 1);
    }
    eprintln!();
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average after: {}", load.trim());
    }
    report(&groups);
}

/// Prints each group's table and verdict figures.
fn report(groups: &[Group]) {
    let whole = |title: &str| {
        groups
            .iter()
            .find(|g| g.title == title)
            .and_then(|g| g.contenders.iter().find(|c| c.reader))
            .map(|c| median(&c.secs))
    };
    for g in groups {
        println!("\n== {} ({:.0} MB) ==", g.title, g.bytes as f64 / 1e6);
        println!(
            "{:<46} {:>10} {:>10} {:>9}",
            "contender", "median ms", "min ms", "MB/s"
        );
        for c in &g.contenders {
            let m = median(&c.secs);
            println!(
                "{:<46} {:>10.1} {:>10.1} {:>9.0}",
                c.name,
                m * 1e3,
                min(&c.secs) * 1e3,
                g.bytes as f64 / 1e6 / m
            );
        }
        let Some(ours) = g.contenders.iter().find(|c| c.reader) else {
            continue;
        };
        let Some(best) = g
            .contenders
            .iter()
            .filter(|c| !c.reader)
            .min_by(|a, b| median(&a.secs).total_cmp(&median(&b.secs)))
        else {
            continue;
        };
        let ratios: Vec<f64> = ours
            .secs
            .iter()
            .zip(&best.secs)
            .map(|(h, b)| h / b)
            .collect();
        let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
        let mid = median(&ratios);
        println!(
            "reader / {} per round: {}\n  median {mid:.3}, spread {:.3}..{:.3} (±{:.1} % of the median)",
            best.name,
            shown.join(" "),
            min(&ratios),
            max(&ratios),
            (max(&ratios) - min(&ratios)) / 2.0 / mid * 100.0
        );
        if let Some(w) = g.part_of.and_then(whole) {
            let (h, b) = (median(&ours.secs), median(&best.secs));
            println!(
                "  of the whole one-thread read ({:.0} ms): reader's {:.1} %, best alternative {:.1} %; \
                 gain of the reader's {:+.1} % of the whole read",
                w * 1e3,
                h / w * 100.0,
                b / w * 100.0,
                (b - h) / w * 100.0
            );
        }
    }
}
