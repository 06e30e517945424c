"""How fast the local model answers: prompt tokens per second, time to the first streamed word, whole answer.

    python bench/model_speed.py --index /tmp/qidx [--questions tests/data/questions.jsonl] [-n 12]

Loads the model once and warms it (as `rag serve` does), then answers the first N answerable questions of the
file with the local answerer and prints, per question and as medians: prompt tokens (as the model counts
them), whether the block of passages it read was kept from an earlier question or read now, seconds to the
first streamed word and to the checked answer (the instructions kept computed between questions, as in the
chat), and the rate at which the model reads a whole prompt from nothing. Medians are given for all questions
and for those whose block was kept. Run it on a quiet machine: it measures wall-clock time.
"""

from __future__ import annotations

import statistics
import time

from question_args import answerable, arguments
from rag.ask.assistant import Assistant
from rag.settings import Settings
from rag.types import Answer


def main() -> None:
    args = arguments(__doc__, 12)
    assistant = Assistant.open(Settings.from_env(index_dir=args.index, answerer="local"))
    started = time.perf_counter()
    assistant.warm()
    print(f"model loaded and instructions computed in {time.perf_counter() - started:.1f} s")
    llama, lock, template, kept = assistant.answerer.model.model()
    questions = [c.question for c in answerable(args, follow_ups=False)]
    rows = []
    print(f"{'prompt':>6} {'block':>5} {'1st word s':>10} {'answer s':>8} {'reading tok/s':>13}  question")
    for question in questions:
        query = assistant.query(question)
        hits = assistant.retrieve(query)
        states = len(kept)
        began = time.perf_counter()
        first = total = None
        for piece in assistant.answerer.stream(query, hits, assistant.index.articles):
            now = time.perf_counter() - began
            if isinstance(piece, str) and first is None:
                first = now
            if isinstance(piece, Answer):
                total = now
        # The reading rate on its own: the whole prompt, nothing cached, one token written.
        shown = assistant.answerer.excerpts(query, hits, assistant.index.articles)
        prompt = template(assistant.answerer.messages(query, shown, assistant.index.articles))
        tokens = len(llama.tokenize(prompt.encode(), special=True))
        with lock:
            llama.reset()
            read = time.perf_counter()
            llama.create_completion(prompt, max_tokens=1, temperature=0.0)
            rate = tokens / (time.perf_counter() - read)
        keeps = assistant.answerer.kept(query, shown, assistant.index.articles)
        block = "read" if len(kept) > states else "kept" if keeps else "-"
        rows.append((tokens, first, total, rate, block))
        shown_first = f"{first:.2f}" if first is not None else "-"
        print(f"{tokens:>6} {block:>5} {shown_first:>10} {total:>8.2f} {rate:>13.1f}  {question[:60]}")
    assistant.warm()  # leave the instructions computed, as between questions
    for name, chosen in (("all", rows), ("block kept", [r for r in rows if r[4] == "kept"])):
        if not chosen:
            continue
        firsts = [r[1] for r in chosen if r[1] is not None]
        print(f"median of {len(chosen)} ({name}): first word "
              f"{statistics.median(firsts) if firsts else float('nan'):.2f} s, answer "
              f"{statistics.median(r[2] for r in chosen):.2f} s, reading {statistics.median(r[3] for r in chosen):.1f} "
              f"tokens/s, prompt {statistics.median(r[0] for r in chosen)} tokens")


if __name__ == "__main__":
    main()
