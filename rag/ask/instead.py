"""Why a model's answer, backed by what it cites, still answers another question, so the quotes are given instead.

Each rule compares the answer with the question and with the quotes' own answer, and names the note the chat shows:

- it gives the conversation's earlier answer again ("Who joined the doctors?" got the answer on the picket lines),
  not where it drills down into one sentence of a longer last answer (``drills_down``);
- it gives none of the figures the question states, where the quotes' first sentence gives one ("What was the 8.8%
  increase?" got the 35% the union sought);
- it holds no word of the question, where the quotes' first sentence holds one ("What does Sarah say to patients
  whose operations are cancelled?" got who she is);
- it tells only the other end of what is asked about ("When did the six-day strike start?" got when it ended).

>>> from rag.ask.question import Query
>>> import numpy as np
>>> query = Query("When did the strike start?", "When did the strike start?", np.zeros(1), np.zeros(1))
>>> quoted = Answer(query.question, "It starts on 3 January. [1]", (), False, (), "extractive")
>>> instead_of(query, "The strike ended at 7am yesterday [1].", quoted)
'LLM_OTHER_END'
"""

from __future__ import annotations

import re

from rag.ask.bounds import other_end
from rag.ask.figures import drops_figures
from rag.ask.markers import already_said, claim, said_again, split_claims
from rag.ask.names import names_in, shares_a_word
from rag.ask.question import Query, asks_particular, asks_whether, expected_answer
from rag.text.sentences import sentence_spans
from rag.text.words import words
from rag.types import Answer

_WHY = re.compile(r"^\s*why\b", re.IGNORECASE)


def instead_of(query: Query, text: str, quoted: Answer) -> str | None:
    """The note (a message key) saying why the quotes ``quoted`` are given in place of the model's backed answer
    ``text`` to ``query``, or None where the answer stands. A comparison or a two-part question has sides, which
    these rules for one fact leave alone."""
    said = claim(text)
    if said_again(text, query.said) and not drills_down(query.question, text, query.last_said):
        return "LLM_SAID_AGAIN"
    if query.sided:
        return None
    if drops_figures(query.question, said, first_quote(quoted)) or strays(query, text, quoted):
        return "LLM_OFF_TOPIC"
    if other_end(query.question, said):
        return "LLM_OTHER_END"
    return None


def drills_down(question: str, text: str, last: str) -> bool:
    """The answer gives again only part of the last answer, and that part holds a word of a question that asks
    for something in particular or names someone: a digest of several articles invites a question about one of
    its sentences ("How many operations were affected?" after the openings of a month's articles is answered by
    its "More than 4,000 operations ..."). Giving back the whole last answer answers nothing new.

    >>> last = "What the articles open with: More than 4,000 operations were rescheduled. Medics in Gaza posed."
    >>> drills_down("How many operations were affected?", "More than 4,000 operations were rescheduled [1].", last)
    True
    >>> drills_down("Tell me more", "More than 4,000 operations were rescheduled [1].", last)
    False
    """
    found = [claim(s) for s, _ in split_claims(text)]
    if not found or not all(already_said(f, last) for f in found):
        return False
    answer = " ".join(found)
    left_out = any(not already_said(last[a:b], answer) for a, b in sentence_spans(last))
    asks = asks_particular(question) or bool(names_in(question))
    return left_out and asks and bool(set(words(question)) & set(words(answer)))


def strays(query: Query, text: str, quoted: Answer) -> bool:
    """The answer holds no word of the question (names aside) where the quotes' first sentence does; not for a
    follow-up ("why?" has no words to hold), nor where it asks who, why or whether (a name, a reason or a yes or no
    is rarely in the question's words)."""
    if query.context or quoted.refused or expected_answer(query.question) == "name":
        return False
    if _WHY.match(query.question) or asks_whether(query.question):
        # A reason, or a yes or no ("the BMA said Barclay failed to attend" for "Did the BMA accept Barclay's
        # invitation?"), rarely holds the question's words.
        return False
    return not shares_a_word(query.question, text) and shares_a_word(query.question, first_quote(quoted))


def first_quote(quoted: Answer) -> str:
    """The first sentence the quotes give, without its marker ("" for a refusal)."""
    return "" if quoted.refused else claim(quoted.text.split("[1]")[0])
