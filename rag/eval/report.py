"""The evaluation report: tables for the terminal, and the same numbers as one JSON object.

One configuration gets a row for all questions and one per question kind; several (``--ablations``) get a
row each. Columns that no row has a value for (nDCG without gold documents, boilerplate without a list of
snippets) are left out:

>>> print(table([("all", {"questions": 3, "hit@1": 0.5, "ndcg@10": None})], ["questions", "hit@1", "ndcg@10"]))
                        questions  hit@1
all                             3  0.500
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rag.eval.setup import Config
from rag.eval.metrics import RANKS, STAGES, Report

QUALITY = ["questions", "hit@1", "hit@3", "hit@5", "mrr@3", "mrr@5", "ndcg@10", "grounded", "in_answer",
           "in_citation", "citation_precision", "cite_supported", "cite_recall", "model_written", "refused",
           "false_refusals", "refused_at_5pct", "boilerplate_cited", "answer_words_mean", "seconds_mean",
           "seconds_p50", "seconds_p95", "first_token_p50"]
LABELS = {"citation_precision": "cite_gold", "cite_supported": "cite_prec", "model_written": "by_model",
          "seconds_mean": "s/answer", "false_refusals": "false_ref", "refused_at_5pct": "ref@5%fr",
          "boilerplate_cited": "boilerplate", "answer_words_mean": "words", "seconds_p50": "s_p50",
          "seconds_p95": "s_p95", "first_token_p50": "1st_tok_s"}
COUNTS = {"questions", "boilerplate_cited", "answer_words_mean", "seconds_mean", "seconds_p50", "seconds_p95",
          "first_token_p50"}  # shown as they are; the rest: rates
NAME_WIDTH = 24

# Retrieval hit@1/3/5 of other pipelines on the SQuAD 2.0 five-article set, measured outside this project,
# with the size of one retrieved chunk: quoted so that our hit@k can be read at the same amount of text.
REFERENCE = {
    "LlamaIndex, 1024-token chunks": ((0.57, 0.81, 0.92), 1024, "tokens"),
    "LangChain, 1000-char chunks": ((0.73, 0.91, 0.96), 1000, "chars"),
    "BM25, 1024-token chunks": ((0.88, 0.98, 0.99), 1024, "tokens"),
}


def report_text(runs: list[tuple[Config, Report]], verbose: bool = False, reference: bool = False) -> str:
    """Quality and latency tables; with ``reference``, retrieval beside the reference pipelines; with
    ``verbose``, every question the first configuration got wrong."""
    if len(runs) == 1:
        report = runs[0][1]
        rows = [("all", report.summary())] + [(k or "-", s) for k, s in report.by_kind().items()]
        title = f"{runs[0][0].name} ({len(report.results)} questions)"
    else:
        rows = [(config.name, report.summary()) for config, report in runs]
        title = f"{len(runs)} configurations, {len(runs[0][1].results)} questions each"
    latency = [(name, {stage: _p50_p95(s, stage) for stage in (*STAGES, "total")}) for name, s in rows]
    parts = [title, table(rows, QUALITY), "", "latency in ms, p50/p95 per question",
             table(latency, [*STAGES, "total"])]
    if reference:
        parts += ["", reference_text(runs)]
    if verbose:
        parts += [failures_text(runs[0][1])]
    return "\n".join(parts)


def table(rows: list[tuple[str, dict]], columns: list[str]) -> str:
    columns = [c for c in columns if any(s.get(c) is not None for _, s in rows)]
    widths = [max(len(LABELS.get(c, c)), *(len(_cell(c, s.get(c))) for _, s in rows)) for c in columns]
    lines = ["".ljust(NAME_WIDTH) + "  ".join(LABELS.get(c, c).rjust(w) for c, w in zip(columns, widths))]
    for name, s in rows:
        lines.append(name[:NAME_WIDTH].ljust(NAME_WIDTH)
                     + "  ".join(_cell(c, s.get(c)).rjust(w) for c, w in zip(columns, widths)))
    return "\n".join(lines)


def reference_text(runs: list[tuple[Config, Report]]) -> str:
    """hit@k next to the reference pipelines, each with the text its k passages hold (in tokens)."""
    seen: dict[str, dict] = {}
    for config, report in runs:  # retrieval does not depend on the answerer: one row per retrieval
        seen.setdefault(config.retrieval, report.summary())
    first = next(iter(seen.values()))
    per_char = first["tokens@5"] / first["chars@5"] if first["chars@5"] else 0.25
    chunk = runs[0][0].settings.chunk_tokens
    lines = ["retrieval at equal text: hit@k (~tokens the k passages hold)",
             "".ljust(34) + "".join(f"k={k}".rjust(16) for k in RANKS)]
    for retrieval, s in seen.items():
        # A set of unanswerable questions alone has no hit@k: nothing to find.
        cells = [f"{s[f'hit@{k}']:.2f} (~{s[f'tokens@{k}']:.0f})" if s[f"hit@{k}"] is not None else "-"
                 for k in RANKS]
        lines.append(f"{retrieval}, {chunk}-token passages".ljust(34) + "".join(c.rjust(16) for c in cells))
    for name, (hits, size, unit) in REFERENCE.items():
        tokens = size if unit == "tokens" else size * per_char
        cells = [f"{h:.2f} (~{k * tokens:.0f})" for h, k in zip(hits, RANKS)]
        lines.append(name.ljust(34) + "".join(c.rjust(16) for c in cells))
    return "\n".join(lines)


def failures_text(report: Report) -> str:
    lines = []
    for r in report.results:
        if r.answer.refused != r.case.refuse or (r.case.has_strings and not r.case.refuse and not r.grounded):
            expected = list(r.case.answers) or list(r.case.answers_all) or ("refusal" if r.case.refuse else "")
            lines.append(f"\n✗ [{r.case.kind}] {r.case.question}\n  expected {expected}\n  got: {r.answer.text[:300]}")
    return "".join(lines)


def report_json(runs: list[tuple[Config, Report]], dataset: dict, reference: bool = False) -> dict:
    """Everything in the tables, per configuration, and per question for the first one. The top-level
    ``summary`` and ``by_kind`` are the first configuration's."""
    first = runs[0][1]
    out: dict[str, Any] = {"dataset": dataset, "summary": first.summary(), "by_kind": first.by_kind(),
                           "configurations": {}}
    for config, report in runs:
        changed = {k: v for k, v in asdict(config.settings).items()
                   if k in ("top_k", "candidates", "rrf_k", "dense_weight", "lexical_weight",
                            "sentence_weight", "chunk_tokens")}
        out["configurations"][config.name] = {"retrieval": config.retrieval, "answerer": config.answerer,
                                              "settings": changed, "summary": report.summary(),
                                              "by_kind": report.by_kind(), "questions": _questions(report)}
    out["questions"] = _questions(first)
    if reference:
        out["reference"] = {name: {"hit": dict(zip((f"hit@{k}" for k in RANKS), hits)), "chunk": f"{size} {unit}"}
                            for name, (hits, size, unit) in REFERENCE.items()}
    return out


def _questions(report: Report) -> list[dict]:
    return [{"id": r.case.id, "kind": r.case.kind, "question": r.case.question, "rank": r.rank,
             "in_answer": r.in_answer, "in_citation": r.in_citation, "refused": r.answer.refused,
             "answer": r.answer.text, "answerer": r.answer.answerer, "notes": list(r.answer.notes),
             "confidence": r.answer.confidence, "first_token_s": r.first_token,
             "ms": {k: round(1000 * v, 2) for k, v in r.stages.items()}} for r in report.results]


def _p50_p95(summary: dict, stage: str) -> str | None:
    if stage == "total":
        p50, p95 = summary["seconds_p50"], summary["seconds_p95"]
        p50, p95 = (None, None) if p50 is None else (1000 * p50, 1000 * p95)
    else:
        p50, p95 = summary[f"ms_{stage}_p50"], summary[f"ms_{stage}_p95"]
    return None if p50 is None else f"{p50:.1f}/{p95:.1f}"


def _cell(column: str, value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) and column not in COUNTS else str(value)
