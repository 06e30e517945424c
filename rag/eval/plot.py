"""The evaluation as a chart (`rag eval --plot OUT.png`): hit@k per retrieval configuration on the left,
answer metrics per configuration on the right.

>>> plot(runs, Path("eval.png"), "squad2-dev-5articles.json")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path

from rag.eval.setup import Config
from rag.eval.metrics import RANKS, Report

log = logging.getLogger(__name__)

ANSWER_METRICS = ["grounded", "in_answer", "in_citation", "citation_precision", "refused", "false_refusals"]


def plot(runs: list[tuple[Config, Report]], path: Path, title: str = "") -> None:
    """Write the chart as a PNG to ``path``."""
    # Imported here: only a run with --plot pays for matplotlib.
    from matplotlib.figure import Figure

    summaries = [(config, report.summary()) for config, report in runs]
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    retrieval, answers = figure.subplots(1, 2, width_ratios=[1, 2])
    drawn = set()
    for config, s in summaries:
        if config.retrieval not in drawn:  # the answerer does not change retrieval: one curve per retrieval
            drawn.add(config.retrieval)
            retrieval.plot(RANKS, [s[f"hit@{k}"] or 0.0 for k in RANKS], marker="o", label=config.retrieval)
    retrieval.set(title="retrieval: gold in the first k passages", xlabel="k", ylabel="hit@k", xticks=RANKS,
                  ylim=(0, 1.02))
    retrieval.grid(alpha=0.3)
    retrieval.legend()
    metrics = [m for m in ANSWER_METRICS if any(s[m] is not None for _, s in summaries)]
    width = 0.8 / len(summaries)
    for n, (config, s) in enumerate(summaries):
        positions = [i - 0.4 + (n + 0.5) * width for i in range(len(metrics))]
        answers.bar(positions, [s[m] or 0.0 for m in metrics], width, label=config.name)
    answers.set_xticks(range(len(metrics)), metrics)
    answers.set(title="answers (refused: of unanswerable questions)", ylabel="share", ylim=(0, 1.02))
    answers.grid(axis="y", alpha=0.3)
    answers.legend(fontsize="small", ncols=min(3, len(summaries)), loc="upper center", bbox_to_anchor=(0.5, -0.08))
    if title:
        figure.suptitle(title)
    figure.savefig(path, dpi=110, format="png")
    log.info("wrote chart %s", path)
