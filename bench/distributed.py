"""Distributed ingest: texts/s in one process against N local Ray workers, and what a resumed run embeds again.

    python bench/distributed.py [--articles 20] [--workers 2] [--batch 64] [--kill-at 0.5]

The corpus is a copy of corpus/ plus ``--articles`` synthetic news-like articles (bench/synthetic.py), in a
temporary folder. Three ingests from nothing, each timed whole (model loads and Ray's start included): one
process; ``--workers`` Ray workers; and ``--workers`` again, the driver (`rag ingest`, a subprocess) killed with
SIGKILL once it has kept ``--kill-at`` of the texts, then the same command again (in this process, to read its
report). Prints one line per run: texts embedded (passages and sentences), seconds, texts/s, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--kill-at", type=float, default=0.5)
    args = parser.parse_args()

    from synthetic import articles

    from rag.index import embed_journal
    from rag.index.ingest import ingest
    from rag.settings import Settings

    root = Path(tempfile.mkdtemp(prefix="rag-distributed-"))
    corpus = shutil.copytree(REPO / "corpus", root / "corpus")
    with open(corpus / "synthetic.jsonl", "w", encoding="utf-8") as f:
        for a in articles(args.articles, seed=3):
            f.write(json.dumps(a) + "\n")
    base = Settings.from_env(embed_precision="fp32", ray_batch=args.batch)

    def run(name: str, workers: int) -> None:
        settings = base.replace(index_dir=root / name, ingest_workers=workers)
        report = ingest(corpus, settings)
        texts = report.embedded + report.sentences_embedded
        print(f"{name:>12}: {texts} texts ({report.chunks} passages) in {report.seconds:.1f} s = "
              f"{texts / report.seconds:.1f} texts/s, load {os.getloadavg()[0]:.1f}", flush=True)

    try:
        run("one process", 0)
        run(f"{args.workers} workers", args.workers)
        settings = base.replace(index_dir=root / "resumed", ingest_workers=args.workers)
        total = _texts(corpus, base)
        env = dict(os.environ, RAG_EMBED_PRECISION="fp32", RAG_RAY_BATCH=str(args.batch))
        driver = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(corpus), "--index",
                                   str(settings.index_dir), "--workers", str(args.workers)], cwd=REPO, env=env,
                                  start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        folder = settings.index_dir / embed_journal.FOLDER
        while driver.poll() is None and (not folder.is_dir() or
                                         len(list(folder.glob("*.npz"))) * args.batch < args.kill_at * total):
            time.sleep(0.05)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        _kill_session(driver.pid)
        kept = len(embed_journal.load(settings.index_dir))
        print(f"      killed: after {kept} of {total} texts were kept", flush=True)
        run("resumed", args.workers)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _texts(corpus: Path, settings) -> int:
    """How many distinct texts (passages and sentences) an ingest of ``corpus`` from nothing embeds."""
    from rag.index.sentence_store import sentence_key, sentence_table, sentence_texts
    from rag.index.vector_cache import chunk_inputs
    from rag.text.chunk import Tokenizer, chunk_articles
    from rag.text.load import load_corpus

    found, _ = load_corpus(corpus, settings)
    chunks = chunk_articles(found, Tokenizer(settings.encoding), settings.chunk_tokens, settings.chunk_overlap)
    by_id, ids = {a.id: a for a in found}, [a.id for a in found]
    sentences = sentence_texts(sentence_table(chunks, ids), by_id, ids)
    keys = set(chunk_inputs(chunks, by_id, settings.model)[1])
    return len(keys | {sentence_key(settings.model, t) for t in sentences})


def _kill_session(session: int) -> None:
    """Kill what is left of the session the driver led (a Ray agent outlives a killed driver for a while)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == session:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue


if __name__ == "__main__":
    main()
