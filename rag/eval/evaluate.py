"""Score the assistant on a set of questions: where retrieval ranks the gold, whether answers and citations
hold it, refusals, and the time each stage takes.

A case says what counts as right: gold strings (``answers``: any one; ``answers_all``: every one), gold
documents with graded relevance (``gold_docs``: BEIR qrels, or a question file's ``article_ids``), or
``refuse`` when the articles cannot answer. The project's question file is JSON lines with ``question``,
``answers``, optional ``answers_all``, ``refuse``, ``history``, ``kind`` and ``article_ids``;
``rag.eval.datasets`` turns SQuAD and BEIR into the same cases.

A passage holds the gold when it holds a gold string (all of ``answers_all`` may be spread over the first
passages) or, for a case with gold documents only, comes from one of them. A citation is right when its passage
holds any gold string, or is from a gold document.

The numbers a report gives are computed in ``rag.eval.metrics``.

>>> found("11 per cent", "an offer of an 11 per cent rise")
True
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from rag.errors import UsageError
from rag.eval.metrics import NDCG_DEPTH, RANKS, Report, ndcg
from rag.text.chunk import Tokenizer
from rag.types import Answer, Chunk, Hit

if TYPE_CHECKING:
    from rag.ask.question import Query
    from rag.ask.assistant import Assistant


@dataclass(frozen=True)
class Case:
    question: str
    answers: tuple[str, ...] = ()
    answers_all: tuple[str, ...] = ()
    refuse: bool = False
    history: tuple[dict, ...] = ()
    kind: str = ""
    id: str = ""
    gold_docs: tuple[tuple[str, int], ...] = ()  # (document id, relevance > 0)

    @property
    def has_strings(self) -> bool:
        return bool(self.answers or self.answers_all)

    def holds_gold(self, chunk: Chunk) -> bool:
        """The passage holds a gold string (any of them), or comes from a gold document."""
        if self.has_strings:
            return any(found(g, chunk.text) for g in self.answers + self.answers_all)
        return chunk.article_id in dict(self.gold_docs)

    def first_rank(self, ranking: Sequence[Hit]) -> int | None:
        """How many passages it takes to hold the gold: all of ``answers_all`` may be spread over them."""
        if not self.has_strings:
            return next((n for n, hit in enumerate(ranking, 1) if self.holds_gold(hit.chunk)), None)
        return next((n for n in range(1, len(ranking) + 1)
                     if matches(self, " ".join(h.chunk.text for h in ranking[:n]))), None)


@dataclass
class Result:
    case: Case
    answer: Answer
    stages: dict[str, float]  # seconds per stage (STAGES)
    rank: int | None = None  # passages it took to hold the gold (Case.first_rank); None: not retrieved
    ndcg: float | None = None  # only for cases with gold documents
    passage_tokens: tuple[int, ...] = ()  # tokens of each of the first max(RANKS) passages
    passage_chars: tuple[int, ...] = ()
    in_answer: bool = False
    in_citation: bool = False
    gold_citations: int = 0  # citations whose passage holds a gold string or is from a gold document
    boilerplate_cited: int | None = None  # None: no boilerplate list was checked
    sentences: int = 0  # sentences in the answer (0 when refused)
    cited: int = 0  # ... that carry a citation
    supported: int = 0  # ... that carry one backing them (rag.ask.check)
    first_token: float | None = None  # seconds from the question to a model's first written piece

    @property
    def seconds(self) -> float:
        return sum(self.stages.values())

    @property
    def grounded(self) -> bool:
        return self.in_answer and self.in_citation


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
                              str(obj.get("id", n)), tuple((str(a), 1) for a in obj.get("article_ids", ()))))
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{path}:{n}: not a question object") from None
    return cases


def evaluate(assistant: Assistant, cases: list[Case], boilerplate: list[str] | None = None,
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Ask every case and score it; ``boilerplate`` lists snippets that must never be cited."""
    return evaluate_all({"default": assistant}, cases, boilerplate, progress)["default"]


def evaluate_all(assistants: Mapping[str, Assistant], cases: list[Case], boilerplate: list[str] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Report]:
    """Score several configurations (assistants sharing one index and embedder) on the same cases.

    They may differ in retrieval and answer settings and in the answerer: each question is embedded once,
    and each distinct setting searched once, so configurations with the same retrieval share it. The
    stages are the ones ``Assistant.ask`` runs, timed one by one: query, retrieve, answer.
    """
    from rag.ask.check import Checker, citation_counts

    reports = {name: Report() for name in assistants}
    first = next(iter(assistants.values()))
    tokenizer = Tokenizer(first.settings.encoding)
    checker = Checker(first.retriever.embedder, first.settings, first.extractive.sentences)
    for done, case in enumerate(cases, 1):
        started = time.perf_counter()
        query = first.query(case.question, list(case.history))
        embedded = time.perf_counter() - started
        retrieved: dict = {}
        for name, assistant in assistants.items():
            if assistant.settings not in retrieved:
                retrieved[assistant.settings] = _retrieve(assistant, query, case, tokenizer)
            hits, ranking, tokens, timings = retrieved[assistant.settings]
            started = time.perf_counter()
            answer, first_piece = _answer(assistant, query, hits)
            stages = {**timings, "embed": embedded + timings.get("embed", 0.0),
                      "answer": time.perf_counter() - started}
            result = score(case, answer, stages, ranking, tokens, boilerplate)
            if first_piece is not None:  # what a reader waits before the model's words start to appear
                result.first_token = (stages["embed"] + sum(timings.values()) - timings.get("embed", 0.0)
                                      + first_piece)
            result.sentences, result.cited, result.supported = citation_counts(answer, checker)
            reports[name].results.append(result)
        if progress:
            progress(done, len(cases))
    return reports


def _answer(assistant: Assistant, query: Query, hits: list[Hit]) -> tuple[Answer, float | None]:
    """The answer, and for a model that streams, the seconds until its first written piece. What the product
    answers itself (a question about the collection, what an abbreviation stands for) is scored as a user gets it."""
    direct = assistant.direct(query, None)
    if direct is not None:
        return direct, None
    started, first = time.perf_counter(), None
    stream = getattr(assistant.answerer, "stream", None)
    if stream is None:
        return assistant.answerer.answer(query, hits, assistant.index.articles), None
    for piece in stream(query, hits, assistant.index.articles):
        if isinstance(piece, str) and first is None:
            first = time.perf_counter() - started
        if isinstance(piece, Answer):
            return piece, first
    raise ValueError("the answer stream ended without an answer")


def _retrieve(assistant: Assistant, query: Query, case: Case, tokenizer: Tokenizer):
    """The passages the answerer gets (timed), and a ranking deep enough for the retrieval metrics."""
    timings: dict[str, float] = {}
    hits = assistant.retrieve(query, timings=timings)
    depth = max(RANKS[-1], NDCG_DEPTH if case.gold_docs else 0)
    ranking = hits if assistant.settings.top_k >= depth else assistant.retrieve(query, k=depth)
    tokens = tokenizer.count_many([h.chunk.text for h in ranking[: RANKS[-1]]])
    return hits, ranking, tokens, timings


def score(case: Case, answer: Answer, stages: dict[str, float], ranking: Sequence[Hit] = (),
          tokens: Sequence[int] = (), boilerplate: list[str] | None = None) -> Result:
    """Score one answer, and the ranking retrieval produced for it, against the case."""
    result = Result(case, answer, stages, case.first_rank(ranking), passage_tokens=tuple(tokens),
                    passage_chars=tuple(len(h.chunk.text) for h in ranking[: RANKS[-1]]))
    if case.gold_docs:
        result.ndcg = ndcg([h.chunk.article_id for h in ranking[:NDCG_DEPTH]], dict(case.gold_docs))
    if not answer.refused and not case.refuse:
        result.in_answer = case.has_strings and matches(case, answer.text)
        result.gold_citations = sum(case.holds_gold(c.chunk) for c in answer.citations)
        result.in_citation = (matches(case, " ".join(c.chunk.text for c in answer.citations))
                              if case.has_strings else result.gold_citations > 0)
    if boilerplate is not None:
        result.boilerplate_cited = sum(1 for c in answer.citations for b in boilerplate if found(b, c.chunk.text))
    return result


def matches(case: Case, text: str) -> bool:
    """The text holds the case's gold: one of ``answers`` (when it has any) and all of ``answers_all``."""
    any_ok = not case.answers or any(found(g, text) for g in case.answers)
    return any_ok and all(found(g, text) for g in case.answers_all)


def found(gold: str, text: str) -> bool:
    """Gold string in text, ignoring case, spacing, quote style and how "per cent" is written.

    >>> found("44 per cent", "while 44% even backed a full walk-out"), found("44 per cent", "144%")
    (True, False)
    """
    return re.search(rf"(?<!\w){re.escape(_normal(gold))}(?!\w)", _normal(text)) is not None


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
    text = re.sub(r"\s*\b(?:per ?cent|percent)\b", "%", text)
    return re.sub(r"\s+", " ", text).strip()
