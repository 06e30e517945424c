"""Who "he" or "she" in a follow-up is: someone the conversation already named.

After "Who was health secretary then?" answered "Jeremy Hunt", "What did he say about the strike?" was answered
"David Cameron has called this dispute his "miners' strike" [1].": backed, on the topic, and about someone else.
A claim that answers such a question and opens with a name (its subject, up to its verb) must share a word or an
acronym with the conversation ("the BMA" is "the British Medical Association"); one opening with a pronoun or a
common noun is left to the other rules.

>>> talk = "Who was health secretary then? Jeremy Hunt."
>>> referent_agrees("What did he say?", "David Cameron has called it his miners' strike.", talk)
False
>>> referent_agrees("What did he say?", "Mr Hunt described the walkout as unnecessary.", talk)
True
>>> referent_agrees("Who called it his miners' strike?", "David Cameron called it his miners' strike.", " ")
True
"""

from __future__ import annotations

import re

from rag.ask.subject import opening, speaker_words

# "he" or "she" as who the question asks about; "his" or "her" may be another's ("Which prime minister called the
# dispute his miners' strike?" asks who, and names no one before).
_HE_OR_SHE = re.compile(r"\b(?:he|she)\b", re.IGNORECASE)
# Capitalised words of an opening that name no one: a title or a pronoun.
_NOT_NAMES = frozenset("the a an mr mrs ms dr sir lord lady rt hon he she they it his her their".split())


def referent_agrees(question: str, claim: str, talk: str) -> bool:
    """Whether a claim answering ``question`` is about someone ``talk`` (the earlier turns) names, where the
    question says "he" or "she": False only where the claim opens with a name sharing nothing with ``talk``."""
    if not talk.strip() or not _HE_OR_SHE.search(question):
        return True
    mine = speaker_words(" ".join(t for t in opening(claim) if t[0].isupper() and t.lower() not in _NOT_NAMES))
    return not mine or bool(mine & speaker_words(talk))
