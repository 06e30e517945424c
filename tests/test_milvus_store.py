"""MilvusStore on Milvus Lite and on a real Milvus 2.3.5 server: filters pushed down as expressions agree with
``admits`` (values with quotes, backslashes, newlines and non-ASCII included), and index versions kept as
generations survive a writer killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import milvus_settings

from rag.index.milvus_store import MilvusStore
from rag.index.vector_store import Record, StoreFilter, admits
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PUBLISHERS = ['The "Guardian"', "BBC \\ News", "Sky's", "Ünïcode\nline", "plain"]
DATES = ["", "2016", "2016-02", "2016-02-15", "2016-03-01", "2023-01-10"]
DISPUTES = ["2016 contract", "2023 pay", 'say "no"']


@pytest.fixture(params=["lite", "server"])
def settings(request, tmp_path) -> Settings:
    return milvus_settings(request, tmp_path / "index", request.param)


def corpus(n: int = 60, dimension: int = 8) -> tuple[list[Record], np.ndarray]:
    rng = np.random.default_rng(7)
    records = [Record(f"art{i // 3}#{i % 3}", f"art{i // 3}", PUBLISHERS[i % 5], DATES[(i // 3) % 6],
                      (("dispute", DISPUTES[(i // 3) % 3]),) if i % 4 else ()) for i in range(n)]
    vectors = rng.normal(size=(n, dimension)).astype(np.float32)
    return records, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


FILTERS = [
    None,
    StoreFilter(publishers=frozenset({'The "Guardian"', "Ünïcode\nline"})),
    StoreFilter(publishers=frozenset({"BBC \\ News"}), date_from="2016-02-10"),
    StoreFilter(date_from="2016-02", date_to="2016-02"),
    StoreFilter(date_to="2016"),
    StoreFilter(facets=(("dispute", frozenset({'say "no"', "2023 pay"})),)),
    StoreFilter(article_ids=frozenset({"art1", "art7"})),
    StoreFilter(article_ids=frozenset()),
]


def test_search_filters_match_admits(settings):
    records, vectors = corpus()
    store = MilvusStore.create(vectors.shape[1], settings)
    store.upsert(records, vectors)
    assert store.count() == len(records)
    exact = vectors @ vectors[4]
    for where in FILTERS:
        admitted = [n for n, r in enumerate(records) if admits(where, r)]
        found = store.search(vectors[4], k=10, where=where)
        best = sorted(admitted, key=lambda n: -exact[n])[:10]
        assert [i for i, _ in found] == [records[n].id for n in best], where
        assert np.allclose([s for _, s in found], exact[best], atol=1e-5)
    assert np.allclose(store.fetch(["art3#1", "art0#0"]), vectors[[10, 0]])
    with pytest.raises(KeyError):
        store.fetch(["nope#0"])


def test_upsert_replaces_and_delete_removes(settings, tmp_path):
    records, vectors = corpus()
    store = MilvusStore.create(vectors.shape[1], settings)
    store.upsert(records, vectors)
    store.save(tmp_path)
    store.upsert([Record("art0#0", "art0", "new")], -vectors[:1])
    store.delete(["art1#0", "art1#1", "unknown#9"])
    assert store.count() == len(records) - 2
    assert np.allclose(store.fetch(["art0#0"]), -vectors[:1])
    assert [i for i, _ in store.search(vectors[3], 1)] != ["art1#0"]
    assert store.search(-vectors[0], 1, StoreFilter(publishers=frozenset({"new"})))[0][0] == "art0#0"
    # The saved version still reads what it saved.
    before = MilvusStore.open(tmp_path, settings)
    assert before.count() == len(records)
    assert np.allclose(before.fetch(["art0#0", "art1#0"]), vectors[[0, 3]])


@pytest.mark.model  # it waits 40 s
def test_lite_reopens_after_a_long_idle(request, tmp_path, capfd):
    # Past three of pymilvus's 10 s keepalive pings: Lite's in-process server hung up on them (too_many_pings),
    # and reopening the file afterwards could then fail to connect.
    settings = milvus_settings(request, tmp_path / "index", "lite")
    records, vectors = corpus()
    store = MilvusStore.create(vectors.shape[1], settings)
    store.upsert(records, vectors)
    store.save(tmp_path)
    time.sleep(40)
    again = MilvusStore.open(tmp_path, settings)
    assert again.count() == len(records)
    assert [i for i, _ in again.search(vectors[5], 1)] == [records[5].id]
    assert "too_many_pings" not in capfd.readouterr().err


SETTINGS = """
import json, sys, numpy as np
from pathlib import Path
from rag.index.milvus_store import MilvusStore
from rag.index.vector_store import Record
from rag.settings import Settings
folder = Path(sys.argv[1])
settings = Settings(index_dir=folder, vector_store="milvus", milvus_uri=sys.argv[2], milvus_collection=sys.argv[3])
"""
# Both in processes of their own: Milvus Lite lets one process at a time hold its data folder, and the
# test process reads after them.
SETUP = SETTINGS + """
records = [Record(i, a, p, d, tuple(map(tuple, f))) for i, a, p, d, f in json.loads((folder / "rows.json").read_text())]
store = MilvusStore.create(8, settings)
store.upsert(records, np.load(folder / "vectors.npy"))
store.save(folder)
"""
WRITER = SETTINGS + """
store = MilvusStore.open(folder, settings)
rng = np.random.default_rng(1)
for n in range(10**6):
    store.delete([f"art{n % 20}#{n % 3}"])
    store.upsert([Record(f"new{n}#0", f"new{n}")], rng.normal(size=(1, 8)).astype(np.float32))
    print(n, flush=True)
"""


@pytest.mark.parametrize("writes", [1, 5])
def test_writer_killed_leaves_version_whole(settings, tmp_path, writes):
    records, vectors = corpus()
    version = tmp_path / "v1"
    version.mkdir()
    (version / "rows.json").write_text(json.dumps([[r.id, r.article_id, r.publisher, r.date, r.facets]
                                                   for r in records]))
    np.save(version / "vectors.npy", vectors)
    args = [str(version), settings.milvus_uri, settings.milvus_collection]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", SETUP, *args], env=env, check=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, env=env, text=True)
    done = 0
    for _ in writer.stdout:
        done += 1
        if done >= writes:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert done == writes  # it was killed while writing, not dead before
    reader = MilvusStore.open(version, settings)
    assert reader.count() == len(records)
    for v in vectors[:6]:
        exact = np.argsort(-(vectors @ v))[:5]
        found = reader.search(v, 5)
        assert [i for i, _ in found] == [records[n].id for n in exact]
        assert np.allclose([s for _, s in found], (vectors @ v)[exact], atol=1e-5)
    # The next writer starts from the version, not from the dead writer's rows.
    reader.delete(["art0#0"])
    assert reader.count() == len(records) - 1
    assert not [i for i, _ in reader.search(vectors[0], 60) if i.startswith("new")]
    reader.save(version)
    assert MilvusStore.open(version, settings).count() == len(records) - 1
