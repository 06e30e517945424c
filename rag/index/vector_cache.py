"""Embed passages and sentences, reusing vectors computed before for the same text and model (content-hash cache).

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


def chunk_inputs(chunks: list[Chunk], articles: Mapping[str, Article], model: str) -> tuple[list[str], list[str]]:
    """What the model embeds for each chunk, and the cache key of each."""
    titles = [articles[c.article_id].title for c in chunks]
    return ([embed_input(t, c.text) for t, c in zip(titles, chunks)],
            [content_key(model, t, c.text) for t, c in zip(titles, chunks)])


def embed_cached(
    texts: list[str],
    keys: list[str],
    embedder: Callable[[], Embedder],
    dimension: int | None,
    cache: Mapping[str, np.ndarray],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[int]]:
    """Vectors for ``texts`` in order, and the positions that had to be computed (the rest came from ``cache``).

    ``embedder`` is a factory: the model is loaded only when some text is missing from ``cache``.
    """
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

        fresh = model_obj.embed([texts[i] for i in missing], tick)
    elif dimension is None:
        dimension = len(next(iter(cache.values()))) if cache else embedder().dimension
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in cache:
            vectors[i] = cache[key]
    if missing:
        vectors[missing] = fresh
    log.info("embedded %d of %d texts (%d from cache)", len(missing), len(texts), len(texts) - len(missing))
    return vectors, missing
