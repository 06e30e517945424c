"""Embedding spread over Ray workers, for `rag ingest --workers N [--ray ADDRESS]` (``ingest_workers``).

The driver (the `rag ingest` process) splits the texts its cache lacks into batches of ``ray_batch``; a pool of
Ray actors, each loading the embedder once, embeds them; the driver keeps every batch as it comes back in the
embedding journal (embed_journal.py), then writes the index version as a single-process ingest does (FAISS files,
or the upserts into the Milvus collection). The driver does the only writes because Milvus Lite takes one process
at a time and FAISS lives in files; the vectors travel through Ray's object store. A driver killed half-way loses
only the batches in flight: the next run reads the journal and sends only what is still missing. A worker that
dies is restarted by Ray and its batch retried.

Ray is imported only here, and this module only when ``ingest_workers`` is set.

>>> vectors, missing, backend = embed_spread(texts, keys, Settings(ingest_workers=2), cache={})  # doctest: +SKIP
>>> vectors.shape, len(missing), backend  # doctest: +SKIP
((412, 384), 412, 'openvino-fp32')
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from embeddings import Embedder, embedder_for
from rag.errors import IndexProblem, UsageError
from rag.index import embed_journal
from rag.index.vector_cache import embed_cached
from rag.messages import render
from rag.settings import Settings

log = logging.getLogger(__name__)


def embed_spread(
    texts: list[str],
    keys: list[str],
    settings: Settings,
    cache: Mapping[str, np.ndarray],
    embedder: Callable[[], Embedder] | None = None,
    dimension: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[int], str | None]:
    """Like ``embed_cached``: vectors for ``texts`` in order and the positions computed now (not found in
    ``cache``), plus the workers' backend (``None`` when nothing was computed). ``embedder`` is only called for
    the dimension of an empty corpus with an empty cache."""
    missing = [i for i, k in enumerate(keys) if k not in cache]
    todo = list(dict.fromkeys(keys[i] for i in missing))  # a text repeated (the same sentence twice) once
    fresh: dict[str, np.ndarray] = {}
    backend = _run(todo, dict(zip(keys, texts)), settings, fresh, progress) if todo else None
    vectors, _ = embed_cached(texts, keys, embedder or (lambda: embedder_for(settings, ingest=True)), dimension,
                              {**cache, **fresh})
    return vectors, missing, backend


def _run(todo: list[str], text_of: dict[str, str], settings: Settings, fresh: dict[str, np.ndarray],
         progress: Callable[[int, int], None] | None) -> str:
    """Embed the texts of ``todo`` (keys) on the workers, journaling each batch; return the workers' backend."""
    ray = _ray(settings)
    started = not ray.is_initialized()  # inside a Ray program already: use its connection, leave it open
    try:
        if started:
            _connect(ray, settings)
        batches = [todo[n: n + settings.ray_batch] for n in range(0, len(todo), settings.ray_batch)]
        workers = min(settings.ingest_workers, len(batches))
        # A dead worker is restarted (loading the model again) and its batch retried, by Ray.
        worker = ray.remote(num_cpus=1, max_restarts=2, max_task_retries=2)(_Worker)
        pool = ray.util.ActorPool([worker.remote(settings) for _ in range(workers)])
        backend = ""
        log.info("embedding %d texts in %d batches on %d Ray workers", len(todo), len(batches), workers)
        for batch, vectors, backend in pool.map_unordered(
                lambda actor, batch: actor.embed.remote(batch, [text_of[k] for k in batch]), batches):
            embed_journal.append(settings.index_dir, batch, vectors)
            fresh.update(zip(batch, vectors))
            if progress:
                progress(len(fresh), len(todo))
        return backend
    finally:
        if started:
            ray.shutdown()


class _Worker:
    """One Ray actor: the embedder, loaded once, embedding batch after batch."""

    def __init__(self, settings: Settings):
        self._embedder = embedder_for(settings, ingest=True)

    def embed(self, keys: list[str], texts: list[str]) -> tuple[list[str], np.ndarray, str]:
        return keys, self._embedder.embed(texts), self._embedder.backend


def _connect(ray, settings: Settings) -> None:
    """Join the cluster at ``ray_address``, or start a private one on this machine (loopback only)."""
    if settings.ray_address:
        ray.init(address=settings.ray_address, log_to_driver=False, logging_level=logging.WARNING)
        return
    # The workers inherit this process's environment (HF_HUB_OFFLINE, the settings' RAG_* variables), and import
    # this same code, also where it is not installed but run from a checkout.
    code, paths = str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")
    if code not in paths.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (code, paths) if p)
    for attempt in (1, 2):
        try:
            ray.init(address="local", num_cpus=settings.ingest_workers, include_dashboard=False,
                     _node_ip_address="127.0.0.1", log_to_driver=False, logging_level=logging.WARNING)
            return
        except Exception as e:  # noqa: BLE001  (Ray says "timed out during startup" with a bare Exception)
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            if attempt == 2 or "timed out" not in reason.lower():  # "timed out during startup", "Timed out waiting"
                raise IndexProblem(render("RAY_START", reason=reason), fix="") from None
            # Seen once on a busy 2-core machine, just after a killed run: try again, as the message would advise.
            log.warning("Ray did not start (%s); trying once more", reason)
            ray.shutdown()


def _ray(settings: Settings):
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing may leave the machine
    # Ray waits 30 s for its control store to name its port; a busy 2-core machine just after a killed run once
    # took longer (CI: "Timed out waiting for file .../gcs_server_port_..."). Wait up to 2 minutes.
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "120")
    if not settings.ray_address:
        # A private cluster on loopback: Ray otherwise swaps 127.0.0.1 for the machine's address and listens there
        # (this is Ray's switch for laptops, read when it is imported).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
        import ray.util
    except ImportError:
        raise UsageError(render("RAY_MISSING")) from None
    return ray
