"""Read a clipped follow-up ("And the Labour party?", "What about 2023?") as the question it clips.

In a chat the next question often names only what changes: after "What did Jeremy Hunt say?", "And the Labour
party?" asks what Labour said. Searched with the talk folded in, the model was asked "And the Labour party?"
itself, judged that the excerpts do not answer it, and the question was refused although an excerpt held
Labour's word. Here the earlier question is asked again with its year, or its name, put in the place of the new
one; the chat notes how the question was read. A clipped question naming neither, or an earlier question with
nothing to put it in place of, is left to the conversation as before (``rag.ask.question.context``).

>>> clipped_read("And the Labour party?", "What did Jeremy Hunt say?")
'What did the Labour party say?'
>>> clipped_read("What about 2023?", "How long was the strike in 2016?")
'How long was the strike in 2023?'
>>> clipped_read("And the government?", "What do junior doctors want?")
'What do the government want?'

"Compare that with 2016" after a question about 2023 asks that question of both years: it is read as the earlier
question "compared with" the new year, which sets each year's passages side by side as any comparison of named
years does.

>>> clipped_read("How does that compare with 2016?", "How long is the strike in 2023?")
'How long is the strike in 2023, compared with 2016?'
"""

from __future__ import annotations

import re
from typing import Sequence

from rag.ask.names import names_in
from rag.ask.question import years_in

# "And X?", "What about X?", "How about X?": X a few words with no verb of its own.
_CLIPPED = re.compile(r"^\s*(?:and|but|what about|how about)\s+(?P<rest>[^?]{1,60}?)\s*\??\s*$", re.IGNORECASE)
# A rest that is a question or a clause of its own ("And how many voted?", "And did he resign?").
_CLAUSE = re.compile(r"^(?:what|who|whom|whose|which|when|where|why|how|is|are|was|were|do|does|did|has|have|had|"
                     r"can|could|will|would|should|may|might)\b", re.IGNORECASE)
# What a rest must be to take a name's place: a name, a year or "the ..." ("And then?" is none of them).
_NAMES = re.compile(r"^the\s|\b[A-Z]|\b\d{4}\b")
# "Compare that with 2016", "How does this compare to the 2016 strike?": the earlier question, of another year.
_COMPARED_BACK = re.compile(r"^\s*(?:and\s+)?(?:(?:compare|contrast)\s+(?:that|this|it)|how\s+(?:does|did|do|would)\s+"
                            r"(?:that|this|it)\s+compare)\s+(?:with|to|against)\s+(?P<rest>[^?]{1,40}?)\s*\??\s*$",
                            re.IGNORECASE)
# A question about a plain subject, nothing but its verb after it: "What do junior doctors want?", "Why are the
# nurses striking?". Longer, where the subject ends is unsure ("What did the government offer the doctors?").
_PLAIN_SUBJECT = re.compile(r"^\s*(?i:what|why|how|when|where)\s+(?:do|does|did|is|are|was|were|has|have|will|would)\s+"
                            r"(?P<subject>[a-z]+(?:\s+[a-z]+){0,2})\s+[a-z]+\s*\?*\s*$")
# A rest that points back instead of naming ("What about him?"): the conversation resolves it.
_POINTS_BACK = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|it|its|this|that|these|those|we|i|you)\b",
                          re.IGNORECASE)


def clipped_read(question: str, earlier: str) -> str | None:
    """The clipped ``question`` asked as ``earlier`` was, with its year or its first name swapped for the new
    one; None when ``question`` is not clipped, or ``earlier`` has nothing of that kind to swap."""
    compared = _COMPARED_BACK.match(question)
    if compared:
        years, was = years_in(compared.group("rest")), years_in(earlier)
        if len(years) != 1 or len(set(was)) != 1 or years == was:
            return None
        return f"{earlier.strip().rstrip('?.! ')}, compared with {compared.group('rest').strip()}?"
    match = _CLIPPED.match(question)
    rest = match.group("rest").strip() if match else ""
    if not _NAMES.search(rest) or _CLAUSE.match(rest) or _POINTS_BACK.search(rest) or len(rest.split()) > 6:
        return None
    years, was = years_in(rest), years_in(earlier)
    if years and was:
        return re.sub(rf"\b{re.escape(was[0])}\b", years[0], earlier, count=1)
    names = names_in(earlier)
    if years or rest.casefold() in earlier.casefold():
        return None
    if not names:  # "What do junior doctors want?" then "And the government?": its subject is swapped
        plain = _PLAIN_SUBJECT.match(earlier)
        return f"{earlier[:plain.start('subject')]}{rest}{earlier[plain.end('subject'):]}" if plain else None
    # "What did the BMA say?" then "And the Labour party?": the new name brings its own article.
    return re.sub(rf"(?:\bthe\s+)?{re.escape(names[0])}", rest, earlier, count=1)


def read_in_talk(question: str, history: Sequence[dict] | None) -> str | None:
    """``question`` read against the user's last question that was not clipped itself, so a run of clipped
    ones each swap the same place ("And the nurses?" after "And the Labour party?" after "What did Jeremy Hunt
    say?").

    >>> talk = [{"role": "user", "content": "What did Jeremy Hunt say?"}, {"role": "user", "content": "And Labour?"}]
    >>> read_in_talk("And the nurses?", talk)
    'What did the nurses say?'
    """
    earlier = ""
    for turn in history or ():
        if turn.get("role") == "user" and isinstance(turn.get("content"), str):
            earlier = earlier if clipped_read(turn["content"], earlier) else turn["content"]
    return clipped_read(question, earlier) if earlier else None
