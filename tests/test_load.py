"""Loading articles from every supported format, and skipping what cannot be used, with a reason."""

import json
import logging

import pytest
from conftest import CORPUS, write_corpus

from rag.errors import CorpusError, UsageError
from rag.text.load import load_corpus

BODY = "Junior doctors walked out on Monday over pay. The BMA said talks had failed. Hospitals coped."

HTML = """<!DOCTYPE html>
<html lang="en"><head>
  <meta charset="utf-8">
  <title>Junior doctors walk out over pay | Health Daily</title>
  <meta property="og:site_name" content="Health Daily">
  <meta property="og:title" content="Junior doctors walk out over pay">
  <meta property="article:published_time" content="2023-04-11T07:00:00Z">
  <link rel="canonical" href="https://healthdaily.example/news/junior-doctors-walk-out">
</head><body>
  <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
  <header><div class="logo">Health Daily</div></header>
  <main><article>
    <h1>Junior doctors walk out over pay</h1>
    <p>Junior doctors in England began a four-day walkout on Tuesday after talks with the Health Secretary
    broke down without an agreement on pay.</p>
    <p>The British Medical Association said its members had seen their real-terms pay fall by more than a
    quarter since 2008, and that a full restoration of pay was needed to keep doctors in the NHS.</p>
    <p>Hospitals cancelled thousands of routine operations and outpatient appointments, while consultants
    were drafted in to cover emergency departments across the country.</p>
  </article></main>
  <footer><p>Copyright 2023 Health Daily. All rights reserved.</p><a href="/privacy">Privacy policy</a>
  <a href="/contact">Contact us</a></footer>
</body></html>
"""


@pytest.fixture
def corpus_writer(tmp_path):
    """Folders labelled like the seed corpus: its corpus.toml names the dispute facet and its date ranges."""
    seed = (CORPUS / "corpus.toml").read_text()
    return lambda files, name="corpus": write_corpus(tmp_path / name, {"corpus.toml": seed, **files})


def load_one(corpus_writer, name, content):
    articles, skipped = load_corpus(corpus_writer({name: content}))
    assert skipped == [] and len(articles) == 1
    return articles[0]


def test_seed_corpus_metadata_comes_from_front_matter():
    articles, skipped = load_corpus(CORPUS)
    assert skipped == [] and len(articles) == 5
    by_id = {a.id: a for a in articles}
    first = by_id["000_f7e38b6d1dd121ab"]
    assert first.title == "Junior doctors strike: Gaza medics send messages of support"
    assert (first.publisher, first.date, first.dispute) == ("The Independent", "2016-01-13", "2016 contract")
    assert by_id["003_99db8737d1d6729b"].date == "2016-02" and by_id["003_99db8737d1d6729b"].publisher == "LabourList"
    assert by_id["004_793f16cd026eeeb3"].dispute == "2023 pay"
    for a in articles:
        assert a.title and a.date and a.dispute and a.text and len(a.checksum) == 64
        assert not a.text.startswith("---") and "title:" not in a.text[:200]


def test_txt_with_front_matter(corpus_writer):
    a = load_one(corpus_writer, "fm.txt", f"---\ntitle: Walkout\npublisher: Daily\ndate: 2016-01-12\n"
                                          f"url: https://x.example/a\n---\n{BODY}")
    assert (a.id, a.title, a.publisher, a.date, a.url) == ("fm", "Walkout", "Daily", "2016-01-12", "https://x.example/a")
    assert a.dispute == "2016 contract" and a.inferred == ("dispute",)
    assert a.text == BODY


def test_txt_without_metadata_infers_date_dispute_and_title(corpus_writer):
    a = load_one(corpus_writer, "plain.txt", f"date 2023-03-11 Strike called for Monday\n{BODY}")
    assert a.date == "2023-03-11" and a.dispute == "2023 pay"
    assert a.title == "Strike called for Monday"  # the first line
    assert set(a.inferred) == {"date", "dispute", "title"}
    assert a.publisher is None and "2023-03-11" not in a.text


def test_a_pasted_page_takes_its_headline_and_date_stamp_not_its_share_bar(corpus_writer):
    raw = f"Share this article\nFacebook Twitter Email\n\nDoctors accept pay deal\n\n18 September 2024\n\n{BODY}"
    a = load_one(corpus_writer, "pasted.txt", raw)
    assert (a.title, a.date) == ("Doctors accept pay deal", "2024-09-18")
    assert a.text == f"Doctors accept pay deal\n\n{BODY}"


def test_a_wire_story_names_its_agency_as_publisher(corpus_writer):
    raw = ("Doctors to strike for six days\nBy Jane Doe\nDecember 5, 2023 6:44 PM GMT\nUpdated 2 years ago\n"
           f"LONDON, Dec 5 (Reuters) - {BODY}\nReporting by Jane Doe; Editing by John Roe\n")
    a = load_one(corpus_writer, "wire.txt", raw)
    assert (a.publisher, a.date) == ("Reuters", "2023-12-05") and {"publisher", "date"} <= set(a.inferred)
    assert a.text == (f"Doctors to strike for six days\n\nBy Jane Doe\n\nLONDON, Dec 5 (Reuters) - {BODY}\n\n"
                      "Reporting by Jane Doe; Editing by John Roe")


def test_a_section_label_above_the_headline_is_not_the_title(corpus_writer):
    a = load_one(corpus_writer, "kicker.txt", f"Junior doctors\nDoctors warn of a very difficult week\n{BODY}")
    assert a.title == "Doctors warn of a very difficult week"


def test_markdown_markup_is_reduced_to_text(corpus_writer):
    md = ("---\ntitle: Markdown piece\n---\n# The big walkout\n\n"
          "Doctors **walked out** on *Monday*, said [the BMA](https://bma.example/news).\n\n"
          "![a picket](pic.jpg)\n\n#JuniorDoctorsStrike trended all day.\n\n- Talks resume next week.\n")
    a = load_one(corpus_writer, "piece.md", md)
    assert a.title == "Markdown piece"
    assert a.text.startswith("The big walkout")
    assert "Doctors walked out on Monday, said the BMA." in a.text
    assert "#JuniorDoctorsStrike trended all day." in a.text  # a hashtag is not a heading
    assert "Talks resume next week." in a.text
    for markup in ("**", "](", "![", "https://", "pic.jpg", "- Talks"):
        assert markup not in a.text


def test_html_main_text_and_metadata(corpus_writer):
    a = load_one(corpus_writer, "page.html", HTML)
    assert a.title == "Junior doctors walk out over pay"
    assert a.publisher == "Health Daily"
    assert a.date == "2023-04-11" and a.dispute == "2023 pay"
    assert "four-day walkout" in a.text and "drafted in to cover emergency departments" in a.text
    for furniture in ("Privacy policy", "Contact us", "All rights reserved", "Sport", "<p>"):
        assert furniture not in a.text


def test_jsonl_skips_bad_lines_with_file_and_line(corpus_writer):
    lines = [
        json.dumps({"id": "j1", "title": "First", "text": BODY, "date": "2016-02-10"}),
        "{not json",
        json.dumps({"id": "j2", "title": "No text here"}),
        json.dumps({"title": "Second", "body": "Consultants covered the wards. Patients were warned."}),
    ]
    articles, skipped = load_corpus(corpus_writer({"feed.jsonl": "\n".join(lines) + "\n"}))
    assert [a.id for a in articles] == ["j1", "feed-4"]
    assert articles[0].dispute == "2016 contract" and articles[1].title == "Second"
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert set(reasons) == {"feed.jsonl:2", "feed.jsonl:3"}
    assert "invalid JSON" in reasons["feed.jsonl:2"] and "text" in reasons["feed.jsonl:3"]


def test_unusable_files_are_skipped_with_reasons(corpus_writer, caplog):
    folder = corpus_writer({
        "good.txt": BODY,
        "report.pdf": b"%PDF-1.4 binary",
        "latin1.txt": "Caf\u00e9 doctors strike today.".encode("latin-1"),
        "empty.txt": "",
        "copy.txt": BODY,  # the same article under another name
        "broken.md": "---\ntitle: [unclosed\n---\nSome text about a strike.",
    })
    with caplog.at_level(logging.WARNING, logger="rag.text.load"):
        articles, skipped = load_corpus(folder)
    assert [a.id for a in articles] == ["copy"]  # files load in name order; good.txt is its duplicate
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert set(reasons) == {"report.pdf", "latin1.txt", "empty.txt", "good.txt", "broken.md"}
    assert "unsupported" in reasons["report.pdf"] and "UTF-8" in reasons["latin1.txt"]
    assert "no article text" in reasons["empty.txt"] and "duplicate" in reasons["good.txt"]
    assert "front matter" in reasons["broken.md"]
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert "report.pdf" in warned and "latin1.txt" in warned


def test_empty_corpus_folder_is_a_corpus_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no readable article"):
        load_corpus(tmp_path / "empty")


def test_missing_corpus_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        load_corpus(tmp_path / "nowhere")
