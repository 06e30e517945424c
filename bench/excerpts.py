"""How often what the model reads holds the answer: gold in the quoted lines and in the excerpts, against the
tokens they cost.

    python bench/excerpts.py --index /tmp/qidx tests/data/questions.jsonl tests/data/heldout.jsonl
    python bench/excerpts.py ../shared/benchmarks/squad2-dev-5articles.json --sample 300 \\
        --vary llm_evidence_tokens=200,250,300

No model is loaded: the excerpts are what the model answerer would show (``rag.ask.evidence``, with the
settings of ``RAG_*`` and each value of ``--vary``). For every answerable question with gold strings it counts
whether the excerpts hold the gold (all of ``answers_all``, one of ``answers``) and whether the lines quoted
again before the question do (the model answers from those far more often than from the rest). It prints the
mean tokens of the user message (excerpts with their headings, the quoted lines and the question) as the
pipeline counts them, and the passages shown. A set that brings its documents (SQuAD) is indexed into the
evaluation cache first.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from embeddings import embedder_for
from rag.ask.assistant import Assistant
from rag.ask.generate import GenerativeAnswerer
from rag.eval.datasets import load_dataset
from rag.eval.evaluate import matches
from rag.eval.setup import index_documents
from rag.index.versions import load_index
from rag.settings import Settings


class _Unused:
    name = "local"  # excerpts and messages never call the model


def measure(assistant: Assistant, cases) -> tuple[float, float, int, float, float]:
    """(share of answerable questions whose excerpts hold the gold, share whose quoted lines do, how many, mean
    user tokens, mean passages)."""
    settings, index = assistant.settings, assistant.index
    writer = GenerativeAnswerer(_Unused(), assistant.extractive, assistant.retriever.embedder, settings)  # type: ignore[arg-type]
    held, quoted, tokens, passages = [], [], [], []
    for case in cases:
        query = assistant.query(case.question, list(case.history))
        hits = assistant.retrieve(query)
        ranked = writer.ranked(query, hits, index.articles)
        shown = writer.excerpts(query, hits, index.articles, ranked)
        lines = writer.focus(query, hits, shown, index.articles, ranked)
        tokens.append(writer.tokens(writer.messages(query, shown, index.articles, lines)[-1]["content"]))
        passages.append(len(shown))
        if not case.refuse and case.has_strings:
            held.append(matches(case, " ".join(e.text for e in shown)))
            quoted.append(matches(case, lines))
    return (statistics.mean(held), statistics.mean(quoted), len(held), statistics.mean(tokens),
            statistics.mean(passages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", type=Path, nargs="+", help="question files (JSON lines or SQuAD)")
    parser.add_argument("--index", type=Path, help="index for question files that bring no documents")
    parser.add_argument("--sample", type=int, help="questions drawn from each file (as `rag eval --sample`)")
    parser.add_argument("--vary", default="", metavar="SETTING=V1,V2",
                        help="one setting and the values to compare (default: the settings as they are)")
    args = parser.parse_args()
    base = Settings.from_env(index_dir=args.index, answerer="extractive")  # the excerpts need no model
    embedder = embedder_for(base)
    name, _, values = args.vary.partition("=")
    kind = type(getattr(base, name)) if name else str
    print(f"{'set':<28} {name or 'settings':>20} {'gold in excerpts':>17} {'in quoted lines':>15} "
          f"{'tokens':>7} {'passages':>8}")
    for path in args.questions:
        dataset = load_dataset(path)
        if args.sample:
            dataset = dataset.sample(args.sample)
        settings = index_documents(dataset.documents, base, embedder) if dataset.documents else base
        index = load_index(settings)
        for value in values.split(",") if name else ["as set"]:
            varied = settings.replace(**{name: kind(value)}) if name else settings
            share, quoted, n, tokens, passages = measure(Assistant(varied, index, embedder), dataset.cases)
            print(f"{path.name[:28]:<28} {value:>20} {share:>11.3f} ({n:>3}) {quoted:>15.3f} {tokens:>7.0f} "
                  f"{passages:>8.1f}")


if __name__ == "__main__":
    main()
