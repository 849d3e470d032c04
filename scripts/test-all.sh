#!/usr/bin/env bash
# Run envdoctor's whole test suite on a fresh machine: Python 3.11 (everything, including the
# real MindSpore stack) and Python 3.7 (the oldest Python envdoctor supports), plus vermin,
# ruff and mypy.
#
#   bash scripts/test-all.sh            # everything
#   bash scripts/test-all.sh -m "not slow and not mindspore"   # extra args go to pytest
#
# Venvs and the shared MindSpore test venv live in .cache/ (reused between runs); pip's own
# cache keeps the 800 MB mindspore wheel, so it is downloaded once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export ENVDOCTOR_TEST_CACHE="${ENVDOCTOR_TEST_CACHE:-$ROOT/.cache}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
mkdir -p "$ENVDOCTOR_TEST_CACHE"

# The class report's test opens the page in headless Chromium (Debian's package) and is skipped
# without it: install it only when it is missing and apt-get is there (as root, or sudo -n).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  { $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      chromium; } >/dev/null 2>&1 || echo "== could not install chromium: its test is skipped"
fi

find_python() {  # find_python 3.11 -> a CPython 3.11 interpreter, or nothing
  local v=$1 p
  for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  command -v "python$v" || true
}

dev_venv() {  # dev_venv NAME PYTHON -> a venv with envdoctor[test] installed from this tree
  local dir="$ENVDOCTOR_TEST_CACHE/$1" py=$2
  if [ ! -x "$dir/bin/python" ]; then "$py" -m venv "$dir"; fi
  "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  "$dir/bin/python" -m pip install -q -e ".[test]"
  echo "$dir/bin/python"
}

PY311=$(find_python 3.11); PY311=${PY311:-$(command -v python3)}
PY37=$(find_python 3.7)

status=0
MAIN=$(dev_venv dev-py311 "$PY311")
echo "== vermin: envdoctor must run on Python 3.7"
"$(dirname "$MAIN")/vermin" -q --no-tips --violations -t=3.7- envdoctor || status=1
echo "== ruff on envdoctor/ and tests/, mypy on envdoctor/ (settings in pyproject.toml)"
"$(dirname "$MAIN")/ruff" check envdoctor tests || status=1
"$(dirname "$MAIN")/mypy" envdoctor || status=1

echo "== pytest on $("$MAIN" -V)"
"$MAIN" -m pytest -q -ra "$@" || status=1

if [ -n "$PY37" ]; then
  OLD=$(dev_venv dev-py37 "$PY37")
  # envdoctor itself on Python 3.7; the index-heavy and real-MindSpore tests ran above
  # (transformers 4.35 and mindspore 2.7 have no Python 3.7 build anyway).
  echo "== pytest on $("$OLD" -V) (without the slow index and MindSpore tests: they ran above;"
  echo "   with the oldest-dependencies test, which matters most on the oldest Python)"
  "$OLD" -m pytest -q -ra -m "not mindspore and (not slow or lowest)" -p no:cacheprovider \
    "$@" || status=1
else
  echo "== no Python 3.7 here: skipped the 3.7 run"
fi
exit $status
