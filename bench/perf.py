"""Speed at every size: ingest throughput per embedding backend, query latency per stage, cold starts,
re-ingest, memory and disk, from 1k to 1M passages. Prints markdown tables and writes a chart.

    python bench/perf.py --quick              # a few minutes: 1k-100k passages, short runs
    python bench/perf.py                      # 1k, 10k, 100k and 1M passages (run it alone; ~20 min)

Every speed-up is a ratio to the plain torch path measured in the same run, with the backends
interleaved, because other work on a shared machine makes absolute times drift. The corpus is synthetic
(bench/synthetic.py); see perf_scale.py for what is replicated at large sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import perf_embed
import perf_start
import synthetic

from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes and short runs (a few minutes)")
    p.add_argument("--sizes", help="comma-separated corpus sizes in passages")
    p.add_argument("--png", type=Path, default=ROOT / "docs" / "perf.png", help="where to write the chart")
    p.add_argument("--json", type=Path, help="also write every number here")
    args = p.parse_args()
    quick = args.quick
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else \
        ([1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000])
    work = Path(tempfile.mkdtemp(prefix="rag-perf-"))
    cache = Settings.from_env().model_cache_dir
    results: dict = {"machine": _machine(), "command": " ".join(["python", "bench/perf.py"] + sys.argv[1:])}

    print(f"# {results['command']}\n\nmachine: {results['machine']}\n", flush=True)
    results["sgemm_gflops"] = perf_embed.sgemm_gflops()
    results["ingest"] = perf_embed.throughput([64, 256] if quick else [64, 128, 256], 32 if quick else 64,
                                              2 if quick else 3, ["fp32", "int8"], cache)
    print(_ingest_table(results["ingest"], results["sgemm_gflops"]), flush=True)

    seed_index = work / "seed-index"
    results["stages"] = _seed_stages(seed_index, 20 if quick else 56)
    results["corpus"] = _corpus(work, 300 if quick else 1000, 50 if quick else 100)
    results["scale"] = [_scale(size, work) for size in sizes]
    print(_query_table(results["stages"], results["corpus"]["embed_ms"], results["scale"]), flush=True)

    results["cold"] = perf_start.cold_starts(seed_index, ROOT / "corpus", 1 if quick else 3)
    results["reingest"] = perf_start.reingest(work, 1000)
    print(_start_table(results["cold"], results["reingest"]), flush=True)
    _plot(results, args.png)
    print(f"chart: {args.png}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _machine() -> str:
    name = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")), "unknown CPU")
    return f"{name}, {os.cpu_count()} cores"


def _seed_stages(index: Path, count: int) -> dict:
    """Per-stage query times on the seed corpus through the public API (the answer stage included)."""
    from rag.ask.assistant import Assistant
    from rag.index.ingest import ingest
    from rag.settings import Settings

    settings = Settings(index_dir=index)
    ingest(ROOT / "corpus", settings)
    assistant = Assistant.open(settings)
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/questions.jsonl").open()][:count]
    times: dict[str, list[float]] = {"embed query": [], "retrieve": [], "answer": [], "total": []}
    assistant.ask(questions[0])  # warm-up
    for question in questions:
        t0 = time.perf_counter()
        query = assistant.query(question)
        t1 = time.perf_counter()
        hits = assistant.retrieve(query)
        t2 = time.perf_counter()
        assistant.answerer.answer(query, hits, assistant.index.articles)
        t3 = time.perf_counter()
        for name, seconds in (("embed query", t1 - t0), ("retrieve", t2 - t1), ("answer", t3 - t2),
                              ("total", t3 - t0)):
            times[name].append(seconds * 1000)
    return {name: (float(np.percentile(v, 50)), float(np.percentile(v, 95))) for name, v in times.items()}


def _corpus(work: Path, real: int, queries: int) -> dict:
    """Embed ``real`` synthetic passages (ingest backend) and ``queries`` questions (query encoder, timed)."""
    import random

    from embeddings import embedder_for
    from rag.settings import Settings

    rng = random.Random(3)
    texts = [synthetic.passage(rng, 135) for _ in range(real)]  # about 180 tokens, the chunk size
    settings = Settings()
    started = time.perf_counter()
    np.save(work / "base.npy", embedder_for(settings, ingest=True).embed(texts))
    embed_s = time.perf_counter() - started
    encoder = embedder_for(settings)
    questions = [synthetic.question(rng, rng.choice(texts)) for _ in range(queries)]
    vectors, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        vectors.append(encoder.embed([q])[0])
        times.append((time.perf_counter() - t0) * 1000)
    np.save(work / "queries.npy", np.stack(vectors))
    (work / "texts.json").write_text(json.dumps(texts))
    (work / "questions.json").write_text(json.dumps(questions))
    return {"real": real, "embed_s": embed_s, "queries": queries,
            "embed_ms": (float(np.percentile(times, 50)), float(np.percentile(times, 95)))}


def _scale(size: int, work: Path) -> dict:
    folder = work / f"size-{size}"
    folder.mkdir()
    out = {}
    for phase in ("build", "serve"):
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("perf_scale.py")), phase, str(size),
                               str(work), str(folder)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"perf_scale {phase} {size} failed:\n{done.stderr[-3000:]}")
        out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    subprocess.run(["rm", "-rf", str(folder)])
    print(f"  {size:,} passages: {out['index']}, retrieval p50 {out['retrieval_p50']:.1f} ms", file=sys.stderr)
    return out


def _ingest_table(rows: list[dict], sgemm: float) -> str:
    lines = ["## Ingest throughput (batch 16, all cores; median of interleaved rounds)", "",
             "| tokens | backend | passages/s | tokens/s | x torch (wall) | x torch (CPU time) | "
             "share of fp32 ceiling | min cosine to torch |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['tokens']} | {r['backend']} | {r['passages_s']:.1f} | {r['tokens_s']:,.0f} | "
                     f"{r['ratio']:.2f} | {r['ratio_cpu']:.2f} | {r['ceiling']:.1%} | {r['min_cosine']:.5f} |")
    lines += ["", f"Ceiling: {perf_embed.PEAK_GFLOPS:.0f} GFLOP/s fp32 (2-core Zen 5 figure); numpy sgemm "
              f"measured now: {sgemm:.0f} GFLOP/s. MiniLM: {perf_embed.gflop(256):.1f} GFLOP per 256-token "
              "passage.", ""]
    return "\n".join(lines)


def _query_table(stages: dict, embed_ms: tuple, scale: list[dict]) -> str:
    lines = ["## Query latency per stage, ms (p50 / p95)", "",
             "Seed corpus (5 articles), through `Assistant`: " +
             ", ".join(f"{k} {a:.1f} / {b:.1f}" for k, (a, b) in stages.items()) +
             f". Query encoder on synthetic questions: {embed_ms[0]:.1f} / {embed_ms[1]:.1f}.", "",
             "| passages | dense index | dense | lexical | fusion | retrieval (all three) | with a filter | "
             "recall@10 vs exact | build s | disk MB | serving RSS MB (of it mapped files) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in scale:
        def pair(name: str) -> str:
            return f"{r[name + '_p50']:.1f} / {r[name + '_p95']:.1f}"
        recall = "exact" if r["recall10"] is None else f"{r['recall10']:.3f}"
        lines.append(f"| {r['size']:,} | {r['index']} | {pair('dense')} | {pair('lexical')} | {pair('fusion')} | "
                     f"{pair('retrieval')} | {pair('filtered')} | {recall} | {r['build_s']:.0f} | "
                     f"{r['disk_mb']:,.0f} | {r['rss_mb']:,.0f} ({r['rss_file_mb']:,.0f}) |")
    return "\n".join(lines + [""])


def _start_table(cold: list[dict], reingest: dict) -> str:
    lines = ["## Cold start and re-ingest", "", "| what | backend | seconds (median) | x torch |",
             "| --- | --- | --- | --- |"]
    for r in cold:
        lines.append(f"| {r['what']} | {r['backend']} | {r['seconds']:.2f} | {r['ratio']:.2f} |")
    lines += ["", f"Re-ingest of an unchanged corpus of {reingest['articles']:,} articles "
              f"({reingest['passages']:,} passages): {reingest['in_process_s']:.2f} s in process; "
              f"`rag ingest` {reingest['cli_s']:.2f} s, of which start-up {reingest['startup_s']:.2f} s "
              f"(so {reingest['beyond_startup_s']:.2f} s beyond start-up).", ""]
    return "\n".join(lines)


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2))
    rows = results["ingest"]
    lengths = sorted({r["tokens"] for r in rows})
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    width = 0.8 / len(backends)
    for i, backend in enumerate(backends):
        values = [next(r["passages_s"] for r in rows if r["tokens"] == n and r["backend"] == backend)
                  for n in lengths]
        a.bar(np.arange(len(lengths)) + i * width, values, width, label=backend)
    a.set_xticks(np.arange(len(lengths)) + width * (len(backends) - 1) / 2, [f"{n} tokens" for n in lengths])
    a.set_ylabel("passages / s")
    a.set_title("Ingest throughput")
    a.legend()
    scale = results["scale"]
    sizes = [r["size"] for r in scale]
    for name in ("dense", "lexical", "retrieval"):
        b.plot(sizes, [r[f"{name}_p50"] for r in scale], marker="o", label=name)
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("passages")
    b.set_ylabel("p50 ms")
    b.set_title("Query latency by corpus size")
    b.legend()
    cold = results["cold"]
    labels = [f"{r['what']}\n{r['backend']}" for r in cold]
    c.bar(range(len(cold)), [r["seconds"] for r in cold], color=["C0", "C1"] * (len(cold) // 2))
    c.set_xticks(range(len(cold)), labels, fontsize=8)
    c.set_ylabel("seconds")
    c.set_title("Cold start")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
