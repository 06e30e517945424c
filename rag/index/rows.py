"""The row table of the in-process stores (FAISS, bm25s): chunk id <-> row position, each row's filter metadata,
and filters turned into boolean row masks.

Rows of one article share their metadata, so metadata is kept once per distinct ``Record`` less its id (a
"group"), and a mask is the filter evaluated once per group, spread to the rows by array lookup: as fast as
the per-article masks of before, and the last few are cached (a chat session repeats its filters).

>>> rows = Rows.of([Record("a#0", "a", publisher="BBC"), Record("a#1", "a", publisher="BBC"), Record("b#0", "b")])
>>> rows.mask(StoreFilter(publishers=frozenset({"BBC"}))).tolist()
[True, True, False]
>>> rows.positions(["b#0", "a#0"]).tolist()
[2, 0]
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence

import numpy as np

from rag.index.vector_store import Record, StoreFilter, admits

_CACHED_MASKS = 8


class Rows:
    """Ids and metadata of rows 0..n-1, in storage order. Changed only through ``upsert`` and ``delete``."""

    def __init__(self, ids: list[str], groups: list[Record], group_of: np.ndarray):
        self.ids = ids
        self._groups = groups  # distinct metadata, id left empty
        self._group_of = group_of  # group of each row
        self._position = {i: n for n, i in enumerate(ids)}
        self._group_number = {g: n for n, g in enumerate(groups)}
        self._masks: dict[StoreFilter, np.ndarray] = {}

    @classmethod
    def of(cls, records: Sequence[Record]) -> Rows:
        rows = cls([], [], np.zeros(0, dtype=np.int64))
        rows.upsert(records)
        return rows

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, chunk_id: str) -> bool:
        return chunk_id in self._position

    def record(self, position: int) -> Record:
        return dataclasses.replace(self._groups[self._group_of[position]], id=self.ids[position])

    def positions(self, ids: Iterable[str]) -> np.ndarray:
        """Row positions of ``ids``; ``KeyError`` for an unknown id."""
        return np.fromiter((self._position[i] for i in ids), dtype=np.int64)

    def upsert(self, records: Sequence[Record]) -> np.ndarray:
        """Set the metadata of these rows, appending the new ids at the end; their positions, in order."""
        groups = np.array([self._group(dataclasses.replace(r, id="")) for r in records], dtype=np.int64)
        positions = np.empty(len(records), dtype=np.int64)
        for n, r in enumerate(records):
            positions[n] = self._position.setdefault(r.id, len(self.ids))
            if positions[n] == len(self.ids):
                self.ids.append(r.id)
        group_of = np.zeros(len(self.ids), dtype=np.int64)
        group_of[: len(self._group_of)] = self._group_of
        group_of[positions] = groups
        self._group_of = group_of
        self._masks.clear()
        return positions

    def delete(self, ids: Iterable[str]) -> np.ndarray:
        """Drop these rows (unknown ids ignored), keeping the others' order; the boolean mask of rows kept."""
        keep = np.ones(len(self.ids), dtype=bool)
        keep[[self._position[i] for i in ids if i in self._position]] = False
        if not keep.all():
            self.ids = [i for i, k in zip(self.ids, keep) if k]
            self._position = {i: n for n, i in enumerate(self.ids)}
            self._group_of = self._group_of[keep]
            self._masks.clear()
        return keep

    def mask(self, where: StoreFilter) -> np.ndarray:
        """Which rows ``where`` admits."""
        mask = self._masks.pop(where, None)
        if mask is None:
            admitted = np.array([admits(where, g) for g in self._groups] + [False])
            mask = admitted[self._group_of] if len(self._group_of) else np.zeros(0, dtype=bool)
        self._masks[where] = mask  # most recently used last
        while len(self._masks) > _CACHED_MASKS:
            self._masks.pop(next(iter(self._masks)))
        return mask

    def to_json(self) -> bytes:
        groups = [[g.article_id, g.publisher, g.date, [list(f) for f in g.facets]] for g in self._groups]
        return json.dumps({"ids": self.ids, "groups": groups, "group_of": self._group_of.tolist()},
                          ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Rows:
        saved = json.loads(data)
        groups = [Record("", a, p, d, tuple((n, v) for n, v in f)) for a, p, d, f in saved["groups"]]
        return cls(saved["ids"], groups, np.array(saved["group_of"], dtype=np.int64))

    def _group(self, metadata: Record) -> int:
        number = self._group_number.setdefault(metadata, len(self._groups))
        if number == len(self._groups):
            self._groups.append(metadata)
        return number
