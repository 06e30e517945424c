"""Reading the model's reply: its opening verdict word, a refusal said in words, and the prompt's own scaffolding
that a small model sometimes copies into its answer.

>>> refuses("The passages don't say."), verdict_is("NO.", "NO")
(True, True)
"""

from __future__ import annotations

import re
from typing import Iterator

from rag.ask.prompts import prompt
from rag.text.sentences import asks, quotes, sentence_spans

# Headings of the model's input (``rag/ask/prompts.py``): never part of an answer, whatever the model copies.
_HEADINGS = tuple(h.strip() for h in (prompt("LLM_FOCUS", lines=""), prompt("LLM_CONVERSATION", context=""),
                                       prompt("LLM_USER", passages="", focus="", conversation="", question="")
                                       .split("\n")[0]))
_ECHO = re.compile(r"\s*(?:" + "|".join(re.escape(h) for h in _HEADINGS) + r")\s*(?:\[\d+\]\s*)*>?\s*\.?"
                   r"|(?m:^\s*(?:\[\d+\]\s*)?>\s*)")
# Citation markers opening a sentence: a dropped sentence's, where they followed its full stop or question mark.
_LEADING_MARKERS = re.compile(r"^(?:\[\d+(?:\s*,\s*\d+)*\]\s*)+")
# A closing quotation mark the model set apart from the sentence it closes, before a citation or the end.
_LOOSE_CLOSE = re.compile(r"([.!?,])\s+([\"”’])(?=\s*(?:\[\d+\]|$))")
# A run of capitalised words and its marker, run on into the next sentence with no full stop: a byline or credit
# copied from an excerpt ("... system [1]. Sophie Walton [1] Thanks to ...").
_BARE_RUN_ON = re.compile(r"(?:^|(?<=[.!?]\s))((?:[A-Z][\w'’-]*\s+){0,4}[A-Z][\w'’-]*\s*\[\d+(?:\s*,\s*\d+)*\])"
                          r"(?=\s+[A-Z])")
# The ways a model says the passages hold no answer, besides the verdict it is told to give.
_REFUSAL = re.compile(r"\b(passages?|excerpts?|articles?|context|text)\s+(do|does|did)\s*(not|n't)\s+"
                      r"(say|state|mention|contain|answer|include|provide|specify)", re.I)


def refuses(text: str) -> bool:
    """The model says the passages hold no answer.

    >>> refuses("The passages don't say."), refuses("The passages do not mention a date."), refuses("Yes [1].")
    (True, True, False)
    """
    said = " ".join(text.split()).lower()
    return said.startswith(prompt("LLM_REFUSAL").lower().rstrip(".")) or bool(_REFUSAL.search(said))


def after_verdict(pieces: Iterator[str], yes: str) -> Iterator[str]:
    """The reply without its opening verdict word, for a backend whose reply carries one ("YES\\n...").

    >>> list(after_verdict(iter(["YE", "S\\nThe", " BMA", " [1]."]), "YES"))
    ['The', ' BMA', ' [1].']
    >>> list(after_verdict(iter(["NO"]), "YES")), list(after_verdict(iter(["Hunt said [1]."]), "YES"))
    (['NO'], ['Hunt said [1].'])
    """
    head = ""
    for piece in pieces:
        head += piece
        if "\n" in head or len(head) > 8:
            break
    verdict = re.match(rf"\s*{re.escape(yes)}\b[.:!]?\s*", head, re.I)
    if verdict:
        head = head[verdict.end():]
    if head:
        yield head
    yield from pieces


def verdict_is(text: str, word: str) -> bool:
    """The reply's first line is the verdict ``word`` alone: verdict_is("NO.", "NO") is True."""
    return text.split("\n", 1)[0].strip().strip(".:").upper() == word.upper()


def unechoed(text: str) -> str:
    """The reply without the prompt's scaffolding: a heading of the model's input, and the "[n] >" or ">" that
    quotes an excerpt's line there.

    >>> unechoed("Lines of the excerpts most like the question: [1] > Rail is run by operators [1].")
    'Rail is run by operators [1].'
    >>> unechoed("Measures are axioms [1]. Lines of the excerpts most like the question: [1].")
    'Measures are axioms [1].'
    >>> unechoed("Turnout was 77% [1].")
    'Turnout was 77% [1].'

    A question the reply asks without quoting anyone is a heading copied from an excerpt (an interview's "What do
    you say to patients?"): it answers nothing.

    >>> unechoed("What do you say to patients? I am sorry [1].")
    'I am sorry [1].'

    Its markers go with it: they follow its question mark, so they would open the next sentence ("Strike dates?
    [1] January 26 and 27 [2]." read "[1] January 26 and 27 [2].").

    >>> unechoed("Strike dates? [1] January 26 and 27 [2].")
    'January 26 and 27 [2].'
    """
    text = _ECHO.sub(" ", text).strip()
    kept, dropped = [], False
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        if asks(sentence) and not quotes(sentence):
            dropped = True
            continue
        kept.append(_LEADING_MARKERS.sub("", sentence) if dropped else sentence)
        dropped = False
    return " ".join(s for s in kept if s)


def tidied(text: str) -> str:
    """The reply with its quotation marks closed where they belong (a quote the article runs on into its next
    paragraph, news style, is closed by the model with a space before the mark), and without a bare name trailing
    a stated answer: a byline or caption copied from the excerpt ("Sophie Walton [1]"), which states nothing.

    >>> tidied('He said: "We will strike. " [1]')
    'He said: "We will strike." [1]'
    >>> tidied("Pickets sang [1]. Sophie Walton [1]"), tidied("Rob Laurenson [1]. Vivek Trivedi [1].")
    ('Pickets sang [1].', 'Rob Laurenson [1]. Vivek Trivedi [1].')
    >>> tidied("Pickets sang [1]. Sophie Walton [1] Thanks to all who sent pictures [1].")
    'Pickets sang [1]. Thanks to all who sent pictures [1].'
    """
    text = _BARE_RUN_ON.sub(r"\1.", _LOOSE_CLOSE.sub(r"\1\2", text))
    spans = sentence_spans(text)
    if not spans or _bare(text[spans[0][0]:spans[0][1]]):
        return text
    return " ".join(text[a:b] for a, b in spans if not _bare(text[a:b]))


def _bare(sentence: str) -> bool:
    """A sentence of capitalised words alone, markers aside: a name, a heading, a credit."""
    found = re.findall(r"[^\W\d_][\w'’-]*", re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", sentence))
    return bool(found) and len(found) <= 5 and all(w[0].isupper() for w in found)
