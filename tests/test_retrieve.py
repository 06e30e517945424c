"""Retrieval on small real corpora: the years and months a question names, and words written with or without a
hyphen."""

from pathlib import Path

import pytest
from conftest import write_corpus

from rag.ask.assistant import Assistant
from rag.index.ingest import ingest
from rag.settings import Settings
from rag.text.words import words

STRIKE = ("Junior doctors in England walked out over pay on Monday, the British Medical Association said. "
          "Hospitals postponed operations and outpatient appointments across the country.")


def article(date: str, body: str) -> str:
    return f"---\ntitle: Doctors strike\npublisher: Test Wire\ndate: {date}\n---\n{body}\n"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder) -> Assistant:
    root: Path = tmp_path_factory.mktemp("years")
    corpus = write_corpus(root / "corpus", {
        "a2016.md": article("2016-01-12", STRIKE),
        "b2023.md": article("2023-03-13", "Junior doctors began a three-day strike over pay restoration, the BMA "
                                          "said. Clinics were cancelled as trainee medics joined picket lines."),
        "c2016.md": article("2016-02-10", "Registrars joined a 24-hour walk-out at the Kite Unit. "
                                          "Managers said cover was arranged by consultants."),
    })
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    ingest(corpus, settings, embedder=embedder)
    return Assistant.open(settings, embedder=embedder)


@pytest.mark.parametrize("year", ["2016", "2023"])
def test_a_named_year_prefers_articles_dated_then(assistant, year):
    hits = assistant.search(f"Why did junior doctors walk out over pay in {year}?")
    assert hits[0].chunk.article_id.startswith(("a" if year == "2016" else "b") + year)


@pytest.mark.parametrize("month, first", [("January", "a2016"), ("February", "c2016")])
def test_a_named_month_prefers_articles_dated_then(assistant, month, first):
    # Both 2016 reports are of a walk-out; "the February strike" is the one dated in February, though no
    # report writes its own month.
    hits = assistant.search(f"Who walked out in the {month} strike?")
    assert hits[0].chunk.article_id.startswith(first)


def test_without_a_year_both_reports_are_found(assistant):
    hits = assistant.search("Why did junior doctors walk out over pay?")
    assert {h.chunk.article_id[:5] for h in hits[:2]} == {"a2016", "b2023"}


def test_a_comparison_of_years_survives_a_year_no_article_is_dated_in(assistant):
    both = assistant.search("Compare the 2016 and 2023 strikes")
    assert {h.chunk.article_id[:5] for h in both} == {"a2016", "b2023", "c2016"}
    # No article is dated 2019: that year's search finds nothing, which must not empty the comparison.
    hits = assistant.search("How did the 2016 strike compare with the 2019 one?")
    assert {h.chunk.article_id[:5] for h in hits} >= {"a2016", "c2016"}


def test_the_latest_news_is_searched_in_the_newest_articles_first(assistant):
    # "Why did doctors walk out?" finds the 2016 walk-out first; asked for the latest, the 2023 strike comes first.
    assert assistant.search("Why did junior doctors walk out over pay?")[0].chunk.article_id.startswith("a2016")
    query = assistant.query("What is the latest on the junior doctors walking out over pay?")
    assert assistant.retrieve(query)[0].chunk.article_id.startswith("b2023")
    assert query.question.endswith("over pay in 2023?") and "Read “latest” as 2023" in " ".join(query.notes)
    assert {h.chunk.article_id[:5] for h in assistant.retrieve(query)} == {"a2016", "b2023", "c2016"}
    assert not assistant.query("What was the latest offer in 2016?").notes  # a year named: that year rules


def test_a_question_typed_without_its_capital_and_mark_is_searched_as_asked(assistant):
    # Typed in a chat as "why did junior doctors walk out over pay in 2023", a question was embedded without its
    # question mark and could find other passages than the same question typed in full.
    typed, asked = (assistant.query(q) for q in ("why did junior doctors walk out over pay in 2023",
                                                 "Why did junior doctors walk out over pay in 2023?"))
    assert typed.question != asked.question and (typed.vector == asked.vector).all()
    assert [h.chunk.id for h in assistant.retrieve(typed)] == [h.chunk.id for h in assistant.retrieve(asked)]


def test_a_contraction_typed_without_its_apostrophe_is_searched_as_written_with_it(assistant):
    # "whos the BMA chair" was refused: read word for word, "whos" asks nothing (no question word for the kind of
    # answer, the search or the model), and no question mark followed.
    typed, asked = ("whos the chair of the BMA committee in 2016", "Who's the chair of the BMA committee in 2016?")
    assert (assistant.query(typed).vector == assistant.query(asked).vector).all()
    assert [h.chunk.id for h in assistant.search(typed)] == [h.chunk.id for h in assistant.search(asked)]
    assert assistant.ask(typed).text == assistant.ask(asked).text


def test_hyphenated_and_joined_spellings_match():
    assert "walkout" in words("a 24-hour walk-out") and "walkout" in words("the walkout")
    assert "reballot" in words("they will re-ballot members")


def test_lexical_search_finds_the_other_spelling(assistant):
    found = assistant.index.lexical.search("walkout", 3)
    assert found[0][0].startswith("c2016")


def test_a_month_a_question_names_is_known_from_the_articles_dates(assistant):
    # No article writes "March"; the 2023 one is dated 2023-03-13. The question was refused: "none of them
    # mentions March".
    query = assistant.query("How long was the March 2023 strike?")
    answer = assistant.extractive.answer(query, assistant.retrieve(query), assistant.index.articles)
    assert not answer.refused and "three-day strike" in answer.text


def _quoting(tmp_path: Path, embedder, name: str, date: str, body: str):
    """The quoted (extractive) answer to a question, over a corpus of one article."""
    corpus = write_corpus(tmp_path / "corpus", {name: article(date, body)})
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    ingest(corpus, settings, embedder=embedder)
    assistant = Assistant.open(settings, embedder=embedder)

    def quoted(question: str) -> str:
        query = assistant.query(question)
        return assistant.extractive.answer(query, assistant.retrieve(query), assistant.index.articles).text

    return quoted


def test_an_explainers_headings_are_never_quoted_but_lead_to_their_answers(tmp_path, embedder):
    quoted = _quoting(tmp_path, embedder, "explainer.md", "2023-04-12", (
        "What do junior doctors want?\n\nThe BMA wants full pay restoration, a 35% rise.\n\n"
        "What happens to patients?\n\nEmergency care will be prioritised during the walkout.\n\n"
        "Hospital managers said many patients were worried about cancelled appointments."))
    assert "?" not in quoted("What do junior doctors want?") and "full pay restoration" in quoted(
        "What do junior doctors want?")
    # The heading asks what the paragraph under it answers, in words the answer itself does not use.
    assert quoted("What happens to patients?").startswith("Emergency care will be prioritised")


def test_every_sentence_of_an_interviews_answer_is_read_with_its_question(tmp_path, embedder):
    # The answer's first sentence is too short to score ("Yes."): the heading must still reach the next one.
    quoted = _quoting(tmp_path, embedder, "interview.md", "2023-07-08", (
        "Dr Sarah Khan, 29, is a junior doctor in Manchester who will join the July walkout.\n\n"
        "Are you thinking of leaving?\n\nYes. Half my friends from medical school have already gone to Australia.\n\n"
        "What do you say to patients whose operations are cancelled?\n\n"
        "I am sorry. But the NHS cannot keep patients safe if it cannot keep its doctors."))
    assert quoted("Is she thinking of leaving?").startswith("Half my friends from medical school")
    assert quoted("What does she say to patients whose operations are cancelled?").startswith("But the NHS")
