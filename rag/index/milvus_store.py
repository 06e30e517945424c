"""The vector store in Milvus: Milvus Lite (a file path as ``milvus_uri``) or a Milvus server or cluster
(``http://host:19530``), searched by inner product with the filters pushed down as filter expressions.

Index versions live in one collection as generations. Every row carries ``born`` (the generation that wrote
it) and ``died`` (the one that removed it, ``ALIVE`` until then), and a store reads the rows alive at its
generation: ``born <= g and died > g``. An ingest opened at generation g writes generation g + 1: new and
changed passages are upserted as new rows born g + 1, removed and replaced ones get ``died = g + 1``. Readers
of version g see none of that, so an ingest killed half-way leaves version g whole; the next writer first
deletes the rows born after its generation and revives the rows a dead writer marked. ``save`` records the
generation in the version folder (``milvus.json``), which the index switch then makes current, and deletes the
rows neither version can see. A store made from nothing (``create``) writes a new collection, and ``save``
points the alias ``milvus_collection`` at it, so other readers find the live one under one name.

>>> store = MilvusStore.create(384, Settings(milvus_uri="/tmp/milvus.db"))  # doctest: +SKIP
>>> store.upsert([Record("a#0", "a", publisher="BBC")], vectors)  # doctest: +SKIP
>>> store.search(vectors[0], k=5, where=StoreFilter(publishers=frozenset({"BBC"})))  # doctest: +SKIP
[('a#0', 1.0)]
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.errors import IndexProblem
from rag.index import storage
from rag.index.milvus_filter import date_hi, expression, one_of
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings

log = logging.getLogger(__name__)

ALIVE = 2**62  # ``died`` of a row no generation has removed
SAVED = "milvus.json"  # in a version folder: the collection and generation of that version
_BATCH = 1000  # rows per write, ids per ``in [...]`` expression
# Questions read at "Bounded" consistency: "Strong" waits for the next time tick, ~400 ms a search on the 2.3.5
# server. They still see the whole version: opening a store counts its rows at "Strong", which waits until
# the server has applied every write made before (a standalone server's query node never goes back). The
# writer's own reads are "Strong".
_READ = "Bounded"


class MilvusStore:
    def __init__(self, client, settings: Settings, collection: str, generation: int, dimension: int):
        self._client = client
        self._settings = settings
        self.collection = collection
        self.generation = generation  # the rows this store reads: alive at this generation
        self._dimension = dimension
        self._writing = False  # whether ``generation`` is one this store writes (not yet saved)
        self._opened = generation  # the generation it was opened at (or 0, made from nothing)

    @classmethod
    def create(cls, dimension: int, settings: Settings) -> MilvusStore:
        client = connect(settings)
        name = f"{settings.milvus_collection}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
        client.create_collection(name, schema=_schema(client, dimension), index_params=_index(client, settings),
                                 consistency_level="Strong")
        store = cls(client, settings, name, 1, dimension)
        store._writing, store._opened = True, 0
        return store

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> MilvusStore:
        try:
            saved = json.loads((folder / SAVED).read_text())
            name, generation = saved["collection"], int(saved["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            raise IndexProblem(f"the index in {folder} names no Milvus collection") from None
        client = connect(settings)
        if not client.has_collection(name):
            raise IndexProblem(f"the Milvus collection {name} of the index in {folder} is missing")
        client.load_collection(name)  # a reopened collection is searchable only once loaded
        field = next(f for f in client.describe_collection(name)["fields"] if f["name"] == "vector")
        return cls(client, settings, name, generation, int(field["params"]["dim"]))

    @property
    def dimension(self) -> int:
        return self._dimension

    def count(self) -> int:
        rows = self._client.query(self.collection, filter=self._alive(), output_fields=["count(*)"],
                                  consistency_level="Strong")
        return int(rows[0]["count(*)"])

    def upsert(self, records: Sequence[Record], vectors: np.ndarray) -> None:
        if not len(records):
            return
        self._begin()
        vectors = np.asarray(vectors, dtype=np.float32)
        self._mark_dead([r.id for r in records])  # rows of this generation are replaced by the upsert itself
        for begin in range(0, len(records), _BATCH):
            rows = [_row(r, v, self.generation) for r, v in zip(records[begin: begin + _BATCH],
                                                                 vectors[begin: begin + _BATCH])]
            self._client.upsert(self.collection, rows)

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        if ids:
            self._begin()
            self._mark_dead(ids)
            for begin in range(0, len(ids), _BATCH):
                mine = one_of("chunk", ids[begin: begin + _BATCH])
                self._client.delete(self.collection, filter=f"born == {self.generation} and {mine}")

    def search(self, query: np.ndarray, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        if k <= 0 or (where is not None and where.article_ids is not None and not where.article_ids):
            return []
        s = self._settings
        params = {"ef": max(s.milvus_ef, k)} if s.milvus_index == "HNSW" else {"nprobe": s.ann_nprobe}
        found = self._client.search(
            self.collection, data=[np.asarray(query, dtype=np.float32).ravel().tolist()], anns_field="vector",
            limit=k, filter=" and ".join(p for p in (self._alive(), expression(where)) if p),
            output_fields=["chunk"], search_params={"metric_type": "IP", "params": params},
            consistency_level=_READ)
        return [(h["entity"]["chunk"], float(h["distance"])) for h in found[0]]

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        found = {row["chunk"]: row["vector"] for row in self._alive_rows(ids, ["chunk", "vector"], level=_READ)}
        out = np.zeros((len(ids), self._dimension), dtype=np.float32)
        for n, chunk_id in enumerate(ids):
            out[n] = found[chunk_id]  # KeyError for an id that is not stored, as the protocol says
        return out

    def save(self, folder: Path) -> None:
        saved = {"collection": self.collection, "generation": self.generation}
        storage.write_bytes(folder / SAVED, json.dumps(saved).encode())
        if self._writing:
            # No version that can still be read sees rows dead at the generation this store was opened at.
            self._client.delete(self.collection, filter=f"died <= {self._opened}")
            self._client.flush(self.collection)
        self._writing = False
        self._point_alias()

    def _alive(self, generation: int | None = None) -> str:
        g = self.generation if generation is None else generation
        return f"born <= {g} and died > {g}"

    def _alive_rows(self, ids: Sequence[str], fields: list[str], generation: int | None = None,
                    level: str = "Strong") -> list[dict]:
        rows: list[dict] = []
        for begin in range(0, len(ids), _BATCH):
            rows += self._client.query(
                self.collection, filter=f"{self._alive(generation)} and {one_of('chunk', ids[begin: begin + _BATCH])}",
                output_fields=fields, consistency_level=level)
        return rows

    def _begin(self) -> None:
        """Before the first write of a generation: undo what a writer killed before saving left behind."""
        if self._writing:
            return
        g = self.generation
        self._client.delete(self.collection, filter=f"born > {g}")
        marked = self._client.query(self.collection, filter=f"died > {g} and died < {ALIVE}", output_fields=["*"],
                                    consistency_level="Strong")
        for begin in range(0, len(marked), _BATCH):
            self._client.upsert(self.collection, [dict(_plain(r), died=ALIVE) for r in marked[begin: begin + _BATCH]])
        self.generation, self._writing = g + 1, True

    def _mark_dead(self, ids: list[str]) -> None:
        """The rows of ``ids`` alive at the generation before this one die in this one."""
        previous = self.generation - 1
        if previous < 1:  # a new collection: no row is older than this generation
            return
        old = [r for r in self._alive_rows(ids, ["*"], previous) if r["died"] == ALIVE]
        for begin in range(0, len(old), _BATCH):
            self._client.upsert(self.collection,
                                [dict(_plain(r), died=self.generation) for r in old[begin: begin + _BATCH]])

    def _point_alias(self) -> None:
        alias = self._settings.milvus_collection
        if self.collection == alias:
            return
        if alias not in self._client.list_aliases()["aliases"]:
            self._client.create_alias(self.collection, alias)
            return
        current = self._client.describe_alias(alias)["collection_name"]
        if current != self.collection:
            self._client.alter_alias(self.collection, alias)
            log.info("alias %s now names %s (was %s)", alias, self.collection, current)


def connect(settings: Settings):
    """A client for ``milvus_uri``: a file path opens Milvus Lite (one process at a time), a URL a server."""
    from pymilvus import MilvusClient  # imported only when Milvus is chosen: it takes about a second

    uri = settings.milvus_uri or str(settings.index_dir / "milvus.db")
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri=uri, token=settings.milvus_token)
    except (_milvus_error(), OSError) as e:
        raise IndexProblem(f"cannot reach Milvus at {uri} ({str(e).splitlines()[0][:200]})", fix="") from None


def _milvus_error() -> type[Exception]:
    from pymilvus import MilvusException

    return MilvusException


def _row(record: Record, vector: np.ndarray, generation: int) -> dict:
    return {"pk": f"{record.id}@{generation}", "chunk": record.id, "article_id": record.article_id,
            "publisher": record.publisher, "date": record.date, "date_hi": date_hi(record.date),
            "facets": dict(record.facets), "born": generation, "died": ALIVE, "vector": vector.tolist()}


def _plain(row: dict) -> dict:
    """A queried row as one to write back (the vector as floats; nothing the server added)."""
    return {k: (np.asarray(v, dtype=np.float32).tolist() if k == "vector" else v) for k, v in row.items()}


def _schema(client, dimension: int):
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=1100)  # "<chunk id>@<generation>"
    for name, length in (("chunk", 1024), ("article_id", 1024), ("publisher", 2048), ("date", 64), ("date_hi", 65)):
        schema.add_field(name, DataType.VARCHAR, max_length=length)
    schema.add_field("facets", DataType.JSON)
    schema.add_field("born", DataType.INT64)
    schema.add_field("died", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    return schema


def _index(client, settings: Settings):
    params = client.prepare_index_params()
    kind = settings.milvus_index
    build = {"HNSW": {"M": settings.milvus_hnsw_m, "efConstruction": settings.milvus_ef_construction},
             "IVF_FLAT": {"nlist": settings.milvus_nlist}, "FLAT": {}}[kind]
    params.add_index("vector", index_type=kind, metric_type="IP", params=build)
    return params

