"""FAISS next to Milvus (the real 2.3.5 standalone server, optionally Milvus Lite) at one or more corpus sizes,
in one run: ingest rate, query p50/p95 (one question at a time, k=10, with and without a filter), recall@10
against exact search, memory and disk of each.

Vectors (``--vectors gaussian``, the default) are drawn from a Gaussian with the mean and covariance of real
MiniLM sentence vectors (the seed index's sentences, plus the sentences of ``--fit``, a SQuAD-format file), then
normalised: the spread of real text in every direction, without near-duplicates. ``--vectors replicate`` repeats
the seed index's sentence vectors with Gaussian noise instead (sigma 0.01: clusters of near-twins). Questions
are the real embeddings of tests/data/questions.jsonl.

    python bench/milvus.py --index /tmp/qidx --size 100000 1000000 --fit SQUAD.json [--lite] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
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
from rag.eval.datasets import load_dataset  # noqa: E402
from rag.index.vector_store import StoreFilter, vector_store_kind  # noqa: E402
from rag.index.versions import load_index  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.text.sentences import sentence_spans  # noqa: E402

FILTER = StoreFilter(publishers=frozenset({"Northern Post"}))


def disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def gaussian(real: np.ndarray, size: int, shrink: float = 0.05, seed: int = 0) -> np.ndarray:
    """``size`` unit vectors from the Gaussian fitted to ``real`` (covariance shrunk a little towards its mean
    variance, as a few thousand samples only estimate 384 dimensions roughly).

    >>> v = gaussian(np.eye(4, dtype=np.float32), 3)
    >>> v.shape, bool(np.allclose(np.linalg.norm(v, axis=1), 1))
    ((3, 4), True)
    """
    mean = real.mean(axis=0)
    cov = np.cov(real, rowvar=False)
    cov = (1 - shrink) * cov + shrink * np.trace(cov) / len(cov) * np.eye(len(cov))
    root = np.linalg.cholesky(cov).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((size, real.shape[1]), dtype=np.float32)
    for begin in range(0, size, 100_000):
        end = min(size, begin + 100_000)
        block = mean + rng.standard_normal((end - begin, real.shape[1]), dtype=np.float32) @ root.T
        out[begin:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def fit_sentences(path: Path | None) -> list[str]:
    """The sentences of every document of a question set that brings its corpus (SQuAD, BEIR)."""
    if path is None:
        return []
    return [doc["text"][s:e] for doc in load_dataset(path).documents for s, e in sentence_spans(doc["text"])]


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> list[list[int]]:
    scores = vectors @ queries.T
    top = np.argpartition(-scores, k, axis=0)[:k].T
    return [[int(r) for r in row[np.argsort(-scores[row, i])]] for i, row in enumerate(top)]


def rss() -> int:
    """This process's resident memory now (the peak, ru_maxrss, would carry over from one size to the next)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


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


def index_built(store, rows: int, within: float = 3600) -> float:
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
    parser.add_argument("--size", type=int, nargs="+", default=[100_000])
    parser.add_argument("--vectors", choices=("gaussian", "replicate"), default="gaussian")
    parser.add_argument("--fit", type=Path, help="a SQuAD or BEIR set whose sentences the Gaussian is fitted to")
    parser.add_argument("--lite", action="store_true", help="also Milvus Lite (slow past ~300k rows)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ef", type=int, nargs="+", default=[64], help="HNSW search candidates to measure")
    parser.add_argument("--no-faiss", action="store_true")
    args = parser.parse_args()
    embedder = load_embedder("all-MiniLM-L6-v2")
    base = np.asarray(load_index(Settings(index_dir=args.index)).sentences.vectors, dtype=np.float32)
    if args.vectors == "gaussian":
        base = np.concatenate([base, embedder.embed(fit_sentences(args.fit))]) if args.fit else base
        print(f"Gaussian fitted to {len(base)} real sentence vectors", flush=True)
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/questions.jsonl").open()]
    queries = embedder.embed(questions)
    results = []
    for size in args.size:
        vectors = gaussian(base, size) if args.vectors == "gaussian" else replicate(base, size)
        results += one_size(args, vectors, queries, exact_top(vectors, queries))
        del vectors
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def one_size(args: argparse.Namespace, vectors: np.ndarray, queries: np.ndarray, truth: list[list[int]]) -> list:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "faiss").mkdir()
        if not args.no_faiss:
            before = rss()
            results.append(run("faiss", Settings(index_dir=tmp / "faiss"), vectors, queries, truth, tmp / "faiss",
                               lambda: rss() - before))
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
                found = search_only(f"milvus-server HNSW ef={ef}", store, queries, truth)
                results.append(found | {"rows": len(vectors)})
                print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
        if args.lite:
            (tmp / "lite").mkdir()
            settings = Settings(index_dir=tmp / "lite", vector_store="milvus", milvus_uri=str(tmp / "lite/milvus.db"))
            before = rss()
            results.append(run("milvus-lite HNSW", settings, vectors, queries, truth, tmp / "lite",
                               lambda: rss() - before))
    return results


if __name__ == "__main__":
    main()
