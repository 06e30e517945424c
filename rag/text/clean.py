"""Clean an article's raw text: repair mojibake, drop publisher boilerplate, keep the reporting.

The cleaned text is what the index stores and what every citation span points into.

>>> clean_text("Doctors walk out.\\nJoin our commenting forum\\nComments").text
'Doctors walk out.'
>>> clean_text("Junior doctors earn:\\n- £29,384 in their first year.").text
'Junior doctors earn:\\n\\n£29,384 in their first year.'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec used below)

from rag.text import boilerplate
from rag.text.dateline import take_date


@dataclass(frozen=True)
class Cleaned:
    text: str
    date: str | None = None  # the page's date stamp ("date 2023-03-11", "18 September 2024"), removed from the text
    dropped: int = 0  # paragraphs removed as boilerplate


_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152-\u0192\u02c6-\u02dc\u2010-\u203a\u20ac\u2122]{1,3}")
_GLUED = re.compile(r"(?<=[a-z0-9][.!?])(?=[A-Z][a-z])")  # "...difference.Pictures have emerged"
_BULLET = re.compile(r"^[-•*–·▪◦●]\s+(?=\S)")  # a list item's marker: "- A first-year doctor earns £29,384."
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\u2060\ufeff]")


def clean_text(raw: str, publisher: str | None = None) -> Cleaned:
    """Return the article body without boilerplate, paragraphs separated by blank lines."""
    text = repair(raw)
    paragraphs = [p for p in (_BULLET.sub("", line.strip()) for line in text.split("\n")) if p]
    date, paragraphs = take_date([piece for p in paragraphs for piece in _GLUED.split(p)])
    kept = boilerplate.filter_paragraphs(paragraphs, publisher)
    return Cleaned("\n\n".join(kept), date, len(paragraphs) - len(kept))


def repair(raw: str) -> str:
    """Fix mojibake and odd characters; keep typographic quotes, which are the publisher's own."""
    text = ftfy.fix_text(raw, uncurl_quotes=False, fix_line_breaks=True)
    text = _MOJIBAKE.sub(_redecode, text)
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return re.sub(r"[ ]{2,}", " ", text)


def _redecode(match: re.Match) -> str:
    # ftfy leaves short UTF-8-read-as-cp1252 runs such as "â–¶" alone; decode them back when they round-trip.
    seq = match.group(0)
    try:
        return seq.encode("sloppy-windows-1252").decode("utf-8")
    except UnicodeError:
        return seq
