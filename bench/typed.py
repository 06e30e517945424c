"""Questions typed as in a chat, first letter in lower case and no question mark: answered as typed in full?

    python bench/typed.py --index /tmp/qidx tests/data/questions.jsonl tests/data/heldout.jsonl --answerer local

Each question of the files is asked twice, as written and as a chat often gets it ("what did Labour say" for
"What did Labour say?"), with its history as written. The table prints grounded, unanswerable refused and
false refusals of each, as ``rag eval`` counts them, and how many of the chat-typed questions got the very answer
the question typed in full got.
"""

from __future__ import annotations

from dataclasses import replace

from question_args import question_files
from rag.eval.datasets import load_dataset
from rag.eval.evaluate import evaluate


def chat_typed(question: str) -> str:
    """The question with its first letter in lower case and its question mark dropped.

    >>> chat_typed("What did Labour say?")
    'what did Labour say'
    """
    question = question.strip().rstrip("?").rstrip()
    return question[:1].lower() + question[1:]


def main() -> None:
    paths, assistant = question_files(__doc__)
    print(f"{'set':<16} {'questions':>9} {'typed':<8} {'grounded':>8} {'refused':>8} {'false ref':>9} {'same':>5}")
    for path in paths:
        cases = load_dataset(path).cases
        full = evaluate(assistant, list(cases))
        chat = evaluate(assistant, [replace(case, question=chat_typed(case.question)) for case in cases])
        same = sum(a.answer.text == b.answer.text for a, b in zip(full.results, chat.results))
        for label, report in (("in full", full), ("as chat", chat)):
            summary = report.summary()
            refused = "-" if summary["refused"] is None else f"{summary['refused']:.3f}"
            print(f"{path.name[:16]:<16} {len(cases):>9} {label:<8} {summary['grounded']:>8.3f} {refused:>8} "
                  f"{summary['false_refusals']:>9.3f} {same if label == 'as chat' else '':>5}")


if __name__ == "__main__":
    main()
