"""The default answerer: quote the most relevant sentences of the retrieved passages, each with its marker.

It states nothing that is not verbatim in a cited passage, and refuses when no sentence is relevant enough
or when the question is about someone or something the articles never mention.

>>> answerer = ExtractiveAnswerer(embedder, index.lexical, settings)  # doctest: +SKIP
>>> answerer.answer(Query("Who hosts the talks?", ...), hits, articles).text  # doctest: +SKIP
'The negotiations - hosted by conciliation service Acas - will aim to reach a deal ... [1]'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Protocol

import numpy as np

from embeddings import Embedder
from rag.prompts import render
from rag.settings import Settings
from rag.stores import LexicalStore, words
from rag.types import Answer, Article, Citation, Hit


@dataclass(frozen=True)
class Query:
    question: str  # what the user typed (after trimming)
    text: str  # what is searched and scored: the question with any context a follow-up needs
    vector: np.ndarray  # embedding of ``text``
    said: str = ""  # what the assistant already said in this conversation
    notes: tuple[str, ...] = ()


class Answerer(Protocol):
    name: str

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer: ...


@dataclass(frozen=True)
class Scored:
    score: float
    hit_rank: int
    span: tuple[int, int]
    text: str
    vector: np.ndarray


_NAME_WORD = r"(?:[A-Z][\w'’-]*[a-z][\w'’-]*|[A-Z]{2,}[\w-]*)"
_NAME = re.compile(rf"(?<![\w'’]){_NAME_WORD}(?:\s+{_NAME_WORD})*")


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, lexical: LexicalStore, settings: Settings,
                 articles: Mapping[str, Article]):
        self.embedder = embedder
        self.lexical = lexical
        self.settings = settings
        # Names in titles and publishers count as known even where the body text never repeats them.
        self.metadata_words = {w for a in articles.values() for w in words(f"{a.title} {a.publisher or ''}")}

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer:
        unknown = self.unknown_names(query.question)
        if unknown:
            return refusal(query, render("REFUSAL_UNKNOWN", terms=" or ".join(unknown)))
        candidates = self.score_sentences(query, hits, articles)
        if not candidates or candidates[0].score < self.settings.refuse_below:
            return refusal(query, render("REFUSAL"))
        chosen = self.choose(candidates)
        return compose(query, chosen, hits, articles, self.name)

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question (capitalised words past its first word) that no passage contains."""
        unknown = []
        for match in _NAME.finditer(question):
            name = match.group(0)
            if match.start() == 0:  # the question's first word is capitalised anyway
                name = name.partition(" ")[2]
            stems = words(name)
            if any(self._unseen(s) for s in stems):
                unknown.append(name)
        return unknown

    def _unseen(self, stem: str) -> bool:
        return stem not in self.metadata_words and self.lexical.doc_freq(stem) == 0

    def score_sentences(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> list[Scored]:
        seen: set[tuple[str, tuple[int, int]]] = set()
        rows: list[tuple[int, tuple[int, int], str]] = []
        for rank, hit in enumerate(hits):
            text = articles[hit.chunk.article_id].text
            for span in hit.chunk.sentences:
                key = (hit.chunk.article_id, span)
                sentence = text[span[0] : span[1]]
                if key in seen or len(sentence.split()) < 4 or sentence in query.said:
                    continue
                seen.add(key)
                rows.append((rank, span, sentence))
        if not rows:
            return []
        vectors = self.embedder.embed([r[2] for r in rows])
        cosines = vectors @ query.vector
        q_words = self._weights(words(query.text))
        scored = [
            Scored(self._combine(float(cos), _overlap(q_words, set(words(sentence))), rank), rank, span,
                   sentence, vec)
            for (rank, span, sentence), cos, vec in zip(rows, cosines, vectors)
        ]
        return sorted(scored, key=lambda s: -s.score)

    def choose(self, candidates: list[Scored]) -> list[Scored]:
        """The best sentence, then close runners-up that add something, within the word budget."""
        s = self.settings
        best = candidates[0]
        chosen = [best]
        budget = s.answer_words - len(best.text.split())
        for c in candidates[1:]:
            if len(chosen) >= s.answer_sentences or c.score < max(s.refuse_below, best.score * 0.85):
                break
            size = len(c.text.split())
            if size > budget or any(float(c.vector @ x.vector) > 0.9 for x in chosen):
                continue
            chosen.append(c)
            budget -= size
        return chosen

    def _weights(self, terms: list[str]) -> dict[str, float]:
        n = max(self.lexical.size, 1)
        return {t: math.log(1 + (n + 1) / (self.lexical.doc_freq(t) + 0.5)) for t in set(terms)}

    @staticmethod
    def _combine(cosine: float, overlap: float, rank: int) -> float:
        return 0.6 * cosine + 0.4 * overlap + 0.02 / (1 + rank)


def _overlap(weights: dict[str, float], sentence_words: set[str]) -> float:
    """Share of the question's word weight (rarer words weigh more) that the sentence contains."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in sentence_words) / total if total else 0.0


def compose(query: Query, chosen: list[Scored], hits: list[Hit], articles: Mapping[str, Article],
            answerer: str) -> Answer:
    """Join the chosen sentences, each followed by the number of the passage it came from."""
    numbers: dict[int, int] = {}
    quotes: dict[int, list[tuple[int, int]]] = {}
    parts = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.hit_rank, len(numbers) + 1)
        quotes.setdefault(sentence.hit_rank, []).append(sentence.span)
        parts.append(f"{sentence.text} [{n}]")
    citations = tuple(
        Citation(n, articles[hits[rank].chunk.article_id], hits[rank].chunk, hits[rank].score,
                 tuple(sorted(quotes[rank])))
        for rank, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    return Answer(query.question, " ".join(parts), citations, False, query.notes, answerer)


def refusal(query: Query, message: str) -> Answer:
    return Answer(query.question, message, (), True, query.notes)
