#!/usr/bin/env bash
# Print the project's performance figures (not part of the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== parse time per file (python -m bench.parse_speed)"
.venv/bin/python -m bench.parse_speed
echo "== ingest throughput of poll --once over 500 messages (python -m bench.ingest_throughput)"
.venv/bin/python -m bench.ingest_throughput --messages 500
