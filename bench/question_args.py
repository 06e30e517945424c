"""What the benchmarks that ask questions of an index share: their arguments (an index, a question file, how many
of its questions) and the answerable questions they ask, read as ``rag eval`` reads them."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.eval.evaluate import Case, read_cases


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
