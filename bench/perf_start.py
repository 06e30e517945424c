"""Cold starts (`rag ask`, the chat server) per embedding backend, and re-ingest of an unchanged corpus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import synthetic

ROOT = Path(__file__).resolve().parent.parent
RAG = [sys.executable, "-m", "rag"]


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    out.update({f"RAG_{k.upper()}": v for k, v in extra.items()})
    return out


def ask_seconds(index: Path, backend: str, question: str) -> float:
    started = time.perf_counter()
    subprocess.run(RAG + ["ask", question, "--index", str(index)], env=env(embed_backend=backend), check=True,
                   capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def serve_seconds(index: Path, corpus: Path, backend: str, limit: float = 120) -> float:
    """From process start until the chat page answers HTTP 200."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    proc = subprocess.Popen(RAG + ["serve", "--port", str(port), "--index", str(index), "--corpus", str(corpus)],
                            env=env(embed_backend=backend, ui_stream_delay="0"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < limit:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        return float("nan")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def cold_starts(index: Path, corpus: Path, repeats: int) -> list[dict]:
    """Median seconds over ``repeats`` alternating runs of each backend (a warm-up run first)."""
    question = "What pay rise did the Government offer?"
    rows = []
    for what, measure in (("rag ask", lambda b: ask_seconds(index, b, question)),
                          ("chat server ready", lambda b: serve_seconds(index, corpus, b))):
        seconds: dict[str, list[float]] = {"openvino": [], "torch": []}
        for backend in seconds:
            measure(backend)  # warm-up: file cache, converted model
        for _ in range(repeats):
            for backend in seconds:
                seconds[backend].append(measure(backend))
        base = float(np.median(seconds["torch"]))
        for backend, values in seconds.items():
            rows.append({"what": what, "backend": backend, "seconds": float(np.median(values)),
                         "ratio": base / float(np.median(values))})
    return rows


class HashEmbedder:
    """Stand-in vectors for building the first index of the re-ingest benchmark (the timed run embeds
    nothing, so what the vectors are does not matter there)."""

    name = "all-MiniLM-L6-v2"
    dimension = 384
    backend = "hash"

    def embed(self, texts, progress=None):
        out = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dimension) for t in texts])
        if progress:
            progress(len(texts))
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def reingest(work: Path, articles: int) -> dict:
    """Seconds to re-ingest an unchanged corpus of ``articles`` articles: in-process, and as `rag ingest`
    minus the start-up of a `rag` process that does nothing."""
    from rag.index.ingest import ingest
    from rag.settings import Settings

    corpus = work / "reingest-corpus"
    corpus.mkdir(exist_ok=True)
    with open(corpus / "articles.jsonl", "w") as f:
        for row in synthetic.articles(articles, seed=7):
            f.write(json.dumps(row) + "\n")
    settings = Settings(index_dir=work / "reingest-index")
    first = ingest(corpus, settings, embedder=HashEmbedder())
    again = ingest(corpus, settings)
    assert again.unchanged and again.embedded == 0
    startup = min(_run(RAG + ["--help"]) for _ in range(3))
    cli = min(_run(RAG + ["ingest", str(corpus), "--index", str(settings.index_dir)]) for _ in range(3))
    return {"articles": articles, "passages": first.chunks, "in_process_s": again.seconds,
            "cli_s": cli, "startup_s": startup, "beyond_startup_s": cli - startup}


def _run(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env(), check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started
