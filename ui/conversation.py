"""One browser's conversation as plain data, from which the chat and its sources panel are drawn.

The log lists ``{"question": text}`` and ``{"answer": Answer.as_dict()}`` entries in order. The chat's messages
and the sources panel are rendered from it, each answer with its turn number so that its markers open its own
passages; follow-up questions read the turns it implies. The browser keeps a copy (``gr.BrowserState``) so a
reload finds the conversation again. That copy comes back from the browser, where anyone can edit it, so
``restore`` keeps only well-formed entries, and everything is escaped again when rendered.

>>> log = [{"question": "Q?"}, {"answer": Answer("Q?", "No.", refused=True).as_dict()}]
>>> turns(restore({"log": log + [{"answer": {"bad": 1}}, "junk"]}, {})["log"])
[{'role': 'user', 'content': 'Q?'}, {'role': 'assistant', 'content': 'No.'}]
"""

from __future__ import annotations

import logging
from typing import Mapping

from rag.types import Answer, Article, Chunk, Citation
from ui import html

log = logging.getLogger(__name__)


def new_session() -> dict:
    return {"log": []}


def answer_from_dict(data: dict, articles: Mapping[str, Article]) -> Answer:
    """The ``Answer`` an ``as_dict()`` describes; each citation's article is the index's own when it still holds
    that passage, else one made of the citation's metadata. Raises ``KeyError``, ``TypeError`` or ``ValueError``
    for anything else."""
    citations = []
    for c in data["citations"]:
        article_id, text = _text(c["article_id"]), _text(c["text"])
        chunk = Chunk(f"{article_id}#", article_id, text, int(c["start"]), int(c["end"]), ())
        known = articles.get(article_id)
        if known is None or known.text[chunk.start : chunk.end] != text:
            known = Article(article_id, "", _text(c["title"]), _maybe(c["publisher"]), _maybe(c["date"]),
                            _maybe(c["url"]), _facets(c))
        quotes = tuple((int(start), int(end)) for start, end in c["quotes"])
        citations.append(Citation(int(c["n"]), known, chunk, float(c["score"]), quotes))
    confidence = data.get("confidence")
    return Answer(_text(data["question"]), _text(data["answer"]), tuple(citations), bool(data["refused"]),
                  tuple(_text(n) for n in data["notes"]), _text(data["answerer"]),
                  tuple(_text(u) for u in data["unsupported"]), None if confidence is None else float(confidence))


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _maybe(value) -> str | None:
    return None if value is None else _text(value)


def restore(saved, articles: Mapping[str, Article]) -> dict:
    """A session from what the browser kept: the well-formed entries of its log, the rest dropped."""
    entries = saved.get("log") if isinstance(saved, dict) else None
    kept = []
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("question"), str):
            kept.append({"question": entry["question"]})
        elif isinstance(entry, dict) and isinstance(entry.get("answer"), dict):
            try:
                kept.append({"answer": answer_from_dict(entry["answer"], articles).as_dict()})
            except (KeyError, TypeError, ValueError, IndexError) as e:
                log.info("dropped a saved answer the browser sent back (%s)", e)
    return {"log": kept}


def answers(entries: list[dict], articles: Mapping[str, Article]) -> list[tuple[int, Answer]]:
    """The log's answers with their turn numbers (1, 2, ...)."""
    found = [answer_from_dict(e["answer"], articles) for e in entries if "answer" in e]
    return list(enumerate(found, 1))


def turns(entries: list[dict]) -> list[dict]:
    """The conversation as the assistant reads it for a follow-up question: plain text, oldest first."""
    out = []
    for entry in entries:
        if "answer" in entry:
            answer = entry["answer"]
            out += [{"role": "user", "content": answer["question"]}, {"role": "assistant", "content": answer["answer"]}]
    return out


def messages(entries: list[dict], articles: Mapping[str, Article]) -> list[dict]:
    """The chat's messages, markers linked to each answer's own passages."""
    shown, turn = [], 0
    for entry in entries:
        if "question" in entry:
            shown.append({"role": "user", "content": html.question_html(entry["question"])})
        else:
            turn += 1
            answer = answer_from_dict(entry["answer"], articles)
            shown.append({"role": "assistant", "content": html.answer_html(answer, turn=turn)})
    return shown


def panel(entries: list[dict], articles: Mapping[str, Article]) -> str:
    return html.sources_html(answers(entries, articles))


def _facets(citation: dict) -> tuple[tuple[str, str], ...]:
    """A citation's facets; one saved before facets has its dispute only."""
    facets = citation.get("facets")
    if facets is None:
        dispute = _maybe(citation.get("dispute"))
        return (("dispute", dispute),) if dispute else ()
    if not isinstance(facets, dict):
        raise TypeError(f"expected facets, got {type(facets).__name__}")
    return tuple((_text(name), _text(value)) for name, value in facets.items())
