"""Every piece of text the assistant says in its own voice, in one place, with named placeholders.

``tests/test_prompts.py`` checks that each template's placeholders are exactly the ones the code fills in.

>>> render("QUESTION_CUT", limit=1000)
'Your question was cut to its first 1000 characters.'
"""

from __future__ import annotations

import string

TEMPLATES: dict[str, str] = {
    # Shown instead of an answer when no passage supports one.
    "REFUSAL": "The articles don't cover this. Try rephrasing, or ask about something the articles report.",
    # Shown when the question names someone or something that no article mentions.
    "REFUSAL_UNKNOWN": "The articles don't cover this: none of them mentions {terms}.",
    # Note added when an over-long question is shortened.
    "QUESTION_CUT": "Your question was cut to its first {limit} characters.",
    # Polite reply to an empty question.
    "EMPTY_QUESTION": "Please type a question about the articles.",
}

# The placeholders each template is rendered with; the test compares this with the templates themselves.
FIELDS: dict[str, frozenset[str]] = {
    "REFUSAL": frozenset(),
    "REFUSAL_UNKNOWN": frozenset({"terms"}),
    "QUESTION_CUT": frozenset({"limit"}),
    "EMPTY_QUESTION": frozenset(),
}


def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def render(name: str, **values) -> str:
    """Fill template ``name``; values are plain text and are never interpreted."""
    if set(values) != FIELDS[name]:
        raise KeyError(f"template {name} takes {sorted(FIELDS[name])}, got {sorted(values)}")
    return TEMPLATES[name].format(**values)
