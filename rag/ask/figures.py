"""The figures a question states, and whether the retrieved passages give them.

A question that states a figure asks about what goes with it: "What city has a population of 3,792,261?" is
not answered by a passage giving 3,694,820, however alike the two read. A question is refused when a figure it
states (other than a year: ``rag.ask.names`` checks those) is in none of the passages found, their titles or
dates. Figures are compared as written, thousands separators aside ("4,000" is "4000"); one up to twenty may
also be spelt out ("two days" for "2 days", "14th" for "fourteenth"), and a question's length spelt as one word
with its unit is a figure too ("the four-day strike" is not the six-day one).

>>> figures_in("Did 4,000 or 6,000 operations move in 2016, over 2 days?")
['4,000', '6,000', '2']
>>> figures_in('<img src="http://203.0.113.7/x.png"> What did the\x1b[31m BMA say of the £4.2bn deal?')
['4.2']
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from rag.ask.question import years_in
from rag.text.words import words
from rag.types import Article, Hit

_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# A figure as prose writes one: standing alone ("3,792,261?", "£4.2bn", "1100s", "14th"), not inside a web address,
# markup, a formula or a terminal code ("http://203.0.113.7/", "\x1b[31m", "8n2"), which are no claim to check.
_STATED = re.compile(r"(?<![\w/\[\]=#:.,<>&@+-])\d+(?:[.,]\d+)*"
                     r"(?=(?:%|s|th|st|nd|rd|m|bn|k)?(?:[\s.,;:!?)\"'’”°′″]|$))")
_SPELT = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty").split()
_ORDINAL = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()


# A length written as one word with its unit, which picks out one event: "the four-day strike", "the 48-hour
# walkout" (a figure before a hyphen is otherwise no figure of prose: "2016-02-10").
_LENGTH = re.compile(rf"\b({'|'.join(_SPELT[1:])}|\d+)-(?:hour|day|week|month|year)s?\b", re.IGNORECASE)


def figures_in(text: str, lengths: bool = True) -> list[str]:
    """The figures ``text`` states, as written, years left out (and lengths written as one word with their unit,
    unless ``lengths`` is False).

    >>> figures_in("When does the four-day strike end, two weeks on?"), figures_in("Was the 48-hour strike off?")
    (['four'], ['48'])
    """
    years = set(years_in(text))
    stated = [m.group(0) for m in _STATED.finditer(text) if m.group(0) not in years]
    return stated + ([m.group(1) for m in _LENGTH.finditer(text)] if lengths else [])


def figures_missing(question: str, hits: Sequence[Hit], articles: Mapping[str, Article]) -> list[str]:
    """The figures of ``question`` that no passage of ``hits`` gives (with its article's title and date).

    >>> from rag.types import Chunk
    >>> a = Article("a", "Over two days, 4,000 operations moved.", "Strike", "Wire", "2016-01-13")
    >>> hits = [Hit(Chunk("a#0", "a", a.text, 0, 38, ()), 1.0)]
    >>> figures_missing("Did 4000 operations move over 2 days on the 13th?", hits, {"a": a})
    []
    >>> figures_missing("Did 3,500 operations move?", hits, {"a": a})
    ['3,500']
    """
    wanted = figures_in(question)
    if not wanted:
        return []
    held: set[str] = set()
    for hit in hits:
        article = articles[hit.chunk.article_id]
        held |= figures_held(f"{hit.chunk.text} {article.title} {article.date or ''}")
    return [f for f in wanted if _plain(f) not in held]


def gives_figures(question: str, text: str) -> bool:
    """Whether ``text`` gives every figure ``question`` states: an answer must rest on sentences that do.

    >>> gives_figures("Who won 35%?", "Labour won 35 per cent."), gives_figures("Who won 35%?", "Labour won.")
    (True, False)
    """
    wanted = figures_in(question)
    return not wanted or {_plain(f) for f in wanted} <= figures_held(text)


def drops_figures(question: str, text: str, other: str) -> bool:
    """Whether ``text`` gives none of the figures ``question`` states in digits where ``other`` (another answer's
    first sentence) gives one: the figure picks out what is asked about ("What was the 8.8% increase?" is not
    answered by the 35% the union sought). A length written out names an event, which an answer need not repeat
    ("How many appointments were rescheduled because of the six-day strike?").

    >>> drops_figures("What was the 8.8% increase?", "The BMA sought 35%.", "Pay rose 8.8% on average.")
    True
    >>> drops_figures("What was the 8.8% increase?", "The BMA sought 35%.", "The BMA sought 35%.")
    False
    >>> drops_figures("How many left in the six-day strike?", "4,000 left.", "The six-day strike ended.")
    False
    """
    wanted = {_plain(f) for f in figures_in(question, lengths=False)}
    return bool(wanted) and not wanted & figures_held(text) and bool(wanted & figures_held(other))


def figures_held(text: str) -> set[str]:
    """The figures ``text`` gives, grouping and padding taken off, those up to twenty also where spelt out."""
    held = {_plain(m.group(0)) for m in _FIGURE.finditer(text)}
    spelt = set(re.findall(r"[a-z]+", text.lower()))
    return held | {str(n) for n, names in enumerate(zip(_SPELT, _ORDINAL)) if spelt.intersection(names)}


def _plain(figure: str) -> str:
    """"4,000" -> "4000", "07" -> "7", "four" -> "4": the same figure however it is grouped, padded or spelt."""
    if figure.lower() in _SPELT:
        return str(_SPELT.index(figure.lower()))
    digits = figure.replace(",", "")
    return (digits.lstrip("0") or "0") if digits.isdigit() else digits


# A figure and what follows it: a length of time ("four-day", "96 hours") or anything else ("four strikes"); none
# inside a date ("2023-04-11").
_USE = re.compile(rf"(?<![\w.,/-])({'|'.join(_SPELT[1:])}|\d+(?:,\d{{3}})*)(?![\w,/]|[.-]\d)"
                  rf"([- ](?:hour|day|week|month|year|minute|night)s?\b)?", re.IGNORECASE)
# A capitalised word just before a number word that is capitalised too: the number is part of a name ("Sky Three",
# "Channel Four"), no figure of the text.
_NAME_BEFORE = re.compile(r"\b[A-Z][\w'’&.-]*\s$")


def _uses(text: str) -> list[re.Match[str]]:
    """The figures of ``text`` as ``_USE`` finds them, save a number word within a name.

    >>> [m.group(1) for m in _uses("Sky Three was one of three channels; Channel Four was not.")]
    ['one', 'three']
    """
    return [m for m in _USE.finditer(text)
            if not (m.group(1)[0].isupper() and _NAME_BEFORE.search(text, max(0, m.start() - 40), m.start()))]


def length_as_count(claim: str, passage: str) -> bool:
    """Whether ``claim`` counts something with a figure that ``passage`` gives only as a length of time: "There
    were four strikes in total." does not follow from "the four-day strike".

    >>> length_as_count("There were four strikes.", "the four-day strike"), length_as_count("It ran 4 days.",
    ...                                                                                      "the four-day strike")
    (True, False)
    """
    def uses(text: str) -> dict[str, set[bool]]:
        found: dict[str, set[bool]] = {}
        for m in _uses(text):
            found.setdefault(_plain(m.group(1)), set()).add(m.group(2) is not None)
        return found

    theirs = uses(passage)
    return any(False in as_length and theirs.get(f) == {True} for f, as_length in uses(claim).items())


# How many words after a figure say what it counts ("64 per cent of people blaming the Government"); in a claim,
# what it counts ends sooner, at a preposition or a comma ("a 35% rise in pay for the doctors" counts a rise).
_COUNTS = 6
_COUNTED = 4
_COUNT_ENDS = re.compile(r"[,;:.!?()]|\b(?:in|for|to|by|at|on|from|over|during|since|between|than|with|after|"
                         r"before|as|when|while|because)\b", re.IGNORECASE)
# Words that say a figure is a share, of anyone ("13 per cent" of people is "13 per cent of people").
_UNITS = frozenset(words("per cent percent people"))
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def figure_swapped(claim: str, passage: str) -> bool:
    """Whether ``claim`` gives one of ``passage``'s figures what the passage says of another: what the figure
    counts in the claim is missing after it in the passage but follows another figure there. "64 per cent of
    people blamed doctors" does not follow from "64 per cent of people blaming the Government ... and 13 per cent
    blaming doctors", where every word and figure is. Years count nothing.

    >>> passage = "64 per cent of people blamed the Government and 13 per cent blamed doctors."
    >>> figure_swapped("64 per cent of people blamed doctors.", passage)
    True
    >>> figure_swapped("13 per cent blamed doctors.", passage), figure_swapped("64 per cent blamed it.", passage)
    (False, False)
    """
    theirs = _after_figures(passage, _COUNTS)
    for figure, mine in _after_figures(claim, _COUNTED, _COUNT_ENDS):
        same = [after for f, after in theirs if f == figure]
        others = set().union(*(after for f, after in theirs if f != figure))
        if same and all((mine - after) & others for after in same):
            return True
    return False


def _after_figures(text: str, most: int, ends: re.Pattern[str] | None = None) -> list[tuple[str, set[str]]]:
    """Each figure of ``text`` but a year, with up to ``most`` words that follow it, units aside, up to the next
    figure or to what ``ends`` finds first (what it counts)."""
    found = [m for m in _uses(text) if not _YEAR.fullmatch(m.group(1))]
    out = []
    for i, m in enumerate(found):
        after = text[m.end():found[i + 1].start() if i + 1 < len(found) else len(text)]
        stop = ends.search(after) if ends else None
        out.append((_plain(m.group(1)), set([w for w in words(after[:stop.start()] if stop else after)
                                             if w not in _UNITS][:most])))
    return out
