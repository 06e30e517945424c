"""Load: many chat sessions at once against a real `rag serve` on loopback, each checking its own answers.

    python bench/load.py [--sessions 20] [--seconds 60] [--port 7897]

Each session is its own gradio_client (its own browser-like session) and asks, through /chat, a sequence of
questions no other session asks, each followed by a follow-up that only makes sense with that session's
history. After every answer it checks that the chat it got back holds exactly its own questions; once the
run is over every answer is replayed through /ask with that session's own history, and must match: the same
answer text, and the sources panel showing exactly the cited articles. Any exception, busy reply, foreign
question or mismatch counts as an error. Prints one table: requests, errors, latency p50/p95/max (seconds,
question sent to full answer received) and throughput.

Works on a copy of corpus/ in a temporary folder; the repository's corpus and index are left alone.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
_SOURCE = re.compile(r'<h4><span class="num">\[(\d+)\]</span>(.*?)</h4>'
                     r'.*?<blockquote class="passage">(.*?)</blockquote>', re.DOTALL)
FOLLOW_UPS = ("What did they say next?", "Why was that?", "When did that happen?", "Who said so?")


def question_pool() -> list[str]:
    """Self-contained questions from the evaluation set (those that need no history)."""
    rows = [json.loads(line) for line in (REPO / "tests" / "data" / "questions.jsonl").read_text().splitlines()
            if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows if not r.get("history")))


def scripts(sessions: int) -> list[list[str]]:
    """Per session: its own questions (disjoint from every other session's), each with a follow-up."""
    pool = question_pool()
    if len(pool) < sessions:
        raise SystemExit(f"only {len(pool)} distinct questions for {sessions} sessions")
    out = []
    for i in range(sessions):
        own = pool[i::sessions]
        out.append([q for n, question in enumerate(own) for q in (question, FOLLOW_UPS[(i + n) % len(FOLLOW_UPS)])])
    return out


@dataclass
class Session:
    script: list[str]
    asked: list[str] = field(default_factory=list)
    shown: list[tuple[str, str]] = field(default_factory=list)  # (answer bubble HTML, sources panel HTML)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def run_session(url: str, session: Session, until: float) -> None:
    """Ask this session's questions in turn until ``until`` (time.monotonic), checking each reply's history."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as e:  # noqa: BLE001  (a load test counts every failure)
        session.errors.append(f"connect: {e}")
        return
    n = 0
    while time.monotonic() < until:
        question = session.script[n % len(session.script)]
        n += 1
        started = time.perf_counter()
        try:
            job = client.submit(question, [], [], "", "", 5, api_name="/chat")
            messages, _, _ = job.result()
            # later streamed updates leave the panel as it is: the latest one sent is what the page shows
            sources = next((out[1] for out in reversed(job.outputs()) if isinstance(out[1], str)), "")
        except Exception as e:  # noqa: BLE001
            session.errors.append(f"{question!r}: {type(e).__name__}: {e}")
            continue
        session.latencies.append(time.perf_counter() - started)
        session.asked.append(question)
        users = [text_of(part["text"]) for m in messages if m["role"] == "user" for part in m["content"]]
        if users != [" ".join(q.split()) for q in session.asked]:
            session.errors.append(f"history of another session, or lost: {users[-3:]} after {session.asked[-3:]}")
            return
        answer = " ".join(part["text"] for part in messages[-1]["content"])
        session.shown.append((answer, sources))


def replay(session: Session, ask: Callable[[str, list[dict]], dict]) -> None:
    """Ask every question again with this session's own history; what the chat showed must match."""
    history: list[dict] = []
    for question, (bubble, sources) in zip(session.asked, session.shown):
        expected = ask(question, history)
        if " ".join(expected["answer"].split()) not in text_of(bubble):
            session.errors.append(f"answer to {question!r} differs: {text_of(bubble)[:120]!r} "
                                  f"expected {expected['answer'][:120]!r}")
        newest = sources.rsplit('<div class="turn"', 1)[-1]  # the panel holds every answer's passages, in order
        panel = [(int(n), text_of(title), text_of(passage)) for n, title, passage in _SOURCE.findall(newest)]
        if panel != [(c["n"], " ".join(c["title"].split()), " ".join(c["text"].split()))
                     for c in expected["citations"]]:
            session.errors.append(f"sources shown for {question!r} are not this answer's")
        history += [{"role": "user", "content": expected["question"]},
                    {"role": "assistant", "content": expected["answer"]}]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else float("nan")


def load(url: str, sessions: int, seconds: float, ask: Callable[[str, list[dict]], dict]) -> dict:
    """Run ``sessions`` sessions for ``seconds`` against ``url``, then check them with ``ask``; a summary."""
    people = [Session(script) for script in scripts(sessions)]
    until = time.monotonic() + seconds
    started = time.perf_counter()
    threads = [threading.Thread(target=run_session, args=(url, s, until)) for s in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: replay(s, ask), people))
    latencies = [x for s in people for x in s.latencies]
    errors = [e for s in people for e in s.errors]
    return {"sessions": sessions, "seconds": round(elapsed, 1), "requests": len(latencies) + len(errors),
            "answered": len(latencies), "errors": len(errors), "error_samples": errors[:5],
            "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
            "max": max(latencies, default=float("nan")), "per_second": len(latencies) / elapsed,
            "min_per_session": min((len(s.latencies) for s in people), default=0)}


def table(summary: dict) -> str:
    rows = [("sessions at once", summary["sessions"]), ("duration (s)", summary["seconds"]),
            ("requests", summary["requests"]), ("answered and checked", summary["answered"]),
            ("errors", summary["errors"]), ("latency p50 (s)", f"{summary['p50']:.2f}"),
            ("latency p95 (s)", f"{summary['p95']:.2f}"), ("latency max (s)", f"{summary['max']:.2f}"),
            ("answers per second", f"{summary['per_second']:.2f}"),
            ("fewest answers in one session", summary["min_per_session"])]
    lines = ["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines + [f"error: {e}" for e in summary["error_samples"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=7897)
    args = parser.parse_args()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from gradio_client import Client
    from serve_latency import start, stop

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "corpus", root / "corpus")
        process, _ = start(root, args.port)
        url = f"http://127.0.0.1:{args.port}/"
        try:
            oracle = threading.local()

            def ask(question: str, history: list[dict]) -> dict:
                if not hasattr(oracle, "client"):
                    oracle.client = Client(url, verbose=False)
                return oracle.client.predict(question, history, {}, None, api_name="/ask")

            summary = load(url, args.sessions, args.seconds, ask)
        finally:
            stop(process)
    print(f"rag serve under load: {args.sessions} chat sessions for {args.seconds:g} s on loopback, "
          f"{os.cpu_count()} CPUs\n")
    print(table(summary))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
