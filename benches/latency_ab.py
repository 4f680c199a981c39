#!/usr/bin/env python3
"""Drop-to-output latency of two perfassist binaries measured side by side.

    python3 benches/latency_ab.py OLD_BINARY NEW_BINARY [DROPS]

Starts one daemon per binary, each in its own scratch folder, and renames profiles into their
inboxes in turn (alternating which goes first), timing each drop until its evidence record is
appended. On a shared, busy machine the load drifts by more than most changes cost; interleaving
makes both binaries see the same drift, which the separate phases of `cargo bench --bench
daemon` cannot. Prints p50, p90 and p99 per binary; asserts nothing.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILE = open(os.path.join(ROOT, "fixtures/checkout-profile.yaml")).read()


def start(binary, folder):
    os.makedirs(os.path.join(folder, "staging"))
    os.makedirs(os.path.join(folder, "inbox"))
    p = subprocess.Popen([binary, "watch"], cwd=folder, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, PERFASSIST_LOG="warn"))
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(folder, "outbox/status.json")):
        if time.time() > deadline:
            sys.exit(f"{binary} did not start")
        time.sleep(0.01)
    return p


def records(folder):
    try:
        with open(os.path.join(folder, "evidence/evidence.jsonl"), "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binaries = {"old": sys.argv[1], "new": sys.argv[2]}
    drops = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    work = tempfile.mkdtemp(prefix="perfassist-ab-")
    daemons = {k: start(b, os.path.join(work, k)) for k, b in binaries.items()}
    samples = {k: [] for k in binaries}
    try:
        for i in range(drops):
            for k in ("old", "new") if i % 2 == 0 else ("new", "old"):
                folder = os.path.join(work, k)
                name = f"lat-{i}.yaml"
                staged = os.path.join(folder, "staging", name)
                with open(staged, "w") as f:
                    f.write(PROFILE.replace("service: checkout-api", f"service: lat-{i}"))
                t0 = time.perf_counter()
                os.rename(staged, os.path.join(folder, "inbox", name))
                while records(folder) < i + 1:
                    if time.perf_counter() - t0 > 10:
                        sys.exit(f"{k}: no record for {name}")
                    time.sleep(0.0002)
                samples[k].append((time.perf_counter() - t0) * 1000)
    finally:
        for p in daemons.values():
            p.send_signal(signal.SIGTERM)
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
    for k, v in samples.items():
        v.sort()
        q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
        print(f"{k} ({binaries[k]}): {len(v)} drops, p50 {q(0.5):.2f} ms, p90 {q(0.9):.2f} ms, p99 {q(0.99):.2f} ms")


if __name__ == "__main__":
    main()
