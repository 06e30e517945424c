"""The vector store seam: passage vectors kept by chunk id, searched by inner product, with filters pushed in.

Every stored row is one passage: its chunk id (``"article#3"``), its unit vector, and a ``Record`` of the
metadata filters use. A search takes a ``StoreFilter`` and returns (chunk id, inner product) pairs, best
first; each implementation turns the filter into its own mechanism (FAISS: a row mask / IDSelector; a
database: a filter expression). ``admits`` is the reference meaning of a filter that every store must match
(tests/test_store_contract.py checks each implementation against it).

>>> record = Record("a#0", "a", publisher="BBC", date="2016-02", facets=(("dispute", "2016 contract"),))
>>> admits(StoreFilter(date_from="2016-02-15", facets=(("dispute", frozenset({"2016 contract"})),)), record)
True
>>> admits(StoreFilter(publishers=frozenset({"Guardian"})), record)
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from rag.settings import Settings
    from rag.types import Article

# Sorts after every character of an ISO date (digits and "-"): ``date + LATEST`` is the last moment of the
# period a partial date names ("2016-02" + "~" comes after every day of February 2016).
LATEST = "~"


@dataclass(frozen=True)
class Record:
    """The metadata stored beside one vector: what filters look at. Empty strings mean "unknown".

    ``date`` is ISO and may be partial ("2016", "2016-02"); ``facets`` are (name, value) pairs, at most one
    per name, such as ("dispute", "2023 pay"). Every passage of an article carries the article's metadata.
    """

    id: str  # the chunk id, "<article id>#<n>"
    article_id: str
    publisher: str = ""
    date: str = ""
    facets: tuple[tuple[str, str], ...] = ()

    def facet(self, name: str) -> str:
        return dict(self.facets).get(name, "")


@dataclass(frozen=True)
class StoreFilter:
    """Which rows a search may return. Fields combine with AND; an empty field does not filter.

    - ``publishers``: the row's publisher is one of these.
    - ``date_from`` / ``date_to``: ISO dates, possibly partial, both inclusive. A row without a date is
      excluded as soon as either is set. A partial date stands for its whole period, and the row is admitted
      when its period overlaps the filter's: as plain string comparisons,
      ``row.date + LATEST >= date_from`` and ``row.date <= date_to + LATEST``
      (so "2016-02" passes date_from="2016-02-15", and "2016-02-20" passes date_to="2016-02").
    - ``facets``: (name, allowed values) pairs; the row's value of each named facet is one of the allowed
      values (a row without that facet is excluded). An empty set of values does not filter.
    - ``article_ids``: ``None`` does not filter; otherwise only rows of these articles (an empty set admits
      nothing).

    Filters are hashable, so a store may cache what it derives from one (the FAISS store keeps row masks).
    """

    publishers: frozenset[str] = frozenset()
    date_from: str | None = None
    date_to: str | None = None
    facets: tuple[tuple[str, frozenset[str]], ...] = ()
    article_ids: frozenset[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.publishers or self.date_from or self.date_to or any(v for _, v in self.facets)
                    or self.article_ids is not None)


def admits(where: StoreFilter | None, record: Record) -> bool:
    """Whether ``where`` lets a search return ``record``: the meaning every store implements."""
    if where is None:
        return True
    if where.article_ids is not None and record.article_id not in where.article_ids:
        return False
    if where.publishers and record.publisher not in where.publishers:
        return False
    if any(values and record.facet(name) not in values for name, values in where.facets):
        return False
    if (where.date_from or where.date_to) and not record.date:
        return False
    if where.date_from and record.date + LATEST < where.date_from:
        return False
    return not (where.date_to and record.date > where.date_to + LATEST)


def admits_article(where: StoreFilter | None, article: Article) -> bool:
    """Whether ``where`` lets a search return ``article``'s passages (the fields filters read are its own)."""
    return admits(where, Record(f"{article.id}#0", article.id, article.publisher or "", article.date or "",
                                article.facets))


class VectorStore(Protocol):
    """Unit vectors by chunk id, searched by inner product (cosine), with the metadata filters use.

    ``store.upsert([Record("a#0", "a")], np.eye(1, 384, dtype=np.float32))`` then
    ``store.search(query, k=5)`` gives ``[("a#0", 0.42)]``.
    """

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        ...

    def count(self) -> int:
        """How many rows are stored."""
        ...

    def upsert(self, records: Sequence[Record], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` (float32, shape (n, dimension)) with ``records[i]``; a row with the same id is
        replaced (vector and metadata). Ids within one call are distinct."""
        ...

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the rows with these ids; unknown ids are ignored."""
        ...

    def search(self, query: np.ndarray, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        """At most ``k`` (id, inner product) pairs among the rows ``where`` admits, best first.

        Fewer when fewer rows are admitted (``[]`` for an empty store, ``k <= 0`` or a filter admitting
        nothing). Exact stores return the exact top k; approximate ones return exact inner products of the
        candidates they find. The order among equal scores is not specified.
        """
        ...

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids``, in that order, as float32 of shape (len(ids), dimension).
        Raises ``KeyError`` for an id that is not stored."""
        ...

    def save(self, folder: Path) -> None:
        """Persist the store so that ``open(folder, settings)`` gives the same rows. ``folder`` is an index
        version being written (it exists, and is checksummed and switched to atomically afterwards); write
        plain files there, or, for a store that lives elsewhere, what names its data (e.g. a collection)."""
        ...


class VectorStoreKind(Protocol):
    """How to make a store (implemented by the store's class): a new empty one, or the one saved in a folder.

    >>> kind = vector_store_kind(settings)  # doctest: +SKIP
    >>> kind.open(version_folder, settings).count()  # doctest: +SKIP
    19
    """

    def create(self, dimension: int, settings: Settings) -> VectorStore: ...

    def open(self, folder: Path, settings: Settings) -> VectorStore: ...


def vector_store_kind(settings: Settings) -> VectorStoreKind:
    """The implementation ``settings.vector_store`` chooses: FAISS in-process, or Milvus (Lite or a server)."""
    if settings.vector_store == "milvus":
        from rag.index.milvus_store import MilvusStore

        return MilvusStore
    from rag.index.faiss_store import FaissStore

    return FaissStore
