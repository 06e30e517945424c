"""Questions about the collection itself: "What articles do you have?", "Which articles mention Hunt?".

Asked of the passages, such a question found nothing to quote and was refused ("The articles don't cover
this"): often the first answer a new user saw. It is answered from the index's own record instead: the articles,
newest first, each with its publisher and date and cited to its opening passage, narrowed to the years, the
publishers and the facet values (a corpus's "2023 pay" dispute) the question names, and to the chat's filters.
"Which articles mention Hunt?" lists the articles whose text holds every word of "Hunt", each cited to its
first sentence holding the most of them. A question about what the articles say ("What articles say the strike
was unsafe?") is not one of these: it goes to the answerers like any other.

>>> about_collection("Which articles are from 2016?"), about_collection("What articles say the strike was unsafe?")
(True, False)
>>> about_collection("What's in the collection?"), about_collection("Which publishers?")
(True, True)
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping, Sequence

from rag.ask.question import years_in
from rag.index.vector_store import StoreFilter, admits_article
from rag.messages import render
from rag.text.words import words
from rag.types import Answer, Article, Chunk, Citation

# The question opens by asking for articles as such: "What/Which articles ...", "How many stories ...",
# "List the sources ...", or for one: "Which article is from LabourList?".
_ASKS = re.compile(r"^\s*(?:(?:what|which)(?: news)?|how many|(?:list|show)(?: me)?(?: all)?(?: the| your)?)\s+"
                   r"(?P<what>articles?|sources?|stor(?:y|ies)|documents?|pages?|pieces?|reports?|publishers?|outlets?|"
                   r"publications?|newspapers?)\b(?P<rest>[^?]*)\??\s*$", re.IGNORECASE)
# A publisher's short name in brackets: "Revolutionary Socialism in the 21st Century (rs21)".
_BRACKETED = re.compile(r"\(([^()]{2,30})\)")
# "What's in the collection?", "What is in your library?": the collection asked for by its own name.
_CONTENTS = re.compile(r"^\s*what(?:'s|’s|\s+is|\s+do you have)\s+in\s+(?:the|this|your)\s+(?:collection|index|"
                       r"corpus|library|database)\s*\??\s*$", re.IGNORECASE)
# "Which articles mention Hunt?", "How many stories quote Malawana?": the articles that hold a name or words.
_MENTION = re.compile(r"^\s*(?:what|which|how many)(?: news)?\s+(?:articles|sources|stories|documents|pages|pieces|"
                      r"reports)\s+(?:mention|name|quote|cite|refer to|talk about|discuss|speak of|feature|report on)"
                      r"s?\s+(?P<what>[^?]*?\w[^?]*?)\s*\??\s*$", re.IGNORECASE)
# A year the question names beside what it asks about ("mention pay restoration in 2023"): a year, not a word.
_YEARS = re.compile(r"\s*\b(?:in|from|during|of|since)?\s*\b(?:1[89]|20)\d\d\b")
# Words the rest of such a question may hold besides names of years, publishers and facet values: anything more
# ("mention Hunt", "say about pay") asks about what the articles say.
_FILLER = frozenset(words(
    "do does did you your have has had hold holds know use used cover covers covered are is were was there here "
    "in the a an from about on of for by published dated written collection index corpus library database "
    "available all any me we i can could ask got which what so far currently now"))


def about_collection(question: str, articles: Mapping[str, Article] | None = None) -> bool:
    """Whether ``question`` asks which articles the collection holds (optionally of a year, a publisher or a
    facet value of ``articles``), not what they say."""
    if mentioned(question) or _CONTENTS.match(question):
        return True
    match = _ASKS.match(question)
    if not match:
        return False
    allowed = _FILLER | _own_words(articles or {})
    return all(w in allowed or w.isdigit() for w in words(match.group("rest")))


def mentioned(question: str) -> str:
    """What ``question`` asks which articles mention, as written; "" when it asks no such thing.

    >>> mentioned("Which articles mention Jeremy Hunt in 2016?"), mentioned("Which articles are from 2016?")
    ('Jeremy Hunt', '')
    """
    match = _MENTION.match(question)
    what = _YEARS.sub("", match.group("what")).strip(" ,") if match else ""
    return what if words(what) else ""


def collection_answer(question: str, articles: Mapping[str, Article], passages: Callable[[str], Sequence[Chunk]],
                      where: StoreFilter | None, most: int) -> Answer:
    """The articles ``question`` asks for, newest first, at most ``most`` of them listed, each cited to its
    first passage (``passages`` gives an article's, in text order), or, when it asks which mention something,
    to the first sentence that does; ``where`` is the chat's own filter."""
    total = len(articles)
    what = mentioned(question)
    years, labels = _named(question, articles)
    if what:
        labels = []  # "Which articles mention the Independent's poll?" asks for the mention, not the publisher
    chosen = [a for a in articles.values()
              if _fits(a, years, labels) and admits_article(where, a) and passages(a.id)]
    cited = {a.id: _mention(what, passages(a.id), a) if what else (passages(a.id)[0], ()) for a in chosen}
    chosen = [a for a in chosen if cited[a.id] is not None]
    chosen.sort(key=lambda a: (a.date or "", a.title), reverse=True)
    if what:
        terms = f"“{what}”" + (render("COLLECTION_IN", years=", ".join(sorted(years))) if years else "")
    else:
        terms = ", ".join(sorted(years) + [f"“{label}”" for label in labels]) or render("COLLECTION_FILTERS")
    if not chosen:
        return Answer(question, render("COLLECTION_MENTION_NONE" if what else "COLLECTION_NONE", total=total,
                                       terms=terms), (), False, (), "collection")
    head = (render("COLLECTION_MENTION", count=len(chosen), total=total, terms=terms) if what
            else render("COLLECTION_ALL", count=len(chosen)) if len(chosen) == total
            else render("COLLECTION_SOME", count=len(chosen), total=total, terms=terms))
    lines, citations = [head], []
    for n, article in enumerate(chosen[:most], 1):
        lines.append(render("COLLECTION_LINE", n=n, title=article.title,
                            publisher=article.publisher or render("COLLECTION_NO_PUBLISHER"),
                            date=article.date or render("COLLECTION_NO_DATE")))
        chunk, quotes = cited[article.id] or (passages(article.id)[0], ())
        citations.append(Citation(n, article, chunk, 1.0, quotes))
    if len(chosen) > most:
        lines.append(render("COLLECTION_MORE", more=len(chosen) - most))
    return Answer(question, "\n".join(lines), tuple(citations), False, (), "collection")


def _mention(what: str, chunks: Sequence[Chunk], article: Article) -> tuple[Chunk, tuple[tuple[int, int], ...]] | None:
    """The first sentence of ``article`` holding the most of ``what``'s words, with its passage, when the
    article holds all of them (its years aside); None when it does not."""
    wanted = set(words(what)) - set(years_in(what))
    if not wanted or not wanted <= set(words(article.text)):
        return None
    best: tuple[int, Chunk, tuple[int, int]] | None = None
    for chunk in chunks:
        for start, end in chunk.sentences:
            held = len(wanted & set(words(article.text[start:end])))
            if best is None or held > best[0]:
                best = (held, chunk, (start, end))
    return (best[1], (best[2],)) if best and best[0] else (chunks[0], ())


def _own_words(articles: Mapping[str, Article]) -> set[str]:
    """The words of the collection's publishers, facet names and facet values."""
    return {w for a in articles.values() for label in _labels(a) + [n for n, _ in a.facets] for w in words(label)}


def _labels(article: Article) -> list[str]:
    """What a question may name an article by, besides a year: its publisher and its facet values."""
    return [article.publisher or ""] + [value for _, value in article.facets]


def _named(question: str, articles: Mapping[str, Article]) -> tuple[set[str], list[str]]:
    """The years ``question`` names, and the publishers and facet values it names (all their words but years
    are in it: "the 2023 pay dispute" names "2023 pay")."""
    asked = set(words(question))
    labels = []
    for a in articles.values():
        for label in _labels(a):
            if label_named(label, asked) and label not in labels:
                labels.append(label)
    return set(years_in(question)), labels


def publishers_named(asked: set[str], articles: Iterable[Article]) -> set[str]:
    """The publishers of ``articles`` whose name, or short name in brackets, the question's words ``asked`` hold."""
    return {p for p in {a.publisher for a in articles} if p and label_named(p, asked)}


def label_named(label: str, asked: set[str]) -> bool:
    """Whether the question's words ``asked`` hold all the words of ``label`` (a publisher, a facet value) but its
    years, or of the short name it gives in brackets.

    >>> label_named("The Independent", set(words("What did the Independent report?")))
    True
    >>> label_named("Revolutionary Socialism in the 21st Century (rs21)", set(words("What does rs21 say?")))
    True
    """
    for name in [label] + _BRACKETED.findall(label):
        own = set(words(name)) - set(years_in(name))
        if own and own <= asked:
            return True
    return False


def _fits(article: Article, years: set[str], labels: list[str]) -> bool:
    """Whether the article is of one of ``years`` (by its date or a facet value) and carries one of ``labels``,
    either left out when empty."""
    own = _labels(article)
    in_year = not years or (article.date or "")[:4] in years or any(y in v for v in own for y in years)
    return in_year and (not labels or any(label in own for label in labels))
