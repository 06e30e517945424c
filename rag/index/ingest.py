"""Ingest: load and clean the corpus, chunk it, embed what is new, and write a new index version.

>>> report = ingest(Path("corpus"), Settings())  # doctest: +SKIP
>>> report.articles, report.embedded  # doctest: +SKIP
(5, 19)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from embeddings import Embedder, embedder_for
from rag.index import embed_journal, storage
from rag.text.chunk import Tokenizer, chunk_articles
from rag.index.vector_cache import chunk_inputs, embed_cached
from rag.errors import IndexProblem
from rag.index.versions import Index, build_manifest, checked_manifest, load_index, write_index
from rag.text.load import Skipped, corpus_fingerprint, load_corpus
from rag.index.sentence_store import SentenceStore, sentence_key, sentence_table, sentence_texts
from rag.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    articles: int
    chunks: int
    embedded: int  # chunks whose vectors had to be computed (the rest came from the cache)
    sentences_embedded: int  # sentences whose vectors had to be computed
    skipped: tuple[Skipped, ...]
    seconds: float
    unchanged: bool  # nothing changed since the current version, so none was written
    version: str


def ingest(
    corpus_dir: Path,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Bring the index in line with ``corpus_dir``; only new or changed passages are embedded."""
    started = time.perf_counter()
    with storage.ingest_lock(settings.index_dir):
        current = _current(settings)
        fingerprint = corpus_fingerprint(corpus_dir, settings) if corpus_dir.is_dir() else ""
        if current and fingerprint and current[1].get("corpus") == fingerprint:
            # The same files as last time: the checked manifest is enough, not even the cleaning is redone.
            return _unchanged(current, tuple(Skipped(*s) for s in current[1].get("skipped", ())), started)
        previous = _previous(settings) if current else None
        # Files keep the ids the index gave them, so a file added or removed never moves another's id.
        known = {a.source: a.id for a in previous.articles.values() if a.source} if previous else {}
        articles, skipped = load_corpus(corpus_dir, settings, known)
        if current and current[1].get("articles") == {a.id: a.checksum for a in articles}:
            # Nothing changed: the checked manifest is enough, no need to chunk, load the stores or the model.
            return _unchanged(current, tuple(skipped), started)
        chunks = chunk_articles(articles, Tokenizer(settings.encoding), settings.chunk_tokens,
                                settings.chunk_overlap)
        by_id = {a.id: a for a in articles}
        model = [embedder]

        def get_embedder() -> Embedder:
            loaded = model[0] or embedder_for(settings, ingest=True)
            model[0] = loaded
            return loaded

        dimension = previous.manifest["model"]["dimension"] if previous else None
        texts, keys = chunk_inputs(chunks, by_id, settings.model)
        ids = [a.id for a in articles]
        table = sentence_table(chunks, ids)
        sentences = sentence_texts(table, by_id, ids)
        # Passages and sentences go through the model together: one pass, one progress bar.
        sentence_keys = [sentence_key(settings.model, t) for t in sentences]
        # Vectors of the current version, and those an ingest killed before its version was written had embedded.
        cache = {**(previous.cache() if previous else {}), **embed_journal.load(settings.index_dir)}
        spread_backend = None
        if settings.ingest_workers:
            from rag.index.spread import embed_spread  # imports Ray: only when asked for

            vectors, missing, spread_backend = embed_spread(texts + sentences, keys + sentence_keys, settings, cache,
                                                            get_embedder, dimension, progress)
        else:
            vectors, missing = embed_cached(texts + sentences, keys + sentence_keys, get_embedder, dimension, cache,
                                            progress)
        backend = str((spread_backend or getattr(model[0], "backend", "torch")) if missing or not previous else
                      previous.manifest["model"].get("backend", "torch"))
        manifest = dict(build_manifest(settings, vectors.shape[1], articles, chunks, backend),
                        corpus=fingerprint, skipped=[[s.source, s.reason] for s in skipped])
        store = SentenceStore(vectors[len(chunks):], table, ids)
        path = write_index(settings, manifest, articles, chunks, keys, vectors[: len(chunks)], store, previous)
        embed_journal.clear(settings.index_dir)  # the current version holds them now
    embedded = sum(1 for i in missing if i < len(chunks))
    return IngestReport(len(articles), len(chunks), embedded, len(missing) - embedded, tuple(skipped),
                        time.perf_counter() - started, False, path.name)


def _unchanged(current: tuple[Path, dict], skipped: tuple[Skipped, ...], started: float) -> IngestReport:
    """The report of an ingest that found nothing to do (the skipped files are in it, for the caller to list)."""
    counts = current[1]["counts"]
    return IngestReport(counts["articles"], counts["chunks"], 0, 0, skipped, time.perf_counter() - started, True,
                        current[0].name)


def _current(settings: Settings) -> tuple[Path, dict] | None:
    """The current version's folder and manifest when it is intact and built with these settings."""
    try:
        return checked_manifest(settings)
    except IndexProblem as e:
        log.info("no reusable index (%s); embedding everything", e)
        return None


def _previous(settings: Settings) -> Index | None:
    """The current index, whose vectors serve as the embedding cache."""
    try:
        return load_index(settings)
    except IndexProblem as e:
        log.info("the index cannot serve as a cache (%s); embedding everything", e)
        return None
