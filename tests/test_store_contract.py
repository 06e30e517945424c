"""The store contract: every vector store and every lexical store behaves the same, checked against brute force
and against ``admits``, the reference meaning of a filter (rag/index/vector_store.py).

A new backend joins by adding a ``Backend`` to ``VECTOR_BACKENDS`` or ``LEXICAL_BACKENDS`` (wrapped in
``pytest.param`` to give it marks, e.g. a skip when its package is missing); its ``settings`` get the test's
request (for fixtures such as a server) and a fresh folder for its data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import milvus_settings

from rag.ask.retrieve import Filters
from rag.index.bm25_store import Bm25Store
from rag.index.faiss_store import FaissStore
from rag.index.milvus_lexical_store import MilvusLexicalStore
from rag.index.milvus_store import MilvusStore
from rag.index.vector_store import Record, StoreFilter, admits
from rag.settings import Settings


@dataclass(frozen=True)
class Backend:
    name: str
    kind: object  # a VectorStoreKind or a LexicalStoreKind
    settings: Callable[[pytest.FixtureRequest, Path], Settings]


VECTOR_BACKENDS = [
    pytest.param(Backend("faiss-exact", FaissStore, lambda request, folder: Settings(index_dir=folder)),
                 id="faiss-exact"),
    # Approximate (IVF-SQ8) from 8 rows on: few lists, all probed, so the results must be exact too.
    pytest.param(Backend("milvus-lite", MilvusStore, lambda request, folder: milvus_settings(request, folder, "lite")),
                 id="milvus-lite"),
    pytest.param(Backend("milvus-server", MilvusStore,
                         lambda request, folder: milvus_settings(request, folder, "server")), id="milvus-server"),
    pytest.param(Backend("faiss-ivf", FaissStore, lambda request, folder: Settings(index_dir=folder, exact_below=8)),
                 id="faiss-ivf"),
]
LEXICAL_BACKENDS = [
    pytest.param(Backend("bm25s", Bm25Store, lambda request, folder: Settings(index_dir=folder)), id="bm25s"),
    # Milvus's BM25 function: Milvus Lite 3.2 has it; the 2.3.5 server does not (test_milvus_lexical.py).
    pytest.param(Backend("milvus-lite", MilvusLexicalStore,
                         lambda request, folder: milvus_settings(request, folder, "lite")), id="milvus-lite"),
]

DIMENSION = 16
PUBLISHERS = ["BBC", "The Guardian", ""]
DATES = ["2016-02-11", "2016-02", "2016", "2023-03-13", "2023-06-30", ""]
DISPUTES = ["2016 contract", "2023 pay", ""]
WORDS = ["strike", "pay", "contract", "doctors", "talks", "ballot", "walkout", "minister"]

FILTERS = {
    "publisher": StoreFilter(publishers=frozenset({"BBC"})),
    "publishers": StoreFilter(publishers=frozenset({"BBC", "The Guardian"})),
    "date_from": StoreFilter(date_from="2016-02-15"),  # admits the partial "2016-02" and "2016"
    "date_from_year": StoreFilter(date_from="2023"),
    "date_to": StoreFilter(date_to="2016-02"),  # admits "2016-02-11" and the partial "2016"
    "date_range": StoreFilter(date_from="2016-01-01", date_to="2016-12-31"),
    "facet": StoreFilter(facets=(("dispute", frozenset({"2023 pay"})),)),
    "facet_values": StoreFilter(facets=(("dispute", frozenset({"2023 pay", "2016 contract"})),)),
    "unknown_facet": StoreFilter(facets=(("region", frozenset({"Wales"})),)),
    "articles": StoreFilter(article_ids=frozenset({"art1", "art4"})),
    "no_articles": StoreFilter(article_ids=frozenset()),
    "nobody": StoreFilter(publishers=frozenset({"Nobody"})),
    "combined": StoreFilter(publishers=frozenset({"BBC", "The Guardian"}), date_from="2016",
                            facets=(("dispute", frozenset({"2016 contract"})),)),
}


def corpus(n: int = 40, seed: int = 0) -> tuple[list[Record], np.ndarray, list[str]]:
    """``n`` passages of 10 articles: records with every kind of metadata, unit vectors and texts."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        article = i % 10
        dispute = DISPUTES[article % len(DISPUTES)]
        records.append(Record(f"art{article}#{i // 10}", f"art{article}", PUBLISHERS[article % len(PUBLISHERS)],
                              DATES[article % len(DATES)], (("dispute", dispute),) if dispute else ()))
    vectors = rng.normal(size=(n, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 12)))) + "." for _ in range(n)]
    return records, vectors, texts


def brute_force(records: list[Record], vectors: np.ndarray, query: np.ndarray, k: int,
                where: StoreFilter | None = None) -> list[str]:
    scores = {r.id: float(v @ query) for r, v in zip(records, vectors) if admits(where, r)}
    return sorted(scores, key=lambda i: -scores[i])[:k]


@pytest.fixture(params=VECTOR_BACKENDS)
def vector(request, tmp_path):
    """(kind, settings) of a vector backend, its data under a fresh folder."""
    backend = request.param
    return backend.kind, backend.settings(request, tmp_path / "store")


@pytest.fixture(params=LEXICAL_BACKENDS)
def lexical(request, tmp_path):
    backend = request.param
    return backend.kind, backend.settings(request, tmp_path / "store")


def filled(vector, n: int = 40):
    kind, settings = vector
    records, vectors, _ = corpus(n)
    store = kind.create(DIMENSION, settings)
    store.upsert(records, vectors)
    return store, records, vectors


def reopened(kind, settings: Settings, store, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    store.save(folder)
    return kind.open(folder, settings)


def same(found: list[tuple[str, float]], expected: list[tuple[str, float]]) -> bool:
    return [i for i, _ in found] == [i for i, _ in expected] and \
        np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)


def queries(n: int = 5) -> np.ndarray:
    q = np.random.default_rng(7).normal(size=(n, DIMENSION)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


# --- the reference meaning of filters ---

@pytest.mark.parametrize(("date", "where", "admitted"), [
    ("2016-02", StoreFilter(date_from="2016-02-15"), True),
    ("2016-01", StoreFilter(date_from="2016-02-15"), False),
    ("2016-02-20", StoreFilter(date_to="2016-02"), True),
    ("2016-03-01", StoreFilter(date_to="2016-02"), False),
    ("2016", StoreFilter(date_from="2016-06-01", date_to="2016-06-30"), True),
    ("", StoreFilter(date_to="2030"), False),
    ("2023-03-13", StoreFilter(date_from="2023-03-13", date_to="2023-03-13"), True),
])
def test_partial_dates_stand_for_their_whole_period(date, where, admitted):
    assert admits(where, Record("a#0", "a", date=date)) is admitted


def test_the_chat_filters_mean_what_they_meant():
    """``Filters`` (the chat's and the API's) translate to the stores' filter with the meaning they had."""
    record = Record("a#0", "a", "BBC", "2016-02", (("dispute", "2016 contract"),))
    assert admits(Filters(disputes=("2016 contract",), publishers=("BBC",), date_from="2016-02-10").for_store(), record)
    assert not admits(Filters(disputes=("2023 pay",)).for_store(), record)
    assert not admits(Filters(disputes=("2016 contract",)).for_store(), Record("b#0", "b"))
    assert not Filters().for_store()


# --- vector stores ---

def test_empty_store(vector, tmp_path):
    kind, settings = vector
    store = kind.create(DIMENSION, settings)
    assert store.count() == 0 and store.dimension == DIMENSION
    assert store.search(queries(1)[0], 5) == []
    assert store.search(queries(1)[0], 5, FILTERS["publisher"]) == []
    assert store.fetch([]).shape == (0, DIMENSION)
    again = reopened(kind, settings, store, tmp_path / "version")
    assert again.count() == 0 and again.search(queries(1)[0], 5) == []


def test_search_gives_the_best_inner_products_first(vector):
    store, records, vectors = filled(vector)
    for q in queries():
        found = store.search(q, 7)
        assert [i for i, _ in found] == brute_force(records, vectors, q, 7)
        want = {r.id: float(v @ q) for r, v in zip(records, vectors)}
        assert all(abs(s - want[i]) < 1e-5 for i, s in found)
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_k_larger_than_count_gives_every_row(vector):
    store, records, _ = filled(vector, n=12)
    assert sorted(i for i, _ in store.search(queries(1)[0], 100)) == sorted(r.id for r in records)
    assert store.search(queries(1)[0], 0) == []


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_kind_admits_exactly_what_admits_says(vector, name):
    store, records, vectors = filled(vector)
    where = FILTERS[name]
    assert any(admits(where, r) for r in records) or name in ("unknown_facet", "no_articles", "nobody")
    for q in queries(3):
        found = store.search(q, 5, where)
        assert [i for i, _ in found] == brute_force(records, vectors, q, 5, where)
        assert {i for i, _ in store.search(q, 100, where)} == {r.id for r in records if admits(where, r)}


def test_fetch_gives_the_stored_vectors_in_the_order_asked(vector):
    store, records, vectors = filled(vector)
    ids = [records[5].id, records[0].id, records[17].id]
    got = store.fetch(ids)
    assert got.dtype == np.float32 and got.shape == (3, DIMENSION)
    assert np.allclose(got, vectors[[5, 0, 17]], atol=1e-6)
    with pytest.raises(KeyError):
        store.fetch(["missing#0"])


def test_upsert_replaces_vector_and_metadata(vector):
    store, records, _ = filled(vector)
    target = records[3]
    moved = queries(1)[0]
    replaced = Record(target.id, target.article_id, "Replacement Wire", "2030-01-01", (("dispute", "new"),))
    added = Record("new#0", "new", "BBC", "2016-02-11")
    store.upsert([replaced, added], np.stack([moved, -moved]))
    assert store.count() == len(records) + 1
    assert np.allclose(store.fetch([target.id, "new#0"]), np.stack([moved, -moved]), atol=1e-6)
    assert store.search(moved, 1)[0][0] == target.id
    assert store.search(moved, 5, StoreFilter(publishers=frozenset({"Replacement Wire"}))) == \
        [(target.id, pytest.approx(1.0, abs=1e-5))]
    assert target.publisher == "BBC"  # its old metadata no longer admits it
    assert target.id not in {i for i, _ in store.search(moved, 100, StoreFilter(publishers=frozenset({"BBC"})))}


def test_delete_removes_rows_and_ignores_unknown_ids(vector):
    store, records, vectors = filled(vector)
    gone = {records[0].id, records[11].id}
    store.delete([*gone, "missing#0"])
    assert store.count() == len(records) - 2
    kept = [r for r in records if r.id not in gone]
    rest = vectors[[n for n, r in enumerate(records) if r.id not in gone]]
    for q in queries(3):
        assert [i for i, _ in store.search(q, 6)] == brute_force(kept, rest, q, 6)
        assert not gone & {i for i, _ in store.search(q, 100, FILTERS["publishers"])}
    with pytest.raises(KeyError):
        store.fetch([records[0].id])
    store.delete([])
    assert store.count() == len(records) - 2


def test_save_and_open_round_trip(vector, tmp_path):
    kind, settings = vector
    store, records, _ = filled(vector)
    store.delete([records[1].id])
    store.upsert([Record("late#0", "late", "BBC", "2023-06")], queries(1))
    again = reopened(kind, settings, store, tmp_path / "version")
    assert again.count() == store.count() == len(records)
    ids = [r.id for r in records if r.id != records[1].id] + ["late#0"]
    assert np.allclose(again.fetch(ids), store.fetch(ids), atol=1e-6)
    for q in queries(3):
        for where in [None, *FILTERS.values()]:
            assert same(again.search(q, 8, where), store.search(q, 8, where))
    late = StoreFilter(publishers=frozenset({"BBC"}), date_from="2023-06-15")
    assert again.search(queries(1)[0], 1, late) == [("late#0", pytest.approx(1.0, abs=1e-5))]


# --- lexical stores ---

def built_lexical(lexical, n: int = 40):
    kind, settings = lexical
    records, _, texts = corpus(n)
    return kind.build(records, texts, settings), records, texts


def test_lexical_search_ranks_passages_sharing_words(lexical):
    store, records, texts = built_lexical(lexical)
    found = store.search("walkout ballot", 5)
    assert 0 < len(found) <= 5
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True) and all(s > 0 for _, s in found)
    texts_by_id = dict(zip((r.id for r in records), texts))
    assert all({"walkout", "ballot"} & set(texts_by_id[i].rstrip(".").split()) for i, _ in found)
    assert store.search("zebra", 5) == [] and store.search("walkout", 0) == []


def test_lexical_search_finds_a_word_derived_from_the_one_asked(lexical):
    # The stemmer leaves "safety" as "safeti" and "safe" as "safe": a question about safety found no passage.
    kind, settings = lexical
    store = kind.build([Record("a#0", "a"), Record("b#0", "b")],
                       ["Doctors want safe working patterns.", "Pay talks resumed on weekdays."], settings)
    assert [i for i, _ in store.search("safety", 5)] == ["a#0"]
    assert store.search("weekends", 5) == []  # "week" is another word


def test_lexical_doc_freq_and_size(lexical):
    store, records, texts = built_lexical(lexical)
    assert store.size == len(records)
    assert store.doc_freq("strike") == sum("strike" in t.rstrip(".").split() for t in texts)
    assert store.doc_freq("zebra") == 0


def test_lexical_k_larger_than_size(lexical):
    store, records, texts = built_lexical(lexical, n=12)
    sharing = {r.id for r, t in zip(records, texts) if "pay" in t.rstrip(".").split()}
    assert {i for i, _ in store.search("pay", 100)} == sharing


@pytest.mark.parametrize("name", FILTERS)
def test_lexical_filters_admit_exactly_what_admits_says(lexical, name):
    store, records, _ = built_lexical(lexical)
    where = FILTERS[name]
    by_id = {r.id: r for r in records}
    everything = [i for i, _ in store.search("strike pay talks", 100)]
    filtered = store.search("strike pay talks", 100, where)
    assert {i for i, _ in filtered} == {i for i in everything if admits(where, by_id[i])}
    top = store.search("strike pay talks", 3, where)
    assert [s for _, s in top] == [s for _, s in filtered[:3]]


def test_lexical_empty_store(lexical, tmp_path):
    kind, settings = lexical
    store = kind.build([], [], settings)
    assert store.size == 0 and store.search("strike", 5) == [] and store.doc_freq("strike") == 0
    assert reopened(kind, settings, store, tmp_path / "version").size == 0


def test_lexical_save_and_open_round_trip(lexical, tmp_path):
    kind, settings = lexical
    store, _, _ = built_lexical(lexical)
    again = reopened(kind, settings, store, tmp_path / "version")
    assert again.size == store.size and again.doc_freq("pay") == store.doc_freq("pay")
    for where in [None, *FILTERS.values()]:
        assert same(again.search("strike ballot", 10, where), store.search("strike ballot", 10, where))
