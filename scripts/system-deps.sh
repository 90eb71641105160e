#!/usr/bin/env bash
# Install the system packages the test suite drives (Chromium for the browser tests,
# a Java runtime for the Nu Html Checker, npm for the pinned checkers) with apt, only when
# they are missing.
# Idempotent and instant when all are present; never downloads a browser or JDK itself.
#
#   scripts/system-deps.sh             install what is missing
#   scripts/system-deps.sh --browser   print the browser the tests should drive (nothing if none)
#
# Ubuntu has no chromium package: its `chromium` is a snap, and a snap browser cannot be driven
# from the tests (it sees neither the host's /tmp nor Playwright's profile folder). There the
# script looks for another Chromium-based browser instead, or says in one line what to set.
# OS_RELEASE names the os-release file to read (the tests point it at a fake one).
set -euo pipefail

os_release="${OS_RELEASE:-/etc/os-release}"

is_ubuntu() {
    # Ubuntu and its derivatives (Mint, Pop!_OS) say so in ID or ID_LIKE.
    local line
    [ -r "$os_release" ] || return 1
    while IFS= read -r line; do
        case "$line" in
            ID=*|ID_LIKE=*) case "${line#*=}" in *ubuntu*) return 0 ;; esac ;;
        esac
    done <"$os_release"
    return 1
}

is_snap() {
    # A snap launcher: a link into /snap or to the snap binary, or a script that execs one.
    local real
    real="$(readlink -f "$1")"
    case "$real" in /snap/*|*/bin/snap) return 0 ;; esac
    [ "$(head -c 2 "$real")" = "#!" ] && grep -q "/snap/" "$real"
}

usable() { [ -n "$1" ] && [ -x "$1" ] && [ ! -d "$1" ] && ! is_snap "$1"; }

find_browser() {
    # A real chromium first, then other Chromium builds on PATH, then Playwright's own download.
    local name found
    for name in chromium chromium-browser google-chrome-stable google-chrome; do
        found="$(command -v "$name" 2>/dev/null)" || continue
        usable "$found" && { echo "$found"; return 0; }
    done
    for found in "${PLAYWRIGHT_BROWSERS_PATH:-${HOME:-/nonexistent}/.cache/ms-playwright}"/chromium-*/chrome-linux*/chrome; do
        usable "$found" && { echo "$found"; return 0; }
    done
    return 1
}

# CHROMIUM_PATH, when set, is the browser: the tests say so if it does not work.
if [ -n "${CHROMIUM_PATH:-}" ]; then browser="$CHROMIUM_PATH"
else browser="$(find_browser)" || browser=""; fi
if [ "${1:-}" = "--browser" ]; then
    [ -z "$browser" ] || echo "$browser"
    exit 0
fi

missing=()
if [ -z "$browser" ]; then
    if is_ubuntu; then
        echo "system-deps: Ubuntu's chromium is a snap the tests cannot drive: install google-chrome-stable," \
             "or set CHROMIUM_PATH to a Chrome or Chromium binary (make test CHROMIUM_PATH=/path/to/chrome)" >&2
    else
        missing+=(chromium)
    fi
fi
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
