"""An open comparison: "Compare the 2016 and 2023 disputes", "What is the difference between the two disputes?".

Such a question names its sides (two or more years, or a facet of the corpus in the plural: "the two disputes")
and nothing to compare them on. The model, reading a few passages of each side, mixed the sides up ("The 2023
dispute ... involved a series of larger strikes", from a 2016 article), the check rejected it, and the question
was refused. It is answered instead with each side's gist, one side per line: the opening sentences of that
side's articles that best match the question, quoted and cited. A comparison that names what to compare ("How
long was the 2016 strike compared with the 2023 one?") is not one of these: it goes to the answerers.

>>> from rag.types import Article
>>> arts = {"a": Article("a", "x", "Doctors strike", date="2016-01-12"),
...         "b": Article("b", "y", "Doctors strike again", date="2023-03-11")}
>>> [label for label, _ in sides("Compare the 2016 and 2023 strikes", arts)]
['2016', '2023']
>>> sides("Compare the 2016 and 2023 pay offers", arts)  # names what to compare: not open
[]
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

import numpy as np

from rag.ask.collection import publishers_named
from rag.ask.question import asks_particular, compares, years_in
from rag.index.sentence_store import SentenceStore
from rag.index.vector_store import StoreFilter, admits_article
from rag.messages import render
from rag.text.sentences import states
from rag.text.words import words
from rag.types import Answer, Article, Chunk, Citation

# Words that frame a comparison without saying what to compare: "What is the difference between the two ...?"
_FRAMING = frozenset(words(
    "compare compared comparing comparison contrast contrasted differ differs differed difference differences "
    "different similar similarity similarities alike same between two three both each side sides versus vs "
    "against common one ones other tell me please can could explain summarise summarize overview what's whats "
    "report reports article articles piece pieces story stories coverage account accounts"))
# "The 2016 vs 2023 disputes" sets its sides against each other without a word that compares.
_VERSUS = re.compile(r"\b(?:versus|vs)\b", re.IGNORECASE)
# How far into an article its gist is looked for: its opening sentences.
_OPENING = 4
# The fewest words a gist sentence has.
_SHORTEST = 6
# A sentence that points to what follows states none of it: "Here is a summary of the first day:", "Here is what
# you need to know." (a live blog's and an explainer's openings).
_SIGNPOST = re.compile(r"^\s*here(?:'s|’s|\s+is|\s+are)\b|:\s*$", re.IGNORECASE)


def sides(question: str, articles: Mapping[str, Article]) -> list[tuple[str, list[Article]]]:
    """The sides an open comparison sets side by side, each with its articles, in time order; [] when the
    question is no comparison, names fewer than two sides, or names something to compare them on."""
    if not (compares(question) or _VERSUS.search(question)) or asks_particular(question):
        return []
    years = sorted(set(years_in(question)))
    named: list[tuple[str, list[Article]]] = []
    if len(years) > 1:
        named = [(y, [a for a in articles.values() if _of_year(a, y)]) for y in years]
    elif not years and (publishers := publishers_named(set(words(question)), articles.values())):
        # "Compare the Reuters and AP reports": each publisher's articles are a side.
        named = [(p, [a for a in articles.values() if a.publisher == p])
                 for p in sorted(publishers, key=lambda p: min(a.date or "" for a in articles.values()
                                                               if a.publisher == p))]
    elif not years:  # "the two disputes" sets the facet's values side by side; "the 2016 disputes" does not
        asked = set(words(question))
        for name in dict.fromkeys(n for a in articles.values() for n, _ in a.facets):
            if set(words(name)) & asked:
                values = sorted({v for a in articles.values() if (v := a.facet(name))},
                                key=lambda v: min(a.date or "" for a in articles.values() if a.facet(name) == v))
                named = [(render("OVERVIEW_FACET", value=v, name=name),
                          [a for a in articles.values() if a.facet(name) == v]) for v in values]
                break
    named = [(label, arts) for label, arts in named if arts]
    if len(named) < 2:
        return []
    # What every side's titles share is what the collection is about ("junior doctors strike"): naming it
    # asks nothing more specific than the comparison itself.
    shared = set.intersection(*({w for a in arts for w in words(a.title)} for _, arts in named))
    asked = set(words(question))
    left = asked - _FRAMING - set(years) - shared - facet_words(articles, asked) - {
        w for label, _ in named for w in words(label)}
    return [] if left else named


def overview_answer(question: str, named: Sequence[tuple[str, list[Article]]], vector: np.ndarray,
                    passages: Callable[[str], Sequence[Chunk]], sentences: SentenceStore,
                    where: StoreFilter | None, per_side: int) -> Answer | None:
    """Each side's ``per_side`` opening sentences most like the question (``vector``), quoted and cited, a line
    per side; None when fewer than two sides have any within ``where`` (the chat's filters)."""
    lines = [render("OVERVIEW_HEAD")]
    citations: list[Citation] = []
    for label, arts in named:
        found = [c for a in arts if admits_article(where, a) for c in openings(a, passages(a.id), sentences)]
        found.sort(key=lambda c: -float(c[3] @ vector))
        if found:
            lines.append(render("OVERVIEW_SIDE", side=label, text=cited(found[:per_side], citations)))
    if len(lines) < 3:
        return None
    return Answer(question, "\n".join(lines), tuple(citations), False, (), "overview")


def cited(found: Sequence[tuple[Article, Chunk, tuple[int, int], np.ndarray]], citations: list[Citation]) -> str:
    """The sentences of ``found`` (from ``openings``) quoted, each with the marker of the citation it adds to
    ``citations``, numbered on from those already there."""
    quoted = []
    for article, chunk, span, _ in found:
        citations.append(Citation(len(citations) + 1, article, chunk, 1.0, (span,)))
        quoted.append(f"{article.text[span[0]:span[1]]} [{len(citations)}]")
    return " ".join(quoted)


def openings(article: Article, chunks: Sequence[Chunk], sentences: SentenceStore
              ) -> list[tuple[Article, Chunk, tuple[int, int], np.ndarray]]:
    """The article's first statements (a heading or caption left out), each with its passage and vector: its
    gist, as a news article opens with it. Where the text gives its own headline near its top, the article
    opens after it: what a page prints above its headline is a photo's caption or the site's own words."""
    title = words(article.title)
    first: dict[tuple[int, int], Chunk] = {}
    for chunk in chunks:
        for span in chunk.sentences:
            first.setdefault(span, chunk)  # passages overlap: a sentence is cited to the first that holds it
    spans = sorted(first)
    headline = next((i for i, (a, b) in enumerate(spans[:_OPENING]) if words(article.text[a:b]) == title), None)
    found = []
    reach = _OPENING
    for n, span in enumerate(spans[headline + 1 if headline is not None else 0:]):
        if n >= reach:
            break
        text = article.text[span[0]:span[1]]
        if _SIGNPOST.search(text):
            reach += 1  # what it points to is the opening
            continue
        vector = sentences.lookup(article.id, [span])[0]
        if vector is not None and states(text) and len(text.split()) >= _SHORTEST and words(text) != title:
            found.append((article, first[span], span, vector))
    return found


def facet_words(articles: Mapping[str, Article], asked: set[str]) -> set[str]:
    """The words of the facet names the question holds, and of the values of those facets it names whole ("the
    2016 contract dispute"): they name a group of articles (a comparison's sides, a period's articles), not
    something to ask about. "Compare pay in 2016 and 2023" names no facet, so its "pay" asks about pay even where
    a facet value is "2023 pay"."""
    named = {n for a in articles.values() for n, _ in a.facets if set(words(n)) & asked}
    values = [set(words(v)) for a in articles.values() for n, v in a.facets if n in named]
    return {w for n in named for w in words(n)}.union(*(v for v in values if v <= asked))


def _of_year(article: Article, year: str) -> bool:
    """Whether the article is of ``year``: dated then, or labelled so by a facet value ("2016 contract")."""
    return (article.date or "")[:4] == year or any(year in v for _, v in article.facets)
