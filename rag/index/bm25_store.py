"""BM25 (bm25s) over the stemmed words of each passage.

``search(text, k, allowed)`` returns (row, score) pairs, best first, like the vector store.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from rag.text.words import words


class Bm25Store:
    """BM25 (bm25s) over the stemmed words of each passage."""

    def __init__(self, model):
        self._model = model
        self.vocabulary = frozenset(model.vocab_dict) if model is not None else frozenset()

    @classmethod
    def build(cls, texts: list[str]) -> "Bm25Store":
        bm25s = _bm25s()
        model = bm25s.BM25()
        model.index(bm25s.tokenization.Tokenized(*_vocab_ids([words(t) for t in texts])), show_progress=False)
        return cls(model)

    @classmethod
    def load(cls, folder: Path) -> "Bm25Store":
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
