"""Ingest throughput of each embedding backend at a few passage lengths, interleaved in one process.

Rounds alternate the backends (torch, then each OpenVINO precision, then torch again...) so that load from
other processes hits them alike; the table shows medians and each backend's ratio to torch.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import synthetic

from embeddings import load_embedder
from embeddings.openvino_embedder import load_tokenizer
from embeddings.sentence_transformer import model_path

ROOT = Path(__file__).resolve().parent.parent
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


SQUAD = ROOT / ".." / "shared" / "benchmarks" / "squad2-dev-5articles.json"


def real_passages(tokens: int = 256, squad: Path = SQUAD) -> list[str]:
    """The seed corpus's articles and the SQuAD benchmark's documents cut into consecutive ``tokens``-token
    passages (model tokens, special tokens included): the test text of int8 accuracy, never calibrated on."""
    from rag.eval.datasets import load_dataset
    from rag.text.load import load_corpus

    documents = [a.text for a in load_corpus(ROOT / "corpus")[0]]
    if squad.is_file():
        documents += [d["text"] for d in load_dataset(squad).documents]
    tokenizer = load_tokenizer(model_path("all-MiniLM-L6-v2") / "tokenizer.json", 1 << 20)
    out = []
    for document in documents:
        ids = tokenizer.encode(document).ids[1:-1]
        out += [tokenizer.decode(ids[i:i + tokens - 2]) for i in range(0, len(ids), tokens - 2)]
    return out


def agreement(vectors: np.ndarray, reference: np.ndarray) -> dict:
    """Cosine of each vector to its reference (both unit length): min, 1st percentile and mean.

    >>> agreement(np.eye(2, dtype=np.float32), np.eye(2, dtype=np.float32))["min"]
    1.0
    """
    cosine = np.sum(vectors * reference, axis=1)
    return {"min": float(cosine.min()), "p1": float(np.percentile(cosine, 1)), "mean": float(cosine.mean())}


def quantized(recipe: dict, cache_dir: Path, samples: list[dict] | None = None):
    """The fp32 model quantized by NNCF with the shipped recipe's options updated by ``recipe``."""
    import nncf
    import openvino as ov

    from embeddings.convert import calibration_samples, converted, int8_recipe, max_tokens

    source = model_path("all-MiniLM-L6-v2")
    folder = converted(source, "all-MiniLM-L6-v2", "fp32", cache_dir)
    samples = samples or calibration_samples(folder / "tokenizer.json", max_tokens(source))
    graph = ov.Core().read_model(folder / "model.xml")
    return nncf.quantize(graph, nncf.Dataset(samples), subset_size=len(samples), **{**int8_recipe(nncf), **recipe})


def embed_with(model, texts: list[str], threads: int, batch_size: int = 16) -> tuple[np.ndarray, float, float]:
    """Vectors of ``texts`` by an OpenVINO model (fp32 inference hint), with the wall and CPU seconds taken."""
    import openvino as ov

    from embeddings.openvino_embedder import model_inputs

    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                      "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
    tokenizer = load_tokenizer(model_path("all-MiniLM-L6-v2") / "tokenizer.json", 256)
    out = np.zeros((len(texts), int(compiled.output(0).get_partial_shape()[1].get_length())), dtype=np.float32)
    started, cpu_started = time.perf_counter(), time.process_time()
    for begin in range(0, len(texts), batch_size):
        out[begin:begin + batch_size] = compiled(model_inputs(tokenizer, texts[begin:begin + batch_size]))[0]
    return out, time.perf_counter() - started, time.process_time() - cpu_started


def retrieval(precision: str, cache_dir: Path, root: Path, squad: Path = SQUAD, sample: int | None = None) -> dict:
    """`rag eval` of the SQuAD benchmark (extractive answerer) on its documents indexed at ``precision``;
    questions are embedded at fp32 as always. `rag eval` itself indexes with the question embedder (fp32)."""
    from rag.eval.datasets import load_dataset
    from rag.eval.evaluate import evaluate_all
    from rag.eval.setup import assistants, configurations, index_documents
    from rag.index.versions import load_index
    from rag.settings import Settings

    settings = Settings.from_env(model_cache_dir=cache_dir)
    dataset = load_dataset(squad)
    ingest_embedder = load_embedder(settings.model, settings.embed_batch, "openvino", precision, cache_dir)
    settings = index_documents(dataset.documents, settings, ingest_embedder, root=root / precision)
    query_embedder = load_embedder(settings.model, settings.embed_batch, "openvino", "fp32", cache_dir)
    cases = random.Random(0).sample(dataset.cases, sample) if sample else dataset.cases
    configs = configurations(settings, False, ("extractive",))
    reports = evaluate_all(assistants(configs, load_index(settings), query_embedder), cases)
    summary = next(iter(reports.values())).summary()
    return {"precision": precision, "backend": ingest_embedder.backend, "questions": len(cases),
            **{k: summary[k] for k in ("hit@1", "hit@5", "grounded")}}


def int8_recipes(nncf) -> dict[str, dict]:
    """Alternatives to the shipped int8 recipe, as changes to it (measured in the README's table)."""
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters as Advanced
    from nncf.quantization.advanced_parameters import AdvancedSmoothQuantParameters as Smooth
    from nncf.quantization.advanced_parameters import OverflowFix

    every_layer = {"ignored_scope": None}

    def advanced(**options) -> dict:
        return {**every_layer, "advanced_parameters": Advanced(**options)}

    return {"all MatMuls int8 (before)": every_layer,
            "all int8, SmoothQuant off": advanced(smooth_quant_alphas=Smooth(matmul=-1)),
            "all int8, SmoothQuant alpha 0.5": advanced(smooth_quant_alphas=Smooth(matmul=0.5)),
            "all int8, 7-bit weights (overflow fix)": advanced(overflow_fix=OverflowFix.ENABLE),
            "all int8, accurate bias correction": {**every_layer, "fast_bias_correction": False},
            "all int8 but the last layer": {"ignored_scope": nncf.IgnoredScope(patterns=[r".*\.layer\.5\..*"])},
            "feed-forward outputs fp32 (shipped)": {}}


def main() -> None:
    """``python bench/perf_embed.py [--retrieval]``: int8 recipes' agreement with torch on real text, and with
    ``--retrieval`` SQuAD hit@k and grounded answers with the benchmark indexed at fp32 and at int8."""
    import argparse
    import json
    import tempfile

    import nncf

    from rag.settings import Settings

    p = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    p.add_argument("--retrieval", action="store_true")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    cache = Settings.from_env().model_cache_dir
    texts = real_passages(256)
    reference = load_embedder("all-MiniLM-L6-v2", 16).embed(texts)
    print(f"{len(texts)} passages of 256 tokens (seed corpus and SQuAD documents)\n")
    print("| int8 recipe | min cosine | p1 | mean | embed s (wall) | embed s (CPU) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, recipe in int8_recipes(nncf).items():
        vectors, wall, cpu = embed_with(quantized(recipe, cache), texts, args.threads)
        a = agreement(vectors, reference)
        print(f"| {name} | {a['min']:.4f} | {a['p1']:.4f} | {a['mean']:.4f} | {wall:.1f} | {cpu:.1f} |", flush=True)
    if args.retrieval:
        root = Path(tempfile.mkdtemp(prefix="rag-int8-eval-"))
        for precision in ("fp32", "int8"):
            print(json.dumps(retrieval(precision, cache, root)), flush=True)


if __name__ == "__main__":
    main()
