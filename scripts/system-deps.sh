#!/usr/bin/env bash
# Install the system packages the test suite drives (Chromium for the browser tests,
# a Java runtime for the Nu Html Checker, npm for the pinned checkers) with apt, only when
# they are missing.
# Idempotent and instant when both are present; never downloads a browser or JDK itself.
set -euo pipefail

missing=()
# A browser named in CHROMIUM_PATH (a GitHub runner's Chrome) stands in for Debian's chromium.
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then :
else command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium); fi
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-deps: installing ${missing[*]} with apt" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
