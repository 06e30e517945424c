"""The lexical store in Milvus: Milvus's own BM25 function over the stemmed words of each passage, filters pushed
down as filter expressions, index versions kept as generations (rag/index/milvus_generations.py) in a
collection of its own, whose alias is ``milvus_collection`` + ``_bm25``.

Milvus is given the words of ``rag.text.words.words`` joined by spaces, not the raw text, and the question goes
through the same function: "walk-out" matches "walkout" and "striking" matches "strike" as with bm25s, and
stop words stay out. Milvus's standard tokenizer splits at "_", which ``\\w`` words may hold, so it is dropped
from every word.

``doc_freq`` (the extractive answerer asks it for every question word) reads a word -> passage count table the
store keeps beside its generation: ``milvus_bm25_words.json`` in the version folder, updated by every upsert
and delete from the texts added and the stored texts replaced. A ``TEXT_MATCH`` count query per word gave the
same counts at ~6 ms a word on Lite (shared 2-core machine), ~50 ms a question; the table costs a lookup.

BM25 scores are ranks only: their sign differs between Milvus versions (Milvus Lite 3.2 negates them, best
first still), so a hit's score is the magnitude. Milvus counts every row of the collection in its BM25
statistics, including rows of the version being replaced, so scores differ slightly from bm25s's.

BM25 functions came with Milvus 2.5 (and Milvus Lite 2.5); ``supports_bm25`` asks the server its version once.

>>> store = MilvusLexicalStore.build([Record("a#0", "a")], ["Doctors walk-out."], settings)  # doctest: +SKIP
>>> store.search("walkout", k=5), store.doc_freq("doctor")  # doctest: +SKIP
([('a#0', 0.28...)], 1)
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from rag.errors import IndexProblem
from rag.index import storage
from rag.index.lexical_store import searched_words
from rag.index.milvus_filter import expression
from rag.index.milvus_generations import BATCH, Generations, add_record_fields, connect_to, milvus_uri, \
    record_fields
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings
from rag.text.words import words

log = logging.getLogger(__name__)

_MAX_TEXT = 65_535  # bytes: the longest VARCHAR Milvus takes
WORDS = "milvus_bm25_words.json"  # in a version folder: how many of its passages hold each word


class MilvusLexicalStore(Generations):
    """BM25 (Milvus's function) over the stemmed words of each passage."""

    SAVED = "milvus_bm25.json"
    ALIAS_SUFFIX = "_bm25"

    def __init__(self, client, settings: Settings, collection: str, generation: int, freqs: Counter[str]):
        super().__init__(client, settings, collection, generation)
        self._size: int | None = None  # the row count, once asked (a reader's version never changes)
        self._freqs = freqs  # word -> passages holding it, at ``generation``

    @classmethod
    def build(cls, records: Sequence[Record], texts: Sequence[str], settings: Settings) -> MilvusLexicalStore:
        if len(records) != len(texts):
            raise ValueError(f"{len(records)} records for {len(texts)} texts")
        client, name = cls._new_collection(settings, _schema, _index)
        store = cls(client, settings, name, 1, Counter())
        store._started()
        store._insert(records, texts)
        return store

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> MilvusLexicalStore:
        client, name, generation = cls._saved(folder, settings)
        try:
            freqs = Counter(json.loads((folder / WORDS).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            raise IndexProblem(f"the index in {folder} has no readable {WORDS}") from None
        store = cls(client, settings, name, generation, freqs)
        store._size = store.count()  # at "Strong": later reads at "Bounded" see the whole version
        return store

    @property
    def size(self) -> int:
        if self._size is None:
            self._size = self.count()
        return self._size

    def upsert(self, records: Sequence[Record], texts: Sequence[str]) -> None:
        """Store ``texts[i]`` with ``records[i]``; a row with the same id is replaced (text and metadata)."""
        if not len(records):
            return
        self._begin()
        self._forget([r.id for r in records])
        self._mark_dead([r.id for r in records])  # rows of this generation are replaced by the upsert itself
        self._insert(records, texts)

    def _insert(self, records: Sequence[Record], texts: Sequence[str]) -> None:
        """Write rows born at ``generation`` (after the rows they replace are forgotten and marked)."""
        self._size = None
        for begin in range(0, len(records), BATCH):
            rows = [_row(r, t, self.generation) for r, t in zip(records[begin: begin + BATCH],
                                                                texts[begin: begin + BATCH])]
            self._client.upsert(self.collection, rows)
            for row in rows:
                self._freqs.update(set(row["text"].split()))

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self._begin()
            self._forget(ids)
        super().delete(ids)

    def save(self, folder: Path) -> None:
        storage.write_bytes(folder / WORDS, json.dumps(self._freqs, ensure_ascii=False).encode())
        super().save(folder)

    def doc_freq(self, word: str) -> int:
        return self._freqs.get(word.replace("_", ""), 0)

    def search(self, text: str, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        # A word no passage holds is searched as the words derived from it that passages hold ("safety": "safe").
        query = _joined(searched_words(text, lambda w: self.doc_freq(w) > 0))
        if not query or k <= 0 or (where is not None and where.article_ids is not None and not where.article_ids):
            return []
        found = self._client.search(
            self.collection, data=[query], anns_field="sparse", limit=k,
            filter=" and ".join(p for p in (self._alive(), expression(where)) if p), output_fields=["chunk"],
            search_params={"metric_type": "BM25"}, consistency_level=self._level())
        return [(h["entity"]["chunk"], abs(float(h["distance"]))) for h in found[0]]

    def _plain(self, row: dict) -> dict:
        return {k: v for k, v in row.items() if k != "sparse"}  # the BM25 function computes it from the text

    def _forget(self, ids: list[str]) -> None:
        """Take the stored texts of ``ids`` out of the counts (they are being replaced or deleted)."""
        self._size = None
        for row in self._alive_rows(ids, ["text"]):
            for word in set(row["text"].split()):
                self._freqs[word] -= 1
                if self._freqs[word] <= 0:
                    del self._freqs[word]


def supports_bm25(settings: Settings) -> bool:
    """Whether the Milvus the settings name has BM25 functions (2.5 or later), asked once per process."""
    return _supports_bm25(milvus_uri(settings), settings.milvus_token)


@lru_cache(maxsize=8)
def _supports_bm25(uri: str, token: str) -> bool:
    """From the server's version: "v2.3.5" has none, "v2.5.4" and Milvus Lite's "milvus_lite-3.2.2" have."""
    version = str(connect_to(uri, token).get_server_version())
    found = re.search(r"(\d+)\.(\d+)", version)
    if found and (int(found[1]), int(found[2])) >= (2, 5):
        log.info("lexical search: Milvus BM25 (Milvus %s)", version)
        return True
    log.info("lexical search: bm25s (Milvus %s has no BM25 function; 2.5 and later have)", version)
    return False


def _indexed(text: str) -> str:
    """The words Milvus indexes or searches for ``text``, space-separated, at most ``_MAX_TEXT`` bytes.

    >>> _indexed("The doctors' walk-out, re_ballot")
    'doctor walk out reballot walkout'
    """
    return _joined(words(text))


def _joined(stems: list[str]) -> str:
    """Stemmed words as Milvus reads them, space-separated, at most ``_MAX_TEXT`` bytes."""
    out = " ".join(w for w in (w.replace("_", "") for w in stems) if w)
    if len(out.encode()) > _MAX_TEXT:
        out = out.encode()[:_MAX_TEXT].decode(errors="ignore").rsplit(" ", 1)[0]
    return out


def _row(record: Record, text: str, generation: int) -> dict:
    return dict(record_fields(record, generation), text=_indexed(text))


def _schema(client):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    add_record_fields(schema)
    # The words are ours already (stemmed, lower-cased, no stop words): the tokenizer only splits them apart.
    schema.add_field("text", DataType.VARCHAR, max_length=_MAX_TEXT, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    return schema


def _index(client):
    params = client.prepare_index_params()
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    return params
