"""Index versions kept in one Milvus collection as generations: what the Milvus stores (vectors, BM25) share.

Every row carries ``born`` (the generation that wrote it) and ``died`` (the one that removed it, ``ALIVE``
until then), and a store reads the rows alive at its generation: ``born <= g and died > g``. An ingest opened
at generation g writes generation g + 1: new and changed passages are upserted as new rows born g + 1, removed
and replaced ones get ``died = g + 1``. Readers of version g see none of that, so an ingest killed half-way
leaves version g whole; the next writer first deletes the rows born after its generation and revives the rows
a dead writer marked. ``save`` records the generation in the version folder (the store's ``SAVED`` file), which
the index switch then makes current, and deletes the rows neither version can see. A store made from nothing
writes a new collection, and ``save`` points the store's alias at it, so other readers find the live one under
one name.

>>> store = MilvusStore.create(384, Settings(milvus_uri="/tmp/milvus.db"))  # doctest: +SKIP
>>> store.upsert([Record("a#0", "a")], vectors); store.generation  # doctest: +SKIP
1
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.errors import IndexProblem
from rag.index import storage
from rag.index.milvus_filter import date_hi, one_of
from rag.index.vector_store import Record
from rag.settings import Settings

log = logging.getLogger(__name__)

ALIVE = 2**62  # ``died`` of a row no generation has removed
BATCH = 1000  # rows per write, ids per ``in [...]`` expression
# Questions read at "Bounded" consistency: "Strong" waits for the next time tick, ~400 ms a search on the 2.3.5
# server. They still see the whole version: opening a store counts its rows at "Strong", which waits until
# the server has applied every write made before (a standalone server's query node never goes back). The
# writer's own reads are "Strong".
READ = "Bounded"


class Generations:
    """The rows of one collection alive at ``generation``, written as the next generation. A subclass names its
    version-folder file (``SAVED``) and alias suffix, and says how a queried row is written back (``_plain``)."""

    SAVED = "milvus.json"  # in a version folder: the collection and generation of that version
    ALIAS_SUFFIX = ""  # the alias is ``milvus_collection`` followed by this

    def __init__(self, client, settings: Settings, collection: str, generation: int):
        self._client = client
        self._settings = settings
        self.collection = collection
        self.generation = generation  # the rows this store reads: alive at this generation
        self._writing = False  # whether ``generation`` is one this store writes (not yet saved)
        self._opened = generation  # the generation it was opened at (or 0, made from nothing)

    @classmethod
    def _new_collection(cls, settings: Settings, schema, index_params):
        """A client and the name of a new, empty collection; a store made on it writes generation 1."""
        client = connect(settings)
        name = f"{cls._alias(settings)}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
        client.create_collection(name, schema=schema(client), index_params=index_params(client),
                                 consistency_level="Strong")
        return client, name

    @classmethod
    def _saved(cls, folder: Path, settings: Settings):
        """A client, and the collection and generation the version in ``folder`` reads (its collection loaded)."""
        try:
            saved = json.loads((folder / cls.SAVED).read_text())
            name, generation = saved["collection"], int(saved["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            raise IndexProblem(f"the index in {folder} names no Milvus collection") from None
        client = connect(settings)
        if not client.has_collection(name):
            raise IndexProblem(f"the Milvus collection {name} of the index in {folder} is missing")
        client.load_collection(name)  # a reopened collection is searchable only once loaded
        return client, name, generation

    def _started(self) -> None:
        """Mark a store made on a new collection as writing generation 1."""
        self._writing, self._opened = True, 0

    def count(self) -> int:
        rows = self._client.query(self.collection, filter=self._alive(), output_fields=["count(*)"],
                                  consistency_level="Strong")
        return int(rows[0]["count(*)"])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        if ids:
            self._begin()
            self._mark_dead(ids)
            for begin in range(0, len(ids), BATCH):
                mine = one_of("chunk", ids[begin: begin + BATCH])
                self._client.delete(self.collection, filter=f"born == {self.generation} and {mine}")

    def save(self, folder: Path) -> None:
        saved = {"collection": self.collection, "generation": self.generation}
        storage.write_bytes(folder / self.SAVED, json.dumps(saved).encode())
        if self._writing:
            # No version that can still be read sees rows dead at the generation this store was opened at.
            self._client.delete(self.collection, filter=f"died <= {self._opened}")
            self._client.flush(self.collection)
        self._writing = False
        self._point_alias()

    def _plain(self, row: dict) -> dict:
        """A queried row as one to write back (nothing the server added or computes itself)."""
        return row

    def _level(self) -> str:
        """The consistency of a search or fetch: a writer reads its own writes; readers of a saved version
        read at ``READ``."""
        return "Strong" if self._writing else READ

    def _alive(self, generation: int | None = None) -> str:
        g = self.generation if generation is None else generation
        return f"born <= {g} and died > {g}"

    def _alive_rows(self, ids: Sequence[str], fields: list[str], generation: int | None = None,
                    level: str = "Strong") -> list[dict]:
        rows: list[dict] = []
        for begin in range(0, len(ids), BATCH):
            rows += self._client.query(
                self.collection, filter=f"{self._alive(generation)} and {one_of('chunk', ids[begin: begin + BATCH])}",
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
        for begin in range(0, len(marked), BATCH):
            self._client.upsert(self.collection,
                                [dict(self._plain(r), died=ALIVE) for r in marked[begin: begin + BATCH]])
        self.generation, self._writing = g + 1, True

    def _mark_dead(self, ids: list[str]) -> None:
        """The rows of ``ids`` alive at the generation before this one die in this one."""
        previous = self.generation - 1
        if previous < 1:  # a new collection: no row is older than this generation
            return
        old = [r for r in self._alive_rows(ids, ["*"], previous) if r["died"] == ALIVE]
        for begin in range(0, len(old), BATCH):
            self._client.upsert(self.collection,
                                [dict(self._plain(r), died=self.generation) for r in old[begin: begin + BATCH]])

    @classmethod
    def _alias(cls, settings: Settings) -> str:
        return settings.milvus_collection + cls.ALIAS_SUFFIX

    def _point_alias(self) -> None:
        alias = self._alias(self._settings)
        if self.collection == alias:
            return
        if alias not in self._client.list_aliases()["aliases"]:
            self._client.create_alias(self.collection, alias)
            return
        current = self._client.describe_alias(alias)["collection_name"]
        if current != self.collection:
            self._client.alter_alias(self.collection, alias)
            log.info("alias %s now names %s (was %s)", alias, self.collection, current)


def add_record_fields(schema) -> None:
    """The fields every row has: its key, passage, the metadata filters look at, and its generations."""
    from pymilvus import DataType

    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=1100)  # "<chunk id>@<generation>"
    for name, length in (("chunk", 1024), ("article_id", 1024), ("publisher", 2048), ("date", 64), ("date_hi", 65)):
        schema.add_field(name, DataType.VARCHAR, max_length=length)
    schema.add_field("facets", DataType.JSON)
    schema.add_field("born", DataType.INT64)
    schema.add_field("died", DataType.INT64)


def record_fields(record: Record, generation: int) -> dict:
    """The values of ``add_record_fields`` for a row of ``record`` born at ``generation``."""
    return {"pk": f"{record.id}@{generation}", "chunk": record.id, "article_id": record.article_id,
            "publisher": record.publisher, "date": record.date, "date_hi": date_hi(record.date),
            "facets": dict(record.facets), "born": generation, "died": ALIVE}


def milvus_uri(settings: Settings) -> str:
    """Where Milvus is: ``milvus_uri``, or Milvus Lite in the index folder."""
    return settings.milvus_uri or str(settings.index_dir / "milvus.db")


def connect(settings: Settings):
    """A client for ``milvus_uri``: a file path opens Milvus Lite (one process at a time), a URL a server."""
    return connect_to(milvus_uri(settings), settings.milvus_token)


LITE_KEEPALIVE_MS = 3_600_000  # no keepalive pings to Milvus Lite: it runs on loopback, inside this process


def connect_to(uri: str, token: str):
    from pymilvus import MilvusClient  # imported only when Milvus is chosen: it takes about a second

    options = {}
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # Lite's in-process server keeps gRPC's 5-minute minimum between pings, and pymilvus pings every 10 s:
        # after ~30 s idle the server hangs up (too_many_pings) and reopening the file can then fail.
        options = {"grpc_options": {"grpc.keepalive_time_ms": LITE_KEEPALIVE_MS}}
    try:
        return MilvusClient(uri=uri, token=token, **options)
    except (_milvus_error(), OSError) as e:
        raise IndexProblem(f"cannot reach Milvus at {uri} ({str(e).splitlines()[0][:200]})", fix="") from None


def _milvus_error() -> type[Exception]:
    from pymilvus import MilvusException

    return MilvusException
