"""Resolve follow-up questions against the conversation so far.

A question that leans on earlier turns ("What did he say next?") is searched together with the earlier user
questions; a self-contained question is searched alone.

>>> history = [{"role": "user", "content": "What did Jeremy Hunt say about the walkout?"},
...            {"role": "assistant", "content": "He called it wholly unnecessary [1]."}]
>>> search_query("What did he say next?", history, turns=2)
'What did Jeremy Hunt say about the walkout? What did he say next?'
"""

from __future__ import annotations

import re
from typing import Sequence

_LEANS_ON_CONTEXT = re.compile(
    r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|"
    r"next|else|also|too|same|former|latter|above|earlier|previous|first one|second one)\b|"
    r"^\s*(?:and|but|so|what about|how about|why|when|where|who|how (?:many|much|long))\b[^?]{0,25}\??\s*$",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    return bool(_LEANS_ON_CONTEXT.search(question)) or len(question.split()) <= 3


def search_query(question: str, history: Sequence[dict] | None, turns: int) -> str:
    """The text to search with: the question, preceded by earlier user turns when it is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    earlier = [t["content"] for t in history if t.get("role") == "user" and t.get("content")]
    return " ".join([*earlier[-turns:], question]) if earlier else question


def said_before(history: Sequence[dict] | None) -> str:
    """Everything the assistant already said, so a follow-up can prefer sentences not yet quoted."""
    return " ".join(t.get("content", "") for t in history or () if t.get("role") == "assistant")
