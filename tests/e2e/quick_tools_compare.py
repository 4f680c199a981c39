"""Compares perfassist's reading of a quick tool's file with the tool's own figures, read here
independently from what the tool wrote. Counts must match exactly; a percentile the tool prints
must match within the tool's printed rounding; a percentile perfassist computes from
per-request rows must be the nearest-rank value within its 0.1 % histogram precision.

usage: quick_tools_compare.py KIND PERFASSIST_JSON TOOL_FILE [EXPECTED_REQUESTS]
KIND: hey-text, hey-csv, wrk, ab-text, ab-e, ab-g, taurus-csv, taurus-xml
"""
import csv
import json
import math
import re
import sys
import xml.etree.ElementTree as ET

kind, ours_path, tool_path = sys.argv[1:4]
expected = int(sys.argv[4]) if len(sys.argv) > 4 else None
ours = json.load(open(ours_path))
text = open(tool_path).read()
failures = []


def check(what, got, want, tol=0.0):
    if got is None or want is None or abs(got - want) > tol + 1e-9:
        failures.append(f"{what}: perfassist {got}, {kind} {want}")


def lat(key, stats=None):
    return (stats or ours["overall"])["latency_ms"].get(key)


def labelled(label):
    m = re.search(r"^\s*" + re.escape(label) + r"\s*(\S+)", text, re.M)
    if not m:
        raise SystemExit(f"{kind}: no '{label}' in {tool_path}")
    return m.group(1)


def nearest_rank(sorted_ms, q):
    return sorted_ms[max(1, math.ceil(q * len(sorted_ms))) - 1]


def rows_check(ms, errors):
    ms.sort()
    check("requests", ours["overall"].get("requests"), len(ms))
    if errors is not None:
        check("errors", ours["overall"].get("errors"), errors)
    for q, key in [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")]:
        want = nearest_rank(ms, q)
        check(key, lat(key), want, want * 0.001)
    check("min", lat("min"), ms[0], 1e-6)
    check("max", lat("max"), ms[-1], 1e-6)


if kind == "hey-text":
    codes = {int(c): int(n) for c, n in re.findall(r"^\s*\[(\d+)\]\s+(\d+) responses", text, re.M)}
    check("requests", ours["overall"].get("requests"), sum(codes.values()))
    check("errors", ours["overall"].get("errors"), sum(n for c, n in codes.items() if c >= 400))
    for p, key in [("50", "p50"), ("90", "p90"), ("95", "p95"), ("99", "p99")]:
        m = re.search(r"^\s*" + p + r"% in ([\d.]+) secs", text, re.M)
        if m:  # hey prints 4 decimals of a second
            check(key, lat(key), float(m.group(1)) * 1000, 0.05)
    check("max", lat("max"), float(labelled("Slowest:")) * 1000, 0.05)
    check("min", lat("min"), float(labelled("Fastest:")) * 1000, 0.05)
elif kind == "hey-csv":
    rows = list(csv.DictReader(open(tool_path)))
    ms = [float(r["response-time"]) * 1000 for r in rows]
    rows_check(ms, sum(1 for r in rows if int(r["status-code"]) >= 400))
elif kind == "wrk":
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}

    def wrk_ms(s):
        m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", s)
        return float(m.group(1)) * unit[m.group(2)], 0.005 * unit[m.group(2)]

    done = int(re.search(r"^\s*(\d+) requests in", text, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    lost = sum(int(x) for x in sock.groups()[:3]) if sock else 0
    late = int(sock.group(4)) if sock else 0
    check("requests", ours["overall"].get("requests"), done + lost)
    check("errors", ours["overall"].get("errors"), (int(bad.group(1)) if bad else 0) + lost + late)
    mean, tol = wrk_ms(re.search(r"^\s*Latency\s+(\S+)", text, re.M).group(1))
    check("mean", lat("mean"), mean, tol)
    for p, key in [("50", "p50"), ("90", "p90"), ("99", "p99")]:
        m = re.search(r"^\s*" + p + r"%\s+(\S+)", text, re.M)
        if m:
            v, tol = wrk_ms(m.group(1))
            check(key, lat(key), v, tol)
        elif lat(key) is not None:
            failures.append(f"{key}: perfassist {lat(key)}, but wrk printed none")
    if lat("p95") is not None:
        failures.append("p95: wrk prints none, perfassist must not invent one")
elif kind == "ab-text":
    complete = int(labelled("Complete requests:"))
    non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", text, re.M)
    check("requests", ours["overall"].get("requests"), complete)
    check("errors", ours["overall"].get("errors"), int(non2xx.group(1)) if non2xx else 0)
    for p, key in [("50", "p50"), ("90", "p90"), ("95", "p95"), ("99", "p99"), ("100", "max")]:
        m = re.search(r"^\s*" + p + r"%\s+(\d+)", text, re.M)
        check(key, lat(key), float(m.group(1)) if m else None)
elif kind == "ab-e":
    rows = {int(p): float(v) for p, v in (line.split(",") for line in text.splitlines()[1:] if line)}
    for p, key in [(0, "min"), (50, "p50"), (90, "p90"), (95, "p95"), (99, "p99"), (100, "max")]:
        check(key, lat(key), rows[p])
elif kind == "ab-g":
    rows = list(csv.DictReader(open(tool_path), delimiter="\t"))
    rows_check([float(r["ttime"]) for r in rows], None)
elif kind in ("taurus-csv", "taurus-xml"):
    sets = {}
    if kind == "taurus-csv":
        for r in csv.DictReader(open(tool_path)):
            sets[r["label"]] = {
                "count": int(r["throughput"]),
                "fail": int(r["fail"]),
                "perc": {float(k[5:]): float(v) for k, v in r.items() if k.startswith("perc_")},
            }
    else:
        for g in ET.parse(tool_path).getroot().iter("Group"):
            sets[g.get("label")] = {
                "count": int(g.find("throughput").get("value")),
                "fail": int(g.find("fail").get("value")),
                "perc": {float(p.get("param")): float(p.get("value")) for p in g.iter("perc")},
            }
    by_name = {e["name"]: e for e in ours.get("endpoints", [])}
    for label, s in sets.items():
        stats = ours["overall"] if label == "" else by_name.get(label)
        if stats is None:
            failures.append(f"label {label!r}: no such endpoint in perfassist's reading")
            continue
        check(f"{label or 'total'} requests", stats.get("requests"), s["count"])
        check(f"{label or 'total'} errors", stats.get("errors"), s["fail"])
        for level, key in [(0.0, "min"), (50.0, "p50"), (90.0, "p90"), (95.0, "p95"), (99.0, "p99"), (99.9, "p99.9"), (100.0, "max")]:
            check(f"{label or 'total'} {key}", lat(key, stats), s["perc"][level] * 1000, 0.005)
else:
    raise SystemExit(f"unknown kind {kind}")

if expected is not None:
    check("requests (the number the tool was told to send)", ours["overall"].get("requests"), expected)

if failures:
    print(f"quick_tools: FAIL: {kind} ({tool_path}):", file=sys.stderr)
    for f in failures:
        print("  " + f, file=sys.stderr)
    sys.exit(1)
o = ours["overall"]
print(f"{kind}: {o.get('requests', '-')} requests, {o.get('errors', '-')} errors, "
      f"p50 {lat('p50')} p95 {lat('p95')} p99 {lat('p99')} ms agree with the tool's own figures")
