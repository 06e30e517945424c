#!/usr/bin/env bash
# Create .venv and install the project with its test extras. torch 2.13.0 goes first: that exact version is
# a CPU build available offline; anything else would pull a multi-GB CUDA build. The fast extra adds the
# OpenVINO embedding backend; the milvus extra the Milvus client, Milvus Lite and a Milvus 2.3.5 server for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0
# llama-cpp-python builds from source (~4 min, then pip's wheel cache); GGML_NATIVE=OFF keeps that cached wheel
# free of this CPU's extensions so it still runs on another machine.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
python -m pip install -q -e ".[test,fast,local,milvus]"
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
    # Debian's Chromium for the headless-browser tests (Playwright drives it; it never downloads a browser).
    if command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "setup: could not install chromium" >&2
    fi
fi
