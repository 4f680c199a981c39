#!/usr/bin/env bash
# Checks the shipped systemd units with systemd's own verifier, pointing ExecStart at the binary
# this checkout built (systemd-analyze refuses units whose command does not exist).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/release/perfassist"
[ -x "$bin" ] || cargo build --release --quiet --manifest-path "$root/Cargo.toml"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null 2>&1 || true
fi
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not available"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in perfassist.service perfassist-once.service perfassist-once.timer; do
  sed "s#/usr/local/bin/perfassist#$bin#g" "$root/deploy/$unit" > "$work/$unit"
done
# The metrics drop-in is verified applied to the unit.
mkdir -p "$work/perfassist.service.d"
cp "$root/deploy/perfassist-metrics.conf" "$work/perfassist.service.d/metrics.conf"
cd "$work"
out=$(SYSTEMD_UNIT_PATH="$work:" systemd-analyze verify ./perfassist.service ./perfassist-once.service ./perfassist-once.timer 2>&1 || true)
# Only complaints about our units count (the host's own units may be incomplete in containers).
if echo "$out" | grep -E '^perfassist|perfassist\.service\.d/' ; then
  echo "systemd-analyze found problems in the units above"
  exit 1
fi
# Both services must stay hardened: systemd's own exposure score (0 = locked down, 10 = exposed)
# at most MAX_EXPOSURE, and the one-shot unit no more exposed than the daemon's.
MAX_EXPOSURE=2.0
exposure() {
  systemd-analyze security --offline=true "./$1" 2>&1 \
    | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
daemon_score=$(exposure perfassist.service)
once_score=$(exposure perfassist-once.service)
echo "exposure: perfassist.service $daemon_score, perfassist-once.service $once_score"
for pair in "perfassist.service:$daemon_score" "perfassist-once.service:$once_score"; do
  unit=${pair%%:*} score=${pair#*:}
  [ -n "$score" ] || { echo "$unit: systemd-analyze security gave no score"; exit 1; }
  if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
    echo "$unit: exposure $score is above $MAX_EXPOSURE"
    systemd-analyze security --offline=true "./$unit" | grep '✗' || true
    exit 1
  fi
done
if awk -v o="$once_score" -v d="$daemon_score" 'BEGIN { exit !(o > d) }'; then
  echo "perfassist-once.service ($once_score) is less hardened than perfassist.service ($daemon_score)"
  exit 1
fi
grep -q '^Type=notify' perfassist.service
grep -q '^WatchdogSec=' perfassist.service
grep -q '^ProtectSystem=strict' perfassist.service
grep -q '^NoNewPrivileges=yes' perfassist.service
grep -q '^SocketBindDeny=any' perfassist.service.d/metrics.conf
grep -q '^IPAddressAllow=localhost' perfassist.service.d/metrics.conf
# The unit's ExecStart must parse with the shipped config file.
mkdir -p cfg && sed -e "s#/srv/perfassist#$work/srv#g" -e "s#/var/lib/perfassist#$work/var#g" "$root/deploy/perfassist.yaml" > cfg/perfassist.yaml
mkdir -p "$work/srv/inbox"
cp "$root/fixtures/checkout-profile.yaml" "$work/srv/inbox/"
"$bin" watch --once --config cfg/perfassist.yaml
test -s "$work/srv/outbox/checkout-api/plan.json"
echo "systemd units verify and the shipped config runs"
