"""The data that flows through the pipeline: frozen dataclasses, no behaviour beyond small helpers.

Spans are character offsets into ``Article.text`` (the cleaned, stored text), so
``article.text[chunk.start:chunk.end] == chunk.text`` always holds:

>>> a = Article(id="a", text="One. Two.", title="T")
>>> c = Chunk(id="a#0", article_id="a", text="Two.", start=5, end=9, sentences=((5, 9),))
>>> a.text[c.start:c.end] == c.text
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    id: str  # stable id: the file stem, or the `id` field of a JSONL line
    text: str  # cleaned text; every span in the index points into it
    title: str
    publisher: str | None = None
    date: str | None = None  # ISO date, possibly partial ("2016-02")
    url: str | None = None
    facets: tuple[tuple[str, str], ...] = ()  # (name, value) of the corpus's facets (corpus.toml), e.g. dispute
    inferred: tuple[str, ...] = ()  # metadata fields guessed from the text rather than stated
    source: str = ""  # the corpus file it came from
    checksum: str = ""  # sha256 of the cleaned text and metadata

    def facet(self, name: str) -> str | None:
        return dict(self.facets).get(name)

    @property
    def dispute(self) -> str | None:
        """The "dispute" facet: the citation JSON's "dispute" key, kept for its readers."""
        return self.facet("dispute")


@dataclass(frozen=True)
class Chunk:
    id: str  # "<article id>#<n>"
    article_id: str
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]  # sentence spans (article offsets) inside this chunk


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused relevance, higher is better
    dense: float | None = None  # cosine similarity to the question, when the dense retriever saw it
    lexical: float | None = None  # BM25 score, when the lexical retriever saw it


@dataclass(frozen=True)
class Citation:
    n: int  # 1-based marker number as it appears in the answer text: "[n]"
    article: Article
    chunk: Chunk
    score: float
    quotes: tuple[tuple[int, int], ...] = ()  # spans of the cited sentences, article offsets

    def as_dict(self) -> dict:
        a = self.article
        return {
            "n": self.n,
            "article_id": a.id,
            "title": a.title,
            "publisher": a.publisher,
            "date": a.date,
            "url": a.url,
            "dispute": a.dispute,
            "facets": dict(a.facets),
            "text": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": round(self.score, 4),
            "quotes": [list(q) for q in self.quotes],
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    notes: tuple[str, ...] = ()  # things the user should know, e.g. that the question was shortened
    answerer: str = "extractive"  # who wrote the text: "extractive", or the model backend ("openai", "local")
    unsupported: tuple[str, ...] = ()  # sentences of ``text`` that their citations do not back (generated answers)
    confidence: float | None = None  # relevance of the best sentence found; None when none was scored

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.as_dict() for c in self.citations],
            "notes": list(self.notes),
            "answerer": self.answerer,
            "unsupported": list(self.unsupported),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }
