"""The chat under load (a shorter run of bench/load.py, against the test server) and under a burst larger than
its queue: nothing crosses between sessions, nothing fails, and what does not fit is told to retry."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from conftest import REPO, wait_for_queue
from gradio_client import Client

from rag.messages import render
from ui.guard import RETRY_AFTER


def bench_load():
    spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_twenty_sessions_at_once_keep_to_themselves(ui_server):
    """20 sessions ask their own questions and follow-ups at once for 10 s (bench/load.py runs 60 s against
    `rag serve`): no errors, every session answered, every answer and source panel its own."""
    load = bench_load()
    scripts = load.scripts(20)
    assert all(scripts) and len({q for s in scripts for q in s[::2]}) == sum(len(s[::2]) for s in scripts)
    summary = load.load(ui_server.url, 20, 10, lambda q, history: ui_server.service.ask(q, history).as_dict())
    print("\n" + load.table(summary))
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["min_per_session"] >= 1 and summary["answered"] >= 20


def busy_or_answer(client: Client, question: str):
    """The answer dict, or the HTTP response that turned the question away."""
    try:
        return client.predict(question, api_name="/ask")
    except httpx.HTTPStatusError as e:
        return e.response


def test_a_burst_beyond_the_queue_is_told_to_retry(small_queue):
    questions = ["Who invited the BMA to pay talks in 2023?", "What is full pay restoration?",
                 "What pay rise did the Government offer junior doctors?"] * 5
    clients = [Client(small_queue, verbose=False) for _ in questions]
    with ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(busy_or_answer, clients, questions))
    answered = [(q, r) for q, r in zip(questions, results) if isinstance(r, dict)]
    busy = [r for r in results if not isinstance(r, dict)]
    assert busy and answered, results
    for response in busy:
        assert response.status_code == 429
        assert response.json()["detail"] == render("UI_BUSY")
        assert response.headers["retry-after"] == str(RETRY_AFTER)
    for question, result in answered:
        assert result["question"] == question and not result["refused"] and result["citations"]
    assert wait_for_queue(small_queue, lambda waiting: waiting == 0)  # the burst has left the queue
    retried = Client(small_queue, verbose=False).predict(questions[0], api_name="/ask")  # the retry works
    assert "Barclay" in retried["answer"]
    print(f"burst of {len(questions)}: {len(answered)} answered, {len(busy)} told to retry")
