"""Durable file writes for the index: owner-only files, fsync before rename, checksums, an ingest lock.

>>> import tempfile; folder = Path(tempfile.mkdtemp())
>>> write_bytes(folder / "a.txt", b"hi"); verify(folder, checksums(folder))
''
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from rag.errors import IndexProblem
from rag.messages import render


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file, fsync, then rename over the target.
    Raises ``OSError`` (the temporary file gone); the caller says which index it was writing (``write_error``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def disk_reason(folder: Path, e: OSError) -> str:
    """Why a write below ``folder`` failed, in words.

    >>> disk_reason(Path("/srv/index"), OSError(errno.ENOSPC, "No space left on device"))
    'no space left on the disk holding /srv/index'
    """
    if e.errno == errno.ENOSPC:
        return render("DISK_FULL", folder=str(folder))
    return render("DISK_ERROR", reason=e.strerror or type(e).__name__, folder=str(folder))


def write_error(root: Path, e: OSError) -> IndexProblem:
    """The one-line error for a failed write of the index in ``root``."""
    return IndexProblem(render("INDEX_WRITE", reason=disk_reason(root, e)), fix="")


def settle(folder: Path) -> None:
    """Make files another library wrote below ``folder`` owner-only (0700/0600) and durable (fsync)."""
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            fsync_dir(path)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    write_bytes(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())


def write_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    write_bytes(path, buffer.getvalue())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {str(p.relative_to(folder)): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def seal(record: dict) -> dict:
    """``record`` with a sha256 of its own content, so that a damaged copy can be told from the original.

    >>> sealed(seal({"a": 1})), sealed({"a": 2, "sha256": seal({"a": 1})["sha256"]})
    (True, False)
    """
    return dict(record, sha256=_digest(record))


def sealed(record: dict) -> bool:
    """Whether ``record`` still matches the checksum ``seal`` gave it."""
    rest = {k: v for k, v in record.items() if k != "sha256"}
    return isinstance(record.get("sha256"), str) and record["sha256"] == _digest(rest)


def _digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def verify(folder: Path, expected: dict[str, str]) -> str:
    """The first file that is missing or whose checksum differs, or '' when all match."""
    if not expected:
        return "manifest.json"
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != digest:
            return name
    return ""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """Only one ingest at a time per index folder; a second one fails at once with a clear message."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexProblem(f"another ingest is writing {root}/; wait for it to finish", fix="") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed
