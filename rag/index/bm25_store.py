"""The bm25s lexical store: BM25 over the stemmed words of each passage, by chunk id, filters as row masks.

Files in an index version: ``bm25/`` (what bm25s writes) and ``bm25/rows.json`` (the rows' chunk ids and filter
metadata, see rag/index/rows.py). bm25s cannot change an index, so the store is built from all passages.

bm25s is imported only to build and save: importing it (and the scipy it imports) costs a question ~0.4 s, so
an opened store reads bm25s's files itself and scores a question as bm25s does, by summing the precomputed
per-word columns of its matrix (``Bm25Matrix.scores``).

>>> store = Bm25Store.build([Record("a#0", "a"), Record("b#0", "b")], ["Doctors walk-out.", "Pay talks."])
>>> store.search("walkout", k=5)  # doctest: +ELLIPSIS
[('a#0', 0.24...)]
>>> store.doc_freq("pay"), store.size
(1, 2)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index import storage
from rag.index.lexical_store import searched_words
from rag.index.rows import Rows
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings
from rag.text.words import words


@dataclass(frozen=True)
class Bm25Matrix:
    """bm25s's index: each word's BM25 score in every passage holding it, a sparse matrix by columns (CSC)."""

    data: np.ndarray  # float32 scores, column by column
    indices: np.ndarray  # the passage (row) of each score
    indptr: np.ndarray  # column w's scores are data[indptr[w]:indptr[w + 1]]
    vocab: dict[str, int]  # word -> column
    num_docs: int

    def scores(self, columns: Sequence[int]) -> np.ndarray:
        """Each passage's BM25 score for the words ``columns`` (repeats count again), summed in bm25s's order
        and precision (``BM25._compute_relevance_from_scores``), so the scores equal bm25s's own.

        >>> m = Bm25Matrix(np.array([1.0, 2.0, 0.5], np.float32), np.array([0, 1, 1]), np.array([0, 2, 3]), {}, 3)
        >>> m.scores([0, 1]).tolist()
        [1.0, 2.5, 0.0]
        """
        out = np.zeros(self.num_docs, dtype=self.data.dtype)
        for column in columns:
            start, end = self.indptr[column], self.indptr[column + 1]
            np.add.at(out, self.indices[start:end], self.data[start:end])
        return out


class Bm25Store:
    """BM25 (bm25s) over the stemmed words of each passage."""

    def __init__(self, matrix: Bm25Matrix | None, rows: Rows):
        self._matrix = matrix  # None for no passages: bm25s cannot index an empty corpus
        self._rows = rows
        self.vocabulary = frozenset(matrix.vocab) if matrix is not None else frozenset()

    @classmethod
    def build(cls, records: Sequence[Record], texts: Sequence[str], settings: Settings | None = None) -> Bm25Store:
        """All passages at once (bm25s takes no settings)."""
        if len(records) != len(texts):
            raise ValueError(f"{len(records)} records for {len(texts)} texts")
        if not records:
            return cls(None, Rows.of([]))
        bm25s = _bm25s()
        model = bm25s.BM25()
        model.index(bm25s.tokenization.Tokenized(*_vocab_ids([words(t) for t in texts])), show_progress=False)
        scores = model.scores
        matrix = Bm25Matrix(scores["data"], scores["indices"], scores["indptr"], model.vocab_dict,
                            int(scores["num_docs"]))
        return cls(matrix, Rows.of(records))

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> Bm25Store:
        rows = Rows.from_json((folder / "bm25" / "rows.json").read_bytes())
        if not len(rows):
            return cls(None, rows)
        files = folder / "bm25"
        params = json.loads((files / "params.index.json").read_text(encoding="utf-8"))
        data, indices, indptr = (np.load(files / f"{name}.csc.index.npy") for name in ("data", "indices", "indptr"))
        vocab = json.loads((files / "vocab.index.json").read_text(encoding="utf-8"))
        matrix = Bm25Matrix(data, indices, indptr, vocab, int(params["num_docs"]))
        if len(rows) != matrix.num_docs:
            raise ValueError(f"{matrix.num_docs} BM25 documents for {len(rows)} rows")
        return cls(matrix, rows)

    def save(self, folder: Path) -> None:
        (folder / "bm25").mkdir(exist_ok=True)
        if self._matrix is not None:  # bm25s writes these files itself, from the matrix set as `BM25.load` sets it
            model = _bm25s().BM25()  # the default parameters, which `build` used
            model.scores = {"data": self._matrix.data, "indices": self._matrix.indices,
                            "indptr": self._matrix.indptr, "num_docs": self._matrix.num_docs}
            model.vocab_dict = self._matrix.vocab
            model.nonoccurrence_array = None  # lucene BM25 has no score for words a passage lacks
            model.save(str(folder / "bm25"), show_progress=False)
        storage.write_bytes(folder / "bm25" / "rows.json", self._rows.to_json())
        storage.settle(folder / "bm25")

    @property
    def size(self) -> int:
        return len(self._rows)

    def doc_freq(self, word: str) -> int:
        column = self._matrix.vocab.get(word) if self._matrix is not None else None
        if self._matrix is None or column is None:
            return 0
        indptr = self._matrix.indptr
        return int(indptr[column + 1] - indptr[column])

    def search(self, text: str, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        terms = searched_words(text, self.vocabulary.__contains__)
        if not terms or self._matrix is None or k <= 0:
            return []
        scores = self._matrix.scores([self._matrix.vocab[t] for t in terms])
        if where:
            scores = np.where(self._rows.mask(where), scores, 0.0)
        k = min(k, self.size)
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
