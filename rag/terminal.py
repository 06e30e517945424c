"""Plain-text rendering of answers and search hits for the terminal.

>>> print(answer_text(Answer("Q?", "The articles don't cover this.", refused=True)))
The articles don't cover this.
>>> quoted("One. Two. Three.", 10, [(15, 19)])
'One. «Two.» Three.'
"""

from __future__ import annotations

import textwrap
from typing import Iterable, Mapping, TextIO

from rag.ask.generate import Preview
from rag.messages import render
from rag.types import Answer, Article, Hit


def stream_text(pieces: Iterable[str | Preview | Answer], out: TextIO) -> Answer:
    """Write a streamed answer as it comes, then the checked answer (when checking changed it) and sources."""
    streamed: list[str] = []
    for piece in pieces:
        if isinstance(piece, Preview):  # a terminal shows the model's words as they come, not a preview first
            continue
        if isinstance(piece, Answer):
            if streamed:
                out.write("\n\n")
            out.write(answer_text(piece, " ".join("".join(streamed).split()) or None) + "\n")
            out.flush()
            return piece
        streamed.append(piece)
        out.write(piece)
        out.flush()
    raise ValueError("the answer stream ended without an answer")


def answer_text(answer: Answer, streamed: str | None = None) -> str:
    """The answer, notes and sources; after a ``streamed`` draft, the answer only where checking changed it."""
    lines = []
    if streamed is None:
        lines.append(_filled(answer.text))
    elif streamed != answer.text:
        lines += [render("CLI_CHECKED"), _filled(answer.text)]
    for sentence in answer.unsupported:
        lines.append(f"{render('UNSUPPORTED')}: {sentence}")
    for note in answer.notes:
        lines.append(f"Note: {note}")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
    for c in answer.citations:
        lines.append(f"[{c.n}] {source_line(c.article)}")
        lines.append(textwrap.indent(textwrap.fill(quoted(c.chunk.text, c.chunk.start, c.quotes), 96), "    "))
    return "\n".join(lines)


def _filled(text: str) -> str:
    """Wrapped at 100 columns, each line on its own (a list of articles stays a list)."""
    return "\n".join(textwrap.fill(line, 100) for line in text.splitlines())


def quoted(text: str, offset: int, spans: Iterable[tuple[int, int]]) -> str:
    """A passage (starting at article offset ``offset``) with the sentences the answer quotes in «guillemets», as
    the chat highlights them."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start - offset, pos), min(end - offset, len(text))
        if start < end:
            out += [text[pos:start], "«", text[start:end], "»"]
            pos = end
    return "".join(out) + text[pos:]


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
