"""Plain-text rendering of answers and search hits for the terminal.

>>> print(answer_text(Answer("Q?", "The articles don't cover this.", refused=True)))
The articles don't cover this.
"""

from __future__ import annotations

import textwrap
from typing import Mapping

from rag.types import Answer, Article, Hit


def answer_text(answer: Answer) -> str:
    lines = [textwrap.fill(answer.text, 100)]
    for note in answer.notes:
        lines.append(f"Note: {note}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
    for c in answer.citations:
        lines.append(f"[{c.n}] {source_line(c.article)}")
        lines.append(textwrap.indent(textwrap.fill(c.chunk.text, 96), "    "))
    return "\n".join(lines)


def hits_text(hits: list[Hit], articles: Mapping[str, Article]) -> str:
    if not hits:
        return "No passage found."
    out = []
    for rank, hit in enumerate(hits, 1):
        dense = "-" if hit.dense is None else f"{hit.dense:.3f}"
        bm25 = "-" if hit.lexical is None else f"{hit.lexical:.2f}"
        out.append(f"{rank}. fused {hit.score:.4f}  cosine {dense}  bm25 {bm25}  {hit.chunk.id} "
                   f"[{hit.chunk.start}:{hit.chunk.end}]")
        out.append(f"   {source_line(articles[hit.chunk.article_id])}")
        out.append(textwrap.indent(textwrap.fill(hit.chunk.text, 96), "   "))
    return "\n".join(out)


def source_line(article: Article) -> str:
    parts = [article.title, article.publisher or "publisher unknown", article.date or "date unknown"]
    if article.url:
        parts.append(article.url)
    return " - ".join(parts)
