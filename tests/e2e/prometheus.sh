#!/usr/bin/env bash
# A real Prometheus (Debian's package) scrapes the daemon's --metrics-listen endpoint every
# second during a burst of drops: profiles, results files and bad files renamed into the inbox at
# once. Read back through Prometheus's HTTP API, the counters must match what was dropped: inputs
# handled by kind and outcome, rejects, evidence records, drop-to-output observations, no write
# failures, an empty queue and a recent last success. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=$root/target/release/perfassist
fail() { echo "prometheus: FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "$bin is missing: run cargo build --release first"
if ! command -v prometheus >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus) >/dev/null \
    || fail "cannot install Debian's prometheus"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
metrics_port=$(free_port)
prom_port=$(free_port)

PROFILES=400 RESULTS=120 BAD=25
mkdir -p inbox staging
ROOT=$root PROFILES=$PROFILES RESULTS=$RESULTS BAD=$BAD python3 - <<'PY'
import json, os, re
root, n, m, k = os.environ["ROOT"], *(int(os.environ[v]) for v in ("PROFILES", "RESULTS", "BAD"))
profile = open(f"{root}/fixtures/checkout-profile.yaml").read()
for i in range(n):
    open(f"staging/svc-{i}.yaml", "w").write(re.sub("service: checkout-api", f"service: svc-{i}", profile))
# Results for services whose profile is in the same burst: root files are handled first.
for i in range(m):
    os.makedirs(f"staging/svc-{i}", exist_ok=True)
    json.dump({"p95_ms": 300 + i, "p99_ms": 700, "error_rate": 0.002 * (i % 8)},
              open(f"staging/svc-{i}/run-1.json", "w"))
for i in range(k):
    open(f"staging/bad-{i}.yaml", "w").write("service: [unclosed\n")
PY

PERFASSIST_LOG=warn "$bin" watch --outputs json,html --metrics-listen "127.0.0.1:$metrics_port" 2>daemon.log &
pids+=($!)
cat >prometheus.yml <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: perfassist
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YML
prometheus --config.file=prometheus.yml --web.listen-address="127.0.0.1:$prom_port" \
  --storage.tsdb.path="$work/tsdb" 2>prometheus.log &
pids+=($!)

query() {
  curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
wait_for() {  # wait_for QUERY VALUE SECONDS
  local got=none
  for _ in $(seq 1 $(( $3 * 2 ))); do
    got=$(query "$1" 2>/dev/null || echo none)
    [ "$got" = "$2" ] && return 0
    sleep 0.5
  done
  echo "prometheus: $1 = $got, expected $2" >&2
  return 1
}
wait_for 'up{job="perfassist"}' 1 60 || { tail -20 prometheus.log daemon.log; fail "Prometheus does not scrape the daemon"; }
wait_for 'perfassist_build_info' 1 10 || fail "no build info"

# The burst: every file renamed in at once, folders included.
for f in staging/*; do mv "$f" inbox/; done
total=$((PROFILES + RESULTS + BAD))
for _ in $(seq 1 240); do
  n=$(cat evidence/evidence*.jsonl 2>/dev/null | wc -l)
  [ "$n" -ge "$total" ] && break
  sleep 0.5
done
[ "$n" -eq "$total" ] || { tail -20 daemon.log; fail "$n evidence records after the burst, expected $total"; }

ok=1
check() { wait_for "$1" "$2" 20 || ok=0; }
check 'perfassist_inputs_handled_total{kind="profile",outcome="plan-generated"}' "$PROFILES"
check 'sum(perfassist_inputs_handled_total{kind="results"})' "$RESULTS"
check 'sum(perfassist_inputs_handled_total)' "$total"
check 'sum(perfassist_inputs_rejected_total)' "$BAD"
check 'perfassist_evidence_records_total' "$total"
check 'perfassist_drop_to_output_seconds_count' "$total"
check 'perfassist_write_failures_total' 0
check 'perfassist_queue_depth' 0
check 'time() - perfassist_last_success_timestamp_seconds < bool 120' 1
[ "$ok" -eq 1 ] || { tail -20 daemon.log; fail "counters read through Prometheus do not match the drops"; }
grep -q 'ERROR' daemon.log && { cat daemon.log; fail "the daemon logged errors"; }
# How many scrapes caught the burst part-way (informative: a fast burst may fall between two).
during=$(query "count_over_time((perfassist_evidence_records_total > 0 < $total)[5m:1s])" || echo none)
echo "prometheus: ok ($total inputs dropped; counters read back through Prometheus match; samples taken mid-burst: $during)"
