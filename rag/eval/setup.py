"""What `rag eval` prepares before the first question: the index to ask and the configurations to compare.

An index for a dataset that brings its documents (SQuAD, BEIR), or for ``--corpus``, is built once into a
cache folder and reused by later runs with the same documents and indexing settings. Configurations
differ only in what retrieval and answering use, so they all share that one index and one loaded model.

>>> [c.name for c in configurations(Settings(), ablations=True)]  # doctest: +ELLIPSIS
['hybrid+extractive', 'hybrid+lead', 'dense+bm25+extractive', 'dense+bm25+lead', 'dense+extractive', ...]
>>> configurations(Settings(lexical_weight=0.0, sentence_weight=0.0, answerer="extractive"), ablations=False)[0].name
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

from embeddings import Embedder
from rag.ask.answerer import Answerer
from rag.ask.extractive import ExtractiveAnswerer
from rag.ask.assistant import Assistant
from rag.eval.baselines import LeadAnswerer
from rag.eval.datasets import write_corpus
from rag.index.versions import Index, index_settings
from rag.index.ingest import ingest
from rag.settings import Settings

log = logging.getLogger(__name__)

# Retrieval ablations: the settings each changes. Zero weight drops a ranking from the fusion; passages
# only the other ranking found then come last, so the top passages are those of one retriever alone.
RETRIEVAL = {
    "hybrid": {},
    "dense+bm25": {"sentence_weight": 0.0},
    "dense": {"lexical_weight": 0.0, "sentence_weight": 0.0},
    "bm25": {"dense_weight": 0.0, "sentence_weight": 0.0},
}
ANSWERERS = ("extractive", "lead")


@dataclass(frozen=True)
class Config:
    retrieval: str  # a key of RETRIEVAL
    answerer: str  # one of ANSWERERS
    settings: Settings

    @property
    def name(self) -> str:
        return f"{self.retrieval}+{self.answerer}"


def configurations(settings: Settings, ablations: bool, answerers: Sequence[str] | None = None) -> list[Config]:
    """The configuration ``settings`` describe (one per answerer named), or with ``ablations`` every
    retrieval x answerer pair."""
    if not ablations:
        return [Config(retrieval_name(settings), name, settings) for name in answerers or (settings.answerer,)]
    pairs = [(r, a) for r in RETRIEVAL for a in ANSWERERS]
    return [Config(r, a, settings.replace(**RETRIEVAL[r])) for r, a in pairs]


def retrieval_name(settings: Settings) -> str:
    """The ablation whose weights ``settings`` has, or "custom"."""
    weights = (settings.dense_weight > 0, settings.lexical_weight > 0, settings.sentence_weight > 0)
    names = {(True, True, True): "hybrid", (True, True, False): "dense+bm25", (True, False, False): "dense",
             (False, True, False): "bm25"}
    return names.get(weights, "custom")


def assistants(configs: list[Config], index: Index, embedder: Embedder) -> dict[str, Assistant]:
    """One assistant per configuration, all on ``index`` and ``embedder``; in the order given."""
    out = {}
    for config in configs:
        answerer: Answerer
        if config.answerer == "lead":
            answerer = LeadAnswerer()
        elif config.answerer != "extractive":  # a model: the assistant makes it, with its quotes as fallback
            out[config.name] = Assistant(config.settings.replace(answerer=config.answerer), index, embedder)
            continue
        else:
            answerer = ExtractiveAnswerer(embedder, index.lexical, config.settings, index.articles, index.sentences)
        out[config.name] = Assistant(config.settings, index, embedder, answerer)
    return out


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
    material = json.dumps([source, index_settings(settings)], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def _ingest(corpus: Path, folder: Path, settings: Settings, embedder: Embedder,
            progress: Callable[[int, int], None] | None) -> Settings:
    settings = settings.replace(index_dir=folder / "index")
    report = ingest(corpus, settings, progress, embedder)
    log.info("evaluation index %s: %d articles, %d passages, %d embedded now", settings.index_dir,
             report.articles, report.chunks, report.embedded)
    return settings
