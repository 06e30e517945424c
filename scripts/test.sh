#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite, then the quick evaluation gate on the question set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
. .venv/bin/activate
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
python -m pytest tests -q
