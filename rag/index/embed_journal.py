"""Vectors embedded since the last index version, kept on disk batch by batch, so that an ingest killed half-way
does not embed them again.

A distributed ingest (rag/index/spread.py) writes each batch its workers return into ``<index>/embedded/``, one
file per batch, atomically (a killed writer leaves a whole file or none). The next ingest, distributed or not,
reads them as part of its embedding cache; a successful ingest clears the folder once its version is current.
Entries are keyed by content key (model + embedding input, see vector_cache.py), so an entry of another model or
text is never used, only ignored.

>>> import tempfile; root = Path(tempfile.mkdtemp())
>>> append(root, ["k1", "k2"], np.eye(2, 3, dtype=np.float32))
>>> sorted(load(root)), clear(root), load(root)
(['k1', 'k2'], None, {})
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
from pathlib import Path

import numpy as np

from rag.index import storage

log = logging.getLogger(__name__)

FOLDER = "embedded"  # below the index folder


def append(index_dir: Path, keys: list[str], vectors: np.ndarray) -> None:
    """Keep one batch of vectors (float32, one row per key) durably."""
    folder = index_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    buffer = io.BytesIO()
    np.savez(buffer, keys=np.array(keys, dtype=str), vectors=np.asarray(vectors, dtype=np.float32))
    name = hashlib.sha256("\0".join(keys).encode()).hexdigest()[:24]
    storage.write_bytes(folder / f"{name}.npz", buffer.getvalue())


def load(index_dir: Path) -> dict[str, np.ndarray]:
    """Every vector kept since the last index version, by content key (empty when there is none)."""
    found: dict[str, np.ndarray] = {}
    folder = index_dir / FOLDER
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else ():
        try:
            with np.load(path, allow_pickle=False) as batch:
                keys, vectors = batch["keys"], batch["vectors"]
        except (OSError, ValueError, KeyError) as e:  # unreadable: those passages are simply embedded again
            log.warning("ignoring the embedded batch %s (%s)", path.name, e)
            continue
        if len(keys) == len(vectors):
            found.update(zip(keys.tolist(), vectors))
    if found:
        log.info("%d vectors embedded by an earlier, unfinished ingest are reused", len(found))
    return found


def clear(index_dir: Path) -> None:
    """Forget the kept batches: called once the index version holding them is current."""
    shutil.rmtree(index_dir / FOLDER, ignore_errors=True)
