#!/usr/bin/env bash
# Whole-file one-thread reads by two perfassist builds, alternating run by run (the order swapped
# every other round) so that both see the same neighbours' load: `perfassist results --metrics
# FILE` with PERFASSIST_THREADS=1, ROUNDS rounds (default 10). Prints each run's wall and CPU
# seconds and peak RSS, the new/old wall ratio of every round, and its median and spread. Checks
# first that both print byte-identical results.
#   bash benches/binary_ab.sh OLD_BINARY NEW_BINARY FILE [ROUNDS]
set -euo pipefail
old="$1" new="$2" file="$3" rounds="${4:-10}"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PERFASSIST_THREADS=1 "$old" results --metrics "$file" >"$tmp/old.out"
PERFASSIST_THREADS=1 "$new" results --metrics "$file" >"$tmp/new.out"
cmp -s "$tmp/old.out" "$tmp/new.out" || { echo "the two builds print different results" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # binary -> "wall cpu rss_kib"
  PERFASSIST_THREADS=1 /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$1" results --metrics "$file" >/dev/null
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$tmp/t"
}
printf '%-5s %18s %18s %7s\n' round "old wall/cpu/MiB" "new wall/cpu/MiB" new/old
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then o=$(run "$old"); n=$(run "$new"); else n=$(run "$new"); o=$(run "$old"); fi
  set -- $o $n
  awk -v r="$r" -v ow="$1" -v oc="$2" -v ok="$3" -v nw="$4" -v nc="$5" -v nk="$6" 'BEGIN {
    printf "%-5d %6.2f %5.2f %5.1f %6.2f %5.2f %5.1f %7.3f\n", r, ow, oc, ok / 1024, nw, nc, nk / 1024, nw / ow }'
done | tee "$tmp/rows"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
sort -k8 -g "$tmp/rows" | awk '{ v[NR] = $8; ow[NR] = $2; nw[NR] = $5 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "new/old wall: median %.3f, spread %.3f..%.3f (±%.1f %% of the median)\n", m, v[1], v[NR], (v[NR] - v[1]) / 2 / m * 100 }'
awk '{ if (NR == 1 || $2 < om) om = $2; if (NR == 1 || $5 < nm) nm = $5 } END {
  printf "fastest run: old %.2f s, new %.2f s (new/old %.3f)\n", om, nm, nm / om }' "$tmp/rows"
