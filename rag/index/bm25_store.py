"""The bm25s lexical store: BM25 over the stemmed words of each passage, by chunk id, filters as row masks.

Files in an index version: ``bm25/`` (what bm25s writes) and ``bm25/rows.json`` (the rows' chunk ids and filter
metadata, see rag/index/rows.py). bm25s cannot change an index, so the store is built from all passages.

>>> store = Bm25Store.build([Record("a#0", "a"), Record("b#0", "b")], ["Doctors walk-out.", "Pay talks."])
>>> store.search("walkout", k=5)  # doctest: +ELLIPSIS
[('a#0', 0.24...)]
>>> store.doc_freq("pay"), store.size
(1, 2)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.index import storage
from rag.index.rows import Rows
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings
from rag.text.words import words


class Bm25Store:
    """BM25 (bm25s) over the stemmed words of each passage."""

    def __init__(self, model, rows: Rows):
        self._model = model  # None for no passages: bm25s cannot index an empty corpus
        self._rows = rows
        self.vocabulary = frozenset(model.vocab_dict) if model is not None else frozenset()

    @classmethod
    def build(cls, records: Sequence[Record], texts: Sequence[str]) -> Bm25Store:
        if len(records) != len(texts):
            raise ValueError(f"{len(records)} records for {len(texts)} texts")
        if not records:
            return cls(None, Rows.of([]))
        bm25s = _bm25s()
        model = bm25s.BM25()
        model.index(bm25s.tokenization.Tokenized(*_vocab_ids([words(t) for t in texts])), show_progress=False)
        return cls(model, Rows.of(records))

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> Bm25Store:
        rows = Rows.from_json((folder / "bm25" / "rows.json").read_bytes())
        if not len(rows):
            return cls(None, rows)
        model = _bm25s().BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        if len(rows) != int(model.scores["num_docs"]):
            raise ValueError(f"{model.scores['num_docs']} BM25 documents for {len(rows)} rows")
        return cls(model, rows)

    def save(self, folder: Path) -> None:
        (folder / "bm25").mkdir(exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder / "bm25"), show_progress=False)  # bm25s writes these files itself
        storage.write_bytes(folder / "bm25" / "rows.json", self._rows.to_json())
        storage.settle(folder / "bm25")

    @property
    def size(self) -> int:
        return len(self._rows)

    def doc_freq(self, word: str) -> int:
        column = self._model.vocab_dict.get(word) if self._model is not None else None
        if column is None:
            return 0
        indptr = self._model.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def search(self, text: str, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        terms = [t for t in words(text) if t in self.vocabulary]
        n_docs = self.size
        if not terms or n_docs == 0 or k <= 0:
            return []
        scores = self._model.get_scores(terms)
        if where:
            scores = np.where(self._rows.mask(where), scores, 0.0)
        k = min(k, n_docs)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        ids = self._rows.ids
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


def _vocab_ids(docs: list[list[str]]) -> tuple[list[list[int]], dict[str, int]]:
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(w, len(vocab)) for w in doc] for doc in docs]
    return ids, vocab
