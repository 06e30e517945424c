"""The lexical store seam: passages searched by their words (BM25), with the same filters as the vector store.

Rows are passages by chunk id, each with the ``Record`` filters use (see rag/index/vector_store.py). Words
are the stemmed words of ``rag.text.words.words``; a store built from texts indexes those and searches with
the same function, so "walk-out" also matches "walkout".

>>> from rag.index.bm25_store import Bm25Store
>>> store = Bm25Store.build([Record("a#0", "a"), Record("b#0", "b")], ["Doctors walk-out.", "Pay talks."])
>>> store.search("walkout", k=5)  # doctest: +ELLIPSIS
[('a#0', ...)]
>>> store.doc_freq("walkout"), store.size
(1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rag.index.vector_store import Record, StoreFilter

if TYPE_CHECKING:
    from rag.settings import Settings


class LexicalStore(Protocol):
    """BM25-style search over passage texts, by chunk id."""

    @property
    def size(self) -> int:
        """How many passages are indexed."""
        ...

    def doc_freq(self, word: str) -> int:
        """How many passages contain ``word`` (a stemmed word from ``rag.text.words.words``); 0 if none."""
        ...

    def search(self, text: str, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        """At most ``k`` (id, score) pairs among the rows ``where`` admits, best first, only passages sharing
        a word with ``text`` (score > 0). Scores rank; their scale is the store's own (never threshold them)."""
        ...

    def save(self, folder: Path) -> None:
        """Persist into the index version folder being written, so ``open(folder, settings)`` gives the
        same store."""
        ...


class LexicalStoreKind(Protocol):
    """How to make a lexical store (implemented by its class): built from all passages, or opened."""

    def build(self, records: Sequence[Record], texts: Sequence[str]) -> LexicalStore: ...

    def open(self, folder: Path, settings: Settings) -> LexicalStore: ...


def lexical_store_kind(settings: Settings) -> LexicalStoreKind:
    """The implementation the settings choose (bm25s is the only one so far)."""
    from rag.index.bm25_store import Bm25Store

    return Bm25Store

