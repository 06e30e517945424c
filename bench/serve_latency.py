"""How quickly the chat starts and answers: `rag serve` launch to ready, then time to the first streamed
sentence and to the full answer, measured from outside the way a browser sees them (through /chat).

    python bench/serve_latency.py [--runs 5] [--port 7899]

Works on a copy of corpus/ in a temporary folder; the repository's corpus and index are left alone.
Prints one table; every time is wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "What pay rise did the Government offer junior doctors?",
    "How many operations were rescheduled during the first strike?",
    "Who invited the BMA to pay talks in 2023?",
    "How long was the strike in March 2023?",
    "What is the weather in Paris?",  # a refusal
]


def wait_ready(url: str, process: subprocess.Popen, limit: float = 300) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise SystemExit(f"rag serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter()
        except OSError:
            time.sleep(0.05)
    raise SystemExit("rag serve did not answer in time")


def start(root: Path, port: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    launched = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port), "--index",
                                str(root / "index"), "--corpus", str(root / "corpus")],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = wait_ready(f"http://127.0.0.1:{port}/", process)
    return process, ready - launched


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def ask(client, question: str) -> tuple[float, float]:
    """(seconds to the first answer sentence on screen, seconds to the whole answer) for one question."""
    started = time.perf_counter()
    job = client.submit(question, [], [], "", "", 5, api_name="/chat")
    first = None
    for messages, *_ in job:
        if first is None and messages and messages[-1]["role"] == "assistant":
            first = time.perf_counter() - started
    job.result()
    return first if first is not None else float("nan"), time.perf_counter() - started


def row(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return (f"| {name:<44} | {len(values):>3} | {statistics.median(values):>7.3f} | {p90:>7.3f} | "
            f"{values[0]:>7.3f} | {values[-1]:>7.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="times each question is asked")
    parser.add_argument("--port", type=int, default=7899)
    args = parser.parse_args()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "corpus", root / "corpus")
        process, cold = start(root, args.port)  # no index yet: model load + full ingest + launch
        stop(process)
        process, warm = start(root, args.port)  # index up to date: model load + check + launch
        try:
            client = Client(f"http://127.0.0.1:{args.port}/", verbose=False)
            first_question = ask(client, QUESTIONS[0])
            firsts, fulls = [], []
            for _ in range(args.runs):
                for question in QUESTIONS:
                    first, full = ask(client, question)
                    firsts.append(first)
                    fulls.append(full)
        finally:
            stop(process)
    print(f"rag serve latency, {os.cpu_count()} CPUs, {len(QUESTIONS)} questions x {args.runs} runs (seconds)\n")
    print("| measure                                      |   n |  median |     p90 |     min |     max |")
    print("|----------------------------------------------|-----|---------|---------|---------|---------|")
    print(row("launch -> ready, no index yet (full ingest)", [cold]))
    print(row("launch -> ready, index up to date", [warm]))
    print(row("first question after start: first sentence", [first_question[0]]))
    print(row("first question after start: full answer", [first_question[1]]))
    print(row("first streamed sentence", firsts))
    print(row("full answer", fulls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
