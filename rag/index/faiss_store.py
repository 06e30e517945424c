"""The FAISS vector store: unit vectors by chunk id, inner-product search (cosine), filters as row masks.

Files in an index version: ``vectors.npy`` (float32, one row per passage, in row order), ``vector_rows.json``
(the rows' chunk ids and filter metadata, see rag/index/rows.py) and, for large indexes only, ``dense.faiss``
(the trained approximate index).

FAISS is imported only for a large index: below ``exact_below`` rows, scoring every row with numpy is as fast
for one question, and a question then does not pay FAISS's import (~0.07 s of a cold `rag ask`).

>>> store = FaissStore.create(3, Settings())
>>> store.upsert([Record("a#0", "a"), Record("b#0", "b", publisher="BBC")], np.eye(3, dtype=np.float32)[:2])
>>> store.search(np.array([0, 1, 0], dtype=np.float32), k=1)
[('b#0', 1.0)]
>>> store.search(np.array([0, 1, 0], dtype=np.float32), k=2, where=StoreFilter(publishers=frozenset({"Nobody"})))
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.index import storage
from rag.index.rows import Rows
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings

# Up to this many rows a filter admits, an approximate store scores them all exactly instead of probing.
_SCORE_ALL_BELOW = 20_000


class FaissStore:
    """Inner-product search over unit vectors: exact, or approximate for large stores.

    Below ``exact_below`` rows the search is exact (every row scored); from there on an inverted-file index with
    8-bit codes (IVF-SQ8, a quarter of the memory) proposes candidates, which are re-ranked by their exact
    cosine. The vectors of a large store are opened as a read-only memory map: only the rows a search touches
    are read. After ``upsert`` or ``delete`` an approximate store's FAISS index is retrained on the next search
    or save.
    """

    def __init__(self, rows: Rows, vectors: np.ndarray, exact_below: int, nprobe: int, index=None):
        self._rows = rows
        self._vectors = vectors
        self._exact_below = exact_below
        self.nprobe = nprobe
        self._index = index

    @classmethod
    def create(cls, dimension: int, settings: Settings) -> FaissStore:
        return cls(Rows.of([]), np.zeros((0, dimension), dtype=np.float32), settings.exact_below,
                   settings.ann_nprobe)

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> FaissStore:
        large = (folder / "dense.faiss").is_file()  # an approximate index: too big to hold twice in memory
        vectors = np.load(folder / "vectors.npy", mmap_mode="r" if large else None)
        rows = Rows.from_json((folder / "vector_rows.json").read_bytes())
        if len(rows) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors for {len(rows)} rows")
        index = _faiss().read_index(str(folder / "dense.faiss")) if large else None
        return cls(rows, vectors, settings.exact_below, settings.ann_nprobe, index)

    @property
    def dimension(self) -> int:
        return self._vectors.shape[1]

    @property
    def approximate(self) -> bool:
        return self._index is not None or len(self._vectors) >= self._exact_below

    def count(self) -> int:
        return len(self._rows)

    def upsert(self, records: Sequence[Record], vectors: np.ndarray) -> None:
        if len(records) != len(vectors) or vectors.shape[1:] != (self.dimension,):
            raise ValueError(f"{len(records)} records for vectors of shape {vectors.shape}, dimension {self.dimension}")
        empty = not len(self._rows)
        positions = self._rows.upsert(records)
        if empty:  # the common case, a store built whole: no second copy of the vectors
            self._vectors, self._index = np.asarray(vectors, dtype=np.float32), None
            return
        grown = np.zeros((len(self._rows), self.dimension), dtype=np.float32)
        grown[: len(self._vectors)] = self._vectors  # a new array: the store never writes into one it was given
        grown[positions] = vectors
        self._vectors, self._index = grown, None

    def delete(self, ids: Iterable[str]) -> None:
        keep = self._rows.delete(ids)
        if not keep.all():
            self._vectors, self._index = np.asarray(self._vectors[keep], dtype=np.float32), None

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        return np.asarray(self._vectors[self._rows.positions(ids)], dtype=np.float32).reshape(-1, self.dimension)

    def save(self, folder: Path) -> None:
        storage.write_npy(folder / "vectors.npy", np.asarray(self._vectors, dtype=np.float32))
        storage.write_bytes(folder / "vector_rows.json", self._rows.to_json())
        if self.approximate:  # an exact index is rebuilt from the vectors when opened; a trained one is kept
            _faiss().write_index(self._built(), str(folder / "dense.faiss"))
            storage.settle(folder / "dense.faiss")

    def search(self, query: np.ndarray, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        allowed = self._rows.mask(where) if where else None
        ids = self._rows.ids
        if not self.approximate:
            rows = np.flatnonzero(allowed) if allowed is not None else np.arange(len(self._vectors))
            found = _best(rows, self._vectors, np.asarray(query, dtype=np.float32).reshape(-1), max(k, 0))
            return [(ids[row], score) for row, score in found]
        faiss = _faiss()
        index = self._built()
        threads = faiss.omp_get_max_threads()
        # One query gains nothing from threads, and OpenMP threads left spinning after a search slow the
        # numpy work around it tenfold on a busy 2-core machine: search on this thread alone.
        faiss.omp_set_num_threads(1)
        try:
            found = _search(faiss, index, self._vectors, self.nprobe,
                            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, allowed)
        finally:
            faiss.omp_set_num_threads(threads)
        return [(ids[row], score) for row, score in found]

    def _built(self):
        """The approximate store's FAISS index over the current vectors, retrained after a change."""
        if self._index is None:
            self._index = _ivf(self._vectors)
        return self._index


def _search(faiss, index, vectors: np.ndarray, nprobe: int, query: np.ndarray, k: int,
            allowed: np.ndarray | None) -> list[tuple[int, float]]:
    """(row, score) pairs, best first, from the approximate ``index``: its candidates re-ranked exactly."""
    k = min(k, index.ntotal)
    if k <= 0:
        return []
    selector, share = None, 1.0
    if allowed is not None:
        count = int(np.count_nonzero(allowed))
        if count <= _SCORE_ALL_BELOW:  # few enough to score them all, exactly
            return _best(np.flatnonzero(allowed), vectors, query[0], k)
        bits = np.packbits(allowed, bitorder="little")  # FAISS reads bit i of byte i // 8
        selector, share = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits)), count / len(allowed)
    # A filter leaves fewer vectors in each list: probe more lists to find as many.
    probes = min(index.nlist, int(np.ceil(nprobe / max(share, 1e-3))))
    params = faiss.SearchParametersIVF(sel=selector, nprobe=probes)
    _, ids = index.search(query, min(2 * k, index.ntotal), params=params)
    return _best(ids[0][ids[0] >= 0], vectors, query[0], k)


def _ivf(vectors: np.ndarray):
    """An IVF-SQ8 index trained on a sample of ``vectors``, holding them all."""
    faiss = _faiss()
    lists = int(2 * np.sqrt(len(vectors)))  # about 2 sqrt(n) lists, each of about sqrt(n) / 2 vectors
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], lists,
                                          faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 40 * lists), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    for begin in range(0, len(vectors), 100_000):  # in slices: no second full copy in memory
        index.add(np.ascontiguousarray(vectors[begin : begin + 100_000], dtype=np.float32))
    return index


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
