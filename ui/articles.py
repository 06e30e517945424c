"""Adding and removing articles from the chat: an upload or a paste becomes one safe corpus file.

The uploaded file's name is never used for the new file: only its extension is read, and only to pick
the reader. The corpus file is named from a hash of its content (``web-<sha256 prefix>.txt``), so neither
``../../x`` nor any other name can place it outside the corpus folder, and adding the same article twice
finds the first copy. Plain text and Markdown get the form's metadata as YAML front matter; an HTML page is
kept as it is unless the form states metadata, in which case its extracted text is stored with it.

>>> compose(Draft(text="Body.", title="A: title", date="2016-01-12"), Settings())
('.txt', b"---\\ntitle: 'A: title'\\ndate: '2016-01-12'\\n---\\nBody.\\n")
>>> valid_date("2016-02-30")
False
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from rag.errors import UsageError
from rag.text.formats import read_html
from rag.text.front_matter import read_front_matter
from rag.text.corpus_config import read_config
from rag.text.load import READERS, load_file
from rag.messages import render
from rag.settings import Settings
from rag.types import Article

log = logging.getLogger(__name__)

ALLOWED = {".txt": ".txt", ".md": ".md", ".markdown": ".md", ".html": ".html", ".htm": ".html"}
WEB_PREFIX = "web-"  # the corpus files the chat adds (and so may remove)
TRASH = ".trash"  # where removed articles' files are kept, inside the corpus folder
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class Draft:
    """What the Articles form sends: pasted text or an uploaded file (a server-side temp path), and metadata."""

    text: str | None = None
    file: str | None = None
    title: str | None = None
    publisher: str | None = None
    date: str | None = None
    facet: str | None = None  # the value of the corpus's first facet (corpus.toml), e.g. its dispute


def valid_date(value: str) -> bool:
    """An ISO date, possibly partial: 2016, 2016-02, 2016-02-10."""
    if not _DATE.match(value):
        return False
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        datetime.date(*parts[:3])
    except ValueError:
        return False
    return True


def compose(draft: Draft, settings: Settings, facet: str | None = None) -> tuple[str, bytes]:
    """Check a draft and build the corpus file it becomes: (extension, content). Raises ``UsageError``."""
    text = draft.text if draft.text and draft.text.strip() else None
    if text and draft.file:
        raise UsageError(render("ADD_BOTH"))
    if not text and not draft.file:
        raise UsageError(render("ADD_EMPTY"))
    limit = settings.max_upload_bytes
    if draft.file:
        suffix = ALLOWED.get(Path(draft.file).suffix.lower())
        if suffix is None:
            raise UsageError(render("ADD_TYPE", types=", ".join(sorted(set(ALLOWED.values())))))
        size = os.path.getsize(draft.file)
        if size > limit:
            raise UsageError(render("ADD_TOO_BIG", size=size, limit=limit))
        try:
            raw = Path(draft.file).read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UsageError(render("ADD_NOT_UTF8")) from None
    else:
        suffix, raw = ".txt", (text or "").replace("\r\n", "\n")  # text is set: no file, and not empty
        size = len(raw.encode())
        if size > limit:
            raise UsageError(render("ADD_TOO_BIG", size=size, limit=limit))
    meta = form_meta(draft, facet)
    if suffix == ".html":
        if not meta:
            return suffix, raw.encode()
        page = read_html(raw, Path("upload.html"))[0]
        if page.error:
            raise UsageError(render("ADD_UNREADABLE", reason=page.error))
        suffix, stated, body = ".txt", page.meta, page.body
    else:
        stated, body = front_matter(raw)
    return suffix, with_front_matter({**{k: v for k, v in stated.items() if v}, **meta}, body)


def form_meta(draft: Draft, facet: str | None = None) -> dict[str, str]:
    """The form's metadata; the facet field is kept under ``facet``, the name of the corpus's first facet."""
    meta = {}
    for key, value in (("title", draft.title), ("publisher", draft.publisher), ("date", draft.date),
                       (facet, draft.facet)):
        value = " ".join((value or "").split())
        if key and value:
            meta[key] = value
    if "date" in meta and not valid_date(meta["date"]):
        raise UsageError(render("BAD_DATE", value=meta["date"]))
    return meta


def front_matter(raw: str) -> tuple[dict, str]:
    """Metadata a pasted or uploaded text already states in its own front matter, and its body."""
    meta, body, error = read_front_matter(raw)
    if error:
        raise UsageError(render("ADD_UNREADABLE", reason=error))
    return {k: str(v) for k, v in meta.items() if k != "inferred" and v is not None}, body


def with_front_matter(meta: dict, body: str) -> bytes:
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1 << 16) if meta else "{}\n"
    return f"---\n{header}---\n{body.strip()}\n".encode()


def file_name(suffix: str, content: bytes) -> str:
    """The corpus file name for new content: derived from the content alone, never from user input."""
    return f"{WEB_PREFIX}{hashlib.sha256(content).hexdigest()[:16]}{suffix}"


def stage(corpus_dir: Path, suffix: str, content: bytes, settings: Settings) -> tuple[Path, Article]:
    """Write ``content`` to a hidden file in the corpus folder (ingest skips hidden files) and read it back as
    an article, exactly as the ingest will. Returns the staged path and the article; raises ``UsageError``."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    staged = corpus_dir / f".staging-{os.getpid()}-{file_name(suffix, content)}"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    except OSError:
        staged.unlink(missing_ok=True)
        raise
    items = load_file(staged, settings, read_config(corpus_dir).facets)
    article = next((a for a in items if isinstance(a, Article)), None)
    if article is None:
        staged.unlink(missing_ok=True)
        reason = next((s.reason for s in items if not isinstance(s, Article)), "no article text")
        raise UsageError(render("ADD_UNREADABLE", reason=reason))
    return staged, article


def clean_staging(corpus_dir: Path) -> list[Path]:
    """Remove what an add killed mid-way left behind (``.staging-*`` files); returns them. Run before serving."""
    left = sorted(corpus_dir.glob(".staging-*")) if corpus_dir.is_dir() else []
    for path in left:
        path.unlink(missing_ok=True)
        log.info("removed %s, left by an interrupted add", path)
    return left


def own_file(article: Article, corpus_dir: Path) -> Path | None:
    """The corpus file that holds ``article`` and nothing else, if there is one inside ``corpus_dir``."""
    root = corpus_dir.resolve()

    def fits(path: Path) -> bool:
        return (path.is_file() and path.is_relative_to(root)
                and path.suffix.lower() in READERS and path.suffix.lower() != ".jsonl")

    source = Path(article.source).resolve() if article.source else None
    if source is not None and fits(source):
        return source  # the file it was read from (its id is its stem, or its path when a twin had the stem)
    found = [p.resolve() for p in root.rglob("*") if p.stem == article.id and fits(p.resolve())]
    return found[0] if len(found) == 1 else None


def refused_file(note: str, settings: Settings) -> str | None:
    """Why the page refused the file last chosen, from the note its script leaves (``{"name", "size"}``, JSON;
    see ``ui/page.js``), or None when there is no such note. The note comes from the browser: only a name and
    a size are read from it, and the reason is decided here.

    >>> refused_file('{"name": "scan.pdf", "size": 10}', Settings())
    'scan.pdf was not taken: only .html, .md, .txt files can be added.'
    """
    if not (note and note.strip()):
        return None
    try:
        data = json.loads(note)
        name, size = " ".join(str(data["name"]).split())[:200], int(data["size"])
    except (ValueError, TypeError, KeyError):
        return None
    if ALLOWED.get(Path(name).suffix.lower()) is None:
        return render("ADD_REFUSED_TYPE", name=name, types=", ".join(sorted(set(ALLOWED.values()))))
    if size > settings.max_upload_bytes:
        return render("ADD_REFUSED_SIZE", name=name, size=size, limit=settings.max_upload_bytes)
    return None
