"""Ingest throughput of each embedding backend at a few passage lengths, interleaved in one process.

Rounds alternate the backends (torch, then each OpenVINO precision, then torch again...) so that load from
other processes hits them alike; the table shows medians and each backend's ratio to torch.
"""

from __future__ import annotations

import os
import random
import time

import numpy as np
import synthetic

from embeddings import load_embedder
from embeddings.openvino_embedder import load_tokenizer
from embeddings.sentence_transformer import model_path

PEAK_GFLOPS = 470.0  # measured fp32 peak of a 2-core Zen 5 (see README); this run also measures its own


def gflop(tokens: int, layers: int = 6, width: int = 384, ffn: int = 1536) -> float:
    """Multiply-adds x 2 of MiniLM on one passage: the dense layers plus attention scores and mixing.

    >>> round(gflop(256), 1)
    6.0
    """
    dense = 2 * tokens * (4 * width * width + 2 * width * ffn)
    attention = 2 * 2 * tokens * tokens * width
    return layers * (dense + attention) / 1e9


def sgemm_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This machine's fp32 matrix-multiply speed right now (numpy's BLAS, all cores)."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    a @ a
    started = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def passages_of(tokens: int, count: int, seed: int = 0) -> list[str]:
    """``count`` synthetic passages cut to ``tokens`` model tokens (special tokens included)."""
    tokenizer = load_tokenizer(model_path("all-MiniLM-L6-v2") / "tokenizer.json", tokens)
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        ids = tokenizer.encode(synthetic.passage(rng, tokens)).ids
        out.append(tokenizer.decode(ids[1:-1]))
    return out


def throughput(lengths: list[int], count: int, rounds: int, precisions: list[str], cache_dir) -> list[dict]:
    import torch

    embedders = {"torch": load_embedder("all-MiniLM-L6-v2", 16)}
    for precision in precisions:
        embedders[f"openvino-{precision}"] = load_embedder("all-MiniLM-L6-v2", 16, "openvino", precision,
                                                           cache_dir)
    tokenizer = load_tokenizer(model_path("all-MiniLM-L6-v2") / "tokenizer.json", 512)
    rows = []
    for length in lengths:
        texts = passages_of(length, count, seed=length)
        tokens = sum(len(e.ids) for e in tokenizer.encode_batch(texts))
        wall = {name: [] for name in embedders}
        cpu = {name: [] for name in embedders}
        vectors = {}
        for name, embedder in embedders.items():  # warm-up
            embedder.embed(texts[:16])
        for _ in range(rounds):
            for name, embedder in embedders.items():
                # torch gets every core for its own turn, and one thread while OpenVINO runs.
                torch.set_num_threads(os.cpu_count() if name == "torch" else 1)
                started, cpu_started = time.perf_counter(), time.process_time()
                vectors[name] = embedder.embed(texts)
                wall[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
        torch.set_num_threads(1)
        base_wall, base_cpu = np.median(wall["torch"]), np.median(cpu["torch"])
        for name in embedders:
            seconds = float(np.median(wall[name]))
            cosine = np.sum(vectors[name] * vectors["torch"], axis=1)
            rows.append({"tokens": length, "backend": name, "passages_s": count / seconds,
                         "tokens_s": tokens / seconds, "ratio": base_wall / seconds,
                         "ratio_cpu": base_cpu / float(np.median(cpu[name])),
                         "ceiling": count / seconds * gflop(length) / PEAK_GFLOPS,
                         "min_cosine": float(cosine.min())})
    return rows
