#!/usr/bin/env bash
# The quick tools, run for real: Debian's hey, wrk and ApacheBench against the loopback test
# server for a few seconds each, and Taurus (bzt, pinned by install-tools.sh) with its Locust
# executor writing final-stats XML and CSV. perfassist reads every file they wrote, and
# quick_tools_compare.py compares its request counts, failures and percentiles with the figures
# the tools printed or wrote themselves. About a minute once the tools are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
here="$root/tests/e2e"

fail() { echo "quick_tools: FAIL: $*" >&2; exit 1; }

echo "== installing hey, wrk and apache2-utils (Debian) if missing"
missing=()
for pair in hey:hey wrk:wrk ab:apache2-utils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  (apt-get update -qq >/dev/null 2>&1 || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    fail "apt-get install ${missing[*]} failed"
fi

echo "== installing pinned runners (cached under target/e2e-tools)"
# shellcheck source=install-tools.sh
source "$here/install-tools.sh"
set -euo pipefail
if [ -z "${BZT:-}" ]; then
  # install-tools.sh leaves BZT empty when pip could not install it; say why, and fail: the
  # final-stats readers would otherwise go untested against the real Taurus.
  echo "quick_tools: Taurus (bzt $BZT_VERSION) did not install from PyPI; pip says:" >&2
  "$E2E_TOOLS/bzt-venv/bin/pip" install --disable-pip-version-check "bzt==$BZT_VERSION" >&2 || true
  fail "bzt is needed for the Taurus final-stats comparison"
fi

perfassist="$root/target/release/perfassist"
cargo build --release --quiet || fail "cargo build --release failed"

work="$(mktemp -d "${TMPDIR:-/tmp}/perfassist-quick.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

python3 "$here/runner_results_server.py" >"$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(head -n1 "$work/port")"
[ -n "$port" ] || fail "the test server did not start"
base="http://127.0.0.1:$port"
echo "test server on $base (pid $server_pid)"

compare() { # kind tool-file [expected-requests]: perfassist reads the file, then the comparison
  local kind="$1" file="$2"
  shift 2
  "$perfassist" results --metrics "$file" >"$file.perfassist.json" ||
    fail "perfassist could not read $kind output $file"
  python3 "$here/quick_tools_compare.py" "$kind" "$file.perfassist.json" "$file" "$@"
}

# hey splits -n evenly over its -c workers: 320 over 8 sends exactly 320.
echo "== hey $(dpkg-query -W -f='${Version}' hey 2>/dev/null)"
hey -n 320 -c 8 "$base/error" >"$work/hey.txt" 2>&1 || fail "hey failed"
compare hey-text "$work/hey.txt" 320
hey -n 320 -c 8 -o csv "$base/slow" >"$work/hey.csv" 2>&1 || fail "hey -o csv failed"
compare hey-csv "$work/hey.csv" 320

echo "== wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"
wrk -t2 -c4 -d3s --latency "$base/slow" >"$work/wrk-latency.txt" || fail "wrk failed"
compare wrk "$work/wrk-latency.txt"
wrk -t2 -c4 -d2s "$base/error" >"$work/wrk.txt" || fail "wrk failed"
compare wrk "$work/wrk.txt"
cat >"$work/mixed.lua" <<'LUA'
local paths = { "/fast", "/slow", "/error", "/missing" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
wrk -t2 -c4 -d2s --latency -s "$work/mixed.lua" "$base/" >"$work/wrk-lua.txt" || fail "wrk -s failed"
compare wrk "$work/wrk-lua.txt"
python3 - "$work/wrk-lua.txt.perfassist.json" <<'PY' || fail "wrk's Lua run is not the one GET / endpoint"
import json, sys
r = json.load(open(sys.argv[1]))
assert [e["name"] for e in r["endpoints"]] == ["GET /"], r["endpoints"]
assert r["overall"]["errors"] > 0, "the mix has /error and /missing: some responses must fail"
PY

echo "== ApacheBench $(dpkg-query -W -f='${Version}' apache2-utils 2>/dev/null)"
ab -n 300 -c 4 -e "$work/ab-e.csv" -g "$work/ab-g.tsv" "$base/error" >"$work/ab.txt" 2>&1 ||
  { tail -5 "$work/ab.txt"; fail "ab failed"; }
compare ab-text "$work/ab.txt" 300
compare ab-e "$work/ab-e.csv"
compare ab-g "$work/ab-g.tsv" 300

echo "== Taurus (bzt $BZT_VERSION) with its Locust executor, final-stats dump-xml and dump-csv"
cat >"$work/bzt.yml" <<YML
execution:
- executor: locust
  concurrency: 3
  ramp-up: 1s
  hold-for: 4s
  scenario: mixed
scenarios:
  mixed:
    default-address: $base
    requests:
    - /fast
    - /slow
    - /error
    - /missing
reporting:
- module: final-stats
  summary: true
  percentiles: true
  dump-xml: $work/final-stats.xml
  dump-csv: $work/final-stats.csv
settings:
  artifacts-dir: $work/bzt-artifacts
  check-updates: false
modules:
  console:
    disable: true
YML
# bzt may exit non-zero when Locust saw failures (/error, /missing): its files are what counts.
(cd "$work" && timeout 300 "$BZT" -q bzt.yml >bzt.out 2>&1) || true
for f in final-stats.xml final-stats.csv bzt-artifacts/kpi.jtl; do
  [ -s "$work/$f" ] || { tail -20 "$work/bzt.out"; fail "Taurus wrote no $f"; }
done
compare taurus-xml "$work/final-stats.xml"
compare taurus-csv "$work/final-stats.csv"
"$perfassist" results --metrics "$work/bzt-artifacts/kpi.jtl" >"$work/kpi.json" ||
  fail "perfassist could not read Taurus' kpi.jtl"
python3 - "$work/final-stats.csv.perfassist.json" "$work/kpi.json" <<'PY' ||
import json, sys
stats, jtl = (json.load(open(p)) for p in sys.argv[1:3])
for key in ("requests", "errors"):
    assert stats["overall"][key] == jtl["overall"][key], (key, stats["overall"][key], jtl["overall"][key])
print(f"taurus: final-stats and its kpi.jtl agree on {jtl['overall']['requests']} requests, "
      f"{jtl['overall']['errors']} errors")
PY
  fail "Taurus' final-stats and its own kpi.jtl disagree"

echo "quick_tools: every quick tool's figures agree with perfassist"
