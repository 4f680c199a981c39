//! Locustfile: an `HttpUser` whose tasks follow the endpoint mix, a `LoadTestShape` that replays
//! the plan's stages, a pacing wait that holds the planned request rate, and SLO exit codes.
//!
//! `paced_wait` is `constant_throughput` at `planned rate / users` with a rate that follows the
//! plan: the gap to a user's next request is found by stepping through the plan 50 ms at a time
//! until one request is owed, so a ramp from zero does not stall a user for a long interval. The
//! exit code is set at `quitting` from `environment.stats` (`fail_ratio`,
//! `get_response_time_percentile`) and `runner.exceptions`; the abort watcher is a greenlet started
//! at `test_start`.

use super::Input;
use super::common::{self, LimitMetric, num, quote};

pub fn render(input: &Input) -> String {
    let service = &input.plan.service;
    let file = super::Runner::Locust.file_name(input.single.then(|| input.scenarios[0].name));
    let stem = common::result_stem(input, "locust");
    let mut hint = vec![
        "Run headless, writing the results perfassist reads:".to_string(),
        format!("  locust -f {file} --headless --csv {stem} --json-file {stem}"),
    ];
    hint.extend(common::para(&format!(
        "(--host URL overrides the target.) Results, named <service>-<scenario>-locust for \
         perfassist: hand ONE of them to inbox/{service}/ unrenamed: {stem}_stats.csv with its \
         companions (its _stats_history.csv gives the per-stage analysis) or {stem}.json."
    )));
    hint.extend(common::para(
        "The shape below sets the user count and ends the run; --users and --run-time are \
         ignored. The exit code comes from the SLOs, not from Locust's rule (1 on any failed \
         request): 0 when every limit below holds at the end; 1 when one is broken, the \
         locustfile raised an exception, or an abort condition held for its sustained time \
         (the run then stops early).",
    ));
    if let Some(t) = input.plan.think_time_ms {
        hint.extend(common::para(&format!(
            "Think time (traffic.think_time_ms = {} ms): each user pauses at least that long \
             between requests, and there are users enough for it (Little's law with latency + \
             think time).",
            num(t)
        )));
    }
    let mut out = common::comment_block(&common::header(input, "Locust", &hint, true), "#");
    out.push_str(
        "\nimport math\nimport re\nimport time\n\nimport gevent\nfrom locust import HttpUser, LoadTestShape, events, task\nfrom locust.runners import WorkerRunner\n\n",
    );
    out.push_str(&format!("TARGET = {}\n", quote(&input.target)));
    out.push_str(&format!(
        "# Little's law: users = ceil(rate x (LATENCY_S + THINK_S) x HEADROOM), each paced to rate / users.\nLATENCY_S = {}\nHEADROOM = {}\n",
        num(input.sizing.latency_ms / 1000.0),
        num(common::HEADROOM)
    ));
    out.push_str(&format!(
        "# traffic.think_time_ms: the shortest pause a user takes between two requests, in seconds.\nTHINK_S = {}\n",
        num(input.plan.think_time_ms.unwrap_or(0.0) / 1000.0)
    ));
    out.push_str(
        "# (scenario, stage, start s, duration s, start requests/s, end requests/s), back to back.\nSTAGES = [\n",
    );
    let mut t = 0;
    for s in &input.scenarios {
        for st in &s.stages {
            out.push_str(&format!(
                "    ({}, {}, {t}, {}, {}, {}),\n",
                quote(s.name),
                quote(&st.name),
                st.duration_s,
                num(st.start_rps),
                num(st.target_rps)
            ));
            t += st.duration_s;
        }
    }
    out.push_str(&format!("]\nTOTAL_S = {t}\n"));
    out.push_str(
        "# SLO limits the run is held to at the end: (request name or None for all, metric, limit).\n# Latency limits are in ms; error-rate limits are a share of requests.\nLIMITS = [\n",
    );
    for l in common::whole_run_limits(input) {
        let who = l
            .endpoint
            .as_deref()
            .map(quote)
            .unwrap_or_else(|| "None".into());
        let (metric, limit) = match l.metric {
            LimitMetric::Latency(p) => (format!("p{}", num(p)), num(l.threshold)),
            LimitMetric::ErrorRate => ("error_rate".to_string(), num(l.threshold)),
        };
        out.push_str(&format!("    ({who}, {}, {limit}),\n", quote(&metric)));
    }
    out.push_str("]\n");
    out.push_str(
        "# Abort conditions: (scenario, metric, level, seconds): stop the run once the metric stays at\n# or above the level that long during that scenario (error rate over the last 10 s; latency from\n# Locust's 10 s window).\nABORTS = [\n",
    );
    let mut aborts: Vec<String> = Vec::new();
    for s in &input.scenarios {
        for a in &s.abort_conditions {
            let metric = if a.metric == "error_rate" {
                "error_rate".to_string()
            } else if let Some(p) = common::latency_percentile(&a.metric) {
                format!("p{}", num(p))
            } else {
                continue;
            };
            let row = format!(
                "    ({}, {}, {}, {}),\n",
                quote(s.name),
                quote(&metric),
                num(a.threshold),
                a.sustained_s
            );
            if !aborts.contains(&row) {
                aborts.push(row);
            }
        }
    }
    for row in aborts {
        out.push_str(&row);
    }
    out.push_str("]\n\n");
    out.push_str(SHARED);
    out.push_str(
        "\n\nclass PlannedUser(HttpUser):\n    host = TARGET\n    wait_time = paced_wait\n",
    );
    let weights = common::int_weights(&input.plan.endpoints);
    for (i, (e, w)) in input.plan.endpoints.iter().zip(weights).enumerate() {
        out.push_str(&format!(
            "\n    @task({w})\n    def endpoint_{i}(self):\n        self.client.request({}, {}, name={})\n",
            quote(&e.method),
            quote(&e.path),
            quote(&common::request_name(e))
        ));
    }
    out.push_str(SHAPE);
    out
}

const SHARED: &str = r#"
def current_scenario(run_time):
    for scenario, _stage, start, duration, _r0, _r1 in STAGES:
        if start <= run_time < start + duration:
            return scenario
    return None


def planned_rate(run_time):
    """Requests per second the plan asks for at `run_time` seconds, or None after the end."""
    for _scenario, _stage, start, duration, r0, r1 in STAGES:
        if start <= run_time < start + duration:
            return r0 + (r1 - r0) * (run_time - start) / duration
    return None


def users_for(rate):
    return max(1, math.ceil(rate * (LATENCY_S + THINK_S) * HEADROOM - 1e-9))


def paced_wait(user):
    """Throughput-based wait (constant_throughput whose rate follows the plan): each user runs
    planned_rate / users tasks per second, so the users together make the planned rate. The gap to
    the next request is found by stepping through the plan, so ramps from zero do not stall."""
    shape = user.environment.shape_class
    now = time.monotonic()
    last = getattr(user, "_perfassist_last", now)
    t = shape.get_run_time() - (now - last) if shape else 0.0
    owed, step, gap = 0.0, 0.05, 0.0
    while owed < 1.0 and t + gap < TOTAL_S:
        rate = planned_rate(t + gap) or 0.0
        owed += rate / users_for(rate) * step
        gap += step
    user._perfassist_last = last + gap
    # The users are sized so the pacing gap covers the think time; after a slow response it may
    # not, and the pause is then the think time (the schedule catches up on later requests).
    return max(THINK_S, last + gap - now)


@events.init.add_listener
def refuse_placeholder_target(environment, **_kwargs):
    host = environment.host or TARGET
    if re.search(r"\.invalid(:\d+)?(/|$)", host):
        raise SystemExit("no target set: export again with --target URL, or run with --host URL")


@events.test_start.add_listener
def watch_aborts(environment, **_kwargs):
    if ABORTS and environment.shape_class and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(abort_watch, environment)


def abort_watch(environment):
    """Stops the run when an abort condition holds for its whole sustained time."""
    since, history = {}, []
    while environment.runner.state not in ("stopping", "stopped", "cleanup"):
        gevent.sleep(1)
        total, now = environment.stats.total, time.monotonic()
        history.append((now, total.num_requests, total.num_failures))
        history = [h for h in history if h[0] >= now - 10.5]
        scenario = current_scenario(environment.shape_class.get_run_time())
        for name, metric, level, sustained in ABORTS:
            if name != scenario:
                since.pop((name, metric), None)
                continue
            if metric == "error_rate":
                requests = total.num_requests - history[0][1]
                value = (total.num_failures - history[0][2]) / requests if requests else 0.0
            else:
                try:
                    value = total.get_current_response_time_percentile(float(metric[1:]) / 100.0) or 0
                except ValueError:
                    continue
            if value < level:
                since.pop((name, metric), None)
                continue
            since.setdefault((name, metric), now)
            if now - since[(name, metric)] >= sustained:
                print(f"perfassist abort: {metric} {value} >= {level} for {sustained} s, stopping the run")
                environment.process_exit_code = 1
                environment.runner.quit()
                return


@events.quitting.add_listener
def exit_code_from_slos(environment, **_kwargs):
    """Sets the exit code from the SLO limits: Locust's own rule (1 on any failed request) would
    fail a run whose few errors are well within the error-rate objective."""
    if environment.process_exit_code is not None:
        return  # the abort watcher has already failed the run
    broken = []
    for name, metric, limit in LIMITS:
        if name is None:
            entry = environment.stats.total
        else:
            entry = next((e for e in environment.stats.entries.values() if e.name == name), None)
        if entry is None or entry.num_requests == 0:
            broken.append(f"{name or 'all requests'}: no requests, {metric} unknown")
            continue
        if metric == "error_rate":
            value = entry.fail_ratio
        else:
            value = entry.get_response_time_percentile(float(metric[1:]) / 100.0)
        if value > limit:
            broken.append(f"{name or 'all requests'}: {metric} {value} > {limit}")
    if environment.runner is not None and environment.runner.exceptions:
        broken.append("the locustfile raised exceptions (see the log)")
    for line in broken:
        print(f"perfassist SLO broken: {line}")
    environment.process_exit_code = 1 if broken else 0"#;

const SHAPE: &str = r#"

class PlannedShape(LoadTestShape):
    """Replays the plan's stages: at each tick, enough users for the planned rate."""

    def tick(self):
        rate = planned_rate(self.get_run_time())
        if rate is None:
            return None
        users = users_for(rate)
        return (users, users)
"#;
