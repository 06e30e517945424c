"""What an abbreviation stands for, answered from where an article spells it out, cited to that sentence."""

from __future__ import annotations

import pytest

from rag.ask.assistant import Assistant
from rag.ask.glossary import asked, spelt_out, written_out
from rag.ask.retrieve import Filters
from rag.types import Answer, Citation


@pytest.fixture(scope="module")
def assistant(seed_settings, embedder) -> Assistant:
    return Assistant.open(seed_settings, embedder)


@pytest.mark.parametrize("text, short, long", [
    ("with the Department of Health and Social Care (DHSC) since", "DHSC", "Department of Health and Social Care"),
    ("The BMA (British Medical Association) said", "BMA", "British Medical Association"),
    ("Central business districts (CBD) include Downtown", "CBD", "Central business districts"),
])
def test_a_long_form_beside_its_abbreviation_is_found(text, short, long):
    found = spelt_out(short, text)
    assert found is not None and found[0] == long and text[found[1][0]:found[1][1]] == long


@pytest.mark.parametrize("text, short", [("the service (NHS) said", "NHS"), ("Talks (DHSC) began", "DHSC"),
                                         ("the BMA said so", "BMA")])
def test_brackets_whose_words_do_not_give_the_letters_are_no_long_form(text, short):
    assert spelt_out(short, text) is None


@pytest.mark.parametrize("question, short", [("What is the BMA?", "BMA"), ("What does DHSC stand for?", "DHSC"),
                                             ("What is NHS short for?", "NHS"), ("What is the strike about?", ""),
                                             ("What is the BMA's demand?", ""), ("Who is Hunt?", ""),
                                             ("who is the bma", "BMA"), ("What is Acas?", "")])
def test_only_a_question_about_an_abbreviation_is_asked(question, short):
    assert asked(question) == short


def only_quote(answer: Answer) -> tuple[Citation, tuple[int, int]]:
    """The answer's one citation and the one sentence span it quotes (a glossary answer cites exactly that)."""
    (citation,) = answer.citations
    (span,) = citation.quotes
    return citation, span


def test_the_answer_cites_the_sentence_that_spells_it_out(assistant):
    # Searched like other questions, "What does DHSC stand for?" was refused.
    answer = assistant.ask("What does DHSC stand for?")
    assert answer.answerer == "glossary" and "Department of Health and Social Care" in answer.text
    c, (start, end) = only_quote(answer)
    assert "Department of Health and Social Care (DHSC)" in c.article.text[start:end]
    assert c.chunk.start <= start < end <= c.chunk.end
    assert assistant.ask("What is the GMB?").answerer != "glossary"  # no article spells it out


def test_the_chats_filters_choose_the_article_cited(assistant):
    for dispute in ("2016 contract", "2023 pay"):
        answer = assistant.ask("What is the BMA?", filters=Filters(disputes=(dispute,)))
        assert answer.answerer == "glossary" and {c.article.dispute for c in answer.citations} == {dispute}


def test_an_abbreviation_typed_in_lower_case_is_looked_for_in_capitals(assistant):
    # "who is the bma", as people type into a chat, was answered with a sentence about the BMA's committee.
    answer = assistant.ask("who is the bma")
    assert answer.answerer == "glossary" and "British Medical Association" in answer.text
    assert assistant.ask("what is the strike").answerer != "glossary"  # no article writes "(STRIKE)"


def test_an_abbreviation_written_out_apart_is_found_too(assistant):
    # No article writes "(NHS)"; one writes "the National Health Service" and "NHS" apart.
    answer = assistant.ask("What is the NHS?")
    assert answer.answerer == "glossary" and "“National Health Service”" in answer.text
    citation, (start, end) = only_quote(answer)
    assert "National Health Service" in citation.article.text[start:end]


def test_an_abbreviation_written_out_in_lower_case_is_found(assistant):
    # The email's "JDC has made the clear decision ..." beside "the BMA junior doctors’ committee": the model had
    # answered "JDC stands for Junior Doctors' Union [1].", and the check let it pass.
    answer = assistant.ask("What does JDC stand for?")
    assert answer.answerer == "glossary" and "“junior doctors’ committee”" in answer.text
    citation, (start, end) = only_quote(answer)
    assert "junior doctors’ committee" in citation.article.text[start:end]
    assert written_out("MP", "They must pay. MPs voted.") is None  # two letters are spelt by chance
