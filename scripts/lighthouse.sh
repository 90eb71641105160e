#!/usr/bin/env bash
# Lighthouse scores of the home, a device and the Europe page and the German home page of a fresh build, served over
# loopback under a sub-path as GitHub Pages serves it. Fails below: performance 95,
# accessibility, best practices and SEO 100. Usage: scripts/lighthouse.sh [device-id]
set -euo pipefail
cd "$(dirname "$0")/.."
device="${1:-xiaomi-12s-ultra}"
python=.venv/bin/python
chrome="${CHROME_PATH:-/usr/bin/chromium}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/root"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Built as it is published: with its base URL, so canonical and hreflang links are absolute as
# search engines require.
"$python" build.py build --no-cache --base-url "http://127.0.0.1:$port/factsheet/" --out "$work/root/factsheet" >/dev/null
"$python" -m http.server "$port" --bind 127.0.0.1 --directory "$work/root" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/factsheet/')" 2>/dev/null && break; sleep 0.1; done

status=0
printf '%-32s %5s %5s %5s %5s\n' page perf a11y bp seo
for path in "" "devices/$device/" "europe/" "de/"; do
    CHROME_PATH="$chrome" node_modules/.bin/lighthouse "http://127.0.0.1:$port/factsheet/$path" \
        --quiet --output=json --output-path="$work/report.json" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
    "$python" - "$work/report.json" "/${path}" <<'PY' || status=1
import json, sys
report = json.load(open(sys.argv[1]))
scores = {k: round(report["categories"][k]["score"] * 100) for k in ("performance", "accessibility", "best-practices", "seo")}
print(f"{sys.argv[2]:32} {scores['performance']:5} {scores['accessibility']:5} {scores['best-practices']:5} {scores['seo']:5}")
low = {k: v for k, v in scores.items() if v < (95 if k == "performance" else 100)}
for key in low:
    for audit in report["categories"][key]["auditRefs"]:
        result = report["audits"][audit["id"]]
        if audit["weight"] and result["score"] is not None and result["score"] < 1:
            print(f"    {key}: {result['title']} ({result['score']})")
sys.exit(1 if low else 0)
PY
done
exit $status
