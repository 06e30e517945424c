"""The fast paths: the OpenVINO backend and its lean query encoder against the torch model, the fallback to
torch, the converted-model cache, the approximate vector store against exact search, and a `rag ask` that
never imports torch. All with the real model, real FAISS and real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, cli_env

from embeddings import load_embedder, openvino_available
from embeddings.convert import converted
from embeddings.openvino_embedder import fastest_precision, int8_pays
from embeddings.sentence_transformer import model_path
from rag.index.vector_cache import embed_input
from rag.index.versions import load_index
from rag.index.ingest import ingest
from rag.ask.retrieve import Filters, Retriever
from rag.text.sentences import sentence_spans
from rag.settings import Settings
from rag.index.faiss_store import FaissStore
from rag.index.vector_store import Record, StoreFilter

pytestmark = pytest.mark.skipif(not openvino_available(), reason="OpenVINO is not installed")

MODEL = "all-MiniLM-L6-v2"
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests/data/questions.jsonl").open()]


@pytest.fixture(scope="session")
def cache_dir():
    """The suite's cache of converted models (conftest), shared with its CLI runs (converted once)."""
    return Settings.from_env().model_cache_dir


@pytest.fixture(scope="session")
def passages(seed_index):
    """What the model sees for each passage of the seed corpus: real news text up to 256 tokens."""
    return [embed_input(seed_index.articles[c.article_id].title, c.text) for c in seed_index.chunks]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_openvino_vectors_match_torch_on_real_text(embedder, passages, cache_dir, precision):
    fast = load_embedder(MODEL, 16, "openvino", precision, cache_dir)
    assert fast.backend == f"openvino-{precision}" and fast.dimension == embedder.dimension
    got = fast.embed(passages)
    assert got.dtype == np.float32 and got.shape == (len(passages), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-4)
    assert cosines(got, embedder.embed(passages)).min() >= (0.9999 if precision == "fp32" else 0.99)


def test_int8_keeps_cosine_099_on_the_passages_it_once_failed(embedder, cache_dir):
    """256-token SQuAD passages (not calibration text) where the earlier all-int8 recipe fell to 0.973-0.986."""
    rows = [json.loads(line) for line in (ROOT / "tests/data/int8_passages.jsonl").open()]
    texts = [row["text"] for row in rows]
    fast = load_embedder(MODEL, 16, "openvino", "int8", cache_dir)
    assert cosines(fast.embed(texts), embedder.embed(texts)).min() >= 0.99


def test_lean_query_encoder_gives_the_torch_query_vectors(embedder, cache_dir):
    fast = load_embedder(MODEL, 16, "openvino", "fp32", cache_dir)
    got, want = fast.embed(QUESTIONS), embedder.embed(QUESTIONS)
    assert cosines(got, want).min() >= 0.9999
    assert np.abs(got - want).max() < 1e-3


def test_a_torch_built_index_answers_the_same_through_the_fast_encoder(seed_settings, embedder, cache_dir):
    """Backends are interchangeable: a torch-built index searched with OpenVINO query vectors ranks alike."""
    index = load_index(seed_settings)
    assert index.manifest["model"]["backend"] == "torch"
    fast = load_embedder(MODEL, 16, "openvino", "fp32", cache_dir)
    for question in QUESTIONS[:12]:
        torch_rows = [h.chunk.id for h in Retriever(index, embedder, seed_settings).search(question)]
        fast_rows = [h.chunk.id for h in Retriever(index, fast, seed_settings).search(question)]
        assert fast_rows == torch_rows, question


def test_ingest_records_the_backend_in_the_manifest(tmp_path, cache_dir):
    settings = Settings(index_dir=tmp_path / "index", model_cache_dir=cache_dir, embed_precision="fp32")
    ingest(ROOT / "corpus", settings)
    manifest = load_index(settings).manifest
    assert manifest["model"] == {"name": MODEL, "dimension": 384, "backend": "openvino-fp32"}


def test_an_article_added_in_the_chat_records_the_backend_that_embedded_it(tmp_path, cache_dir):
    """The chat wraps its model in a lock (LockedEmbedder); the manifest once said "torch" behind it."""
    from ui.articles import Draft
    from ui.service import Service

    corpus = shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model_cache_dir=cache_dir)
    service, _ = Service.start(settings, load_embedder(MODEL, 16, "openvino", "fp32", cache_dir))
    service.add(Draft(text="Registrars at the Kite Unit voted to join the walkout over rota gaps on Monday.\n",
                      title="Kite Unit registrars join walkout", date="2023-03-13"))
    assert load_index(settings).manifest["model"]["backend"] == "openvino-fp32"


@pytest.mark.model
def test_falls_back_to_torch_when_openvino_is_missing():
    code = ("import sys, logging; sys.modules['openvino'] = None; logging.basicConfig();"
            "from embeddings import load_embedder;"
            "e = load_embedder('all-MiniLM-L6-v2', 16, 'openvino');"
            "print(e.backend, e.embed(['junior doctors']).shape)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=cli_env(),
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["torch", "(1,", "384)"]
    assert "OpenVINO is not installed" in done.stderr


def test_a_corrupted_converted_model_is_converted_again(tmp_path, cache_dir):
    source = model_path(MODEL)
    folder = converted(source, MODEL, "fp32", cache_dir)
    copy = tmp_path / "cache" / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("compiled"))
    data = bytearray((copy / "model.bin").read_bytes())
    data[1000] ^= 0xFF
    (copy / "model.bin").write_bytes(bytes(data))
    again = converted(source, MODEL, "fp32", tmp_path / "cache")
    assert again == copy
    assert (again / "model.bin").read_bytes() == (folder / "model.bin").read_bytes()


def test_the_same_model_installed_elsewhere_reuses_its_conversion(tmp_path, cache_dir):
    source = model_path(MODEL)
    folder = converted(source, MODEL, "fp32", cache_dir)
    elsewhere = shutil.copytree(source, tmp_path / "reinstalled")
    assert converted(elsewhere, MODEL, "fp32", cache_dir) == folder
    config = json.loads((elsewhere / "config.json").read_text())
    (elsewhere / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    assert converted(elsewhere, MODEL, "fp32", tmp_path / "cache").name != folder.name  # a changed model


def test_a_checked_conversion_is_stamped_and_a_changed_file_checked_again(tmp_path, cache_dir):
    source = model_path(MODEL)
    original = converted(source, MODEL, "fp32", cache_dir)
    folder = shutil.copytree(original, tmp_path / "cache" / original.name,
                             ignore=shutil.ignore_patterns("compiled*", "verified.json"))
    assert converted(source, MODEL, "fp32", tmp_path / "cache") == folder  # hashed, found intact, stamped
    stamp = json.loads((folder / "verified.json").read_text())
    assert stamp["model.bin"] == [(folder / "model.bin").stat().st_size, (folder / "model.bin").stat().st_mtime_ns]
    os.utime(folder / "model.bin", ns=(1, 1))  # the same bytes, another time: hashed again, and still intact
    assert converted(source, MODEL, "fp32", tmp_path / "cache") == folder
    assert json.loads((folder / "verified.json").read_text())["model.bin"][1] == 1
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no stamp left half-written


COLD_START = ("import sys; from pathlib import Path; from embeddings.openvino_embedder import OpenVINOEmbedder;"
              "e = OpenVINOEmbedder(Path(sys.argv[1]), 'm', 'fp32', 256);"
              "print(e.embed(['junior doctors strike'])[0, :4].round(4).tolist())")


def start_together(folder, count: int = 3) -> dict:
    """Cold-start ``count`` processes on one converted model at once; the files of its compiled cache after."""
    procs = [subprocess.Popen([sys.executable, "-c", COLD_START, str(folder)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env=cli_env()) for _ in range(count)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * count, [err for _, err in outs]
    assert len({out for out, _ in outs}) == 1  # the same vector from every process
    [cache] = [p for p in folder.iterdir() if p.name.startswith(("compiled", "."))]  # one, no leftovers
    return {f: f.stat().st_mtime_ns for f in cache.rglob("*")}


def test_processes_starting_together_share_a_compiled_model_cache_written_once(tmp_path, cache_dir):
    """Several cold starts at once on a model with no compiled cache (as the first `rag ask` runs do)."""
    folder = converted(model_path(MODEL), MODEL, "fp32", cache_dir)
    copy = shutil.copytree(folder, tmp_path / "model", ignore=shutil.ignore_patterns("compiled*", ".*"))
    written = start_together(copy)
    assert written
    assert start_together(copy) == written  # a complete cache is only read


def test_a_model_on_a_read_only_disk_loads_without_a_compiled_cache(tmpfs, cache_dir):
    folder = converted(model_path(MODEL), MODEL, "fp32", cache_dir)
    disk = tmpfs("200m")
    for name in ("model.xml", "model.bin", "tokenizer.json"):
        shutil.copyfile(folder / name, disk / name)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    done = subprocess.run([sys.executable, "-c", COLD_START, str(disk)], capture_output=True, text=True,
                          cwd=ROOT, env=cli_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 4
    assert sorted(p.name for p in disk.iterdir()) == ["model.bin", "model.xml", "tokenizer.json"]


def test_int8_only_where_the_cpu_has_int8_dot_products(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("flags\t\t: fpu sse avx2 fma\n")
    assert not int8_pays(info)
    info.write_text("flags\t\t: fpu avx2 avx512f avx512_vnni\n")
    assert int8_pays(info)


def test_auto_precision_is_bf16_with_amx_int8_with_vnni_and_nncf_else_fp32(tmp_path):
    info = tmp_path / "cpuinfo"
    for flags, can_int8, chosen in [("avx2 fma", True, "fp32"), ("avx2 avx512_vnni", True, "int8"),
                                    ("avx2 avx512_vnni", False, "fp32"), ("avx_vnni", True, "int8"),
                                    ("avx512_vnni avx512_bf16 amx_bf16 amx_int8", True, "bf16"),
                                    ("avx512_vnni avx512_bf16 amx_bf16 amx_int8", False, "bf16")]:
        info.write_text(f"flags\t\t: fpu {flags}\n")
        assert fastest_precision(can_int8, info) == chosen, flags


# What a question does not need, and costs a cold `rag ask` time to import: the torch stack, the web stack, the
# model answerers' and Milvus's clients, bm25s with scipy (the BM25 matrix is scored with numpy), OpenVINO's
# model converter, and Ray (only `rag ingest --workers` uses it).
HEAVY = ("torch", "sentence_transformers", "transformers", "nncf", "gradio", "httpx", "pydantic", "llama_cpp",
         "pymilvus", "bm25s", "scipy", "openvino.tools.ovc", "ray")


def test_rag_ask_from_a_cold_process_never_imports_torch(seed_settings, cache_dir):
    load_embedder(MODEL, 16, "openvino", "fp32", cache_dir)  # converted beforehand (conversion uses torch)
    code = ("import sys; from rag.cli import main;"
            "code = main(['ask', 'What pay rise did the Government offer?', '--answerer', 'extractive',"
            f" '--index', {str(seed_settings.index_dir)!r}]);"
            f"heavy = [m for m in {HEAVY!r} if sys.modules.get(m)];"
            "print('HEAVY', heavy, code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=cli_env(),
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "[1]" in done.stdout  # a cited answer
    assert done.stdout.strip().splitlines()[-1] == "HEAVY [] 0"


@pytest.fixture(scope="session")
def sentence_vectors(embedder, seed_index):
    """Real embeddings of every sentence of the seed corpus (a few hundred)."""
    texts = [a.text[s:e] for a in seed_index.articles.values() for s, e in sentence_spans(a.text)]
    return embedder.embed(texts)


def replicate(base: np.ndarray, copies: int, sigma: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = np.concatenate([base] + [base + rng.normal(0, sigma, base.shape) for _ in range(copies - 1)])
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def faiss_store(vectors: np.ndarray, exact_below: int, publishers: list[str] | None = None) -> FaissStore:
    """A FAISS store of ``vectors``, row n as chunk "a#n" (with publisher ``publishers[n]`` when given)."""
    store = FaissStore.create(vectors.shape[1], Settings(exact_below=exact_below))
    store.upsert([Record(f"a#{n}", "a", publishers[n] if publishers else "") for n in range(len(vectors))],
                 vectors)
    return store


def test_approximate_store_recalls_what_exact_search_finds(sentence_vectors, embedder):
    vectors = replicate(sentence_vectors, 8)  # real sentence vectors, and noisy copies of them
    ann = faiss_store(vectors, exact_below=100)
    exact = faiss_store(vectors, exact_below=len(vectors) + 1)
    assert ann.approximate and not exact.approximate
    queries = embedder.embed(QUESTIONS[:30])
    recall = [len({r for r, _ in ann.search(q, 10)} & {r for r, _ in exact.search(q, 10)}) / 10 for q in queries]
    assert np.mean(recall) >= 0.95
    # Scores are exact cosines, best first.
    hits = ann.search(queries[0], 10)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert all(abs(s - float(vectors[int(i[2:])] @ queries[0])) < 1e-5 for i, s in hits)


@pytest.mark.parametrize("share", [0.01, 0.6])
def test_approximate_store_honours_filters(sentence_vectors, embedder, share):
    vectors = replicate(sentence_vectors, 8)
    publishers = ["in" if x < share else "out" for x in np.random.default_rng(1).random(len(vectors))]
    ann = faiss_store(vectors, 100, publishers)
    exact = faiss_store(vectors, len(vectors) + 1, publishers)
    assert ann.approximate
    where = StoreFilter(publishers=frozenset({"in"}))
    for q in embedder.embed(QUESTIONS[:10]):
        got = ann.search(q, 10, where)
        assert got and all(publishers[int(i[2:])] == "in" for i, _ in got)
        want = {r for r, _ in exact.search(q, 10, where)}
        assert len({r for r, _ in got} & want) >= min(len(want), 9)


def test_a_large_index_is_saved_approximate_and_still_filters(tmp_path, embedder):
    settings = Settings(index_dir=tmp_path / "index", exact_below=10)
    ingest(ROOT / "corpus", settings, embedder=embedder)
    index = load_index(settings)
    assert index.dense.approximate and (index.path / "dense.faiss").is_file()
    assert "dense.faiss" in index.manifest["files"]
    retriever = Retriever(index, embedder, settings)
    dispute = "2023 pay"
    hits = retriever.search("Why are junior doctors striking?", filters=Filters(disputes=(dispute,)))
    assert hits and all(index.articles[h.chunk.article_id].dispute == dispute for h in hits)


def test_unchanged_files_skip_the_cleaning_and_keep_the_skipped_list(tmp_path, embedder):
    corpus = shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    settings = Settings(index_dir=tmp_path / "index")
    first = ingest(corpus, settings, embedder=embedder)
    assert load_index(settings).manifest["corpus"]  # the fingerprint of the files
    again = ingest(corpus, settings, embedder=embedder)
    assert again.unchanged and again.embedded == 0
    assert (again.articles, again.chunks, again.skipped) == (first.articles, first.chunks, first.skipped)
    (corpus / "new.txt").write_text("Nurses vote on strike action\n\nNurses in Wales voted on Tuesday to "
                                    "strike over pay, their union said, after talks with ministers failed.\n")
    changed = ingest(corpus, settings, embedder=embedder)
    assert not changed.unchanged and changed.embedded >= 1
