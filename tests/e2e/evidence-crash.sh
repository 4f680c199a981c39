#!/usr/bin/env bash
# End to end, with the release binary: four loops of `perfassist plan --log` on one evidence log,
# some runs killed with SIGKILL at random moments. Afterwards the chain must verify, hold at
# least every run that reported success, and a torn line left by a crash must be repaired by the
# next run and be on record. Bounded: a watchdog stops the script after 180 s (it takes seconds).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$PWD/target/release/perfassist"
if [ ! -x "$bin" ]; then
  echo "evidence-crash: FAIL: $bin is missing (run cargo build --release first)" >&2
  exit 1
fi
profile="$PWD/fixtures/checkout-profile.yaml"
work="$(mktemp -d)"
loops=()
cleanup() {
  for p in "${loops[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
(
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  sleep 180 &
  s=$!
  wait "$s"
  echo "evidence-crash: FAIL: timed out after 180 s" >&2
  kill -TERM $$
) &
loops+=("$!")
log="$work/evidence/evidence.jsonl"
fail() {
  echo "evidence-crash: FAIL: $*" >&2
  exit 1
}

# One loop of runs; some are killed shortly after they start. Writes its count of successes.
writer() {
  local id="$1" ok=0 killed=0 p
  for _ in $(seq 1 40); do
    # Started directly (not through timeout) so the SIGKILL hits perfassist itself.
    "$bin" plan --profile "$profile" --log "$log" --out "$work/plan-$id.json" 2>/dev/null &
    p=$!
    if [ $((RANDOM % 4)) -eq 0 ]; then
      sleep "0.00$((RANDOM % 10))"
      kill -KILL "$p" 2>/dev/null || true
    fi
    if wait "$p" 2>/dev/null; then ok=$((ok + 1)); else killed=$((killed + 1)); fi
  done
  echo "$ok $killed" > "$work/count-$id"
}

for id in 1 2 3 4; do
  writer "$id" &
  loops+=("$!")
done
for p in "${loops[@]:1}"; do
  wait "$p" || fail "a writer loop failed"
done
loops=("${loops[0]}")

ok=0
killed=0
for id in 1 2 3 4; do
  read -r o k < "$work/count-$id"
  ok=$((ok + o))
  killed=$((killed + k))
done

out="$("$bin" evidence verify "$work/evidence")" || fail "verify after killed writers: $out"
records="$("$bin" evidence show "$work/evidence" --json | wc -l)"
[ "$records" -ge "$ok" ] || fail "$ok runs reported success but only $records records are on file"

# A crash in the middle of a write leaves half a line; the next writer must move it aside.
head -c 150 "$log" > "$work/half"
cat "$work/half" >> "$log"
if "$bin" evidence verify "$work/evidence" > "$work/torn.txt"; then
  fail "verify accepted a torn last line"
fi
grep -q "incomplete last line" "$work/torn.txt" || fail "verify did not name the torn line: $(cat "$work/torn.txt")"
timeout 20 "$bin" plan --profile "$profile" --log "$log" > /dev/null 2>&1 || fail "plan after a torn line"
out="$("$bin" evidence verify "$work/evidence")" || fail "verify after repair: $out"
repairs="$("$bin" evidence show "$work/evidence" --json --outcome torn-line-repaired | wc -l)"
[ "$repairs" -eq 1 ] || fail "expected one torn-line-repaired record, found $repairs"
ls "$work"/evidence/*.corrupt > /dev/null 2>&1 || fail "no .corrupt file kept"

# And tampering is still caught on the repaired log.
sed -i '2s/"plan-generated"/"issues-detected"/' "$log"
if "$bin" evidence verify "$work/evidence" > "$work/tamper.txt"; then
  fail "verify accepted a changed record"
fi
grep -q "evidence.jsonl:2:" "$work/tamper.txt" || fail "verify did not name line 2: $(cat "$work/tamper.txt")"

echo "evidence-crash: PASS: $ok runs succeeded, $killed killed, $records records verified; torn line repaired and on record"
