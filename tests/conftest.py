"""Shared fixtures: the real MiniLM model (loaded once), one index of the seed corpus, and CLI helpers.

Nothing here is mocked: the model, FAISS, BM25, tiktoken and the files on disk are the real ones.

Tests that load a model (through the fixtures in ``MODEL_FIXTURES``, or marked ``model`` by hand) or start a
server (all of ``tests/ui``) are marked ``model``; ``pytest -m "not model"`` runs the rest, the quick tier.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
for _name in [n for n in os.environ if n.startswith("RAG_")]:
    del os.environ[_name]  # the suite runs with default settings, whatever the shell has set
# Caches live in a temporary folder, never under the user's home. The converted models are kept there across
# sessions, because converting takes a while; processes may share that cache (conversions are locked and renamed
# into place).
CACHE = Path(tempfile.gettempdir()) / "rag-news-tests"
os.environ["RAG_MODEL_CACHE_DIR"] = str(CACHE / "models")
# Settings made in code (not from the environment) keep "~/.cache/rag-news": a home of the suite's own keeps them
# off the user's cache, and off a model the user installed there (answerer "auto" would pick it up).
os.environ["HOME"] = str(CACHE / "home")
for _name, _folder in (("XDG_CACHE_HOME", "cache"), ("HF_HOME", "huggingface"), ("MPLCONFIGDIR", "matplotlib")):
    os.environ[_name] = str(CACHE / _folder)

from rag.index.ingest import ingest  # noqa: E402  (after the environment is settled)
from rag.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
RAG_SCRIPT = Path(sys.executable).parent / "rag"  # the `rag` console script of this virtualenv
# Fixtures that load the embedding model, directly or by building an index or running `rag eval` with it.
MODEL_FIXTURES = {"embedder", "seed_settings", "seed_index", "cache_dir", "runs"}
UI_TESTS = ROOT / "tests" / "ui"  # each starts a real chat server
# An article no index of the seed corpus holds, added to a copy of the corpus by the incremental-ingest tests.
NEW_ARTICLE = """---
title: Consultants vote on strike action
publisher: Test Wire
date: 2023-05-02
---
Hospital consultants in England will vote on whether to strike over pay, the British Medical Association said.

The ballot opens next week and closes in June. Consultants said their take-home pay had fallen sharply.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.is_relative_to(UI_TESTS):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2, loaded once for the whole session."""
    from embeddings import load_embedder

    return load_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, embedder) -> Settings:
    """Settings pointing at one index of the seed corpus, built once per session."""
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("seed") / "index")
    ingest(CORPUS, settings, embedder=embedder)
    return settings


@pytest.fixture(scope="session")
def seed_index(seed_settings):
    from rag.index.versions import load_index

    return load_index(seed_settings)


def copy_index(seed_settings: Settings, folder: Path) -> Settings:
    """A private copy of the session's seed index in ``folder``, safe to change or break."""
    shutil.copytree(seed_settings.index_dir, folder)
    return Settings(index_dir=folder)


def lock_held(index_dir: Path) -> bool:
    """Whether some process holds the ingest lock, read from /proc/locks (taking it ourselves would interfere)."""
    try:
        inode = (index_dir / ".lock").stat().st_ino
        return any(line.split()[5].endswith(f":{inode}") for line in Path("/proc/locks").read_text().splitlines()
                   if "FLOCK" in line)
    except (OSError, IndexError):
        return False


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_bit(path: Path) -> None:
    """Flip one bit in the middle of the file (for vectors.npy: inside a float, past the header)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{name: content}`` into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def indexed(folder: Path, files: dict[str, str | bytes], embedder, **settings) -> Settings:
    """A corpus of ``files`` written into ``folder``/corpus and indexed into ``folder``/index; its settings."""
    corpus = write_corpus(folder / "corpus", files)
    indexed_settings = Settings(corpus_dir=corpus, index_dir=folder / "index", **settings)
    ingest(corpus, indexed_settings, embedder=embedder)
    return indexed_settings


@pytest.fixture
def corpus_writer(tmp_path):
    return lambda files, name="corpus": write_corpus(tmp_path / name, files)


def cli_env() -> dict[str, str]:
    """This environment without settings a test may have set, but with the test cache of converted models."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RAG_") or k == "RAG_MODEL_CACHE_DIR"}


def cli(*args: str, stdin: str | None = None, console: bool = False, timeout: float = 120):
    """Run `python -m rag ARGS` (or the `rag` console script) and return the CompletedProcess."""
    cmd = [str(RAG_SCRIPT)] if console else [sys.executable, "-m", "rag"]
    return subprocess.run(cmd + list(args), input=stdin or "", capture_output=True, text=True, cwd=ROOT,
                          env=cli_env(), timeout=timeout)


def start_cli(*args: str, stdin: str | None = None, console: bool = False) -> subprocess.Popen:
    """Start the CLI without waiting; ``finish`` collects it. Lets model-loading runs share the wait."""
    cmd = [str(RAG_SCRIPT)] if console else [sys.executable, "-m", "rag"]
    proc = subprocess.Popen(cmd + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=cli_env())
    proc.stdin_text = stdin
    return proc


def finish(proc: subprocess.Popen, timeout: float = 180) -> subprocess.CompletedProcess:
    out, err = proc.communicate(proc.stdin_text, timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def tmpfs(tmp_path):
    """Mount real tmpfs file systems of a given size, unmounted afterwards; skips where mounting needs root.

    ``tmpfs("64k")`` returns the mounted folder.
    """
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        disk = tmp_path / f"disk{len(mounted)}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {done.stderr.strip()}")
        mounted.append(disk)
        return disk

    yield mount
    for disk in mounted:
        subprocess.run(["umount", str(disk)], check=True)



@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A real Milvus 2.3.5 standalone server (the `milvus` package) on free loopback ports, for the session.

    Only with MILVUS_SERVER_TESTS=1: that version's gRPC and metrics ports listen on every interface, whatever
    its address settings say, and the default suite starts nothing beyond loopback."""
    if os.environ.get("MILVUS_SERVER_TESTS") != "1":
        pytest.skip("the Milvus server tests run with MILVUS_SERVER_TESTS=1 (pip install '.[milvus-server]')")
    pytest.importorskip("milvus")
    from milvus_server import MilvusServer

    server = MilvusServer(tmp_path_factory.mktemp("milvus-server"))
    yield server
    server.stop()


def milvus_settings(request: pytest.FixtureRequest, folder: Path, where: str) -> Settings:
    """Settings for a Milvus store on Milvus Lite in ``folder`` (``where="lite"``) or on the session's server,
    in a collection of the test's own."""
    pytest.importorskip("pymilvus")
    if where == "lite":
        return Settings(index_dir=folder, vector_store="milvus", milvus_uri=str(folder / "milvus.db"))
    server = request.getfixturevalue("milvus_server")
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[-60:] + f"_{id(folder) % 10**6}"
    return Settings(index_dir=folder, vector_store="milvus", milvus_uri=server.uri, milvus_collection=name)


def stop_server(server: subprocess.Popen) -> None:
    """Stop a `rag serve` started by a test: terminate, kill if it lingers, close its pipes."""
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    for pipe in (server.stdout, server.stderr):
        if pipe:
            pipe.close()
