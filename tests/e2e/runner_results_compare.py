"""Compares what perfassist read from a runner's files with the runner's own numbers.

Usage (from runner_results.sh):
  compare.py locust  PERFASSIST_CSV.json PERFASSIST_JSON.json PREFIX_stats.csv PREFIX.json
  compare.py jmeter  PERFASSIST.json JTL SUMMARISER_OUTPUT [xml]
  compare.py bzt     PERFASSIST.json BZT_FINAL_STATS.csv

Counts must be equal. Percentiles must agree within the tool's own rounding, as said per tool.
Exits 1 with one line per mismatch.
"""
import csv
import json
import math
import re
import sys
import xml.etree.ElementTree as ET

problems = []


def check(what, ours, theirs, tol=0.0):
    ok = ours is not None and theirs is not None and abs(ours - theirs) <= tol
    mark = "ok " if ok else "BAD"
    print(f"  {mark} {what}: perfassist {ours} / runner {theirs}" + (f" (±{tol:g})" if tol else ""))
    if not ok:
        problems.append(what)


def endpoint(results, name, method=None):
    for e in results.get("endpoints", []):
        if e["name"] == name and (method is None or e.get("method") == method):
            return e
    return None


def nearest_rank(values, q):
    values = sorted(values)
    rank = max(1, math.ceil(q * len(values)))
    return values[rank - 1]


def locust_percentile(times, total, p):
    """Locust's own rule (stats.calculate_response_time_percentile)."""
    wanted = int(total * p)
    processed = 0
    for t in sorted(times, reverse=True):
        processed += times[t]
        if total - processed <= wanted:
            return t
    return 0


def cmp_locust(ours_csv_path, ours_json_path, stats_path, json_path):
    ours_csv = json.load(open(ours_csv_path))
    ours_json = json.load(open(ours_json_path))
    rows = list(csv.DictReader(open(stats_path)))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    print("Locust _stats.csv (its last 1-s snapshot) against perfassist reading it:")
    check("requests", ours_csv["overall"]["requests"], int(agg["Request Count"]))
    check("failures", ours_csv["overall"]["errors"], int(agg["Failure Count"]))
    for col, key in [("50%", "p50"), ("95%", "p95"), ("99%", "p99")]:
        check(f"Aggregated {col}", ours_csv["overall"]["latency_ms"].get(key), float(agg[col]))
    for r in rows:
        if r["Name"] == "Aggregated":
            continue
        e = endpoint(ours_csv, r["Name"], r["Type"])
        check(f"{r['Type']} {r['Name']} requests", e and e["requests"], int(r["Request Count"]))

    entries = json.load(open(json_path))
    total = sum(e["num_requests"] for e in entries)
    fails = sum(e["num_failures"] for e in entries)
    print("Locust --json-file (final) against perfassist reading it:")
    check("requests", ours_json["overall"]["requests"], total)
    check("failures", ours_json["overall"]["errors"], fails)
    merged = {}
    for e in entries:
        for k, v in e["response_times"].items():
            merged[int(float(k))] = merged.get(int(float(k)), 0) + v
        ep = endpoint(ours_json, e["name"], e["method"])
        check(f"{e['method']} {e['name']} requests", ep and ep["requests"], e["num_requests"])
    for q, key in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")]:
        check(f"{key} by Locust's rule", ours_json["overall"]["latency_ms"].get(key),
              float(locust_percentile(merged, total, q)))
    lag = total - int(agg["Request Count"])
    print(f"  (_stats.csv lagged the JSON by {lag} requests)")
    if lag < 0:
        problems.append("_stats.csv counted more requests than the final JSON")


def jtl_rows(path, is_xml):
    """(elapsed, success, label) per top-level sample, read independently of perfassist."""
    if is_xml:
        root = ET.parse(path).getroot()
        return [(float(s.get("t")), s.get("s") == "true", s.get("lb")) for s in root
                if s.tag in ("httpSample", "sample")]
    out = []
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row:
                continue
            # JMeter 2.13's headerless default: elapsed is column 2, label 3, success 8.
            out.append((float(row[1]), row[7] == "true", row[2]))
    return out


def cmp_jmeter(ours_path, jtl_path, summariser_path, is_xml):
    ours = json.load(open(ours_path))
    rows = jtl_rows(jtl_path, is_xml)
    text = open(summariser_path).read()
    m = re.findall(r"summary =\s+(\d+) in .*?Avg:\s+(\d+) Min:\s+(\d+) Max:\s+(\d+) Err:\s+(\d+)", text)
    if not m:
        problems.append("no 'summary =' line in JMeter's output")
        print(text[-2000:])
        return
    n, avg, mn, mx, err = (int(x) for x in m[-1])
    print(f"JMeter summariser ({'XML' if is_xml else 'CSV'} JTL) against perfassist:")
    o = ours["overall"]
    check("requests", o["requests"], n)
    check("errors", o["errors"], err)
    check("min", o["latency_ms"]["min"], mn)
    check("max", o["latency_ms"]["max"], mx)
    # The summariser prints the mean cut to whole milliseconds (integer division).
    check("mean, cut to whole ms", math.floor(o["latency_ms"]["mean"]), avg)
    print("Nearest-rank percentiles computed here from the same JTL:")
    elapsed = [r[0] for r in rows]
    check("samples in the file", o["requests"], len(rows))
    for q, key in [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99")]:
        # perfassist's HDR histograms are exact below 2048 ms and within 0.1 % above.
        theirs = nearest_rank(elapsed, q)
        check(key, o["latency_ms"][key], theirs, tol=max(0.0, theirs * 0.001))
    for label in sorted({r[2] for r in rows}):
        sub = [r for r in rows if r[2] == label]
        e = endpoint(ours, label)
        check(f"{label} requests", e and e["requests"], len(sub))
        check(f"{label} errors", e and e["errors"], sum(1 for r in sub if not r[1]))


def cmp_bzt(ours_path, final_path):
    ours = json.load(open(ours_path))
    rows = list(csv.DictReader(open(final_path)))
    print("Taurus final-stats dump against perfassist reading bzt's kpi.jtl:")
    for r in rows:
        label = r["label"]
        stats = ours["overall"] if label == "" else (endpoint(ours, label) or {})
        what = label or "total"
        check(f"{what} requests", stats.get("requests"), int(r["throughput"]))
        check(f"{what} failures", stats.get("errors"), int(r["fail"]))
        lat = stats.get("latency_ms", {})
        for col, key in [("perc_50.0", "p50"), ("perc_90.0", "p90"), ("perc_95.0", "p95"), ("perc_99.0", "p99")]:
            # Taurus prints seconds with 3 decimals: whole milliseconds.
            ours_s = lat.get(key)
            ours_s = None if ours_s is None else ours_s / 1000.0
            check(f"{what} {key} (s)", ours_s, float(r[col]), tol=0.0011)


def main():
    kind = sys.argv[1]
    if kind == "locust":
        cmp_locust(*sys.argv[2:6])
    elif kind == "jmeter":
        cmp_jmeter(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "xml")
    elif kind == "bzt":
        cmp_bzt(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown comparison {kind}")
    if problems:
        print(f"MISMATCH ({kind}): " + "; ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
