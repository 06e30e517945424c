"""Question latency while an article is added from the chat: /ask asked continuously before and during an add.

    python bench/add_latency.py [--sizes 300000,1500000] [--idle 20]

The chat is served in this process, as `rag serve` does (the model from ``embedder_for``, a copy of corpus/ in
a temporary folder), and questions go over HTTP through gradio_client's /ask, one after another. For each size a
news-like article (bench/synthetic.py) is added the way the Articles tab adds it (``Service.add``) while the
questions continue. Prints one table: median, p95 and max seconds of the questions asked before the add (idle)
and during it, the add's own time, and the load average. Answers are the quoted ones (``RAG_ANSWERER``
unset means ``extractive`` here): a model's answer takes seconds of its own and would hide the wait.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
QUESTION = "Who invited the BMA to pay talks in 2023?"


def article_text(size: int, seed: int = 7) -> str:
    """About ``size`` characters of news-like paragraphs."""
    from synthetic import passage

    rng = random.Random(seed)
    paragraphs = ["Regional report on public services."]
    while sum(len(p) + 2 for p in paragraphs) < size:
        paragraphs.append(passage(rng, 90))
    return "\n\n".join(paragraphs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else float("nan")


def asking(client, until: threading.Event | float) -> list[float]:
    """Seconds of each /ask, asked one after another until the event is set or the time is reached."""
    times = []
    while not (until.is_set() if isinstance(until, threading.Event) else time.monotonic() >= until):
        started = time.perf_counter()
        client.predict(QUESTION, api_name="/ask")
        times.append(time.perf_counter() - started)
    return times


def measure(service, client, size: int, idle_seconds: float) -> dict:
    from ui.articles import Draft

    idle = asking(client, time.monotonic() + idle_seconds)
    text, done, result = article_text(size), threading.Event(), {}

    def add() -> None:
        started = time.perf_counter()
        try:
            result["article"] = service.add(Draft(text=text, title=f"Regional report {size}"))[0]
        finally:
            result["seconds"] = time.perf_counter() - started
            done.set()

    load_before = os.getloadavg()[0]
    worker = threading.Thread(target=add)
    worker.start()
    busy = asking(client, done)
    worker.join()
    load_after = os.getloadavg()[0]
    service.remove(result["article"].id)
    return {"size": len(text.encode()), "idle": idle, "busy": busy, "add": result["seconds"],
            "load": (load_before, load_after)}


def table(rows: list[dict]) -> str:
    lines = ["| article | add (s) | questions idle / during | idle median / p95 (s) | during median / p95 / max (s) "
             "| load avg before / after |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        idle, busy = r["idle"], r["busy"]
        lines.append(f"| {r['size'] / 1000:.0f} KB | {r['add']:.1f} | {len(idle)} / {len(busy)} | "
                     f"{percentile(idle, .5):.3f} / {percentile(idle, .95):.3f} | "
                     f"{percentile(busy, .5):.3f} / {percentile(busy, .95):.3f} / {max(busy, default=0):.3f} "
                     f"| {r['load'][0]:.1f} / {r['load'][1]:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300000,1500000", help="article sizes in bytes, comma-separated")
    parser.add_argument("--idle", type=float, default=20, help="seconds of questions before each add")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RAG_ANSWERER", "extractive")
    sys.path.insert(0, str(REPO))
    from gradio_client import Client

    from rag.settings import Settings
    from ui.server import launch
    from ui.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "corpus", root / "corpus")
        settings = Settings.from_env(corpus_dir=root / "corpus", index_dir=root / "index")
        service, _ = Service.start(settings)
        demo, url = launch(service, "127.0.0.1", free_port())
        try:
            client = Client(url, verbose=False)
            rows = [measure(service, client, int(size), args.idle) for size in args.sizes.split(",")]
        finally:
            demo.close()
    print(f"/ask latency while an article is added, {os.cpu_count()} CPUs, embedder {service.embedder.backend}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
