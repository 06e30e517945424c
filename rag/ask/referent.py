"""Who "he" or "she" in a follow-up is: someone the conversation already named.

After "Who was health secretary then?" answered "Jeremy Hunt", "What did he say about the strike?" was answered
"David Cameron has called this dispute his "miners' strike" [1].": backed, on the topic, and about someone else.
Each sentence of an answer to such a question that opens with a name (its subject, up to its verb) must share a
word or an acronym with the conversation ("the BMA" is "the British Medical Association"); one opening with a
pronoun or a common noun is left to the other rules.

>>> talk = "Who was health secretary then? Jeremy Hunt."
>>> referent_agrees("What did he say?", "David Cameron has called it his miners' strike.", talk)
False
>>> referent_agrees("What did he say?", "Mr Hunt described the walkout as unnecessary.", talk)
True
>>> referent_agrees("What did he say?", "He called it unnecessary [1]. David Cameron called it a miners' strike [2].",
...                 talk)
False
>>> referent_agrees("Who called it his miners' strike?", "David Cameron called it his miners' strike.", " ")
True
"""

from __future__ import annotations

import re

from rag.ask.markers import claim, split_claims
from rag.ask.subject import opening, speaker_words

# "he" or "she" as who the question asks about; "his" or "her" may be another's ("Which prime minister called the
# dispute his miners' strike?" asks who, and names no one before).
_HE_OR_SHE = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
# Capitalised words of an opening that name no one: a title or a pronoun.
_NOT_NAMES = frozenset("the a an mr mrs ms dr sir lord lady rt hon he she they it his her their".split())


def referent_agrees(question: str, answer: str, talk: str) -> bool:
    """Whether each sentence of an answer to ``question`` is about someone ``talk`` (the earlier turns) names, where
    the question says "he" or "she": False where a sentence opens with a name sharing nothing with ``talk``."""
    if not talk.strip() or not _HE_OR_SHE.search(question):
        return True
    known = speaker_words(talk)
    for sentence, _ in split_claims(answer):
        mine = speaker_words(" ".join(_names(opening(claim(sentence)))))
        if mine and not mine & known:
            return False
    return True


def _names(words: list[str]) -> list[str]:
    """The capitalised words of a sentence's opening that name someone: a sentence's first word only beside another
    capitalised one, or in capitals ("David Cameron", "BMA"; not "One offer ...").

    >>> _names(["One", "offer", "by", "BMA", "negotiators"]), _names(["David", "Cameron"])
    (['BMA'], ['David', 'Cameron'])
    """
    def named(j: int, word: str) -> bool:
        beside = j + 1 < len(words) and words[j + 1][:1].isupper()
        return word[:1].isupper() and (j > 0 or beside or word.isupper()) and word.lower() not in _NOT_NAMES

    return [w for j, w in enumerate(words) if named(j, w)]
