"""Words as the whole pipeline matches them: lower-cased, stop words dropped, stemmed.

>>> words("The doctors were striking")
['doctor', 'strike']
>>> words("MPs heard from an MP")
['mp', 'heard', 'mp']
>>> words("Consultants cover A&E")
['consult', 'cover', 'e', 'ae']
>>> words("The co-chairmen")
['co', 'chairman', 'cochairman']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"(?u)\b\w+\b")
# "MPs", "GPs": a plural of capitals. The stemmer leaves a word with no vowel alone, so "mps" would never meet
# "mp" ("CEOs" it already reduces to "ceo").
_CAPITALS_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")
_HYPHENATED = re.compile(r"(?<![\w-])[^\W\d_]+(?:-[^\W\d_]+)+(?![\w-])")
# "A&E", "R&D", "P&O": one name of initials; split at "&" it is the stop word "a" and a lone "e".
_AMPERSANDED = re.compile(r"(?<![\w&])[^\W\d_]{1,3}(?:&[^\W\d_]{1,3})+(?![\w&])")
_STOPWORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i if in into is it its of on or our she "
    "so than that the their them then there these they this those to was we were what when where which who "
    "whom why will with would you your did do does how".split()
)
# Endings the stemmer leaves on a word derived from another ("safety" is "safeti", "safe" is "safe").
_DERIVATIONS = frozenset({"ti", "iti", "ment", "ness", "al", "ion", "ic", "ist"})


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased, stemmed content words, the unit of lexical matching everywhere in the pipeline."""
    text = fold(_CAPITALS_PLURAL.sub(r"\1", text).lower())
    tokens = [t for t in _WORD.findall(text) if t not in _STOPWORDS]
    # "walk-out" also counts as "walkout", "re-ballot" as "reballot": writers hyphenate such words or not.
    tokens += [m.group(0).replace("-", "") for m in _HYPHENATED.finditer(text)]
    tokens += [m.group(0).replace("&", "") for m in _AMPERSANDED.finditer(text)]
    return _stemmer().stemWords([_singular_man(t) for t in tokens])


def _singular_man(token: str) -> str:
    """"chairmen" as "chairman", "women" as "woman": a plural the stemmer leaves apart from its singular, so "a
    co-chairman" was not found in "co-chairmen". A word of four letters is left alone ("omen", "amen").

    >>> _singular_man("spokesmen"), _singular_man("men"), _singular_man("omen")
    ('spokesman', 'man', 'omen')
    """
    return token[:-3] + "man" if token == "men" or (len(token) >= 5 and token.endswith("men")) else token


def fold(text: str) -> str:
    """``text`` without accents, so that a question typed without them matches the articles' spelling.

    >>> fold("Jumièges, Fécamp")
    'Jumieges, Fecamp'
    """
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def kin(a: str, b: str) -> bool:
    """Two stems of one word, the stemmer leaving a derivation's ending (a compound is another word).

    >>> kin("safeti", "safe"), kin("weekend", "week")
    (True, False)
    """
    return a == b or b in derived(a)


@lru_cache(maxsize=4096)  # the ranking asks it of each question word for every candidate sentence
def derived(stem: str) -> frozenset[str]:
    """The stems one derivation's ending away from ``stem``, either way (the stemmer leaves "safety" as
    "safeti", "safe" as "safe"); a stem left shorter than four letters is another word.

    >>> "safe" in derived("safeti"), "safeti" in derived("safe"), "week" in derived("weekend")
    (True, True, False)
    """
    longer = {stem + ending for ending in _DERIVATIONS}
    shorter = {stem[: -len(ending)] for ending in _DERIVATIONS
               if stem.endswith(ending) and len(stem) - len(ending) >= 4}
    return frozenset(longer | shorter)
