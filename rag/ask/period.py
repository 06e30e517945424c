"""What happened on a day, in a month or a year: "What happened on January 12, 2016?", "News from March 2023?".

An article's date is its own (front matter, or the date stamp on its page), but its text speaks of "today" and
"on Monday", not of the date. Asked what happened on the day an article came out, the model read sentences that
name other dates ("A 48-hour walk out is planned for January 26 and 27 ..."), the check found none naming the day
asked about, and the question was refused; "What was the news on 11 March 2023?" got a side remark of that day's
article instead of its lead. A question that names a period and nothing else to look for is answered with the
opening sentences of the articles published then, one line per article, each sentence cited. A question naming
something more ("What did the BMA say in March 2023?"), a period no article was published in, or a day some
article writes out ("What happens on February 10?", a strike day the articles announce: the question may ask
about that day's events, not that day's news) goes to the answerers. Asked for the gist of everything ("Summarise
the articles", "What happened?", "Give me a timeline"), with no period named and no earlier turn to lean on, the
whole collection is told the same way, oldest first; asked what a publisher reports, its own articles.

>>> from rag.types import Article
>>> arts = {"a": Article("a", "x", "Junior doctors strike", date="2016-01-12"),
...         "b": Article("b", "y", "Junior doctors plan more strikes", date="2016-02")}
>>> [a.id for a in published_in("What happened on 12 January 2016?", arts)]
['a']
>>> published_in("What did the BMA say on 12 January 2016?", arts)  # asks for something in particular
[]
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Mapping, Sequence

import numpy as np

from rag.ask.collection import publishers_named
from rag.ask.overview import cited, facet_words, openings
from rag.ask.question import asks_particular, unstranded
from rag.index.sentence_store import SentenceStore
from rag.index.vector_store import StoreFilter, admits_article
from rag.messages import render
from rag.text.dateline import in_period, named_period, names_day
from rag.text.words import words
from rag.types import Answer, Article, Chunk, Citation

# Words that ask what happened without asking for anything in particular.
_FRAMING = frozenset(words(
    "what whats what's happen happened happening happens go going went on take took place places event events "
    "news new report reported reports reporting story stories article articles say said tell me us about there "
    "then in on during over at from of the day date week month year was were is are any anything key main "
    "summary summarise summarize overview headline headlines latest development developments update updates "
    "timeline chronology recap "
    "please can could you give simply briefly quickly"))
# Words that ask for the gist of what the articles report, where a question names no period: "Summarise the
# articles", "What happened?", "Give me a timeline". Without one, "What is it?" would be a digest too.
_DIGEST = frozenset(words(
    "summary summarise summarize overview timeline chronology recap happen happened happening happens news "
    "headline headlines development developments update updates story stories about tell write wrote written "
    "brief briefing catch up going gist rundown explain"))
# Words that stand for the articles as a whole, besides the framing: "What is it all about?".
_ALL = frozenset(words("all it this these they them everything"))
# "tl;dr" ("too long; didn't read") asks for a summary; its words are "tl" and "dr".
_TLDR = re.compile(r"\btl\s*;?\s*dr\b", re.IGNORECASE)
# Up to this many articles are told by their openings in full; more (a year's digest) by the first of each.
_IN_FULL = 3


def published_in(question: str, articles: Mapping[str, Article]) -> list[Article]:
    """The articles published in the period ``question`` names, oldest first, when it asks what happened then and
    nothing more; [] otherwise. Words most of the articles' titles hold are the collection's topic ("junior
    doctors strike") and ask nothing more: "What happened to the junior doctors in 2023?" is such a question. So
    does a facet the question names ("What happened in the 2023 dispute?", where articles have a dispute)."""
    found = named_period(question)
    if not found or _asks_particular(question, found[1]):
        return []
    period, named = found
    dated = sorted((a for a in articles.values() if in_period(a.date, period)), key=lambda a: a.date or "")
    if not dated or (period.count("-") == 2 and any(names_day(a.text, period) for a in articles.values())):
        return []
    left = set(words(question.replace(named, " "))) - _FRAMING - facet_words(articles, set(words(question)))
    return [] if left and left - _topic(tuple(a.title for a in articles.values())) else dated


def _asks_particular(question: str, period: str = "", whole: frozenset[str] = frozenset()) -> bool:
    """``asks_particular``, save for an "about" asking what the articles themselves are about: "What is this
    about?" and "What are the articles about in 2023?" ask for the gist of them all, as "What happened?" does,
    where "What were the doctors striking about?" asks for a cause. Words in ``whole`` stand for all the articles
    too: with no period named, "What is the strike about?" over a collection on strikes asks for the gist of all
    of it (each article's opening says what its strike is about; the best sentences for "strike" alone do not)."""
    rest = unstranded(question)
    if rest != question and set(words(rest)) - set(words(period)) <= _FRAMING | _ALL | whole:
        return asks_particular(rest)
    return asks_particular(question)


def digest_of(question: str, articles: Mapping[str, Article]) -> list[Article]:
    """All the articles, or those of the publisher it names, oldest first, when ``question`` names no period and
    asks for the gist of what they report and nothing more; [] otherwise. The collection's topic, a facet it names
    and the framing words ask nothing more, as in ``published_in``.

    >>> from rag.types import Article
    >>> arts = {"a": Article("a", "x", "Junior doctors strike", "Wire", "2016-01-12"),
    ...         "b": Article("b", "y", "Junior doctors plan more strikes", "The Post", "2016-02")}
    >>> [a.id for a in digest_of("Summarise the articles", arts)], digest_of("Summarise the pay offer", arts)
    (['a', 'b'], [])
    >>> [a.id for a in digest_of("What did the Post report?", arts)]
    ['b']
    >>> [a.id for a in digest_of("tl;dr", arts)], [a.id for a in digest_of("Explain the strikes", arts)]
    (['a', 'b'], ['a', 'b'])
    """
    if named_period(question):
        return []
    asked = set(words(_TLDR.sub(" summary ", question)))
    topic = _topic(tuple(a.title for a in articles.values()))
    if _asks_particular(question, whole=topic | facet_words(articles, asked)):
        return []
    by = publishers_named(asked, articles.values())
    left = asked - _FRAMING - _DIGEST - _ALL - facet_words(articles, asked) - {w for p in by for w in words(p)}
    if not (asked & _DIGEST or by) or left - topic:
        return []
    return sorted((a for a in articles.values() if not by or a.publisher in by), key=lambda a: a.date or "")


# "Summarise the article about the Gaza doctors", "Give me the gist of the interview": one article, picked by what
# else the question says, not by a period or a publisher.
_ONE_ARTICLE = re.compile(r"\b(?:the|this|that)\s+(?:\w+\s+){0,2}(?:article|piece|story|report|column|interview|"
                          r"debate|blog|release|explainer|editorial|op-ed)\b(?!s)", re.IGNORECASE)
_SUMMARY = frozenset(words("summary summarise summarize overview gist rundown recap sum"))
# What a piece does as a whole: "What does the opinion piece argue?", "What did the debate cover?".
_GIST = frozenset(words("argue argues argued argument announce announces announced claim claims cover covers covered "
                        "discuss discussed discusses point points message say says said"))
# Words naming no piece in particular: "What did the article say?" asks about whatever the chat was on.
_ANY_PIECE = frozenset(words("this that article piece story report"))


def asks_one_article(question: str) -> bool:
    """The question asks for the gist of one article, which its other words pick out: it asks for a summary, or
    names a kind of piece ("the interview", "the opinion piece") and asks nothing but what it says.

    >>> asks_one_article("Summarise the article about the Gaza doctors"), asks_one_article("Summarise the articles")
    (True, False)
    >>> asks_one_article("What did the report say about pay?"), asks_one_article("tl;dr of the interview")
    (False, True)
    >>> asks_one_article("What does the opinion piece argue?"), asks_one_article("What did the article say?")
    (True, False)
    """
    piece = _ONE_ARTICLE.search(question)
    if not piece:
        return False
    asked = set(words(_TLDR.sub(" summary ", question)))
    if asked & _SUMMARY:
        return True
    named = set(words(piece.group()))
    return bool(named - _ANY_PIECE) and not asked - named - _FRAMING - _GIST


def about_article(question: str) -> str:
    """What picks out the article ``question`` asks the gist of: its words but those asking for a summary.

    >>> about_article("Can you give me a quick summary of the interview, please?")
    'interview'
    """
    kept = [w for w in re.findall(r"[\w'’-]+", _TLDR.sub(" ", question))
            if (found := set(words(w))) and not found & (_SUMMARY | _FRAMING)]
    return " ".join(kept) or question


def period_answer(question: str, dated: Sequence[Article], vector: np.ndarray,
                  passages: Callable[[str], Sequence[Chunk]], sentences: SentenceStore,
                  where: StoreFilter | None, per_article: int, most: int, head: str = "") -> Answer | None:
    """The opening sentences of each of ``dated`` (at most ``most`` articles, those whose openings are most like
    the question, shown in date order), ``per_article`` each (one each for more than a few articles), in the
    article's order, a line per article, under ``head`` (by default, what the question asked for); None when the
    chat's filters (``where``) leave none of them."""
    shown = [(a, found) for a in dated if admits_article(where, a)
             and (found := openings(a, passages(a.id), sentences)[:per_article])]
    if not shown:
        return None
    if len(shown) > most:
        best = sorted(shown, key=lambda s: -max(float(v @ vector) for *_, v in s[1]))[:most]
        shown = [s for s in shown if s in best]
    if len(shown) > _IN_FULL:
        shown = [(a, found[:1]) for a, found in shown]
    lines = [head or _head(question, dated, [a for a, _ in shown])]
    citations: list[Citation] = []
    for article, quoted in shown:
        text = cited(quoted, citations)
        lines.append(render("PERIOD_ARTICLE", title=article.title, date=article.date, text=text) if article.date
                     else render("PERIOD_ARTICLE_UNDATED", title=article.title, text=text))
    return Answer(question, "\n".join(lines), tuple(citations), False, (), "period")


def _head(question: str, dated: Sequence[Article], shown: Sequence[Article]) -> str:
    """What the digest tells: the articles of the period ``question`` names, or of the publishers it names, or all
    of them (how many of ``dated`` are ``shown``, and in which order where they have dates)."""
    period_named = named_period(question)
    if period_named:
        period, named = period_named
        return render("PERIOD_HEAD", when=f"{'on' if period.count('-') == 2 else 'in'} {named}")
    asked = set(words(question))
    by = sorted(publishers_named(asked, dated))
    whose = render("DIGEST_BY", publishers=" and ".join(by)) if by else render("DIGEST_ALL")
    order = render("DIGEST_OLDEST") if any(a.date for a in shown) else ""
    return render("DIGEST_HEAD", whose=whose, order=order, shown=len(shown), total=len(dated))


@lru_cache(maxsize=4)
def _topic(titles: tuple[str, ...]) -> frozenset[str]:
    """The words at least half of the titles hold: what the whole collection is about (read once per collection,
    not on every question that names a year)."""
    counts: dict[str, int] = {}
    for title in titles:
        for word in set(words(title)):
            counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in counts.items() if 2 * n >= len(titles))
