"""The vector store in Milvus: Milvus Lite (a file path as ``milvus_uri``) or a Milvus server or cluster
(``http://host:19530``), searched by inner product with the filters pushed down as filter expressions.

Index versions live in one collection as generations (see rag/index/milvus_generations.py): an ingest killed
half-way leaves the version readers use whole. The alias ``milvus_collection`` names the live collection.

>>> store = MilvusStore.create(384, Settings(milvus_uri="/tmp/milvus.db"))  # doctest: +SKIP
>>> store.upsert([Record("a#0", "a", publisher="BBC")], vectors)  # doctest: +SKIP
>>> store.search(vectors[0], k=5, where=StoreFilter(publishers=frozenset({"BBC"})))  # doctest: +SKIP
[('a#0', 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.index.milvus_filter import expression
from rag.index.milvus_generations import BATCH, Generations, add_record_fields, record_fields
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings


class MilvusStore(Generations):
    SAVED = "milvus.json"

    def __init__(self, client, settings: Settings, collection: str, generation: int, dimension: int):
        super().__init__(client, settings, collection, generation)
        self._dimension = dimension

    @classmethod
    def create(cls, dimension: int, settings: Settings) -> MilvusStore:
        client, name = cls._new_collection(settings, lambda c: _schema(c, dimension), lambda c: _index(c, settings))
        store = cls(client, settings, name, 1, dimension)
        store._started()
        return store

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> MilvusStore:
        client, name, generation = cls._saved(folder, settings)
        field = next(f for f in client.describe_collection(name)["fields"] if f["name"] == "vector")
        return cls(client, settings, name, generation, int(field["params"]["dim"]))

    @property
    def dimension(self) -> int:
        return self._dimension

    def upsert(self, records: Sequence[Record], vectors: np.ndarray) -> None:
        if not len(records):
            return
        self._begin()
        vectors = np.asarray(vectors, dtype=np.float32)
        self._mark_dead([r.id for r in records])  # rows of this generation are replaced by the upsert itself
        for begin in range(0, len(records), BATCH):
            rows = [_row(r, v, self.generation) for r, v in zip(records[begin: begin + BATCH],
                                                                vectors[begin: begin + BATCH])]
            self._client.upsert(self.collection, rows)

    def search(self, query: np.ndarray, k: int, where: StoreFilter | None = None) -> list[tuple[str, float]]:
        if k <= 0 or (where is not None and where.article_ids is not None and not where.article_ids):
            return []
        s = self._settings
        params = {"ef": max(s.milvus_ef, k)} if s.milvus_index == "HNSW" else {"nprobe": s.ann_nprobe}
        found = self._client.search(
            self.collection, data=[np.asarray(query, dtype=np.float32).ravel().tolist()], anns_field="vector",
            limit=k, filter=" and ".join(p for p in (self._alive(), expression(where)) if p),
            output_fields=["chunk"], search_params={"metric_type": "IP", "params": params},
            consistency_level=self._level())
        return [(h["entity"]["chunk"], float(h["distance"])) for h in found[0]]

    def fetch(self, ids: Sequence[str]) -> np.ndarray:
        found = {row["chunk"]: row["vector"] for row in self._alive_rows(ids, ["chunk", "vector"], level=self._level())}
        out = np.zeros((len(ids), self._dimension), dtype=np.float32)
        for n, chunk_id in enumerate(ids):
            out[n] = found[chunk_id]  # KeyError for an id that is not stored, as the protocol says
        return out

    def _plain(self, row: dict) -> dict:
        return {k: (np.asarray(v, dtype=np.float32).tolist() if k == "vector" else v) for k, v in row.items()}


def _row(record: Record, vector: np.ndarray, generation: int) -> dict:
    return dict(record_fields(record, generation), vector=vector.tolist())


def _schema(client, dimension: int):
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    add_record_fields(schema)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    return schema


def _index(client, settings: Settings):
    params = client.prepare_index_params()
    kind = settings.milvus_index
    build = {"HNSW": {"M": settings.milvus_hnsw_m, "efConstruction": settings.milvus_ef_construction},
             "IVF_FLAT": {"nlist": settings.milvus_nlist}, "FLAT": {}}[kind]
    params.add_index("vector", index_type=kind, metric_type="IP", params=build)
    return params
