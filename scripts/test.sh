#!/usr/bin/env bash
# Fresh machine → passing tests: set up, then run the whole suite against real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> import contract (pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
