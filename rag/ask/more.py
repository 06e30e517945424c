"""More of what the last answer quoted: "Tell me more", "Go on" or "What else?" after an answer.

Such a request has no words of its own to search with. Answered like other questions, the model repeated its last
answer, and the quotes, which leave out what was already said, found nothing else close enough and refused. It is
answered from the article the conversation last quoted: the sentences that follow there (or, where the quote ended
the article, those it opened with), not yet said, each cited to its passage. Where the last answer quoted no
sentence word for word (the model wrote it in its own words), the request goes to the answerers as before.

>>> asks_more("Tell me more"), asks_more("go on please"), asks_more("Tell me more about Hunt")
(True, True, False)
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

from rag.index.vector_store import StoreFilter, admits_article
from rag.text.sentences import states
from rag.types import Answer, Article, Chunk, Citation

_MORE = re.compile(
    r"^\s*(?:(?:please|and|ok(?:ay)?|so)[\s,]+)?"
    r"(?:(?:can\s+you\s+)?(?:tell|give|show)\s+me\s+more(?:\s+(?:about\s+(?:it|that|this)|details?|info(?:rmation)?))?|"
    r"more(?:\s+(?:details?|info(?:rmation)?))?|go\s+on|continue|keep\s+going|what\s+else|anything\s+else|"
    r"(?:can\s+you\s+)?(?:elaborate|expand)(?:\s+on\s+(?:it|that|this))?|what\s+happened\s+next|and\s+then)"
    r"(?:[\s,]+please)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_SHORTEST = 4  # words a sentence needs to be told (a byline or a caption has fewer)
_OPENING = 8  # opening words that stand for a whole sentence the last answer quoted in part


def asks_more(question: str) -> bool:
    """The question asks only to hear more of what was being told."""
    return bool(_MORE.match(question))


def more_answer(question: str, said: str, articles: Mapping[str, Article],
                passages: Callable[[str], Sequence[Chunk]], where: StoreFilter | None = None,
                count: int = 2) -> Answer | None:
    """Up to ``count`` sentences that follow, in its article, the sentence of ``said`` (what the assistant said,
    markers removed) that comes last in it (the article's first ones where that sentence ends it), leaving out any
    already said; None when ``said`` quotes no sentence of an article the filter ``where`` admits word for word, or
    the article has nothing more to tell."""
    last = _last_quoted(said, articles, passages, where)
    if last is None:
        return None
    article, after = last
    told: dict[tuple[int, int], Chunk] = {}  # passages overlap: a sentence is cited to the first that holds it
    for chunk in passages(article.id):
        for span in chunk.sentences:
            text = article.text[span[0]:span[1]]
            if span not in told and _quoted(text, said) < 0 and states(text) and len(text.split()) >= _SHORTEST:
                told[span] = chunk
    # What follows the last quote first; where the quote ended the article, what it opened with.
    order = [(c, s) for s, c in told.items()]
    picked = ([(c, s) for c, s in order if s[0] >= after] or order)[:count]
    if not picked:
        return None
    chunks = list(dict.fromkeys(c.id for c, _ in picked))
    by_id = {c.id: c for c, _ in picked}
    citations = tuple(Citation(n, article, by_id[cid], 1.0, tuple(s for c, s in picked if c.id == cid))
                      for n, cid in enumerate(chunks, 1))
    text = " ".join(f"{article.text[a:b]} [{chunks.index(c.id) + 1}]" for c, (a, b) in picked)
    return Answer(question, text, citations, False, (), "more")


def _last_quoted(said: str, articles: Mapping[str, Article], passages: Callable[[str], Sequence[Chunk]],
                 where: StoreFilter | None) -> tuple[Article, int] | None:
    """The article holding the sentence of ``said`` that ``said`` gives last, and where that sentence ends."""
    best: tuple[int, Article, int] | None = None
    for article in articles.values():
        if not admits_article(where, article):
            continue
        for chunk in passages(article.id):
            for a, b in chunk.sentences:
                text = article.text[a:b]
                at = _quoted(text, said) if len(text.split()) >= _SHORTEST else -1
                if at >= 0 and (best is None or at > best[0] or (at == best[0] and b > best[2])):
                    best = (at, article, b)
    return None if best is None else (best[1], best[2])


def _quoted(text: str, said: str) -> int:
    """Where in ``said`` the sentence ``text`` was quoted, whole or by its opening words (a model often stops a
    long sentence early: "... crumbled last week [1]."), or -1.

    >>> _quoted("Talks crumbled last week, and so further action is planned for Tuesday.", "Talks crumbled last week.")
    -1
    >>> _quoted("Conciliation talks between the BMA and the Government crumbled last week, and so more is planned.",
    ...         "Hello. Conciliation talks between the BMA and the Government crumbled last week.")
    7
    """
    at = said.rfind(text)
    opening = " ".join(text.split()[:_OPENING])
    return at if at >= 0 or len(text.split()) <= _OPENING else said.rfind(opening)
