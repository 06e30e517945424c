#!/usr/bin/env bash
# Set up (idempotent), index corpus/ and open the chat at http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
rag ingest
exec rag serve "$@"
