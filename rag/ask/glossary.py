"""What an abbreviation stands for, as the articles spell it out: "What is the BMA?", "What does DHSC stand for?".

Searched like other questions these were answered badly: "What is the BMA?" with "But the BMA needs to keep its
resolve and escalate. [1]", and "What does DHSC stand for?" was refused, though an article writes "the Department
of Health and Social Care (DHSC)". A question asking only what an abbreviation is or stands for is answered from
where an article spells it out beside it in brackets, either way round, the initials of the long form giving its
letters ("of", "and", "the" aside; "central business districts (CBD)" counts too): "“DHSC” stands for
“Department of Health and Social Care” [1].", cited to that sentence. One typed in lower case ("who is the bma")
is looked for in capitals. Where no article gives it in brackets, an article that uses it and writes its words in
full elsewhere ("the National Health Service" for NHS) spells it out as well. An abbreviation no article spells
out goes to the answerers like any other question.

>>> spelt_out("DHSC", "Talks with the Department of Health and Social Care (DHSC) since Tuesday.")
('Department of Health and Social Care', (15, 51))
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

from rag.ask.names import asked_about
from rag.index.vector_store import StoreFilter, admits_article
from rag.messages import render
from rag.types import Answer, Article, Chunk, Citation

# "What does DHSC stand for?", "What is NHS short for?" ("What is the BMA?" is ``asked_about``'s form)
_STANDS_FOR = re.compile(r"^\s*(?:what\s+(?:does|do|did)\s+(?:the\s+)?(?:letters\s+)?(?P<b>[\w&.-]+)\s+"
                         r"(?:stand|stands)\s+for|what\s+(?:is|was)\s+(?:the\s+)?(?P<c>[\w&.-]+)\s+short\s+for)"
                         r"\s*\??\s*$", re.IGNORECASE)
# An abbreviation: two or more capitals, perhaps a plural "s" ("BMA", "DHSC", "GPs").
_ABBREVIATION = re.compile(r"[A-Z][A-Z&]+s?")
# An abbreviation typed in lower case, as people type into a chat ("who is the bma"): its capitals are looked for.
_TYPED_LOWER = re.compile(r"[a-z][a-z&]{1,5}")
_CONNECTORS = frozenset({"of", "and", "the", "for", "in", "on", "to", "&"})
_LONG_WORD = r"[^\W\d_][\w'’-]*|&"
# Capitalised words in a row, connectors between them: "National Health Service", "Department of Health".
NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the|on|in|to|&)\s+)*[A-Z][\w'’-]*)+")


def asked(question: str) -> str:
    """The abbreviation ``question`` asks the meaning of, or "" when it asks something else.

    >>> asked("What does DHSC stand for?"), asked("What is the BMA?"), asked("What is the strike about?")
    ('DHSC', 'BMA', '')
    >>> asked("who is the bma"), asked("What is Acas?")  # typed in lower case; a name, not capitals
    ('BMA', '')
    """
    match = _STANDS_FOR.match(question)
    short = next((g for g in match.groups() if g), "") if match else asked_about(question)
    if _ABBREVIATION.fullmatch(short):
        return short
    return short.upper() if _TYPED_LOWER.fullmatch(short) else ""


def spelt_out(short: str, text: str) -> tuple[str, tuple[int, int]] | None:
    """The long form ``text`` gives for ``short`` beside it in brackets, with its span, or None."""
    letters = short.rstrip("s").replace("&", "").upper()
    for match in re.finditer(rf"((?:(?:{_LONG_WORD})\s+){{1,12}}?(?:{_LONG_WORD}))\s*\(\s*{re.escape(short)}\s*\)",
                             text):
        long = _matching(match.group(1), letters)
        if long:
            start = match.start(1) + match.group(1).rindex(long)
            return long, (start, start + len(long))
    for match in re.finditer(rf"\b{re.escape(short)}\s*\(\s*((?:(?:{_LONG_WORD})\s+){{1,12}}(?:{_LONG_WORD}))\s*\)",
                             text):
        if _initials(match.group(1)) == letters:
            return match.group(1), match.span(1)
    return None


def glossary_answer(question: str, articles: Mapping[str, Article], passages: Callable[[str], Sequence[Chunk]],
                    where: StoreFilter | None = None) -> Answer | None:
    """The answer to ``question`` from the first article (newest first; of those the chat's filter ``where``
    admits) that spells its abbreviation out, cited to the sentence doing so; None when it asks no such thing or
    no article spells it out."""
    short = asked(question)
    if not short:
        return None
    using = [a for a in sorted(articles.values(), key=lambda a: (a.date or "", a.id), reverse=True)
             if admits_article(where, a) and short in a.text]
    # Spelt out beside it in brackets first, anywhere; else written out in full by an article that uses it.
    for spell in (spelt_out, written_out):
        for article in using:
            found = spell(short, article.text)
            if not found:
                continue
            long, (start, _) = found
            for chunk in passages(article.id):
                sentence = next(((a, b) for a, b in chunk.sentences if a <= start < b), None)
                if sentence:
                    text = render("GLOSSARY", short=short, long=long)
                    return Answer(question, text, (Citation(1, article, chunk, 1.0, (sentence,)),), False, (),
                                  "glossary")
    return None


def written_out(short: str, text: str) -> tuple[str, tuple[int, int]] | None:
    """The first run of capitalised words in ``text`` whose initials spell ``short`` (connectors aside), with its
    span, or None: an article writing "the National Health Service" and "NHS" apart spells it out all the same.

    >>> written_out("NHS", "Operations across the National Health Service in England. The NHS said so.")
    ('National Health Service', (22, 45))
    >>> written_out("BMA", "Barclay met the Medical Association.") is None
    True
    """
    letters = short.rstrip("s").replace("&", "").upper()
    for run in NAME_RUN.finditer(text):
        parts = list(re.finditer(r"\S+", run.group(0)))
        for i, first in enumerate(parts):
            for last in parts[i:]:
                words = run.group(0)[first.start():last.end()]
                if (first.group(0)[0].isupper() and last.group(0)[0].isupper()
                        and _initials(words) == letters and len(words.split()) > 1):
                    return words, (run.start() + first.start(), run.start() + last.end())
    return _written_lower(letters, text) if len(letters) >= 3 else None


def long_forms(text: str) -> dict[str, set[str]]:
    """Each whole run of capitalised words in ``text`` (connectors between, a leading "The" aside), by the
    abbreviation its initials spell, three letters or more: what "RCN" stands for where an article writes "the
    Royal College of Nursing" and never "RCN". Only whole runs: a part of one ("Vivek Trivedi" of "Dr Rob Laurenson
    and Dr Vivek Trivedi") spells letters by chance.

    >>> long_forms("The Royal College of Nursing said so. Dr Ann Lee and Dr Bo Li agreed.")
    {'RCN': {'Royal College of Nursing'}, 'DALDBL': {'Dr Ann Lee and Dr Bo Li'}}
    """
    found: dict[str, set[str]] = {}
    for run in NAME_RUN.finditer(text):
        long = re.sub(r"^(?:The|the)\s+", "", run.group(0))
        if len(_initials(long)) >= 3:
            found.setdefault(_initials(long), set()).add(long)
    return found


def _written_lower(letters: str, text: str) -> tuple[str, tuple[int, int]] | None:
    """The first run of as many lower-case words as ``letters`` whose initials spell them, with its span: "JDC"
    written "junior doctors’ committee" (three letters at least: two are spelt by chance, "must pay").

    >>> _written_lower("JDC", "He chairs the BMA junior doctors’ committee. JDC met.")
    ('junior doctors’ committee', (18, 43))
    """
    pattern = r"\s+".join(rf"{c.lower()}[a-z'’-]+" for c in letters)
    found = re.search(rf"(?<![\w'’-]){pattern}(?![\w'’-])", text)
    return (found.group(0), found.span()) if found else None


def _matching(words: str, letters: str) -> str:
    """The shortest tail of ``words`` whose capitals are ``letters``: "talks with the Department of Health and
    Social Care" gives "Department of Health and Social Care" for DHSC."""
    parts = words.split()
    for n in range(len(parts) - 1, -1, -1):
        tail = parts[n:]
        if tail[0].lower() in _CONNECTORS:
            continue
        if _initials(" ".join(tail)) == letters:
            return " ".join(tail)
    return ""


def _initials(words: str) -> str:
    return "".join(w[0] for w in words.split() if w.lower() not in _CONNECTORS).upper()
