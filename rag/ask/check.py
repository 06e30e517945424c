"""Check a generated answer's citations: every sentence against the passages its ``[n]`` markers point at.

A sentence is supported by a passage when some sentence of the passage says nearly the same thing (cosine of
the two embeddings at least ``support_cosine``) or the passage holds most of its content words (share at least
``support_overlap``, the words it takes from the question counted as given), and the passage states the same
facts where similarity cannot tell: its numbers, negation, names, who it says did or said what, and no added
obligation (``rag/ask/facts.py``). A number may come from the article's title or date (its year), which the model
was shown beside the passage. ``bench/citation_support.py`` measures these rules and thresholds on sentences
labelled supported or not.

A question that names years asks about those years: only a passage of an article dated then, or one that names
the year, can back a sentence answering it ("What does the BMA want in 2023?" is not answered by a 2016
article's "The BMA needs to keep its resolve", however faithfully quoted). Undated articles count for every year.

The answer is read as claims with their markers (``rag/ask/markers.py``). Markers to passages that do not exist
are dropped, the rest are renumbered 1..n in order of first use, and sentences with no supporting citation are
listed as unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence, cast

import numpy as np

from embeddings import Embedder
from rag.ask.facts import adds_unheld, near_sentences, overlap_share, same_facts
from rag.ask.markers import cite, claim, renumber, split_claims
from rag.ask.question import dated, years_in
from rag.index.sentence_store import SentenceStore
from rag.text.sentences import speaker_over
from rag.settings import Settings
from rag.text.dateline import date_words
from rag.types import Answer, Article, Hit

# A claim about the article itself, which its date and publisher (the chat shows them above the passage) may back.
_OF_PUBLISHING = re.compile(r"\b(?:published|publication|dated|posted)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    supported: bool
    cosine: float
    overlap: float
    span: tuple[int, int] | None  # article offsets of the passage sentence closest to the claim


@dataclass(frozen=True)
class Checked:
    text: str  # markers renumbered 1..n, markers to missing passages gone
    cited: tuple[int, ...]  # hit rank (0-based) of each new number: cited[n - 1] is passage [n]
    quotes: dict[int, tuple[tuple[int, int], ...]]  # hit rank -> article spans of the sentences that support
    sentences: tuple[str, ...]  # the answer's sentences, as in ``text``
    unsupported: tuple[str, ...]  # sentences of ``text`` that no citation of theirs supports
    with_citation: int  # sentences carrying at least one (existing) citation


class Checker:
    def __init__(self, embedder: Embedder, settings: Settings, sentences: SentenceStore | None = None):
        self.embedder = embedder
        self.settings = settings
        self.sentences = sentences  # the index's sentence vectors, so a check embeds only the claims
        self._titles: dict[str, np.ndarray] = {}  # articles' titles, embedded once per process as they are cited

    def check(self, text: str, hits: Sequence[Hit], articles: Mapping[str, Article],
              recite: bool = False, question: str = "") -> Checked:
        """Check ``text`` whose ``[n]`` refer to ``hits[n - 1]``, written in reply to ``question``.

        With ``recite``, a sentence that no passage it cites supports, but another of ``hits`` does, is cited
        to that passage instead: small models often put the right fact behind the wrong number.
        """
        claims = split_claims(text)
        valid = [[n for n in numbers if 1 <= n <= len(hits)] for _, numbers in claims]
        if recite:
            every = self.supports([(claim(s), list(hits)) for s, _ in claims], articles, question)
            claims, valid = _recited(claims, valid, every)
        supports = self.supports([(claim(s), [hits[n - 1] for n in ns]) for (s, _), ns in zip(claims, valid)],
                                 articles, question)
        # A sentence one of its passages backs keeps only the markers of those that do: "January 26 and 27 [1]
        # February 10 [2]" must not send a reader to [1] where the dates are not.
        backing = [[n for n, f in zip(ns, found) if f.supported] or ns for ns, found in zip(valid, supports)]
        order: dict[int, int] = {}
        for ns in backing:
            for n in ns:
                order.setdefault(n, len(order) + 1)
        quotes: dict[int, set] = {}
        sentences, unsupported = [], []
        for (sentence, _), ns, found, kept in zip(claims, valid, supports, backing):
            rewritten = renumber(sentence, {n: order[n] for n in kept})
            sentences.append(rewritten)
            for n, support in zip(ns, found):
                if support.supported and support.span:
                    quotes.setdefault(n - 1, set()).add(support.span)
            if not any(s.supported for s in found):
                unsupported.append(rewritten)
        cited = tuple(n - 1 for n in order)
        return Checked(" ".join(sentences), cited, {r: tuple(sorted(s)) for r, s in quotes.items()},
                       tuple(sentences), tuple(unsupported), sum(1 for ns in valid if ns))

    def supports(self, pairs: list[tuple[str, list[Hit]]], articles: Mapping[str, Article],
                 question: str = "") -> list[list[Support]]:
        """For each (claim, cited passages): how well each passage, or its article's title, supports the claim, the
        words it takes from ``question`` counted as given; a passage off the years ``question`` names supports
        nothing. One embedding call."""
        years = frozenset(years_in(question))
        spans = {h.chunk.id: list(h.chunk.sentences) for _, cited in pairs for h in cited}
        texts = {h.chunk.id: articles[h.chunk.article_id].text for _, cited in pairs for h in cited}
        article_of = {h.chunk.id: h.chunk.article_id for _, cited in pairs for h in cited}
        passage_sentences = [(cid, span) for cid, ss in spans.items() for span in ss]
        # Passage sentences were embedded at ingest; only the claims (and any sentence the store lacks) are new.
        stored: list[np.ndarray | None] = [
            v for cid, ss in spans.items()
            for v in (self.sentences.lookup(article_of[cid], ss) if self.sentences is not None else [None] * len(ss))]
        missing = [i for i, v in enumerate(stored) if v is None]
        titles = sorted({articles[a].title for a in article_of.values()} - self._titles.keys())
        vectors = self.embedder.embed([c for c, _ in pairs]
                                      + [texts[passage_sentences[i][0]][slice(*passage_sentences[i][1])]
                                         for i in missing] + titles)
        claim_vectors = vectors[: len(pairs)]
        for i, v in zip(missing, vectors[len(pairs):]):
            stored[i] = v
        self._titles.update(zip(titles, vectors[len(pairs) + len(missing):]))
        sentence_vectors = (np.stack(cast("list[np.ndarray]", stored)).astype(np.float32) if stored
                            else np.zeros((0, claim_vectors.shape[1]), np.float32))
        rows = {cid: [i for i, (c, _) in enumerate(passage_sentences) if c == cid] for cid in spans}
        out = []
        for (text, cited), vector in zip(pairs, claim_vectors):
            found = []
            for hit in cited:
                idx = rows[hit.chunk.id]
                cosines = sentence_vectors[idx] @ vector if idx else np.zeros(0)
                best = int(np.argmax(cosines)) if len(idx) else None
                span = passage_sentences[idx[best]][1] if best is not None else None
                closest = texts[hit.chunk.id][span[0]:span[1]] if span else ""
                sentences = [texts[hit.chunk.id][a:b] for _, (a, b) in (passage_sentences[i] for i in idx)]
                near = near_sentences(text, sentences, best)
                if span:  # an interview's answer speaks as "I": its opening names who
                    near = f"{near} {speaker_over(texts[hit.chunk.id], span)}"
                article = articles[hit.chunk.article_id]
                metadata = f"{article.title} {article.publisher or ''} {article.date or ''}"
                support = self.judge(text, hit.chunk.text, float(cosines[best]) if best is not None else 0.0,
                                     span, closest, question, metadata, near)
                if not support.supported:  # a claim may restate the headline the citation shows above the passage
                    title = self.judge(text, article.title, float(self._titles[article.title] @ vector), None,
                                       article.title, question, metadata, article.title)
                    support = title if title.supported else support
                if not support.supported and _OF_PUBLISHING.search(text):  # "The AP story was published on ..."
                    sheet = published(article)
                    shown = self.judge(text, sheet, 0.0, None, sheet, question, metadata, sheet)
                    support = shown if shown.supported else support
                about = not years or dated(article.date, hit.chunk.text, years)
                found.append(support if about else replace(support, supported=False))
            out.append(found)
        return out

    def judge(self, text: str, passage: str, cosine: float, span: tuple[int, int] | None,
              closest: str = "", question: str = "", metadata: str = "", near: str = "") -> Support:
        s = self.settings
        overlap = overlap_share(text, passage, question)
        supported = (same_facts(text, f"{passage} {metadata}", closest, f"{near or closest} {metadata}")
                     and (cosine >= s.support_cosine or overlap >= s.support_overlap)
                     and not adds_unheld(text, f"{passage} {metadata}", question))
        return Support(supported, cosine, overlap, span)


def published(article: Article) -> str:
    """What the chat shows of an article besides its text, as a sentence the check can read.

    >>> published(Article("a", "...", "Doctors strike", "AP", "2024-09-18"))
    'Doctors strike, published by AP on 2024-09-18 (2024 September).'
    """
    by = f" by {article.publisher}" if article.publisher else ""
    on = f" on {article.date} ({date_words(article.date)})" if article.date else ""
    return f"{article.title}, published{by}{on}."


def _recited(claims: list[tuple[str, list[int]]], valid: list[list[int]],
             every: list[list[Support]]) -> tuple[list[tuple[str, list[int]]], list[list[int]]]:
    """Claims whose cited passages do not support them but another does, cited to the best of those."""
    out_claims, out_valid = [], []
    for (sentence, numbers), ns, found in zip(claims, valid, every):
        backers = [n for n, support in enumerate(found, 1) if support.supported]
        if backers and not any(n in backers for n in ns):
            best = max(backers, key=lambda n: found[n - 1].cosine)
            sentence, numbers, ns = cite(claim(sentence), best), [best], [best]
        out_claims.append((sentence, numbers))
        out_valid.append(ns)
    return out_claims, out_valid


def citation_counts(answer: Answer, checker: Checker) -> tuple[int, int, int]:
    """(sentences, sentences citing a passage, cited sentences that a citation of theirs backs) of an answer;
    all 0 for a refusal. The same test for every answerer, so their citation precision compares."""
    if answer.refused:
        return 0, 0, 0
    by_number = {c.n: c for c in answer.citations}
    pairs = [(claim(s), [Hit(by_number[n].chunk, by_number[n].score) for n in numbers if n in by_number])
             for s, numbers in split_claims(answer.text)]
    found = checker.supports(pairs, {c.article.id: c.article for c in answer.citations}, answer.question)
    cited = sum(1 for _, hits in pairs if hits)
    backed = sum(1 for (_, hits), f in zip(pairs, found) if hits and any(x.supported for x in f))
    return len(pairs), cited, backed
