"""Hybrid retrieval: dense (the vector store) and lexical (BM25) rankings, and the candidates of both ranked again by
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

import numpy as np

from embeddings import Embedder
from rag.ask.question import dated, years_in
from rag.index.vector_store import StoreFilter
from rag.index.versions import Index
from rag.settings import Settings
from rag.text.dateline import month_of, months_named
from rag.types import Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some articles; empty fields do not filter.

    >>> Filters(disputes=("2023 pay",), date_to="2023-06").for_store()  # doctest: +NORMALIZE_WHITESPACE
    StoreFilter(publishers=frozenset(), date_from=None, date_to='2023-06',
                facets=(('dispute', frozenset({'2023 pay'})),), article_ids=None)
    """

    disputes: tuple[str, ...] = ()  # values of the "dispute" facet, as before facets were the corpus's own
    publishers: tuple[str, ...] = ()
    date_from: str | None = None  # ISO date, possibly partial, inclusive
    date_to: str | None = None  # ISO date, possibly partial, inclusive
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (facet name, values an article may have), any facet

    def for_store(self) -> StoreFilter:
        """The same restriction as the stores take it (facets are kept beside every stored passage)."""
        wanted: dict[str, set[str]] = {}
        for name, values in ((("dispute", self.disputes),) if self.disputes else ()) + self.facets:
            if values:
                wanted.setdefault(name, set()).update(values)
        facets = tuple((name, frozenset(values)) for name, values in wanted.items())
        return StoreFilter(frozenset(self.publishers), self.date_from, self.date_to, facets)

    def __bool__(self) -> bool:
        return bool(self.disputes or self.publishers or self.date_from or self.date_to
                    or any(values for _, values in self.facets))


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._chunks = {c.id: c for c in index.chunks}
        self._order = {c.id: n for n, c in enumerate(index.chunks)}  # breaks ties as the row order did

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
        where = filters.for_store() if filters else None
        # Two searches fused here, also where Milvus holds both (its `hybrid_search` with `RRFRanker` would be
        # one call): the fusion weighs its rankings (lexical_weight 2, dense_weight 1), adds a third over the
        # union of both candidate lists (sentences), and each hit keeps its BM25 score; RRFRanker has one k and
        # no weights, and returns one list.
        dense = self.index.dense.search(vector, s.candidates, where)
        lexical = self.index.lexical.search(query, s.candidates, where)
        sentences = self._by_sentence({r for r, _ in dense} | {r for r, _ in lexical}, vector)
        searched = time.perf_counter()
        fused = fuse([[r for r, _ in dense], [r for r, _ in lexical], sentences],
                     [s.dense_weight, s.lexical_weight, s.sentence_weight], s.rrf_k)
        fused = self._prefer_dated(fused, query)
        bm25 = dict(lexical)
        # The candidates' vectors, fetched once (the vectors of a large index are a memory map).
        # Dot products of single vectors only: a multi-threaded BLAS call here costs more than it saves.
        block = self.index.dense.fetch([i for i, _ in fused])
        hits: list[Hit] = []
        kept: list[int] = []
        for i, (chunk_id, score) in enumerate(fused):
            if any(float(block[i] @ block[j]) > s.dedupe_similarity for j in kept):
                continue
            kept.append(i)
            hits.append(Hit(self._chunks[chunk_id], score, float(block[i] @ vector), bm25.get(chunk_id)))
            if len(hits) == k:
                break
        if timings is not None:
            for stage, seconds in (("embed", embedded - started), ("search", searched - embedded),
                                   ("fuse", time.perf_counter() - searched)):
                timings[stage] = timings.get(stage, 0.0) + seconds
        return hits

    def _prefer_dated(self, fused: list[tuple[str, float]], query: str) -> list[tuple[str, float]]:
        """Passages from articles dated outside the years (or months) the question names, unless they name them
        themselves, keep only ``off_year_share`` of their score: "in 2023" asks about 2023's reports, "the March
        strike" about March's."""
        years, months = frozenset(years_in(query)), months_named(query)
        if not (years or months) or self.settings.off_year_share >= 1:
            return fused
        articles, chunks, share = self.index.articles, self._chunks, self.settings.off_year_share

        def about(chunk_id: str) -> bool:
            date, text = articles[chunks[chunk_id].article_id].date, chunks[chunk_id].text
            month = month_of(date) if months else None
            return ((not years or dated(date, text, years))
                    and (not month or month in months or bool(months_named(text) & months)))

        scored = [(i, score if about(i) else score * share) for i, score in fused]
        return sorted(scored, key=lambda item: -item[1])

    def _by_sentence(self, ids: set[str], vector: np.ndarray) -> list[str]:
        """The candidate passages ranked by their best sentence's cosine to the question."""
        if not self.settings.sentence_weight:
            return []
        best = {i: self.index.sentences.best_cosine(self._chunks[i], vector) for i in ids}
        return sorted(best, key=lambda i: (-best[i], self._order[i]))


def fuse(rankings: list[list[str]], weights: list[float], rrf_k: int) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of rankings (lists of chunk ids, best first).

    >>> fuse([["a#1", "a#2"], ["a#2", "b#0"]], [1.0, 1.0], 1)
    [('a#2', 0.8333333333333333), ('a#1', 0.5), ('b#0', 0.3333333333333333)]
    """
    scores: dict[str, float] = {}
    for weight, ranking in zip(weights, rankings):
        for rank, chunk_id in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
