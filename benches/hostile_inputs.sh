#!/usr/bin/env bash
# Benchmark of refusing oversized inputs (not run by CI):
#   bash benches/hostile_inputs.sh [MB]
# Generates, under target/bench/, a metrics summary JSON and a profile YAML of MB megabytes each
# (default 200), then runs the release build's `results`, `interpret`, `validate` and `plan` on
# them and prints each run's wall time and peak RSS, beside the RSS of `perfassist --version`
# measured in the same run (the binary's own floor). Target (issue 13): peak RSS <= 64 MiB while
# the CLI rejects them; a summary or profile is refused before it is read.
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
dir="target/bench"
mkdir -p "$dir"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
cargo build --release --quiet
perfassist="$PWD/target/release/perfassist"

summary="$dir/summary-${mb}mb.json"
profile="$dir/profile-${mb}mb.yaml"
if [ ! -s "$summary" ]; then
  python3 - "$summary" "$mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"p95_ms": 300, "error_rate": 0.001, "endpoints": {')
    i = 0
    while f.tell() < mb * 1_000_000:
        f.write(('"' if i == 0 else ',"') + f'GET /item/{i}": {{"p95_ms": {i % 500}, "requests": {i}}}')
        i += 1
    f.write("}}\n")
PY
fi
if [ ! -s "$profile" ]; then
  python3 - "$profile" "$mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("service: huge\ntraffic:\n  baseline_rps: 50\n  peak_rps: 200\nslo:\n  error_rate: 0.01\nendpoints:\n")
    i = 0
    while f.tell() < mb * 1_000_000:
        f.write(f"  - path: /item/{i}\n    method: GET\n")
        i += 1
PY
fi

rss_kb=0
measure() { # label, command... -> prints a line, sets rss_kb
  local label="$1"; shift
  local secs
  # A refusal exits 2: time(1) still writes its figures to the file.
  /usr/bin/time -o "$dir/time.out" -f "%e %M" "$@" >/dev/null 2>&1 || true
  read -r secs rss_kb < <(tail -1 "$dir/time.out")
  printf "%-44s %8.3f s %8.1f MiB\n" "$label" "$secs" "$(echo "$rss_kb / 1024" | bc -l)"
}

echo "inputs: $(du -h "$summary" | cut -f1) summary, $(du -h "$profile" | cut -f1) profile"
measure "perfassist --version (the floor)" "$perfassist" --version
floor=$rss_kb
worst=0
measure "results: ${mb} MB summary" "$perfassist" results --metrics "$summary"
worst=$((rss_kb > worst ? rss_kb : worst))
measure "interpret: ${mb} MB summary" "$perfassist" interpret --profile fixtures/checkout-profile.yaml --metrics "$summary"
worst=$((rss_kb > worst ? rss_kb : worst))
measure "validate: ${mb} MB profile" "$perfassist" validate --profile "$profile"
worst=$((rss_kb > worst ? rss_kb : worst))
measure "plan: ${mb} MB profile" "$perfassist" plan --profile "$profile"
worst=$((rss_kb > worst ? rss_kb : worst))
printf "largest peak RSS %.1f MiB = %.2fx the floor; target <= 64 MiB: %s\n" \
  "$(echo "$worst / 1024" | bc -l)" "$(echo "$worst / $floor" | bc -l)" \
  "$([ "$worst" -le 65536 ] && echo met || echo MISSED)"
