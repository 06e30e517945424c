"""Load articles from a corpus folder: `.txt`, `.md` (optional front matter), `.html` and `.jsonl`.

Each file is read, its metadata gathered, its text cleaned (see ``rag.text.clean``). Files that cannot be read
are skipped with a warning naming them; the rest of the corpus goes on.

>>> articles, skipped = load_corpus(Path("corpus"))  # doctest: +SKIP
>>> articles[0].title  # doctest: +SKIP
'Junior doctors strike: Gaza medics send messages of support'
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from rag.text.clean import clean_text
from rag.text.dateline import wire_agency
from rag.errors import CorpusError, UsageError
from rag.text.formats import RawArticle, read_html, read_jsonl, read_markdown, read_text
from rag.settings import Settings
from rag.text.corpus_config import CONFIG_NAME, Facet, read_config
from rag.types import Article

log = logging.getLogger(__name__)

READERS = {".txt": read_text, ".md": read_markdown, ".markdown": read_markdown, ".html": read_html,
           ".htm": read_html, ".jsonl": read_jsonl}


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def load_corpus(corpus_dir: Path, settings: Settings | None = None,
                known: Mapping[str, str] | None = None) -> tuple[list[Article], list[Skipped]]:
    """Read every article under ``corpus_dir``; raise ``CorpusError`` if none is usable. ``known`` maps the
    sources of the articles the index already holds to their ids, which they keep (see ``file_ids``)."""
    settings = settings or Settings()
    if not corpus_dir.is_dir():
        raise UsageError(f"corpus folder not found: {corpus_dir}")
    facets = read_config(corpus_dir).facets
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}  # article id -> sha256 of its text (the checksum covers the id, so it never repeats)
    paths = sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not _hidden(p, corpus_dir)
                   and p != corpus_dir / CONFIG_NAME)
    ids = file_ids(paths, corpus_dir, known or {})
    for path in paths:
        for item in load_file(path, settings, facets, ids.get(path)):
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            digest = hashlib.sha256(item.text.encode()).hexdigest()
            if item.id in seen or digest in seen.values():
                skipped.append(Skipped(item.source, f"duplicate of an article already loaded ({item.id})"))
            else:
                seen[item.id] = digest
                articles.append(item)
    for s in skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    if not articles:
        why = f"; {len(skipped)} skipped, e.g. {skipped[0].source}: {skipped[0].reason}" if skipped else ""
        raise CorpusError(f"no readable article in {corpus_dir} (formats: {', '.join(sorted(READERS))}){why}")
    return articles, skipped


def file_ids(paths: Sequence[Path], corpus_dir: Path, known: Mapping[str, str]) -> dict[Path, str]:
    """The id of each single-article file (not JSONL, whose lines name their own): unique per path.

    A file keeps the id ``known`` gives it (the index's, by source), so adding or removing a file never moves
    another's id. A new file gets its stem when no other file holds or keeps it, as every file with a stem of
    its own always has; otherwise its path in the corpus (``a.md``, ``sub/a.txt``).

    >>> file_ids([Path("c/a.md"), Path("c/a.txt"), Path("c/b.txt")], Path("c"), {"c/a.txt": "a"})
    {PosixPath('c/a.txt'): 'a', PosixPath('c/a.md'): 'a.md', PosixPath('c/b.txt'): 'b'}
    """
    single = [p for p in paths if p.suffix.lower() in READERS and p.suffix.lower() != ".jsonl"]
    kept = {p: known[str(p)] for p in single if str(p) in known}
    ids, taken = dict(kept), set(kept.values())
    for path in single:
        if path in ids:
            continue
        name = path.stem if path.stem not in taken else path.relative_to(corpus_dir).as_posix()
        while name in taken:
            name += "~"
        ids[path] = name
        taken.add(name)
    return ids


def load_file(path: Path, settings: Settings, facets: tuple[Facet, ...] = (),
              article_id: str | None = None) -> list[Article | Skipped]:
    """Read one corpus file into articles, or a ``Skipped`` saying why it was not used; ``facets`` are the
    corpus's (``read_config``); ``article_id`` replaces a single-article file's own (its stem)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        return [Skipped(str(path), f"unsupported file type '{path.suffix or path.name}'")]
    if path.stat().st_size > settings.max_article_bytes:
        return [Skipped(str(path), f"larger than {settings.max_article_bytes} bytes")]
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return [Skipped(str(path), f"not valid UTF-8 (byte {e.start})")]
    except OSError as e:
        return [Skipped(str(path), f"unreadable ({e.strerror})")]
    out: list[Article | Skipped] = []
    for record in reader(raw, path):
        if article_id and reader is not read_jsonl:
            record = replace(record, id=article_id)
        out.append(Skipped(record.source, record.error) if record.error else to_article(record, facets))
    return [a if isinstance(a, Skipped) or a.text else Skipped(a.source, "no article text") for a in out]


def to_article(record: RawArticle, facets: tuple[Facet, ...] = ()) -> Article:
    """Clean a raw record and settle its metadata, noting what was inferred rather than stated (a facet's
    value taken from its date ranges is inferred)."""
    meta = record.meta
    cleaned = clean_text(record.body, _text(meta.get("publisher")))
    inferred = set(_as_list(meta.get("inferred")))
    date = _text(meta.get("date"))
    if not date and cleaned.date:
        date = cleaned.date
        inferred.add("date")
    title = _text(meta.get("title"))
    if not title:
        title = _headline(cleaned.text) or record.id
        inferred.add("title")
    publisher = _text(meta.get("publisher"))
    if not publisher and (publisher := wire_agency(cleaned.text)):
        inferred.add("publisher")
    values = []
    for facet in facets:
        value = _text(meta.get(facet.name))
        if not value and date:
            value = facet.for_date(date)
            if value:
                inferred.add(facet.name)
        if value:
            values.append((facet.name, value))
    fields: dict[str, Any] = dict(id=record.id, text=cleaned.text, title=title, publisher=publisher,
                  date=date, url=_text(meta.get("url")), facets=tuple(values), inferred=tuple(sorted(inferred)),
                  source=record.source)
    return Article(**fields, checksum=_checksum(fields))


def _checksum(fields: dict) -> str:
    payload = json.dumps({k: v for k, v in fields.items() if k != "source"}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _headline(text: str) -> str:
    """The first of the text's first three lines that has four words or more (a section label such as "Junior
    doctors" often stands above the headline), else its first line; cut to 120 characters."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:3] or [""]
    line = next((line for line in lines if len(line.split()) >= 4), lines[0])
    return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "..."


def _text(value) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def corpus_fingerprint(corpus_dir: Path, settings: Settings) -> str:
    """A sha256 of everything ``load_corpus`` reads (each file's path and bytes), the settings it uses and
    its own code (the corpus's corpus.toml, whose facets label articles, is one of the files): the same
    fingerprint means the same articles, without cleaning them again."""
    digest = hashlib.sha256(json.dumps([settings.max_article_bytes]).encode())
    modules = ("clean.py", "boilerplate.py", "dateline.py", "formats.py", "front_matter.py", "sentences.py",
               "corpus_config.py")
    for module in (Path(__file__), *(Path(__file__).with_name(n) for n in modules)):
        digest.update(module.read_bytes())
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not _hidden(p, corpus_dir)):
        digest.update(f"\0{path.relative_to(corpus_dir)}\0{path.stat().st_size}\0".encode())
        if path.stat().st_size <= settings.max_article_bytes:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
