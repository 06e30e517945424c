"""The assistant a front end talks to: index and model loaded once, then any number of questions.

The CLI and the chat UI both use this and nothing below it.

>>> assistant = Assistant.open(Settings())  # doctest: +SKIP
>>> answer = assistant.ask("What pay rise did the Government offer?")  # doctest: +SKIP
>>> answer.text  # doctest: +SKIP
'The BMA claims ... points to its offer of an 11 per cent rise in basic pay. [1]'
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from itertools import zip_longest
from typing import Iterator, Sequence

from embeddings import Embedder, embedder_for
from rag.ask.answerer import Answerer
from rag.ask.collection import about_collection, collection_answer
from rag.ask.ellipsis import read_in_talk
from rag.ask.extractive import ExtractiveAnswerer
from rag.ask.glossary import glossary_answer
from rag.ask.overview import overview_answer, sides
from rag.ask.genre import named_genre, of_genre
from rag.ask.period import about_article, asks_one_article, digest_of, period_answer, published_in
from rag.ask.question import Query
from rag.errors import UsageError
from rag.index.versions import Index, load_index
from rag.index.vector_store import StoreFilter
from rag.messages import render
from rag.ask.question import (as_asked, asks_latest, compares, context, parts, plain, said_before,
                              with_apostrophes, years_in)
from rag.ask.retrieve import Filters, Retriever
from rag.ask.more import asks_more, more_answer
from rag.ask.small_talk import reply, small_talk
from rag.settings import Settings
from rag.ask.generate import Piece
from rag.types import Answer, Chunk, Hit

log = logging.getLogger(__name__)


class Assistant:
    def __init__(self, settings: Settings, index: Index, embedder: Embedder, answerer: Answerer | None = None):
        self.settings = settings
        self.index = index
        self.retriever = Retriever(index, embedder, settings)
        self.extractive = ExtractiveAnswerer(embedder, index.lexical, settings, index.articles, index.sentences)
        self.spelling = self.extractive.spelling
        self._answerers: dict[str, Answerer] = {"extractive": self.extractive}
        self._making = threading.Lock()
        self._by_article: dict[str, list[Chunk]] | None = None
        # The year of the newest dated article: what a question asking for the latest news is about.
        self.newest_year = max(((a.date or "")[:4] for a in index.articles.values()), default="") or None
        self.answerer = answerer or self.answerer_for(settings.answerer)

    def answerer_for(self, name: str | None = None) -> Answerer:
        """The answerer called ``name`` (``settings.answerer`` by default), made on first use and kept."""
        from rag.ask.generate import make_answerer

        name = name or self.settings.answerer
        with self._making:
            if name not in self._answerers:
                self._answerers[name] = make_answerer(name, self.extractive, self.retriever.embedder, self.settings,
                                                      self.passages)
            return self._answerers[name]

    def passages(self, article_id: str) -> list[Chunk]:
        """The passages of an article, in text order (indexed on first use)."""
        with self._making:
            if self._by_article is None:
                by_article: dict[str, list[Chunk]] = {}
                for chunk in self.index.chunks:
                    by_article.setdefault(chunk.article_id, []).append(chunk)
                self._by_article = {a: sorted(cs, key=lambda c: c.start) for a, cs in by_article.items()}
        return self._by_article.get(article_id, [])

    def warm(self) -> None:
        """Load this assistant's model answerer, if it has one, and compute its fixed instructions; read the
        articles' words for spelling."""
        self.spelling.forms()
        warm = getattr(self.answerer, "warm", None)
        if warm is not None:
            warm()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> "Assistant":
        """Load the current index (checked) and the embedding model it was built with."""
        index = load_index(settings)
        return cls(settings, index, embedder or embedder_for(settings))

    def query(self, question: str, history: Sequence[dict] | None = None) -> Query:
        """Validate and trim a question, and resolve it against the conversation."""
        question = " ".join(plain(question).split()) if isinstance(question, str) else ""
        if not question:
            raise UsageError(render("EMPTY_QUESTION"))
        history = [dict(t, content=plain(t["content"])) if isinstance(t.get("content"), str) else t
                   for t in history or ()]
        notes: tuple[str, ...] = ()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question, notes = question[:limit], (render("QUESTION_CUT", limit=limit),)
        question, fixes = self.spelling.correct(with_apostrophes(question))
        question = self.spelling.capitalised(question)  # "jeremy hunt", typed so in a chat, is a name all the same
        if fixes:
            notes += (render("SPELLING", fixes=", ".join(render("SPELLING_FIX", typed=t, read=r) for t, r in fixes)),)
        read = read_in_talk(question, history)
        if read:
            question, notes = read, notes + (render("READ_AS", question=read),)
        if self.newest_year and asks_latest(question):
            # "What are the latest developments?" asks about the newest articles: read with their year, every
            # rule for a named year (retrieval, ranking, the check) applies, and the model sees it too.
            question = f"{question.rstrip(' ?.')} in {self.newest_year}?"
            notes += (render("LATEST", year=self.newest_year),)
        extra = context(question, history, self.settings.history_turns, self.settings.history_answer_words)
        asked = as_asked(question)  # "what did Labour say" is searched as "What did Labour say?", as the model reads it
        text = f"{extra} {asked}" if extra else asked
        pieces = parts(asked)
        texts = [text] + ([asked] if extra else []) + (pieces if len(pieces) > 1 else [])
        vectors = self.retriever.embedder.embed(texts)
        question_vector = vectors[1] if extra else vectors[0]
        sub = tuple(zip(pieces, vectors[-len(pieces):])) if len(pieces) > 1 else ()
        last = [t for t in history if t.get("role") == "assistant"][-1:]
        return Query(question, text, vectors[0], question_vector, extra, said_before(history), notes, sub,
                     compares(question), said_before(last))

    def retrieve(self, query: Query, filters: Filters | None = None, k: int | None = None,
                 timings: dict[str, float] | None = None) -> list[Hit]:
        """Passages for the question; for a two-part question, the best for each part, interleaved; for a
        comparison of years, the best of each year.

        ``timings`` collects seconds per retrieval stage (see ``Retriever.search``).
        """
        hits = self.retriever.search(query.text, k, filters, query.vector, timings)
        years = sorted(set(years_in(query.question))) if query.compare and not query.parts else []
        if len(years) > 1 and not (filters and (filters.date_from or filters.date_to)):
            # "Compare the 2016 and 2023 disputes": the best passages of each year named, side by side.
            per_part = [self.retriever.search(query.text, k, replace(filters or Filters(), date_from=y, date_to=y),
                                              query.vector, timings) for y in years]
        elif query.parts:
            per_part = [self.retriever.search(text, k, filters, vector, timings) for text, vector in query.parts]
        else:
            return hits
        merged: dict[str, Hit] = {}
        # Taken in turns as far as each list goes: a year no article is dated in (or undated articles, as a
        # dataset's often are) finds nothing, and must not empty the others.
        for group in zip_longest(*per_part, hits):
            for hit in group:
                if hit is not None:
                    merged.setdefault(hit.chunk.id, hit)
        return list(merged.values())[: 2 * (k or self.settings.top_k)]

    def search(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
               k: int | None = None) -> list[Hit]:
        return self.retrieve(self.query(question, history), filters, k)

    def ask(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
            k: int | None = None, answerer: str | None = None) -> Answer:
        query = self.query(question, history)
        direct = self.direct(query, filters)
        if direct is not None:
            return direct
        chosen = self._chosen(answerer)
        return chosen.answer(query, self.retrieve(query, filters, k), self.index.articles)

    def direct(self, query: Query, filters: Filters | None) -> Answer | None:
        """The product's own reply to a greeting, thanks or a call for help; what follows the last quote, for "Tell
        me more"; the answer to a question about the collection itself ("Which articles are from 2016?"), to an open
        comparison ("Compare the 2016 and 2023 disputes"), to what happened in a period or in all ("What happened
        on 12 January 2016?", "Summarise the articles") or to what an abbreviation an article spells out stands for
        ("What is the BMA?"); None for any other question, which the answerers take."""
        said = small_talk(query.question)
        where = filters.for_store() if filters else None
        more = (more_answer(query.question, query.said, self.index.articles, self.passages, where)
                if query.said and asks_more(query.question) else None)
        if said:
            answer: Answer | None = Answer(query.question, reply(said, len(self.index.articles)), (), False, (),
                                           "assistant")
        elif more:
            answer = more
        elif about_collection(query.question, self.index.articles):
            answer = collection_answer(query.question, self.index.articles, self.passages, where,
                                       self.settings.collection_lines)
        else:  # an open comparison or a period the filters leave nothing of goes on, as any question
            answer = (self._opening_lines(query, where) or self._one_article(query, filters)
                      or glossary_answer(query.question, self.index.articles, self.passages, where))
        return replace(answer, notes=query.notes + answer.notes) if answer else None

    def _opening_lines(self, query: Query, where: StoreFilter | None) -> Answer | None:
        """An open comparison's sides, or the articles of a period a question asks about, each told by its
        opening lines; None for any other question, or where the filters (``where``) leave too little."""
        s = self.settings
        named = sides(query.question, self.index.articles)
        if named:
            return overview_answer(query.question, named, query.question_vector, self.passages, self.index.sentences,
                                   where, s.overview_sentences)
        # A follow-up's "What happened?" asks about what the conversation was on, not the whole collection.
        dated = (published_in(query.question, self.index.articles)
                 or ([] if query.context else digest_of(query.question, self.index.articles)))
        return period_answer(query.question, dated, query.question_vector, self.passages, self.index.sentences,
                             where, s.overview_sentences, s.collection_lines) if dated else None

    def _one_article(self, query: Query, filters: Filters | None) -> Answer | None:
        """The opening lines of the article whose passage best matches a question asking the gist of one article
        ("Summarise the debate in the Commons"); None for any other question."""
        if query.context or not asks_one_article(query.question) or self.extractive.unknown_names(query.question):
            return None
        # Searched without the words asking for a summary: "Summarise the interview" finds the interview, not a
        # live blog's "Here is a summary". A kind of piece the question names is seldom in its passages: the
        # pieces presenting themselves as of that kind are chosen among, where any are.
        s = self.settings
        what = about_article(query.question)
        genre = named_genre(query.question)
        kind = {a.id for a in self.index.articles.values() if genre and of_genre(a, genre)}
        vector = self.retriever.embedder.embed([what])[0]
        hits = self.retriever.search(what, s.candidates if kind else 1, filters, vector)
        hit = next((h for h in hits if not kind or h.chunk.article_id in kind), None)
        if not hit:
            return None
        return period_answer(query.question, [self.index.articles[hit.chunk.article_id]], query.question_vector,
                             self.passages, self.index.sentences, filters.for_store() if filters else None,
                             s.overview_sentences, s.collection_lines, render("ARTICLE_HEAD"))

    def _chosen(self, answerer: str | None) -> Answerer:
        """The answerer a request names, or this assistant's own (which a caller may have handed in)."""
        return self.answerer_for(answerer) if answerer else self.answerer

    def stream(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
               k: int | None = None, answerer: str | None = None) -> Iterator[Piece]:
        """Like ``ask``, but a generative answerer's text arrives piece by piece first; the last item is the
        ``Answer``. An extractive answer comes whole."""
        query = self.query(question, history)
        direct = self.direct(query, filters)
        if direct is not None:
            yield direct
            return
        chosen = self._chosen(answerer)
        hits = self.retrieve(query, filters, k)
        if hasattr(chosen, "stream"):
            yield from chosen.stream(query, hits, self.index.articles)
        else:
            yield chosen.answer(query, hits, self.index.articles)

