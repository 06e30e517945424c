"""A ``StoreFilter`` as a Milvus filter expression, with every value escaped here.

Milvus Lite does not take filter templates (``{name}`` placeholders with values sent apart), so values are
written into the expression as string literals: JSON's escaping (``\\"``, ``\\\\``, ``\\n``, ``\\uXXXX``) is
what Milvus's expression grammar reads. A partial date stands for its whole period (see ``StoreFilter``):
each row keeps ``date_hi``, its date followed by ``LATEST`` (empty when it has no date), so both bounds are
plain string comparisons.

>>> expression(StoreFilter(publishers=frozenset({'The "Times"'}), date_to="2016"))
'publisher in ["The \\\\"Times\\\\""] and date != "" and date <= "2016~"'
"""

from __future__ import annotations

import json

from rag.index.vector_store import LATEST, StoreFilter


def literal(value: str) -> str:
    """``value`` as a Milvus string literal."""
    return json.dumps(value, ensure_ascii=False)


def one_of(field: str, values) -> str:
    return f"{field} in [{', '.join(literal(v) for v in sorted(values))}]"


def expression(where: StoreFilter | None) -> str:
    """The conditions of ``where`` joined by ``and``; empty when it does not filter. A filter admitting
    nothing (``article_ids`` empty) is for the caller to catch: ``article_id in []`` is not valid."""
    if where is None:
        return ""
    parts = []
    if where.article_ids is not None:
        parts.append(one_of("article_id", where.article_ids))
    if where.publishers:
        parts.append(one_of("publisher", where.publishers))
    # Milvus Lite takes no JSON path on the left of ``in``: one comparison per value.
    parts += ["(" + " or ".join(f"facets[{literal(name)}] == {literal(v)}" for v in sorted(values)) + ")"
              for name, values in where.facets if values]
    if where.date_from or where.date_to:
        parts.append('date != ""')
    if where.date_from:
        parts.append(f"date_hi >= {literal(where.date_from)}")
    if where.date_to:
        parts.append(f"date <= {literal(where.date_to + LATEST)}")
    return " and ".join(parts)


def date_hi(date: str) -> str:
    """The stored upper end of a row's date period ("" for a row without a date: no ``date_from`` admits it)."""
    return date + LATEST if date else ""
