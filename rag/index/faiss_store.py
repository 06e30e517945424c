"""Dense vectors searched by inner product (cosine on unit vectors) with FAISS.

``search(query, k, allowed)`` returns (row, score) pairs, best first; ``allowed`` is an optional boolean mask
over rows that restricts the search (filters by facet, publisher, date).

>>> store = DenseStore(np.eye(3, dtype=np.float32))
>>> store.search(np.array([0, 1, 0], dtype=np.float32), k=1)
[(1, 1.0)]
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class Store(Protocol):
    def search(self, query, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...


class DenseStore:
    """Inner-product search over unit vectors (cosine similarity): exact, or approximate for large indexes.

    Below ``exact_below`` passages the search is exact (a flat index); from there on an inverted-file index
    with 8-bit codes (IVF-SQ8, a quarter of the memory) proposes candidates, which are re-ranked by their
    exact cosine. ``vectors`` may be a read-only memory map: only the rows a search touches are read.
    """

    def __init__(self, vectors: np.ndarray, index=None, nprobe: int = 32):
        faiss = _faiss()
        self.vectors = vectors
        self.nprobe = nprobe
        self._index = index
        if index is None:
            self._index = faiss.IndexFlatIP(vectors.shape[1])
            if len(vectors):
                self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(cls, vectors: np.ndarray, exact_below: int, nprobe: int = 32) -> "DenseStore":
        """An exact store for fewer than ``exact_below`` vectors, else an IVF-SQ8 one (trained here)."""
        if len(vectors) < exact_below:
            return cls(vectors, nprobe=nprobe)
        faiss = _faiss()
        lists = int(2 * np.sqrt(len(vectors)))  # about 2 sqrt(n) lists, each of about sqrt(n) / 2 vectors
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], lists,
                                              faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 40 * lists), replace=False)
        index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
        for begin in range(0, len(vectors), 100_000):  # in slices: no second full copy in memory
            index.add(np.ascontiguousarray(vectors[begin : begin + 100_000], dtype=np.float32))
        return cls(vectors, index, nprobe)

    @classmethod
    def load(cls, path: Path, vectors: np.ndarray, nprobe: int = 32) -> "DenseStore":
        """The store saved at ``path`` (an approximate one), or an exact one over ``vectors`` if none is."""
        if not path.is_file():
            return cls(vectors, nprobe=nprobe)
        return cls(vectors, _faiss().read_index(str(path)), nprobe)

    @property
    def approximate(self) -> bool:
        return not isinstance(self._index, _faiss().IndexFlat)

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        # One query gains nothing from threads, and OpenMP threads left spinning after a search slow the
        # numpy work around it tenfold on a busy 2-core machine: search on this thread alone.
        faiss.omp_set_num_threads(1)
        try:
            return self._search(faiss, np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, allowed)
        finally:
            faiss.omp_set_num_threads(threads)

    def _search(self, faiss, query: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        k = min(k, self._index.ntotal)
        if k <= 0:
            return []
        params, bits = None, None
        if allowed is not None:
            count = int(np.count_nonzero(allowed))
            if not count:
                return []
            if self.approximate and count <= 20_000:  # few enough to score them all, exactly
                return _best(np.flatnonzero(allowed), self.vectors, query[0], k)
            bits = np.packbits(allowed, bitorder="little")  # FAISS reads bit i of byte i // 8
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
            params = faiss.SearchParameters(sel=selector)
        if self.approximate:
            # A filter leaves fewer vectors in each list: probe more lists to find as many.
            share = 1.0 if allowed is None else count / len(allowed)
            nprobe = min(self._index.nlist, int(np.ceil(self.nprobe / max(share, 1e-3))))
            params = faiss.SearchParametersIVF(sel=params.sel if params else None, nprobe=nprobe)
            _, ids = self._index.search(query, min(2 * k, self._index.ntotal), params=params)
            return _best(ids[0][ids[0] >= 0], self.vectors, query[0], k)
        scores, ids = self._index.search(query, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def _best(rows: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` of ``rows`` with the highest exact inner product with ``query``, best first."""
    rows = np.sort(rows)  # in file order: reads a memory map sequentially
    # einsum, not BLAS: a threaded matrix-vector product thrashes on a busy machine for no gain at this size.
    scores = np.einsum("ij,j->i", np.asarray(vectors[rows], dtype=np.float32), query)
    top = np.argsort(-scores, kind="stable")[:k]
    return [(int(rows[i]), float(scores[i])) for i in top]


def _faiss():
    import faiss

    return faiss
