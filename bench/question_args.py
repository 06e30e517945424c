"""What the benchmarks that ask questions of an index share: their arguments (an index, a question file, how many
of its questions; or question files and an answerer) and the answerable questions they ask, read as ``rag eval``
reads them."""

from __future__ import annotations

import argparse
from pathlib import Path

from embeddings import embedder_for
from rag.ask.assistant import Assistant
from rag.eval.evaluate import Case, read_cases
from rag.index.versions import load_index
from rag.settings import Settings


def arguments(doc: str, n: int) -> argparse.Namespace:
    """``--index DIR [--questions FILE] [-n N]``, described by the first line of the benchmark's ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=Path("tests/data/questions.jsonl"))
    parser.add_argument("-n", type=int, default=n, help="questions to ask")
    return parser.parse_args()


def answerable(args: argparse.Namespace, follow_ups: bool = True) -> list[Case]:
    """The first ``args.n`` questions of ``args.questions`` that the articles answer (follow-ups too, or not)."""
    return [c for c in read_cases(args.questions) if not c.refuse and (follow_ups or not c.history)][: args.n]


def question_files(doc: str) -> tuple[list[Path], Assistant]:
    """``FILE... [--index DIR] [--answerer NAME]``: the question files, and an assistant over the index answering
    with that answerer (the quoted one by default), described by the first line of the benchmark's ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("questions", type=Path, nargs="+", help="question files (JSON lines)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")
    parser.add_argument("--answerer", default="extractive", help="as `rag eval --answerer` (default: extractive)")
    args = parser.parse_args()
    settings = Settings.from_env(index_dir=args.index, answerer=args.answerer)
    return args.questions, Assistant(settings, load_index(settings), embedder_for(settings))
