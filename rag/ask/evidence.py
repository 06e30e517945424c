"""What a model reads: the best sentences of the retrieved passages with their neighbours, not whole passages.

A small model on a laptop CPU reads prompt tokens at tens per second, so every token shown costs time. The
extractive answerer already scores every sentence of the retrieved passages against the question; the
excerpts take the best of them until ``budget`` tokens are used, the first ``lead`` of them with ``neighbours``
sentences either side (a pronoun's referent, the figure in the next sentence) and the rest alone: the answer is
often not the best-scored sentence, and a runner-up's neighbours would take the room of other candidates. Each
excerpt stays tied to its passage, so a marker the model writes opens a real passage, and the citation check
reads the whole passage.

>>> from rag.types import Chunk
>>> text = "One fact. Two facts here. Three. Four more facts."
>>> chunk = Chunk("a#0", "a", text, 0, len(text), ((0, 9), (10, 25), (26, 32), (33, 49)))
>>> [e.text for e in excerpts([(0, (33, 49))], [Hit(chunk, 1.0)], {"a": text}, 100, len, neighbours=0)]
['... Four more facts.']
>>> [e.text for e in excerpts([(0, (10, 25))], [Hit(chunk, 1.0)], {"a": text}, 100, len)]
['One fact. Two facts here. Three. ...']
>>> [e.text for e in excerpts([(0, (0, 9)), (0, (33, 49))], [Hit(chunk, 1.0)], {"a": text}, 100, len)]
['One fact. Two facts here. ... Four more facts.']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from rag.types import Hit


Ranked = Sequence[tuple[int, tuple[int, int]]]  # (hit rank, sentence span) pairs, best first


@dataclass(frozen=True)
class Excerpt:
    hit: Hit  # the passage it is cut from: what the model's marker for it cites
    spans: tuple[tuple[int, int], ...]  # the sentences shown, article offsets, in text order
    text: str  # those sentences, with "..." where the passage goes on or skips some


def excerpts(ranked: Ranked, hits: Sequence[Hit], texts: Mapping[str, str],
             budget: int, count: Callable[[str], int], neighbours: int = 1, lead: int = 1,
             heading: Callable[[int], int] = lambda rank: 0) -> list[Excerpt]:
    """Excerpts of ``hits`` from ``ranked`` sentences, best first, as (hit rank, sentence span) pairs.

    ``texts`` maps article ids to their text; ``count`` measures a string in tokens, ``heading`` what the
    first excerpt of the passage at a rank costs besides its sentences (its number, title, date). A sentence
    whose window does not fit in what is left of ``budget`` is passed over for a shorter one further down.
    Excerpts come in the order of their passages' ranks.
    """
    shown: dict[int, set[tuple[int, int]]] = {}
    used = taken = 0
    for rank, span in ranked:
        chunk = hits[rank].chunk
        if span not in chunk.sentences:
            continue
        i = chunk.sentences.index(span)
        around = neighbours if taken < lead else 0
        window = chunk.sentences[max(0, i - around): i + around + 1]
        new = [s for s in window if s not in shown.get(rank, set())]
        if not new:
            continue
        cost = count(" ".join(texts[chunk.article_id][a:b] for a, b in new))
        cost += 0 if rank in shown else heading(rank)
        if used + cost > budget:
            continue
        shown.setdefault(rank, set()).update(new)
        used += cost
        taken += 1
    return [_excerpt(hits[rank], sorted(spans), texts[hits[rank].chunk.article_id])
            for rank, spans in sorted(shown.items())]


def _excerpt(hit: Hit, spans: list[tuple[int, int]], text: str) -> Excerpt:
    order = hit.chunk.sentences
    pieces: list[str] = []
    previous = -1
    for span in spans:
        at = order.index(span)
        if at != previous + 1:
            pieces.append("...")
        pieces.append(text[span[0]: span[1]])
        previous = at
    if previous != len(order) - 1:
        pieces.append("...")
    return Excerpt(hit, tuple(spans), " ".join(pieces))


def across_articles(ranked: Ranked, hits: Sequence[Hit], years: Sequence[str] = (),
                    year_of: Callable[[int], str] = lambda rank: "") -> list[tuple[int, tuple[int, int]]]:
    """The same sentences, the best of each article first: a comparison needs every side it names. When the
    question names years, the best sentence of an article of each year (``year_of`` a hit rank) comes first of all.

    >>> from rag.types import Chunk
    >>> hits = [Hit(Chunk("a#0", "a", "", 0, 0, ()), 1.0), Hit(Chunk("b#0", "b", "", 0, 0, ()), 0.5),
    ...         Hit(Chunk("c#0", "c", "", 0, 0, ()), 0.4)]
    >>> across_articles([(0, (0, 1)), (0, (2, 3)), (1, (0, 1))], hits)
    [(0, (0, 1)), (1, (0, 1)), (0, (2, 3))]
    >>> year = "2016 2016 2023".split().__getitem__
    >>> across_articles([(0, (0, 1)), (1, (0, 1)), (2, (0, 1))], hits, ["2016", "2023"], year)
    [(0, (0, 1)), (2, (0, 1)), (1, (0, 1))]
    """
    lead = [next(item for item in ranked if year_of(item[0]) == y) for y in years
            if any(year_of(item[0]) == y for item in ranked)]
    seen: set[str] = {hits[rank].chunk.article_id for rank, _ in lead}
    firsts: list[tuple[int, tuple[int, int]]] = list(dict.fromkeys(lead))
    rest: list[tuple[int, tuple[int, int]]] = []
    for item in ranked:
        if item in firsts:
            continue
        article = hits[item[0]].chunk.article_id
        (rest if article in seen else firsts).append(item)
        seen.add(article)
    return firsts + rest
