#!/usr/bin/env bash
# End-to-end proof that exported scripts run unchanged in the real runners (issues 6 and 15),
# against small test servers on 127.0.0.1 only, in about four minutes. Each runner runs a
# time-scaled smoke rehearsal (export --time-scale) with the exact command its script's header
# gives, and must:
#   - hold the planned rate within ±20 % in every hold stage, as the server counted the requests;
#   - exit 0 against a server with a few tolerated 5xx (2.5 %, under the 5 % SLO), and non-zero
#     against one that breaks the SLO (20 % errors); Locust's default would exit 1 on the first;
#   - write its result files under the names the header gives (<service>-<scenario>-scaleNpct-...).
# Runners: Locust (also: think time held per user, abort condition), Artillery (also: the error-rate
# condition, latency thresholds, a comma in request names), Taurus with its Locust executor (JMeter
# cannot be downloaded here). k6 has no binary here: Node evaluates the scripts as ES modules and
# their options must match the plan and parse by k6's threshold-key rules. Every golden export
# must parse in its own language.
# Set PERFASSIST_BIN to test another build than target/release/perfassist.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

fail() { echo "exports.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== exports.sh: $*"; }

# shellcheck source=install-tools.sh
source tests/e2e/install-tools.sh
[ -n "$BZT" ] || fail "Taurus (bzt $BZT_VERSION) did not install"
bin=${PERFASSIST_BIN:-$root/target/release/perfassist}
[ -x "$bin" ] || cargo build --release --locked
[ -x "$bin" ] || fail "no perfassist binary at $bin"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A test server: answers every method with STATUS and a small JSON body after DELAY seconds; every
# FAIL_EVERY-th request (0: none) gets a 503. With a LOG path it appends, per request, the client
# port and when the request arrived and was answered (Unix seconds), so rates and per-connection
# pauses can be counted on the receiving side, whatever the runner reports. It binds an ephemeral
# port on 127.0.0.1 and writes the port to a file, so parallel CI jobs never collide.
cat > "$work/server.py" <<'EOF'
import itertools, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, delay, status, fail_every, log_path = sys.argv[1:6]
delay, status, fail_every = float(delay), int(status), int(fail_every)
counter = itertools.count(1)
lock = threading.Lock()
log = open(log_path, "a", buffering=1) if log_path else None

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        time.sleep(delay)
        with lock:
            n = next(counter)
        code = 503 if fail_every and n % fail_every == 0 else status
        body = b'{"ok": true}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if log:
            with lock:
                log.write(f"{self.client_address[1]} {arrived:.6f} {time.time():.6f}\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients closing kept-alive connections at the end of a run is not news

server = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
EOF

# start_server VAR DELAY STATUS FAIL_EVERY [LOG]: sets VAR to the URL of a new server.
# (Not a command substitution: the server must stay this shell's child so the trap can stop it.)
start_server() {
  local portfile="$work/port.$1"
  python3 "$work/server.py" "$portfile" "$2" "$3" "$4" "${5:-}" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
  [ -s "$portfile" ] || fail "test server did not start"
  printf -v "$1" 'http://127.0.0.1:%s' "$(cat "$portfile")"
}

# The rate and think-time check on a server's log: the run is aligned on its last request (every
# smoke run ends with its hold, and the runners stop on the plan's end), then each hold stage's
# requests per second must be within ±20 % of the plan (2 s trimmed at each edge); with --think S,
# no connection may send its next request sooner than S seconds after its previous answer.
cat > "$work/check_rates.py" <<'EOF'
import json, sys

plan_file, scenario, log_file, label = sys.argv[1:5]
think = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--think" else None
s = next(x for x in json.load(open(plan_file))["scenarios"] if x["name"] == scenario)
rows = [line.split() for line in open(log_file) if line.strip()]
arrivals = sorted(float(r[1]) for r in rows)
start = arrivals[-1] - s["total_duration_s"]
ok, offset = True, 0
for st in s["stages"]:
    d = st["duration_s"]
    if st["kind"] == "hold":
        a, b = start + offset + 2, start + offset + d - 2
        got = sum(1 for t in arrivals if a <= t < b) / (b - a)
        want = st["target_rps"]
        dev = (got - want) / want
        print(f"{label}: hold {st['name']}: planned {want:.2f} req/s, server saw {got:.2f} req/s ({dev:+.0%})")
        ok &= abs(dev) <= 0.20
    offset += d
if think is not None:
    by_port = {}
    for port, arrived, answered in rows:
        by_port.setdefault(port, []).append((float(arrived), float(answered)))
    gaps = [b[0] - a[1] for reqs in by_port.values() for a, b in zip(sorted(reqs), sorted(reqs)[1:])]
    shortest = min(gaps)
    print(f"{label}: {len(by_port)} connections, shortest pause between a user's requests {shortest:.3f} s (think time {think} s)")
    ok &= shortest >= think - 0.02
sys.exit(0 if ok else 1)
EOF

# The shop: a 5 % error-rate SLO, so the 1 % of 503s of a flaky server are tolerated (and, over a
# rehearsal's couple of hundred requests, shown to be below 5 % with 95 % confidence), and an 800 ms
# think time. The smoke window (8 minutes) scaled by 0.1 is a 10 s ramp and a 40 s hold at 5 req/s.
cat > "$work/shop.yaml" <<'EOF'
service: e2e-shop
traffic: {baseline_rps: 10, peak_rps: 20, burst_factor: 2, think_time_ms: 800}
slo:
  latency_ms: {p95: 200, p99: 400}
  error_rate: 0.05
endpoints:
  - {path: /items, method: GET, weight: 3, critical: true}
  - {path: /cart, method: POST, weight: 1}
test_window: {smoke: 8m}
EOF
scale=0.1
stem=e2e-shop-smoke-scale10pct
"$bin" plan --profile "$work/shop.yaml" --time-scale "$scale" --format json > "$work/plan-scaled.json"
"$bin" plan --profile "$work/shop.yaml" --format json > "$work/plan.json"
results="$work/results"   # every run's result files, under the names the runners gave them
mkdir -p "$results"

start_server bad 0.005 200 5           # 20 % errors: breaks the 5 % SLO
start_server slow 0.3 200 0            # 300 ms per request: breaks the 200 ms p95
start_server broken 0.005 500 0        # every request fails: trips the abort condition
start_server healthy 0.005 200 0

# export_to RUNNER DIR TARGET [PROFILE]: a time-scaled smoke export into DIR.
export_to() {
  "$bin" export --profile "${4:-$work/shop.yaml}" --to "$1" --scenario smoke --time-scale "$scale" \
    --target "$3" --out "$2" 2>/dev/null
}
# header_command FILE PATTERN: the run command the script's header gives (comment marker dropped).
header_command() { sed -n "s/^# \{1,3\}\(Run: \)\{0,1\}\($2.*\)$/\2/p" "$1" | head -1; }

# ---------------------------------------------------------------- Locust
step "Locust: the header's command, against a flaky server (exit 0), a failing one (exit 1), a dead one (abort)"
start_server flaky_locust 0.005 200 100 "$work/locust-pass.log"
export_to locust "$work/locust-pass" "$flaky_locust"
export_to locust "$work/locust-fail" "$bad"
export_to locust "$work/locust-abort" "$broken"
cmd=$(header_command "$work/locust-pass/locustfile-smoke.py" "locust -f ")
[ "$cmd" = "locust -f locustfile-smoke.py --headless --csv $stem-locust --json-file $stem-locust" ] \
  || fail "the locustfile header gives '$cmd'"
run_locust() { # run_locust DIR: the header's command, with the pinned binary
  (cd "$1" && timeout 180 "$LOCUST" ${cmd#locust } --loglevel WARNING > run.log 2>&1)
}
codes="$work/codes"; mkdir -p "$codes"
runs=()   # the runs in flight (a bare `wait` would wait for the servers too)
for d in pass fail abort; do
  (set +e; begin=$(date +%s); run_locust "$work/locust-$d"; echo "$? $(( $(date +%s) - begin ))" > "$codes/locust-$d") &
  runs+=($!)
done
wait "${runs[@]}"
read -r code _ < "$codes/locust-pass"
[ "$code" -eq 0 ] || { tail -20 "$work/locust-pass/run.log"; fail "Locust exited $code with 1 % of errors under a 5 % SLO"; }
grep -q "503" "$work/locust-pass/${stem}-locust_failures.csv" || fail "the flaky server's 503s did not reach Locust"
read -r code _ < "$codes/locust-fail"
[ "$code" -eq 1 ] || { tail -20 "$work/locust-fail/run.log"; fail "Locust exited $code with 20 % of errors, want 1"; }
grep -q "perfassist SLO broken: all requests: error_rate" "$work/locust-fail/run.log" || fail "Locust failed for another reason than the error-rate SLO"
read -r code took < "$codes/locust-abort"
[ "$code" -eq 1 ] || { tail -20 "$work/locust-abort/run.log"; fail "Locust exited $code against a dead server, want 1"; }
grep -q "perfassist abort: error_rate" "$work/locust-abort/run.log" || fail "Locust ran without the abort condition firing"
[ "$took" -lt 45 ] || fail "the abort took ${took}s of a 50 s plan; it stops after 10 s of errors"
python3 "$work/check_rates.py" "$work/plan-scaled.json" smoke "$work/locust-pass.log" locust --think 0.8 \
  || fail "Locust did not hold the planned rate or the think time"
for f in _stats.csv _stats_history.csv _failures.csv _exceptions.csv .json; do
  [ -s "$work/locust-pass/$stem-locust$f" ] || fail "Locust wrote no $stem-locust$f"
done
mkdir -p "$results/locust-pass" "$results/locust-fail"
cp "$work/locust-pass/$stem"-locust* "$results/locust-pass/"
cp "$work/locust-fail/$stem"-locust* "$results/locust-fail/"
echo "locust: exit 0 with tolerated 503s, 1 past the SLO, abort after ${took}s"

# ---------------------------------------------------------------- Artillery
step "Artillery: the header's command, against a flaky server (exit 0), a failing one, a slow one, names with commas"
start_server flaky_artillery 0.005 200 100 "$work/artillery-pass.log"
export_to artillery "$work/art-pass" "$flaky_artillery"
export_to artillery "$work/art-fail" "$bad"
export_to artillery "$work/art-slow" "$slow"
# Smoke checks the whole service; per-endpoint checks (here on names with commas) come with the
# other scenarios, so this one runs a steady rehearsal, at rates that decide its checks quickly.
cat > "$work/comma.yaml" <<'EOF'
service: e2e-comma
traffic: {baseline_rps: 40, peak_rps: 50}
slo: {latency_ms: {p95: 300}, error_rate: 0.02}
endpoints:
  - {path: "/ok?ids=1,2", method: GET, critical: true}
  - {path: /items, method: POST, name: "list, filtered", critical: true}
EOF
"$bin" export --profile "$work/comma.yaml" --to artillery --scenario steady --time-scale 0.02 \
  --target "$healthy" --out "$work/art-comma" 2>/dev/null
cmd=$(header_command "$work/art-pass/artillery-smoke.yml" "artillery run ")
[ "$cmd" = "artillery run --output $stem-artillery.json artillery-smoke.yml" ] || fail "the Artillery header gives '$cmd'"
# Control: the same checks under a top-level config.ensure are silently skipped by 2.0.21, which
# is why the exporter puts them under config.plugins.ensure.
python3 - "$work/art-slow/artillery-smoke.yml" "$work/art-slow/top-level.yml" <<'EOF'
import sys
text = open(sys.argv[1]).read()
head, rest = text.split("    ensure:\n", 1)
ensure, tail = rest.split("scenarios:\n", 1)
moved = "".join(line[2:] + "\n" for line in ensure.splitlines())
open(sys.argv[2], "w").write(head + "  ensure:\n" + moved + "scenarios:\n" + tail)
EOF
runs=()
for d in pass fail slow comma; do
  script=artillery-smoke.yml
  [ "$d" = comma ] && script=artillery-steady.yml
  run=$(header_command "$work/art-$d/$script" "artillery run ")
  (set +e; cd "$work/art-$d" && timeout 180 "$ARTILLERY" ${run#artillery } > run.log 2>&1; echo $? > "$codes/art-$d") &
  runs+=($!)
done
(set +e; cd "$work/art-slow" && timeout 180 "$ARTILLERY" run top-level.yml > top-level.log 2>&1; echo $? > "$codes/art-control") &
runs+=($!)
wait "${runs[@]}"
[ "$(cat "$codes/art-pass")" -eq 0 ] || { tail -30 "$work/art-pass/run.log"; fail "Artillery failed with 1 % of errors under a 5 % SLO"; }
grep -q "ok: (http.requests - (http.response_time.2xx.count or 0) - (http.response_time.3xx.count or 0)) / http.requests <= 0.05" \
  "$work/art-pass/run.log" || fail "Artillery did not check the error rate"
grep -q "http.codes.503" "$work/art-pass/run.log" || fail "the flaky server's 503s did not reach Artillery"
[ "$(cat "$codes/art-fail")" -ne 0 ] || fail "Artillery passed with 20 % of errors"
grep -q "^fail: (http.requests - " "$work/art-fail/run.log" || { tail -20 "$work/art-fail/run.log"; fail "Artillery failed for another reason than the error rate"; }
[ "$(cat "$codes/art-slow")" -ne 0 ] || fail "Artillery passed against a server slower than the SLO"
grep -q "fail: http.response_time.p95 < 200" "$work/art-slow/run.log" || { tail -20 "$work/art-slow/run.log"; fail "Artillery failed for another reason than the p95 check"; }
[ "$(cat "$codes/art-comma")" -eq 0 ] || { tail -30 "$work/art-comma/run.log"; fail "Artillery failed with commas in request names"; }
grep -q "ok: plugins.metrics-by-endpoint.response_time.GET /ok?ids=1,2.p95 < 300" "$work/art-comma/run.log" \
  || fail "Artillery did not check the critical endpoint whose name holds a comma"
if [ "$(cat "$codes/art-control")" -eq 0 ] && ! grep -q "^Checks:" "$work/art-slow/top-level.log"; then
  echo "artillery: control run with a top-level config.ensure ignored the checks and exited 0"
else
  echo "artillery: note: this Artillery read a top-level config.ensure too (the exporter's placement works either way)"
fi
python3 "$work/check_rates.py" "$work/plan-scaled.json" smoke "$work/artillery-pass.log" artillery \
  || fail "Artillery did not hold the planned rate"
[ -s "$work/art-pass/$stem-artillery.json" ] || fail "Artillery wrote no $stem-artillery.json"
mkdir -p "$results/artillery-pass" "$results/artillery-fail"
cp "$work/art-pass/$stem-artillery.json" "$results/artillery-pass/"
cp "$work/art-fail/$stem-artillery.json" "$results/artillery-fail/"
echo "artillery: exit 0 with tolerated 503s, non-zero past the error-rate or p95 SLO, commas fine"

# ---------------------------------------------------------------- Taurus
step "Taurus (locust executor): the header's command, against a flaky server (exit 0) and a failing one (exit 3)"
# bzt checks for updates on the internet unless told not to: a home of its own says so, and the
# header's command runs as it is.
mkdir -p "$work/bzt-home"
printf 'settings:\n  check-updates: false\n' > "$work/bzt-home/.bzt-rc"
start_server flaky_taurus 0.005 200 100 "$work/taurus-pass.log"
export_to taurus "$work/taurus-pass" "$flaky_taurus"
export_to taurus "$work/taurus-fail" "$bad"
[ -f "$work/taurus-pass/locustfile-smoke.py" ] || fail "export --to taurus did not write the locustfile it runs"
cmd=$(header_command "$work/taurus-pass/taurus-smoke.yml" "bzt ")
[ "$cmd" = "bzt taurus-smoke.yml" ] || fail "the Taurus header gives '$cmd'"
runs=()
for d in pass fail; do
  (set +e; cd "$work/taurus-$d" && HOME="$work/bzt-home" timeout 240 "$BZT" ${cmd#bzt } > run.log 2>&1
   echo $? > "$codes/taurus-$d") &
  runs+=($!)
done
wait "${runs[@]}"
[ "$(cat "$codes/taurus-pass")" -eq 0 ] || { tail -30 "$work/taurus-pass/run.log"; fail "Taurus failed with 1 % of errors under a 5 % SLO"; }
[ "$(cat "$codes/taurus-fail")" -eq 3 ] || { tail -30 "$work/taurus-fail/run.log"; fail "Taurus exited $(cat "$codes/taurus-fail") with 20 % of errors, want 3"; }
grep -q "fail>5" "$work/taurus-fail/run.log" || fail "Taurus failed for another reason than the error-rate criterion"
python3 "$work/check_rates.py" "$work/plan-scaled.json" smoke "$work/taurus-pass.log" taurus --think 0.8 \
  || fail "Taurus did not hold the planned rate or the think time"
artifacts=$(find "$work/taurus-pass" -maxdepth 1 -type d -name "$stem-taurus-*" | head -1)
[ -n "$artifacts" ] && [ -s "$artifacts/kpi.jtl" ] || fail "no artifacts folder $stem-taurus-<date>-<time>/ with kpi.jtl"
[ -s "$work/taurus-pass/$stem-taurus-stats.xml" ] || fail "Taurus wrote no $stem-taurus-stats.xml"
# The criteria's labels are the requests' labels, so per-endpoint criteria are judged. Smoke checks
# the whole service; the steady export holds the critical endpoint's criteria, and its labels must
# be among the requests this run sent.
export_to taurus "$work/taurus-steady" "$flaky_taurus"
"$bin" export --profile "$work/shop.yaml" --to taurus --scenario steady --target "$flaky_taurus" \
  --out "$work/taurus-steady" 2>/dev/null
python3 - "$work/taurus-steady/taurus-steady.yml" "$artifacts/kpi.jtl" <<'EOF' || fail "pass/fail labels do not match the executor's request names"
import csv, re, sys
wanted = set(re.findall(r'^        label: "(.*)"$', open(sys.argv[1]).read(), re.M))
seen = {row["label"] for row in csv.DictReader(open(sys.argv[2]))}
print(f"taurus: criteria labels {sorted(wanted)}, request labels {sorted(seen)}")
sys.exit(0 if wanted and wanted <= seen else 1)
EOF
mkdir -p "$results/taurus-pass" "$results/taurus-fail"
cp -r "$artifacts" "$work/taurus-pass/$stem-taurus-stats.xml" "$results/taurus-pass/"
cp -r "$work/taurus-fail/$stem"-taurus-* "$results/taurus-fail/"
echo "taurus: exit 0 with tolerated 503s, 3 past the SLO"

# ---------------------------------------------------------------- the results come back
step "perfassist reads every runner's result files as the runners named them"
for f in "$results/locust-pass/$stem-locust_stats.csv" "$results/locust-pass/$stem-locust.json" \
         "$results/artillery-pass/$stem-artillery.json" "$results/taurus-pass/$(basename "$artifacts")"; do
  set +e
  "$bin" interpret --profile "$work/shop.yaml" --format json --metrics "$f" > "$work/interpret.json" 2> "$work/interpret.err"
  code=$?
  set -e
  [ "$code" -eq 0 ] || [ "$code" -eq 1 ] || { cat "$work/interpret.err"; fail "interpret exited $code on $(basename "$f")"; }
  verdict=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$work/interpret.json")
  echo "interpret $(basename "$f"): $verdict (exit $code)"
done
step "a running daemon judges each runner's files, copied unchanged, as the scaled smoke scenario"
# Passing runs go straight into the service's folder; failing ones (same names) one folder down,
# where the scenario is still told by the file name. Taurus hands back its final-stats dump.
daemon_root="$work/daemon"
mkdir -p "$daemon_root/inbox/e2e-shop/failed"
cp "$work/shop.yaml" "$daemon_root/inbox/e2e-shop.yaml"
(cd "$daemon_root" && exec "$bin" watch --outputs json > daemon.log 2>&1) &
daemon_pid=$!
pids+=("$daemon_pid")
for _ in $(seq 100); do [ -f "$daemon_root/outbox/e2e-shop/plan.json" ] && break; sleep 0.1; done
[ -f "$daemon_root/outbox/e2e-shop/plan.json" ] || { cat "$daemon_root/daemon.log"; fail "the daemon did not plan the shop"; }
cp "$results/locust-pass/$stem"-locust* "$results/artillery-pass/$stem-artillery.json" \
   "$results/taurus-pass/$stem-taurus-stats.xml" "$daemon_root/inbox/e2e-shop/"
cp "$results/locust-fail/$stem"-locust* "$results/artillery-fail/$stem-artillery.json" \
   "$daemon_root/inbox/e2e-shop/failed/"
runs_dir="$daemon_root/outbox/e2e-shop/runs"
expect_run() { # expect_run RUN VERDICT
  local f="$runs_dir/$1.json"
  for _ in $(seq 300); do [ -s "$f" ] && break; sleep 0.1; done
  [ -s "$f" ] || { ls "$runs_dir" 2>/dev/null; tail -20 "$daemon_root/daemon.log"; fail "the daemon judged no run $1"; }
  python3 - "$f" "$2" <<'EOF' || fail "run $1 was not judged as the scaled smoke scenario with verdict $2"
import json, sys
a = json.load(open(sys.argv[1]))
sc = a.get("scenario") or {}
print(f"daemon: {sys.argv[1].rsplit('/', 1)[1]}: scenario {sc.get('name')} ({sc.get('from')}, scale {sc.get('time_scale')}), verdict {a['verdict']}")
ok = sc.get("name") == "smoke" and sc.get("time_scale") == 0.1 and a["verdict"] == sys.argv[2]
if not ok:
    print(json.dumps({k: a.get(k) for k in ("verdict", "narrative", "notes", "checks")}, indent=1))
sys.exit(0 if ok else 1)
EOF
}
expect_run "$stem-locust_stats" pass
expect_run "$stem-locust" pass
expect_run "$stem-artillery" pass
expect_run "$stem-taurus-stats" pass
expect_run "failed_$stem-locust_stats" fail
expect_run "failed_$stem-locust" fail
expect_run "failed_$stem-artillery" fail
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon did not stop cleanly"
ls -R "$results" | sed 's/^/  /'

# ---------------------------------------------------------------- k6
step "k6: scripts evaluate as ES modules, their options match the scaled plan, threshold keys parse as k6 parses them"
"$bin" export --profile "$work/shop.yaml" --to k6 --time-scale "$scale" --target "$healthy" --out "$work/k6" 2>/dev/null
"$bin" export --profile "$work/shop.yaml" --to k6 --out "$work/k6-none" 2>/dev/null
"$bin" export --profile "$work/comma.yaml" --to k6 --scenario steady --target "$healthy" --out "$work/k6-comma" 2>/dev/null
mkdir -p "$work/k6/node_modules/k6"
echo '{"name": "k6", "type": "module", "exports": {"./http": "./http.js"}}' > "$work/k6/node_modules/k6/package.json"
echo 'export const calls = []; export default { request: (...a) => calls.push(a) };' > "$work/k6/node_modules/k6/http.js"
cp "$work/k6/k6-script.js" "$work/k6/script.mjs"
cp "$work/k6-none/k6-script.js" "$work/k6/script-none.mjs"
cp "$work/k6-comma/k6-script-steady.js" "$work/k6/script-comma.mjs"
cp "$work/plan-scaled.json" "$work/k6/plan.json"
cat > "$work/k6/check.mjs" <<'EOF'
import { readFileSync } from 'node:fs';
globalThis.__ENV = {};
const plan = JSON.parse(readFileSync('./plan.json', 'utf8'));
const m = await import('./script.mjs');
const http = await import('k6/http');
const fail = (msg) => { console.error(`k6 check: ${msg}`); process.exit(1); };
// k6's reading of a threshold key (ParseMetricName): tags split at commas, each `key:value` with a
// value; values are then trimmed of spaces and quotes at both ends.
const parseKey = (key) => {
  const open = key.indexOf('{');
  if (open < 0) return [];
  if (!key.endsWith('}')) fail(`threshold key ${key}: no closing brace`);
  return key.slice(open + 1, -1).split(',').map((t) => {
    const i = t.indexOf(':');
    if (i < 0 || i === t.length - 1) fail(`threshold key ${key}: tag expression ${t} is malformed (k6 exits 104)`);
    return [t.slice(0, i).trim(), t.slice(i + 1).trim().replace(/^["']+|["']+$/g, '')];
  });
};
const o = m.options;
const names = Object.keys(o.scenarios);
const want = plan.scenarios.map((s) => s.name);
if (names.join() !== want.join()) fail(`scenarios ${names} != ${want}`);
let start = 0;
for (const s of plan.scenarios) {
  const k = o.scenarios[s.name];
  if (k.executor !== 'ramping-arrival-rate') fail(`${s.name}: executor ${k.executor}`);
  if (k.startTime !== `${start}s`) fail(`${s.name}: startTime ${k.startTime}, want ${start}s`);
  const per = k.timeUnit === '1s' ? 1 : 60;
  const total = k.stages.reduce((t, st) => t + parseInt(st.duration, 10), 0);
  if (total !== s.total_duration_s) fail(`${s.name}: stages last ${total}s, the scaled plan ${s.total_duration_s}s`);
  const peak = Math.max(...k.stages.map((st) => st.target)) / per;
  if (Math.abs(peak - s.peak_rps) > 1 / per) fail(`${s.name}: peak ${peak}, plan ${s.peak_rps}`);
  if (!(k.preAllocatedVUs >= 1 && k.maxVUs >= k.preAllocatedVUs)) fail(`${s.name}: VUs ${k.preAllocatedVUs}/${k.maxVUs}`);
  start += s.total_duration_s + 30;
}
const t = o.thresholds;
const need = {
  'http_req_duration{scenario:steady}': ['p(95)<=200', 'p(99)<=400'],
  'http_req_failed{scenario:steady}': ['rate<=0.05'],
  'http_req_duration{scenario:steady,name:GET /items}': ['p(95)<=200'],
};
for (const [key, exprs] of Object.entries(need)) {
  for (const e of exprs) if (!(t[key] || []).includes(e)) fail(`threshold ${key} lacks ${e}`);
}
Object.keys(t).forEach(parseKey);
if (!t['http_req_failed{scenario:steady}'].some((x) => x.abortOnFail === true)) fail('no abortOnFail on the error rate');
if (JSON.stringify(t['http_req_duration{scenario:stress}'] || []).includes('p(95)<=200')) fail('stress holds an SLO threshold over its overload steps');
for (const p of ['p(95)', 'p(99)']) if (!o.summaryTrendStats.includes(p)) fail(`summaryTrendStats lacks ${p}`);
m.default();
const [method, url, , params] = http.calls[0];
if (!url.startsWith(process.env.TARGET) || !params.tags.name) fail(`request ${method} ${url} ${JSON.stringify(params)}`);
const out = m.handleSummary({ metrics: { http_reqs: { values: { count: 1 } } } });
const file = Object.keys(out).find((k) => k.endsWith('.json'));
if (file !== 'e2e-shop-all-scale10pct-k6-summary.json') fail(`summary written to ${file}`);
if (JSON.parse(out[file]).metrics.http_reqs.values.count !== 1) fail('handleSummary does not write the JSON summary');
// Commas in request names: every key parses, and names the tag value its requests carry.
const c = await import('./script-comma.mjs');
const tagged = new Set();
for (const key of Object.keys(c.options.thresholds)) {
  for (const [k, v] of parseKey(key)) if (k === 'name') tagged.add(v);
}
http.calls.length = 0;
for (let i = 0; i < 400; i++) c.default();
const sent = new Set(http.calls.map(([, , , p]) => p.tags.name));
for (const v of tagged) if (!sent.has(v)) fail(`threshold name ${v} is no request's tag (sent: ${[...sent]})`);
if (tagged.size !== 2) fail(`comma script: ${tagged.size} named thresholds`);
if (!http.calls.some(([, u]) => u.endsWith('/ok?ids=1,2'))) fail('the request path lost its comma');
try {
  await import('./script-none.mjs');
  fail('a script without a target loaded instead of refusing');
} catch (e) {
  if (!String(e.message).includes('no target set')) throw e;
}
console.log(`k6: ${names.length} scaled scenarios, ${Object.keys(t).length} threshold keys parse, comma names tagged alike, summary to ${file}`);
EOF
(cd "$work/k6" && TARGET="$healthy" node check.mjs) || fail "k6 script check"

# A Python that can read YAML: bzt's, the system's, or Locust's venv with PyYAML added.
yaml_py=""
for candidate in "$(dirname "$BZT")/python" python3 "$(dirname "$LOCUST")/python"; do
  if "$candidate" -c "import yaml" 2>/dev/null; then yaml_py=$candidate; break; fi
done
[ -n "$yaml_py" ] || fail "no Python with PyYAML for the YAML checks"

# ---------------------------------------------------------------- every golden script parses
step "every golden export parses in its own language (Python, ES module, YAML)"
mkdir -p "$work/golden"
n=0
for f in tests/golden/export/*/*; do
  case "$f" in
    *.py) "$(dirname "$LOCUST")/python" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" ;;
    *.js) m="$work/golden/$(echo "$f" | tr / _).mjs"; cp "$f" "$m"; node --check "$m" ;;
    *.yml) "$yaml_py" -c 'import sys, yaml; assert isinstance(yaml.safe_load(open(sys.argv[1])), dict)' "$f" ;;
    *) continue ;;
  esac || fail "golden export $f does not parse"
  n=$((n + 1))
done
[ "$n" -ge 70 ] || fail "only $n golden exports found"
echo "golden: $n scripts parse"

echo "exports.sh: all runner exports proven"
