"""The numbers of an evaluation report, from the scored results of ``rag.eval.evaluate``.

hit@k is the share of answerable cases whose first k passages hold the gold; MRR@k is the mean of 1/rank, rank
being the fewest passages that do (0 past k). nDCG@10 ranks the documents of the first ten passages, each at its
first rank, with the graded relevance as gain (as trec_eval does). Grounded: the gold is in the answer and in a
cited passage. A rate with nothing to count is None.

>>> round(ndcg(["a", "x", "b"], {"a": 2, "b": 1}), 3)  # b belongs at rank 2, not 3
0.95
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:
    from rag.eval.evaluate import Result

RANKS = (1, 3, 5)  # the k of hit@k and MRR@k
NDCG_DEPTH = 10
# Who writes an answer without a model: the quotes, the lead baseline, and the product's own answers (the
# collection's list, small talk, an abbreviation spelt out, an open comparison's openings); the rest are model
# backends.
NOT_MODELS = ("extractive", "lead", "collection", "assistant", "glossary", "overview", "period", "more")
STAGES = ("embed", "search", "fuse", "answer")  # embed the question; dense + BM25 search; fusion; answer


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
            "model_written": _share(r.answer.answerer not in NOT_MODELS for r in results
                                    if not r.answer.refused) if any(r.answer.answerer not in NOT_MODELS
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


def ndcg(documents: list[str], relevance: Mapping[str, int], depth: int = NDCG_DEPTH) -> float:
    """nDCG of a ranking of document ids (repeats count at their first rank) against graded relevance."""
    ranked = list(dict.fromkeys(documents))[:depth]
    dcg = sum(relevance.get(d, 0) / math.log2(n + 1) for n, d in enumerate(ranked, 1))
    ideal = sum(g / math.log2(n + 1) for n, g in enumerate(sorted(relevance.values(), reverse=True)[:depth], 1))
    return dcg / ideal if ideal else 0.0


def _share(flags: Iterable[bool]) -> float | None:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def _mean(values: Iterable[float], digits: int = 4) -> float | None:
    values = list(values)
    return round(float(statistics.mean(values)), digits) if values else None


def _percentile(values: list[float], q: float, digits: int) -> float:
    values = sorted(values)
    return round(values[int(q * (len(values) - 1))], digits) if values else 0.0
