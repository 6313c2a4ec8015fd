#!/usr/bin/env bash
# The dashboard in a real browser on a 2-host lab (prefix "ui") with a cluster token: headless
# Chromium, driven by Selenium from the controller's namespace as an operator's browser would be
# (ui_browser.py says what it checks). The screenshots it takes are kept in SHOT_DIR. The lab is
# torn down on every exit path.
#   ui_test.sh [BIN_DIR] [SHOT_DIR]     (defaults: build/bin, build/artifacts)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-ui}" ui
# The browser runs in a session of its own, so that every exit path takes chromedriver and
# Chromium with it.
BROWSER=""
before_lab_down() { [[ -z $BROWSER ]] || kill -- -"$BROWSER" 2>/dev/null; }
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}
SHOTS=${2:-$ROOT/build/artifacts}
mkdir -p "$SHOTS"

echo "# bringing up a 2-host lab '$P' with a cluster token"
lab up --hosts 2 --token >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
eval "$(lab env)"

echo "# something to show: a second network and a container on each host"
must "vxctl network create blue" lab vxctl network create blue --subnet 10.30.0.0/24
must "vxctl run web1 on host1" lab vxctl run web1 nginx:alpine --host host1
must "vxctl run db1 on host2, on blue" lab vxctl run db1 nginx:alpine --host host2 --network blue

echo "# the page in headless Chromium"
# answer PATH: the status and content type of an anonymous GET, from the controller's namespace.
answer() { lab exec ctl curl -s -m 5 -o /dev/null -w '%{http_code} %{content_type}' "$LAB_IPAM_URL/$1"; }
expect_eq "GET /ui needs no token and is HTML" "$(answer ui)" "200 text/html; charset=utf-8"
expect_eq "the API behind it still needs the token" "$(answer peers)" "401 application/json"
lab exec ctl curl -s -m 5 -o /dev/null -D "$OUT/page.headers" "$LAB_IPAM_URL/ui"
lab exec ctl curl -s -m 5 -o /dev/null -D "$OUT/api.headers" "$LAB_IPAM_URL/health"
check "the page's policy: its own script and origin only" grep -qi "^content-security-policy: default-src 'none'; script-src 'nonce-[0-9a-f]\{32\}'.*connect-src 'self'.*frame-ancestors 'none'" "$OUT/page.headers"
check "and it may not be framed" grep -qi '^x-frame-options: DENY' "$OUT/page.headers"
check "answers of the API are never cached nor sniffed" bash -c \
  "grep -qi '^cache-control: no-store' '$OUT/api.headers' && grep -qi '^x-content-type-options: nosniff' '$OUT/api.headers'"
# Within ctest's 600 s, so that the traps still run.
setsid timeout -k 10 420 "$ROOT/lab/lab" --prefix "$P" exec ctl env LAB="$ROOT/lab/lab" P="$P" LAB_BIN_DIR="$LAB_BIN_DIR" \
  /usr/bin/python3 "$ROOT/tests/e2e/ui_browser.py" "$LAB_IPAM_URL" "$LAB_TOKEN_FILE" "$SHOTS" >"$OUT/browser" 2>&1 &
BROWSER=$!
wait "$BROWSER"
cat "$OUT/browser"
counts=$(tail -n 1 "$OUT/browser")
if [[ $counts =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  PASS=$((PASS + BASH_REMATCH[1]))
  FAIL=$((FAIL + BASH_REMATCH[2]))
else
  bad "the browser's checks ran to their end"
fi
check "a screenshot is kept as an artifact" test -s "$SHOTS/dashboard.png"
echo "# screenshots in $SHOTS"
finish
