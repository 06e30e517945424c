"""The embedding model behind a small Protocol, so another model or backend can stand in.

Two backends produce the same vectors: sentence-transformers on torch (the reference), and OpenVINO
(``openvino_embedder``), several times faster to start and faster to embed; OpenVINO is used when it is
installed and falls back to torch when it is not.

>>> embedder = load_embedder("all-MiniLM-L6-v2")  # doctest: +SKIP
>>> embedder.embed(["junior doctors strike"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

import numpy as np

from rag.errors import UsageError

if TYPE_CHECKING:
    from rag.settings import Settings

log = logging.getLogger(__name__)

BACKENDS = ("openvino", "torch")


class Embedder(Protocol):
    name: str  # model id recorded in the index manifest
    dimension: int
    backend: str  # what computes the vectors, e.g. "torch" or "openvino-int8" (recorded for information)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; ``progress`` is told how many texts are done."""
        ...


_loaded: dict[tuple, Embedder] = {}
_loading = threading.Lock()


def load_embedder(model: str, batch_size: int = 16, backend: str = "torch", precision: str = "fp32",
                  cache_dir: Path | None = None) -> Embedder:
    """Load a model by name or local path (the packaged MiniLM by default) on ``backend``, once per process.

    ``precision`` ("fp32", "bf16", "int8" or "auto": int8 where the CPU has int8 dot products) applies to
    OpenVINO, whose converted model is cached in ``cache_dir``. Without OpenVINO installed, torch is used.
    A second call with the same arguments returns the same embedder (waiting while another thread loads it).
    """
    key = (model, batch_size, backend, precision, str(cache_dir))
    with _loading:
        if key not in _loaded:
            _loaded[key] = _load(model, batch_size, backend, precision, cache_dir)
        return _loaded[key]


def _load(model: str, batch_size: int, backend: str, precision: str, cache_dir: Path | None) -> Embedder:
    if backend not in BACKENDS:
        raise UsageError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == "openvino" and openvino_available():
        return _openvino(model, batch_size, precision, cache_dir or Path("~/.cache/rag-news"))
    if backend == "openvino":
        log.warning("OpenVINO is not installed (pip install openvino tokenizers); embedding with torch")
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model, batch_size)


def embedder_for(settings: "Settings", ingest: bool = False) -> Embedder:
    """The embedder ``settings`` ask for: for ingest at ``embed_precision``, for questions at fp32."""
    return load_embedder(settings.model, settings.embed_batch, settings.embed_backend,
                         settings.embed_precision if ingest else "fp32", settings.model_cache_dir)


def openvino_available() -> bool:
    """Whether the OpenVINO backend can run (its package and `tokenizers` are importable)."""
    return _importable("openvino") and _importable("tokenizers")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _openvino(model: str, batch_size: int, precision: str, cache_dir: Path) -> Embedder:
    from embeddings.convert import converted, max_tokens
    from embeddings.openvino_embedder import OpenVINOEmbedder, fastest_precision
    from embeddings.sentence_transformer import model_path

    if precision == "auto":  # bf16 with AMX; int8 with VNNI where NNCF (the optional `fast` extra) can make it
        precision = fastest_precision(_importable("nncf"))
    if precision not in ("fp32", "bf16", "int8"):
        raise UsageError(f"unknown model precision {precision!r}; use fp32, bf16, int8 or auto")
    if precision == "int8" and not _importable("nncf"):
        log.warning("NNCF is not installed (pip install nncf), so no int8 model can be made; embedding at fp32")
        precision = "fp32"
    source = model_path(model)
    folder = converted(source, model, "int8" if precision == "int8" else "fp32", cache_dir)
    return OpenVINOEmbedder(folder, model, precision, max_tokens(source), batch_size)
