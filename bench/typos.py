"""Questions with a slip of the keys: answered as well as typed right, or refused for a name's spelling?

    python bench/typos.py --index /tmp/qidx tests/data/questions.jsonl tests/data/heldout.jsonl
    python bench/typos.py --index /tmp/qidx tests/data/heldout.jsonl --answerer local

Each question gets one slip, made the same way every run: in its longest word of six letters or more (a
capitalised one first: names are what a slip makes unknown), two letters in the middle swapped ("Malawana" ->
"Malwaana"). Questions without such a word are left out. The answerer (by default the quoted one, no model)
then answers three ways: as typed right, with the slip, and with the slip but without reading slips as the
articles' words (``rag/ask/spelling.py``), and the table prints grounded, refused and false refusals of each,
as ``rag eval`` counts them, and how many slips were read back to the word typed right.
"""

from __future__ import annotations

import re
from dataclasses import replace

from question_args import question_files
from rag.ask.assistant import Assistant
from rag.eval.datasets import load_dataset
from rag.eval.evaluate import evaluate


def slipped(question: str) -> tuple[str, str] | None:
    """The question with one slip, and the word it changed; None when no word is long enough.

    >>> slipped("What did Johann Malawana say?")
    ('What did Johann Malwaana say?', 'Malawana')
    """
    found = re.findall(r"[^\W\d_]{6,}", question)
    if not found:
        return None
    word = max(found, key=lambda w: (w[0].isupper(), len(w)))
    i = len(word) // 2 - 1
    slip = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if slip == word:
        return None
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", slip, question, count=1), word


def main() -> None:
    paths, assistant = question_files(__doc__)
    plain = Assistant(assistant.settings, assistant.index, assistant.retriever.embedder)
    plain.spelling.correct = lambda question: (question, ())  # type: ignore[method-assign]
    print(f"{'set':<16} {'questions':>9} {'answered as':<24} {'grounded':>8} {'refused':>8} {'false ref':>9} "
          f"{'read back':>9}")
    for path in paths:
        made = [(case, slipped(case.question)) for case in load_dataset(path).cases if not case.history]
        pairs = [(case, slip) for case, slip in made if slip is not None]
        right = [case for case, _ in pairs]
        typos = [replace(case, question=question) for case, (question, _) in pairs]
        back = sum(word in assistant.query(question).question for _, (question, word) in pairs)
        for label, asked, cases in (("typed right", assistant, right), ("with the slip", assistant, typos),
                                    ("slip, not read back", plain, typos)):
            summary = evaluate(asked, list(cases)).summary()
            refused = "-" if summary["refused"] is None else f"{summary['refused']:.3f}"
            print(f"{path.name[:16]:<16} {len(cases):>9} {label:<24} {summary['grounded']:>8.3f} {refused:>8} "
                  f"{summary['false_refusals']:>9.3f} {back if label == 'with the slip' else '':>9}")


if __name__ == "__main__":
    main()
