"""OpenVINO's fp32, bf16 and int8 MiniLM side by side on the seed corpus: passages/s, per CPU-second, cosine.

    python bench/embed_precisions.py FP32_FOLDER INT8_FOLDER [--threads 2,16]

FOLDERs are converted models (``model.xml``, ``model.bin``, ``tokenizer.json``) as ``embeddings.convert`` leaves
them under ``model_cache_dir`` (``all-minilm-l6-v2-<hash>-fp32`` and ``-int8``). Only OpenVINO, numpy,
``tokenizers`` and the project's own tokenizing are imported, so it also runs where torch's weights are not (an
fp16-compressed copy of the fp32 model stands in for it: OpenVINO expands it to fp32 when compiling). The
corpus is cut into consecutive passages of 190 words (~245 tokens), tokenized as the embedder does; each
precision embeds them in batches of 16, best of 3 rounds, with the ``INFERENCE_PRECISION_HINT`` the embedder
sets.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import openvino as ov

from embeddings.openvino_embedder import load_tokenizer, model_inputs

ROOT = Path(__file__).resolve().parent.parent


def inputs(folder: Path, words_per_passage: int = 190) -> dict[str, np.ndarray]:
    tokenizer = load_tokenizer(folder / "tokenizer.json", 256)  # as the embedder tokenizes
    words = " ".join(p.read_text() for p in sorted((ROOT / "corpus").glob("*.txt"))).split()
    passages = [" ".join(words[i: i + words_per_passage])
                for i in range(0, len(words) - words_per_passage, words_per_passage)]
    return model_inputs(tokenizer, passages)


def measure(xml: Path, hint: str, threads: int, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, float, float]:
    """(unit vectors, passages per second, passages per CPU-second)."""
    compiled = ov.Core().compile_model(str(xml), "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                         "PERFORMANCE_HINT": "LATENCY",
                                                         "INFERENCE_PRECISION_HINT": hint})
    request, n = compiled.create_infer_request(), len(feed["input_ids"])

    def embed() -> np.ndarray:
        out = [next(iter(request.infer({k: v[b: b + 16] for k, v in feed.items()}).values()))
               for b in range(0, n, 16)]
        return np.concatenate(out)

    vectors, rounds = embed(), []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        embed()
        rounds.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = min(rounds)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), n / wall, n / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fp32", type=Path, help="folder of the converted fp32 model")
    parser.add_argument("int8", type=Path, help="folder of the converted int8 model")
    parser.add_argument("--threads", default="2", help="thread counts, comma-separated")
    args = parser.parse_args()
    feed = inputs(args.fp32)
    print(f"{len(feed['input_ids'])} passages, {feed['attention_mask'].sum(1).mean():.0f} tokens each on average")
    print(f"{'threads':>7} {'precision':>9} {'passages/s':>10} {'per CPU-s':>9} {'min cosine':>10} {'mean':>6}")
    for threads in (int(t) for t in args.threads.split(",")):
        reference = None
        for name, xml, hint in (("fp32", args.fp32, "f32"), ("bf16", args.fp32, "bf16"), ("int8", args.int8, "f32")):
            vectors, rate, per_cpu = measure(xml / "model.xml", hint, threads, feed)
            reference = vectors if reference is None else reference
            cosine = (vectors * reference).sum(1)
            print(f"{threads:>7} {name:>9} {rate:>10.1f} {per_cpu:>9.2f} {cosine.min():>10.4f} {cosine.mean():>6.4f}")


if __name__ == "__main__":
    main()
