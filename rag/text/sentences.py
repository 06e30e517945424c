"""Split text into sentences as character spans, so every sentence maps back to the text exactly.

>>> text = "Mr Hunt spoke. Dr. Malawana replied: “No.” Talks go on."
>>> [text[s:e] for s, e in sentence_spans(text)]
['Mr Hunt spoke.', 'Dr. Malawana replied: “No.”', 'Talks go on.']
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words that end with a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sir st rev gen col lt capt sgt gov sen rep hon rt jr sr vs etc inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e dept est al".split()
)
# Abbreviations only when a number follows ("No. 10", "fig. 3").
_BEFORE_NUMBER = frozenset("no nos fig approx vol p pp".split())
# A candidate end: terminal punctuation, any closing quotes or brackets, then whitespace.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9#@£$€]")
_ASKS = re.compile(r"\?[\"'”’)]*\s*$")  # a sentence that ends as a question
_QUOTE = re.compile(r"[\"“”‘]|(?<!\w)'")  # an opening or double quotation mark (a closing ’ may be an apostrophe)
_CLOSED = re.compile(r"[.!?\"”’')\]…:;]\s*$")  # how a sentence that states something ends
# A transcript's speaker label opening a paragraph, its words capitalised but for joining ones, the seat or role in
# brackets: "Victoria Atkins: ...", "Wes Streeting (Ilford North) (Lab): ...". Not "But one point remains: ...".
_LABEL_WORD = r"(?:[A-Z][\w'’-]*|of|for|and|the|de|von|van|\([^\n()]{1,60}\))"
_LABEL = re.compile(rf"([A-Z][\w'’-]*(?:[ \t]+{_LABEL_WORD}){{0,11}}):[ \t]+\S")
_SAID = re.compile(r"[.!?…][\"'”’)\]]*$")  # what follows a label is speech, not a headline's "Strikes: Day two"


def heading_asks(text: str, span: tuple[int, int]) -> bool:
    """Whether ``text[span]`` is a heading that asks, as an explainer's "What do they want?" above "The BMA wants
    full pay restoration.": a question, unquoted, standing as a paragraph of its own. A question inside a paragraph
    may state a fact ("Is there a route of at most 2000 kilometres ...?" sets out a problem), a heading does not.

    >>> text = "What do they want?\\n\\nThe BMA wants full pay restoration."
    >>> heading_asks(text, (0, 18)), heading_asks("Why? They said so.", (0, 4))
    (True, False)
    """
    sentence = text[span[0]:span[1]]
    before = text[text.rfind("\n", 0, span[0]) + 1:span[0]]
    end = text.find("\n", span[1])
    after = text[span[1]:end if end >= 0 else len(text)]
    return asks(sentence) and not quotes(sentence) and not before.strip() and not after.strip()


def heading_over(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """The span of the heading that asks standing just above the paragraph holding ``text[span]``, or None: an
    interview's "Are you leaving?" over "Yes. Half my friends have gone.", whose every sentence answers it.

    >>> text = "Are you leaving?\\n\\nYes. Half my friends have gone.\\n\\nI stay."
    >>> heading_over(text, (23, 49)), heading_over(text, (51, 58))
    ((0, 16), None)
    """
    above = text[:text.rfind("\n", 0, span[0]) + 1].rstrip()
    if not above:
        return None
    spans = sentence_spans(text, above.rfind("\n") + 1, len(above))
    return spans[0] if len(spans) == 1 and heading_asks(text, spans[0]) else None


def speaker_over(text: str, span: tuple[int, int], most_words: int = 150) -> str:
    """For a sentence answering a heading that asks, the heading and the article's opening before its first such
    heading, when that opening is short: where an interview names who "I" is ("Dr Sarah Khan, 29, is a
    junior doctor."), as an explainer's opening names what "it" is. Else a transcript's speaker label
    (``speaker_label``), or "".

    >>> text = "Dr Khan, 29, strikes.\\n\\nAre you leaving?\\n\\nYes. I applied in Perth.\\n\\nDone."
    >>> speaker_over(text, (46, 65)), speaker_over(text, (67, 72))
    ('Are you leaving? Dr Khan, 29, strikes.', '')
    """
    head = heading_over(text, span)
    if head is None:
        return speaker_label(text, span)
    first = next(start for start, end in _paragraphs(text, 0, len(text))
                 if heading_asks(text, (start, end)))  # there is one: ``head``
    opening = text[:first].strip()
    shown = opening if len(opening.split()) <= most_words else ""
    return f"{text[head[0]:head[1]]} {shown}".strip()


def speaker_label(text: str, span: tuple[int, int]) -> str:
    """In a transcript (two or more paragraphs open with a speaker's label), the label of the turn holding
    ``text[span]``: the last one at or above its paragraph, since a turn runs on over paragraphs that have none.
    Else who speaks a quotation running on from the sentence before (``quoted_speaker``), or "".

    >>> text = "Ann Lee (Lab): Will she meet them?\\n\\nJo Bell: Yes. I said so.\\n\\nMy door is open."
    >>> speaker_label(text, (62, 78)), speaker_label("Jo Bell: Yes.\\n\\nI said so.", (15, 24))
    ('Jo Bell', '')
    """
    turn = turn_over(text, span)
    match = _LABEL.match(text, *turn) if turn else None
    return match.group(1) if match else quoted_speaker(text, span)


# A quotation's attribution after it: '..., ” said Johann Malawana, chair of ...' (or "..., ” Malawana said").
_ATTRIBUTED = re.compile(r"[”\"],?\s+(?:(?:said|says|added|adds|wrote|writes|told \w+)\s+((?:Mr |Mrs |Ms |Dr |Sir )?"
                         r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3})|((?:[A-Z][\w'’-]+\s+){0,3}[A-Z][\w'’-]+)\s+"
                         r"(?:said|says|added|adds|wrote|writes))")


def quoted_speaker(text: str, span: tuple[int, int]) -> str:
    """Who speaks a quotation that runs on from the sentence before it in its paragraph, where that sentence says
    who spoke its own quotation; else "".

    >>> text = "“We had no option,” said Johann Malawana, chair of the committee. “Our door is open.”"
    >>> quoted_speaker(text, (66, 85)), quoted_speaker(text, (0, 65))
    ('Johann Malawana', '')
    """
    if not text[span[0]:span[1]].startswith(("“", '"')):
        return ""
    paragraph = text.rfind("\n", 0, span[0]) + 1
    before = [s for s in sentence_spans(text, paragraph, span[0]) if s[1] <= span[0]]
    found = _ATTRIBUTED.search(text, *before[-1]) if before else None
    return (found.group(1) or found.group(2)) if found else ""


def turn_over(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    """The span of the sentence that opens, with its speaker's label, the transcript turn holding ``text[span]``
    (``speaker_label``), or None."""
    labelled = _turn_starts(text)
    above = [start for start in labelled if start <= span[0]]
    if len(labelled) < 2 or not above:
        return None
    end = text.find("\n", above[-1])
    return sentence_spans(text, above[-1], len(text) if end < 0 else end)[0]


@lru_cache(maxsize=64)
def _turn_starts(text: str) -> tuple[int, ...]:
    """Where the paragraphs that open with a speaker's label start, read once per text (every sentence scored asks)."""
    return tuple(start for start, end in _paragraphs(text, 0, len(text))
                 if _LABEL.match(text, start, end) and _SAID.search(text, start, end))


def asks(sentence: str) -> bool:
    """Whether a sentence ends as a question: ``asks("What do they want?")`` is True."""
    return bool(_ASKS.search(sentence))


def states(sentence: str) -> bool:
    """Whether a sentence ends as a statement does, not as a heading, a byline or a caption, which name a topic:
    ``states("Doctors strike.")`` is True, ``states("Sophie Walton")`` False."""
    return bool(_CLOSED.search(sentence))


def quotes(sentence: str) -> bool:
    """Whether a sentence holds a quotation mark (an apostrophe is not one): ``quotes("Doctors’ pay")`` is
    False."""
    return bool(_QUOTE.search(sentence))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``; blank lines always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _paragraphs(text, start, end):
        spans.extend(_split_paragraph(text, para_start, para_end))
    return spans


def _paragraphs(text: str, start: int, end: int):
    pos = start
    for match in re.finditer(r"\n\s*\n|\n", text[start:end]):
        yield from _trimmed(text, pos, start + match.start())
        pos = start + match.end()
    yield from _trimmed(text, pos, end)


def _trimmed(text: str, start: int, end: int):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    sentence_start = start
    for match in _END.finditer(text, start, end):
        cut = match.end()
        if not _NEXT_START.match(text, cut, end) or _is_abbreviation(text, sentence_start, match.start(), cut):
            continue
        spans.append((sentence_start, cut))
        sentence_start = cut
        while sentence_start < end and text[sentence_start].isspace():
            sentence_start += 1
    if sentence_start < end:
        spans.append((sentence_start, end))
    return spans


def _is_abbreviation(text: str, sentence_start: int, dot: int, cut: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"(\S+)$", text[sentence_start:dot])
    if not word:
        return False
    token = word.group(1).lstrip("\"'“‘([").lower()
    # Single letters are initials ("J. Smith"), except a lone "I" or "a" closing a sentence is rare enough.
    if token in _BEFORE_NUMBER:
        return text[cut:].lstrip()[:1].isdigit()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())
