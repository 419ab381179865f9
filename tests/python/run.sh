#!/usr/bin/env bash
# Runs the Python end-to-end tests against the real ringflux binary.
#
#   bash tests/python/run.sh            # from the repo root (or anywhere)
#   RINGFLUX_BIN=/path/to/ringflux bash tests/python/run.sh
#
# Creates (or reuses) a virtualenv at tests/python/.venv, installs the pinned
# requirements, builds the debug binary unless RINGFLUX_BIN is set, and exits
# with pytest's status; "no tests collected" (pytest exit 5) counts as failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

PY="${PYTHON:-python3}"
VENV="$HERE/.venv"
# Reuse the venv only if its interpreter still runs (a moved/removed base python breaks it).
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q -r "$HERE/requirements.txt" </dev/null

if [[ -z "${RINGFLUX_BIN:-}" ]]; then
    cargo build --bin ringflux </dev/null
    RINGFLUX_BIN="$ROOT/target/debug/ringflux"
fi
case "$RINGFLUX_BIN" in
    /*) ;;
    *) RINGFLUX_BIN="$ROOT/$RINGFLUX_BIN" ;;
esac
if [[ ! -x "$RINGFLUX_BIN" ]]; then
    echo "run.sh: RINGFLUX_BIN=$RINGFLUX_BIN is not an executable" >&2
    exit 1
fi
export RINGFLUX_BIN

set +e
# Hard bound on the whole run; the daemons die with pytest (PR_SET_PDEATHSIG).
timeout -k 30 600 "$VENV/bin/python" -m pytest -q tests/python "$@" </dev/null
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "run.sh: pytest collected no tests; treating that as a failure" >&2
    exit 1
fi
exit $status
