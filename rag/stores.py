"""The two searchable stores behind the index: dense vectors in FAISS and BM25 over stemmed words.

Both answer ``search(query, k, allowed)`` with (row, score) pairs, best first; ``allowed`` is an optional
boolean mask over rows that restricts the search (filters by dispute, publisher, date).

>>> store = DenseStore(np.eye(3, dtype=np.float32))
>>> store.search(np.array([0, 1, 0], dtype=np.float32), k=1)
[(1, 1.0)]
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np


class Store(Protocol):
    def search(self, query, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...


class DenseStore:
    """Exact inner-product search over unit vectors (cosine similarity)."""

    def __init__(self, vectors: np.ndarray):
        import faiss

        self.vectors = vectors
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        import faiss

        params = None
        if allowed is not None:
            rows = np.flatnonzero(allowed).astype(np.int64)
            if not len(rows):
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        k = min(k, self._index.ntotal)
        if k <= 0:
            return []
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


_WORD = re.compile(r"(?u)\b\w+\b")
_STOPWORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i if in into is it its of on or our she "
    "so than that the their them then there these they this those to was we were what when where which who "
    "whom why will with would you your did do does how".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased, stemmed content words, the unit of lexical matching everywhere in the pipeline.

    >>> words("The doctors were striking")
    ['doctor', 'strike']
    """
    tokens = [t for t in _WORD.findall(text.lower()) if t not in _STOPWORDS]
    return _stemmer().stemWords(tokens)


class LexicalStore:
    """BM25 (bm25s) over the stemmed words of each passage."""

    def __init__(self, model):
        self._model = model
        self.vocabulary = frozenset(model.vocab_dict) if model is not None else frozenset()

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalStore":
        bm25s = _bm25s()
        model = bm25s.BM25()
        model.index(bm25s.tokenization.Tokenized(*_vocab_ids([words(t) for t in texts])), show_progress=False)
        return cls(model)

    @classmethod
    def load(cls, folder: Path) -> "LexicalStore":
        return cls(_bm25s().BM25.load(str(folder), show_progress=False, verbosity=0))

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @property
    def size(self) -> int:
        return int(self._model.scores["num_docs"]) if self._model is not None else 0

    def doc_freq(self, word: str) -> int:
        """How many passages contain ``word`` (a stemmed word from ``words``)."""
        column = self._model.vocab_dict.get(word)
        if column is None:
            return 0
        indptr = self._model.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        terms = [t for t in words(query) if t in self.vocabulary]
        n_docs = self._model.scores["num_docs"]
        if not terms or n_docs == 0:
            return []
        scores = self._model.get_scores(terms)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, n_docs)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


def _vocab_ids(docs: list[list[str]]) -> tuple[list[list[int]], dict[str, int]]:
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(w, len(vocab)) for w in doc] for doc in docs]
    return ids, vocab
