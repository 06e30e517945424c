"""What a claim says someone is ("Victoria Atkins is the health secretary") must stand beside that name.

"Who is Victoria Atkins?" was answered "Victoria Atkins is a junior doctor [1].", and the check let it through: its
passage names her ("Health minister Victoria Atkins said ...") and speaks of junior doctors, so every word is there
and the sentence is close enough. A passage tells what someone is beside their name: a title before it ("Health
minister Victoria Atkins"), an apposition after it ("Dr Sarah Khan, 29, is a second-year foundation doctor",
"Robert Laurenson and Vivek Trivedi, co-chairs of ..."). A claim that says what a named person is now needs a word
of that role within a few words of the name, in one sentence of the passage.

>>> role_agrees("Victoria Atkins is a junior doctor.", "Health minister Victoria Atkins said she was sorry. "
...             "Junior doctors will strike.")
False
>>> role_agrees("Victoria Atkins is the health minister.", "Health minister Victoria Atkins said she was sorry.")
True
"""

from __future__ import annotations

import re

from rag.text.sentences import sentence_spans
from rag.text.words import words

# "Victoria Atkins is a junior doctor", "Dr Sarah Khan, 29, was the ...": a name of capitalised words (a title
# before it), an age or a short apposition, "is" or "was", and what follows as the role, up to a clause's end; not
# a verb ("Microsoft is calling the service ...", "Normandy is located in ...").
_IDENTITY = re.compile(r"^\s*((?:(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady|Dame|Professor)\.?\s+)?(?:[A-Z][\w'’-]+\s+){0,3}"
                       r"[A-Z][\w'’-]+)(?:,[^,]{1,40},)?\s+(?:is|was)\s+(?:(?:a|an|the)\s+)?"
                       r"(?![\w'’-]+(?:ing|ed)\b)([^,.;:!?\"“”]+)")
# Words around a name within which a passage says what that person is.
_BESIDE = 8


def role_agrees(claim: str, passage: str) -> bool:
    """Whether ``passage`` says what ``claim`` says a named person is beside that person's name: a word of the role
    within a few words of the name's last word, in one sentence; True for a claim that says no such thing."""
    found = _IDENTITY.match(claim)
    if not found:
        return True
    surname = words(found.group(1).split()[-1])
    role = set(words(found.group(2))) - set(words(found.group(1)))
    if not surname or not role:
        return True
    for start, end in sentence_spans(passage):
        tokens = [words(t) for t in re.findall(r"[\w'’-]+", passage[start:end])]
        for i, token in enumerate(tokens):
            if token and token[-1] == surname[-1]:
                beside = {w for t in tokens[max(0, i - _BESIDE):i + _BESIDE + 1] for w in t}
                if role & beside:
                    return True
    return False
