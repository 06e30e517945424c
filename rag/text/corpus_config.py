"""What a corpus says about itself: ``corpus.toml`` in its folder, read when the corpus is loaded or served.

It gives the chat's title, the line under it, example questions, and the facets: metadata fields of the
articles (front matter or JSONL keys) offered as filters. A facet may label an article from its date when the
article does not say (``ranges``: value = [first, last], inclusive ISO dates). A folder without the file gets
neutral defaults: a title from the folder's name, no examples, no facets beyond publisher and date.

>>> config = parse_config('title = "Parish news"\\n[[facets]]\\nname = "parish"\\nlabel = "Parish"\\n', "x")
>>> config.title, config.facets[0].label
('Parish news', 'Parish')
>>> Facet("dispute", "Dispute", (("2023 pay", "2022-06-01", "2025-12-31"),)).for_date("2023-06")
'2023 pay'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rag.errors import UsageError
from rag.messages import render

CONFIG_NAME = "corpus.toml"  # never read as an article


@dataclass(frozen=True)
class Facet:
    name: str  # the metadata key, e.g. "dispute"
    label: str  # shown over its filter, e.g. "Dispute"
    ranges: tuple[tuple[str, str, str], ...] = ()  # (value, first, last): labels an undated-facet article by date

    def for_date(self, date: str) -> str | None:
        """The value whose date range holds ``date`` (possibly partial: "2016-02" is compared month to month)."""
        for value, first, last in self.ranges:
            if first[: len(date)] <= date <= last[: len(date)]:
                return value
        return None


@dataclass(frozen=True)
class CorpusConfig:
    title: str
    intro: str
    examples: tuple[str, ...] = ()
    facets: tuple[Facet, ...] = ()


def read_config(corpus_dir: Path) -> CorpusConfig:
    """The corpus's ``corpus.toml``, or the defaults; a malformed file raises a one-line ``UsageError`` naming it."""
    path = corpus_dir / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default_config(corpus_dir)
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})") from None
    return parse_config(text, str(path), default_config(corpus_dir))


def default_config(corpus_dir: Path) -> CorpusConfig:
    name = " ".join(corpus_dir.resolve().name.replace("_", " ").replace("-", " ").split())
    title = name[:1].upper() + name[1:] if name and name.lower() != "corpus" else "News articles"
    return CorpusConfig(title, render("UI_INTRO"))


def parse_config(text: str, source: str, defaults: CorpusConfig | None = None) -> CorpusConfig:
    defaults = defaults or CorpusConfig("News articles", render("UI_INTRO"))
    try:
        data = tomllib.loads(text)
        unknown = set(data) - {"title", "intro", "examples", "facets"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} (use title, intro, examples, facets)")
        examples = data.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(q, str) for q in examples):
            raise ValueError("examples must be a list of questions")
        facets = data.get("facets", [])
        if not isinstance(facets, list):
            raise ValueError("facets must be [[facets]] tables")
        return CorpusConfig(_string(data, "title", defaults.title), _string(data, "intro", defaults.intro),
                            tuple(examples), tuple(_facet(f) for f in facets))
    except (tomllib.TOMLDecodeError, ValueError) as e:
        raise UsageError(f"{source} is not a valid corpus file: {' '.join(str(e).split())}") from None


def _facet(table) -> Facet:
    if not isinstance(table, dict) or not isinstance(table.get("name"), str) or not table["name"].strip():
        raise ValueError("each facet needs a name (the metadata key it reads)")
    name = table["name"].strip()
    if name in ("title", "publisher", "date", "url", "id", "text", "inferred"):
        raise ValueError(f"facet {name!r} is already an article field")
    ranges = table.get("ranges", {})
    if not isinstance(ranges, dict):
        raise ValueError(f"facet {name!r}: ranges must map a value to [first, last] dates")
    spans = []
    for value, span in ranges.items():
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(d, str) for d in span)):
            raise ValueError(f"facet {name!r}: range {value!r} must be [first, last] ISO dates")
        spans.append((value, span[0], span[1]))
    return Facet(name, _string(table, "label", name.replace("_", " ").capitalize()), tuple(spans))


def _string(table: dict, key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return " ".join(value.split()) or default
