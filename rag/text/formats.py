"""Readers for each article file format; each turns a file's text into raw records (body + metadata).

>>> [r.meta["title"] for r in read_text("---\\ntitle: Strike\\n---\\nBody.", Path("a.txt"))]
['Strike']
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rag.text.front_matter import read_front_matter

if TYPE_CHECKING:
    from trafilatura.settings import Document

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RawArticle:
    id: str
    body: str
    meta: dict = field(default_factory=dict)
    source: str = ""
    error: str | None = None  # set when this record cannot become an article


def read_text(raw: str, path: Path) -> list[RawArticle]:
    """Plain text, with optional YAML front matter between `---` lines."""
    meta, body, error = _front_matter(raw)
    return [RawArticle(path.stem, body, meta, str(path), error)]


def read_markdown(raw: str, path: Path) -> list[RawArticle]:
    """Markdown: front matter as metadata; links, images and emphasis reduced to their text."""
    meta, body, error = _front_matter(raw)
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)  # images
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)  # links keep their words
    body = re.sub(r"^\s{0,3}#{1,6}\s+", "", body, flags=re.MULTILINE)  # "## Heading" (not "#hashtag")
    body = re.sub(r"(\*\*|__)(.+?)\1", r"\2", body)
    body = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)", r"\1", body)
    body = re.sub(r"^\s{0,3}(?:>\s?|[-*+]\s+(?=\S))", "", body, flags=re.MULTILINE)
    return [RawArticle(path.stem, body, meta, str(path), error)]


def read_html(raw: str, path: Path) -> list[RawArticle]:
    """HTML page: the main text extracted by trafilatura; title, site name, date and URL from the page."""
    import trafilatura  # imported here: only ingesting HTML pays for it

    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False, include_tables=False,
                                      favor_precision=True)
    doc = cast("Document | None", doc)  # as_dict is left False: a Document (the declared union covers as_dict)
    text = (doc.text or "") if doc is not None else ""
    if doc is None or not text.strip():
        return [RawArticle(path.stem, "", {}, str(path), "no article text found in the HTML")]
    meta = {"title": doc.title, "publisher": doc.sitename, "date": doc.date, "url": doc.url}
    return [RawArticle(path.stem, text, {k: v for k, v in meta.items() if v}, str(path))]


def read_jsonl(raw: str, path: Path) -> list[RawArticle]:
    """One JSON object per line: `text` (or `body`) plus optional `id` and metadata keys."""
    records = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        source = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            records.append(RawArticle("", "", {}, source, f"invalid JSON ({e.msg})"))
            continue
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a "\\ud800" escape: valid JSON, but no text can hold it
            records.append(RawArticle("", "", {}, source, "invalid JSON (a lone surrogate escape)"))
            continue
        body = obj.get("text") or obj.get("body") if isinstance(obj, dict) else None
        if not isinstance(body, str):
            records.append(RawArticle("", "", {}, source, "a JSON object with a 'text' string is expected"))
            continue
        article_id = str(obj.get("id") or f"{path.stem}-{n}")
        meta = {k: v for k, v in obj.items() if k not in ("id", "text") and v is not None}
        records.append(RawArticle(article_id, body, meta, source))
    return records


def _front_matter(raw: str) -> tuple[dict, str, str | None]:
    meta, body, error = read_front_matter(raw)
    return meta, body, error  # every key: the loader reads the fields and the corpus's facets it knows
