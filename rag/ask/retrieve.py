"""Hybrid retrieval: dense (FAISS) and lexical (BM25) rankings, and the candidates of both ranked again by
their best-matching sentence, fused by weighted reciprocal rank; filters applied inside both searches;
near-duplicate passages collapsed.

The sentence ranking helps where a passage holds the answer in one sentence among others about something
else: the passage vector blurs it, the sentence vector does not (SQuAD hit@1 0.80 -> 0.88, see README).

>>> retriever = Retriever(load_index(settings), embedder, settings)  # doctest: +SKIP
>>> [h.chunk.article_id for h in retriever.search("Who is the health secretary?")][:2]  # doctest: +SKIP
['004_793f16cd026eeeb3', '000_f7e38b6d1dd121ab']
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from embeddings import Embedder
from rag.index.versions import Index
from rag.ask.question import dated, years_in
from rag.settings import Settings
from rag.types import Article, Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some articles; empty fields do not filter."""

    disputes: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive

    def admits(self, article: Article) -> bool:
        if self.disputes and article.dispute not in self.disputes:
            return False
        if self.publishers and article.publisher not in self.publishers:
            return False
        if (self.date_from or self.date_to) and not article.date:
            return False
        if self.date_from and article.date < self.date_from[: len(article.date)]:
            return False
        return not (self.date_to and article.date[: len(self.date_to)] > self.date_to)

    def __bool__(self) -> bool:
        return bool(self.disputes or self.publishers or self.date_from or self.date_to)


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._masks: dict[Filters, np.ndarray] = {}

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               vector: np.ndarray | None = None, timings: dict[str, float] | None = None) -> list[Hit]:
        """The ``k`` best distinct passages for ``query``, best first.

        ``timings``, when given, gets the seconds spent in each stage ("embed", "search", "fuse") added
        to it, so a caller can time several searches (a two-part question makes three) together.
        """
        s = self.settings
        k = k or s.top_k
        started = time.perf_counter()
        vector = self.embed_query(query) if vector is None else vector
        embedded = time.perf_counter()
        allowed = self._mask(filters) if filters else None
        dense = self.index.dense.search(vector, s.candidates, allowed)
        lexical = self.index.lexical.search(query, s.candidates, allowed)
        sentences = self._by_sentence({r for r, _ in dense} | {r for r, _ in lexical}, vector)
        searched = time.perf_counter()
        fused = fuse([[r for r, _ in dense], [r for r, _ in lexical], sentences],
                     [s.dense_weight, s.lexical_weight, s.sentence_weight], s.rrf_k)
        fused = self._prefer_years(fused, query)
        bm25 = dict(lexical)
        # The candidates' vectors, read once (the vectors of a large index are a memory map).
        # Dot products of single vectors only: a multi-threaded BLAS call here costs more than it saves.
        block = np.asarray(self.index.dense.vectors[np.array([r for r, _ in fused], dtype=np.int64)],
                           dtype=np.float32)
        hits: list[Hit] = []
        kept: list[int] = []
        for i, (row, score) in enumerate(fused):
            if any(float(block[i] @ block[j]) > s.dedupe_similarity for j in kept):
                continue
            kept.append(i)
            hits.append(Hit(self.index.chunks[row], score, float(block[i] @ vector), bm25.get(row)))
            if len(hits) == k:
                break
        if timings is not None:
            for stage, seconds in (("embed", embedded - started), ("search", searched - embedded),
                                   ("fuse", time.perf_counter() - searched)):
                timings[stage] = timings.get(stage, 0.0) + seconds
        return hits

    def _prefer_years(self, fused: list[tuple[int, float]], query: str) -> list[tuple[int, float]]:
        """Passages from articles dated outside the years the question names, unless they name the year
        themselves, keep only ``off_year_share`` of their score: "in 2023" asks about 2023's reports."""
        years = frozenset(years_in(query))
        if not years or self.settings.off_year_share >= 1:
            return fused
        articles, chunks, share = self.index.articles, self.index.chunks, self.settings.off_year_share
        scored = [(row, score if dated(articles[chunks[row].article_id].date, chunks[row].text, years)
                   else score * share) for row, score in fused]
        return sorted(scored, key=lambda item: -item[1])

    def _by_sentence(self, rows: set[int], vector: np.ndarray) -> list[int]:
        """The candidate passages ranked by their best sentence's cosine to the question."""
        if not self.settings.sentence_weight:
            return []
        best = {row: self.index.sentences.best_cosine(self.index.chunks[row], vector) for row in rows}
        return sorted(best, key=lambda row: (-best[row], row))

    def _mask(self, filters: Filters) -> np.ndarray:
        """Rows the filters admit; the last few masks are kept (a chat session repeats its filters)."""
        mask = self._masks.pop(filters, None)
        if mask is None:
            admitted = np.array([filters.admits(a) for a in self.index.articles.values()] + [False])
            mask = admitted[self._article_of_row]
        self._masks[filters] = mask  # most recently used last
        while len(self._masks) > 8:
            self._masks.pop(next(iter(self._masks)))
        return mask

    @cached_property
    def _article_of_row(self) -> np.ndarray:
        """Position of each row's article in ``index.articles``, computed once: masks by array lookup."""
        position = {aid: i for i, aid in enumerate(self.index.articles)}
        missing = len(position)  # a chunk of an unknown article is never admitted
        return np.fromiter((position.get(c.article_id, missing) for c in self.index.chunks), dtype=np.int64,
                           count=len(self.index.chunks))


def fuse(rankings: list[list[int]], weights: list[float], rrf_k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of rankings (lists of rows, best first).

    >>> fuse([[1, 2], [2, 3]], [1.0, 1.0], 1)
    [(2, 0.8333333333333333), (1, 0.5), (3, 0.3333333333333333)]
    """
    scores: dict[int, float] = {}
    for weight, ranking in zip(weights, rankings):
        for rank, row in enumerate(ranking, 1):
            scores[row] = scores.get(row, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
