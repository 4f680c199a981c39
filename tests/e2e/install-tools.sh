#!/usr/bin/env bash
# Installs the pinned load-test runners the end-to-end scripts drive, idempotently, under
# target/e2e-tools/. Source it: it exports PATH entries and the variables below.
#   E2E_TOOLS  the install root
#   LOCUST     path to the locust executable (PyPI locust, pinned)
#   ARTILLERY  path to the artillery executable (npm artillery, pinned)
#   BZT        path to Taurus' bzt executable (with Locust in its venv), empty if it would not install
#   JMETER     path to Debian's jmeter, empty if it would not install
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export E2E_TOOLS="$root/target/e2e-tools"
mkdir -p "$E2E_TOOLS"

LOCUST_VERSION=2.47.0
ARTILLERY_VERSION=2.0.21
BZT_VERSION=1.17.2

if [ ! -x "$E2E_TOOLS/locust-venv/bin/locust" ]; then
  python3 -m venv "$E2E_TOOLS/locust-venv"
  "$E2E_TOOLS/locust-venv/bin/pip" install --quiet --disable-pip-version-check "locust==$LOCUST_VERSION"
fi
export LOCUST="$E2E_TOOLS/locust-venv/bin/locust"

if [ ! -x "$E2E_TOOLS/node/node_modules/.bin/artillery" ]; then
  mkdir -p "$E2E_TOOLS/node"
  (cd "$E2E_TOOLS/node" && [ -f package.json ] || echo '{"private":true}' > package.json)
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$E2E_TOOLS/node" --no-audit --no-fund --loglevel=error "artillery@$ARTILLERY_VERSION" >/dev/null
fi
export ARTILLERY="$E2E_TOOLS/node/node_modules/.bin/artillery"

export BZT=""
if [ -x "$E2E_TOOLS/bzt-venv/bin/bzt" ] || {
  python3 -m venv "$E2E_TOOLS/bzt-venv" &&
  "$E2E_TOOLS/bzt-venv/bin/pip" install --quiet --disable-pip-version-check "bzt==$BZT_VERSION" >/dev/null 2>&1
}; then
  export BZT="$E2E_TOOLS/bzt-venv/bin/bzt"
  # Taurus' locust executor runs the exported locustfile with the Locust of its own Python; pinned
  # here so Taurus never installs one itself at run time.
  if ! "$E2E_TOOLS/bzt-venv/bin/python" -c "import locust, sys; sys.exit(locust.__version__ != '$LOCUST_VERSION')" 2>/dev/null; then
    "$E2E_TOOLS/bzt-venv/bin/pip" install --quiet --disable-pip-version-check "locust==$LOCUST_VERSION" >/dev/null 2>&1 || true
  fi
fi

export JMETER=""
if ! command -v jmeter >/dev/null 2>&1; then
  (apt-get update -qq >/dev/null 2>&1 || true)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jmeter >/dev/null 2>&1 || true
fi
if command -v jmeter >/dev/null 2>&1; then
  export JMETER="$(command -v jmeter)"
fi
