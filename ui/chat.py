"""The chat's two entry points: the streaming handler behind the chat box, and the public ``ask`` API.

Both turn a ``RagError`` into its readable message and any other failure into a short apology (the
traceback goes to the server log only).
"""

import logging
import re
import time
from typing import Iterator

import gradio as gr

from rag.errors import RagError, UsageError
from rag.messages import render
from rag.ask.retrieve import Filters
from rag.ask.generate import Preview
from rag.types import Answer
from ui import conversation, html
from ui.articles import valid_date
from ui.service import Service

log = logging.getLogger(__name__)

_FILTER_KEYS = ("disputes", "publishers", "date_from", "date_to", "facets")
_PATH = re.compile(r"(?<![\w.:/])(?:~|\.{1,2})?(?:/[\w.+@-]+)+/?")


def public(error: Exception) -> str:
    """An error's message for a web client: server paths cut to their last part (the CLI shows them whole).

    >>> public(UsageError("corpus folder not found: /srv/rag/corpus"))
    'corpus folder not found: corpus'
    """
    return _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], str(error))


def make_filters(disputes=None, publishers=None, date_from=None, date_to=None, facets=None) -> Filters:
    """Filters from the form or the API, with the dates checked. Raises ``UsageError``.

    >>> make_filters(facets={"section": ["Health"]}).for_store().facets
    (('section', frozenset({'Health'})),)
    """
    dates = []
    for value in (date_from, date_to):
        value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
        if value and not valid_date(value):
            raise UsageError(render("BAD_DATE", value=value))
        dates.append(value or None)
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise UsageError(render("DATE_ORDER", start=dates[0], end=dates[1]))
    if facets is not None and not isinstance(facets, dict):
        raise UsageError(render("BAD_FILTER_VALUE"))
    chosen = tuple((str(name), _names(values)) for name, values in (facets or {}).items())
    return Filters(_names(disputes), _names(publishers), dates[0], dates[1], chosen)


def _names(values) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if values is not None and (not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values)):
        raise UsageError(render("BAD_FILTER_VALUE"))
    return tuple(v for v in values or () if v)


def check_k(k, most: int) -> int | None:
    """How many passages to use: a whole number from 1 to ``most``, or None for the default."""
    if k is None or k == "":
        return None
    try:
        value = int(float(k))
        whole = float(k) == value and not isinstance(k, bool)  # JSON true is not a number of passages
    except (TypeError, ValueError, OverflowError):  # OverflowError: infinity
        whole = False
    if not whole or not 1 <= value <= most:
        raise UsageError(render("BAD_K", most=most))
    return value


def check_history(history) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise UsageError(render("BAD_HISTORY"))
    turns = []
    for turn in history:
        if (not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant")
                or not isinstance(turn.get("content"), str)):
            raise UsageError(render("BAD_HISTORY"))
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


def stream(service: Service, question: str, session: dict, disputes=None, publishers=None, date_from=None,
           date_to=None, k=None, answerer=None) -> Iterator[tuple]:
    """Answer in the chat: show the question, then the answer as it is written (a model's draft token by token,
    or a quoted answer sentence by sentence), then the checked answer with its sources.

    A question the chat cannot take gets a notice of its own after the conversation, which it does not join.
    Yields (chat messages, sources panel, session, question box).
    """
    entries = list((session or conversation.new_session())["log"])
    session = {"log": entries}
    articles = service.assistant.index.articles
    settled = conversation.messages(entries, articles)
    question = question or ""
    asked = []
    if question.strip():
        asked = [{"role": "user", "content": html.question_html(" ".join(question.split()))}]
        yield settled + asked, gr.skip(), session, ""
    draft = ""
    try:
        facet = service.facet()  # the form's facet filter ("disputes" in the /chat API) filters on it
        filters = make_filters(None, publishers, date_from, date_to, {facet.name: disputes} if facet else None)
        for piece in service.stream(question, conversation.turns(entries), filters,
                                    check_k(k, service.settings.ui_max_k), answerer):
            if isinstance(piece, Answer):
                answer = piece
                break
            if isinstance(piece, Preview):
                message = {"role": "assistant", "content": html.preview_html(piece.answer)}
                yield settled + asked + [message], gr.skip(), session, ""
                continue
            draft += piece
            message = {"role": "assistant", "content": html.draft_html(draft)}
            yield settled + asked + [message], gr.skip(), session, ""
    except RagError as e:
        notice = {"role": "assistant", "content": html.problem_html(render("UI_ERROR", message=public(e)))}
        yield settled + [notice], gr.skip(), session, question  # kept, to fix and send again
        return
    except Exception:
        log.exception("answering %r failed", question)
        notice = {"role": "assistant", "content": html.problem_html(render("UI_UNEXPECTED"))}
        yield settled + [notice], gr.skip(), session, ""
        return
    entries = entries + [{"question": " ".join(question.split())}, {"answer": answer.as_dict()}]
    turn = sum("answer" in e for e in entries)
    sources = conversation.panel(entries, service.assistant.index.articles)
    pieces = 1 if draft else max(1, len(html.sentences(answer.text)))  # a streamed draft is replaced at once
    for n in range(1, pieces + 1):
        if n > 1:
            time.sleep(service.settings.ui_stream_delay)
        message = {"role": "assistant", "content": html.answer_html(answer, None if draft else n, turn)}
        # Sources with the first sentence, for the page, and again with the last: an API caller gets the
        # final values only, and a skipped update would leave it none.
        panel = sources if n in (1, pieces) else gr.skip()
        yield settled + asked + [message], panel, {"log": entries} if n == pieces else session, ""


def api_ask(service: Service, question: str, history: list[dict] | None = None, filters: dict | None = None,
            k: int | None = None) -> dict:
    """See ``make_api``: the same as ``rag ask --json``, as a dict."""
    try:
        filters = filters or {}
        if not isinstance(filters, dict):
            raise UsageError(render("BAD_FILTER", name=type(filters).__name__))
        unknown = [key for key in filters if key not in _FILTER_KEYS]
        if unknown:
            raise UsageError(render("BAD_FILTER", name=unknown[0]))
        answer: Answer = service.ask(question, check_history(history), make_filters(**filters),
                                     check_k(k, service.settings.ui_max_k))
    except RagError as e:
        raise gr.Error(public(e), print_exception=False) from None
    except Exception:
        log.exception("API question %r failed", question)
        raise gr.Error(render("UI_UNEXPECTED"), print_exception=False) from None
    return answer.as_dict()


def make_api(service: Service):
    """The function registered as the public endpoint ``/ask`` (typed, so Gradio can describe it)."""

    def ask(question: str, history: list[dict] | None = None, filters: dict | None = None,
            k: int | None = None) -> dict:
        """Answer a question from the articles, with numbered citations to exact passages.

        Inputs:
            question: the question, e.g. "Who invited the BMA to pay talks in 2023?"
            history: earlier turns of the conversation, oldest first, as [{"role": "user" | "assistant",
                "content": "..."}]; follow-up questions ("What did he say next?") are read against it.
                Empty or omitted for a fresh question.
            filters: restrict retrieval; any of {"publishers": ["The Independent", ...],
                "date_from": "YYYY[-MM[-DD]]", "date_to": "YYYY[-MM[-DD]]" (inclusive dates), "facets":
                {"<facet>": ["<value>", ...]} (the facets the corpus's corpus.toml names, e.g. "dispute"),
                "disputes": [...] (the same as "facets": {"dispute": [...]})}. Empty or omitted for no restriction.
            k: how many retrieved passages the answer may draw on (1 to the server's ui_max_k); omitted for
                the server's default.

        Returns the same object as `rag ask --json`: {"question", "answer" (text with [n] markers),
        "refused" (true when the articles don't cover the question), "citations": [{"n", "article_id",
        "title", "publisher", "date", "url", "dispute", "facets" ({"<facet>": "<value>"}), "text" (the passage),
        "start", "end" (its offsets in
        the article), "score", "quotes" ([start, end] article offsets of the cited sentences)}], "notes",
        "answerer" (who wrote the text: "extractive", or the model backend), "unsupported" (sentences of a
        generated answer that their citations do not back), "confidence" (the best sentence's score; refused
        below the server's refuse_below; null when nothing was scored)}. A question the server cannot take (empty, bad
        filter, bad date) fails with a readable message.

        Example (Python, gradio_client):
            Client("http://127.0.0.1:7860/").predict("What is full pay restoration?", api_name="/ask")
            Client("http://127.0.0.1:7860/").predict("What is full pay restoration?", [],
                {"disputes": ["2023 pay"]}, 5, api_name="/ask")
        """
        return api_ask(service, question, history, filters, k)

    return ask
