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

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rag.index.vector_store import Record, StoreFilter
from rag.text.words import derived, words

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


@runtime_checkable
class UpdatableLexicalStore(LexicalStore, Protocol):
    """A lexical store that changes in place (Milvus): an ingest sends it only the passages that changed."""

    def upsert(self, records: Sequence[Record], texts: Sequence[str]) -> None:
        """Store ``texts[i]`` with ``records[i]``; a row with the same id is replaced. Ids are distinct."""
        ...

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the rows with these ids; unknown ids are ignored."""
        ...


class LexicalStoreKind(Protocol):
    """How to make a lexical store (implemented by its class): built from all passages, or opened."""

    def build(self, records: Sequence[Record], texts: Sequence[str], settings: Settings) -> LexicalStore: ...

    def open(self, folder: Path, settings: Settings) -> LexicalStore: ...


def searched_words(text: str, held: Callable[[str], bool]) -> list[str]:
    """The stemmed words a store searches for ``text``: each word some passage holds (``held``), and for one that
    none holds, the words derived from it, or it from them, that passages hold.

    >>> searched_words("safety talks", {"safe", "talk"}.__contains__)  # "safety" is "safeti", "safe" is "safe"
    ['safe', 'talk']
    """
    return [found for word in words(text) for found in ([word] if held(word) else sorted(filter(held, derived(word))))]


def open_lexical_store(folder: Path, settings: Settings) -> LexicalStore:
    """The lexical store the index version in ``folder`` was written with: an index written with bm25s keeps it
    (Milvus before BM25 functions, or before this store existed) until an ingest writes passages again."""
    if settings.vector_store == "milvus" and not (folder / "bm25").is_dir():
        from rag.index.milvus_lexical_store import MilvusLexicalStore

        return MilvusLexicalStore.open(folder, settings)
    from rag.index.bm25_store import Bm25Store

    return Bm25Store.open(folder, settings)


def lexical_store_kind(settings: Settings) -> LexicalStoreKind:
    """Milvus's own BM25 where the vectors are in a Milvus that has BM25 functions (2.5 and later, Milvus Lite
    included), else bm25s in-process (the 2.3 server; FAISS, which never imports pymilvus)."""
    if settings.vector_store == "milvus":
        from rag.index.milvus_lexical_store import MilvusLexicalStore, supports_bm25

        if supports_bm25(settings):
            return MilvusLexicalStore
    from rag.index.bm25_store import Bm25Store

    return Bm25Store

