"""The on-disk index: manifest, permissions, incremental ingest, corruption, locking, full disk, kill -9."""

import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, NEW_ARTICLE, ROOT, cli, cli_env, copy_index, flip_bit, lock_held, truncate

from rag.index import storage
from rag.ask.assistant import Assistant
from rag.text.chunk import Tokenizer, chunk_article
from rag.errors import IndexProblem, RagError
from rag.index.versions import FORMAT, index_settings, current_version, load_index
from rag.index.ingest import ingest
from rag.text.load import load_corpus
from rag.settings import Settings


def test_manifest_records_how_the_index_was_built(seed_index, seed_settings):
    m = seed_index.manifest
    assert m["format"] == FORMAT
    assert m["model"] == {"name": "all-MiniLM-L6-v2", "dimension": 384, "backend": "torch"}
    assert m["index"] == index_settings(seed_settings)
    articles, _ = load_corpus(CORPUS)
    assert m["articles"] == {a.id: a.checksum for a in articles}
    assert m["counts"] == {"articles": 5, "chunks": len(seed_index.chunks)}
    assert storage.verify(seed_index.path, m["files"]) == ""
    assert {"articles.jsonl", "chunks.jsonl", "vectors.npy"} <= set(m["files"])
    assert any(name.startswith("bm25/") for name in m["files"])


def test_index_is_owner_only(seed_settings):
    root = seed_settings.index_dir
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for path in root.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_reingest_of_unchanged_corpus_embeds_nothing(seed_settings, seed_index):
    report = ingest(CORPUS, seed_settings, embedder=None)  # None: the model must not even be needed
    assert report.unchanged and report.embedded == 0 and report.version == seed_index.path.name


def test_every_passage_sentence_has_its_model_vector(seed_index, embedder):
    store = seed_index.sentences
    spans = {(c.article_id, span) for c in seed_index.chunks for span in c.sentences}
    assert len(store) == len(spans)
    sample = sorted(spans)[::7]
    stored = np.stack([store.lookup(a, [span])[0] for a, span in sample])
    fresh = embedder.embed([seed_index.articles[a].text[s:e] for a, (s, e) in sample])
    assert np.min(np.sum(stored * fresh, axis=1)) > 0.999  # float16 storage keeps cosine within 1e-3


def test_adding_an_article_embeds_only_its_chunks(tmp_path, seed_settings, seed_index, embedder):
    settings = copy_index(seed_settings, tmp_path / "index")
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    (corpus / "new.txt").write_text(NEW_ARTICLE)
    report = ingest(corpus, settings, embedder=embedder)
    [new] = [a for a in load_corpus(corpus)[0] if a.id == "new"]
    expected = len(chunk_article(new, Tokenizer(settings.encoding), settings.chunk_tokens, settings.chunk_overlap))
    assert not report.unchanged and report.embedded == expected >= 1
    assert report.sentences_embedded == len({span for c in load_index(settings).chunks if c.article_id == "new"
                                              for span in c.sentences})
    assert report.chunks == len(seed_index.chunks) + expected
    index = load_index(settings)
    assert index.manifest["counts"]["articles"] == 6 and "new" in index.articles
    answer = Assistant(settings, index, embedder).ask("When does the consultants' strike ballot close?")
    assert any(c.article.id == "new" for c in answer.citations)


def test_changed_chunk_settings_ask_for_a_new_ingest(seed_settings):
    with pytest.raises(IndexProblem, match="rag ingest"):
        load_index(seed_settings.replace(chunk_tokens=seed_settings.chunk_tokens + 20))
    with pytest.raises(IndexProblem, match="rag ingest"):
        load_index(seed_settings.replace(model="some/other-model"))


def test_index_built_before_the_index_group_asks_for_a_new_ingest(tmp_path, seed_settings):
    """A manifest of the previous layout ("chunking" instead of "index") is refused in one line."""
    from rag.index.versions import check_compatible

    old = {"model": {"name": seed_settings.model}, "chunking": {"encoding": seed_settings.encoding}}
    with pytest.raises(IndexProblem, match="older version.*run `rag ingest`"):
        check_compatible(old, seed_settings)
    with pytest.raises(IndexProblem, match="built with chunk_tokens 180 but settings ask for 200"):
        check_compatible({"index": index_settings(seed_settings)}, seed_settings.replace(chunk_tokens=200))


def test_missing_index(tmp_path):
    with pytest.raises(IndexProblem, match="no index.*rag ingest"):
        load_index(Settings(index_dir=tmp_path / "nothing"))


@pytest.mark.parametrize("damage", [truncate, flip_bit, Path.unlink])
@pytest.mark.parametrize("name", ["vectors.npy", "chunks.jsonl", "bm25/vocab.index.json", "bm25/data.csc.index.npy"])
def test_damaged_file_fails_its_checksum(tmp_path, seed_settings, name, damage):
    settings = copy_index(seed_settings, tmp_path / "index")
    damage(current_version(settings) / name)
    with pytest.raises(IndexProblem, match=rf"corrupted \({name} fails its checksum\).*rag ingest"):
        load_index(settings)


def test_second_ingest_is_refused_while_one_is_writing(tmp_path, seed_settings, embedder):
    settings = copy_index(seed_settings, tmp_path / "index")
    with storage.ingest_lock(settings.index_dir):
        with pytest.raises(IndexProblem, match="another ingest is writing"):
            ingest(CORPUS, settings, embedder=embedder)
    assert ingest(CORPUS, settings, embedder=embedder).unchanged  # the lock is free again


@pytest.fixture
def small_disk(tmpfs):
    """A 64 KiB tmpfs: room for one small index version, not for a second one."""
    return tmpfs("64k")


@pytest.mark.parametrize("added_words", [40, 1000])  # fails writing the bm25 files / vectors.npy
def test_full_disk_is_a_one_line_error_and_keeps_the_index(small_disk, tmp_path, embedder, added_words):
    settings = Settings(index_dir=small_disk / "index")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Junior doctors walked out on Monday. The strike lasted three days.")
    ingest(corpus, settings, embedder=embedder)
    (corpus / "b.txt").write_text(" ".join(["Consultants voted on pay."] * (added_words // 4)))
    with pytest.raises(RagError) as error:
        ingest(corpus, settings, embedder=embedder)
    message = str(error.value)
    assert message == f"could not write the index (no space left on the disk holding {settings.index_dir}); the " \
                      "previous index is unchanged"
    index = load_index(settings)
    assert list(index.articles) == ["a"]
    assert not [p for p in (settings.index_dir / "versions").iterdir() if p.name.startswith(".")]


def kill_points():
    """When to kill an ingest that writes a new version: by what the process has done so far (no clock)."""

    def mapped(name):  # a shared library the process has loaded: its imports are under way
        return lambda proc, versions, before: name in Path(f"/proc/{proc.pid}/maps").read_text()

    def tmp_has(name):
        def has(proc, versions, before):
            return any((p / name).exists() for p in set(versions.glob(".*.tmp")) - before)

        return has

    return {"at once": lambda proc, versions, before: True, "numpy loaded": mapped("_multiarray_umath"),
            "lock taken": lambda proc, versions, before: lock_held(versions.parent),
            "version folder made": tmp_has("."), "articles written": tmp_has("articles.jsonl"),
            "vectors written": tmp_has("vectors.npy"), "bm25 written": tmp_has("bm25"),
            "manifest written": tmp_has("manifest.json"),
            "version renamed": lambda proc, versions, before: set(versions.glob("2*")) - before}


def kill_ingest(corpus: Path, settings: Settings, when) -> str:
    """Start `python -m rag ingest`, SIGKILL it once ``when`` holds (or it has ended); return what it reached."""
    versions = settings.index_dir / "versions"
    current = (settings.index_dir / "CURRENT").read_text()
    before = set(versions.iterdir())  # earlier kills may have left half-written versions
    proc = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(corpus), "--index", str(settings.index_dir)],
                            cwd=ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # only against a hung ingest; the kill waits on ``when``
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if when(proc, versions, before):
                break
        except OSError:  # the ingest renamed or removed what we were looking at, or has just ended
            pass
        time.sleep(0.001)  # look again soon: the later points pass within milliseconds
    proc.kill()
    proc.wait()
    if (settings.index_dir / "CURRENT").read_text() != current:
        return "switched"
    if set(versions.glob("2*")) - before:
        return "renamed, not switched"
    return "writing" if set(versions.glob(".*.tmp")) - before else "not writing yet"


def test_kill_9_during_ingest_leaves_a_working_index(tmp_path, seed_settings, embedder):
    settings = copy_index(seed_settings, tmp_path / "index")
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    article = corpus / "003_99db8737d1d6729b.txt"
    original = article.read_text()
    reached = {}
    for n, (point, when) in enumerate(kill_points().items()):
        # A new url changes the article's checksum but not its passages: a new version, no embedding.
        article.write_text(original.replace("url: null", f"url: https://labourlist.example/{n}", 1))
        reached[point] = kill_ingest(corpus, settings, when)
        index = load_index(settings)
        assert index.articles["003_99db8737d1d6729b"].url in {None} | {f"https://labourlist.example/{i}"
                                                                      for i in range(n + 1)}
        answer = Assistant(settings, index, embedder).ask("What pay rise did the Government offer junior doctors?", k=1)
        assert not answer.refused and answer.citations, (point, answer.text)
        assert all(c.article.text[c.chunk.start:c.chunk.end] == c.chunk.text for c in answer.citations)
    assert "not writing yet" in reached.values() and "writing" in reached.values(), reached
    article.write_text(original.replace("url: null", "url: https://labourlist.example/final", 1))
    run = cli("ingest", str(corpus), "--index", str(settings.index_dir))  # the lock is free, the cache intact
    assert run.returncode == 0 and "(embedded 0 new passages)" in run.stderr, run.stderr
    assert load_index(settings).articles["003_99db8737d1d6729b"].url == "https://labourlist.example/final"
    assert not list((settings.index_dir / "versions").glob(".*.tmp"))  # half-written versions are cleared
    print("kill -9 reached:", reached)
