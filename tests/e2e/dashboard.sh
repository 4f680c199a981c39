#!/usr/bin/env bash
# Opens the outbox dashboard of a daemon that handled several services and runs in headless
# Chromium (Debian's package, driven by playwright-core as html_report.sh does): the page must
# request nothing but itself, raise no errors, and show through its DOM every service, the latest
# verdict per scenario, a dot per run on each trend with the SLO line, and links to the plan, the
# runner scripts and every run's report that lead to files in the outbox. A screenshot is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=$root/target/release/perfassist
tools=$root/target/e2e-tools
fail() { echo "dashboard: FAIL: $*" >&2; exit 1; }
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p inbox
# Three services; two with runs whose p95 creeps up release after release until the SLO (400 ms)
# fails, one with a plan only.
ROOT=$root python3 - <<'PY'
import json, os, re
profile = open(os.path.join(os.environ["ROOT"], "fixtures/checkout-profile.yaml")).read()
for svc, runs in [("checkout-api", 6), ("search-api", 3), ("billing-api", 0)]:
    os.makedirs(f"inbox/{svc}", exist_ok=True)
    open(f"inbox/{svc}/profile.yaml", "w").write(re.sub(r"service: checkout-api", f"service: {svc}", profile))
    for i in range(runs):
        p95 = 250 + 40 * i
        run = {"p50_ms": 100 + 5 * i, "p95_ms": p95, "p99_ms": 2 * p95, "throughput_rps": 190 - i,
               "error_rate": 0.002 * (i + 1), "requests": 12000, "errors": 24 * (i + 1)}
        json.dump(run, open(f"inbox/{svc}/release-{i + 1:02d}.json", "w"))
PY
rc=0
"$bin" watch --once 2>once.log || rc=$?
[ "$rc" -eq 1 ] || { cat once.log; fail "watch --once exited $rc, expected 1 (some runs fail their SLO)"; }
[ -s outbox/index.html ] || fail "outbox/index.html was not written"

cat >open.js <<'JS'
// Opens the dashboard, records every request and error, checks its content through the DOM.
const { chromium } = require(process.env.PW_DIR + '/node_modules/playwright-core');
const fs = require('fs'), path = require('path');
const [file, png] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const expect = (ok, what) => { if (!ok) problems.push(what); };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const url = 'file://' + file;
    page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', e => problems.push(`page error: ${e.message}`));
    page.on('request', r => { if (r.url() !== url) problems.push(`fetched ${r.url()}`); });
    await page.goto(url, { waitUntil: 'load', timeout: 20000 });
    const dom = await page.evaluate(() => {
      const out = {};
      for (const s of document.querySelectorAll('section.service')) {
        const svc = s.dataset.service;
        out[svc] = {
          latest: [...s.querySelectorAll('.latest .badge')].map(b => b.textContent),
          charts: [...s.querySelectorAll('svg.chart')].map(c => ({
            id: c.id, dots: c.querySelectorAll('circle.run').length,
            fails: c.querySelectorAll('circle.v-fail').length,
            slo: c.textContent.includes('SLO'),
            w: c.getBoundingClientRect().width })),
          links: [...s.querySelectorAll('a')].map(a => a.getAttribute('href')),
          rows: s.querySelectorAll('table tr').length - 1,
        };
      }
      out._csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]').content;
      out._overview = document.querySelectorAll('body > table tr').length - 1;
      out._rows = {};
      for (const tr of [...document.querySelectorAll('body > table tr')].slice(1)) {
        out._rows[tr.cells[0].textContent] = [...tr.querySelectorAll('a')].map(a => a.getAttribute('href'));
      }
      return out;
    });
    expect(dom._csp.includes("default-src 'none'"), `CSP is ${dom._csp}`);
    expect(dom._overview === 3, `overview lists ${dom._overview} services, expected 3`);
    const want = { 'checkout-api': 6, 'search-api': 3, 'billing-api': 0 };
    for (const [svc, runs] of Object.entries(want)) {
      const row = dom._rows[svc] || [];
      expect(row.includes(`${svc}/plan.html`) && row.includes(`${svc}/exports/`), `${svc}: overview links ${row}`);
      for (const l of row) {
        if (!l.startsWith('#') && !fs.existsSync(path.join(path.dirname(file), l))) problems.push(`${svc}: link to missing ${l}`);
      }
      const s = dom[svc];
      if (runs === 0) { expect(!s, `${svc}: a section without runs`); continue; }
      if (!s) { problems.push(`no section for ${svc}`); continue; }
      expect(s.links.includes(`${svc}/plan.html`), `${svc}: no plan link`);
      expect(s.links.filter(l => l.startsWith(`${svc}/exports/`)).length === 20, `${svc}: not 20 runner scripts`);
      expect(s.charts.length === 4, `${svc}: ${s.charts.length} charts, expected 4`);
      for (const c of s.charts) {
        expect(c.dots === runs, `${c.id}: ${c.dots} dots, expected ${runs}`);
        expect(c.w > 600, `${c.id}: ${c.w}px wide`);
      }
      for (const id of ['p95', 'p99', 'errors']) {
        const c = s.charts.find(c => c.id === `trend-${id}-${svc}`);
        expect(c && c.slo, `${svc}: ${id} trend has no SLO line`);
      }
      expect(s.rows === runs, `${svc}: ${s.rows} run rows`);
      const reports = s.links.filter(l => l.startsWith(`${svc}/runs/`));
      expect(reports.length === runs, `${svc}: ${reports.length} report links`);
      expect(s.latest.length === 1 && s.latest[0].startsWith('whole-profile: '), `${svc}: latest ${s.latest}`);
      for (const l of s.links) {
        if (!l.startsWith('#') && !fs.existsSync(path.join(path.dirname(file), l))) problems.push(`${svc}: link to missing ${l}`);
      }
    }
    // p95 creeps 250, 290, ... 450 ms against a 400 ms SLO: the last two releases fail.
    const p95 = dom['checkout-api'].charts.find(c => c.id === 'trend-p95-checkout-api');
    expect(p95 && p95.fails === 2, `checkout-api p95: ${p95 && p95.fails} failing dots, expected 2`);
    expect(dom['checkout-api'].latest[0] === 'whole-profile: fail', `latest ${dom['checkout-api'].latest}`);
    // search-api's last release meets every SLO, but its p95 rose 290 -> 330 ms (+14 %) on the
    // release before it: the daemon's comparison with the previous run makes that a warn.
    expect(dom['search-api'].latest[0] === 'whole-profile: warn', `latest ${dom['search-api'].latest}`);
    await page.screenshot({ path: png, fullPage: true });
  } finally {
    await browser.close();
  }
  if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
})().catch(e => { console.error(e); process.exit(1); });
JS

PW_DIR=$tools/pw timeout 90 node open.js "$work/outbox/index.html" "$work/dashboard.png" \
  || fail "the dashboard is not as expected (see above)"
[ "$(stat -c %s dashboard.png)" -gt 50000 ] || fail "the screenshot looks empty"
mkdir -p "$root/target/e2e-html" && cp dashboard.png "$root/target/e2e-html/"
echo "dashboard: ok (screenshot in target/e2e-html/dashboard.png)"
