#!/usr/bin/env bash
# Fresh machine → running demo: set up, then run intake on a local demo mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/intake demo "$@"
