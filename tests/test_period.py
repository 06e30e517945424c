"""What happened in a period ("What happened on January 12, 2016?") is answered with the opening lines of the
articles published then, quoted."""

from __future__ import annotations

import pytest

from rag.ask.assistant import Assistant
from rag.ask.period import asks_one_article, digest_of, published_in
from rag.ask.retrieve import Filters
from conftest import indexed
from rag.text.dateline import in_period, named_period


@pytest.fixture(scope="module")
def assistant(seed_settings, embedder) -> Assistant:
    return Assistant.open(seed_settings, embedder)


def told(tmp_path, embedder, files: dict[str, str], question: str):
    """An assistant over an index of ``files``, its answer to ``question``, and that answer's head and lines."""
    assistant = Assistant.open(indexed(tmp_path, files, embedder), embedder)
    answer = assistant.ask(question)
    head, *lines = answer.text.splitlines()
    return assistant, answer, head, lines


@pytest.mark.parametrize("text, period", [
    ("What happened on January 12, 2016?", "2016-01-12"),
    ("What happened on the 12th of January 2016?", "2016-01-12"),
    ("News from 2016-01-12?", "2016-01-12"),
    ("What was the news on 11 March?", "-03-11"),
    ("What happened on March 11th?", "-03-11"),
    ("What happened in March 2023?", "2023-03"),
    ("What happened in 2023?", "2023"),
    ("What happened in May?", None),  # a month alone is too often the verb
    ("What did they say on Tuesday?", None),
    ("What happened on 40 March?", None),
])
def test_a_period_is_read_as_the_start_of_an_iso_date(text, period):
    found = named_period(text)
    assert (found[0] if found else None) == period
    if found:
        assert found[1] in text


@pytest.mark.parametrize("question, dates", [
    ("What happened on January 12, 2016?", ["2016-01-12"]),
    ("What was the news on 11 March 2023?", ["2023-03-11"]),
    ("What happened in February 2016?", ["2016-02", "2016-02-10"]),
    ("What happened to the junior doctors in 2023?", ["2023-03-11"]),  # the collection's own topic
    ("What happened in the 2023 dispute?", ["2023-03-11"]),  # a facet the articles have (corpus.toml)
    ("Give me a timeline of 2023", ["2023-03-11"]),
    ("Give me an overview of the 2016 contract dispute", ["2016-01-12", "2016-01-13", "2016-02", "2016-02-10"]),
    ("What were the articles about in 2023?", ["2023-03-11"]),
])
def test_a_question_about_a_period_gets_its_articles(seed_index, question, dates):
    assert [a.date for a in published_in(question, seed_index.articles)] == dates


@pytest.mark.parametrize("question", [
    "What did the BMA say in March 2023?",  # asks about something in particular
    "Why did junior doctors strike on 12 January 2016?",
    "What happened on January 26?",  # a strike day the articles announce; no article came out then
    "What happens on February 10?",  # the articles announce a strike then, and an article came out that day
    "What happened in 2019?",
    "What happened in February?",
    "What happened to the talks in the 2023 dispute?",  # names the facet, and the talks besides
    "What happened with the contract in 2016?",  # a facet value's word, the facet unnamed
    "What days were the strikes in 2016?",  # asks for dates: every word else is framing or the topic
    "What were the doctors striking about in 2016?",  # asks a cause
])
def test_other_questions_are_left_to_the_answerers(seed_index, question):
    assert published_in(question, seed_index.articles) == []


@pytest.mark.parametrize("question, told", [
    ("Summarise the articles", True),
    ("What happened?", True),
    ("Give me a timeline", True),
    ("Tell me about the disputes", True),  # a facet the articles have
    ("Catch me up", True),
    ("tl;dr", True),
    ("Explain the dispute simply", True),  # a facet and framing words
    ("Explain full pay restoration", False),
    ("What's going on with the junior doctors?", True),
    ("What happened to the junior doctors?", True),  # the collection's own topic
    ("What is it?", False),  # asks for no gist
    ("What are the articles about?", True),  # an "about" with nothing after it, of the articles themselves
    ("What is this all about?", True),
    ("What is the strike about?", True),  # the collection's own topic: each article's opening says
    ("What is the pay offer about?", False),  # asks what something in them is about
    ("Summarise the pay offer", False),  # asks about something in particular
    ("Why did it happen?", False),
    ("What happened in 2016?", False),  # a period: published_in's
    ("What did the Independent report?", True),  # a publisher: its articles only
    ("What did the Independent say about Hunt?", False),
])
def test_the_gist_of_the_whole_collection_is_asked_for(seed_index, question, told):
    assert bool(digest_of(question, seed_index.articles)) == told


def test_the_whole_collection_is_told_oldest_first(assistant):
    answer = assistant.ask("Summarise the articles")
    head, *lines = answer.text.splitlines()
    dates = [c.article.date for c in answer.citations]
    assert answer.answerer == "period" and "5 of 5" in head
    assert len(lines) == 5 and dates == sorted(dates) and len(set(dates)) == 5


def test_a_publisher_named_is_told_by_its_own_articles(assistant):
    answer = assistant.ask("What did the Independent report?")
    head, *lines = answer.text.splitlines()
    assert answer.answerer == "period" and "The Independent" in head and len(lines) == 1
    assert {c.article.publisher for c in answer.citations} == {"The Independent"}


def test_undated_articles_are_told_without_dates(tmp_path, embedder):
    _, answer, head, lines = told(tmp_path, embedder, {
        "bees.txt": "Honey bees\n\nA honey bee colony has one queen and thousands of workers. Worker bees build the "
                    "comb from wax.\n",
        "light.txt": "The lighthouse\n\nThe Lighthouse of Alexandria stood on the island of Pharos. An earthquake "
                     "damaged the lighthouse in 956.\n"}, "Summarise the articles")
    assert answer.answerer == "period" and "oldest" not in head and "2 of 2" in head
    assert len(lines) == 2 and not any("()" in line for line in lines)


def test_a_follow_up_asking_what_happened_is_no_digest(assistant):
    talk = [{"role": "user", "content": "Tell me about the strike in March 2023"},
            {"role": "assistant", "content": "Junior doctors are due to strike for three days [1]."}]
    assert assistant.ask("What happened?", talk, answerer="extractive").answerer != "period"


def test_each_article_of_the_day_is_quoted_from_its_opening(assistant):
    answer = assistant.ask("What happened on January 12, 2016?")
    assert answer.answerer == "period" and not answer.refused
    head, *lines = answer.text.splitlines()
    assert "January 12, 2016" in head and len(lines) == 1
    assert {c.article.date for c in answer.citations} == {"2016-01-12"}
    assert len(answer.citations) == assistant.settings.overview_sentences
    for c in answer.citations:
        (start, end), = c.quotes
        assert c.article.text[start:end] in lines[0] and c.chunk.start <= start < end <= c.chunk.end
        assert start < len(c.article.text) // 3  # from its opening


def test_an_article_opens_after_its_own_headline(assistant):
    # A page printed a photo's caption above the headline; the caption is no part of what the article opens with.
    answer = assistant.ask("What was reported in February 2016?")
    assert answer.answerer == "period"
    article, quotes = next((c.article, c.quotes) for c in answer.citations if c.article.title in c.article.text)
    assert quotes[0][0] > article.text.index(article.title)


def test_every_article_of_a_month_gets_a_line_in_date_order(assistant):
    answer = assistant.ask("What happened in February 2016?")
    head, *lines = answer.text.splitlines()
    dates = [c.article.date for c in answer.citations]
    assert len(lines) == 2 and dates == sorted(dates)


def test_many_articles_are_told_by_their_first_opening_sentence_each(assistant):
    answer = assistant.ask("What happened in 2016?")
    head, *lines = answer.text.splitlines()
    assert len(lines) == 4 and len(answer.citations) == 4 and all(line.count(" [") == 1 for line in lines)


def test_filters_that_leave_none_hand_the_question_on(assistant):
    answer = assistant.ask("What happened in March 2023?", filters=Filters(disputes=("2016 contract",)),
                           answerer="extractive")
    assert answer.answerer != "period"


def test_in_period_reads_partial_dates():
    assert in_period("2016-02-10", "2016-02") and in_period("2016-02-10", "-02-10")
    assert not in_period("2016-02", "2016-02-10") and not in_period(None, "2016")


def test_the_gist_of_one_article_is_its_opening(tmp_path, embedder):
    # "Summarise the debate in the Commons" was refused, and a question asking for "a summary of the interview"
    # matched a live blog's "Here is a summary" best: the article is picked by the question's other words.
    assistant, answer, head, lines = told(tmp_path, embedder, {
        "live.txt": "Strike day one - live\n\nHere is a summary of the first day of the strike. Doctors walked out "
                    "at 7am. Pickets formed outside the hospital.\n",
        "talk.txt": "A doctor on why she strikes\n\nThe Interview\n\nDr Ann Lee is a foundation doctor in Leeds. "
                    "She will join the walkout in July.\n"}, "Give me a summary of the interview")
    assert answer.answerer == "period" and "most like your question" in head and len(lines) == 1
    assert {c.article.id for c in answer.citations} == {"talk"} and "Ann Lee" in lines[0]
    # A name no article mentions is refused, not given the nearest article.
    assert assistant.ask("Summarise the article about Gaza").refused
    # Of all the articles, or asking something of one, no single article is picked.
    assert assistant.ask("Summarise the articles").text.startswith("What the articles open with")
    assert assistant.ask("What did the interview say about July?", answerer="extractive").answerer != "period"


def test_a_piece_named_by_its_kind_is_the_one_presenting_itself_so(tmp_path, embedder):
    # "What does the opinion piece argue?" was refused, and "Give me the gist of the opinion piece" told the
    # live blog, whose passages hold the word "opinion": a kind of piece is told by how a piece presents itself.
    _, answer, head, lines = told(tmp_path, embedder, {
        "live.txt": "Strike day one - live\n\nReaders sent us their opinion of the strike. Opinion pieces poured "
                    "in. Doctors walked out at 7am.\n",
        "view.txt": "I have worked in the NHS for twenty years\n\nEvery winter the wards fill by noon. The doctors "
                    "who keep them open deserve a rise.\n",
        "talk.txt": "A doctor on why she strikes\n\nThe Interview\n\nDr Ann Lee is a foundation doctor in Leeds. "
                    "She will join the walkout in July.\n"}, "What does the opinion piece argue?")
    assert answer.answerer == "period" and "most like your question" in head
    assert {c.article.id for c in answer.citations} == {"view"} and "Every winter" in lines[0]


@pytest.mark.parametrize("question, one", [
    ("What's the interview about?", True),
    ("What happened in the interview?", True),
    ("What did the interview say about July?", False),  # asks something of it
    ("What did the article say?", False),  # names no piece in particular
])
def test_a_question_on_a_named_piece_alone_asks_its_gist(question, one):
    assert asks_one_article(question) is one
