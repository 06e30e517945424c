"""Sentence vectors, computed at ingest so the answerer never runs the model on a request path.

Every sentence of every passage is embedded once and stored, ordered by article and start offset; the
answerer looks its candidates up by (article id, span) with a binary search inside the article's rows.
Vectors are kept as float16 (half the memory and disk; cosines move by under 1e-3).

>>> spans = sentence_table([Chunk("a#0", "a", "One two. Three four.", 0, 20, ((0, 8), (9, 20)))], ["a"])
>>> spans.tolist()
[[0, 0, 8], [0, 9, 20]]
>>> store = SentenceStore(np.eye(2, dtype=np.float16), spans, ["a"])
>>> [v if v is None else v.tolist() for v in store.lookup("a", [(9, 20), (5, 6)])]
[[0.0, 1.0], None]
"""

from __future__ import annotations

import hashlib
from typing import Mapping, Sequence

import numpy as np

from rag.types import Article, Chunk


def sentence_table(chunks: Sequence[Chunk], article_ids: Sequence[str]) -> np.ndarray:
    """Distinct sentence spans of ``chunks`` as rows (article ordinal, start, end), sorted."""
    ordinal = {a: n for n, a in enumerate(article_ids)}
    rows = {(ordinal[c.article_id], s, e) for c in chunks for s, e in c.sentences}
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)


def sentence_key(model: str, text: str) -> str:
    """Cache key of a sentence's vector: the model and the exact text."""
    return hashlib.sha256(f"{model}\0sentence\0{text}".encode()).hexdigest()[:32]


def sentence_texts(table: np.ndarray, articles: Mapping[str, Article], article_ids: Sequence[str]) -> list[str]:
    return [articles[article_ids[a]].text[s:e] for a, s, e in table.tolist()]


class SentenceStore:
    def __init__(self, vectors: np.ndarray, table: np.ndarray, article_ids: Sequence[str]):
        self.vectors = vectors
        self.table = table
        self.article_ids = list(article_ids)
        ordinals = table[:, 0] if len(table) else np.zeros(0, dtype=np.int64)
        # Rows of article n are bounds[n]:bounds[n + 1], sorted by start offset.
        self.bounds = np.searchsorted(ordinals, np.arange(len(self.article_ids) + 1))
        self.ordinal = {a: n for n, a in enumerate(self.article_ids)}

    def __len__(self) -> int:
        return len(self.table)

    def rows(self, article_id: str, spans: Sequence[tuple[int, int]]) -> list[int | None]:
        """The row of each span of ``article_id``, or None for a span not in the store."""
        n = self.ordinal.get(article_id)
        if n is None:
            return [None] * len(spans)
        lo, hi = int(self.bounds[n]), int(self.bounds[n + 1])
        found = lo + np.searchsorted(self.table[lo:hi, 1], [start for start, _ in spans])
        return [int(i) if i < hi and self.table[i, 1] == start and self.table[i, 2] == end else None
                for i, (start, end) in zip(found, spans)]

    def lookup(self, article_id: str, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
        """The float32 vector of each span of ``article_id``, or None for a span not in the store."""
        return [None if i is None else self.vectors[i].astype(np.float32) for i in self.rows(article_id, spans)]

    def best_cosine(self, chunk: Chunk, vector: np.ndarray) -> float:
        """How well the passage's best-matching sentence matches ``vector`` (0 when none is stored)."""
        rows = [i for i in self.rows(chunk.article_id, chunk.sentences) if i is not None]
        return float(np.max(self.vectors[rows].astype(np.float32) @ vector)) if rows else 0.0
