"""Retrieval at one corpus size, in a process of its own so its memory is its own (run by perf.py).

The first ``real`` passages have real model vectors (computed by the parent); larger corpora repeat them,
each copy with small Gaussian noise (sigma 0.01 per dimension, about cosine 0.98 to its original) and
its text repeated for BM25. The stores are built, written to disk, dropped, and loaded back the way
`load_index` does, then timed on real question vectors; ANN recall@10 is measured against exact search.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from rag.index.versions import Index
from rag.ask.retrieve import Filters, Retriever
from rag.index.sentence_store import SentenceStore
from rag.settings import Settings
from rag.index.bm25_store import Bm25Store, _bm25s, _vocab_ids
from rag.index.faiss_store import FaissStore
from rag.index.rows import Rows
from rag.index.vector_store import Record
from rag.text.words import words
from rag.types import Article, Chunk

PUBLISHERS = ["The Daily Ledger", "Northern Post", "City Herald", "The Evening Courier", "Coastal Times"]
PER_ARTICLE = 4  # passages


def chunk_id(row: int) -> str:
    return f"a{row // PER_ARTICLE}#{row % PER_ARTICLE}"


def row_of(chunk_id: str) -> int:
    article, n = chunk_id[1:].split("#")
    return int(article) * PER_ARTICLE + int(n)


def records(size: int) -> list[Record]:
    return [Record(chunk_id(i), f"a{i // PER_ARTICLE}", PUBLISHERS[i // PER_ARTICLE % len(PUBLISHERS)])
            for i in range(size)]


def replicate(base: np.ndarray, size: int, sigma: float = 0.01, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    for begin in range(0, size, 100_000):
        rows = np.arange(begin, min(size, begin + 100_000))
        block = base[rows % len(base)].copy()
        copies = rows >= len(base)
        block[copies] += rng.normal(0, sigma, (int(copies.sum()), base.shape[1])).astype(np.float32)
        out[rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def build(folder: Path, base: np.ndarray, texts: list[str], size: int, settings: Settings) -> float:
    started = time.perf_counter()
    vectors = replicate(base, size)
    rows = records(size)
    dense = FaissStore.create(vectors.shape[1], settings)
    dense.upsert(rows, vectors)
    dense.save(folder)
    del dense, vectors
    ids, vocab = _vocab_ids([words(t) for t in texts])
    bm25s = _bm25s()
    model = bm25s.BM25()
    model.index(bm25s.tokenization.Tokenized([ids[i % len(ids)] for i in range(size)], vocab),
                show_progress=False)
    Bm25Store(model, Rows.of(rows)).save(folder)
    return time.perf_counter() - started


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> list[set[int]]:
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    rows = np.zeros((len(queries), k), dtype=np.int64)
    for begin in range(0, len(vectors), 100_000):
        block = np.asarray(vectors[begin : begin + 100_000]) @ queries.T  # (block, queries)
        both = np.concatenate([scores, block.T], axis=1)
        ids = np.concatenate([rows, np.arange(begin, begin + len(block))[None].repeat(len(queries), 0)], axis=1)
        best = np.argsort(-both, axis=1)[:, :k]
        scores, rows = np.take_along_axis(both, best, 1), np.take_along_axis(ids, best, 1)
    return [set(r.tolist()) for r in rows]


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory; ``RssFile`` is the part that is pages of mapped files (the vectors), reclaimable."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_phase(size: int, work: Path, folder: Path) -> dict:
    base = np.load(work / "base.npy")
    texts = json.loads((work / "texts.json").read_text())
    build_s = build(folder, base, texts, size, Settings())
    disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"build_s": build_s, "disk_mb": disk / 2**20,
            "build_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def serve_phase(size: int, work: Path, folder: Path) -> dict:
    """Load the stores from ``folder`` like `load_index`, then time searches; memory is this process's."""
    settings = Settings()
    texts = json.loads((work / "texts.json").read_text())
    queries = np.load(work / "queries.npy")
    questions = json.loads((work / "questions.json").read_text())
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    dense = FaissStore.open(folder, settings)
    lexical = Bm25Store.open(folder, settings)
    per_article = PER_ARTICLE
    articles = {f"a{i}": Article(f"a{i}", "", f"Article {i}", PUBLISHERS[i % len(PUBLISHERS)])
                for i in range((size + per_article - 1) // per_article)}
    # One sentence per passage, its vector the passage's (a real index has ~6): the sentence ranking's
    # lookups run on the memory-mapped vectors exactly as they would, only over fewer rows.
    spans = [((i % per_article) * 10, (i % per_article) * 10 + 1) for i in range(size)]
    chunks = [Chunk(f"a{i // per_article}#{i % per_article}", f"a{i // per_article}", texts[i % len(texts)],
                    0, 0, (spans[i],)) for i in range(size)]
    table = np.array([(i // per_article, *spans[i]) for i in range(size)], dtype=np.int64)
    index = Index({}, articles, chunks, [], dense, lexical, SentenceStore(vectors, table, list(articles)), folder)
    retriever = Retriever(index, None, settings)
    times: dict[str, list[float]] = {"dense": [], "lexical": [], "fusion": [], "retrieval": [], "filtered": []}
    only = Filters(publishers=(PUBLISHERS[0],))
    for vector, question in zip(queries, questions):
        t0 = time.perf_counter()
        dense.search(vector, settings.candidates)
        t1 = time.perf_counter()
        lexical.search(question, settings.candidates)
        t2 = time.perf_counter()
        stages: dict[str, float] = {}
        retriever.search(question, vector=vector, timings=stages)
        t3 = time.perf_counter()
        hits = retriever.search(question, vector=vector, filters=only)
        t4 = time.perf_counter()
        assert all(articles[h.chunk.article_id].publisher == PUBLISHERS[0] for h in hits)
        for name, seconds in (("dense", t1 - t0), ("lexical", t2 - t1), ("fusion", stages["fuse"]),
                              ("retrieval", t3 - t2), ("filtered", t4 - t3)):
            times[name].append(seconds * 1000)
    out = {"size": size, "index": "IVF-SQ8" if dense.approximate else "exact", "rss_mb": rss_mb(),
           "rss_file_mb": rss_mb("RssFile"),
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "recall10": None}
    if dense.approximate:  # after the memory readings: this reads every vector of the memory map
        truth = exact_top(vectors, queries, 10)
        found = [{row_of(i) for i, _ in dense.search(q, 10)} for q in queries]
        out["recall10"] = float(np.mean([len(f & t) / 10 for f, t in zip(found, truth)]))
    for name, values in times.items():
        out[f"{name}_p50"] = float(np.percentile(values, 50))
        out[f"{name}_p95"] = float(np.percentile(values, 95))
    return out


if __name__ == "__main__":
    phase, size, work, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    print(json.dumps((build_phase if phase == "build" else serve_phase)(size, work, folder)))
