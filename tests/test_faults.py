"""Faults on a real index: every file truncated, bit-flipped or deleted; two real ingest processes at once;
a full disk seen through the CLI. Each is caught with one line saying what to run, and nothing is mixed or lost.

(kill -9 at many points of an ingest, and the full disk through the library, are in test_index.py.)
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, ROOT, cli, cli_env, copy_index, flip_bit, lock_held, truncate

from rag.ask.assistant import Assistant
from rag.cli import main
from rag.errors import IndexProblem
from rag.index.versions import current_version, load_index
from rag.index.ingest import ingest
from rag.text.load import load_corpus
from rag.settings import Settings
from rag.index.faiss_store import FaissStore
from rag.index.vector_store import Record

QUESTION = "What pay rise did the Government offer junior doctors?"


def delete(path: Path) -> None:
    path.unlink()


def index_files(settings: Settings) -> list[str]:
    """Every file of the live version (the manifest included) and the CURRENT pointer, relative to the index."""
    version = current_version(settings)
    files = [str(p.relative_to(settings.index_dir)) for p in sorted(version.rglob("*")) if p.is_file()]
    return files + ["CURRENT"]


@pytest.mark.parametrize("damage", [truncate, flip_bit, delete])
def test_every_damaged_file_is_one_cli_line_saying_what_to_run(tmp_path, seed_settings, damage, capsys):
    """``rag ask`` (the CLI's own code, in-process) on each damaged file: exit 2, one line, `rag ingest`."""
    names = index_files(seed_settings)
    assert {"manifest.json", "vectors.npy", "chunks.jsonl", "articles.jsonl"} <= {Path(n).name for n in names}
    for n, name in enumerate(names):
        settings = copy_index(seed_settings, tmp_path / f"index-{n}")
        damage(settings.index_dir / name)
        with pytest.raises(IndexProblem) as error:
            load_index(settings)
        message = str(error.value)
        assert "\n" not in message and message.endswith("run `rag ingest`"), (name, message)
        inner = name.split("/", 2)[-1]  # the path inside the version folder
        if inner not in ("CURRENT", "manifest.json"):
            assert f"({inner} fails its checksum)" in message, (name, message)
        capsys.readouterr()
        assert main(["ask", QUESTION, "--index", str(settings.index_dir)]) == 2
        out = capsys.readouterr()
        assert out.out == "" and out.err.count("\n") == 1 and out.err.startswith("rag: "), (name, out.err)
        assert "rag ingest" in out.err


@pytest.mark.parametrize("damage", [truncate, flip_bit, delete])
def test_damaged_vectors_through_the_real_command(tmp_path, seed_settings, damage):
    settings = copy_index(seed_settings, tmp_path / "index")
    damage(current_version(settings) / "vectors.npy")
    run = cli("ask", QUESTION, "--index", str(settings.index_dir))
    assert run.returncode == 2 and run.stdout == "", run.stderr
    [line] = run.stderr.splitlines()
    assert re.fullmatch(r"rag: the index in \S+ is corrupted \(vectors\.npy fails its checksum\): run `rag ingest`",
                        line), line


def test_faiss_alone_would_not_notice_a_flipped_bit(tmp_path, seed_settings):
    """Why the checksums: a flipped bit in the vectors still loads and searches, silently giving other scores."""
    settings = copy_index(seed_settings, tmp_path / "index")
    path = current_version(settings) / "vectors.npy"
    before = np.load(path)
    flip_bit(path)
    after = np.load(path)  # numpy reads it without complaint
    assert after.shape == before.shape and not np.array_equal(after, before, equal_nan=True)
    row = int(np.flatnonzero((after != before).any(axis=1))[0])
    store = FaissStore.create(after.shape[1], seed_settings)
    store.upsert([Record(f"a#{n}", "a") for n in range(len(after))], after)
    hits = store.search(np.nan_to_num(before[row]), k=3)  # and FAISS searches it without complaint
    assert hits
    with pytest.raises(IndexProblem, match=r"vectors\.npy fails its checksum"):
        load_index(settings)


def test_manifest_with_a_changed_value_is_caught(tmp_path, seed_settings):
    """A flipped bit that keeps the manifest valid JSON (here: a passage count) is caught by its own checksum."""
    settings = copy_index(seed_settings, tmp_path / "index")
    path = current_version(settings) / "manifest.json"
    text = path.read_text()
    chunks = re.search(r'"chunks": (\d+)', text).group(1)
    path.write_text(text.replace(f'"chunks": {chunks}', f'"chunks": {int(chunks) ^ 1}', 1))
    with pytest.raises(IndexProblem, match=r"manifest\.json fails its checksum.*rag ingest"):
        load_index(settings)


def test_next_ingest_repairs_a_damaged_index(tmp_path, seed_settings, seed_index, embedder):
    settings = copy_index(seed_settings, tmp_path / "index")
    flip_bit(current_version(settings) / "vectors.npy")
    report = ingest(CORPUS, settings, embedder=embedder)
    assert not report.unchanged and report.embedded == len(seed_index.chunks)  # no damaged vector is reused
    index = load_index(settings)
    ids = [c.id for c in seed_index.chunks]
    assert np.array_equal(index.dense.fetch(ids), seed_index.dense.fetch(ids))
    assert "11 per cent" in Assistant(settings, index, embedder).ask(QUESTION).text


# --- two ingests at once: real processes ---

def start_ingest(corpus: Path, index_dir: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(corpus), "--index", str(index_dir)],
                            cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_whole(settings: Settings, corpus: Path) -> None:
    """The live index is exactly one corpus's: every checksum holds, the articles are the corpus's articles."""
    index = load_index(settings)
    articles, _ = load_corpus(corpus)
    assert index.manifest["articles"] == {a.id: a.checksum for a in articles}
    assert index.dense.count() == len(index.chunks) == index.manifest["counts"]["chunks"]
    assert {c.article_id for c in index.chunks} == set(index.articles) == {a.id for a in articles}
    assert not list((settings.index_dir / "versions").glob(".*.tmp"))


NEW = ("---\ntitle: Registrars ballot on pay\npublisher: Test Wire\ndate: 2023-05-09\n---\n"
       "Specialty registrars in Wales will be balloted on industrial action over pay, their union said.\n\n"
       "The registrars' ballot closes at the end of June, and talks with the Welsh Government continue.\n")


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs /proc/locks to see the lock")
def test_two_ingest_processes_at_once_never_mix(tmp_path, seed_settings):
    settings = copy_index(seed_settings, tmp_path / "index")
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    (corpus / "registrars.txt").write_text(NEW)

    # 1. The second starts while the first holds the lock: it fails at once, with one line, and changes nothing.
    first = start_ingest(corpus, settings.index_dir)
    deadline = time.monotonic() + 120
    while not lock_held(settings.index_dir) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert first.poll() is None, first.communicate()
    second = start_ingest(corpus, settings.index_dir)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 2 and out == "", err
    assert err.splitlines() == [f"rag: another ingest is writing {settings.index_dir}/; wait for it to finish"]
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    check_whole(settings, corpus)
    assert "registrars" in load_index(settings).articles

    # 2. Both started together, three times over with a changing corpus: each either completes or is turned
    #    away with that line; the live index is always one whole corpus.
    for n in range(3):
        (corpus / "registrars.txt").write_text(NEW.replace("2023-05-09", f"2023-05-1{n}"))
        procs = [start_ingest(corpus, settings.index_dir) for _ in range(2)]
        results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        assert any(code == 0 for code, _ in results), results
        for code, err in results:
            assert code == 0 or (code == 2 and "another ingest is writing" in err and err.count("\n") == 1), err
        check_whole(settings, corpus)
        assert load_index(settings).articles["registrars"].date == f"2023-05-1{n}"


@pytest.fixture
def small_disk(tmpfs):
    return tmpfs("256k")


def test_full_disk_through_the_command(small_disk, tmp_path, embedder):
    index = small_disk / "index"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text("---\nurl: https://example.org/1\n---\nJunior doctors walked out on Monday. The strike lasted "
                       "three days.\n")
    ingest(corpus, Settings(index_dir=index), embedder=embedder)
    live = (index / "CURRENT").read_text()
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"x" * max(0, free.f_bavail * free.f_frsize - 8192))  # leave 8 KiB
    article.write_text(article.read_text().replace("example.org/1", "example.org/2"))  # new version, no embedding
    run = cli("ingest", str(corpus), "--index", str(index))
    assert run.returncode == 2 and run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line == f"rag: could not write the index (no space left on the disk holding {index}); the previous index " \
                   "is unchanged"
    assert (index / "CURRENT").read_text() == live
    settings = Settings(index_dir=index)
    assert load_index(settings).articles["a"].url == "https://example.org/1"
    assert sorted(os.listdir(index / "versions")) == [live]  # the half-written version was removed
    (small_disk / "filler").unlink()
    run = cli("ingest", str(corpus), "--index", str(index))  # room again: the same command now completes
    assert run.returncode == 0, run.stderr
    assert load_index(settings).articles["a"].url == "https://example.org/2"
