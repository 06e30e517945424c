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
from typing import Mapping, cast

import numpy as np

from embeddings import Embedder
from rag.messages import ANSWER_KINDS, render
from rag.ask.facts import denial_given
from rag.ask.figures import figures_missing
from rag.ask.names import as_written, named_apart, names_given, names_in, rests_on_terms, speaks_of
from rag.ask.bounds import other_end
from rag.ask.spelling import Spelling
from rag.ask.question import Query, dated, expected_answer, gives, holds, sought_words, years_in
from rag.text.dateline import date_words, month_of, months_named
from rag.index.sentence_store import SentenceStore
from rag.settings import Settings
from rag.index.lexical_store import LexicalStore
from rag.text.sentences import heading_asks, heading_over, quoted_speaker, speaker_label, states
from rag.text.words import derived, words
from rag.types import Answer, Article, Citation, Hit


Row = tuple[int, tuple[int, int], str]  # (hit rank, article span, sentence)


@dataclass(frozen=True)
class Scored:
    score: float
    hit_rank: int
    span: tuple[int, int]
    text: str
    vector: np.ndarray
    cosine: float
    words: frozenset[str]
    date: str = ""  # the article's date, to judge questions that name years
    bonus: float = 0.0  # what ``score`` adds to relevance: answer kind, year, heading, passage rank


_OPENS_QUOTE = re.compile(r"\s*[\"“‘']")
_LETTERS = re.compile(r"[^\W\d_]+")  # a name's words, as the articles' words are read (``Spelling``)
_ASKING = re.compile(r"\s*(?:who|whom|whose|what|when|where|which|why|how|did|does|do|is|was|were|are)\b", re.I)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, lexical: LexicalStore, settings: Settings,
                 articles: Mapping[str, Article], sentences: SentenceStore | None = None):
        self.embedder = embedder
        self.lexical = lexical
        self.sentences = sentences  # vectors computed at ingest; the model embeds only what is missing
        self.settings = settings
        # Names in titles and publishers, and the years and months of dates, are known even where the text never
        # repeats them ("the April 2023 walkout" of an article dated 2023-04-12 that says "this walkout").
        self.metadata_words = {w for a in articles.values()
                               for w in words(f"{a.title} {a.publisher or ''} {date_words(a.date)}")}
        # The articles' words as written (and their dates' months, as above), for slips of the keys and for a
        # name's words, read once.
        self.spelling = Spelling((f"{a.title} {a.publisher or ''} {date_words(a.date)} {a.text}"
                                  for a in articles.values()), self.seen, settings.encoding)

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer:
        unknown = self.unknown_names(query.question)
        if unknown:
            return refusal(query, render("REFUSAL_UNKNOWN", terms=" or ".join(as_written(query.question, unknown))))
        missing = figures_missing(query.question, hits, articles)
        if missing:
            return refusal(query, render("REFUSAL_FIGURE", figures=" or ".join(missing)))
        apart = [] if query.sided else named_apart(query.question, hits, articles)
        if apart:
            return refusal(query, render("REFUSAL_APART", terms=" and ".join(as_written(query.question, apart))))
        weights = self.weights(query)
        candidates = self.score_sentences(query, hits, articles, weights)
        # "When did the strike start?" is not answered by when it ended, where another sentence may tell.
        candidates = [c for c in candidates if not other_end(query.question, c.text)] or candidates
        if not candidates or candidates[0].score < self.settings.refuse_below:
            return refusal(query, render("REFUSAL"), candidates[0].score if candidates else None)
        if query.parts:
            chosen = self.choose_per_part(query.question, query.parts, candidates, query.question_vector)
        elif query.compare:
            chosen = self.choose_across_articles(candidates, hits)
        else:
            chosen = self.choose(candidates, weights)
        answer = compose(query, chosen, hits, articles, self.name, candidates[0].score)
        if not query.sided and not self.rests(query, answer, articles):
            # The best sentence misses a name or topic the question asks about; a lower one may hold them all
            # ("But I cannot negotiate ...", under "Victoria Atkins: I agree with my hon. Friend.").
            resting = [c for c in candidates if self.names_all(query, c, hits, articles)]
            if not resting or resting[0].score < self.settings.refuse_below:
                return refusal(query, render("REFUSAL"), candidates[0].score)
            answer = compose(query, self.choose(resting, weights), hits, articles, self.name, candidates[0].score)
            if not self.rests(query, answer, articles):
                return refusal(query, render("REFUSAL"), candidates[0].score)
        if not query.sided and not denial_given(query.question, answer.text):
            # "What does not hide constant factors?" answered by what does: no lower sentence is sought, as one
            # holding any "not" would be as likely to be about something else.
            return refusal(query, render("REFUSAL"), candidates[0].score)
        kind = None if query.sided else expected_answer(query.question)
        # "When did the ballot close?" answered with how many voted; "How many doctors ...?" with "two days"
        if kind and not gives(answer.text, kind, query.question):
            return refusal(query, render("REFUSAL_KIND", kind=ANSWER_KINDS[kind]), candidates[0].score)
        return answer

    @staticmethod
    def names_all(query: Query, candidate: Scored, hits: list[Hit], articles: Mapping[str, Article]) -> bool:
        """The sentence itself (with who speaks it, in a transcript) names what the question names and holds every
        word of what it asks someone said about, not only its neighbours."""
        text = articles[hits[candidate.hit_rank].chunk.article_id].text
        own = f"{candidate.text} {speaker_label(text, candidate.span)}"
        return names_given(query.question, own) and speaks_of(query.question, own, every=True)

    @staticmethod
    def rests(query: Query, answer: Answer, articles: Mapping[str, Article]) -> bool:
        return rests_on_terms(query.question, [(c.chunk, c.quotes) for c in answer.citations], articles)

    def ranked(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> list[Scored]:
        """Every sentence of the passages, scored as this answerer scores them, best first (what a model reads)."""
        return self.score_sentences(query, hits, articles, self.weights(query))

    def ranked_by_part(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> list[list[Scored]]:
        """For a two-part question, every sentence ranked for each part in turn, as ``choose_per_part`` judges
        them (each part's answer is often far down the ranking for the whole question)."""
        candidates = self.ranked(query, hits, articles)
        fits = [self._part_fit(n, query.parts, candidates, query.question_vector) for n in range(len(query.parts))]
        return [[candidates[i] for i in sorted(range(len(candidates)), key=lambda i: -fit[i])] for fit in fits]

    def unknown_names(self, question: str) -> list[str]:
        """Names and years in the question that no passage, title or publisher contains.

        A question about someone the articles never mention is refused rather than answered loosely.
        """
        unknown = [name for name in names_in(question) if not self.mentioned(name)]
        unknown += [y for y in years_in(question) if not self.seen(y)]
        return unknown

    def mentioned(self, name: str) -> bool:
        """Every word of ``name`` is in some passage, title or publisher, by its stem and as written: by its stem
        alone, "What did NHS Providers say?" was taken for a question about the articles' NHS that "provide"."""
        return all(self.seen(s) for s in words(name)) and all(map(self.spelling.writes, _LETTERS.findall(name)))

    def seen(self, stem: str) -> bool:
        """Some passage, title or publisher holds the stemmed word ``stem``."""
        return stem in self.metadata_words or self.lexical.doc_freq(stem) > 0

    def score_sentences(self, query: Query, hits: list[Hit], articles: Mapping[str, Article],
                        weights: dict[str, float]) -> list[Scored]:
        """Every distinct sentence of the retrieved passages, scored against the question, best first."""
        rows, headings, heads = _sentence_rows(query, hits, articles)
        if not rows:
            return []
        vectors = self.vectors(rows, hits)
        cosines = vectors @ query.question_vector
        if query.context:  # a follow-up: the question and its context both count
            cosines = 0.5 * cosines + 0.5 * (vectors @ query.vector)
        kind = expected_answer(query.question)
        years = frozenset(years_in(query.question))
        months = months_named(f"{query.question} {query.context}")
        scored = []
        for row, ((rank, span, sentence), cos, vec) in enumerate(zip(rows, cosines, vectors)):
            if row in headings:  # a heading answers nothing; the sentence under it is read with it
                continue
            text = articles[hits[rank].chunk.article_id].text
            # In a transcript, who speaks is named once, at the turn's start ("Victoria Atkins: ... I cannot ...").
            terms = frozenset(words(f"{sentence} {speaker_label(text, span)}"))
            if row in heads:
                cos = max(cos, cosines[heads[row]])
                terms |= frozenset(words(rows[heads[row]][2]))
            date = articles[hits[rank].chunk.article_id].date or ""
            month = month_of(date)
            if month in months:  # "the March 2023 strike": a report rarely writes the month it is dated in
                terms |= frozenset(words(month))
            bonus = (self.settings.type_bonus * holds(sentence, kind) + 0.02 / (1 + rank)
                     - self._off_year(sentence, date, years))
            if not states(sentence):  # a heading or caption names a topic; it does not report a fact
                bonus -= self.settings.heading_penalty
            relevance = _relevance(float(cos), _overlap(weights, terms), self.settings.word_share)
            scored.append(Scored(relevance + bonus, rank, span, sentence, vec, float(cos), terms, date, bonus))
        return sorted(scored, key=lambda c: -c.score)

    def _off_year(self, sentence: str, date: str, years: frozenset[str]) -> float:
        """Penalty for a sentence from an article dated outside the years the question names."""
        return self.settings.year_penalty if years and not dated(date, sentence, years) else 0.0

    def vectors(self, rows: list[Row], hits: list[Hit]) -> np.ndarray:
        """Vectors of the candidate sentences: from the index's sentence store, the model for the rest."""
        found: list[np.ndarray | None] = [None] * len(rows)
        if self.sentences is not None:
            found = [self.sentences.lookup(hits[rank].chunk.article_id, [span])[0] for rank, span, _ in rows]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            for i, v in zip(missing, self.embedder.embed([rows[i][2] for i in missing])):
                found[i] = v
        return np.stack(cast("list[np.ndarray]", found)).astype(np.float32)  # every gap is filled by now

    def choose(self, candidates: list[Scored], weights: dict[str, float]) -> list[Scored]:
        """The best sentence, then sentences that cover what it leaves out, within the word budget.

        A runner-up is judged on the question words not yet covered, so a question with two parts
        (often answered by two articles) gets both, and a repeat of the first sentence is left out.
        """
        s = self.settings
        chosen = [candidates[0]]
        covered = set(candidates[0].words)
        budget = s.answer_words - len(candidates[0].text.split())
        bar = max(s.refuse_below, s.answer_extra * candidates[0].score)
        pool = [c for c in candidates[1:] if len(c.text.split()) <= budget]
        while pool and len(chosen) < s.answer_sentences:
            rest = {t: w for t, w in weights.items() if t not in covered}
            total = sum(weights.values())
            gain = {id(c): _relevance(c.cosine, _overlap(rest, c.words, total), s.word_share) + c.bonus for c in pool}
            best = max(pool, key=lambda c: gain[id(c)])
            if gain[id(best)] < bar:
                break
            pool.remove(best)
            if any(float(best.vector @ x.vector) > 0.9 for x in chosen):
                continue
            chosen.append(best)
            covered |= best.words
            budget -= len(best.text.split())
            pool = [c for c in pool if len(c.text.split()) <= budget]
        return chosen

    def choose_per_part(self, question: str, parts: tuple[tuple[str, np.ndarray], ...],
                        candidates: list[Scored], question_vector: np.ndarray) -> list[Scored]:
        """A different sentence for each part of a two-part question, the pair that fits the parts best.

        Each sentence is judged on its part and the whole question alike: a part often leaves its subject
        to the other ("..., and who held the job in 2023?"), so the other part's words count at half weight.
        """
        pool = candidates[: 4 * self.settings.top_k]
        fits = [self._part_fit(n, parts, pool, question_vector) for n in range(len(parts))]
        ranked = [sorted(range(len(pool)), key=lambda i: -fit[i])[:8] for fit in fits]
        best, pair = -math.inf, None
        for i in ranked[0]:
            for j in ranked[1]:
                if i != j and fits[0][i] + fits[1][j] > best:
                    best, pair = fits[0][i] + fits[1][j], (i, j)
        if pair is None:
            return candidates[:1]
        return [pool[i] for i, fit in zip(pair, fits) if fit[i] >= self.settings.refuse_below] or candidates[:1]

    def _part_fit(self, n: int, parts: tuple[tuple[str, np.ndarray], ...], pool: list[Scored],
                  question_vector: np.ndarray) -> list[float]:
        s = self.settings
        text, vector = parts[n]
        others = " ".join(t for m, (t, _) in enumerate(parts) if m != n)
        weights = {**self._idf(words(others), 0.5), **self._idf(words(text), 1.0)}
        # "How long was X compared with Y?": Y, with no question word of its own, asks what X asks.
        kind = expected_answer(text) or (None if _ASKING.match(text) else expected_answer(parts[0][0]))
        years = frozenset(years_in(text))
        return [_relevance(float(c.vector @ (vector + question_vector)) / 2, _overlap(weights, c.words), s.word_share)
                + s.type_bonus * holds(c.text, kind) - self._off_year(c.text, c.date, years) for c in pool]

    def choose_across_articles(self, candidates: list[Scored], hits: list[Hit]) -> list[Scored]:
        """The best sentence, and the best from another article when it is nearly as relevant."""
        first = candidates[0]
        article = hits[first.hit_rank].chunk.article_id
        bar = max(self.settings.refuse_below, self.settings.answer_extra * first.score)
        other = next((c for c in candidates if hits[c.hit_rank].chunk.article_id != article), None)
        return [first, other] if other is not None and other.score >= bar else [first]

    def weights(self, query: Query) -> dict[str, float]:
        """Weight of each question word: rarer words weigh more; words only in the context weigh half."""
        return {**self._idf(words(query.context), 0.5), **self._idf(sought_words(query.question), 1.0)}

    def _idf(self, terms: list[str], scale: float) -> dict[str, float]:
        n = max(self.lexical.size, 1)
        return {t: scale * math.log(1 + (n + 1) / (self.lexical.doc_freq(t) + 0.5)) for t in set(terms)}


def _sentence_rows(query: Query, hits: list[Hit], articles: Mapping[str, Article]
                   ) -> tuple[list[Row], set[int], dict[int, int]]:
    """The distinct sentences of ``hits`` to score; the rows among them that are headings that ask (an
    explainer's "What do they want?": never an answer); and for each sentence of the paragraph under such a
    heading, the heading's row, as the heading asks what they answer (an interview's "Are you leaving?" over
    "Yes. Half my friends have gone.")."""
    at: dict[tuple[str, tuple[int, int]], int] = {}
    rows: list[Row] = []
    headings: set[int] = set()
    heads: dict[int, int] = {}

    def row(rank: int, article: Article, span: tuple[int, int]) -> int:
        key = (article.id, span)
        if key not in at:
            at[key] = len(rows)
            rows.append((rank, span, article.text[span[0]:span[1]]))
        return at[key]

    for rank, hit in enumerate(hits):
        article = articles[hit.chunk.article_id]
        for span in hit.chunk.sentences:
            sentence = article.text[span[0]:span[1]]
            if heading_asks(article.text, span):
                headings.add(row(rank, article, span))
                continue
            if (article.id, span) in at or len(sentence.split()) < 4 or sentence in query.said:
                continue
            n = row(rank, article, span)
            head = heading_over(article.text, span)
            if head:  # the heading may stand in the passage before: read it all the same
                heads[n] = row(rank, article, head)
                headings.add(heads[n])
    return rows, headings, heads


def _relevance(cosine: float, overlap: float, word_share: float) -> float:
    return (1 - word_share) * cosine + word_share * overlap


def _overlap(weights: dict[str, float], sentence_words: frozenset[str], total: float | None = None) -> float:
    """Share of the question's word weight that the sentence contains, itself or derived ("safety" in "safe").

    >>> _overlap({"bma": 1.0, "safeti": 3.0}, frozenset(words("Our concerns around safe working")))
    0.75
    """
    total = sum(weights.values()) if total is None else total
    held = sum(w for t, w in weights.items() if t in sentence_words or derived(t) & sentence_words)
    return held / total if total else 0.0


# "[1]" or "[2, 3]" inside an article's own text: quoted as it is, it would read as one of the answer's citations.
_FOOTNOTES = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def compose(query: Query, chosen: list[Scored], hits: list[Hit], articles: Mapping[str, Article],
            answerer: str, confidence: float | None = None) -> Answer:
    """Join the chosen sentences, each followed by the number of the passage it came from."""
    numbers: dict[int, int] = {}
    quotes: dict[int, list[tuple[int, int]]] = {}
    parts = []
    taken = {(s.hit_rank, s.span) for s in chosen}
    asks_who = expected_answer(query.question) == "name"
    for sentence in chosen:
        article = articles[hits[sentence.hit_rank].chunk.article_id]
        # "Who said ...?" answered by a quotation that runs on: the sentence naming its speaker goes first.
        before = _attributed(sentence, hits, article.text) if asks_who else None
        if before and before not in taken:
            rank, span = before
            taken.add(before)
            quotes.setdefault(rank, []).append(span)
            parts.append(f"{article.text[span[0]:span[1]]} [{numbers.setdefault(rank, len(numbers) + 1)}]")
        n = numbers.setdefault(sentence.hit_rank, len(numbers) + 1)
        quotes.setdefault(sentence.hit_rank, []).append(sentence.span)
        text = _FOOTNOTES.sub('', sentence.text)
        after = _announced(sentence, hits, article.text)
        if after and (sentence.hit_rank, after) not in taken:
            quotes[sentence.hit_rank].append(after)
            text = f"{text} {article.text[after[0]:after[1]]}"
        parts.append(f"{text} [{n}]")
    citations = tuple(
        Citation(n, articles[hits[rank].chunk.article_id], hits[rank].chunk, hits[rank].score,
                 tuple(sorted(quotes[rank])))
        for rank, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    return Answer(query.question, " ".join(parts), citations, False, query.notes, answerer,
                  confidence=confidence)


def _announced(sentence: Scored, hits: list[Hit], text: str) -> tuple[int, int] | None:
    """The span of the sentence that ``sentence`` announces with its closing colon ("Sir Julian Hartley, chief
    executive of NHS Providers, said:", the quote in the next paragraph), where its passage holds it; quoted
    alone, such a sentence says nothing. The next sentence is what was announced when it opens a quotation or
    shares a word with the announcement: "listed in the table below:" is followed by another matter where the
    table was not kept."""
    if not sentence.text.rstrip().endswith(":"):
        return None
    order = list(hits[sentence.hit_rank].chunk.sentences)
    at = order.index(sentence.span) if sentence.span in order else None
    if at is None or at + 1 >= len(order):
        return None
    after = order[at + 1]
    following = text[after[0]:after[1]]
    return after if _OPENS_QUOTE.match(following) or sentence.words & set(words(following)) else None


def _attributed(sentence: Scored, hits: list[Hit], text: str) -> tuple[int, tuple[int, int]] | None:
    """The span of the sentence before ``sentence`` that names who speaks it, where ``sentence`` is a quotation
    running on from that one's ("“Our door is open to talks ...”" after "“... no option,” said Johann Malawana");
    quoted alone, it does not say who said it: (the rank of the passage holding it, its span), or None where no
    passage holds it."""
    speaker = quoted_speaker(text, sentence.span)
    if not speaker or speaker in sentence.text:
        return None
    article_id = hits[sentence.hit_rank].chunk.article_id
    for rank, hit in enumerate(hits):  # the sentence before may end another passage
        earlier = [span for span in hit.chunk.sentences if span[1] <= sentence.span[0]]
        if hit.chunk.article_id == article_id and earlier:
            start, end = earlier[-1]
            if speaker in text[start:end] and not text[end:sentence.span[0]].strip():
                return rank, (start, end)
    return None


def refusal(query: Query, message: str, confidence: float | None = None) -> Answer:
    return Answer(query.question, message, (), True, query.notes, confidence=confidence)
