"""FAISS next to Milvus (the real 2.3.5 standalone server, optionally Milvus Lite) at one corpus size: ingest
rate, query p50/p95 (one question at a time, k=10, with and without a filter), recall@10 against exact search,
memory and disk of each.

Vectors are the seed index's real sentence vectors (MiniLM), repeated with Gaussian noise (sigma 0.01 per
dimension) up to ``--size``; questions are the real embeddings of tests/data/questions.jsonl.

    python bench/milvus.py --index /tmp/qidx --size 100000 [--lite] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from perf_scale import records, replicate, row_of  # noqa: E402

from embeddings import load_embedder  # noqa: E402
from rag.index.vector_store import StoreFilter, vector_store_kind  # noqa: E402
from rag.index.versions import load_index  # noqa: E402
from rag.settings import Settings  # noqa: E402

FILTER = StoreFilter(publishers=frozenset({"Northern Post"}))


def disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def group_rss(pgid: int) -> int:
    out = subprocess.run(["ps", "-o", "rss=", "-g", str(pgid)], capture_output=True, text=True, check=True).stdout
    return sum(int(x) for x in out.split()) * 1024


def run(name: str, settings: Settings, vectors: np.ndarray, queries: np.ndarray, truth: list[list[int]],
        folder: Path, memory, data: Path | None = None) -> dict:
    """``data``: where the store keeps its data, when not in ``folder`` (a server's data folder)."""
    rows = records(len(vectors))
    started = time.perf_counter()
    store = vector_store_kind(settings).create(vectors.shape[1], settings)
    for begin in range(0, len(vectors), 10_000):
        store.upsert(rows[begin: begin + 10_000], vectors[begin: begin + 10_000])
    store.save(folder)
    written = time.perf_counter() - started
    store = vector_store_kind(settings).open(folder, settings)  # as `load_index` does
    store.search(queries[0], 10)
    ready = time.perf_counter() - started
    result = {"store": name, "rows": len(vectors), "ingest_rows_per_s": round(len(vectors) / written),
              "seconds_to_first_answer": round(ready, 1)}
    if settings.vector_store == "milvus":
        result["seconds_to_index_built"] = round(index_built(store, len(vectors)) - started, 1)
    result.update(search_only(name, store, queries, truth))
    result["memory_mb"], result["disk_mb"] = round(memory() / 2**20), round(disk(data or folder) / 2**20, 1)
    print(json.dumps(result), flush=True)
    return result


def index_built(store, rows: int, within: float = 900) -> float:
    """When Milvus has indexed every row (until then it scans the unindexed ones whole, exact and slow):
    ``describe_index`` says "Finished" early, so the indexed row count is what is waited for."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        info = store._client.describe_index(store.collection, "vector")
        if int(info.get("indexed_rows", 0)) >= rows and not int(info.get("pending_index_rows", 0)):
            break
        time.sleep(1)
    return time.perf_counter()


def search_only(name: str, store, queries: np.ndarray, truth: list[list[int]]) -> dict:
    """Query p50/p95 in ms (one question at a time, k=10, without and with a filter) and recall@10."""
    result = {"store": name}
    for label, where in (("", None), ("_filtered", FILTER)):
        times, recall = [], []
        for q, exact in zip(queries, truth):
            t = time.perf_counter()
            found = store.search(q, 10, where)
            times.append(time.perf_counter() - t)
            if where is None:
                recall.append(len({row_of(i) for i, _ in found} & set(exact)) / 10)
        result[f"p50_ms{label}"] = round(1000 * float(np.percentile(times, 50)), 2)
        result[f"p95_ms{label}"] = round(1000 * float(np.percentile(times, 95)), 2)
        if recall:
            result["recall@10"] = round(float(np.mean(recall)), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of the seed corpus (rag ingest)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--lite", action="store_true", help="also Milvus Lite (slow past ~300k rows)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ef", type=int, nargs="+", default=[64], help="HNSW search candidates to measure")
    parser.add_argument("--no-faiss", action="store_true")
    args = parser.parse_args()
    index = load_index(Settings(index_dir=args.index))
    base = np.asarray(index.sentences.vectors, dtype=np.float32)
    vectors = replicate(base, args.size)
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/questions.jsonl").open()]
    queries = load_embedder("all-MiniLM-L6-v2").embed(questions)
    truth = [[int(r) for r in np.argsort(-(vectors @ q))[:10]] for q in queries]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "faiss").mkdir()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if not args.no_faiss:
            results.append(run("faiss", Settings(index_dir=tmp / "faiss"), vectors, queries, truth, tmp / "faiss",
                               lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before))
        from milvus_server import MilvusServer

        server = MilvusServer(tmp)
        try:
            (tmp / "server").mkdir()
            settings = Settings(index_dir=tmp / "server", vector_store="milvus", milvus_uri=server.uri,
                                milvus_ef=args.ef[0])
            results.append(run("milvus-server HNSW", settings, vectors, queries, truth, tmp / "server",
                               lambda: group_rss(server.process.pid), tmp / "milvus" / "data"))
            for ef in args.ef[1:]:  # the same collection searched with more candidates
                store = vector_store_kind(settings).open(tmp / "server", settings.replace(milvus_ef=ef))
                results.append(search_only(f"milvus-server HNSW ef={ef}", store, queries, truth))
                print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
        if args.lite:
            (tmp / "lite").mkdir()
            settings = Settings(index_dir=tmp / "lite", vector_store="milvus", milvus_uri=str(tmp / "lite/milvus.db"))
            results.append(run("milvus-lite HNSW", settings, vectors, queries, truth, tmp / "lite",
                               lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
