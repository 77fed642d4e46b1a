#!/usr/bin/env bash
# Install the dashboard's browser assets from npm and copy the built files into
# static/vendor/ (git-ignored). Nothing is loaded from a CDN at run time.
# htmx is pinned to 2.x: its HTTP 286 "stop polling" answer is what the live run
# page relies on (htmx 4 dropped it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
else
    npm install --no-audit --no-fund --loglevel=error
fi

mkdir -p static/vendor
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/htmx.org/LICENSE static/vendor/htmx.LICENSE
echo "vendored: $(ls static/vendor | tr '\n' ' ')"
