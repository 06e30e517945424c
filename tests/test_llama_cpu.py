"""llama.cpp's CPU backend chosen at run time: the best variant this CPU runs, in a fresh process each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.ask.llama_cpu import cpu_variants, variant_name

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[model]')")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def _variants() -> list[str]:
    from rag.ask.llama_cpu import library_dir

    return [variant_name(p) for p in cpu_variants(library_dir())]


def test_variants_are_found_by_file_name(tmp_path: Path) -> None:
    for name in ("libggml-cpu-haswell.so", "libggml-cpu-x64.so", "libggml-base.so", "libggml-cpu-x64.so.o"):
        (tmp_path / name).touch()
    assert [variant_name(p) for p in cpu_variants(tmp_path)] == ["haswell", "x64"]


def test_the_best_backend_for_this_cpu_is_loaded_once() -> None:
    done = _python("from rag.ask.llama_cpu import load_cpu_backend as l; print(l()); print(l())")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()[-2:]
    assert first == second
    name, features = first.split(":", 1)
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if _variants():
        assert name in _variants()
        if "avx2" in flags:  # a variant without the CPU's AVX2 would be a wrong choice, several times slower
            assert "AVX2 = 1" in features
    else:
        assert name == "built in"


def test_the_system_cxx_runtime_is_loaded_before_llama_cpp() -> None:
    # So that a build carrying its own copy in each library still shares one (see import_llama_cpp).
    done = _python("from rag.ask.llama_cpu import import_llama_cpp; m = import_llama_cpp();"
                   "maps = open('/proc/self/maps').read(); print(m.__name__, 'libstdc++' in maps)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["llama_cpp", "True"]


def test_a_backend_the_build_lacks_is_refused_in_words() -> None:
    if not _variants():
        pytest.skip("llama-cpp-python was built with its CPU backend linked in (no variants to choose from)")
    done = _python("from rag.ask.llama_cpu import load_cpu_backend; load_cpu_backend('no-such-cpu')")
    assert done.returncode != 0
    assert "llama.cpp's CPU backend 'no-such-cpu' cannot run here" in done.stderr


def test_the_openai_server_runs_on_this_build() -> None:
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python's server extra is not installed")
    done = subprocess.run([sys.executable, "-m", "rag.ask.llama_cpu", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--model" in done.stdout
