"""Settings: every field in one group, choice fields checked when read."""

from dataclasses import fields

import pytest

from rag.errors import UsageError
from rag.settings import CHOICES, GROUPS, Settings


def test_every_setting_is_in_exactly_one_group():
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(f.name for f in fields(Settings))


def test_a_group_holds_its_settings_values():
    settings = Settings.from_env({"RAG_CHUNK_TOKENS": "200", "RAG_TOP_K": "7"})
    assert settings.group("index")["chunk_tokens"] == 200 and settings.group("retrieval")["top_k"] == 7
    assert "top_k" not in settings.group("index")


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_every_choice_field_is_refused_in_one_line_when_read(name):
    with pytest.raises(UsageError) as caught:
        Settings.from_env({f"RAG_{name.upper()}": "nonsense"})
    message = str(caught.value)
    assert "\n" not in message and f"RAG_{name.upper()}" in message and CHOICES[name][0] in message


def test_vector_store_and_milvus_index_are_choices():
    assert {"vector_store", "milvus_index", "answerer", "embed_backend", "embed_precision"} <= set(CHOICES)
