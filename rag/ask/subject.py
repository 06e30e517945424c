"""Who a claim says did something, when that is a common noun: "The government expressed concern ...".

The check requires a claim's names (capitalised) near the passage sentence it restates, but not its lower-case
subject, so "The government expressed concern about the impact of the strikes [1]." passed on "NHS England has
expressed concern about the impact of the strikes ...": every other word is there. Such a subject, read from the
claim's opening words up to its verb, must stand near that sentence too.

>>> subject("The government expressed concern about the strikes [1].")
'government'
>>> subject("The next strike is planned for February 10 [1]."), subject("Pay restoration means a 35% rise.")
('strike', None)
>>> subject_agrees("The government expressed concern.", "NHS England has expressed concern.")
False
"""

from __future__ import annotations

import re

from rag.text.words import words

# Words that open a subject without being its head: "the next strike", "all four unions".
_OPENERS = frozenset("the a an this these those some many most all any each every its their his her our your "
                     "next first last new other both such".split())
# Where a subject ends: an auxiliary, a verb of saying, or a past form ("expressed"), before a comma or clause.
_VERB = re.compile(r"^(?:is|are|was|were|has|have|had|will|would|could|can|may|might|should|must|do|does|did|said|"
                   r"says|say|\w{3,}ed)$", re.IGNORECASE)
_ENDS = frozenset({",", "who", "which"})
# A subject that is a pronoun or "there" points elsewhere; one that names the source ("The article says ...") is
# the citation's own heading and publisher, which the reader sees.
_NOT_HEADS = frozenset("they he she it there we i you this that these those one article articles report reports "
                       "writer author story piece paper reporter journalist source sources".split())
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|,")
# The most words a subject runs to before its verb; past that the opening is no plain subject.
_LONGEST = 4


def subject(claim: str) -> str | None:
    """The head noun of the claim's subject when it is a plain lower-case one; None for a name (names are checked
    on their own), a pronoun, or an opening whose verb this cannot find."""
    found: list[str] = []
    for token in _TOKEN.findall(claim)[: _LONGEST + 3]:
        if token in _ENDS or _VERB.match(token):
            break
        found.append(token)
    else:
        return None
    if not found or len(found) > _LONGEST or any(t[0].isupper() for t in found[1:]):
        return None
    if found[0][0].isupper() and found[0].lower() not in _OPENERS:
        return None
    head = found[-1].lower()
    if head in _OPENERS or head in _NOT_HEADS or head.endswith("ly") or not head.isalpha():
        return None
    return head


def subject_agrees(claim: str, near: str) -> bool:
    """Whether ``near`` (the passage sentences the claim restates) holds the claim's plain subject, if any."""
    head = subject(claim)
    return head is None or set(words(head)) <= set(words(near))
