#!/usr/bin/env bash
# Real runner files, read by perfassist and compared with the runner's own numbers from the same
# run: Locust (--csv and --json-file), Debian's JMeter 2.13 (headerless CSV and XML JTL) and
# Taurus' Locust executor (a JTL with a header), all against a small test server on 127.0.0.1
# with slow responses and errors. Counts must match exactly, percentiles within the tools' own
# rounding (runner_results_compare.py says which). Takes one to two minutes once tools are cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
here="$root/tests/e2e"

fail() { echo "runner_results: FAIL: $*" >&2; exit 1; }

echo "== installing pinned runners (cached under target/e2e-tools)"
# shellcheck source=install-tools.sh
source "$here/install-tools.sh"
set -euo pipefail

perfassist="$root/target/release/perfassist"
# CI has built it already (a no-op then); run alone, this makes sure it is current.
cargo build --release --quiet || fail "cargo build --release failed"

work="$(mktemp -d "${TMPDIR:-/tmp}/perfassist-runners.XXXXXX")"
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

# Every runner's file is also judged: against a lenient profile (objectives any healthy short run
# meets, even with this server's slow and failing endpoints) it must pass, against a strict one
# (1 ms, 0.1 % errors) it must fail.
cat >"$work/lenient.yaml" <<'YML'
service: runner-files
traffic: {baseline_rps: 1, peak_rps: 2}
slo: {latency_ms: {p95: 5000}, error_rate: 0.5}
endpoints:
  - {path: /fast, method: GET}
YML
sed -e 's/p95: 5000/p95: 1/' -e 's/error_rate: 0.5/error_rate: 0.001/' "$work/lenient.yaml" >"$work/strict.yaml"
judge_both() { # file: passes the lenient profile, fails the strict one
  local f="$1" code verdict
  for kind in lenient strict; do
    set +e
    "$perfassist" interpret --profile "$work/$kind.yaml" --metrics "$f" --format json >"$work/judged.json" 2>"$work/judged.err"
    code=$?
    set -e
    verdict=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$work/judged.json" 2>/dev/null || echo none)
    echo "judged $(basename "$f") against the $kind profile: $verdict (exit $code)"
    if [ "$kind" = lenient ] && { [ "$code" -ne 0 ] || [ "$verdict" != pass ]; }; then
      python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); print("\n".join(a["narrative"]))' "$work/judged.json" || cat "$work/judged.err"
      fail "$(basename "$f") did not pass a lenient profile"
    fi
    if [ "$kind" = strict ] && { [ "$code" -ne 1 ] || [ "$verdict" != fail ]; }; then
      fail "$(basename "$f") did not fail a strict profile"
    fi
  done
}

read_results() { # file -> perfassist's normalised JSON on stdout, loud on failure
  "$perfassist" results --metrics "$1" || fail "perfassist could not read $1"
}

# ---------------------------------------------------------------- Locust
echo "== Locust $("$LOCUST" --version 2>/dev/null | awk '{print $2}'): 5 users for 5 s"
cat >"$work/locustfile.py" <<'PY'
from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def fast(self):
        self.client.get("/fast")

    @task(2)
    def slow(self):
        self.client.get("/slow")

    @task(1)
    def error(self):
        self.client.get("/error")

    @task(1)
    def missing(self):
        self.client.get("/missing")
PY
(cd "$work" && timeout 60 "$LOCUST" -f locustfile.py --headless -u 5 -r 5 -t 5s -H "$base" \
  --csv loc --json-file loc --only-summary --exit-code-on-error 0 >locust.out 2>&1) ||
  { tail -20 "$work/locust.out"; fail "locust did not finish"; }
for f in loc_stats.csv loc_stats_history.csv loc_failures.csv loc.json; do
  [ -s "$work/$f" ] || fail "Locust wrote no $f"
done
read_results "$work/loc_stats.csv" >"$work/p-loc-csv.json"
read_results "$work/loc.json" >"$work/p-loc-json.json"
python3 - "$work/p-loc-csv.json" <<'PY' || fail "the Locust history or failures file was not picked up"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r.get("timeseries", [])) >= 2, "no time series from loc_stats_history.csv"
assert any(n.startswith("failure ×") for n in r["notes"]), "no failures from loc_failures.csv"
PY
python3 "$here/runner_results_compare.py" locust "$work/p-loc-csv.json" "$work/p-loc-json.json" \
  "$work/loc_stats.csv" "$work/loc.json"
judge_both "$work/loc_stats.csv"
judge_both "$work/loc.json"

# ---------------------------------------------------------------- JMeter
if [ -z "${JMETER:-}" ]; then
  fail "Debian's jmeter did not install (apt-get install jmeter)"
fi
echo "== Debian JMeter 2.13 (non-GUI)"
# Debian's JMeter 2.13 meets Debian's xstream 1.4.20, whose type allow-list rejects every class of
# a test plan (ForbiddenClassException, yet exit 0 and no JTL). A one-class stand-in for
# xstream's SecurityMapper, ahead of xstream on the class path, lifts the allow-list for this
# trusted, generated plan only.
if ! command -v javac >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless >/dev/null 2>&1 ||
    fail "javac is needed to build the xstream stand-in (apt-get install default-jdk-headless)"
fi
xstream_jar=/usr/share/java/xstream.jar
jmeter_home=/usr/share/jmeter
[ -f "$xstream_jar" ] || fail "no $xstream_jar: is Debian's jmeter installed?"
shim="$work/shim"
mkdir -p "$shim/src/com/thoughtworks/xstream/mapper" "$shim/classes"
cat >"$shim/src/com/thoughtworks/xstream/mapper/SecurityMapper.java" <<'JAVA'
package com.thoughtworks.xstream.mapper;

import com.thoughtworks.xstream.security.TypePermission;

/** Test-only: lets JMeter 2.13 load the test's own plan under xstream 1.4.20. */
public class SecurityMapper extends MapperWrapper {
    public SecurityMapper(Mapper wrapped) { super(wrapped); }
    public SecurityMapper(Mapper wrapped, TypePermission[] permissions) { super(wrapped); }
    public void addPermission(TypePermission permission) { }
}
JAVA
javac -nowarn -cp "$xstream_jar" -d "$shim/classes" \
  "$shim/src/com/thoughtworks/xstream/mapper/SecurityMapper.java" 2>/dev/null ||
  fail "could not compile the xstream stand-in"
(cd "$shim/classes" && jar cf ../xstream-allow.jar .)

cat >"$work/plan.jmx" <<'JMX'
<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="perfassist e2e" enabled="true">
      <boolProp name="TestPlan.functional_mode">false</boolProp>
      <boolProp name="TestPlan.serialize_threadgroups">false</boolProp>
      <elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" testname="User Defined Variables" enabled="true">
        <collectionProp name="Arguments.arguments"/>
      </elementProp>
      <stringProp name="TestPlan.user_define_classpath"></stringProp>
    </TestPlan>
    <hashTree>
      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="users" enabled="true">
        <stringProp name="ThreadGroup.on_sample_error">continue</stringProp>
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController" testname="Loop Controller" enabled="true">
          <boolProp name="LoopController.continue_forever">false</boolProp>
          <stringProp name="LoopController.loops">25</stringProp>
        </elementProp>
        <stringProp name="ThreadGroup.num_threads">4</stringProp>
        <stringProp name="ThreadGroup.ramp_time">1</stringProp>
        <boolProp name="ThreadGroup.scheduler">false</boolProp>
        <stringProp name="ThreadGroup.duration"></stringProp>
        <stringProp name="ThreadGroup.delay"></stringProp>
      </ThreadGroup>
      <hashTree>
JMX
for path in fast slow error; do
  cat >>"$work/plan.jmx" <<JMX
        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="GET /$path" enabled="true">
          <elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" testclass="Arguments" enabled="true">
            <collectionProp name="Arguments.arguments"/>
          </elementProp>
          <stringProp name="HTTPSampler.domain">127.0.0.1</stringProp>
          <stringProp name="HTTPSampler.port">$port</stringProp>
          <stringProp name="HTTPSampler.protocol">http</stringProp>
          <stringProp name="HTTPSampler.path">/$path</stringProp>
          <stringProp name="HTTPSampler.method">GET</stringProp>
          <boolProp name="HTTPSampler.use_keepalive">true</boolProp>
        </HTTPSamplerProxy>
        <hashTree/>
JMX
done
cat >>"$work/plan.jmx" <<'JMX'
      </hashTree>
    </hashTree>
  </hashTree>
</jmeterTestPlan>
JMX

run_jmeter() { # jtl-file output-log extra-args...
  local jtl="$1" log="$2"
  shift 2
  (cd "$work" && timeout 120 java -cp "$shim/xstream-allow.jar:$jmeter_home/bin/ApacheJMeter.jar" \
    -Djmeter.home="$jmeter_home" org.apache.jmeter.NewDriver \
    -n -t plan.jmx -l "$jtl" -j "$log.jmeter.log" "$@" >"$log" 2>&1) ||
    { tail -20 "$log"; fail "JMeter exited with an error"; }
  if grep -q "ForbiddenClassException" "$log" || [ ! -s "$jtl" ]; then
    tail -20 "$log"
    fail "JMeter wrote no JTL ($jtl): the xstream allow-list fix did not take"
  fi
}
run_jmeter "$work/jmeter.jtl" "$work/jmeter-csv.out"
echo "JTL (CSV, JMeter 2.13 default: no header): $(wc -l <"$work/jmeter.jtl") samples"
read_results "$work/jmeter.jtl" >"$work/p-jmeter.json"
python3 "$here/runner_results_compare.py" jmeter "$work/p-jmeter.json" "$work/jmeter.jtl" "$work/jmeter-csv.out"
judge_both "$work/jmeter.jtl"

run_jmeter "$work/jmeter.xml.jtl" "$work/jmeter-xml.out" -Jjmeter.save.saveservice.output_format=xml
echo "JTL (XML): $(grep -c '<httpSample' "$work/jmeter.xml.jtl") samples"
read_results "$work/jmeter.xml.jtl" >"$work/p-jmeter-xml.json"
python3 "$here/runner_results_compare.py" jmeter "$work/p-jmeter-xml.json" "$work/jmeter.xml.jtl" \
  "$work/jmeter-xml.out" xml

# ---------------------------------------------------------------- Taurus
if [ -z "${BZT:-}" ]; then
  echo "== SKIP Taurus: bzt did not install from PyPI, so its JTL cannot be produced here"
else
  echo "== Taurus (bzt ${BZT_VERSION:-}) with its Locust executor"
  cat >"$work/bzt.yml" <<YML
execution:
- executor: locust
  concurrency: 3
  ramp-up: 1s
  hold-for: 5s
  scenario: mixed
scenarios:
  mixed:
    default-address: $base
    requests:
    - /fast
    - /slow
    - /error
reporting:
- module: final-stats
  summary: true
  percentiles: true
  dump-csv: $work/bzt-final.csv
settings:
  artifacts-dir: $work/bzt-artifacts
  check-updates: false
modules:
  console:
    disable: true
YML
  # bzt exits non-zero when Locust saw failures (the /error endpoint): its files are what counts.
  (cd "$work" && timeout 300 "$BZT" -q bzt.yml >bzt.out 2>&1) || true
  [ -s "$work/bzt-artifacts/kpi.jtl" ] || { tail -20 "$work/bzt.out"; fail "Taurus wrote no kpi.jtl"; }
  [ -s "$work/bzt-final.csv" ] || { tail -20 "$work/bzt.out"; fail "Taurus wrote no final stats"; }
  echo "Taurus JTL: $(($(wc -l <"$work/bzt-artifacts/kpi.jtl") - 1)) samples, header: $(head -n1 "$work/bzt-artifacts/kpi.jtl")"
  read_results "$work/bzt-artifacts/kpi.jtl" >"$work/p-bzt.json"
  python3 "$here/runner_results_compare.py" bzt "$work/p-bzt.json" "$work/bzt-final.csv"
  judge_both "$work/bzt-artifacts/kpi.jtl"
fi

echo "runner_results: all runner files agree with perfassist"
