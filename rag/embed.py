"""Embed chunks, reusing vectors already computed for the same text by the same model (content-hash cache).

>>> key = content_key("all-MiniLM-L6-v2", "Title", "Passage text.")
>>> len(key)
32
"""

from __future__ import annotations

import hashlib
import logging
from typing import Callable, Mapping

import numpy as np

from embeddings import Embedder
from rag.types import Article, Chunk

log = logging.getLogger(__name__)


def embed_input(title: str, text: str) -> str:
    """What the model sees for a passage: the article title gives short passages their context."""
    return f"{title}\n\n{text}"


def content_key(model: str, title: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{embed_input(title, text)}".encode()).hexdigest()[:32]


def embed_chunks(
    chunks: list[Chunk],
    articles: Mapping[str, Article],
    embedder: Callable[[], Embedder],
    model: str,
    dimension: int | None,
    cache: Mapping[str, np.ndarray],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[str], int]:
    """Vectors for ``chunks`` in order, their content keys, and how many had to be computed.

    ``embedder`` is a factory: the model is loaded only when some chunk is missing from ``cache``.
    """
    keys = [content_key(model, articles[c.article_id].title, c.text) for c in chunks]
    missing = [i for i, k in enumerate(keys) if k not in cache]
    if missing:
        model_obj = embedder()
        dimension = model_obj.dimension
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(missing))

        fresh = model_obj.embed([embed_input(articles[chunks[i].article_id].title, chunks[i].text)
                                 for i in missing], tick)
    elif dimension is None:
        dimension = len(next(iter(cache.values()))) if cache else embedder().dimension
    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in cache:
            vectors[i] = cache[key]
    if missing:
        vectors[missing] = fresh
    log.info("embedded %d of %d chunks (%d from cache)", len(missing), len(chunks), len(chunks) - len(missing))
    return vectors, keys, len(missing)
