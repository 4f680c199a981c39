#!/usr/bin/env bash
# Runs real Artillery (pinned by install-tools.sh) for a few seconds against a local test server
# with slow responses and HTTP 500s, then checks that `perfassist results` reads its --output
# report exactly as Artillery computed it: counts equal, percentiles equal. Artillery's numbers
# are taken from the report by python3 here, independently of perfassist's reader.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root="$PWD"
PERFASSIST="${PERFASSIST:-$root/target/release/perfassist}"
fail() { echo "artillery_results.sh: FAIL: $*" >&2; exit 1; }
[ -x "$PERFASSIST" ] || fail "no perfassist binary at $PERFASSIST (run cargo build --release)"

# shellcheck source=install-tools.sh
source tests/e2e/install-tools.sh
[ -x "$ARTILLERY" ] || fail "Artillery did not install"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The test server: /fast answers at once, /slow after 150 ms, /flaky fails every fourth call
# with a 500, /hang stalls every tenth call past Artillery's 1 s timeout (a request with no
# response). It counts the 500s it sent so the report can be checked against the server too.
cat > "$work/server.py" <<'PY'
import http.server, sys, threading, time
lock = threading.Lock()
state = {"flaky": 0, "errors": 0, "hang": 0}
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def reply(self, code, body=b"ok\n"):
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # Artillery gave up on a stalled request: that is the point of /hang
    def do_GET(self):
        if self.path.startswith("/fast"):
            self.reply(200)
        elif self.path.startswith("/slow"):
            time.sleep(0.15)
            self.reply(200)
        elif self.path.startswith("/flaky"):
            with lock:
                state["flaky"] += 1
                bad = state["flaky"] % 4 == 0
                if bad:
                    state["errors"] += 1
            self.reply(500 if bad else 200)
        elif self.path.startswith("/hang"):
            with lock:
                state["hang"] += 1
                stall = state["hang"] % 10 == 0
            if stall:
                time.sleep(2)
            self.reply(200)
        elif self.path == "/__errors":
            self.reply(200, str(state["errors"]).encode())
        else:
            self.reply(404)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/server.py" "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the test server did not start"
port="$(cat "$work/port")"

cat > "$work/script.yml" <<YML
config:
  target: "http://127.0.0.1:$port"
  http:
    timeout: 1
  phases:
    - duration: 6
      arrivalRate: 10
  plugins:
    metrics-by-endpoint: {}
scenarios:
  - name: browse
    flow:
      - get: { url: "/fast" }
      - get: { url: "/slow" }
      - get: { url: "/flaky" }
      - get: { url: "/hang" }
YML

report="$work/report.json"
echo "artillery_results.sh: running Artillery $("$ARTILLERY" version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1) for 6 s on 127.0.0.1:$port"
ARTILLERY_DISABLE_TELEMETRY=true timeout 180 "$ARTILLERY" run --output "$report" "$work/script.yml" \
  > "$work/artillery.log" 2>&1 || { tail -30 "$work/artillery.log" >&2; fail "artillery run failed"; }
[ -s "$report" ] || { tail -30 "$work/artillery.log" >&2; fail "Artillery wrote no report at $report"; }
if [ -n "${KEEP_REPORT:-}" ]; then cp "$report" "$KEEP_REPORT"; fi
server_errors="$(curl -fsS "http://127.0.0.1:$port/__errors" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:$port/__errors').read().decode())")"

"$PERFASSIST" results --metrics "$report" > "$work/perfassist.json" 2> "$work/perfassist.err" \
  || { cat "$work/perfassist.err" >&2; fail "perfassist could not read Artillery's report"; }

python3 - "$report" "$work/perfassist.json" "$server_errors" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))
server_errors = int(sys.argv[3])
agg = report["aggregate"]
c = agg["counters"]
summ = (agg.get("summaries") or agg["histograms"])["http.response_time"]
problems = []
def same(what, theirs, mine):
    if theirs != mine:
        problems.append(f"{what}: Artillery says {theirs!r}, perfassist says {mine!r}")
codes = {k[len("http.codes."):]: v for k, v in c.items() if k.startswith("http.codes.")}
no_response = sum(v for k, v in c.items() if k.startswith("errors."))
failing = sum(v for k, v in codes.items() if int(k) >= 400)
o = ours["overall"]
same("format", "artillery-report-json", ours["format"])
same("requests (http.requests)", c["http.requests"], o["requests"])
same("errors (errors.* + responses >= 400)", no_response + failing, o["errors"])
same("status codes (http.codes.*)", codes, o.get("status_codes", {}))
same("HTTP 500s the server sent", server_errors, codes.get("500", 0))
if server_errors == 0:
    problems.append("the server sent no 500s: the run did not exercise errors")
if no_response == 0:
    problems.append("no request went unanswered (errors.*): the run did not exercise timeouts")
run_s = (agg["lastMetricAt"] - agg["firstMetricAt"]) / 1000
if abs(ours.get("duration_s", -1) - run_s) > 1e-9:
    problems.append(f"duration: lastMetricAt - firstMetricAt is {run_s} s, perfassist says {ours.get('duration_s')}")
if abs(o["throughput_rps"] - c["http.requests"] / run_s) > 1e-9:
    problems.append(f"throughput: {c['http.requests']} requests in {run_s} s, perfassist says {o['throughput_rps']}")
lat = o["latency_ms"]
for theirs, mine in [("min", "min"), ("max", "max"), ("median", "p50"), ("p90", "p90"),
                     ("p95", "p95"), ("p99", "p99"), ("p999", "p99.9"), ("mean", "mean")]:
    if theirs in summ:
        same(f"latency {theirs}", float(summ[theirs]), lat.get(mine))
for name in ["/fast", "/slow", "/flaky", "/hang"]:
    key = f"plugins.metrics-by-endpoint.response_time.{name}"
    s = (agg.get("summaries") or agg["histograms"]).get(key)
    ep = next((e for e in ours.get("endpoints", []) if e["name"] == name), None)
    if s is None or ep is None:
        problems.append(f"endpoint {name}: missing (Artillery {s is not None}, perfassist {ep is not None})")
        continue
    same(f"{name} p95", float(s["p95"]), ep["latency_ms"].get("p95"))
    ep_codes = {k.rsplit(".codes.", 1)[1]: v for k, v in c.items()
                if k.startswith(f"plugins.metrics-by-endpoint.{name}.codes.")}
    same(f"{name} status codes", ep_codes, ep.get("status_codes", {}))
if len(ours.get("timeseries", [])) != len(report.get("intermediate", [])):
    problems.append(f"time series: {len(report.get('intermediate', []))} periods in the report, "
                    f"{len(ours.get('timeseries', []))} read")
if problems:
    print("artillery_results.sh: FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"artillery_results.sh: ok: {o['requests']} requests, {o['errors']} errors, "
      f"p95 {lat.get('p95')} ms, p99 {lat.get('p99')} ms, all equal to Artillery's own report")
PY

# The report is judged too: a lenient profile (any short healthy run meets it, even with this
# server's stalls and failures) passes it, a strict one (1 ms, 0.1 % errors) fails it.
printf 'service: artillery-run\ntraffic: {baseline_rps: 1, peak_rps: 2}\nslo: {latency_ms: {p95: 5000}, error_rate: 0.5}\nendpoints:\n  - {path: /fast, method: GET}\n' > "$work/lenient.yaml"
sed -e 's/p95: 5000/p95: 1/' -e 's/error_rate: 0.5/error_rate: 0.001/' "$work/lenient.yaml" > "$work/strict.yaml"
for kind in lenient strict; do
  set +e
  "$PERFASSIST" interpret --profile "$work/$kind.yaml" --metrics "$report" --format json > "$work/judged.json"
  code=$?
  set -e
  verdict=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$work/judged.json")
  echo "artillery_results.sh: judged against the $kind profile: $verdict (exit $code)"
  case "$kind:$code:$verdict" in
    lenient:0:pass | strict:1:fail) ;;
    *) python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["narrative"]))' "$work/judged.json"
       fail "Artillery's report was judged $verdict (exit $code) against the $kind profile" ;;
  esac
done
