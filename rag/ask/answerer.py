"""The answerer seam: anything that turns a question and its retrieved passages into a cited answer.

The extractive answerer (``rag/ask/extractive.py``) and the model answerers (``rag/ask/generate.py``) both fit it.
"""

from __future__ import annotations

from typing import Mapping, Protocol

from rag.ask.question import Query
from rag.types import Answer, Article, Hit


class Answerer(Protocol):
    name: str

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer: ...
