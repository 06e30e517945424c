"""A model answer's citation markers: the answer split into claims, each with the passages its ``[n]`` cite.

A small model writes markers loosely: after the full stop ("said. [1]"), twice ("Monday [1].."), alone after a
sentence, or as a sentence's subject ("[2] reports that ..."). Each is read as the marker of the sentence it
belongs to, so a claim and its citations stay together.

>>> split_claims('Talks start on Monday [2]. The BMA "agreed." [1] Hunt [9] spoke [1, 3].')
[('Talks start on Monday [2].', [2]), ('The BMA "agreed [1]."', [1]), ('Hunt [9] spoke [1, 3].', [9, 1, 3])]
>>> renumber("A [3]. B [1][3]. C [7].", {3: 1, 1: 2})
'A [1]. B [2][1]. C.'
"""

from __future__ import annotations

import re
from typing import Mapping

from rag.text.sentences import sentence_spans
from rag.text.words import words

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence of this many words or more counts as said where one sentence said lacks at most one in this many.
_SAID_WORDS = 4
_SAID_MISSING = 5
# "said. [1]" -> "said [1]."; a full stop the model wrote after the marker too ("said. [1].") goes.
_MARKERS_AFTER_END = re.compile(r"([.!?][\"'”’)]*)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)(?:\s*[.!?](?![\w.]))?")
# "said [1].." -> "said [1].": a marker's sentence ends once.
_ENDED_TWICE = re.compile(r"(\])([.!?])[.!?]+(?![\w.])")
# A marker as a sentence's subject, "[2] reports that more than 4,000 operations moved.": the passage is the source
# of what follows, so the sentence is what follows, cited to it ("More than 4,000 operations moved [2].").
_MARKER_REPORTS = re.compile(r"(^|(?<=[.!?]\s)|(?<=[.!?][\"'”’)]\s))\[(\d+(?:\s*,\s*\d+)*)\]\s+"
                             r"(?:report|say|state|note|write|add|show|mention|claim)s?(?:\s+that)?,?\s+"
                             r"([^.!?]*[^\s.!?])([.!?])")


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the passage numbers it cites (markers moved before the full stop).

    >>> split_claims("Reports differ. [2] reports that 4,000 moved. [1] says 6,000.")
    [('Reports differ.', []), ('4,000 moved [2].', [2]), ('6,000 [1].', [1])]
    >>> split_claims("Talks failed. [1]. Strikes go ahead [2]..")
    [('Talks failed [1].', [1]), ('Strikes go ahead [2].', [2])]
    """
    text = _MARKER_REPORTS.sub(lambda m: f"{m.group(1)}{m.group(3)[:1].upper()}{m.group(3)[1:]} [{m.group(2)}]"
                                         f"{m.group(4)}", " ".join(text.split()))
    text = _ENDED_TWICE.sub(r"\1\2", _MARKERS_AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", text))
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        numbers = [int(n) for m in _MARKER.finditer(sentence) for n in m.group(1).split(",")]
        if out and not re.search(r"\w", _MARKER.sub("", sentence)):  # markers alone belong to the sentence before
            out[-1] = (f"{out[-1][0]} {sentence}", out[-1][1] + numbers)
        else:
            out.append((sentence, numbers))
    return out


def claim(sentence: str) -> str:
    """The sentence without its markers."""
    return re.sub(r"\s+([.!?,;:])", r"\1", " ".join(_MARKER.sub(" ", sentence).split()))


def renumber(text: str, numbers: Mapping[int, int]) -> str:
    """Markers rewritten through ``numbers`` (old -> new); markers not in it are removed, and a marker next to the
    same marker once: ``renumber("Moved [2] [2].", {2: 1})`` is "Moved [1].".
    """

    def swap(m: re.Match) -> str:
        kept = [str(numbers[int(n)]) for n in m.group(1).split(",") if int(n) in numbers]
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", " ".join(_MARKER.sub(swap, text).split()))
    return re.sub(r"\s+([.!?,;:])", r"\1", text)


def cite(sentence: str, n: int) -> str:
    """``sentence`` with the marker ``[n]`` before its full stop, outside a quotation that closes before it.

    >>> cite('It wants "full pay restoration".', 1), cite('He said "no."', 2), cite("Talks failed", 3)
    ('It wants "full pay restoration" [1].', 'He said "no [2]."', 'Talks failed [3]')
    """
    stop = re.search(r"[.!?]+$", sentence) or re.search(r"[.!?]+[\"'”’)]+$", sentence)
    end = stop.start() if stop else len(sentence)
    return f"{sentence[:end]} [{n}]{sentence[end:]}"


def said_again(text: str, said: str) -> bool:
    """Whether every sentence of the answer ``text`` is one the conversation already had (``said``, without its
    markers): a small model shown the earlier turns may give its last answer to the next question.

    >>> said_again("Doctors joined picket lines [1].", "Doctors joined picket lines. The strike began.")
    True
    >>> said_again("Nurses joined them [2].", "Doctors joined picket lines.")
    False
    """
    found = [claim(s) for s, _ in split_claims(text)]
    return bool(found) and all(already_said(f, said) for f in found)


def already_said(sentence: str, said: str) -> bool:
    """Whether ``said`` (what the assistant said, without markers) holds ``sentence``, as written or nearly:
    a model restating an article's sentence drops an opening "Now" or changes its quotation marks, and a
    sentence of four words or more whose words one sentence of ``said`` nearly all holds counts as said.

    >>> already_said("Now the committee has vowed to act with a “single purpose”.",
    ...              'The committee has vowed to act with a "single purpose" [1].')
    True
    >>> already_said("The committee has vowed to strike on Monday.", "The committee has vowed to act on Monday.")
    False
    """
    if not said:
        return False
    if " ".join(sentence.split()) in said:
        return True
    mine = set(words(sentence))
    if len(mine) < _SAID_WORDS:
        return False
    return any(len(mine - set(words(said[a:b]))) <= len(mine) // _SAID_MISSING for a, b in sentence_spans(said))
