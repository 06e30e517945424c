"""`rag ingest --workers N`: the embedding spread over a real local Ray cluster of 2 workers, killed with kill -9
half-way and run again, against a single-process ingest of the same articles, on FAISS and on Milvus Lite.

Each run starts Ray (about 15 s) and loads the model in each worker, so these tests are in the `model` tier.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, ROOT, cli, cli_env

from rag.ask.assistant import Assistant
from rag.errors import UsageError
from rag.index import embed_journal
from rag.index.ingest import ingest
from rag.index.versions import current_version, load_index
from rag.settings import Settings

QUESTIONS = ["What pay rise did the Government offer?", "Who is the health secretary?",
             "When did junior doctors first walk out in 2016?"]
FIRST = ["000_f7e38b6d1dd121ab.txt", "001_2cf540da19d75d3c.txt"]  # the articles of the index before the crash


def test_worker_settings_are_checked():
    with pytest.raises(UsageError, match="ingest_workers"):
        Settings(ingest_workers=-1)
    with pytest.raises(UsageError, match="ray_batch"):
        Settings(ray_batch=0)
    with pytest.raises(UsageError, match="needs ingest_workers"):
        Settings.from_env({"RAG_RAY_ADDRESS": "auto"})
    assert Settings.from_env({"RAG_INGEST_WORKERS": "4"}).ingest_workers == 4


def test_ray_address_without_workers_is_a_usage_error(tmp_path):
    run = cli("ingest", str(CORPUS), "--index", str(tmp_path / "index"), "--ray", "auto")
    assert run.returncode == 2 and run.stderr.startswith("rag: ray_address 'auto' needs ingest_workers"), run.stderr


def test_workers_without_ray_installed_say_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['ray'] = None; from rag.cli import main;"
            f"sys.exit(main(['ingest', {str(CORPUS)!r}, '--index', {str(tmp_path / 'index')!r}, '--workers', '2']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=_env(),
                         timeout=120)
    assert run.returncode == 2 and "pip install '.[distributed]'" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.model
@pytest.mark.parametrize("store", ["faiss", "milvus"])
def test_killed_distributed_ingest_resumes_and_equals_a_single_process_one(store, tmp_path):
    pytest.importorskip("ray")
    if store == "milvus":
        pytest.importorskip("pymilvus")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FIRST:
        shutil.copy(CORPUS / name, corpus / name)
    settings, single = _settings(tmp_path / "spread", store), _settings(tmp_path / "single", store)
    assert _rag(corpus, settings, "0").returncode == 0  # the version live before the crash (in a process that ends:
    shutil.copytree(settings.index_dir, single.index_dir)  # Milvus Lite opens a file in one process at a time)
    before = current_version(settings)
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)  # three more articles to embed

    # The reference: the same change, in one process, from the same version.
    reference = ingest(corpus, single.replace(ingest_workers=0))
    need = reference.embedded + reference.sentences_embedded

    driver = _rag(corpus, settings, "2", wait=False)
    try:
        _wait_for_journal(driver, settings, need // 2)
        os.kill(driver.pid, signal.SIGKILL)  # the driver, mid-run: Ray's own processes follow it down
        driver.wait(30)
    finally:
        _kill_session(driver.pid)

    # The crash left the previous version live and whole, and the batches it had received on disk.
    assert current_version(settings) == before
    assert len(load_index(settings).articles) == len(FIRST)
    journaled = len(embed_journal.load(settings.index_dir))
    assert need // 2 <= journaled < need

    report = ingest(corpus, settings)  # the same command again (in this process, to read its report)
    computed = report.embedded + report.sentences_embedded
    assert computed == need - journaled, (computed, need, journaled)  # only what was not kept is embedded
    assert not (settings.index_dir / embed_journal.FOLDER).exists()  # the new version holds them now

    mine, theirs = Assistant.open(settings), Assistant.open(single)
    got, want = mine.index, theirs.index
    assert [c.id for c in got.chunks] == [c.id for c in want.chunks] and len(got.articles) == 5
    ids = [c.id for c in want.chunks]
    a, b = got.dense.fetch(ids), want.dense.fetch(ids)
    assert np.abs(a - b).max() < 1e-3 and np.sum(a * b, axis=1).min() > 0.9999
    assert np.abs(got.sentences.vectors.astype(np.float32) - want.sentences.vectors.astype(np.float32)).max() < 2e-3
    for question in QUESTIONS:
        answers = [a.ask(question).as_dict() for a in (mine, theirs)]
        assert [(a["answer"], [c["article_id"] for c in a["citations"]]) for a in answers] == \
            [(answers[1]["answer"], [c["article_id"] for c in answers[1]["citations"]])] * 2, question


def _settings(folder: Path, store: str) -> Settings:
    """Two workers, batches of 2 texts (many batches, so the kill lands half-way), fp32 everywhere (the
    comparison's tolerance), the extractive answerer, and the suite's converted models."""
    index = folder / "index"
    milvus = {"vector_store": "milvus", "milvus_uri": str(index / "milvus.db")} if store == "milvus" else {}
    return Settings(index_dir=index, ingest_workers=2, ray_batch=2, embed_precision="fp32", answerer="extractive",
                    model_cache_dir=Settings.from_env().model_cache_dir, **milvus)


def _env(settings: Settings | None = None) -> dict[str, str]:
    env = cli_env()
    if settings:
        env.update(RAG_EMBED_PRECISION=settings.embed_precision, RAG_RAY_BATCH=str(settings.ray_batch),
                   RAG_VECTOR_STORE=settings.vector_store, RAG_MILVUS_URI=settings.milvus_uri)
    return env


def _rag(corpus: Path, settings: Settings, workers: str, wait: bool = True):
    """`rag ingest CORPUS --workers N` in a session of its own (so that what it leaves can be found)."""
    cmd = [sys.executable, "-m", "rag", "ingest", str(corpus), "--index", str(settings.index_dir),
           "--workers", workers]
    if wait:
        return subprocess.run(cmd, cwd=ROOT, env=_env(settings), capture_output=True, text=True, timeout=300)
    with open(settings.index_dir.parent / "driver.err", "w") as err:  # the child keeps its own copy
        return subprocess.Popen(cmd, cwd=ROOT, env=_env(settings), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=err)


def _wait_for_journal(driver: subprocess.Popen, settings: Settings, texts: int, timeout: float = 480) -> None:
    """Until the driver has kept batches of at least ``texts`` vectors in all."""
    folder, deadline = settings.index_dir / embed_journal.FOLDER, time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.poll() is not None:
            err = (settings.index_dir.parent / "driver.err").read_text()
            pytest.fail(f"the distributed ingest ended before it could be killed: {err[-2000:]}")
        if folder.is_dir() and settings.ray_batch * len(list(folder.glob("*.npz"))) >= texts:
            return
        time.sleep(0.02)
    pytest.fail("the distributed ingest kept nothing in time")


def _kill_session(session: int) -> None:
    """Kill what is left of the session the driver led (a Ray agent outlives a killed driver for a while)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue
