"""Whether a passage sentence states the same facts as a claim, where similarity cannot tell.

A changed figure, a negation ("would not go ahead" against "would go ahead") and an added instruction ("..., so
doctors must not go to work") all read as similar to both the claim's embedding and its words, so each is checked
on its own: every number of the claim in the passage (and not a length of time there counting something else in
the claim: "four strikes" from "the four-day strike"), no cut-off end ("... is the chief executive of."), the
same negation as the sentence closest to it, no obligation word the passage lacks. Who it says acted must stand
there too: its names, its plain lower-case subject, a named doer of its verb and the speaker of what it reports
(``rag/ask/subject.py``).

What the reader already knows is not a claim. The words a claim takes from the question count as given, as long
as it adds at least one word of the passage; a negation in the closest sentence counts only where its clause
shares words with the claim that the sentence's other clauses lack ("leaked to The Daily Telegraph" is not
negated by "but the BMA did not dispute it").

>>> same_facts("Talks would go ahead.", "Talks would not go ahead.", "Talks would not go ahead.")
False
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.ask.figures import figure_swapped, length_as_count
from rag.ask.names import names_agree
from rag.ask.roles import role_agrees
from rag.ask.subject import doer_agrees, quote_speaker_agrees, speaker_agrees, subject_agrees
from rag.text.sentences import asks, quotes
from rag.text.words import words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATIONS = "not|no|never|none|nobody|nothing|neither|nor|without|cannot"
_NEGATION = re.compile(rf"\b(?:{_NEGATIONS})\b|n't\b", re.IGNORECASE)
# A question about what did not happen ("What does not hide constant factors?"); "whether or not" and "not only"
# ask about what did.
_ASKS_NOT = re.compile(r"\b(?:not|never)\b|n't\b", re.IGNORECASE)
_NOT_AN_ASK = re.compile(r"\bor not\b|\bnot (?:only|just)\b|\bif not\b", re.IGNORECASE)
# What says something did not happen, or was kept out, stopped or put instead: "failed to attend", "called off
# strike action", "with the exception of", "excluded from".
_DENIES = re.compile(rf"\b(?:{_NEGATIONS}|unable|fail\w*|refus\w*|lack\w*|declin\w*|reject\w*|except\w*|exclu\w*|"
                     r"avoid\w*|avert\w*|cancel\w*|called off|instead|rather than|unlike|absent|only|other than|"
                     r"apart from|besides)\b|n't\b", re.IGNORECASE)
# A sentence cut off after a word that needs another ("... is the chief executive of."): it states nothing whole.
_DANGLING = re.compile(r"\b(?:the|a|an|and|or|of|with|by|from|whose|its|their|his|her)\s*[.!?:;,]?[\"'”’]?\s*$",
                       re.IGNORECASE)
# A speaker and a verb of saying, and nothing said: "Sir Julian Hartley, chief executive of NHS Providers, said."
# ("Talks had failed, the BMA said." says what was said before its speaker.)
_SAYS_NOTHING = re.compile(r"^\s*[^,]+(?:,[^,]+,)?\s+(?:said|says|told|added|stated|wrote)\s*[.!?:;]?\s*$",
                           re.IGNORECASE)
_OBLIGATION = re.compile(r"\b(?:must|should|ought|need(?:s|ed)? to|ha(?:ve|s) to|required to|urged?)\b",
                         re.IGNORECASE)


def same_facts(text: str, passage: str, closest: str, near: str = "") -> bool:
    """What similarity misses: every number of ``text`` is in the passage, counting what it counts there (not a
    length as a count, not another figure's thing), it states something whole (no dangling "of", no speaker with
    nothing said), it asks a question only in quoting one the passage sentence closest to it asks (an article's
    heading "What do they want?" answers nothing), it is
    negated exactly when that sentence is, its names and its plain subject ("The government ...") stand ``near``
    the sentence it restates, a named doer of its verb there is its subject ("Labour condemned", not "Hunt
    condemned"), the speaker that sentence names is the claim's ("Doctors say ...", not "Malawana said ..."), as is
    the speaker of the passage sentence holding its quotation, what it says a named person is stands beside the
    name ("Victoria Atkins is a junior doctor" is no "Health minister Victoria Atkins"), and it adds no obligation
    the passage does not state.

    >>> same_facts("Talks would go ahead.", "Talks would not go ahead.", "Talks would not go ahead.")
    False
    >>> same_facts("Talks would go ahead on what day?", "Talks would go ahead.", "Talks would go ahead.")
    False
    >>> same_facts("What do doctors want?", "What do they want?", "What do they want?")
    False
    >>> same_facts('Hunt asked: "Why strike?"', 'Hunt asked: "Why strike?"', 'Hunt asked: "Why strike?"')
    True
    >>> same_facts("Talks go ahead, so doctors must not go to work.", "Talks go ahead.", "Talks go ahead.")
    False
    >>> same_facts("Doctors did not strike in 2015.", "In 2015 doctors did not strike.",
    ...            "In 2015 doctors did not strike.")
    True
    >>> same_facts("The email was leaked to The Daily Telegraph.", "...",
    ...            "The email was leaked to The Daily Telegraph but the BMA did not dispute it.")
    True
    """
    if not set(_NUMBER.findall(text)) <= set(_NUMBER.findall(passage)):
        return False
    if length_as_count(text, near or closest or passage) or figure_swapped(text, near or closest or passage):
        return False
    if _DANGLING.search(text) or _SAYS_NOTHING.match(text):
        return False
    if asks(text) and not (quotes(text) and asks(closest or passage)):
        return False
    if not negation_agrees(text, closest or passage):
        return False
    if near and not (names_agree(text, near) and subject_agrees(text, near) and doer_agrees(text, near)):
        return False
    if closest and not speaker_agrees(text, closest):
        return False
    if not quote_speaker_agrees(text, passage) or not role_agrees(text, passage):
        return False
    passage_obligations = {m.lower() for m in _OBLIGATION.findall(passage)}
    return all(m.lower() in passage_obligations for m in _OBLIGATION.findall(text))


def near_sentences(text: str, sentences: list[str], best: int | None) -> str:
    """The passage sentences a claim restates: the one closest to it (``best``) with its neighbours (where "he"
    gets its name), the one sharing most of its words (the closest by meaning may be a byline or a heading), and
    any it holds most of the words of (a quoted heading and the sentence after it).

    >>> near_sentences("Hunt spoke. Talks failed",
    ...                ["Mr Hunt arrived.", "Hunt spoke.", "Rain fell.", "Talks failed."], 0)
    'Mr Hunt arrived. Hunt spoke. Talks failed.'
    >>> near_sentences("Atkins is the Health Secretary", ["Health correspondent", "Doctors struck.", "Rain fell.",
    ...                "Health Secretary Victoria Atkins said no."], 0)
    'Health correspondent Doctors struck. Health Secretary Victoria Atkins said no.'
    """
    mine = set(words(text))
    held = [set(words(s)) for s in sentences]
    shared = [len(ws & mine) for ws in held]
    most = shared.index(max(shared)) if any(shared) else None
    return " ".join(s for i, (s, ws) in enumerate(zip(sentences, held))
                    if (best is not None and abs(i - best) <= 1) or i == most
                    or ws and shared[i] >= 0.8 * len(ws))


def overlap_share(text: str, passage: str, question: str = "") -> float:
    """Share of the text's content words (stemmed) that the passage holds, or the question it answers gave;
    0 when the passage adds none of them (a restated question is no answer).

    >>> overlap_share("Doctors went on strike", "The junior doctors are striking today")  # "went" is missing
    0.6666666666666666
    >>> overlap_share("Barclay invited doctors to talks", "Barclay invited doctors", "Who invited doctors to talks?")
    1.0
    >>> overlap_share("Doctors were invited to talks", "Barclay spoke", "Who invited doctors to talks?")
    0.0
    >>> overlap_share("They strike because of pay", "They strike amid disputes around pay", "Why do they strike?")
    1.0
    """
    # Words that only join ("because", "also") are no fact to find: "Why ...?" is answered with a "because".
    mine, held, given = _word_set(text) - _LINKS, _word_set(passage), _word_set(question)
    if not mine or not (mine & held) - given:
        return 0.0
    return len(mine & (held | given)) / len(mine)


# Words that join what a restatement says without adding to it: "They strike because they fight the contract",
# after a conversation whose earlier answer gave all the rest.
_LINKS = frozenset(words("because therefore thus hence since also too still however although though while whereas "
                         "yes"))


def adds_unheld(text: str, passage: str, question: str) -> bool:
    """Whether ``text`` adds words to what ``question`` gave and the passage holds none of them: "The Gaza doctors
    went on strike" for "Did the Gaza doctors go on strike?" restates the question as a yes, and its meaning is
    close to any passage on Gaza doctors and a strike, but only "went" is its own and no passage says it.

    >>> adds_unheld("The Gaza doctors went on strike", "Gaza medics sent messages of support to striking doctors",
    ...             "Did the Gaza doctors go on strike?")
    True
    >>> adds_unheld("The BMA accepted the offer", "The BMA accepted it", "Did the BMA accept the offer?")
    False
    >>> adds_unheld("Doctors strike because they fight the contract", "Doctors fight the contract",
    ...             "Why do doctors strike? They fight the contract.")
    False
    """
    added = _word_set(text) - _word_set(question) - _LINKS
    return bool(question) and bool(added) and not added & _word_set(passage)


@lru_cache(maxsize=256)  # the check reads each cited passage and the question again for every claim and rule
def _word_set(text: str) -> frozenset[str]:
    return frozenset(words(text))


# Clause boundaries: punctuation, conjunctions, and the subordinators that open a condition or a time ("... to
# re-ballot if pay had not been restored when the mandate runs out in August": the mandate is not denied).
_CLAUSE = re.compile(r"\s*(?:[,;:\u2013\u2014]|\s(?:but|while|whereas|although|though|and|if|unless|when|because|"
                     r"until|after|before|since)\s)\s*", re.IGNORECASE)


def negation_agrees(text: str, sentence: str) -> bool:
    """``text`` is negated exactly when ``sentence`` is, or it is not negated and takes no content word from
    the negated clauses of ``sentence`` that its other clauses lack (the negation is about something else: in
    "'Doctors feel they have no option,' said Malawana, chair of the doctors committee", "doctors" is in both,
    and "Malawana is chair of the doctors committee" is not denied).

    >>> sentence = "The email leaked to the Telegraph but the BMA did not dispute it."
    >>> negation_agrees("It leaked to the Telegraph", sentence), negation_agrees("The BMA disputed it", sentence)
    (True, False)
    """
    negated = bool(_NEGATION.search(text))
    if negated == bool(_NEGATION.search(sentence)):
        return True
    clauses = _CLAUSE.split(sentence)
    denied = {w for c in clauses if _NEGATION.search(c) for w in words(c)}
    affirmed = {w for c in clauses if not _NEGATION.search(c) for w in words(c)}
    return not negated and not set(words(text)) & (denied - affirmed)


def denial_given(question: str, near: str) -> bool:
    """``near`` (the sentences an answer rests on) says something did not happen, or the question does not ask
    about what did not: a passage that only says what a thing does answers no "What does not ...?".

    >>> denial_given("What does not hide constant factors?", "Big O notation hides constant factors.")
    False
    >>> denial_given("Who didn't attend the meeting?", "Mr Barclay had failed to attend a meeting.")
    True
    >>> denial_given("Did they decide whether or not to strike?", "They voted to strike.")
    True
    """
    return not _ASKS_NOT.search(_NOT_AN_ASK.sub(" ", question)) or bool(_DENIES.search(near))
