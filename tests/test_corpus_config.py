"""A corpus describes itself in corpus.toml: title, intro, example questions, facets; defaults without it."""

import pytest
from conftest import CORPUS, write_corpus

from rag.ask.retrieve import Filters
from rag.errors import UsageError
from rag.text.corpus_config import read_config
from rag.text.load import corpus_fingerprint, load_corpus
from rag.settings import Settings

BODY = "Volunteers cleared the beach on Saturday. The council thanked them. More sessions are planned."
OWN = """title = "Parish news"
intro = "Ask about the parish."
examples = ["Who cleared the beach?"]

[[facets]]
name = "parish"
label = "Parish"
ranges = { "Old parish" = ["1990-01-01", "1999-12-31"] }
"""


def test_seed_corpus_keeps_its_title_examples_and_dispute_facet():
    config = read_config(CORPUS)
    assert config.title == "Junior doctors' disputes: ask the news"
    assert "Who invited the BMA to pay talks in 2023?" in config.examples and "junior doctors" in config.intro
    assert [(f.name, f.label) for f in config.facets] == [("dispute", "Dispute")]
    assert [v for v, _, _ in config.facets[0].ranges] == ["2016 contract", "2023 pay"]


def test_own_corpus_file_gives_its_title_and_facet(tmp_path):
    folder = write_corpus(tmp_path / "parish", {"corpus.toml": OWN,
                                                "a.txt": f"---\ntitle: Beach\nparish: St Ives\n---\n{BODY}",
                                                "b.txt": f"---\ntitle: Fete\ndate: 1995-06-01\n---\n{BODY} Again."})
    config = read_config(folder)
    assert (config.title, config.intro, config.examples) == ("Parish news", "Ask about the parish.",
                                                            ("Who cleared the beach?",))
    articles, skipped = load_corpus(folder)
    assert skipped == []  # corpus.toml is not read as an article
    by_id = {a.id: a for a in articles}
    assert by_id["a"].facets == (("parish", "St Ives"),) and by_id["a"].dispute is None
    assert by_id["b"].facet("parish") == "Old parish" and "parish" in by_id["b"].inferred
    assert Filters(facets=(("parish", ("St Ives",)),)).for_store().facets == (("parish", frozenset({"St Ives"})),)


def test_folder_without_the_file_gets_neutral_defaults(tmp_path):
    folder = write_corpus(tmp_path / "my_archive", {"a.txt": f"---\ndispute: 2023 pay\ndate: 2023-03-01\n---\n{BODY}"})
    config = read_config(folder)
    assert (config.title, config.examples, config.facets) == ("My archive", (), ())
    assert read_config(write_corpus(tmp_path / "corpus", {})).title == "News articles"
    (article,), _ = load_corpus(folder)
    assert article.facets == () and article.date == "2023-03-01"


def test_editing_the_corpus_file_changes_the_fingerprint(tmp_path):
    folder = write_corpus(tmp_path / "parish", {"corpus.toml": OWN, "a.txt": BODY})
    before = corpus_fingerprint(folder, Settings())
    (folder / "corpus.toml").write_text(OWN.replace("1999", "2029"))
    assert corpus_fingerprint(folder, Settings()) != before


@pytest.mark.parametrize("text, says", [
    ("title = ", "corpus file"),
    ("colour = 'blue'", "unknown key 'colour'"),
    ("examples = 'one question'", "examples must be a list"),
    ("[[facets]]\nlabel = 'No name'", "each facet needs a name"),
    ("[[facets]]\nname = 'date'", "already an article field"),
    ("[[facets]]\nname = 'x'\nranges = { a = ['2020-01-01'] }", "must be [first, last]"),
])
def test_malformed_file_is_a_one_line_error_naming_it(tmp_path, text, says):
    folder = write_corpus(tmp_path / "bad", {"corpus.toml": text, "a.txt": BODY})
    for read in (read_config, load_corpus):
        with pytest.raises(UsageError) as caught:
            read(folder)
        message = str(caught.value)
        assert "\n" not in message and str(folder / "corpus.toml") in message and says in message
