"""An open comparison ("Compare the 2016 and 2023 disputes") is answered with each side's opening lines, quoted."""

from __future__ import annotations

import pytest

from rag.ask.assistant import Assistant
from rag.ask.overview import openings, sides
from rag.ask.retrieve import Filters
from rag.index.versions import load_index
from conftest import indexed


@pytest.fixture(scope="module")
def assistant(seed_settings, embedder) -> Assistant:
    return Assistant.open(seed_settings, embedder)


@pytest.mark.parametrize("question, labels", [
    ("Compare the 2016 and 2023 disputes", ["2016", "2023"]),
    ("How did the 2016 dispute differ from the 2023 one?", ["2016", "2023"]),
    ("Compare the junior doctors' strikes in 2016 and 2023", ["2016", "2023"]),
    ("The 2016 vs. 2023 disputes", ["2016", "2023"]),
    ("What is the difference between the two disputes?", ["2016 contract dispute", "2023 pay dispute"]),
    ("What do both disputes have in common?", ["2016 contract dispute", "2023 pay dispute"]),
    ("what's the difference between the 2016 and 2023 reports", ["2016", "2023"]),
    ("Compare the Independent and LabourList articles", ["The Independent", "LabourList"]),  # publishers
])
def test_open_comparisons_name_their_sides(seed_index, question, labels):
    assert [label for label, _ in sides(question, seed_index.articles)] == labels


@pytest.mark.parametrize("question", [
    "How long was the 2016 strike compared with the 2023 one?",  # names what to compare
    "Why did the junior doctors strike in 2023, compared with 2016?",  # asks for reasons
    "Compare pay in 2016 and 2023",  # "pay" is asked about: no facet is named, so "2023 pay" names no side
    "What did the 2016 and 2023 articles say about Hunt?",  # no comparison
    "Compare the 2016 disputes",  # one side
    "How did the Independent and LabourList reports differ on pay?",  # names what to compare
    "Which disputes are covered?",
])
def test_other_questions_are_left_to_the_answerers(seed_index, question):
    assert sides(question, seed_index.articles) == []


def test_each_side_is_quoted_from_its_own_articles(assistant):
    answer = assistant.ask("Compare the 2016 and 2023 disputes")
    assert answer.answerer == "overview" and not answer.refused
    head, *lines = answer.text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["2016", "2023"]
    by_n = {c.n: c for c in answer.citations}
    for line, year in zip(lines, ["2016", "2023"]):
        cited = [by_n[n] for n in range(1, len(by_n) + 1) if f"[{n}]" in line]
        assert len(cited) == assistant.settings.overview_sentences
        for c in cited:
            assert c.article.date.startswith(year)
            (start, end), = c.quotes
            assert c.article.text[start:end] in line and c.chunk.start <= start < end <= c.chunk.end


def test_a_heading_or_caption_is_not_quoted(assistant):
    answer = assistant.ask("Compare the 2016 and 2023 strikes")
    for c in answer.citations:
        (start, end), = c.quotes
        quoted = c.article.text[start:end]
        assert quoted.rstrip("”’\"'").endswith((".", "!", "?")) and quoted != c.article.title


def test_filters_that_leave_one_side_hand_the_question_on(assistant):
    answer = assistant.ask("Compare the 2016 and 2023 disputes", filters=Filters(disputes=("2023 pay",)),
                           answerer="extractive")
    assert answer.answerer != "overview"


def test_a_signpost_opens_nothing_but_points_to_the_opening(tmp_path, embedder):
    # A live blog opens its summary with a line that points to it: that line states nothing, the next one does.
    live = ("Strike day one: walkout begins - live\n\n17.42 BST\n\nClosing summary\n\nThat's all from us today.\n\n"
            "Here is a summary of the first day of the strike in England:\n\n"
            "Tens of thousands of junior doctors walked out at 7am, the start of a 96-hour strike.\n\n"
            "The health secretary said the demand for a 35% rise was not affordable.\n")
    index = load_index(indexed(tmp_path, {"live.txt": live}, embedder))
    article = next(iter(index.articles.values()))
    found = openings(article, [c for c in index.chunks if c.article_id == article.id], index.sentences)
    assert [article.text[a:b] for _, _, (a, b), _ in found][:1] == [
        "Tens of thousands of junior doctors walked out at 7am, the start of a 96-hour strike."]
