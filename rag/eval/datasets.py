"""Question sets for `rag eval`, whatever their format, as cases (``rag.eval.evaluate.Case``) plus the documents
they are about. ``load_dataset`` tells the formats apart:

- a folder holding ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv``: BEIR. The corpus lines are the
  documents; each query with relevant documents (qrels score > 0) is a case, graded by those scores.
- a JSON file with a ``data`` list: SQuAD (1.1 or 2.0). One document per article, its paragraphs joined with
  blank lines; a case per question, its answer texts the gold strings, unanswerable when ``is_impossible``.
- anything else: the project's own question file (JSON lines), asked of an existing corpus: no documents.

>>> squad = {"data": [{"title": "Moon_landing", "paragraphs": [{"context": "Apollo 11 landed in 1969.", "qas": [
...     {"id": "q1", "question": "When did Apollo 11 land?", "answers": [{"text": "1969"}, {"text": "1969"}]},
...     {"id": "q2", "question": "When did Apollo 30 land?", "answers": [], "is_impossible": True}]}]}]}
>>> data = squad_dataset(squad)
>>> data.documents
[{'id': 'Moon_landing', 'title': 'Moon landing', 'text': 'Apollo 11 landed in 1969.'}]
>>> [(c.answers, c.refuse, c.kind) for c in data.cases]
[(('1969',), False, 'answerable'), ((), True, 'unanswerable')]
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from rag.errors import UsageError
from rag.eval.evaluate import Case, read_cases

log = logging.getLogger(__name__)

BEIR_FILES = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")


@dataclass(frozen=True)
class Dataset:
    format: str  # "squad", "beir" or "questions"
    cases: list[Case]
    documents: list[dict]  # {"id", "title", "text"} for a set that brings its corpus; empty for "questions"

    def sample(self, n: int, seed: int = 0) -> "Dataset":
        """``n`` of the questions, drawn at random with a fixed seed, in their original order; the documents
        stay whole, so the index is the one every sample of this set shares.

        >>> [c.question for c in Dataset("questions", [Case(str(i)) for i in range(10)], []).sample(3).cases]
        ['0', '6', '9']
        """
        keep = sorted(random.Random(seed).sample(range(len(self.cases)), min(n, len(self.cases))))
        return Dataset(self.format, [self.cases[i] for i in keep], self.documents)


def load_dataset(path: Path) -> Dataset:
    """Read a question set in any of the three formats (see the module docstring)."""
    if path.is_dir():
        missing = [name for name in BEIR_FILES if not (path / name).is_file()]
        if missing:
            raise UsageError(f"{path} is a folder but not a BEIR dataset (missing {', '.join(missing)})")
        return load_beir(path)
    squad = _squad_json(path)
    if squad is not None:
        return squad_dataset(squad)
    return Dataset("questions", read_cases(path), [])


def _squad_json(path: Path) -> dict | None:
    """The parsed file if it is one JSON object with a ``data`` list (SQuAD), else None."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None  # JSON lines, or not JSON at all: read_cases says what is wrong
    except OSError as e:
        raise UsageError(f"cannot read question file {path} ({e.strerror})") from None
    return obj if isinstance(obj, dict) and isinstance(obj.get("data"), list) else None


def squad_dataset(squad: dict) -> Dataset:
    documents, cases = [], []
    try:
        for article in squad["data"]:
            paragraphs = article["paragraphs"]
            documents.append({"id": article["title"], "title": article["title"].replace("_", " "),
                              "text": "\n\n".join(p["context"].strip() for p in paragraphs)})
            for qa in (qa for p in paragraphs for qa in p["qas"]):
                impossible = bool(qa.get("is_impossible", False))
                answers = () if impossible else tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                cases.append(Case(qa["question"], answers, refuse=impossible, id=str(qa["id"]),
                                  kind="unanswerable" if impossible else "answerable"))
    except (KeyError, TypeError, AttributeError) as e:
        raise UsageError(f"not a SQuAD file: an article, paragraph or question lacks {e}") from None
    log.info("SQuAD: %d articles, %d questions (%d unanswerable)", len(documents), len(cases),
             sum(c.refuse for c in cases))
    return Dataset("squad", cases, documents)


def load_beir(folder: Path) -> Dataset:
    """A BEIR folder: corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/test.tsv."""
    documents = [{"id": str(d["_id"]), "title": d.get("title") or "", "text": d["text"]}
                 for d in _jsonl(folder / "corpus.jsonl") if d.get("text", "").strip()]
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder / "queries.jsonl")}
    relevant: dict[str, dict[str, int]] = {}
    qrels = folder / "qrels" / "test.tsv"
    for n, line in enumerate(_read(qrels).splitlines(), 1):
        fields = line.split("\t")
        if not line.strip() or (n == 1 and not fields[-1].strip().lstrip("-").isdigit()):
            continue  # blank line, or the header "query-id corpus-id score"
        if len(fields) != 3 or not fields[2].strip().lstrip("-").isdigit():
            raise UsageError(f"{qrels}:{n}: expected query-id, corpus-id and score separated by tabs")
        if int(fields[2]) > 0:
            relevant.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    unknown = [q for q in relevant if q not in queries]
    if unknown:
        raise UsageError(f"{qrels} names queries that queries.jsonl lacks, e.g. {unknown[0]}")
    cases = [Case(queries[q], id=q, kind="query", gold_docs=tuple(docs.items())) for q, docs in relevant.items()]
    log.info("BEIR: %d documents, %d judged queries", len(documents), len(cases))
    return Dataset("beir", cases, documents)


def _jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise UsageError(f"{path}:{n}: invalid JSON") from None
        if not isinstance(row, dict) or "_id" not in row or not isinstance(row.get("text"), str):
            raise UsageError(f"{path}:{n}: expected an object with _id and text")
        rows.append(row)
    return rows


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path} ({e})") from None


def write_corpus(documents: list[dict], folder: Path) -> Path:
    """Write the documents as one JSON-lines corpus file (the format `rag ingest` reads) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "documents.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    return path
