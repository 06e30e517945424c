"""What every browser session shares: one embedding model, one index, one assistant, swapped as a whole.

The model and the index are loaded once per process and only read while answering. Adding or removing an
article rewrites the corpus, runs the incremental ingest with the already-loaded model, loads the new index
and swaps in a new assistant under a lock; a question that started before the swap finishes on the old one,
every question after it sees the new one, in all sessions at once.

>>> service, report = Service.start(Settings())  # doctest: +SKIP
>>> service.ask("Who invited the BMA to pay talks in 2023?").citations[0].article.dispute  # doctest: +SKIP
'2023 pay'
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from collections import Counter
from typing import Callable, Iterator, Sequence


from embeddings import Embedder, embedder_for
from rag.ask.assistant import Assistant
from rag.errors import IndexProblem, RagError, UsageError
from rag.index.storage import disk_reason
from rag.index.versions import load_index
from rag.index.ingest import IngestReport, ingest
from rag.messages import render
from rag.ask.retrieve import Filters
from rag.settings import Settings
from rag.text.corpus_config import Facet, read_config
from rag.ask.generate import Piece
from rag.types import Answer, Article
from ui import articles
from ui.articles import Draft
from ui.shared_model import LockedEmbedder

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings = settings
        self.embedder = embedder if isinstance(embedder, LockedEmbedder) else LockedEmbedder(embedder)
        self._swap = threading.Lock()  # guards the assistant reference
        self._write = threading.Lock()  # one corpus change (write + ingest + swap) at a time
        self.config = read_config(settings.corpus_dir)  # the title, examples and facets the chat shows
        self._assistant = Assistant(settings, load_index(settings), self.embedder)

    @classmethod
    def start(cls, settings: Settings, embedder: Embedder | None = None,
              progress: Callable[[int, int], None] | None = None) -> tuple["Service", IngestReport | None]:
        """Load the model, bring the index in line with the corpus (embedding only what is new), open it.

        Without a corpus folder the existing index is served as it is (the report is None)."""
        if not settings.corpus_dir.is_dir():  # an index copied without its corpus is still worth serving
            try:
                load_index(settings)
            except IndexProblem:  # said before spending seconds on the model
                raise UsageError(render("SERVE_NOTHING", folder=str(settings.corpus_dir),
                                        index=str(settings.index_dir))) from None
            return cls(settings, embedder or embedder_for(settings)), None
        articles.clean_staging(settings.corpus_dir)
        embedder = embedder or embedder_for(settings)
        report = ingest(settings.corpus_dir, settings, progress, embedder=embedder)
        return cls(settings, embedder), report

    @property
    def assistant(self) -> Assistant:
        with self._swap:
            return self._assistant

    def ask(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
            k: int | None = None) -> Answer:
        return self.assistant.ask(question, history, filters or None, k)

    def stream(self, question: str, history: Sequence[dict] | None = None, filters: Filters | None = None,
               k: int | None = None, answerer: str | None = None) -> Iterator[Piece]:
        """A model's text as it arrives, then the ``Answer`` (see ``Assistant.stream``)."""
        return self.assistant.stream(question, history, filters or None, k, answerer or None)

    # --- what the Articles tab shows ---

    def articles(self) -> tuple[list[Article], Counter]:
        index = self.assistant.index
        return list(index.articles.values()), Counter(c.article_id for c in index.chunks)

    def publishers(self) -> list[str]:
        return sorted({a.publisher for a in self.assistant.index.articles.values() if a.publisher})

    def facet(self) -> Facet | None:
        """The corpus's first facet (corpus.toml): the chat's filter beside publishers and dates."""
        return self.config.facets[0] if self.config.facets else None

    def facet_values(self) -> list[str]:
        """That facet's values: its date ranges' first, in their order, then any other the articles hold."""
        facet = self.facet()
        if facet is None:
            return []
        named = [value for value, _, _ in facet.ranges]
        found = {a.facet(facet.name) for a in self.assistant.index.articles.values()} - {None, *named}
        return named + sorted(v for v in found if v)

    # --- changing the corpus ---

    def add(self, draft: Draft) -> tuple[Article, int]:
        """Add an article to the corpus and the index; returns it with its passage count."""
        try:
            return self._add(draft)
        except OSError as e:  # a full or read-only disk: say so; whatever was half-written is already gone
            log.warning("adding an article failed: %s", e)
            # The index's own writes fail as IndexProblem; an OSError here is the article's file (a failed write
            # names no file) or, rarely, the index's lock file.
            folder = Path(e.filename).parent if e.filename else self.settings.corpus_dir
            raise UsageError(render("ADD_DISK", reason=disk_reason(folder, e))) from None

    def _add(self, draft: Draft) -> tuple[Article, int]:
        self._check_corpus()
        facet = self.facet()
        suffix, content = articles.compose(draft, self.settings, facet.name if facet else None)
        corpus = self.settings.corpus_dir
        with self._write:
            final = corpus / articles.file_name(suffix, content)
            current = self.assistant.index.articles
            same = next((a for a in current.values() if a.source == str(final)), None)
            if same is not None:
                raise UsageError(render("ADD_DUPLICATE", title=same.title))
            staged, article = articles.stage(corpus, suffix, content, self.settings)
            try:
                twin = next((a for a in current.values() if a.text == article.text), None)
                if twin is not None:
                    raise UsageError(render("ADD_DUPLICATE", title=twin.title))
                os.replace(staged, final)
            finally:
                staged.unlink(missing_ok=True)
            try:
                report = self._reindex()
            except BaseException:
                final.unlink(missing_ok=True)
                raise
            added = next((a for a in self.assistant.index.articles.values() if a.source == str(final)), None)
            if added is None:  # the ingest skipped it after all
                final.unlink(missing_ok=True)
                reason = next((s.reason for s in report.skipped if s.source.endswith(final.name)), "not indexed")
                raise UsageError(render("ADD_UNREADABLE", reason=reason))
        log.info("added article %s (%s)", added.id, final)
        return added, sum(1 for c in self.assistant.index.chunks if c.article_id == added.id)

    def remove(self, article_id: str) -> Article:
        """Delete an article's corpus file and re-index without it."""
        self._check_corpus()
        if not article_id:
            raise UsageError(render("REMOVE_CHOOSE"))
        with self._write:
            current = self.assistant.index.articles
            article = current.get(article_id)
            if article is None:
                raise UsageError(render("REMOVE_GONE"))
            if len(current) == 1:
                raise UsageError(render("REMOVE_LAST"))
            path = articles.own_file(article, self.settings.corpus_dir)
            if path is None or not path.name.startswith(articles.WEB_PREFIX):  # the chat removes what it added
                raise UsageError(render("REMOVE_NOT_ADDED", title=article.title))
            trash = self.settings.corpus_dir / articles.TRASH  # hidden: ingest skips it; move a file back to restore
            trash.mkdir(exist_ok=True)
            kept = trash / path.name
            os.replace(path, kept)
            try:
                self._reindex()
            except RagError:
                os.replace(kept, path)  # put it back: the index still has it
                raise
        log.info("removed article %s (%s, kept as %s)", article.id, path, kept)
        return article

    def _check_corpus(self) -> None:
        """An ingest of a missing (or re-created, empty) corpus folder would drop every article the index holds."""
        if not self.settings.corpus_dir.is_dir():
            raise UsageError(render("EDIT_NO_CORPUS", folder=str(self.settings.corpus_dir)))

    def _reindex(self) -> IngestReport:
        """Incremental ingest with the loaded model, then swap in the new index. Call with ``_write`` held."""
        report = ingest(self.settings.corpus_dir, self.settings, embedder=self.embedder)
        assistant = Assistant(self.settings, load_index(self.settings), self.embedder)
        assistant.spelling.forms()  # read here, not on the first question to the new index
        with self._swap:
            self._assistant = assistant
        return report
