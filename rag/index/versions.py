"""The on-disk index: versioned folders, a manifest with checksums, and an atomic switch between versions.

Layout of ``index/``::

    CURRENT                 name of the live version (replaced atomically)
    .lock                   held by a running ingest
    versions/<name>/        manifest.json, articles.jsonl, chunks.jsonl,
                            the vector store's files (FAISS: vectors.npy, vector_rows.json, and dense.faiss,
                            the approximate index, for large indexes only; Milvus: milvus.json), the lexical
                            store's (bm25s: bm25/; Milvus BM25: milvus_bm25.json),
                            sentences.npy + sentence_spans.npy (vectors of every passage sentence)

An ingest writes a whole new version, then swaps ``CURRENT``; a crash at any point leaves the previous
version live. Loading checks every file's checksum and the settings the index was built with.

>>> index = load_index(Settings())  # doctest: +SKIP
>>> index.manifest["model"]["name"]  # doctest: +SKIP
'all-MiniLM-L6-v2'
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.index import storage
from rag.errors import IndexProblem
from rag.index.sentence_store import SentenceStore, sentence_key, sentence_texts
from rag.settings import Settings
from rag.index.lexical_store import LexicalStore, UpdatableLexicalStore, lexical_store_kind, open_lexical_store
from rag.index.vector_store import Record, VectorStore, vector_store_kind
from rag.types import Article, Chunk

log = logging.getLogger(__name__)

FORMAT = 9  # 2: the manifest carries a checksum of itself; 3: sentence vectors stored; 4: hyphenated words also
# indexed joined ("walk-out" as "walkout"); 5: the stores keep their rows' chunk ids and filter metadata
# (vector_rows.json, bm25/rows.json); 6: the settings that shape an index kept together ("index") and articles'
# facets (a corpus's own filters, see rag/text/corpus_config.py) in place of their dispute; 7: lexical words
# without accents ("Hervé" indexed as "herve", so a question typed without them finds it); 8: a plural of
# capitals as its singular ("MPs" indexed as "mp"); 9: a plural in "-men" as its singular ("chairmen" as
# "chairman")

EMBED_INPUT = "title+text"  # what each passage's vector is made from: its article's title, then its text


@dataclass(frozen=True)
class Index:
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    keys: list[str]  # content key of each chunk's embedding input (the embedding cache)
    dense: VectorStore
    lexical: LexicalStore
    sentences: SentenceStore
    path: Path

    def cache(self) -> dict[str, np.ndarray]:
        """Embeddings by content key, passages and sentences, for re-use by the next ingest."""
        s = self.sentences
        texts = sentence_texts(s.table, self.articles, s.article_ids)
        model = self.manifest["model"]["name"]
        return {**dict(zip(self.keys, self.dense.fetch([c.id for c in self.chunks]))),
                **{sentence_key(model, t): v for t, v in zip(texts, s.vectors.astype(np.float32))}}


def build_manifest(settings: Settings, dimension: int, articles: list[Article], chunks: list[Chunk],
                   backend: str = "torch") -> dict:
    """``backend`` (what embedded the newest passages) is for information: vectors of every backend agree
    within cosine 0.99, so an index mixes them freely; only the model name must match."""
    return {
        "format": FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": {"name": settings.model, "dimension": dimension, "backend": backend},
        "index": index_settings(settings),
        "articles": {a.id: a.checksum for a in articles},
        "counts": {"articles": len(articles), "chunks": len(chunks)},
    }


def index_settings(settings: Settings) -> dict:
    """What an index is built with and must be read with: the settings of the "index" group, and the passages'
    embedding input.

    >>> index_settings(Settings())["chunk_tokens"]
    180
    """
    return dict(settings.group("index"), embed_input=EMBED_INPUT)


def write_index(settings: Settings, manifest: dict, articles: list[Article], chunks: list[Chunk],
                keys: list[str], vectors: np.ndarray, sentences: SentenceStore, previous: Index | None = None) -> Path:
    """Write a complete new version and make it current. Call with ``storage.ingest_lock`` held.

    ``previous`` (the current version, loaded) lets a store that lives in a database (Milvus) receive only
    the passages that changed."""
    root = settings.index_dir
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    name = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    tmp, done = versions / f".{name}.tmp", versions / name
    replaced = _current_name(root)
    try:
        tmp.mkdir(mode=0o700)
        storage.write_jsonl(tmp / "articles.jsonl", [asdict(a) for a in articles])
        storage.write_jsonl(tmp / "chunks.jsonl", [dict(asdict(c), key=k) for c, k in zip(chunks, keys)])
        storage.write_npy(tmp / "vectors.npy", vectors)
        storage.write_npy(tmp / "sentences.npy", sentences.vectors.astype(np.float16))
        storage.write_npy(tmp / "sentence_spans.npy", sentences.table)
        rows = records(chunks, {a.id: a for a in articles})
        _fill_vector_store(settings, rows, keys, vectors, previous).save(tmp)
        _fill_lexical_store(settings, rows, keys, [c.text for c in chunks], previous).save(tmp)
        manifest = storage.seal(dict(manifest, files=storage.checksums(tmp)))
        storage.write_bytes(tmp / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        storage.fsync_dir(tmp)
        os.rename(tmp, done)
        storage.fsync_dir(versions)
        storage.write_bytes(root / "CURRENT", name.encode())  # atomic: temp file, fsync, rename
    except (OSError, IndexProblem) as e:
        # A half-written version would keep a full disk full, and a whole one CURRENT does not name is never read.
        shutil.rmtree(tmp, ignore_errors=True)
        if _current_name(root) != name:
            shutil.rmtree(done, ignore_errors=True)
        if isinstance(e, OSError):
            raise storage.write_error(root, e) from None
        raise
    _prune(versions, keep={name, replaced})
    return done


def current_version(settings: Settings) -> Path:
    root = settings.index_dir
    try:
        name = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        raise IndexProblem(f"no index at {root}/") from None
    except OSError as e:
        raise IndexProblem(f"cannot read the index at {root}/ ({e.strerror})") from None
    path = root / "versions" / name
    if not name or "/" in name or not path.is_dir():
        raise IndexProblem(f"the index at {root}/ points at a missing version ({name or 'empty'})")
    return path


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        raise IndexProblem(f"the index manifest in {path} is missing or unreadable") from None
    if not isinstance(manifest, dict):
        raise IndexProblem(f"the index manifest in {path} is missing or unreadable")
    older = "sha256" not in manifest and manifest.get("format") != FORMAT  # written before the manifest's checksum
    if not older and not storage.sealed(manifest):  # the files' checksums are only as good as the manifest
        raise IndexProblem(f"the index in {path} is corrupted (manifest.json fails its checksum)")
    if manifest.get("format") != FORMAT:
        raise IndexProblem(f"the index in {path} has format {manifest.get('format')}, this version reads {FORMAT}")
    return manifest


def checked_manifest(settings: Settings) -> tuple[Path, dict]:
    """The current version's folder and manifest, after checking every file's checksum and the settings."""
    path = current_version(settings)
    manifest = read_manifest(path)
    bad = storage.verify(path, manifest.get("files", {}))
    if bad:
        raise IndexProblem(f"the index in {path} is corrupted ({bad} fails its checksum)")
    check_compatible(manifest, settings)
    return path, manifest


def load_index(settings: Settings) -> Index:
    """Load the current version; raise ``IndexProblem`` if it is missing, corrupted or built differently."""
    path, manifest = checked_manifest(settings)
    try:
        articles = {a["id"]: _article(a) for a in storage.read_jsonl(path / "articles.jsonl")}
        rows = storage.read_jsonl(path / "chunks.jsonl")
        chunks = [_chunk(r) for r in rows]
        dense = vector_store_kind(settings).open(path, settings)
        lexical = open_lexical_store(path, settings)
        large = len(chunks) >= settings.exact_below  # too big to hold twice in memory: mapped, rows read on use
        sentences = SentenceStore(np.load(path / "sentences.npy", mmap_mode="r" if large else None),
                                  np.load(path / "sentence_spans.npy"),
                                  list(articles))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexProblem(f"the index in {path} cannot be read ({type(e).__name__})") from None
    if dense.count() != len(chunks) or lexical.size != len(chunks) or len(sentences.vectors) != len(sentences.table):
        raise IndexProblem(f"the index in {path} is inconsistent ({dense.count()} vectors, {len(chunks)} chunks)")
    return Index(manifest, articles, chunks, [r["key"] for r in rows], dense, lexical, sentences, path)


def check_compatible(manifest: dict, settings: Settings) -> None:
    """Refuse an index built with other values of the "index" settings, naming the first that differs."""
    built, now = manifest.get("index"), index_settings(settings)
    if not isinstance(built, dict):
        raise IndexProblem("the index does not say which settings built it (an older version wrote it)")
    for name, value in now.items():
        if built.get(name) != value:
            raise IndexProblem(f"the index was built with {name} {built.get(name)!r} but settings ask for {value!r}")


def records(chunks: list[Chunk], articles: dict[str, Article]) -> list[Record]:
    """What the stores keep beside each passage for filters: its article's publisher, date and facets.

    >>> article = Article("a", "Text.", "T", facets=(("dispute", "2023 pay"),))
    >>> records([Chunk("a#0", "a", "Text.", 0, 5, ())], {"a": article})
    [Record(id='a#0', article_id='a', publisher='', date='', facets=(('dispute', '2023 pay'),))]
    """
    out = []
    for c in chunks:
        a = articles[c.article_id]
        out.append(Record(c.id, c.article_id, a.publisher or "", a.date or "", a.facets))
    return out


def _fill_vector_store(settings: Settings, rows: list[Record], keys: list[str], vectors: np.ndarray,
                       previous: Index | None) -> VectorStore:
    """The vector store of the new version. FAISS is built whole (it is rebuilt in memory anyway); Milvus keeps
    its rows and gets the changes: passages gone are deleted, new or changed ones (another text or other
    metadata) upserted, so an article added in the chat writes only its own passages."""
    if previous is None or settings.vector_store != "milvus":
        store = vector_store_kind(settings).create(vectors.shape[1], settings)
        store.upsert(rows, vectors)
        return store
    store = previous.dense
    gone, changed = _changes(previous, rows, keys)
    store.delete(gone)
    store.upsert([rows[n] for n in changed], vectors[changed])
    log.info("vector store: %d passages deleted, %d upserted", len(gone), len(changed))
    return store


def _fill_lexical_store(settings: Settings, rows: list[Record], keys: list[str], texts: list[str],
                        previous: Index | None) -> LexicalStore:
    """The lexical store of the new version: bm25s is built whole (it cannot change an index), Milvus gets the
    changes as its vector store does."""
    kind = lexical_store_kind(settings)
    store = previous.lexical if previous is not None else None
    if not (isinstance(store, UpdatableLexicalStore) and type(store) is kind):
        return kind.build(rows, texts, settings)
    gone, changed = _changes(previous, rows, keys)
    store.delete(gone)
    store.upsert([rows[n] for n in changed], [texts[n] for n in changed])
    log.info("lexical store: %d passages deleted, %d upserted", len(gone), len(changed))
    return store


def _changes(previous: Index, rows: list[Record], keys: list[str]) -> tuple[list[str], list[int]]:
    """The passages of ``previous`` gone from ``rows``, and the positions in ``rows`` of those new or changed
    (another text, which changes the key, or other metadata)."""
    before = {r.id: (r, k) for r, k in zip(records(previous.chunks, previous.articles), previous.keys)}
    now = {r.id for r in rows}
    gone = [chunk_id for chunk_id in before if chunk_id not in now]
    return gone, [n for n, (r, k) in enumerate(zip(rows, keys)) if before.get(r.id) != (r, k)]


def _article(row: dict) -> Article:
    return Article(**dict(row, inferred=tuple(row.get("inferred", ())),
                          facets=tuple((str(n), str(v)) for n, v in row.get("facets", ()))))


def _chunk(row: dict) -> Chunk:
    spans = tuple((int(s), int(e)) for s, e in row["sentences"])
    return Chunk(row["id"], row["article_id"], row["text"], row["start"], row["end"], spans)


def _current_name(root: Path) -> str:
    try:
        return (root / "CURRENT").read_text().strip()
    except OSError:
        return ""


def _prune(versions: Path, keep: set[str]) -> None:
    """Remove every version but the new one and the one it replaces (readers may still have that open)."""
    for path in versions.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
