"""Understand a question: resolve follow-ups against the conversation, split two-part questions.

A question that leans on earlier turns ("What did he say next?") is searched together with the earlier user
questions and the last answer; a self-contained question is searched alone.

>>> history = [{"role": "user", "content": "What did Jeremy Hunt say about the walkout?"},
...            {"role": "assistant", "content": "He called it wholly unnecessary [1]."}]
>>> context("What did he say next?", history, turns=2, answer_words=40)
'What did Jeremy Hunt say about the walkout? He called it wholly unnecessary.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from rag.ask.markers import claim
from rag.text.dateline import MONTHS, WEEKDAYS
from rag.text.words import words


@dataclass(frozen=True)
class Query:
    question: str  # what the user typed (after trimming)
    text: str  # what is searched: the question with any context a follow-up needs
    vector: np.ndarray  # embedding of ``text``
    question_vector: np.ndarray  # embedding of the question alone (``vector`` when there is no context)
    context: str = ""  # earlier turns a follow-up leans on
    said: str = ""  # what the assistant already said in this conversation
    notes: tuple[str, ...] = ()
    parts: tuple[tuple[str, np.ndarray], ...] = ()  # sub-questions of a two-part question, with embeddings
    compare: bool = False  # the question sets sources side by side: answer from more than one article
    last_said: str = ""  # the assistant's last answer in this conversation, without its markers

    @property
    def sided(self) -> bool:
        """A comparison or a two-part question: its answer has sides, which the rules for one fact leave alone."""
        return self.compare or bool(self.parts)


_MARKER = re.compile(r"\s*\[\d+\]")
_LEANS_ON_CONTEXT = re.compile(
    r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|"
    r"next|else|also|too|same|former|latter|above|earlier|previous|first one|second one|last one|other one)\b|"
    r"^\s*(?:and|but|so|what about|how about)\b",
    re.IGNORECASE,
)
_SHORT_ASK = re.compile(r"^\s*(?:why|when|where|who|how (?:many|much|long))\b[^?]{0,25}\??\s*$", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<!^)(?<![\w'’])[A-Z][\w'’-]*")


_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def plain(text: str) -> str:
    """Typed text made safe for every stage: control characters become spaces, and a lone surrogate (which a
    JSON escape such as ``\\ud800`` can smuggle in, and no tokenizer accepts) becomes U+FFFD.

    >>> plain("Who\\x00 is\\x07 the \\ud800 health secretary?")
    'Who  is  the \\ufffd health secretary?'
    """
    return _SURROGATE.sub("\ufffd", _UNSAFE.sub(" ", text))


# The auxiliary that opens a yes-or-no question ("did the nurses strike").
_AUXILIARY = r"did|does|do|is|are|was|were|has|have|had|can|could|will|would|should"
# What makes typed words a question without its question mark: a question word anywhere ("on what date is the
# strike"), or an opening auxiliary.
_ASKS_SOMETHING = re.compile(rf"\b(?:who|whom|whose|what|when|where|which|why|how)\b|^(?:{_AUXILIARY})\b",
                             re.IGNORECASE)
_WHETHER = re.compile(rf"^\s*(?:{_AUXILIARY})\b", re.IGNORECASE)


def asks_whether(question: str) -> bool:
    """A yes-or-no question: ``asks_whether("Did the BMA accept the offer?")`` is True."""
    return bool(_WHETHER.match(question))


# A contraction typed without its apostrophe, as in a chat ("whos", "didnt"). "its" and the rarer "wont" and
# "cant" aside, none of these is an English word of its own.
_UNMARKED = re.compile(r"\b(?:(?P<s>who|what|where|when|how|that|there)s|"
                       r"(?P<t>do|does|did|is|are|was|were|has|have|had|could|would|should)nt)\b", re.IGNORECASE)


def with_apostrophes(question: str) -> str:
    """Contractions typed without their apostrophes, read with them: read word for word, "whos the BMA chair"
    asks nothing (no question word for the kind of answer, the search or the model) and was refused.

    >>> with_apostrophes("whos the BMA chair"), with_apostrophes("why didnt they go back"), with_apostrophes("its cost")
    ("who's the BMA chair", "why didn't they go back", 'its cost')
    """
    return _UNMARKED.sub(lambda m: f"{m['s']}'s" if m["s"] else f"{m['t']}n't", question)


def as_asked(question: str) -> str:
    """The question as the model reads it and the search embeds it: capitalised, and with its question mark where
    it asks something.
    Typed in a chat it often comes without: "what did Labour say" had the 1.5B model doubt excerpts (0.58) that
    it trusted for "What did Labour say?", and refuse.

    >>> as_asked("what did Labour say"), as_asked("Who is the BMA chair?"), as_asked("tell me about the strikes")
    ('What did Labour say?', 'Who is the BMA chair?', 'Tell me about the strikes')
    >>> as_asked("on what date is the strike"), as_asked("did the nurses strike")
    ('On what date is the strike?', 'Did the nurses strike?')
    """
    question = question.strip()
    if not question:
        return question
    question = question[0].upper() + question[1:]
    if question[-1] not in ".?!" and _ASKS_SOMETHING.search(question):
        question += "?"
    return question


def is_follow_up(question: str, earlier: str = "") -> bool:
    """A question that leans on the conversation: a pronoun or a continuation, or a short question ("Why?",
    "Who else?") that names nothing the conversation has not named. "Who is Steve Barclay?" after a talk about
    Malawana names someone new and stands alone; folded into the talk, it was searched as a question about him.

    >>> is_follow_up("Who is Steve Barclay?", "Who is Johann Malawana?"), is_follow_up("Why Malawana?", "Malawana")
    (False, True)
    >>> is_follow_up("What would happen on the last one?")
    True
    """
    if _LEANS_ON_CONTEXT.search(question):
        return True
    if not (_SHORT_ASK.search(question) or len(question.split()) <= 3):
        return False
    seen = earlier.casefold()
    return all(name.casefold() in seen for name in _CAPITALISED.findall(question))


def context(question: str, history: Sequence[dict] | None, turns: int, answer_words: int) -> str:
    """Earlier user turns, and the opening ``answer_words`` words of the last answer (where "he" or "it" is
    usually named), for a follow-up. A digest of several articles' opening lines runs to 80-170 words: whole, it
    drowned the question in the search and in what the model read ("How long will it last?" after "Tell me about
    the strike in March 2023" was refused).

    >>> talk = [{"role": "user", "content": "Who chairs it?"}, {"role": "assistant", "content": "Ann Lee [1]. " * 40}]
    >>> context("What did she say?", talk, turns=2, answer_words=4)
    'Who chairs it? Ann Lee. Ann Lee.'
    """
    if not history:
        return ""
    earlier = [t["content"] for t in history if t.get("role") == "user" and t.get("content")][-turns:]
    answers = [t["content"] for t in history if t.get("role") == "assistant" and t.get("content")][-1:]
    said = " ".join(earlier + [" ".join(_MARKER.sub("", a).split()[:answer_words]) for a in answers])
    return said if is_follow_up(question, said) else ""


def said_before(history: Sequence[dict] | None) -> str:
    """Everything the assistant already said, without its citation markers, so a follow-up can prefer sentences
    not yet quoted (a model's answer puts its marker before the full stop, where the article has none).

    >>> said_before([{"role": "assistant", "content": "A picket formed at the hospital [1]."}])
    'A picket formed at the hospital.'
    """
    return " ".join(_MARKER.sub("", t.get("content", "")) for t in history or () if t.get("role") == "assistant")


# "..., and who ...", "... compared with ...": a second question joined to the first.
_JOIN = re.compile(
    r",?\s+(?:and|while|whereas)\s+(?=(?:who|whom|whose|what|when|where|which|how|why|did|does|do|is|was|were)\b)"
    r"|,?\s+(?:compared (?:with|to)|versus|vs\.?|as against)\s+",
    re.IGNORECASE,
)
_COMPARES = re.compile(r"\b(?:both|each|two (?:reports|articles)|compare[ds]?|differ\w*|respectively)\b",
                       re.IGNORECASE)


def parts(question: str) -> list[str]:
    """The sub-questions of a two-part question; a simple question is its own single part.

    >>> parts("Which service hosted the talks, and whom did Hunt appoint to lead them?")
    ['Which service hosted the talks', 'whom did Hunt appoint to lead them?']
    """
    pieces = [p.strip(" ,") for p in _JOIN.split(question)]
    pieces = [p for p in pieces if len(p.split()) >= 3]
    return pieces if len(pieces) > 1 else [question]


# An "about" with nothing after it but a time asks what a thing is about, its cause: "What were the doctors
# striking about in 2016?" ("Tell me about 2016" and "news about the strike" go on to what they ask about). It is
# no word to look for in the articles.
_STRANDED_ABOUT = re.compile(r"\babout(?=\s*(?:[?.!]*\s*$|(?:in|on|during|back in)\s+(?:\d|the\s+\d|(?-i:[A-Z]))))",
                             re.IGNORECASE)
# A question word asking for something in particular ("Why did they strike in 2016?", "How long ...", "What days
# ..."), which a "How did they differ?" or "What happened?" does not.
_PARTICULAR = re.compile(rf"\b(?:why|when|where|who|whom|whose|which)\b|\bwhat\s+(?:dates?|days?|months?|times?)\b|"
                         rf"\bhow\s+(?!(?:did|does|do|is|are|was|were|would|has|have)\b)\w|{_STRANDED_ABOUT.pattern}",
                         re.IGNORECASE)


def asks_particular(question: str) -> bool:
    """Whether a question word asks for something in particular: a reason, a time, a place, a person, an amount.

    >>> asks_particular("Why did they strike in 2016?"), asks_particular("What happened in 2016?")
    (True, False)
    >>> asks_particular("What days were the strikes in 2016?")
    True
    >>> asks_particular("What were the doctors striking about in 2016?"), asks_particular("Tell me about 2016")
    (True, False)
    >>> asks_particular("What was the row about in January?"), asks_particular("News about in work poverty")
    (True, False)
    """
    return bool(_PARTICULAR.search(question))


def sought_words(question: str) -> list[str]:
    """The words of ``question`` to look for in the articles: all of them but an "about" asking for a cause.

    >>> sought_words("What was the strike about in 2023?"), sought_words("News about the strike")
    (['strike', '2023'], ['news', 'about', 'strike'])
    """
    return words(unstranded(question))


def unstranded(question: str) -> str:
    """The question without an "about" that has nothing after it but a time.

    >>> unstranded("What was the strike about in 2023?")
    'What was the strike   in 2023?'
    """
    return _STRANDED_ABOUT.sub(" ", question)


def compares(question: str) -> bool:
    """Whether the question asks to set sources side by side ("both", "each report", "differ")."""
    return bool(_COMPARES.search(question))


_CALENDAR = "|".join(MONTHS + WEEKDAYS)
_ONE_TO_TEN = "one|two|three|four|five|six|seven|eight|nine|ten"
_NUMBER_WORDS = rf"{_ONE_TO_TEN}|eleven|twelve|twenty|thirty|forty|fifty|" \
                r"hundred|thousand|million|billion|half|third|thirds|quarter|dozen|dozens|hundreds|thousands"
# What a question asks for, from its wording, and what a sentence holding such an answer looks like.
_ASKS = [
    ("duration", re.compile(r"\bhow long\b|\bfor how many\b|\bwhat (?:length|duration)\b", re.I)),
    ("date", re.compile(r"^\s*when\b|\b(?:what|which) (?:date|day|month|year|time)s?\b|\bin what year\b|"
                        r"\bwhat (?:is|are|was|were) the (?:\w+ )?dates?\b", re.I)),
    # A share before a figure: "What percentage voted?" is not answered by how many did.
    ("share", re.compile(r"\bpercentages?\b|\b(?:what|which) (?:per ?cent|proportion|share|fraction)s?\b|"
                         r"\bhow (?:many|much) per ?cent\b", re.I)),
    # A sum of money before a figure: "How much do junior doctors earn?" is not answered by a pay rise's 11 per cent.
    # "pay" as what changes ("How much has their pay fallen?") asks for a share or figure, not a sum.
    ("money", re.compile(r"\bhow much\b[^?]*\b(?:costs?|costing|earn(?:s|ed|ing)?|spen[dt]s?|bid|charged?|worth|"
                         r"salary|salaries|wages?|prices?|fees?|paid|pays?|paying)\b(?! (?:has |have |had )?(?:rises?|"
                         r"rose|risen|increase[sd]?|awards?|offers?|deals?|restoration|cuts?|freeze|fallen|fell|"
                         r"dropped|drops?|grown|grew|gone|went|changed))|"
                         r"\b(?:what|which) (?:salary|salaries|wages?|price|fees?)\b|"
                         r"\bwhat (?:do|does|did) [^?]{1,40}(?<!\bthe )(?<!\ba )\b(?:earn|cost)\b|"
                         r"\bwhat (?:is|was|are|were|will be) (?:the|its|their|his|her)(?: \w+)? (?:cost|price|salary|"
                         r"wage|fee|budget)s?\b", re.I)),
    # "What is the population of Melbourne?" asks for a figure as "How many people live in Melbourne?" does.
    ("number", re.compile(r"\bhow (?:many|much|old|far|big|large|high)\b|\b(?:what|which) (?:number|"
                          r"amount|rate|age|size|figure|sum|level)s?\b|"
                          r"\bwhat (?:is|was|are|were|will be) (?:the|its|their|his|her)(?: \w+)? (?:population|"
                          r"number|amount|total|height|rate|age|figure|count|tally|turnout|temperature|depth|"
                          r"distance|weight|capacity)s?\b(?![^?]*\b(?:called|named|known as)\b)", re.I)),
    ("name", re.compile(r"^\s*(?:who|whom|whose)\b|\b(?:who|whom)\b", re.I)),
]
_HOLDS = {
    "duration": re.compile(rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an)[- ](?:hours?|days?|weeks?|months?|years?|"
                           rf"decades?|minutes?)\b", re.I),
    "date": re.compile(rf"\b(?:{_CALENDAR}|"
                       rf"yesterday|today|tomorrow)\b|\b(?:1[89]|20)\d\d\b"),
    "number": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|%|per ?cent", re.I),
    "money": re.compile(r"[£$€¥]\s?\d|\b(?:pounds?|dollars?|euros?|pence|sterling)\b|(?<!per )\bcents?\b", re.I),
    "share": re.compile(rf"%|\bper ?cent\b|\b(?:half|halves|thirds?|quarters?|fifths?|tenths?|majority|minority)\b|"
                        rf"\b(?:\d+|{_ONE_TO_TEN}) (?:in|out of) (?:\d+|{_ONE_TO_TEN})\b", re.I),
    # Two capitalised words in a row, or a title and a name: "Jeremy Hunt", "Dr Malawana".
    "name": re.compile(r"\b(?:[A-Z][a-z]+|Mr|Mrs|Ms|Dr|Sir|Lord|Lady|Dame) [A-Z][a-z]+"),
}


def expected_answer(question: str) -> str | None:
    """The kind of thing the question asks for: "duration", "date", "share", "money", "number", "name", or None.

    >>> expected_answer("How many operations were cancelled?"), expected_answer("Why did they strike?")
    ('number', None)
    >>> expected_answer("What percentage voted to strike?"), expected_answer("How much do junior doctors earn?")
    ('share', 'money')
    >>> expected_answer("What are the strike dates?"), expected_answer("Which days will they walk out?")
    ('date', 'date')
    >>> expected_answer("What is the population of Leeds?"), expected_answer("What was the cost of the strike?")
    ('number', 'money')
    """
    return next((kind for kind, pattern in _ASKS if pattern.search(question)), None)


def holds(sentence: str, kind: str | None) -> bool:
    """Whether the sentence contains something of that kind (a number, a date, a name)."""
    return kind is not None and bool(_HOLDS[kind].search(sentence))


# What else answers "when", "how long" or "how many" in an answer's own words, beyond what ``holds`` looks for in
# a sentence to rank: a year of any age or a century, a time told by an event ("as soon as the strikes are called
# off"), a span with no figure ("until August", "overnight"), a share with no figure ("most of them").
_GIVES = {
    "date": re.compile(r"(?<![\d,.])\b\d{3,4}s?\b(?![,.]\d)|\b\d+(?:st|nd|rd|th) century\b|"
                       r"\b(?:as soon as|until|till|after|before|once|since|during|ago|last|next|this|early|late|"
                       r"later|earlier|now|soon|then)\b|"
                       r"\b(?:week|weekend|morning|evening|afternoon|night|season|year|decade|century)s?\b", re.I),
    "duration": re.compile(r"\b(?:until|till|through|throughout|since|overnight|indefinite(?:ly)?|open-ended|"
                           r"all (?:day|night|week))\b", re.I),
    "number": re.compile(r"\b(?:most|all|none|nobody|no one|majority|minority|few|several|many|some|scores|"
                         r"handful|every)\b", re.I),
    "share": re.compile(r"\b(?:most|all|none|nobody|no one|every|unanimous(?:ly)?)\b", re.I),
    "money": re.compile(r"\b(?:free|nothing|unpaid|no (?:pay|charge|cost))\b", re.I),
}


def gives(answer: str, kind: str | None, question: str = "") -> bool:
    """Whether an answer gives the kind of thing its ``question`` asks for: a time, a length of time, a figure.

    An answer to "When ...?", "How long ...?" or "How many ...?" that gives none does not answer it, however
    well its passage backs it ("When did the ballot close?" answered "Nearly 40,000 junior doctors voted ...").
    A name is left alone: "Who ...?" is often answered by a role or a group ("64 per cent of people"). A length
    of time is no count of other things (``counted``).

    >>> gives("Nearly 40,000 junior doctors voted to strike [1].", "date")
    False
    >>> gives("He will meet the BMA as soon as the strikes are called off [1].", "date")
    True
    >>> gives("NHS England expressed concern about the impact of the strikes [1].", "number"), gives("x", "name")
    (False, True)
    """
    if kind not in _GIVES:
        return True
    answer = claim(answer)  # "[1]" is no figure
    if kind == "number":
        answer = counted(answer, question)
    return holds(answer, kind) or bool(_GIVES[kind].search(answer))


# A question counting time, or how often: its answer may well be a length ("How many days did it last?").
_COUNTS_TIME = re.compile(r"\b(?:seconds?|minutes?|hours?|days?|nights?|weeks?|weekends?|months?|years?|decades?|"
                          r"centur(?:y|ies)|times?|shifts?|long|longer)\b", re.I)
_HOW_MANY = re.compile(r"\bhow (?:many|much)\b", re.I)


def counted(answer: str, question: str) -> str:
    """``answer`` without its lengths of time where ``question`` counts something else: "How many junior doctors
    took part?" is not answered by "two days of strike action".

    >>> counted("Doctors held two days of strike action.", "How many junior doctors took part?")
    'Doctors held   of strike action.'
    >>> counted("The strike lasted two days.", "How many days did the strike last?")
    'The strike lasted two days.'
    """
    if _HOW_MANY.search(question) and not _COUNTS_TIME.search(question):
        return _HOLDS["duration"].sub(" ", answer)
    return answer


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


# "What's new?" and "What is new with the talks?" ask for the latest too; "What is new in the contract?" does not.
_LATEST = re.compile(r"\b(?:latest|most recent(?:ly)?|newest)\b|\bwhat(?:'s|’s|\s+is)\s+new\s*(?:[?.!]|$|with\b)",
                     re.IGNORECASE)


def asks_latest(question: str) -> bool:
    """The question asks for the newest news and names no year of its own.

    >>> asks_latest("What are the latest developments?"), asks_latest("What was the latest offer in 2016?")
    (True, False)
    >>> asks_latest("What's new?"), asks_latest("What is new in the contract?")
    (True, False)
    """
    return bool(_LATEST.search(question)) and not years_in(question)


def years_in(text: str) -> list[str]:
    """The years a text names.

    >>> years_in("Did they strike in 2016 or in 2023?")
    ['2016', '2023']
    """
    return _YEAR.findall(text)


def dated(date: str | None, text: str, years: frozenset[str]) -> bool:
    """Whether a sentence or passage speaks of one of the years a question names: it says so, or its article
    is dated then (or has no date to go by)."""
    return not date or date[:4] in years or any(y in text for y in years)
