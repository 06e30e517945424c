"""A greeting, thanks or a call for help gets the product's own reply, never a quote that matched its words."""

from __future__ import annotations

import pytest

from rag.ask.assistant import Assistant
from rag.ask.small_talk import small_talk
from rag.messages import render


@pytest.fixture(scope="module")
def assistant(seed_settings, embedder) -> Assistant:
    return Assistant.open(seed_settings, embedder)


@pytest.mark.parametrize("text, kind", [("Hi!", "hello"), ("good morning", "hello"), ("Thanks!", "thanks"),
                                        ("thank you so much", "thanks"), ("help", "help"), ("?", "help"),
                                        ("What can I ask?", "help"), ("Who are you?", "help"), ("🙂", "help")])
def test_small_talk_is_seen(text, kind):
    assert small_talk(text) == kind


@pytest.mark.parametrize("text", ["Who is Hunt?", "What do you know about Hunt?", "Thanks, and who is Barclay?",
                                  "Help for junior doctors?", "Hi, what did the BMA say?"])
def test_a_question_is_no_small_talk(text):
    assert small_talk(text) is None


def test_thanks_is_answered_in_the_products_words(assistant):
    # Searched as a question, "thanks!" was answered "Thanks to rs21 supporters for sending in pictures [1]."
    answer = assistant.ask("thanks!")
    assert answer.text == render("SMALL_TALK_THANKS") and not answer.citations and not answer.refused
    helped = assistant.ask("What can you do?")
    assert helped.answerer == "assistant" and str(len(assistant.index.articles)) in helped.text
    assert assistant.ask("What do you know about Malawana?").citations
