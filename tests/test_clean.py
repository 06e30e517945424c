"""Cleaning: publisher boilerplate goes, the reporting stays, mojibake is repaired."""

import re

import pytest
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.clean import clean_text, repair
from rag.text.load import load_corpus

BOILERPLATE = ["Your support", "donation", "paywall", "commenting forum", "Leave a Reply", "RELATED ARTICLES",
               "More from LabourList", "doc_markwinter", "24840146636_cf386e7737_k", "Credit:", "(pic:",
               "GET UPDATES FROM", "SHARE", "â–¶", "download our"]
CONTENT = ["Shifa hospital", "11 per cent", "Sir David Dalton", "Lord Falconer", "35% rise",
           "St Mary’s in Paddington"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.fixture(scope="module")
def seed_text():
    articles, _ = load_corpus(CORPUS)
    return "\n\n".join(a.text for a in articles)


@pytest.mark.parametrize("snippet", BOILERPLATE)
def test_seed_boilerplate_is_removed(seed_text, snippet):
    assert snippet not in seed_text


@pytest.mark.parametrize("snippet", CONTENT)
def test_seed_reporting_is_kept(seed_text, snippet):
    assert snippet in seed_text


def test_mojibake_is_repaired_and_curly_quotes_kept():
    assert repair("I donâ€™t know") == "I don’t know"
    assert repair("â–¶ Watch") == "▶ Watch"
    text = clean_text("He said “wholly unnecessary” and ‘no’ to talks.").text
    assert text == "He said “wholly unnecessary” and ‘no’ to talks."


def test_glued_sentences_are_split():
    text = clean_text("Your messages made all the difference.Pictures have emerged of medics in Gaza.").text
    assert "difference.\n\nPictures have emerged" in text


def test_appeals_go_but_quoted_speech_about_support_stays():
    raw = ("Doctors walked out across England on Tuesday.\n"
           "Your support helps us to tell the story\n"
           "The BMA chair said: “We are grateful for your support from patients across the country.”\n"
           "▶ Download our app for more news\n")
    text = clean_text(raw).text
    assert "“We are grateful for your support from patients across the country.”" in text
    assert "helps us to tell the story" not in text and "Download our app" not in text
    assert text.startswith("Doctors walked out")


def test_date_prefix_is_taken_out_of_the_text():
    cleaned = clean_text("date 2023-03-11 Junior doctors are due to strike.")
    assert cleaned.date == "2023-03-11" and cleaned.text == "Junior doctors are due to strike."


def test_a_page_date_stamp_is_the_date_and_a_date_in_a_sentence_is_reporting():
    raw = ("Doctors accept pay deal\nBy Health Correspondent\nWed 18 Sep 2024 10.05 BST\n"
           "Doctors voted on 17 September 2024 to accept the offer.\n")
    cleaned = clean_text(raw)
    assert cleaned.date == "2024-09-18"
    assert "10.05" not in cleaned.text and "Doctors voted on 17 September 2024 to accept the offer." in cleaned.text


@pytest.mark.parametrize("line, date", [
    ("18 September 2024", "2024-09-18"), ("Published: September 18, 2024", "2024-09-18"),
    ("Updated 2024-09-18 14:02", "2024-09-18"), ("1st March 2023", "2023-03-01"),
    ("Updated 10:12 AM GMT, September 18, 2024", "2024-09-18"), ("December 5, 2023 6:44 PM GMT", "2023-12-05"),
    ("Strike set for 18 September 2024", None), ("32 March 2023", None),
    ("For immediate release: 14 February 2024", "2024-02-14")])
def test_date_stamps_in_the_forms_publishers_print(line, date):
    assert clean_text(f"Headline\n{line}\nDoctors walked out.").date == date


def test_a_place_and_a_date_give_the_date_and_the_place_stays():
    # A debate's record, "House of Commons, 10 January 2024": undated, its "yesterday" fell in no year.
    cleaned = clean_text("Junior Doctors: Industrial Action\nHouse of Commons, 10 January 2024\nMs Lee: Will she?\n")
    assert cleaned.date == "2024-01-10" and "House of Commons, 10 January 2024" in cleaned.text
    assert clean_text("Headline\nthe strike, 10 January 2024\nDoctors walked out.\n").date is None


def test_share_bars_cookie_banners_and_inline_story_lists_go():
    raw = ("Facebook Twitter Email\nDoctors walked out on Tuesday.\nShare | X | WhatsApp | Copy link\n"
           "Twitter and Facebook filled with support for the doctors.\n"
           "Read more: Nurses reject pay award\nThe BMA said talks would resume.\n"
           "Cookies: we use cookies to improve your experience. Accept all | Manage preferences\n"
           "Related stories: Nurses reject pay award | GP practices begin collective action\n")
    assert clean_text(raw).text.split("\n\n") == [
        "Doctors walked out on Tuesday.", "Twitter and Facebook filled with support for the doctors.",
        "The BMA said talks would resume."]


def test_photo_furniture_and_a_topics_footer_go():
    raw = ("Doctors begin longest strike\nPublished\n3 January 2024\nShare\nSave\nImage source, Getty Images\n"
           "Image caption,\n"
           "Doctors on a picket line in London\nThis article is more than 2 years old\n"
           "Junior doctors in England have begun a six-day strike, the longest walkout in the NHS's history.\n"
           "The action started on Wednesday and runs until Tuesday 9 January, the BMA said.\n"
           "Related topics\nNHS\nStrikes\nReuse this content\n")
    cleaned = clean_text(raw)
    assert cleaned.date == "2024-01-03"
    assert cleaned.text.split("\n\n") == [
        "Doctors begin longest strike",
        "Junior doctors in England have begun a six-day strike, the longest walkout in the NHS's history.",
        "The action started on Wednesday and runs until Tuesday 9 January, the BMA said."]


@pytest.mark.parametrize("line", ["Our Standards: The Thomson Reuters Trust Principles.", "Updated 2 years ago",
                                  "Published 5 mins ago", "This interview has been edited for length and clarity.",
                                  "This conversation has been condensed and edited for clarity.",
                                  "The views expressed in this article are the author's own.",
                                  "Opinions expressed here are those of the writer."])
def test_relative_time_stamps_footers_and_disclaimers_go(line):
    assert clean_text(f"Doctors walked out on Tuesday.\n{line}\nThe BMA said talks would resume.").text == (
        "Doctors walked out on Tuesday.\n\nThe BMA said talks would resume.")


def test_a_live_blogs_controls_go_and_its_entries_keep_their_headings():
    # The key-events list repeats each entry's heading behind a relative time: kept, it made the heading itself
    # a repeat, and the entry lost it.
    raw = ("Doctors strike day one - live\nSkip to key events\nShow key events only\n"
           "Please turn on JavaScript to use this feature\nKey events\n1h ago Barclay: demands 'not affordable'\n"
           "Live feed\n16.05 BST\nBarclay: demands 'not affordable'\nSteve Barclay said the demand was unrealistic.\n"
           "Updated at 16.20 BST\nComments (312)")
    assert clean_text(raw).text.split("\n\n") == [
        "Doctors strike day one - live", "16.05 BST", "Barclay: demands 'not affordable'",
        "Steve Barclay said the demand was unrealistic."]


@pytest.mark.parametrize("line", ["By Jane Doe", "Reporting by Jane Doe; Editing by John Roe"])
def test_a_byline_and_wire_credits_stay_they_say_who_wrote_the_article(line):
    assert line in clean_text(f"Doctors walked out on Tuesday.\n{line}").text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_text_never_raises_and_leaves_no_control_characters(raw):
    text = clean_text(raw).text
    assert not CONTROL.search(text)
    assert text == text.strip()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Doctors strike.", "SHARE", "\x00", "â€™", "\r\n", "  ", "“Quote.”", "Ü", "\u200b"]),
                max_size=20).map("".join))
def test_clean_text_on_article_like_noise(raw):
    cleaned = clean_text(raw)
    assert not CONTROL.search(cleaned.text) and cleaned.dropped >= 0


def test_list_markers_are_not_part_of_the_sentences():
    raw = "How much do junior doctors earn?\n- A first-year junior doctor earns £29,384.\n• Registrars earn more.\n"
    assert clean_text(raw).text.split("\n\n") == [
        "How much do junior doctors earn?", "A first-year junior doctor earns £29,384.", "Registrars earn more."]
