"""A conversation in a real headless Chromium: each answer's markers open its own passages, a reload finds the
conversation again (in this browser only), copy and screen readers get plain text, and a question the chat
cannot take gets a notice of its own."""

from __future__ import annotations

import re

import pytest
from conftest import CHROMIUM, Tab

from ui.html import plain_answer

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")

OPERATIONS = "How many operations were rescheduled during the first strike?"
BARCLAY = "Who invited the BMA to pay talks in 2023?"
RESTORATION = "What is full pay restoration?"
BOTS = '#chat [data-testid="bot"]'


def converse(tab: Tab, service, questions: list[str], history: list[dict] | None = None) -> list:
    """Ask each question in the page, waiting for its whole answer; returns the answers the assistant gives for
    the same conversation (``history``, extended in place, is the conversation so far)."""
    history = [] if history is None else history
    answers = []
    for question in questions:
        expected = service.ask(question, history)
        shown = tab.page.locator(BOTS).count()
        tab.ask(question)
        tail = expected.text.rsplit("[", 1)[0].strip()[-40:]
        tab.page.wait_for_function(
            """([n, tail]) => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
                 return b.length === n && b[n - 1].innerText.includes(tail)
                   && document.querySelectorAll('#sources .turn').length === n; }""", arg=[shown + 1, tail])
        history += [{"role": "user", "content": expected.question}, {"role": "assistant", "content": expected.text}]
        answers.append(expected)
    return answers


def shown_groups(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#sources .turn')]"
                         ".filter(t => getComputedStyle(t).display !== 'none').map(t => t.id)")


def quoted_sentence(citation) -> str:
    start, end = citation.quotes[0]
    return " ".join(citation.article.text[start:end].split())


def test_an_older_answers_marker_opens_its_own_passage(tab, ui_server, artifacts):
    page = tab.page
    first, second = converse(tab, ui_server.service, [OPERATIONS, BARCLAY])
    assert shown_groups(page) == ["turn-2"]  # the newest answer's passages
    assert first.citations[0].article.title != second.citations[0].article.title  # [1] differs between them

    older = page.locator(BOTS).first.locator('a.cite[href="#src-1-1"]')
    assert older.get_attribute("title") == first.citations[0].article.title
    older.click()
    assert page.evaluate("location.hash") == "#src-1-1"
    assert shown_groups(page) == ["turn-1"]
    passage = page.locator("#src-1-1")
    assert passage.is_visible()
    assert first.citations[0].article.title in passage.locator("h4").inner_text()
    marked = " ".join(passage.locator("blockquote mark").first.inner_text().split())
    assert marked == quoted_sentence(first.citations[0])
    assert "4,000 operations" in marked
    page.screenshot(path=str(artifacts / "older-answer-passage.png"))

    newer = page.locator(BOTS).nth(1).locator('a.cite[href="#src-2-1"]')
    newer.click()
    assert shown_groups(page) == ["turn-2"]
    assert " ".join(page.locator("#src-2-1 blockquote mark").first.inner_text().split()) == quoted_sentence(
        second.citations[0])

    page.locator(BOTS).first.locator('a.cite[href="#src-1-1"]').click()
    history = [{"role": r, "content": t} for a in (first, second)
               for r, t in (("user", a.question), ("assistant", a.text))]
    converse(tab, ui_server.service, [RESTORATION], history)
    assert shown_groups(page) == ["turn-3"]  # a new answer shows its own passages again
    assert tab.remote_requests() == []


def test_reload_keeps_the_conversation_in_this_browser_only(tab, browser, ui_server):
    page = tab.page
    history: list[dict] = []
    converse(tab, ui_server.service, [OPERATIONS, BARCLAY], history)
    before = page.locator('#chat [data-testid="bot"], #chat [data-testid="user"]').all_inner_texts()
    panel = page.locator("#sources .turn").count()

    page.reload()
    page.locator("#question textarea").wait_for()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 2")
    after = page.locator('#chat [data-testid="bot"], #chat [data-testid="user"]').all_inner_texts()
    assert after == before and len(after) == 4
    assert page.locator("#sources .turn").count() == panel == 2 and shown_groups(page) == ["turn-2"]
    page.locator(BOTS).first.locator('a.cite[href="#src-1-1"]').click()  # the older answer's sources came back
    assert shown_groups(page) == ["turn-1"] and page.locator("#src-1-1 blockquote mark").first.is_visible()

    # A follow-up after the reload is read against the restored conversation.
    [follow_up] = converse(tab, ui_server.service, ["What did he invite them to?"], history)
    assert not follow_up.refused and "Barclay" in follow_up.text  # and the page showed this answer

    other = browser.new_context(viewport={"width": 1400, "height": 850})  # another browser's storage
    try:
        fresh = other.new_page()
        fresh.goto(ui_server.url)
        fresh.locator("#question textarea").wait_for()
        fresh.wait_for_timeout(1000)
        assert fresh.locator(BOTS).count() == 0
    finally:
        other.close()

    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    page.reload()
    page.locator("#question textarea").wait_for()
    page.wait_for_timeout(1000)
    assert page.locator(BOTS).count() == 0


def test_copy_and_screen_readers_get_plain_text(tab, ui_server):
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    [answer] = converse(tab, ui_server.service, [OPERATIONS])
    page.locator("#chat .message-buttons button").last.click()  # the answer's copy button
    page.wait_for_function("document.querySelector('#chat .message-buttons button[data-copied]') !== null")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == plain_answer(answer)
    assert "<" not in copied and "&#" not in copied and "&amp;" not in copied
    assert re.search(r"underway\. \[1\]", copied)
    sources = copied.split("\n\nSources:\n", 1)[1].splitlines()
    assert sources[0].startswith(f"[1] {answer.citations[0].article.title} - ")
    assert "2016-01-12" in sources[0] and len(sources) == len(answer.citations)

    label = page.locator(BOTS).last.get_attribute("aria-label")
    assert label == "bot's message: " + " ".join(plain_answer(answer).split())
    user = page.locator('#chat [data-testid="user"]').last.get_attribute("aria-label")
    assert user == f"user's message: {OPERATIONS}"


def test_a_blank_question_gets_a_notice_of_its_own(tab, ui_server):
    page = tab.page
    converse(tab, ui_server.service, [BARCLAY])
    answer = page.locator(BOTS).first.inner_text()
    tab.ask("   ")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 2")
    assert page.locator(BOTS).first.inner_text() == answer  # the answer's bubble is untouched
    notice = page.locator(BOTS).last
    assert "Please type a question" in notice.inner_text() and notice.locator(".problem").count() == 1
    tab.ask(RESTORATION)  # the notice goes with the next question: the conversation holds answers only
    page.wait_for_function("document.querySelectorAll('#sources .turn').length === 2")
    assert page.locator(BOTS).count() == 2
    assert "Please type a question" not in " ".join(page.locator(BOTS).all_inner_texts())
