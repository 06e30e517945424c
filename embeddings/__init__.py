"""The embedding model behind a small Protocol, so another model or backend can stand in.

>>> embedder = load_embedder("all-MiniLM-L6-v2")  # doctest: +SKIP
>>> embedder.embed(["junior doctors strike"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np


class Embedder(Protocol):
    name: str  # model id recorded in the index manifest
    dimension: int

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; ``progress`` is told how many texts are done."""
        ...


def load_embedder(model: str, batch_size: int = 16) -> Embedder:
    """Load a sentence-transformers model by name or local path (the packaged MiniLM by default)."""
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model, batch_size)
