"""How long checking an answer's citations takes: passage sentences embedded again, or read from the index.

    python bench/check_speed.py --index /tmp/qidx [--questions tests/data/questions.jsonl] [-n 20]

No language model is loaded. For each of the first N answerable questions, the answer checked is what a model
answer looks like: the two best passage sentences of the retrieved passages, each cited to its passage, with
the question's retrieval as the pipeline runs it. Each is checked (``rag.ask.check.Checker``, with re-citing,
as the model answerer checks) by a checker that embeds every sentence of the cited passages again and by one
that reads their vectors from the index's sentence store (what ``rag ask`` and the chat do), in turn, best of
3; the table shows milliseconds per check (p50 / p95) and whether both judged every sentence alike.
"""

from __future__ import annotations

import statistics
import time

from question_args import answerable, arguments
from rag.ask.assistant import Assistant
from rag.ask.check import Checker
from rag.settings import Settings


def main() -> None:
    args = arguments(__doc__, 20)
    assistant = Assistant.open(Settings.from_env(index_dir=args.index, answerer="extractive"))
    embedder, settings, articles = assistant.retriever.embedder, assistant.settings, assistant.index.articles
    checkers = {"embedded again": Checker(embedder, settings),
                "from the index": Checker(embedder, settings, assistant.index.sentences)}
    times: dict[str, list[float]] = {name: [] for name in checkers}
    alike = 0
    cases = answerable(args)
    for case in cases:
        query = assistant.query(case.question, list(case.history))
        hits = assistant.retrieve(query)
        best = assistant.extractive.ranked(query, hits, articles)[:2]
        text = " ".join(f"{c.text.rstrip('.')} [{c.hit_rank + 1}]." for c in best)
        results = {}
        for name, checker in checkers.items():
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                results[name] = checker.check(text, hits, articles, recite=True, question=query.text)
                runs.append(time.perf_counter() - started)
            times[name].append(min(runs) * 1000)
        first, second = results.values()
        alike += (first.unsupported, first.cited, first.quotes) == (second.unsupported, second.cited, second.quotes)
    print(f"{'passage sentence vectors':<26} {'ms per check p50 / p95':>24}")
    for name, ms in times.items():
        p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) > 1 else ms[0]
        print(f"{name:<26} {statistics.median(ms):>12.1f} / {p95:<9.1f}")
    print(f"same judgements: {alike} of {len(cases)} answers")


if __name__ == "__main__":
    main()
