"""Naive answerers to measure the real one against (``rag eval --ablations``).

``LeadAnswerer`` quotes the opening sentences of the best passage, whatever the question, the way a
"show the top search result" system would. It implements the same ``Answerer`` protocol as
``rag.ask.extractive.ExtractiveAnswerer``, so an evaluation can swap one for the other:

>>> from rag.ask.question import Query
>>> from rag.types import Chunk, Hit
>>> article = Article(id="a", title="T", text="One fact. Two facts. Three.")
>>> chunk = Chunk("a#0", "a", article.text, 0, 27, ((0, 9), (10, 20), (21, 27)))
>>> LeadAnswerer().answer(Query("Q?", "Q?", None, None), [Hit(chunk, 1.0)], {"a": article}).text
'One fact. Two facts. [1]'
"""

from __future__ import annotations

from typing import Mapping

from rag.ask.extractive import refusal
from rag.ask.question import Query
from rag.messages import render
from rag.types import Answer, Article, Citation, Hit


class LeadAnswerer:
    name = "lead"

    def __init__(self, sentences: int = 2):
        self.sentences = sentences

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer:
        """The first ``sentences`` sentences of the top passage, cited as [1]; refuses only with no passage."""
        if not hits:
            return refusal(query, render("REFUSAL"))
        top = hits[0]
        article = articles[top.chunk.article_id]
        spans = top.chunk.sentences[: self.sentences]
        quoted = " ".join(article.text[start:end] for start, end in spans)
        citation = Citation(1, article, top.chunk, top.score, tuple(spans))
        return Answer(query.question, f"{quoted} [1]", (citation,), False, query.notes, self.name)
