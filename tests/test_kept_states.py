"""Fast mode (``llm_block_tokens`` above 0): a plain question makes the model read a block of whole passages,
the same block for every question about it, and the local model keeps its reading of that block: a later
question restores it instead of reading it again, with the same result. Real parts: the seed index, MiniLM,
and the SmolLM2 GGUF in-process.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[local]')")

from llm_servers import packaged_gguf  # noqa: E402

from rag.ask.assistant import Assistant  # noqa: E402
from rag.ask.evidence import block  # noqa: E402
from rag.ask.local_chat import LocalChat  # noqa: E402
from rag.types import Hit  # noqa: E402

HUNT = "What did Jeremy Hunt say about the strike?"
HUNT_AGAIN = "Who leads the talks for the government?"
BARCLAY = "How long will the March 2023 strike last?"


def local(settings, index, embedder, **changes) -> Assistant:
    fast = settings.replace(**{"answerer": "local", "llm_gguf": str(packaged_gguf()), "llm_block_tokens": 600,
                               **changes})
    return Assistant(fast, index, embedder)


def test_a_plain_question_reads_whole_passages_of_one_article(seed_settings, seed_index, embedder):
    assistant = local(seed_settings, seed_index, embedder)
    writer = assistant.answerer
    query = assistant.query(HUNT)
    shown = writer.excerpts(query, assistant.retrieve(query), seed_index.articles)
    article = seed_index.articles[shown[0].hit.chunk.article_id]
    assert {e.hit.chunk.article_id for e in shown} == {article.id}
    passages = [c.id for c in assistant.passages(article.id)]
    ids = [e.hit.chunk.id for e in shown]
    assert ids == passages[passages.index(ids[0]): passages.index(ids[0]) + len(ids)]  # consecutive, in order
    for e in shown:  # as written in the article, each sentence once
        assert e.text in article.text and e.text.strip()
    assert sum(writer.tokens(e.text) for e in shown[1:]) <= assistant.settings.llm_block_tokens
    focus = writer.focus(query, assistant.retrieve(query), shown, seed_index.articles).splitlines()[1:]
    assert focus  # the block's sentences most like the question, quoted again under their excerpt's number
    for line in focus:
        n, sentence = re.match(r"\[(\d+)\] > (.*)", line).groups()
        assert sentence in shown[int(n) - 1].text


def test_blocks_cut_each_article_into_runs_that_cover_every_sentence_once(seed_index, embedder, seed_settings):
    assistant = local(seed_settings, seed_index, embedder)
    count = assistant.answerer.tokens
    for article in seed_index.articles.values():
        passages = assistant.passages(article.id)
        runs: list = []
        for chunk in passages:  # the block of each passage: the same for every passage in it
            run = block(Hit(chunk, 1.0), passages, [], article.text, 200, count)
            assert chunk.id in [e.hit.chunk.id for e in run]
            if run not in runs:
                runs.append(run)
        spans = [span for run in runs for e in run for span in e.spans]
        assert sorted(spans) == sorted({s for c in passages for s in c.sentences})  # every sentence, once
        for run in runs:
            assert len(run) == 1 or sum(count(e.text) for e in run) <= 200
            for e in run:  # as written, from its first sentence not shown before to the passage's end
                assert e.text == article.text[e.spans[0][0]: e.hit.chunk.end]


def test_questions_about_one_block_share_the_opening_a_model_keeps(seed_settings, seed_index, embedder):
    assistant = local(seed_settings, seed_index, embedder)
    writer, articles = assistant.answerer, seed_index.articles
    openings = []
    for question in (HUNT, HUNT_AGAIN, BARCLAY):
        query = assistant.query(question)
        shown = writer.excerpts(query, assistant.retrieve(query), articles)
        user = writer.messages(query, shown, articles)[-1]["content"]
        keep = writer.kept(query, shown, articles)
        assert 0 < keep < len(user) and question not in user[:keep]
        openings.append((shown[0].hit.chunk.article_id, user[:keep]))
    (a, first), (b, second), (c, third) = openings
    assert (first == second) == (a == b) and first != third
    compare = assistant.query("Compare the 2016 and 2023 disputes")  # chosen for the question: nothing to keep
    shown = writer.excerpts(compare, assistant.retrieve(compare), articles)
    assert writer.kept(compare, shown, articles) == 0
    off = local(seed_settings, seed_index, embedder, llm_block_tokens=0).answerer  # the default: excerpts
    query = assistant.query(HUNT)
    hits = assistant.retrieve(query)
    shown = off.excerpts(query, hits, articles)
    assert off.kept(query, shown, articles) == 0  # chosen for this question: nothing worth keeping
    focus = off.focus(query, hits, shown, articles).splitlines()[1:]
    assert focus  # the excerpts' best lines, quoted again under their numbers
    for line in focus:
        n, sentence = re.match(r"\[(\d+)\] > (.*)", line).groups()
        assert sentence in shown[int(n) - 1].text


def test_a_kept_reading_gives_the_same_verdict_as_reading_again(seed_settings, seed_index, embedder):
    # Its own context size, so this test has a model (and kept states) of its own.
    assistant = local(seed_settings, seed_index, embedder, llm_context_tokens=2304)
    writer, articles = assistant.answerer, seed_index.articles
    model = writer.model
    assert isinstance(model, LocalChat)

    def verdict(question: str) -> float | None:
        query = assistant.query(question)
        shown = writer.excerpts(query, assistant.retrieve(query), articles)
        return model.verdict(writer.messages(query, shown, articles), writer.yes, writer.no,
                             writer.kept(query, shown, articles))

    first = verdict(HUNT)
    kept = model.model()[3]
    assert len(kept) == 1
    verdict(BARCLAY)  # another block: the model's context now holds something else
    assert len(kept) == 2
    again = verdict(HUNT)  # restored, not read again
    assert len(kept) == 2
    assert first == pytest.approx(again, abs=1e-6)
