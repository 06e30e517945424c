"""Which kind of piece a question names ("the interview", "the opinion piece"), and which articles are of it.

A question asking the gist of "the opinion piece" was answered from the article whose passages best matched the
words "opinion piece", and a piece's kind is seldom in its passages: the live blog and the interview came back.
What marks a kind is in how a piece presents itself, at its head: a live blog's title ends "– live", an interview
is headed "The Interview" or is questions and answers, a press release says so, a parliamentary debate names the
House, an explainer promises "what you need to know", an opinion piece is headed "Comment" or speaks in the first
person from its title. These are the conventions of news writing, not of one collection.

>>> from rag.types import Article
>>> blog = Article("b", "Strike day one – live\\n\\nTens of thousands walked out.", "Strike day one – live")
>>> named_genre("What does the live blog say?"), of_genre(blog, "live")
('live', True)
"""

from __future__ import annotations

import re

from rag.types import Article

# A kind of piece: the words a question names it by, and what marks it at a piece's head (its title and first
# lines). An opinion piece's first person, and an explainer's question, count in the title only: news quotes
# people saying "I" in any line, and an interview's questions follow its title.
_GENRES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "live": (re.compile(r"\blive\s*(?:blog|feed|coverage|page|updates?)\b", re.I),
             re.compile(r"[-–—]\s*live\s*$|\blive (?:feed|updates|coverage)\b|\bkey events\b", re.I | re.M)),
    "interview": (re.compile(r"\b(?:interview|q\s*&\s*a)\b", re.I),
                  re.compile(r"\binterview\b|\bspoke to us\b|\bq\s*&\s*a\b", re.I)),
    "release": (re.compile(r"\b(?:press|news|media) (?:release|statement)\b", re.I),
                re.compile(r"\bpress release\b|\bfor immediate release\b|\bnotes to editors\b", re.I)),
    "debate": (re.compile(r"\b(?:debate|hansard|commons|lords|parliament)\b", re.I),
               re.compile(r"\bHouse of (?:Commons|Lords)\b|\bHansard\b|\bdebate\b", re.I)),
    "explainer": (re.compile(r"\b(?:explainer|explained|guide)\b", re.I),
                  re.compile(r"\bwhat you need to know\b|\bexplained\b|\bexplainer\b|"
                             r"\A[^\n]*\b(?:what|why|how) (?:is|are|do|does)\b[^\n]*\?\s*$", re.I | re.M)),
    "opinion": (re.compile(r"\b(?:opinion|comment|column|editorial|op-?ed|commentary)\b", re.I),
                re.compile(r"\A[^\n]*\b(?:I|I'm|I’m|I've|I’ve|my)\b|^\W*(?:comment|opinion|column|editorial)\W*$",
                           re.M)),
}
# How much of a piece is its head: the title, a kicker or a byline, the first paragraph.
_HEAD = 400


def named_genre(question: str) -> str | None:
    """The kind of piece ``question`` names, or None.

    >>> named_genre("Summarise the opinion piece"), named_genre("What did the Commons debate cover?")
    ('opinion', 'debate')
    >>> print(named_genre("What did the BMA say?"))
    None
    """
    return next((name for name, (asked, _) in _GENRES.items() if asked.search(question)), None)


def of_genre(article: Article, genre: str) -> bool:
    """Whether ``article`` presents itself as a piece of kind ``genre`` at its head: its title, on a line of its
    own, then the first lines of its text.

    >>> from rag.types import Article
    >>> op = Article("o", "I have been a consultant for 20 years\\n\\nEvery winter ...", "I have been a consultant")
    >>> of_genre(op, "opinion"), of_genre(op, "interview")
    (True, False)
    """
    return bool(_GENRES[genre][1].search(f"{article.title}\n{article.text[:_HEAD]}"))
