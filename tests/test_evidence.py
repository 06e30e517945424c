"""What the model reads: excerpts are real sentences of their passages, within the budget, and only the best
sentence brings its neighbours."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from rag.ask.evidence import excerpts
from rag.errors import UsageError
from rag.settings import Settings
from rag.text.sentences import sentence_spans
from rag.types import Chunk, Hit


def _passage(lengths: list[int]) -> tuple[str, Chunk]:
    sentences = [" ".join(f"w{i}x{j}" for j in range(n)) + "." for i, n in enumerate(lengths)]
    text = " ".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 1
    return text, Chunk("a#0", "a", text, 0, len(text), tuple(spans))


def _words(text: str) -> int:
    return len(text.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=12), st.data(), st.integers(0, 80), st.integers(0, 3))
def test_excerpts_are_sentences_within_budget(lengths, data, budget, lead):
    text, chunk = _passage(lengths)
    order = data.draw(st.permutations(range(len(lengths))))
    ranked = [(0, chunk.sentences[i]) for i in order]
    shown = excerpts(ranked, [Hit(chunk, 1.0)], {"a": text}, budget, _words, neighbours=1, lead=lead)
    spans = [span for e in shown for span in e.spans]
    assert all(span in chunk.sentences for span in spans) and spans == sorted(spans)
    assert sum(_words(text[a:b]) for a, b in spans) <= budget
    for e in shown:  # the excerpt is those sentences, word for word, with "..." where text is skipped
        assert e.text.replace("...", " ").split() == " ".join(text[a:b] for a, b in e.spans).split()
    # Neighbours come only with the first `lead` sentences taken; every other sentence shown was ranked.
    taken = [span for _, span in ranked if span in spans]
    near = set()
    for span in taken[:lead]:
        i = chunk.sentences.index(span)
        near.update(chunk.sentences[max(0, i - 1): i + 2])
    assert set(spans) <= near | set(taken)


def test_the_best_sentence_brings_its_neighbours_and_the_rest_come_alone():
    text, chunk = _passage([3, 3, 3, 3, 3, 3, 3])
    s = chunk.sentences
    shown = excerpts([(0, s[3]), (0, s[0]), (0, s[6])], [Hit(chunk, 1.0)], {"a": text}, 100, _words)
    assert shown[0].spans == (s[0], s[2], s[3], s[4], s[6])


def test_negative_neighbours_are_refused_in_one_line():
    with pytest.raises(UsageError, match="RAG_LLM_NEIGHBOURS_FOR"):
        Settings.from_env({"RAG_LLM_NEIGHBOURS_FOR": "-1"})


def test_a_sentence_under_a_heading_that_asks_is_shown_with_it():
    # An interview's answer speaks as "I" and answers the heading above it: shown alone, "Half my friends have
    # gone to Australia." did not tell the model that it answers "Are you thinking of leaving?". The answer's
    # start comes too: an explainer's "What do they want? ... It says pay has fallen by 26%." read as the answer,
    # with "The BMA wants full pay restoration." left out between them.
    text = "Dr Khan strikes today.\n\nAre you thinking of leaving?\n\nYes. Half my friends have gone to Australia."
    spans = tuple(sentence_spans(text))
    chunk = Chunk("a#0", "a", text, 0, len(text), spans)
    [shown] = excerpts([(0, spans[3])], [Hit(chunk, 1.0)], {"a": text}, 100, _words, neighbours=0)
    assert shown.text == "... Are you thinking of leaving? Yes. Half my friends have gone to Australia."


def test_a_sentence_in_a_transcripts_turn_is_shown_with_who_speaks():
    # "But I cannot negotiate ..." runs on a turn opened by "Victoria Atkins: ..." two paragraphs up: shown alone,
    # the model cannot tell whose words they are.
    text = ("Ann Lee: Will she meet them?\n\nVictoria Atkins: The strike ended yesterday. I thanked staff.\n\n"
            "But I cannot negotiate while they ask for 35%.")
    spans = tuple(sentence_spans(text))
    chunk = Chunk("a#0", "a", text, 0, len(text), spans)
    [shown] = excerpts([(0, spans[-1])], [Hit(chunk, 1.0)], {"a": text}, 100, _words, neighbours=0)
    assert shown.text == ("... Victoria Atkins: The strike ended yesterday. ... "
                          "But I cannot negotiate while they ask for 35%.")
