"""Questions whose answer has a telltale shape ("which year", "how long since", "how many X") are answered
by a sentence of that shape."""

from pathlib import Path

import pytest
from conftest import write_corpus

from rag.ask.assistant import Assistant
from rag.index.ingest import ingest
from rag.ask.question import exact_slot
from rag.settings import Settings

PORTERS = ("Porters at the Royal Infirmary began a strike over pay and hours on Monday, the union said. "
           "It is the first walkout by hospital porters in the city in 30 years. "
           "The porters' strike began after talks with managers about pay and hours broke down last week. "
           "The union wants porters' pay restored to 2010 levels. "
           "Union leaders said porters' pay levels had fallen behind other hospital staff for a decade.")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder) -> Assistant:
    root: Path = tmp_path_factory.mktemp("slots")
    corpus = write_corpus(root / "corpus", {
        "porters.md": f"---\ntitle: Porters strike\npublisher: Test Wire\ndate: 2024-05-13\n---\n{PORTERS}\n"})
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    ingest(corpus, settings, embedder=embedder)
    return Assistant.open(settings, embedder=embedder)


@pytest.mark.parametrize("question, gold", [
    ("How long had it been since the previous walkout by porters?", "30 years"),
    ("Back to which year's levels do the union leaders want porters' pay to go in 2024?", "2010"),
])
def test_the_sentence_filling_the_slot_comes_first(assistant, question, gold):
    answer = assistant.ask(question)
    assert not answer.refused and gold in answer.text.split(" [")[0], answer.text


@pytest.mark.parametrize("question, sentence, fills", [
    ("Which year did the dispute begin, after the 2016 talks?", "The dispute began in 2012.", True),
    ("Which year did the dispute begin, after the 2016 talks?", "The 2016 talks failed.", False),
    ("In what year did they first strike?", "They struck in March.", False),
    ("How long had it been since the last national strike?", "It was the first national strike since 1975.", True),
    ("How long had it been since the last national strike?", "The strike lasted two days.", False),
    ("How many operations were postponed?", "About 4,000 operations were postponed.", True),
    ("How many operations were postponed?", "It lasted 4 days.", False),
])
def test_exact_slot(question, sentence, fills):
    assert exact_slot(question)(sentence) is fills


def test_questions_without_an_exact_slot():
    assert exact_slot("Why did the porters strike?") is None
    assert exact_slot("When did the strike begin?") is None
