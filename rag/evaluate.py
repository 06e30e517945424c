"""Score the assistant on a question file: gold strings in answers and citations, refusals, speed.

Question file: JSON lines with ``question``, ``answers`` (gold strings; any one counts), optional
``answers_all`` (strings that must all appear), ``refuse`` (true when the articles cannot answer),
optional ``history`` and ``kind``.

>>> found("11 per cent", "an offer of an 11 per cent rise")
True
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import UsageError
from rag.types import Answer


@dataclass(frozen=True)
class Case:
    question: str
    answers: tuple[str, ...] = ()
    answers_all: tuple[str, ...] = ()
    refuse: bool = False
    history: tuple[dict, ...] = ()
    kind: str = ""
    id: str = ""


@dataclass
class Result:
    case: Case
    answer: Answer
    seconds: float
    in_answer: bool = False
    in_citation: bool = False
    boilerplate_cited: int = 0

    @property
    def grounded(self) -> bool:
        return self.in_answer and self.in_citation


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def summary(self) -> dict:
        answerable = [r for r in self.results if not r.case.refuse]
        unanswerable = [r for r in self.results if r.case.refuse]
        times = sorted(r.seconds for r in self.results)
        words = [len(r.answer.text.split()) for r in answerable if not r.answer.refused]
        return {
            "questions": len(self.results),
            "answerable": len(answerable),
            "grounded": _share(r.grounded for r in answerable),
            "in_answer": _share(r.in_answer for r in answerable),
            "in_citation": _share(r.in_citation for r in answerable),
            "false_refusals": _share(r.answer.refused for r in answerable),
            "unanswerable": len(unanswerable),
            "refused": _share(r.answer.refused for r in unanswerable),
            "boilerplate_cited": sum(r.boilerplate_cited for r in self.results),
            "answer_words_mean": round(statistics.mean(words), 1) if words else 0.0,
            "seconds_p50": round(statistics.median(times), 4) if times else 0.0,
            "seconds_p95": round(times[int(0.95 * (len(times) - 1))], 4) if times else 0.0,
        }

    def by_kind(self) -> dict[str, dict]:
        kinds = sorted({r.case.kind for r in self.results})
        return {k: Report([r for r in self.results if r.case.kind == k]).summary() for k in kinds}


def read_cases(path: Path) -> list[Case]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read question file {path} ({e})") from None
    cases = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            cases.append(Case(obj["question"], tuple(obj.get("answers", ())), tuple(obj.get("answers_all", ())),
                              bool(obj.get("refuse", False)), tuple(obj.get("history", ())), obj.get("kind", ""),
                              str(obj.get("id", n))))
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{path}:{n}: not a question object") from None
    return cases


def evaluate(assistant, cases: list[Case], boilerplate: list[str] = ()) -> Report:
    """Ask every case and score it; ``boilerplate`` lists snippets that must never be cited."""
    report = Report()
    for case in cases:
        started = time.perf_counter()
        answer = assistant.ask(case.question, list(case.history))
        report.results.append(score(case, answer, time.perf_counter() - started, boilerplate))
    return report


def score(case: Case, answer: Answer, seconds: float, boilerplate: list[str] = ()) -> Result:
    cited = " ".join(c.chunk.text for c in answer.citations)
    result = Result(case, answer, seconds)
    if not answer.refused and not case.refuse:
        result.in_answer = _matches(case, answer.text)
        result.in_citation = _matches(case, cited)
    result.boilerplate_cited = sum(1 for c in answer.citations for b in boilerplate if found(b, c.chunk.text))
    return result


def _matches(case: Case, text: str) -> bool:
    any_ok = not case.answers or any(found(g, text) for g in case.answers)
    return any_ok and all(found(g, text) for g in case.answers_all)


def found(gold: str, text: str) -> bool:
    """Gold string in text, ignoring case, spacing and quote style."""
    return _normal(gold) in _normal(text)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return re.sub(r"\s+", " ", text).strip()


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else 0.0
