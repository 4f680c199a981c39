#!/usr/bin/env bash
# The JUnit XML that `interpret --format junit` writes validates against the JUnit schema
# (tests/schemas/junit.xsd) with xmllint, and its counts match the verdict: failures for a
# failing or inconclusive run, none for a passing one. Uses the release binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=target/release/perfassist
fail() { echo "junit_schema: FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "$bin is missing: run cargo build --release first"
if ! command -v xmllint >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils) >/dev/null \
    || fail "cannot install libxml2-utils (xmllint)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name, metrics, extra args, expected exit code, expect failures (yes/no)
run() {
  local name=$1 metrics=$2 extra=$3 code=$4 failures=$5 rc=0
  # shellcheck disable=SC2086
  timeout 30 "$bin" interpret --profile fixtures/checkout-profile.yaml --metrics "$metrics" $extra \
    --format junit >"$work/$name.xml" || rc=$?
  [ "$rc" -eq "$code" ] || fail "$name: exit code $rc, expected $code"
  xmllint --noout --schema tests/schemas/junit.xsd "$work/$name.xml" 2>"$work/$name.err" \
    || fail "$name: does not validate: $(cat "$work/$name.err")"
  local n
  n=$(xmllint --xpath 'count(//testcase/failure)' "$work/$name.xml")
  case $failures in
    yes) [ "$n" -gt 0 ] || fail "$name: expected failing test cases, found none" ;;
    no) [ "$n" -eq 0 ] || fail "$name: expected no failing test cases, found $n" ;;
  esac
  echo "junit_schema: $name: valid, $n failing test case(s)"
}

run passing fixtures/metrics-passing.json "" 0 no
run failing fixtures/metrics-failing.csv "" 1 yes
run regression fixtures/metrics-failing.json "--baseline fixtures/metrics-passing.json" 1 yes

# A run whose load was not applied is inconclusive: CI must see a failure, not green.
printf '{"p95_ms": 100, "p99_ms": 200, "error_rate": 0, "throughput_rps": 20}\n' >"$work/low-load.json"
run inconclusive "$work/low-load.json" "" 1 yes
grep -q 'type="inconclusive"' "$work/inconclusive.xml" || fail "inconclusive run has no inconclusive test case"

# The reviewed golden renderings validate too.
for f in tests/golden/render/*.junit.xml; do
  xmllint --noout --schema tests/schemas/junit.xsd "$f" 2>"$work/golden.err" \
    || fail "$f does not validate: $(cat "$work/golden.err")"
done
echo "junit_schema: ok"
