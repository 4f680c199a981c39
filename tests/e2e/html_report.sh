#!/usr/bin/env bash
# Opens perfassist's HTML reports in headless Chromium (Debian's package) through playwright-core:
# the page must log no console errors, raise no script errors and request nothing but itself;
# a full-page screenshot is taken and every chart area is checked in it with Pillow: the expected
# size, and drawn (not blank). Reports: `interpret --format html` and `plan --format html` from
# the release binary, and the reviewed golden report that carries every chart kind.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=target/release/perfassist
tools=$root/target/e2e-tools
fail() { echo "html_report: FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "$bin is missing: run cargo build --release first"

if ! command -v chromium >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
    || fail "cannot install Debian's chromium"
fi
mkdir -p "$tools/pw"
if [ ! -f "$tools/pw/node_modules/playwright-core/package.json" ]; then
  echo '{"private":true}' >"$tools/pw/package.json"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install --prefix "$tools/pw" --no-audit --no-fund \
    --loglevel=error playwright-core@1.65.1 >/dev/null || fail "cannot install playwright-core from npm"
fi
if ! "$tools/pillow-venv/bin/python" -c 'import PIL' 2>/dev/null; then
  python3 -m venv "$tools/pillow-venv"
  timeout 300 "$tools/pillow-venv/bin/pip" install --quiet --disable-pip-version-check Pillow==13.0.0 \
    || fail "cannot install Pillow from PyPI"
fi

work=$(mktemp -d)
# Node closes the browser it launched; `timeout` ends both if either hangs.
trap 'rm -rf "$work"' EXIT

rc=0
"$bin" interpret --profile fixtures/checkout-profile.yaml --metrics fixtures/metrics-failing.json \
  --baseline fixtures/metrics-passing.json --format html >"$work/interpret.html" || rc=$?
[ "$rc" -eq 1 ] || fail "interpret of a failing run exited $rc, expected 1"
"$bin" plan --profile fixtures/checkout-profile.yaml --format html >"$work/plan.html" \
  || fail "plan --format html failed"
cp tests/golden/render/stress-run.html "$work/stress-run.html"

cat >"$work/open.js" <<'JS'
// Opens one report, gathers what the browser said about it, screenshots it and measures charts.
const { chromium } = require(process.env.PW_DIR + '/node_modules/playwright-core');
const [file, png, out] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const url = 'file://' + file;
    page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', e => problems.push(`page error: ${e.message}`));
    page.on('request', r => { if (r.url() !== url) problems.push(`fetched ${r.url()}`); });
    page.on('requestfailed', r => problems.push(`request failed: ${r.url()}`));
    await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    const charts = await page.$$eval('svg.chart', els => els.map(e => {
      const r = e.getBoundingClientRect();
      return { id: e.id, x: r.x + window.scrollX, y: r.y + window.scrollY, w: r.width, h: r.height };
    }));
    await page.screenshot({ path: png, fullPage: true });
    require('fs').writeFileSync(out, JSON.stringify({ problems, charts }));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(e); process.exit(1); });
JS

cat >"$work/check.py" <<'PY'
"""Checks each chart's area in the screenshot: the expected size, and drawn on (not blank)."""
import json, sys
from PIL import Image

# The series colours of src/render/svg.rs (PALETTE and the over-objective bar colour).
PALETTE = {(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0)}
png, meta, expected = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
info = json.load(open(meta))
errors = list(info["problems"])
img = Image.open(png).convert("RGB")
seen = {c["id"] for c in info["charts"]}
for want in expected:
    if want and want not in seen:
        errors.append(f"chart {want} missing (found {sorted(seen)})")
for c in info["charts"]:
    if abs(c["w"] - 640) > 1 or abs(c["h"] - 260) > 1:
        errors.append(f"chart {c['id']} is {c['w']}x{c['h']}, expected 640x260")
        continue
    box = tuple(int(round(v)) for v in (c["x"], c["y"], c["x"] + c["w"], c["y"] + c["h"]))
    area = img.crop(box)
    raw = area.tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    drawn = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
    colours = len(set(pixels))
    # Pixels in the series palette below the title and legend band (the top 30 px): data
    # drawn, not just axes, text, legend and objective lines.
    data = sum(1 for p in pixels[30 * area.width:] if p in PALETTE)
    if drawn < 0.02 or colours < 8 or data < 300:
        errors.append(f"chart {c['id']} looks blank: {drawn:.1%} drawn, {colours} colours, {data} data pixels")
    else:
        print(f"  {c['id']}: {c['w']:.0f}x{c['h']:.0f}, {drawn:.1%} drawn, {data} data pixels")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
PY

check() {
  local name=$1 expected=$2
  PW_DIR=$tools/pw timeout 90 node "$work/open.js" "$work/$name.html" "$work/$name.png" "$work/$name.json" \
    || fail "$name: Chromium could not open the report"
  echo "html_report: $name.html"
  mkdir -p target/e2e-html && cp "$work/$name.png" target/e2e-html/
  "$tools/pillow-venv/bin/python" "$work/check.py" "$work/$name.png" "$work/$name.json" "$expected" \
    || fail "$name: see above (screenshot kept at target/e2e-html/$name.png)"
}

plans=plan-smoke,plan-steady,plan-burst,plan-soak,plan-stress
check interpret "latency-percentiles,error-rate,$plans"
check plan "$plans"
check stress-run "latency-percentiles,error-rate,endpoint-latency,ts-latency,ts-load,ts-errors,ts-memory,$plans"
echo "html_report: ok (screenshots in target/e2e-html/)"
