"""YAML front matter read without trusting it: no aliases, and bounds on size, nesting and each value.

YAML aliases let a few hundred bytes expand to gigabytes once a value is turned into text ("billion laughs":
a 460-byte file grew ``rag ingest`` to 23.8 GB). The header is first read as a stream of parser events, which
never expands anything, and refused when it holds an anchor or alias, nests deeper than ``MAX_DEPTH`` or has a
value longer than ``MAX_VALUE_CHARS``; only then is it loaded.

>>> read_front_matter("---\\ntitle: Strike\\n---\\nBody.")
({'title': 'Strike'}, 'Body.', None)
>>> read_front_matter("---\\na: &x [1]\\nb: *x\\n---\\nBody.")[2]
'front matter refused: YAML anchors and aliases are not allowed'
"""

from __future__ import annotations

import re

import yaml

MAX_CHARS = 8192  # a header this long is already far more than title, publisher, date, url and dispute need
MAX_DEPTH = 3  # mapping -> list ("inferred") -> nothing deeper is ever meaningful
MAX_VALUE_CHARS = 2000  # longest single value (a long title or URL fits)

_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)


def read_front_matter(raw: str) -> tuple[dict, str, str | None]:
    """(metadata, body, error): ``error`` says why a header was refused, and then metadata is empty."""
    if not raw.lstrip().startswith("---"):
        return {}, raw, None
    parts = _BOUNDARY.split(raw.strip(), 2)
    if len(parts) < 3:  # an opening line and no closing one: the whole text is body, as python-frontmatter reads it
        return {}, raw.strip(), None
    _, header, body = parts
    problem = _refusal(header)
    if problem:
        return {}, raw, f"front matter refused: {problem}"
    try:
        meta = yaml.load(header, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, ValueError) as e:
        return {}, raw, f"malformed front matter ({str(e).splitlines()[0]})"
    return meta if isinstance(meta, dict) else {}, body.strip(), None


def _refusal(header: str) -> str | None:
    if len(header) > MAX_CHARS:
        return f"longer than {MAX_CHARS} characters"
    depth = 0
    try:
        for event in yaml.parse(header, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return "YAML anchors and aliases are not allowed"
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return f"nested deeper than {MAX_DEPTH} levels"
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent):
                if len(event.value) > MAX_VALUE_CHARS:
                    return f"a value longer than {MAX_VALUE_CHARS} characters"
                if not event.value.isascii() and _has_surrogate(event.value):  # "\ud800" escapes: no text holds them
                    return "a value with a lone surrogate escape"
    except yaml.YAMLError:  # malformed: loading it says where
        return None
    return None


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
