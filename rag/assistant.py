"""The assistant a front end talks to: index and model loaded once, then any number of questions.

The CLI and the chat UI both use this and nothing below it.

>>> assistant = Assistant.open(Settings())  # doctest: +SKIP
>>> answer = assistant.ask("What pay rise did the Government offer?")  # doctest: +SKIP
>>> answer.text  # doctest: +SKIP
'The BMA claims ... points to its offer of an 11 per cent rise in basic pay. [1]'
"""

from __future__ import annotations

import logging
from typing import Sequence

from embeddings import Embedder, load_embedder
from rag.answer import Answerer, ExtractiveAnswerer, Query
from rag.errors import UsageError
from rag.followup import said_before, search_query
from rag.index import Index, load_index
from rag.prompts import render
from rag.retrieve import Filters, Retriever
from rag.settings import Settings
from rag.types import Answer, Hit

log = logging.getLogger(__name__)


class Assistant:
    def __init__(self, settings: Settings, index: Index, embedder: Embedder, answerer: Answerer | None = None):
        self.settings = settings
        self.index = index
        self.retriever = Retriever(index, embedder, settings)
        self.answerer = answerer or ExtractiveAnswerer(embedder, index.lexical, settings, index.articles)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> "Assistant":
        """Load the current index (checked) and the embedding model it was built with."""
        index = load_index(settings)
        return cls(settings, index, embedder or load_embedder(settings.model, settings.embed_batch))

    def query(self, question: str, history: Sequence[dict] | None = None) -> Query:
        """Validate and trim a question, and resolve it against the conversation."""
        if not isinstance(question, str) or not question.strip():
            raise UsageError(render("EMPTY_QUESTION"))
        question = " ".join(question.split())
        notes: tuple[str, ...] = ()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question, notes = question[:limit], (render("QUESTION_CUT", limit=limit),)
        text = search_query(question, history, self.settings.history_turns)
        return Query(question, text, self.retriever.embed_query(text), said_before(history), notes)

    def search(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
               k: int | None = None) -> list[Hit]:
        query = self.query(question, history)
        return self.retriever.search(query.text, k, filters, query.vector)

    def ask(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
            k: int | None = None) -> Answer:
        query = self.query(question, history)
        hits = self.retriever.search(query.text, k, filters, query.vector)
        return self.answerer.answer(query, hits, self.index.articles)
