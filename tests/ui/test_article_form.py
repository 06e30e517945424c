"""The Articles form in a real headless Chromium: after each add the form is empty again, so the next article
keeps its own metadata (typed, or its file's own)."""

from __future__ import annotations

import pytest
from conftest import CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")

PASTED = """Trainee doctors at the Heronsgate Clinic agreed a new on-call rota with managers on Tuesday.

The Heronsgate Clinic rota limits trainee doctors to two on-call weekends a month.

A Heronsgate Clinic spokesperson said the rota had been drawn up with the trainees themselves.
"""

PAGE = """<!doctype html><html><head><title>Scottish junior doctors accept pay deal</title>
<meta property="og:title" content="Scottish junior doctors accept pay deal">
<meta property="og:site_name" content="Glasgow Health Review">
<meta property="article:published_time" content="2024-08-30T09:00:00Z">
</head><body><article><h1>Scottish junior doctors accept pay deal</h1>
<p>Junior doctors in Scotland have voted to accept a pay deal worth 4.25 per cent at the Thornbury Infirmary.</p>
<p>The Thornbury Infirmary deal was backed by four in five members who voted, the union said on Friday.</p>
<p>Health officials in Glasgow said the Thornbury Infirmary agreement would keep rotas staffed this winter.</p>
</article></body></html>"""

FIELDS = ("#a-title", "#a-publisher", "#a-date")


def field(page, elem_id: str):
    return page.locator(f"{elem_id} input, {elem_id} textarea").first


def test_two_articles_in_a_row_keep_their_own_metadata(tab, ui_server, tmp_path, artifacts):
    page = tab.page
    page.get_by_role("tab", name="Articles").click()
    page.locator("#articles-table table").wait_for()
    added = []
    try:
        page.locator("#a-text textarea").fill(PASTED)
        for elem_id, value in zip(FIELDS, ("Heronsgate rota agreed", "Clinic Courier", "2023-09-12")):
            field(page, elem_id).fill(value)
        page.locator("#a-add").click()
        page.locator("#a-status .status.ok").wait_for()
        first = next(a for a in ui_server.service.assistant.index.articles.values() if "Heronsgate" in a.text)
        added.append(first.id)
        assert (first.title, first.publisher, first.date) == ("Heronsgate rota agreed", "Clinic Courier", "2023-09-12")
        for elem_id in (*FIELDS, "#a-text"):  # the form is empty for the next article
            assert field(page, elem_id).input_value() == "", elem_id
        assert page.locator("#a-dispute input").input_value() == ""

        path = tmp_path / "glasgow.html"
        path.write_text(PAGE)
        tab.choose_file(path)
        page.locator("#a-add").click()
        page.locator("#a-status .status.ok", has_text="Scottish junior doctors").wait_for()
        second = next(a for a in ui_server.service.assistant.index.articles.values() if "Thornbury" in a.text)
        added.append(second.id)
        assert (second.title, second.publisher, second.date) == (
            "Scottish junior doctors accept pay deal", "Glasgow Health Review", "2024-08-30")
        table = page.locator("#articles-table").inner_text()
        assert "Glasgow Health Review" in table and "Clinic Courier" in table
        page.screenshot(path=str(artifacts / "articles-two-added.png"), full_page=True)
    finally:
        for article_id in added:
            ui_server.service.remove(article_id)
