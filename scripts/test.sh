#!/usr/bin/env bash
# The project's test command, quoted in the README and called by .ci/run.
# Works on a fresh machine: makes .venv if missing, installs the project with
# its dev extras (quick when already installed), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet ".[dev]"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
