"""llama.cpp's CPU kernels, chosen for the CPU at run time.

``scripts/setup.sh`` builds llama-cpp-python with one CPU backend per instruction-set level
(``GGML_BACKEND_DL`` + ``GGML_CPU_ALL_VARIANTS``: ``libggml-cpu-haswell.so``, ``-skylakex``, ``-icelake``,
``-zen4``, ...), so the wheel pip caches runs anywhere yet uses AVX-512 and VNNI where the CPU has them. Such a
build registers no backend until one is loaded, and llama-cpp-python does not load one: ``load_cpu_backend``
asks ggml to score the variants against this CPU and load the best. A build with its CPU backend linked in
(any other llama-cpp-python) already has it, and nothing is loaded.

``python -m rag.ask.llama_cpu --model M.gguf --port 8080`` runs llama-cpp-python's OpenAI-compatible server
on either kind of build (its own ``python -m llama_cpp.server`` finds no backend in a variants build).

>>> variant_name(Path("/x/libggml-cpu-icelake.so"))
'icelake'
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import runpy
import threading
from pathlib import Path

from rag.errors import ModelError

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: list[str] = []  # the variant this process loaded, once it has


def import_llama_cpp():
    """llama-cpp-python, imported with the system's C++ runtime loaded first, for every library to share.

    A build whose libraries each carry the C++ runtime inside them (one made by a compiler wrapper that links
    it statically) otherwise resolves some of libllama's C++ runtime calls into libggml's private copy, and
    crashes (SIGSEGV) while setting up the model's tokenizer; loaded first and global, the system's copy
    serves them all, as ``LD_PRELOAD`` would. Raises ``ImportError`` when llama-cpp-python is not installed.
    """
    _load_cxx_runtime()
    import llama_cpp

    return llama_cpp


@functools.cache
def _load_cxx_runtime() -> None:
    """Once per process (the library stays loaded; later imports find llama_cpp in ``sys.modules``)."""
    name = ctypes.util.find_library("stdc++")
    if name:
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError:  # no usable system copy: the build's own serves, as without this
            pass


def library_dir() -> Path:
    """The folder holding llama-cpp-python's shared libraries (and a variants build's CPU backends)."""
    return Path(import_llama_cpp().__file__).parent / "lib"


def cpu_variants(folder: Path) -> list[Path]:
    """The CPU backends of a variants build in ``folder``, by name; empty for a build with one linked in."""
    return sorted(p for p in folder.glob("*ggml-cpu-*") if p.suffix in (".so", ".dll", ".dylib"))


def variant_name(path: Path) -> str:
    return path.stem.split("ggml-cpu-", 1)[1]


def load_cpu_backend(variant: str | None = None) -> str:
    """Make sure llama.cpp has a CPU backend (once per process) and return what it runs, e.g.
    ``"haswell: AVX = 1 | AVX2 = 1 | ..."`` or ``"built in: ..."``.

    ``variant`` forces one backend of a variants build by name (``bench/llama_build.py`` compares them); by
    default ggml loads the best this CPU can run. Raises ``ModelError`` when a variants build has none that
    loads.
    """
    libggml = _ggml()
    _declare(libggml)
    # ggml reports each backend it loads through llama-cpp-python's log hook, which prints everything until a
    # model is loaded quietly; the choice is logged here instead.
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    with _lock:
        variants = cpu_variants(library_dir())
        chosen = _loaded[0] if _loaded else "built in"
        if libggml.ggml_backend_reg_count() == 0:
            chosen = _load(libggml, variants, variant)
            _loaded.append(chosen)
        elif variant is not None:
            raise ModelError(f"llama.cpp's CPU backend {variant!r} cannot be chosen: one is loaded already")
        features = _features(libggml)
    log.info("llama.cpp CPU backend %s: %s", chosen, features)
    return f"{chosen}: {features}"


def _ggml():
    """ggml as llama.cpp itself links it. A wheel holds copies, not links, of ``libggml.so`` and ``libggml.so.0``,
    and each file opened is a separate ggml with its own backend registry: its functions are looked up through
    libllama's handle, which reaches the one libllama uses."""
    import_llama_cpp()
    from llama_cpp import llama_cpp

    try:
        llama_cpp._lib.ggml_backend_reg_count  # found where the loader searches dependencies
        return llama_cpp._lib
    except AttributeError:
        from llama_cpp._ggml import libggml

        return libggml


class _Feature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def _declare(libggml) -> None:
    libggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    libggml.ggml_backend_load.restype = ctypes.c_void_p
    libggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
    libggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    libggml.ggml_backend_reg_by_name.restype = ctypes.c_void_p
    libggml.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
    libggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    libggml.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]


def _features(libggml) -> str:
    """What the CPU backend was compiled to use, as ggml lists it: ``"SSE3 = 1 | AVX2 = 1 | ..."``."""
    reg = libggml.ggml_backend_reg_by_name(b"CPU")
    address = libggml.ggml_backend_reg_get_proc_address(reg, b"ggml_backend_get_features") if reg else None
    if not address:
        return ""
    listed = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)(address)(reg)
    pairs: list[str] = []
    while listed[len(pairs)].name:
        feature = listed[len(pairs)]
        pairs.append(f"{feature.name.decode()} = {(feature.value or b'').decode()}")
    return " | ".join(pairs)


def _load(libggml, variants: list[Path], variant: str | None) -> str:
    if variant is not None:
        named = [p for p in variants if variant_name(p) == variant]
        if not named or not libggml.ggml_backend_load(str(named[0]).encode()):
            raise ModelError(f"llama.cpp's CPU backend {variant!r} cannot run here")
        return variant
    before = _loaded_maps()
    libggml.ggml_backend_load_all_from_path(str(library_dir()).encode())
    if libggml.ggml_backend_reg_count() == 0:
        raise ModelError("llama.cpp has no CPU backend that runs on this CPU")
    loaded = [variant_name(p) for p in variants if str(p) in _loaded_maps() - before]
    return loaded[0] if loaded else "best of the build"


def _loaded_maps() -> set[str]:
    """Files mapped into this process (Linux); how the variant ggml chose is named, since ggml does not say."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return set()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


if __name__ == "__main__":
    load_cpu_backend()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
