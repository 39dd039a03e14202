#!/usr/bin/env bash
# Make sure the Chromium the console's browser tests drive is here (tests/browser/ start it through
# Playwright with executable_path; Playwright's own browser download is never used). Installs
# Debian's chromium with apt-get when it is not. JOURNEYSTACK_CHROMIUM names another binary.
set -euo pipefail

chromium="${JOURNEYSTACK_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
    exit 0
fi
if [ -n "${JOURNEYSTACK_CHROMIUM:-}" ]; then
    echo "ensure-chromium: JOURNEYSTACK_CHROMIUM=$chromium is not an executable file" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install it: install Debian's" >&2
    echo "chromium package, or set JOURNEYSTACK_CHROMIUM to a Chromium binary." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no apt-get here: install Chromium and set JOURNEYSTACK_CHROMIUM to its binary." >&2
    exit 1
fi

echo "ensure-chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x /usr/bin/chromium ] || { echo "ensure-chromium: chromium installed, but /usr/bin/chromium is missing" >&2; exit 1; }
