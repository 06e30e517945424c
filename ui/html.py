"""Escaped HTML for the chat: answers with linked markers, the sources panel, the article list.

Everything that comes from an article, a question or the answerer goes through ``esc`` before it is put
into markup, so it shows as text and never runs; the only tags are the ones written here.

>>> sentences("Hunt spoke. [1] Barclay wrote [2]. [3]")
['Hunt spoke. [1]', 'Barclay wrote [2]. [3]']
>>> highlight("One. Two.", 10, [(15, 19)])
'One. <mark>Two.</mark>'
>>> link_markers(esc("It <b>is</b> so. [1]"), {1: "A & B"}, turn=3)
'It &lt;b&gt;is&lt;/b&gt; so. <a class="cite" href="#src-3-1" title="A &amp; B">[1]</a>'

Each answer of a conversation has a turn number; its markers link to its own passages (``#src-<turn>-<n>``), so a
marker in an earlier answer opens that answer's passage, never the newest answer's passage of the same number.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Mapping, Sequence

from rag.messages import render
from rag.terminal import source_line
from rag.types import Answer, Article, Citation

_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r".+?(?:\s*\[\d+\])+(?=\s|$)|.+$", re.DOTALL)


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def sentences(text: str) -> list[str]:
    """The answer cut after each run of markers: the pieces the chat streams one by one; a list (the
    collection's articles, a line each) is cut into its lines."""
    if "\n" in text.strip():
        return [line.strip() for line in text.strip().splitlines() if line.strip()]
    return [m.group(0).strip() for m in _SENTENCE.finditer(text.strip()) if m.group(0).strip()]


def link_markers(escaped: str, titles: Mapping[int, str], turn: int = 1) -> str:
    """Turn each ``[n]`` of a cited passage into a link to its entry in the sources panel (``#src-<turn>-<n>``)."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in titles:
            return m.group(0)
        return f'<a class="cite" href="#src-{turn}-{n}" title="{esc(titles[n])}">[{n}]</a>'

    return _MARKER.sub(link, escaped)


def plain_answer(answer: Answer) -> str:
    """What the copy button puts on the clipboard: the answer with its markers, notes, and the numbered sources.

    >>> print(plain_answer(Answer("Q?", "Nothing.", refused=True)))
    No answer: Nothing.
    """
    text = answer.text.strip() or render("REFUSAL")
    lines = [f'{render("UI_REFUSED")} {text}' if answer.refused else text]
    lines += [render("UI_NOTE", note=n) for n in answer.notes]
    if answer.citations:
        lines += ["", f'{render("UI_SOURCES")}:'] + [f"[{c.n}] {source_line(c.article)}" for c in answer.citations]
    return "\n".join(lines)


def answer_html(answer: Answer, shown: int | None = None, turn: int = 1) -> str:
    """The answer's first ``shown`` sentences (all by default), markers linked; notes once it is complete.

    A hidden ``.copy-text`` element carries the plain text the copy button gives (see ``plain_answer``)."""
    pieces = sentences(answer.text)
    done = shown is None or shown >= len(pieces)
    if answer.refused or not pieces:  # never an empty bubble
        body = f'<strong>{esc(render("UI_REFUSED"))}</strong> {esc(answer.text.strip() or render("REFUSAL"))}'
        out = f'<div class="answer refused">{body}</div>'
    else:
        titles = {c.n: c.article.title for c in answer.citations}
        joint = "<br>" if "\n" in answer.text.strip() else " "  # a list keeps its lines
        text = joint.join(link_markers(esc(p), titles, turn) for p in (pieces if done else pieces[:shown]))
        for sentence in answer.unsupported:  # the same escaping and links, so the sentence is found as written
            marked = link_markers(esc(sentence), titles, turn)
            text = text.replace(marked, f'<span class="unsupported" title="{esc(render("UNSUPPORTED"))}">'
                                        f'{marked}</span>', 1)
        out = f'<div class="answer">{text}</div>'
    if done:
        out += "".join(f'<p class="note">{esc(render("UI_NOTE", note=n))}</p>' for n in answer.notes)
    # Hidden; the copy button and screen readers take it instead of the markup (ui/page.js). The chat's
    # sanitizer drops data- attributes, so it is an element.
    return out + f'<div class="copy-text">{esc(plain_answer(answer))}</div>'


def draft_html(text: str) -> str:
    """A model's answer as it is being written, before its citations are checked."""
    return f'<div class="answer draft">{esc(text)}</div>'


def preview_html(answer: Answer) -> str:
    """The quoted answer, shown at once while the model reads; the model's answer replaces it."""
    if answer.refused:
        return f'<div class="answer draft"><p class="note">{esc(render("UI_READING"))}</p></div>'
    return (f'<div class="answer draft"><p class="note">{esc(render("UI_PREVIEW"))}</p>'
            f'<p>{esc(answer.text)}</p></div>')


def problem_html(message: str) -> str:
    return f'<div class="answer problem">{esc(message)}</div>'


def question_html(question: str) -> str:
    return esc(question)


def highlight(text: str, offset: int, spans: Iterable[tuple[int, int]], tag: str = "mark") -> str:
    """``text`` (which starts at article offset ``offset``) escaped, with the article spans wrapped in ``tag``."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start - offset, pos), min(end - offset, len(text))
        if start >= end:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<{tag}>{esc(text[start:end])}</{tag}>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def meta_line(article: Article) -> str:
    """Publisher · date · the facets' values (e.g. the dispute), each marked when it was guessed from the text."""

    def field(name: str, value: str | None, unknown: str) -> str:
        if not value:
            return esc(render(unknown)) if unknown else ""
        shown = render("UI_INFERRED", value=value) if name in article.inferred else value
        return f'<span class="{name}">{esc(shown)}</span>'

    parts = [field("publisher", article.publisher, "UI_UNKNOWN_PUBLISHER"),
             field("date", article.date, "UI_UNKNOWN_DATE"), *(field(n, v, "") for n, v in article.facets)]
    return " · ".join(p for p in parts if p)


def source_html(c: Citation, turn: int = 1) -> str:
    """One cited passage: number, title, metadata, the passage with its cited sentences marked, and the whole
    article (closed) with the passage highlighted in context, when the index still holds that article."""
    a, chunk = c.article, c.chunk
    passage = highlight(chunk.text, chunk.start, c.quotes)
    whole = ""
    if a.text[chunk.start : chunk.end] == chunk.text:
        context = (esc(a.text[: chunk.start]) + '<span class="in-context">'
                   + highlight(a.text[chunk.start : chunk.end], chunk.start, c.quotes) + "</span>"
                   + esc(a.text[chunk.end :]))
        whole = (f'<details class="article"><summary>{esc(render("UI_READ_ARTICLE"))}</summary>'
                 f'<div class="article-text">{context}</div></details>')
    link = f' · <span class="url">{esc(a.url)}</span>' if a.url else ""
    return (f'<section class="source" id="src-{turn}-{c.n}" data-n="{c.n}">'
            f'<h4><span class="num">[{c.n}]</span> {esc(a.title)}</h4>'
            f'<p class="meta">{meta_line(a)}{link}</p>'
            f'<blockquote class="passage">{passage}</blockquote>{whole}</section>')


def sources_html(answers: Sequence[tuple[int, Answer]] = ()) -> str:
    """The sources panel: for each (turn, answer), the passages it cites in marker order. The page shows the
    newest answer's, or the one holding the passage a marker opened (see ``ui.app.CSS``)."""
    head = f'<h3>{esc(render("UI_SOURCES"))}</h3>'
    if not answers:
        return f'<div class="sources">{head}<p class="empty">{esc(render("UI_SOURCES_EMPTY"))}</p></div>'
    groups = []
    for turn, answer in answers:
        about = f'<p class="for">{esc(render("UI_SOURCES_FOR", turn=turn, question=answer.question))}</p>'
        cited = ("".join(source_html(c, turn) for c in answer.citations) if answer.citations
                 else f'<p class="empty">{esc(render("UI_SOURCES_NONE"))}</p>')
        groups.append(f'<div class="turn" id="turn-{turn}" data-turn="{turn}">{about}{cited}</div>')
    return f'<div class="sources">{head}' + "".join(groups) + "</div>"


def articles_html(articles: Iterable[Article], chunks: Mapping[str, int]) -> str:
    """The Articles tab's table: every article with its metadata and passage count."""
    articles = sorted(articles, key=lambda a: (a.date or "", a.id))
    rows = "".join(
        f'<tr data-id="{esc(a.id)}"><td class="title">{esc(a.title)}</td><td>{meta_line(a)}</td>'
        f'<td class="count">{chunks.get(a.id, 0)}</td><td class="id"><code>{esc(a.id)}</code></td></tr>'
        for a in articles
    )
    total = render("UI_ARTICLE_COUNT", articles=len(articles), chunks=sum(chunks.values()))
    return (f'<div class="articles"><p>{esc(total)}</p><table><thead><tr><th>Title</th>'
            f'<th>Publisher · date · dispute</th><th>Passages</th><th>Id</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def status_html(message: str, ok: bool) -> str:
    return f'<p class="status {"ok" if ok else "problem"}">{esc(message)}</p>'
