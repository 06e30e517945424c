"""The chat in a real headless Chromium (Debian's, driven by Playwright): streaming, citations, links, uploads,
and untrusted text that must neither run nor fetch anything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM, TIMEOUT, Tab, wait_for_queue

from ui.html import sentences

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")

# Records how the latest answer bubble's text changes, to see it stream in.
WATCH = """() => {
  window.__states = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const text = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    if (text && window.__states[window.__states.length - 1] !== text) window.__states.push(text);
  }).observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true});
}"""

IN_VIEW = """(id) => {
  const r = document.getElementById(id).getBoundingClientRect();
  const box = document.querySelector('#sources .sources').getBoundingClientRect();
  return r.top >= Math.max(0, box.top) - 1 && r.top < Math.min(innerHeight, box.bottom);
}"""


def test_streamed_answer_with_highlighted_linked_sources(tab, ui_server, artifacts):
    page = tab.page
    question = "How long was the strike in March 2023?"
    expected = ui_server.service.ask(question)
    assert not expected.refused
    page.evaluate(WATCH)
    tab.ask(question)
    last = expected.text.rsplit("[", 1)[0].strip()[-40:]
    page.wait_for_function("(t) => { const b = document.querySelectorAll('#chat [data-testid=\"bot\"]');"
                           " return b.length && b[b.length - 1].innerText.includes(t); }", arg=last)
    states = page.evaluate("window.__states")
    pieces = sentences(expected.text)
    if len(pieces) > 1:  # the answer formed sentence by sentence
        assert any(pieces[0].rsplit("[", 1)[0].strip() in s and last not in s for s in states), states
    markers = page.locator("#chat a.cite")
    assert markers.count() == len([m for p in pieces for m in p.split("[")[1:]])
    sources = page.locator("#sources section.source")
    assert sources.count() == len(expected.citations)
    assert page.locator("#src-1-1 blockquote mark").first.is_visible()
    quoted = expected.text[: expected.text.index("[")].strip()
    assert quoted in page.locator("#src-1-1 blockquote mark").first.inner_text().replace("\n", " ") or any(
        quoted in m for m in page.locator("#sources mark").all_inner_texts())
    page.screenshot(path=str(artifacts / "chat.png"))
    if os.environ.get("UPDATE_README_SCREENSHOT"):  # refresh the README's picture only when asked
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(artifacts / "chat.png", REPO / "docs" / "screenshot.png")

    # Push passage 1 out of view, then follow its marker: the passage comes back into view.
    target = f"src-1-{expected.citations[0].n}"
    page.evaluate("""(id) => {
        document.querySelectorAll('#sources details').forEach(d => d.open = !d.closest('#' + id));
        const box = document.querySelector('#sources .sources'); box.scrollTop = box.scrollHeight;
        window.scrollTo(0, document.body.scrollHeight); }""", target)
    pushed_out = not page.evaluate(IN_VIEW, target)
    page.locator(f'#chat a.cite[href="#{target}"]').first.click()
    page.wait_for_function(IN_VIEW, arg=target)
    assert page.evaluate("location.hash") == f"#{target}"
    assert page.evaluate(f"document.getElementById('{target}').matches(':target')")
    page.screenshot(path=str(artifacts / "chat-source-clicked.png"))
    page.locator(f"#{target} details summary").click()  # the whole article, the passage marked in it
    assert page.locator(f"#{target} .article-text .in-context mark").first.is_visible()
    print(f"passage {target} was {'out of' if pushed_out else 'already in'} view before its marker was clicked")
    assert tab.remote_requests() == []


def test_uploaded_article_is_answerable(tab, ui_server, artifacts, tmp_path, rota_text):
    page = tab.page
    path = tmp_path / "rota.txt"
    path.write_text(rota_text)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#articles-table table").wait_for()
    tab.choose_file(path)
    page.locator("#a-title input, #a-title textarea").first.fill("Kestrel Ward rota agreed")
    page.locator("#a-publisher input, #a-publisher textarea").first.fill("Ward Weekly")
    page.locator("#a-date input, #a-date textarea").first.fill("2023-06-20")
    page.locator("#a-add").click()
    page.locator("#a-status .status.ok").wait_for()
    article = next(a for a in ui_server.service.assistant.index.articles.values() if a.publisher == "Ward Weekly")
    try:
        assert "Kestrel Ward rota agreed" in page.locator("#articles-table").inner_text()
        page.screenshot(path=str(artifacts / "articles-added.png"), full_page=True)
        page.get_by_role("tab", name="Chat").click()
        tab.ask("What does the Kestrel Ward rota agreement give junior doctors?")
        page.locator("#sources section.source h4", has_text="Kestrel Ward rota agreed").first.wait_for()
        page.locator("#chat a.cite").first.wait_for()
        assert "protected rest days" in tab.last_answer()
        assert tab.remote_requests() == []
    finally:
        ui_server.service.remove(article.id)


def test_oversized_upload_is_refused_with_a_message(tab, ui_server, tmp_path):
    page = tab.page
    big = tmp_path / "big.txt"
    big.write_bytes(b"Junior doctors went on strike. " * (ui_server.settings.max_upload_bytes // 31 + 1))
    before = set(ui_server.service.assistant.index.articles)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#a-file input[type=file]").set_input_files(str(big))
    page.get_by_text("exceed the maximum allowed size").first.wait_for()
    page.locator("#a-add").click()
    page.locator("#a-status .status.problem").wait_for()
    limit = ui_server.settings.max_upload_bytes
    assert (f"big.txt was not taken: it is {big.stat().st_size} bytes, and the most the chat accepts is {limit} "
            "bytes") in page.locator("#a-status").inner_text()
    assert set(ui_server.service.assistant.index.articles) == before

    wrong = tmp_path / "scan.pdf"
    wrong.write_bytes(b"%PDF-1.4 junior doctors")
    page.locator("#a-file input[type=file]").set_input_files(str(wrong))
    page.wait_for_timeout(1000)  # the page refuses it, or uploads it and the server does
    page.locator("#a-add").click()
    page.wait_for_function("document.querySelector('#a-status').innerText.includes('scan.pdf')"
                           " || document.querySelector('#a-status').innerText.includes('Only .html')")
    status = page.locator("#a-status").inner_text()
    assert "only .html, .md, .txt files can be added" in status.lower(), status
    assert set(ui_server.service.assistant.index.articles) == before


EVIL = """The Marlowe Clinic trainees walked out over unpaid overtime <img src=x onerror="window.__pwned=1"> on Friday.

Organisers of the Marlowe Clinic walkout said <script>window.__pwned=2</script> the overtime was months unpaid.

A spokesman for the Marlowe Clinic said ![tracker](http://203.0.113.7/pixel.png) talks would resume next week.

Staff at the Marlowe Clinic had voted <img src="http://203.0.113.7/logo.png"> for the walkout by a large margin.
"""


def test_untrusted_text_runs_nothing_and_fetches_nothing(tab, ui_server, artifacts):
    page = tab.page
    page.get_by_role("tab", name="Articles").click()
    page.locator("#a-text textarea").fill(EVIL)
    title = 'Marlowe <img src=x onerror="window.__pwned=3">walkout'
    page.locator("#a-title input, #a-title textarea").first.fill(title)
    page.locator("#a-add").click()
    page.locator("#a-status .status.ok").wait_for()
    table = page.locator("#articles-table").inner_text()
    assert title in table

    page.get_by_role("tab", name="Chat").click()
    tab.ask("Why did the Marlowe Clinic trainees walk out?")
    page.locator("#sources section.source h4", has_text="Marlowe").first.wait_for()
    page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    tab.ask("What did organisers of the Marlowe Clinic walkout say?")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length >= 2")
    page.locator("#sources .turn:last-child section.source").first.wait_for()  # the second answer's
    page.evaluate("document.querySelectorAll('#sources details').forEach(d => d.open = true)")
    page.wait_for_timeout(500)
    shown = page.locator("#sources").inner_text()
    assert "<script>window.__pwned=2</script>" in shown or 'onerror="window.__pwned=1"' in shown
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#sources img, #chat .message-content img, #articles-table img").count() == 0
    page.screenshot(path=str(artifacts / "untrusted.png"))

    # Remove it through the form.
    page.get_by_role("tab", name="Articles").click()
    page.get_by_text("Remove an article").click()
    page.locator("#r-choice input").click()
    page.get_by_role("option", name="Marlowe", exact=False).first.click()
    page.locator("#r-remove").click()
    page.locator("#r-status .status.ok").wait_for()
    assert "Marlowe" not in page.locator("#articles-table").inner_text()
    assert not any("Marlowe" in a.title for a in ui_server.service.assistant.index.articles.values())
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert tab.remote_requests() == []


def test_markup_in_a_question_runs_nothing_and_fetches_nothing(tab):
    page = tab.page
    question = ('<img src="http://203.0.113.7/q.png" onerror="window.__pwned=4"><script>window.__pwned=5</script>'
                '<iframe src="http://203.0.113.7/"></iframe> Who invited the BMA to pay talks in 2023?')
    tab.ask(question)
    page.locator("#chat a.cite").first.wait_for()
    user = page.locator('#chat [data-testid="user"]').last.inner_text()
    assert "<script>window.__pwned=5</script>" in user and 'onerror="window.__pwned=4"' in user
    assert "Barclay" in tab.last_answer()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#chat img, #chat iframe, #chat script").count() == 0
    assert tab.remote_requests() == []


def test_the_collections_list_keeps_its_lines(tab, ui_server, artifacts):
    expected = ui_server.service.ask("Which articles are from 2016?")
    tab.ask("Which articles are from 2016?")
    last_title = expected.citations[-1].article.title
    tab.page.wait_for_function("(t) => { const b = document.querySelectorAll('#chat [data-testid=\"bot\"]');"
                               " return b.length && b[b.length - 1].innerText.includes(t); }", arg=last_title)
    lines = [line for line in tab.last_answer().splitlines() if line.strip()]
    assert len(lines) >= len(expected.citations) + 1  # the heading, then an article a line
    assert all(c.article.title in tab.last_answer() for c in expected.citations)
    tab.page.screenshot(path=str(artifacts / "collection.png"))


def test_busy_chat_says_so_in_the_page(browser, small_queue):
    """While the queue is full the page shows the chat's own "busy, try again" text, and then answers."""
    from gradio_client import Client

    from rag.messages import render

    context = browser.new_context(viewport={"width": 1400, "height": 850})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    tab = Tab(page)
    try:
        page.goto(small_queue)
        page.locator("#question textarea").wait_for()
        question = "What pay rise did the Government offer junior doctors?"
        clients = [Client(small_queue, verbose=False) for _ in range(6)]
        busy = page.get_by_text(render("UI_BUSY")).first
        jobs = []
        for _ in range(5):  # the page's question must arrive while the queue is still full
            jobs += [c.submit(question, [], [], "", "", 5, api_name="/chat") for c in clients]
            wait_for_queue(small_queue, lambda waiting: waiting >= 2, within=10)  # full (ui_queue_limit 2)
            tab.ask(question)
            try:
                busy.wait_for(timeout=5_000)
                break
            except Exception:
                continue
        assert busy.is_visible()
        for job in jobs:
            try:
                job.result()
            except Exception:  # some of the filling jobs are turned away themselves
                pass
        bots = page.locator('#chat [data-testid="bot"]')
        before = bots.count()
        tab.ask(question)
        page.wait_for_function(f"document.querySelectorAll('#chat [data-testid=\"bot\"]').length > {before}")
        bots.last.locator("a.cite").first.wait_for()
        # An earlier try of the page's own may have got through and quoted the offer already; a repeat then
        # quotes what it has not said yet, so the offer is somewhere in the conversation.
        assert "11 per cent" in " ".join(bots.all_inner_texts())
    finally:
        context.close()
