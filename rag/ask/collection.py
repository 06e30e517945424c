"""Questions about the collection itself: "What articles do you have?", "Which articles are from 2016?".

Asked of the passages, such a question found nothing to quote and was refused ("The articles don't cover
this"): often the first answer a new user saw. It is answered from the index's own record instead: the articles,
newest first, each with its publisher and date and cited to its opening passage, narrowed to the years, the
publishers and the facet values (a corpus's "2023 pay" dispute) the question names, and to the chat's filters.
A question about what the articles say ("Which articles mention Hunt?") is not one of these: it goes to the
answerers like any other.

>>> about_collection("Which articles are from 2016?"), about_collection("Which articles mention Hunt?")
(True, False)
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

from rag.ask.question import years_in
from rag.index.vector_store import Record, StoreFilter, admits
from rag.messages import render
from rag.text.words import words
from rag.types import Answer, Article, Chunk, Citation

# The question opens by asking for articles as such: "What/Which articles ...", "How many stories ...",
# "List the sources ...".
_ASKS = re.compile(r"^\s*(?:(?:what|which)(?: news)?|how many|(?:list|show)(?: me)?(?: all)?(?: the| your)?)\s+"
                   r"(?P<what>articles|sources|stories|documents|pages|pieces|reports)\b(?P<rest>[^?]*)\??\s*$",
                   re.IGNORECASE)
# Words the rest of such a question may hold besides names of years, publishers and facet values: anything more
# ("mention Hunt", "say about pay") asks about what the articles say.
_FILLER = frozenset(words(
    "do does did you your have has had hold holds know use used cover covers covered are is were was there here "
    "in the a an from about on of for by published dated written collection index corpus library database "
    "available all any me we i can could ask got which what so far currently now"))


def about_collection(question: str, articles: Mapping[str, Article] | None = None) -> bool:
    """Whether ``question`` asks which articles the collection holds (optionally of a year, a publisher or a
    facet value of ``articles``), not what they say."""
    match = _ASKS.match(question)
    if not match:
        return False
    allowed = _FILLER | _own_words(articles or {})
    return all(w in allowed or w.isdigit() for w in words(match.group("rest")))


def collection_answer(question: str, articles: Mapping[str, Article], passages: Callable[[str], Sequence[Chunk]],
                      where: StoreFilter | None, most: int) -> Answer:
    """The articles ``question`` asks for, newest first, at most ``most`` of them listed, each cited to its
    first passage (``passages`` gives an article's, in text order); ``where`` is the chat's own filter."""
    total = len(articles)
    years, labels = _named(question, articles)
    chosen = [a for a in articles.values()
              if _fits(a, years, labels) and admits(where, _record(a)) and passages(a.id)]
    chosen.sort(key=lambda a: (a.date or "", a.title), reverse=True)
    terms = ", ".join(sorted(years) + [f"“{label}”" for label in labels])
    if not chosen:
        text = render("COLLECTION_NONE", total=total, terms=terms or render("COLLECTION_FILTERS"))
        return Answer(question, text, (), False, (), "collection")
    head = (render("COLLECTION_ALL", count=len(chosen)) if len(chosen) == total
            else render("COLLECTION_SOME", count=len(chosen), total=total,
                        terms=terms or render("COLLECTION_FILTERS")))
    lines, citations = [head], []
    for n, article in enumerate(chosen[:most], 1):
        lines.append(render("COLLECTION_LINE", n=n, title=article.title,
                            publisher=article.publisher or render("COLLECTION_NO_PUBLISHER"),
                            date=article.date or render("COLLECTION_NO_DATE")))
        citations.append(Citation(n, article, passages(article.id)[0], 1.0))
    if len(chosen) > most:
        lines.append(render("COLLECTION_MORE", more=len(chosen) - most))
    return Answer(question, "\n".join(lines), tuple(citations), False, (), "collection")


def _own_words(articles: Mapping[str, Article]) -> set[str]:
    """The words of the collection's publishers, facet names and facet values."""
    own: set[str] = set()
    for a in articles.values():
        own.update(words(a.publisher or ""))
        for name, value in a.facets:
            own.update(words(f"{name} {value}"))
    return own


def _named(question: str, articles: Mapping[str, Article]) -> tuple[set[str], list[str]]:
    """The years ``question`` names, and the publishers and facet values it names (all their words but years
    are in it: "the 2023 pay dispute" names "2023 pay")."""
    asked = set(words(question))
    labels = []
    for a in articles.values():
        for label in [a.publisher or ""] + [value for _, value in a.facets]:
            own = set(words(label)) - set(years_in(label))
            if own and own <= asked and label not in labels:
                labels.append(label)
    return set(years_in(question)), labels


def _fits(article: Article, years: set[str], labels: list[str]) -> bool:
    """Whether the article is of one of ``years`` (by its date or a facet value) and carries one of ``labels``,
    either left out when empty."""
    own = [article.publisher or ""] + [value for _, value in article.facets]
    in_year = not years or (article.date or "")[:4] in years or any(y in v for v in own for y in years)
    return in_year and (not labels or any(label in own for label in labels))


def _record(article: Article) -> Record:
    return Record(f"{article.id}#0", article.id, article.publisher or "", article.date or "", article.facets)
