"""The whole pipeline with Milvus as the vector store (Milvus Lite, and the real 2.3.5 server) and as the lexical
store where it has BM25 functions (Lite; the 2.3.5 server falls back to bm25s): the seed question set scores
as on FAISS, an article added or removed reaches Milvus as upserts and deletes, and
`rag ingest` killed with SIGKILL at any point leaves a version whose Milvus rows match it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import CORPUS, NEW_ARTICLE, ROOT, cli_env, milvus_settings

from rag.ask.assistant import Assistant
from rag.errors import IndexProblem
from rag.eval.evaluate import evaluate, read_cases
from rag.index.bm25_store import Bm25Store
from rag.index.ingest import ingest
from rag.index.milvus_lexical_store import MilvusLexicalStore
from rag.index.milvus_store import MilvusStore
from rag.index.vector_store import StoreFilter
from rag.index.versions import load_index

DATA = ROOT / "tests" / "data"
ARTICLE = "003_99db8737d1d6729b"


def summary(settings, embedder) -> dict:
    snippets = [s for s in (DATA / "boilerplate.txt").read_text().splitlines() if s.strip()]
    return evaluate(Assistant(settings, load_index(settings), embedder), read_cases(DATA / "questions.jsonl"),
                    snippets).summary()


@pytest.mark.parametrize("where", ["lite", "server"])
def test_question_set_scores_as_on_faiss(request, where, tmp_path, seed_settings, embedder):
    settings = milvus_settings(request, tmp_path / "index", where)
    ingest(CORPUS, settings, embedder=embedder)
    assert isinstance(load_index(settings).lexical, MilvusLexicalStore if where == "lite" else Bm25Store)
    on_milvus, on_faiss = summary(settings, embedder), summary(seed_settings, embedder)
    print(where, json.dumps({k: on_milvus[k] for k in ("grounded", "hit@5", "refused", "false_refusals")}))
    assert abs(on_milvus["grounded"] - on_faiss["grounded"]) <= 0.02, (on_milvus, on_faiss)
    assert abs(on_milvus["hit@5"] - on_faiss["hit@5"]) <= 0.02, (on_milvus, on_faiss)


def test_added_and_removed_articles_reach_milvus(request, tmp_path, embedder):
    settings = milvus_settings(request, tmp_path / "index", "lite")
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    ingest(corpus, settings, embedder=embedder)
    first = load_index(settings)
    collection, bm25 = first.dense.collection, first.lexical.collection
    (corpus / "consultants.md").write_text(NEW_ARTICLE)
    report = ingest(corpus, settings, embedder=embedder)
    index = load_index(settings)
    added = [c.id for c in index.chunks if c.article_id not in first.articles]
    assert report.embedded == len(added) > 0
    assert index.dense.collection == collection  # the same collection, a new generation
    assert index.dense.generation == first.dense.generation + 1
    assert index.dense.count() == len(index.chunks)
    wire = StoreFilter(publishers=frozenset({"Test Wire"}))
    assert sorted(i for i, _ in index.dense.search(embedder.embed(["consultants ballot"])[0], 10, wire)) == added
    assert index.lexical.collection == bm25 and index.lexical.size == len(index.chunks)
    assert sorted(i for i, _ in index.lexical.search("consultants ballot", 10, wire)) == added
    answer = Assistant(settings, index, embedder).ask("When does the consultants' ballot close?")
    assert any(c.chunk.id in added for c in answer.citations), answer.text
    (corpus / "consultants.md").unlink()
    ingest(corpus, settings, embedder=embedder)
    index = load_index(settings)
    assert index.dense.count() == len(first.chunks)
    assert index.dense.search(embedder.embed(["consultants ballot"])[0], 10, wire) == []
    assert index.lexical.search("consultants ballot", 10, wire) == [] and index.lexical.size == len(first.chunks)
    # The removed passages stay for readers of the version before (dead in this one); older rows are gone.
    rows = index.dense._client.query(collection, filter="born >= 0", output_fields=["count(*)"])
    assert rows[0]["count(*)"] == len(first.chunks) + len(added)


KILL_AT = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]  # shares of an uncut ingest's time


def test_kill_9_during_ingest_keeps_milvus_and_version_in_step(request, tmp_path, embedder):
    """Each ingest changes one article's publisher: every passage of it is rewritten in Milvus (no embedding).
    The kills fall at shares of the time an uncut ingest takes: loading, writing to Milvus, switching."""
    settings = milvus_settings(request, tmp_path / "index", "server")
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    article = corpus / f"{ARTICLE}.txt"
    original = article.read_text()
    ingest(corpus, settings, embedder=embedder)
    env = dict(cli_env(), RAG_VECTOR_STORE="milvus", RAG_MILVUS_URI=settings.milvus_uri,
               RAG_MILVUS_COLLECTION=settings.milvus_collection)
    query = embedder.embed(["junior doctors strike contract"])[0]
    outcomes, uncut = [], None
    for n, share in enumerate([None, *KILL_AT, None]):
        article.write_text(original.replace('publisher: "LabourList"', f'publisher: "Wire {n}"', 1))
        started = time.monotonic()
        command = [sys.executable, "-m", "rag", "ingest", str(corpus), "--index", str(settings.index_dir)]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if share is None:
            assert proc.wait(300) == 0
            uncut = time.monotonic() - started
        else:
            time.sleep(share * uncut)
            os.kill(proc.pid, 9)
            proc.wait()
        index = load_index(settings)
        publisher = index.articles[ARTICLE].publisher
        outcomes.append(publisher)
        assert isinstance(index.dense, MilvusStore) and index.dense.count() == len(index.chunks)
        mine = sorted(c.id for c in index.chunks if c.article_id == ARTICLE)
        found = index.dense.search(query, 100, StoreFilter(publishers=frozenset({publisher})))
        assert sorted(i for i, _ in found) == mine, (share, publisher)
        answer = Assistant(settings, index, embedder).ask("What pay rise did the Government offer junior doctors?")
        assert not answer.refused and answer.citations
    assert outcomes[0] == "Wire 0" and outcomes[-1] == f"Wire {len(KILL_AT) + 1}"
    print("publisher live after each kill:", outcomes[1:-1])
    assert "Wire 0" in outcomes[1:-1], outcomes  # some kills came before the switch


def test_a_version_without_its_collection_says_to_ingest(request, tmp_path, embedder):
    settings = milvus_settings(request, tmp_path / "index", "lite")
    ingest(CORPUS, settings, embedder=embedder)
    index = load_index(settings)
    index.dense._client.drop_alias(settings.milvus_collection)
    index.dense._client.drop_collection(index.dense.collection)
    with pytest.raises(IndexProblem, match="is missing: run `rag ingest`"):
        load_index(settings)
