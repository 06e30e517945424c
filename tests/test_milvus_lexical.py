"""Milvus's own BM25 as the lexical store, on Milvus Lite: stemmed words match as with bm25s, upserts and deletes
change text and metadata, a writer killed with SIGKILL leaves the saved version whole; the store is chosen only
where Milvus has BM25 functions (the 2.3.5 server has none: bm25s). The contract suite
(tests/test_store_contract.py) checks search, filters and ``doc_freq`` against bm25s's meaning.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import milvus_settings

from rag.index.bm25_store import Bm25Store
from rag.index.lexical_store import lexical_store_kind, open_lexical_store
from rag.index.milvus_lexical_store import MilvusLexicalStore
from rag.index.vector_store import Record, StoreFilter
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Junior doctors staged a walk-out over pay.", "The walkout ended on Friday.",
         "Nurses were striking for a second day.", "A strike ballot of consultants closes soon.",
         "Ministers met the union."]
RECORDS = [Record(f"a{n}#0", f"a{n}", "BBC" if n % 2 else "Sky", f"2023-0{n + 1}") for n in range(len(TEXTS))]


@pytest.fixture
def lite(request, tmp_path) -> Settings:
    return milvus_settings(request, tmp_path / "index", "lite")


def ids(found: list[tuple[str, float]]) -> set[str]:
    return {i for i, _ in found}


def test_stemmed_words_match_across_hyphens_and_word_forms(lite):
    store = MilvusLexicalStore.build(RECORDS, TEXTS, lite)
    bm25s = Bm25Store.build(RECORDS, TEXTS)
    for question, expected in [("walkout", {"a0#0", "a1#0"}), ("walk-out", {"a0#0", "a1#0"}),
                               ("strikes", {"a2#0", "a3#0"}), ("Was there a strike?", {"a2#0", "a3#0"}),
                               ("the", set())]:
        assert ids(store.search(question, 10)) == ids(bm25s.search(question, 10)) == expected, question
    assert store.doc_freq("walkout") == bm25s.doc_freq("walkout") == 2
    assert store.doc_freq("strike") == bm25s.doc_freq("strike") == 2
    assert store.doc_freq("the") == 0  # a stop word is never indexed


def test_upsert_replaces_text_and_metadata_and_delete_removes(lite, tmp_path):
    store = MilvusLexicalStore.build(RECORDS, TEXTS, lite)
    store.save(tmp_path)
    store.upsert([Record("a0#0", "a0", "New Wire", "2024")], ["Consultants accepted the offer."])
    store.delete(["a1#0", "unknown#0"])
    assert store.size == len(TEXTS) - 1
    assert store.search("walkout", 10) == [] and store.doc_freq("walkout") == 0
    assert ids(store.search("consultants", 10)) == {"a0#0", "a3#0"}
    assert ids(store.search("consultants", 10, StoreFilter(publishers=frozenset({"New Wire"})))) == {"a0#0"}
    assert store.doc_freq("consult") == 2
    # The saved version still reads what it saved, and its scores rank the shorter passage first.
    before = MilvusLexicalStore.open(tmp_path, lite)
    assert before.size == len(TEXTS) and before.doc_freq("walkout") == 2
    assert [i for i, _ in before.search("walkout", 10)] == ["a1#0", "a0#0"]


SETTINGS = """
import json, sys
from pathlib import Path
from rag.index.milvus_lexical_store import MilvusLexicalStore
from rag.index.vector_store import Record
from rag.settings import Settings
folder = Path(sys.argv[1])
settings = Settings(vector_store="milvus", milvus_uri=sys.argv[2])
"""
# Both in processes of their own: Milvus Lite lets one process at a time hold its data folder, and the
# test process reads after them. The first prints what the version finds.
SETUP = SETTINGS + f"""
store = MilvusLexicalStore.build({RECORDS!r}, {TEXTS!r}, settings)
store.save(folder)
print(json.dumps({{q: store.search(q, 10) for q in ("walkout", "strike ballot", "union")}}))
"""
WRITER = SETTINGS + """
store = MilvusLexicalStore.open(folder, settings)
for n in range(10**6):
    store.delete([f"a{n % 5}#0"])
    store.upsert([Record(f"new{n}#0", f"new{n}")], ["walkout strike ballot"])
    print(n, flush=True)
"""


def test_writer_killed_leaves_version_whole(lite, tmp_path):
    args, env = [str(tmp_path), lite.milvus_uri], dict(os.environ, PYTHONPATH=str(ROOT))
    setup = subprocess.run([sys.executable, "-c", SETUP, *args], env=env, check=True, capture_output=True, text=True)
    expected = {q: [i for i, _ in found] for q, found in json.loads(setup.stdout).items()}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, env=env, text=True)
    done = sum(1 for _, line in zip(range(3), writer.stdout))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert done == 3  # it was killed while writing, not dead before
    reader = MilvusLexicalStore.open(tmp_path, lite)
    assert reader.size == len(TEXTS)
    # The same passages in the same order; not the same scores: the dead writer's rows still count in Milvus's
    # BM25 statistics (document count, average length) until the next writer deletes them.
    assert {q: [i for i, _ in reader.search(q, 10)] for q in expected} == expected
    # The next writer starts from the version, not from the dead writer's rows.
    reader.delete(["a4#0"])
    assert reader.size == len(TEXTS) - 1 and not any(i.startswith("new") for i, _ in reader.search("walkout", 10))
    reader.save(tmp_path)
    assert MilvusLexicalStore.open(tmp_path, lite).size == len(TEXTS) - 1


@pytest.mark.parametrize(("where", "kind"), [("faiss", Bm25Store), ("lite", MilvusLexicalStore), ("server", Bm25Store)])
def test_milvus_bm25_only_where_the_server_has_it(request, tmp_path, where, kind):
    settings = Settings(index_dir=tmp_path) if where == "faiss" else milvus_settings(request, tmp_path, where)
    assert lexical_store_kind(settings) is kind


def test_a_saved_version_names_its_bm25_collection(lite, tmp_path):
    MilvusLexicalStore.build(RECORDS, TEXTS, lite).save(tmp_path)
    saved = json.loads((tmp_path / MilvusLexicalStore.SAVED).read_text())
    assert saved["generation"] == 1 and saved["collection"].startswith(lite.milvus_collection + "_bm25_")


def test_a_version_written_with_bm25s_opens_with_bm25s(lite, tmp_path):
    """An index that Milvus without BM25 functions wrote (or this code before Milvus BM25) still loads."""
    Bm25Store.build(RECORDS, TEXTS).save(tmp_path)
    assert isinstance(open_lexical_store(tmp_path, lite), Bm25Store)
