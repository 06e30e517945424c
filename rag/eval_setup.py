"""What `rag eval` prepares before the first question: the index to ask and the configurations to compare.

An index for a dataset that brings its documents (SQuAD, BEIR), or for ``--corpus``, is built once into a
cache folder and reused by later runs with the same documents and indexing settings. Configurations
differ only in what retrieval and answering use, so they all share that one index and one loaded model.

Ablations answer every question six times, and the extractive answerer embeds every sentence of its
passages each time: that, not retrieval, is what takes long. So the configurations after the first look up
the sentence vectors the first one computed (``VectorMemory``); the first still embeds everything, so its
answer time is a user's, while theirs is not, and the report leaves it out.

>>> [c.name for c in configurations(Settings(), ablations=True)]
['hybrid+extractive', 'hybrid+lead', 'dense+extractive', 'dense+lead', 'bm25+extractive', 'bm25+lead']
>>> configurations(Settings(lexical_weight=0.0), ablations=False)[0].name
'dense+extractive'
>>> [c.name for c in configurations(Settings(), ablations=False, answerers=("extractive", "local"))]
['hybrid+extractive', 'hybrid+local']
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from embeddings import Embedder
from rag.answer import ExtractiveAnswerer
from rag.assistant import Assistant
from rag.baselines import LeadAnswerer
from rag.datasets import write_corpus
from rag.index import Index, chunking_settings
from rag.ingest import ingest
from rag.settings import Settings

log = logging.getLogger(__name__)

# Retrieval ablations: the settings each changes. Zero weight drops a ranking from the fusion; passages
# only the other ranking found then come last, so the top passages are those of one retriever alone.
RETRIEVAL = {"hybrid": {}, "dense": {"lexical_weight": 0.0}, "bm25": {"dense_weight": 0.0}}
ANSWERERS = ("extractive", "lead")


@dataclass(frozen=True)
class Config:
    retrieval: str  # a key of RETRIEVAL
    answerer: str  # one of ANSWERERS
    settings: Settings
    reuses_vectors: bool = False  # answers from sentence vectors another configuration computed

    @property
    def name(self) -> str:
        return f"{self.retrieval}+{self.answerer}"


def configurations(settings: Settings, ablations: bool, answerers: Sequence[str] | None = None) -> list[Config]:
    """The configuration ``settings`` describe (one per answerer named), or with ``ablations`` every
    retrieval x answerer pair."""
    if not ablations:
        return [Config(retrieval_name(settings), name, settings) for name in answerers or (settings.answerer,)]
    pairs = [(r, a) for r in RETRIEVAL for a in ANSWERERS]
    return [Config(r, a, settings.replace(**RETRIEVAL[r]), n > 0 and a == "extractive")
            for n, (r, a) in enumerate(pairs)]


def retrieval_name(settings: Settings) -> str:
    if settings.lexical_weight == 0:
        return "dense"
    return "bm25" if settings.dense_weight == 0 else "hybrid"


def assistants(configs: list[Config], index: Index, embedder: Embedder) -> dict[str, Assistant]:
    """One assistant per configuration, all on ``index`` and ``embedder``; in the order given."""
    memory: dict[str, np.ndarray] = {}
    out = {}
    for config in configs:
        if config.answerer == "lead":
            answerer = LeadAnswerer()
        elif config.answerer != "extractive":  # a model: the assistant makes it, with its quotes as fallback
            out[config.name] = Assistant(config.settings.replace(answerer=config.answerer), index, embedder)
            continue
        else:
            vectors = VectorMemory(embedder, memory, recall=config.reuses_vectors)
            answerer = ExtractiveAnswerer(vectors, index.lexical, config.settings, index.articles)
        out[config.name] = Assistant(config.settings, index, embedder, answerer)
    return out


class VectorMemory:
    """An embedder that remembers every text's vector; with ``recall`` it looks there before embedding.

    >>> class Count:
    ...     name, dimension, calls = "m", 1, 0
    ...     def embed(self, texts, progress=None):
    ...         Count.calls += len(texts)
    ...         return np.ones((len(texts), 1), dtype=np.float32)
    >>> memory = {}
    >>> _ = VectorMemory(Count(), memory, recall=False).embed(["a", "b"])
    >>> _ = VectorMemory(Count(), memory, recall=True).embed(["b", "c", "c"])
    >>> Count.calls, sorted(memory)
    (3, ['a', 'b', 'c'])
    """

    def __init__(self, embedder: Embedder, memory: dict[str, np.ndarray], recall: bool):
        self.embedder = embedder
        self.memory = memory
        self.recall = recall
        self.name = embedder.name
        self.dimension = embedder.dimension

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not self.recall:  # the vectors exactly as the model gives them, remembered on the way
            vectors = self.embedder.embed(texts, progress)
            self.memory.update(zip(texts, vectors))
            return vectors
        missing = [t for t in dict.fromkeys(texts) if t not in self.memory]
        if missing:
            self.memory.update(zip(missing, self.embedder.embed(missing)))
        if progress:
            progress(len(texts))
        return np.array([self.memory[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dimension)


def cache_root() -> Path:
    return Path(tempfile.gettempdir()) / "rag-eval"


def index_documents(documents: list[dict], settings: Settings, embedder: Embedder, root: Path | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Settings:
    """Index a dataset's own documents (cached by their content and the indexing settings); return the
    settings with ``index_dir`` pointing at that index."""
    content = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in documents)
    folder = (root or cache_root()) / _key(hashlib.sha256(content.encode()).hexdigest(), settings)
    corpus = write_corpus(documents, folder / "corpus")
    # The size limit guards against one oversized article file; this file holds the whole dataset.
    settings = settings.replace(max_article_bytes=max(settings.max_article_bytes, corpus.stat().st_size))
    return _ingest(corpus.parent, folder, settings, embedder, progress)


def index_folder(corpus: Path, settings: Settings, embedder: Embedder, root: Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Settings:
    """Index a corpus folder into the cache; return the settings pointing at that index.

    The cache is keyed by the folder's path rather than its content: ingest itself notices what changed
    and embeds only that, so an edited corpus updates its cached index instead of starting a new one.
    """
    folder = (root or cache_root()) / _key(str(corpus.resolve()), settings)
    return _ingest(corpus, folder, settings, embedder, progress)


def _key(source: str, settings: Settings) -> str:
    """Cache folder name: what is indexed and every setting that changes the index."""
    material = json.dumps([source, settings.model, chunking_settings(settings)], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def _ingest(corpus: Path, folder: Path, settings: Settings, embedder: Embedder,
            progress: Callable[[int, int], None] | None) -> Settings:
    settings = settings.replace(index_dir=folder / "index")
    report = ingest(corpus, settings, progress, embedder)
    log.info("evaluation index %s: %d articles, %d passages, %d embedded now", settings.index_dir,
             report.articles, report.chunks, report.embedded)
    return settings
