"""Questions about the collection itself, answered from the index's record with each article cited."""

from __future__ import annotations

import pytest

from rag.ask.assistant import Assistant
from rag.ask.collection import about_collection
from rag.ask.retrieve import Filters


@pytest.fixture(scope="module")
def assistant(seed_settings, embedder) -> Assistant:
    return Assistant.open(seed_settings, embedder)


@pytest.mark.parametrize("question", ["What articles do you have?", "Which articles are from 2016?",
                                      "How many stories are there?", "List the sources from The Independent",
                                      "What's in the collection?", "Which publishers?",
                                      "Which articles are about the 2023 pay dispute?",
                                      "Which articles mention Hunt?", "How many stories quote Malawana?",
                                      "Which article is from LabourList?"])
def test_questions_about_the_collection_are_seen(seed_index, question):
    assert about_collection(question, seed_index.articles)


@pytest.mark.parametrize("question", ["What articles say the strike was unsafe?", "Which article mentions Hunt?",
                                      "Which article reported 4,000 operations?", "What did the articles say?"])
def test_questions_about_what_the_articles_say_are_not(seed_index, question):
    assert not about_collection(question, seed_index.articles)


def test_every_article_is_listed_and_cited_to_its_opening(assistant):
    answer = assistant.ask("What articles do you have?")
    articles = assistant.index.articles
    assert answer.answerer == "collection" and not answer.refused
    assert {c.article.id for c in answer.citations} == set(articles)
    for c in answer.citations:
        assert c.article.title in answer.text and f"[{c.n}]" in answer.text
        assert c.chunk.start == min(p.start for p in assistant.passages(c.article.id))
        assert c.article.text[c.chunk.start:c.chunk.end] == c.chunk.text
    dates = [c.article.date for c in answer.citations]
    assert dates == sorted(dates, reverse=True)


def test_a_year_the_question_names_narrows_the_list(assistant):
    answer = assistant.ask("Which articles are from 2016?")
    assert answer.citations and all(c.article.date.startswith("2016") for c in answer.citations)
    assert len(answer.citations) == sum(a.date.startswith("2016") for a in assistant.index.articles.values())
    none = assistant.ask("Which articles are from 2019?")
    assert not none.citations and "2019" in none.text and not none.refused


def test_a_publisher_is_named_by_its_short_name_in_brackets(assistant):
    # "Revolutionary Socialism in the 21st Century (rs21)" is "rs21" to a reader.
    answer = assistant.ask("Which articles are from rs21?")
    assert answer.answerer == "collection" and len(answer.citations) == 1
    assert "(rs21)" in (answer.citations[0].article.publisher or "")
    said = assistant.ask("What does rs21 say?")
    assert said.answerer == "period" and {c.article.publisher for c in said.citations} == {
        answer.citations[0].article.publisher}


def test_the_chats_filters_narrow_the_list(assistant):
    answer = assistant.ask("What articles do you have?", filters=Filters(disputes=("2023 pay",)))
    assert answer.citations and {c.article.dispute for c in answer.citations} == {"2023 pay"}


def test_the_list_is_cut_at_collection_lines(assistant, seed_settings, embedder):
    short = Assistant(seed_settings.replace(collection_lines=2), assistant.index, embedder)
    answer = short.ask("What articles do you have?")
    assert len(answer.citations) == 2 and "3 more" in answer.text.splitlines()[-1]


def test_articles_mentioning_a_name_are_each_cited_to_a_sentence_naming_it(assistant):
    answer = assistant.ask("Which articles mention Malawana?")
    holding = {a.id for a in assistant.index.articles.values() if "Malawana" in a.text}
    assert answer.answerer == "collection" and {c.article.id for c in answer.citations} == holding
    for c in answer.citations:
        (start, end), = c.quotes
        assert c.chunk.start <= start < end <= c.chunk.end and "Malawana" in c.article.text[start:end]
    none = assistant.ask("Which articles mention Boris Johnson?")
    assert not none.citations and "Boris Johnson" in none.text and not none.refused
    dated = assistant.ask("Which articles mention Hunt in 2023?")
    assert not dated.citations and "2023" in dated.text
