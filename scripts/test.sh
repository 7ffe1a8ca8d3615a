#!/usr/bin/env bash
# The test suite `make test` runs (after setup and training). Exit code is pytest's.
set -uo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false MADOGUCHI_ENV=test
echo "==> static: ruff, mypy"
.venv/bin/ruff check bot knowledge actions channels tests bench || exit 1
.venv/bin/ruff format --check bot knowledge actions channels tests bench >/dev/null || { echo "ruff format: run .venv/bin/ruff format"; exit 1; }
.venv/bin/mypy bot knowledge channels || exit 1
echo "==> embedding cache for the demo KB (shared by the eval and whole-stack tests; a no-op when current)"
warm=var/cache-warm
rm -rf "$warm"
MADOGUCHI_DATA_DIR=$warm .venv/bin/madoguchi seed >/dev/null || exit 1
cp -r var/index "$warm/" 2>/dev/null || true
MADOGUCHI_DATA_DIR=$warm .venv/bin/madoguchi index || exit 1
mkdir -p var/index && cp -r "$warm/index/embeddings" var/index/ && rm -rf "$warm"
echo "==> pytest (unit, storage on SQLite + PostgreSQL, Rasa, eval, end-to-end, browser)"
.venv/bin/pytest -p no:cacheprovider --durations=15 "$@"
