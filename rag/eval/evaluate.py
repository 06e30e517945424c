"""Score the assistant on a set of questions: where retrieval ranks the gold, whether answers and citations
hold it, refusals, and the time each stage takes.

A case says what counts as right: gold strings (``answers``: any one; ``answers_all``: every one), gold
documents with graded relevance (``gold_docs``: BEIR qrels, or a question file's ``article_ids``), or
``refuse`` when the articles cannot answer. The project's question file is JSON lines with ``question``,
``answers``, optional ``answers_all``, ``refuse``, ``history``, ``kind`` and ``article_ids``;
``rag.eval.datasets`` turns SQuAD and BEIR into the same cases.

hit@k is the share of answerable cases whose first k passages hold the gold: a gold string (all of
``answers_all``, possibly spread over the k) or, for a case with gold documents only, a passage from one of
them. MRR@k is the mean of 1/rank, rank being the fewest passages that do (0 past k). nDCG@10 ranks the
documents of the first ten passages, each at its first rank, with the graded relevance as gain (as
trec_eval does). A citation is right when its passage holds any gold string, or is from a gold document.

>>> found("11 per cent", "an offer of an 11 per cent rise")
True
>>> round(ndcg(["a", "x", "b"], {"a": 2, "b": 1}), 3)  # b belongs at rank 2, not 3
0.95
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from rag.text.chunk import Tokenizer
from rag.errors import UsageError
from rag.types import Answer, Chunk, Hit

if TYPE_CHECKING:
    from rag.ask.question import Query
    from rag.ask.assistant import Assistant

RANKS = (1, 3, 5)  # the k of hit@k and MRR@k
NDCG_DEPTH = 10
STAGES = ("embed", "search", "fuse", "answer")  # embed the question; dense + BM25 search; fusion; answer


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


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def summary(self) -> dict:
        """Every metric over these results; a rate with nothing to count (no such case) is None."""
        results = self.results
        answerable = [r for r in results if not r.case.refuse]
        unanswerable = [r for r in results if r.case.refuse]
        with_gold = [r for r in answerable if r.case.has_strings or r.case.gold_docs]
        with_strings = [r for r in answerable if r.case.has_strings]
        out: dict = {"questions": len(results), "answerable": len(answerable), "unanswerable": len(unanswerable)}
        for k in RANKS:
            out[f"hit@{k}"] = _share(r.rank is not None and r.rank <= k for r in with_gold)
        for k in RANKS:
            out[f"mrr@{k}"] = _mean(1 / r.rank if r.rank is not None and r.rank <= k else 0.0 for r in with_gold)
        out[f"ndcg@{NDCG_DEPTH}"] = _mean(r.ndcg for r in results if r.ndcg is not None)
        for k in RANKS:  # how much text the first k passages are, to compare with other chunk sizes
            out[f"tokens@{k}"] = _mean((sum(r.passage_tokens[:k]) for r in results), 1)
            out[f"chars@{k}"] = _mean((sum(r.passage_chars[:k]) for r in results), 1)
        cited = sum(len(r.answer.citations) for r in with_gold)
        words = [len(r.answer.text.split()) for r in answerable if not r.answer.refused]
        checked = [r.boilerplate_cited for r in results if r.boilerplate_cited is not None]
        cited_sentences = sum(r.cited for r in results)
        sentences = sum(r.sentences for r in results)
        out.update({
            "grounded": _share(r.grounded for r in with_strings),
            "in_answer": _share(r.in_answer for r in with_strings),
            "in_citation": _share(r.in_citation for r in with_gold),
            "citation_precision": round(sum(r.gold_citations for r in with_gold) / cited, 4) if cited else None,
            "false_refusals": _share(r.answer.refused for r in answerable),
            "refused": _share(r.answer.refused for r in unanswerable),
            "refused_at_5pct": refusal_reach(answerable, unanswerable),
            "boilerplate_cited": sum(checked) if checked else None,
            # citation precision and recall by sentence: cited sentences their citation backs; sentences cited
            "cite_supported": (round(sum(r.supported for r in results) / cited_sentences, 4) if cited_sentences
                               else None),
            "cite_recall": round(cited_sentences / sentences, 4) if sentences else None,
            "model_written": _share(r.answer.answerer not in ("extractive", "lead") for r in results
                                    if not r.answer.refused) if any(r.answer.answerer not in ("extractive", "lead")
                                                                    for r in results) else None,
            "seconds_mean": _mean((r.seconds for r in results), 3),
            "answer_words_mean": round(statistics.mean(words), 1) if words else None,
            "seconds_p50": _percentile([r.seconds for r in results], 0.5, 4),
            "seconds_p95": _percentile([r.seconds for r in results], 0.95, 4),
            "first_token_p50": _percentile([r.first_token for r in results if r.first_token is not None], 0.5, 3)
            if any(r.first_token is not None for r in results) else None,
            "first_token_p95": _percentile([r.first_token for r in results if r.first_token is not None], 0.95, 3)
            if any(r.first_token is not None for r in results) else None,
        })
        for stage in STAGES:
            ms = [1000 * r.stages.get(stage, 0.0) for r in results]
            out[f"ms_{stage}_p50"], out[f"ms_{stage}_p95"] = _percentile(ms, 0.5, 2), _percentile(ms, 0.95, 2)
        return out

    def by_kind(self) -> dict[str, dict]:
        kinds = sorted({r.case.kind for r in self.results})
        return {k: Report([r for r in self.results if r.case.kind == k]).summary() for k in kinds}


def refusal_reach(answerable: list[Result], unanswerable: list[Result], false_rate: float = 0.05) -> float | None:
    """Share of unanswerable questions refused by the best confidence threshold that refuses at most
    ``false_rate`` of the answerable ones: how well the answerer's confidence tells them apart at all."""
    def level(r: Result) -> float:  # no confidence: refused before scoring (a name no article has)
        return -math.inf if r.answer.confidence is None else r.answer.confidence

    if not answerable or not unanswerable:
        return None
    known = sorted(level(r) for r in answerable)
    bar = known[int(false_rate * len(known))]  # refusing below this refuses at most false_rate of them
    return _share(level(r) < bar for r in unanswerable)


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
    """The answer, and for a model that streams, the seconds until its first written piece."""
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


def ndcg(documents: list[str], relevance: Mapping[str, int], depth: int = NDCG_DEPTH) -> float:
    """nDCG of a ranking of document ids (repeats count at their first rank) against graded relevance."""
    ranked = list(dict.fromkeys(documents))[:depth]
    dcg = sum(relevance.get(d, 0) / math.log2(n + 1) for n, d in enumerate(ranked, 1))
    ideal = sum(g / math.log2(n + 1) for n, g in enumerate(sorted(relevance.values(), reverse=True)[:depth], 1))
    return dcg / ideal if ideal else 0.0


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


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def _mean(values: Iterable[float], digits: int = 4) -> float | None:
    values = list(values)
    return round(float(statistics.mean(values)), digits) if values else None


def _percentile(values: list[float], q: float, digits: int) -> float:
    values = sorted(values)
    return round(values[int(q * (len(values) - 1))], digits) if values else 0.0
