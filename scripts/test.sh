#!/usr/bin/env bash
# Set up (idempotent), lint and type-check, then run the whole test suite: tests/ (the question-set quality gate
# included) and the doctests of rag/, embeddings/ and ui/ (pyproject's testpaths).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
. .venv/bin/activate
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
ruff check rag embeddings ui tests bench
mypy rag embeddings ui
python -m pytest -q
