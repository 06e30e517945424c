"""Answers written by a language model from the retrieved passages, every citation checked afterwards.

The model reads excerpts (``rag.ask.evidence``: the best sentences of the passages with their neighbours; in
fast mode, ``llm_block_tokens`` above 0, a block of whole passages that a local model keeps read between
questions), then their lines most like the question quoted again, numbered and quoted as data
(``rag/ask/prompts.py``), and replies with a verdict line, YES or NO, then the answer with ``[n]`` markers. A
local model's verdict is read from the probability of its first word, and a question under ``llm_answerable`` is
refused; its answer is then held to the cited form by a grammar. With ``llm_confirmed`` above 0 the model is
then asked whether the excerpts state that answer, and a question under it is refused (off by default: on the
articles' own question sets it refused only answerable questions). Every sentence is checked against the passage
it cites (``rag.ask.check``); when none is, and the verdict was under ``llm_unbacked``, the question is refused.
Whenever the model cannot be trusted with the question, the extractive answer is
given instead (``answerer`` says "extractive"), with a note saying why: the model failed (down, timed out,
broken stream, context too long), or none of its sentences is supported by its citations (after a verdict at
or over ``llm_unbacked``). A refusal is always
the product's own text, never the model's words.

>>> answerer = GenerativeAnswerer(open_model("local", settings), extractive, embedder, settings)  # doctest: +SKIP
>>> for piece in answerer.stream(query, hits, articles): ...  # doctest: +SKIP
Preview(...) 'The BMA' ' said' ... Answer(text='The BMA said ... [1]', unsupported=(), answerer='local')
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping, Sequence, Union

import numpy as np

from embeddings import Embedder
from rag.ask.check import Checker
from rag.ask.evidence import Excerpt, Ranked, across_articles, block, excerpts, focus, interleave, passage
from rag.ask.extractive import ExtractiveAnswerer, refusal
from rag.ask.llm import BACKENDS, ChatModel, Messages, open_model
from rag.ask.instead import instead_of
from rag.ask.markers import claim
from rag.ask.facts import denial_given
from rag.ask.names import asks_identity, backing_text, names_given, names_in, speaks_of
from rag.ask.prompts import prompt
from rag.ask.referent import referent_agrees
from rag.ask.question import Query, as_asked, counted, expected_answer, gives, holds, years_in
from rag.ask.reply import after_verdict, refuses, tidied, unechoed, verdict_is
from rag.errors import ModelError, UsageError
from rag.messages import ANSWER_KINDS, render
from rag.settings import Settings
from rag.text.chunk import Tokenizer
from rag.types import Answer, Article, Chunk, Citation, Hit

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Preview:
    """The extractive answer, sent at once while the model reads; the model's answer replaces it."""

    answer: Answer


Piece = Union[str, Preview, Answer]
# Prompt tokens are counted with the pipeline's tiktoken encoding; models' own tokenizers split the same text
# into more pieces (SmolLM2's: about 1.2x cl100k on this corpus), so the context budget keeps a margin.
_TOKEN_MARGIN = 1.3
_NONE = np.zeros(0, dtype=np.float32)  # a query with no vectors, for warming the model


class GenerativeAnswerer:
    def __init__(self, model: ChatModel, extractive: ExtractiveAnswerer, embedder: Embedder, settings: Settings,
                 passages: Callable[[str], Sequence[Chunk]] | None = None):
        self.model = model
        self.passages = passages  # an article's passages in text order, for reading a block of them
        self.name = model.name
        self.extractive = extractive
        self.checker = Checker(embedder, settings, extractive.sentences)
        self.settings = settings
        self.tokenizer = Tokenizer(settings.encoding)
        self.yes, self.no = prompt("LLM_YES"), prompt("LLM_NO")

    def answer(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Answer:
        return next(p for p in self.stream(query, hits, articles) if isinstance(p, Answer))

    def warm(self) -> None:
        """Load the model and compute its instructions once, so the first question pays for neither."""
        try:
            self.model.verdict(self.messages(Query("", "", _NONE, _NONE), [], {}), self.yes, self.no)
        except ModelError as e:
            log.warning("%s model could not be warmed: %s", self.name, e)

    def stream(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Iterator[Piece]:
        """A preview, the model's text as it arrives, then the checked ``Answer`` (always last, never an
        exception)."""
        fallback = self.extractive.answer(query, hits, articles)
        if fallback.refused and fallback.confidence is None:  # a name no article mentions: nothing to read
            yield fallback
            return
        ranked = self.ranked(query, hits, articles)  # once: the excerpts and the quoted lines both use it
        shown = self.excerpts(query, hits, articles, ranked)
        if not shown:
            reason = "the passages are too long for the model's context"
            yield _failed(fallback, self.name, reason)
            return
        yield Preview(fallback)
        messages = self.messages(query, shown, articles, self.focus(query, hits, shown, articles, ranked))
        started = time.perf_counter()
        try:
            verdict = self.model.verdict(messages, self.yes, self.no, self.kept(query, shown, articles))
            if verdict is not None and verdict < self.settings.llm_answerable:
                quoted = not fallback.refused and self.asks_identity(query, [e.hit for e in shown])
                log.info("%s model: verdict %s, %s before answering %r", self.name, _p(verdict),
                         "quoted" if quoted else "refused", query.question[:80])
                # Who or what a name is: what the articles say of it answers that (see ``doubted``).
                yield _fall_back(fallback, render("LLM_UNSURE")) if quoted else self.refused(query, verdict)
                return
            pieces: list[str] = []
            start = f"{self.yes}\n" if verdict is not None else ""
            for piece in after_verdict(self.model.chat(messages, start, len(shown)), self.yes):
                pieces.append(piece)
                yield piece
            text = "".join(pieces).strip()
            asks = verdict is not None and self.settings.llm_confirmed > 0 and not self.declines(text)
            confirmed = self.confirmed(messages, text) if asks else None
            log.info("%s model: verdict %s, confirmed %s, %d characters in %.2f s for %r", self.name, _p(verdict),
                     _p(confirmed), len(text), time.perf_counter() - started, query.question[:80])
            if confirmed is not None:
                if confirmed < self.settings.llm_confirmed:
                    yield self.refused(query, confirmed)
                    return
                verdict = confirmed
        except ModelError as e:
            log.warning("%s model failed: %s", self.name, e)
            yield _failed(fallback, self.name, str(e))
            return
        yield self.checked(query, text, [e.hit for e in shown], articles, fallback, verdict)

    def declines(self, text: str) -> bool:
        """The reply says NO, says nothing, or says in words that the passages hold no answer."""
        return not text or verdict_is(text, self.no) or refuses(text)

    def confirmed(self, messages: Messages, text: str) -> float | None:
        """The model's probability that the excerpts state its answer, asked after it (its reading of the
        excerpts is still computed, so this costs a few dozen tokens)."""
        asked = messages + [{"role": "assistant", "content": f"{self.yes}\n{text}"},
                            {"role": "user", "content": prompt("LLM_CONFIRM", yes=self.yes, no=self.no)}]
        return self.model.verdict(asked, self.yes, self.no)

    def reads_block(self, query: Query) -> bool:
        """The model reads a block of whole passages (not a comparison or a two-part question, which need the
        best sentences of several articles)."""
        return self.passages is not None and self.settings.llm_block_tokens > 0 and not query.sided

    def ranked(self, query: Query, hits: list[Hit], articles: Mapping[str, Article]) -> Ranked:
        """The passages' sentences as (hit rank, span), best first, as the extractive answerer scores them; for
        a two-part question the best for each part in turn."""
        if query.parts:
            return interleave([[(c.hit_rank, c.span) for c in ranking]
                               for ranking in self.extractive.ranked_by_part(query, hits, articles)])
        return [(c.hit_rank, c.span) for c in self.extractive.ranked(query, hits, articles)]

    def excerpts(self, query: Query, hits: list[Hit], articles: Mapping[str, Article],
                 ranked: Ranked | None = None) -> list[Excerpt]:
        """The excerpts the model reads: the block of passages around the best sentence's, or the best
        sentences up to ``llm_evidence_tokens``; never more than fits in its context window beside the
        instructions, the question and the answer."""
        s = self.settings
        room = self.room(query, articles)
        budget = min(s.llm_evidence_tokens, room)
        ranked = list(self.ranked(query, hits, articles) if ranked is None else ranked)
        if ranked and self.passages is not None and self.reads_block(query):
            best = hits[ranked[0][0]]
            article = articles[best.chunk.article_id]
            shown = block(best, self.passages(article.id), hits, article.text, s.llm_block_tokens, self.tokens)
            if sum(self.tokens(passage(n, e, article)) for n, e in enumerate(shown, 1)) <= room:
                return shown
        neighbours = 0 if query.sided else s.llm_neighbours  # sentences alone: more sides fit
        if query.compare and not query.parts:  # every side first (a two-part ranking already takes turns)

            def year_of(rank: int) -> str:
                return (articles[hits[rank].chunk.article_id].date or "")[:4]

            ranked = across_articles(ranked, hits, years_in(query.question), year_of)
        texts = {a: articles[a].text for a in {h.chunk.article_id for h in hits}}

        def heading(rank: int) -> int:
            return self.tokens(passage(len(hits), Excerpt(hits[rank], (), ""), articles[hits[rank].chunk.article_id]))

        return excerpts(ranked, hits, texts, budget, self.tokens, neighbours, s.llm_neighbours_for, heading)

    def checked(self, query: Query, text: str, hits: list[Hit], articles: Mapping[str, Article],
                fallback: Answer, verdict: float | None) -> Answer:
        text = tidied(unechoed(text))
        if self.declines(text):
            return self.refused(query, verdict)
        result = self.checker.check(text, hits, articles, recite=True, question=query.text)
        if len(result.unsupported) == len(result.sentences):
            log.info("%s model: no sentence of its answer is backed by what it cites: %r", self.name, text[:300])
            if self.doubted(query, verdict, hits):
                return self.refused(query, verdict)
            return _fall_back(fallback, render("LLM_UNSUPPORTED"), render("LLM_UNSUPPORTED_UNANSWERED"))
        # Every passage cited, with the sentences that back the answer: none where a claim rests on what the chat
        # shows above the passage (its headline, publisher and date), which still counts.
        backing = [(hits[rank].chunk, result.quotes.get(rank, ())) for rank in result.cited]
        near = backing_text(backing, articles)
        if not query.sided and not names_given(query.question, near):
            log.info("%s model: its answer rests on no sentence naming what %r names", self.name, query.question[:80])
            return self.refused(query, verdict)
        if not query.sided and not denial_given(query.question, result.text):
            log.info("%s model: its answer says of nothing that it did not happen, for %r", self.name,
                     query.question[:80])
            return self.refused(query, verdict)
        if not query.sided and not speaks_of(query.question, near):
            # "What did he say about the talks?" answered with his word on the strike: the quotes may hold his
            # word on the talks, and they pass the same rule or are a refusal.
            log.info("%s model: its answer rests on nothing near what %r asks about", self.name, query.question[:80])
            return _fall_back(fallback, render("LLM_OFF_TOPIC"), render("LLM_UNSUPPORTED_UNANSWERED"))
        if not query.sided and not referent_agrees(query.question, result.text, f"{query.context} {query.said}"):
            log.info("%s model: a sentence of its answer opens with someone the conversation never named, for %r",
                     self.name, query.question[:80])
            return _fall_back(fallback, render("LLM_OTHER_PERSON"), render("LLM_UNSUPPORTED_UNANSWERED"))
        missed = instead_of(query, result.text, fallback)
        if missed:
            # "Who joined the doctors?" answered with the last answer, "When did it start?" with when it ended, ...
            log.info("%s model: %s, for %r", self.name, missed, query.question[:80])
            return _fall_back(fallback, render(missed), render("LLM_UNSUPPORTED_UNANSWERED"))
        # Only the backed sentences answer: a sum in a sentence marked not backed ("The boxes cost £1.3bn [2].")
        # gives the user nothing to rely on.
        backed = " ".join(s for s in result.sentences if s not in result.unsupported)
        kindless = self.off_kind(query, backed, fallback, verdict)
        if kindless is not None:
            return kindless
        notes = query.notes
        if result.unsupported:
            notes += (render("LLM_FLAGGED", count=len(result.unsupported), total=len(result.sentences)),)
        citations = tuple(Citation(n, articles[hits[rank].chunk.article_id], hits[rank].chunk, hits[rank].score,
                                   result.quotes.get(rank, ()))
                          for n, rank in enumerate(result.cited, 1))
        return Answer(query.question, result.text, citations, False, notes, self.name, result.unsupported,
                      confidence=verdict)

    def off_kind(self, query: Query, text: str, fallback: Answer, verdict: float | None) -> Answer | None:
        """The quotes, or a refusal, in place of an answer whose backed sentences (``text``) give no time, length of
        time or figure where the question asks for one; None where they give one. "When did Dyrrachium fall?" was
        answered "Dyrrachium was betrayed to the Normans ... [1]." (backed, but no date) where the quotes held the
        date; "When did the BMA ballot close?" was answered with how many voted, and the articles never say when."""
        kind = None if query.sided else expected_answer(query.question)
        if kind is None:
            return None
        said = counted(claim(text), query.question)  # "[1]" is no figure, nor is a length a count of doctors
        quotes_have_it = not fallback.refused and holds(counted(claim(fallback.text), query.question), kind)
        # A name of one word or of capitals ("conciliation service Acas", "the BMA") is a name all the same.
        named = kind == "name" and bool(names_in(said))
        if gives(text, kind, query.question) and (holds(said, kind) or named or not quotes_have_it):
            return None
        log.info("%s model: no %s in its answer to %r", self.name, kind, query.question[:80])
        if fallback.refused:  # the quotes have none either (``ExtractiveAnswerer`` refuses such an answer)
            return self.refused(query, verdict, render("REFUSAL_KIND", kind=ANSWER_KINDS[kind]))
        return _fall_back(fallback, render("LLM_OFF_KIND", kind=ANSWER_KINDS[kind]))

    def doubted(self, query: Query, verdict: float | None, hits: list[Hit]) -> bool:
        """The model was unsure the excerpts answer the question (verdict under ``llm_unbacked``) and then wrote
        an answer that nothing it cites backs: two weak signs together, so the question is refused rather than
        answered with quotes. Comparisons and two-part questions are left to the quotes (their verdicts run
        lower, and a side the model missed may still be quoted), and so is a question asking who or what a name
        is (the model adds what it knows of the name; the articles' own words on it are the answer to quote)."""
        return (verdict is not None and verdict < self.settings.llm_unbacked and not query.sided
                and not self.asks_identity(query, hits))

    @staticmethod
    def asks_identity(query: Query, hits: list[Hit]) -> bool:
        """The question asks only who or what a name is, the name as ``hits`` write it (``names.asks_identity``)."""
        return asks_identity(query.question, " ".join(h.chunk.text for h in hits))

    def refused(self, query: Query, verdict: float | None, message: str = "") -> Answer:
        """The product's refusal, never the model's words (a reply may carry anything after a refusal)."""
        answer = refusal(query, message or render("REFUSAL"), verdict)
        return Answer(answer.question, answer.text, (), True, answer.notes, self.name, confidence=verdict)

    def tokens(self, text: str) -> int:
        return int(self.tokenizer.count_many([text])[0])

    def kept(self, query: Query, shown: list[Excerpt], articles: Mapping[str, Article]) -> int:
        """How much of the user message comes again with the next question about the same block: the
        excerpts, before the conversation and the question (0 when they were chosen for this question)."""
        if not self.reads_block(query) or not shown:
            return 0
        return self.user(shown, "\0", "", "", articles).index("\0")

    def focus(self, query: Query, hits: list[Hit], shown: list[Excerpt], articles: Mapping[str, Article],
              ranked: Ranked | None = None) -> str:
        """The excerpts' sentences that score best against the question, quoted again with their numbers just
        before it: the 1.5B model then answers from them more often than from their neighbours."""
        left = self.room(query, articles) - sum(self.tokens(passage(n, e, articles[e.hit.chunk.article_id]))
                                                for n, e in enumerate(shown, 1))
        if not shown or min(self.settings.llm_focus_tokens, left) <= 0:
            return ""
        ranked = self.ranked(query, hits, articles) if ranked is None else ranked
        texts = {a: articles[a].text for a in {h.chunk.article_id for h in hits}}
        lines = focus(ranked, hits, shown, texts, min(self.settings.llm_focus_tokens, left), self.tokens)
        return prompt("LLM_FOCUS", lines="\n".join(lines)) if lines else ""

    def room(self, query: Query, articles: Mapping[str, Article]) -> int:
        """Tokens of the context window left for what is read besides the instructions, the question and the
        answer (counted with a margin for the model's own tokenizer)."""
        s = self.settings
        fixed = sum(self.tokens(m["content"]) for m in self.messages(query, [], articles))
        return int((s.llm_context_tokens - s.llm_max_tokens) / _TOKEN_MARGIN) - fixed

    def messages(self, query: Query, shown: list[Excerpt], articles: Mapping[str, Article],
                 focus: str = "") -> Messages:
        conversation = prompt("LLM_CONVERSATION", context=query.context) if query.context else ""
        return [{"role": "system", "content": prompt("LLM_SYSTEM", yes=self.yes, no=self.no)},
                {"role": "user", "content": self.user(shown, focus, conversation, as_asked(query.question), articles)}]

    @staticmethod
    def user(shown: list[Excerpt], focus: str, conversation: str, question: str,
             articles: Mapping[str, Article]) -> str:
        return prompt("LLM_USER", passages="\n".join(passage(n, e, articles[e.hit.chunk.article_id])
                                                      for n, e in enumerate(shown, 1)),
                      focus=focus, conversation=conversation, question=question)


ANSWERERS = ("auto", "extractive", *BACKENDS)


def make_answerer(name: str, extractive: ExtractiveAnswerer, embedder: Embedder, settings: Settings,
                  passages: Callable[[str], Sequence[Chunk]] | None = None):
    """The answerer called ``name``: ``extractive`` itself, a model backend writing with it as fallback, or
    for ``auto`` the local model when one is installed and the extractive answerer when none is.
    ``passages`` gives an article's passages in text order (see ``GenerativeAnswerer.excerpts``)."""
    if name == "extractive":
        return extractive
    if name == "auto":
        try:
            return GenerativeAnswerer(open_model("local", settings), extractive, embedder, settings, passages)
        except UsageError as e:  # no model installed: quotes, at once
            log.info("answering with quotes: %s", e)
            return extractive
    if name not in BACKENDS:
        raise UsageError(f"unknown answerer {name!r}: use one of {', '.join(ANSWERERS)}")
    return GenerativeAnswerer(open_model(name, settings), extractive, embedder, settings, passages)


def _p(probability: float | None) -> str:
    return "-" if probability is None else f"{probability:.3f}"


def _fall_back(extractive: Answer, note: str, unanswered: str | None = None) -> Answer:
    """The extractive answer, still labelled as such, with a note on why the model's was not used: ``note``
    where it quotes the articles, ``unanswered`` (when given) where it is a refusal, which quotes nothing."""
    chosen = unanswered if unanswered is not None and extractive.refused else note
    return Answer(extractive.question, extractive.text, extractive.citations, extractive.refused,
                  extractive.notes + (chosen,), extractive.answerer)


def _failed(extractive: Answer, answerer: str, reason: str) -> Answer:
    """The extractive answer after the model failed (unreachable, broken stream, context too long)."""
    return _fall_back(extractive, render("LLM_FAILED", answerer=answerer, reason=reason),
                      render("LLM_FAILED_UNANSWERED", answerer=answerer, reason=reason))
