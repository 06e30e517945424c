"""Adding and removing articles through the shared service the chat runs on: real files, real ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import UsageError
from ui.articles import Draft
from ui.service import Service

PAGE = """<!doctype html><html><head><title>Heron Unit trainees win study leave</title>
<meta property="og:site_name" content="The Local Herald"></head><body><article>
<h1>Heron Unit trainees win study leave</h1>
<p>Trainee doctors at the Heron Unit have won five extra days of study leave a year after a long local dispute.</p>
<p>The Heron Unit study leave deal was announced by the hospital trust on Monday after talks with trainees.</p>
<p>Representatives said the study leave would be protected from rota gaps and could not be cancelled.</p>
</article></body></html>"""


def corpus_files(service: Service) -> set[str]:
    return {p.name for p in service.settings.corpus_dir.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("name, content, fields, message", [
    ("notes.exe", b"Some text about doctors.", {}, "Only .html, .md, .txt files can be added"),
    ("passwd", b"root:x:0:0", {}, "Only .html, .md, .txt files can be added"),
    ("latin1.txt", "Grève des médecins".encode("latin-1"), {}, "not UTF-8"),
    ("dated.txt", b"Doctors went on strike again today in a long dispute.", {"date": "31/12/2023"}, "is not a date"),
    ("dated.txt", b"Doctors went on strike again today in a long dispute.", {"date": "2023-02-30"}, "is not a date"),
])
def test_bad_uploads_are_refused_with_a_message(ui_server, tmp_path, name, content, fields, message):
    service = ui_server.service
    before, version = corpus_files(service), service.assistant.index.path
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        service.add(Draft(file=str(path), **fields))
    assert corpus_files(service) == before and service.assistant.index.path == version


def test_size_limit_and_empty_or_double_input(ui_server, tmp_path, rota_text):
    service = ui_server.service
    limit = service.settings.max_upload_bytes
    big = tmp_path / "big.txt"
    big.write_bytes(b"Doctors strike. " * (limit // 16 + 1))
    with pytest.raises(UsageError, match=f"the most the chat accepts is {limit} bytes"):
        service.add(Draft(file=str(big)))
    with pytest.raises(UsageError, match=f"the most the chat accepts is {limit} bytes"):
        service.add(Draft(text="é" * (limit // 2 + 1)))
    with pytest.raises(UsageError, match="Paste an article's text or choose a file"):
        service.add(Draft(text="   "))
    with pytest.raises(UsageError, match="not both"):
        service.add(Draft(text=rota_text, file=str(big)))
    with pytest.raises(UsageError, match="Choose an article"):
        service.remove("")
    with pytest.raises(UsageError, match="no longer in the index"):
        service.remove("no-such-article")


def test_add_ask_restart_remove(ui_server, ui_embedder, tmp_path, rota_text):
    """The uploaded file's name is ignored (no path can escape the corpus); the article is answerable at once,
    survives a restart without re-embedding, and is gone, file and all, once removed."""
    service = ui_server.service
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    upload = tmp_path / "escape.txt"
    upload.write_text(rota_text)
    before = corpus_files(service)
    article, chunks = service.add(Draft(file=str(nested / ".." / ".." / "escape.txt"),
                                        title="Kestrel Ward rota agreed", publisher="Ward Weekly",
                                        date="2023-06-20", facet="2023 pay"))
    try:
        added = corpus_files(service) - before
        assert added == {f"{article.id}.txt"} and article.id.startswith("web-") and chunks >= 1
        assert not (service.settings.corpus_dir.parent / "escape.txt").exists()
        assert (article.title, article.publisher, article.date, article.dispute, article.inferred) == \
            ("Kestrel Ward rota agreed", "Ward Weekly", "2023-06-20", "2023 pay", ())
        answer = service.ask("What does the Kestrel Ward rota agreement give junior doctors?")
        assert not answer.refused and "protected rest days" in answer.text
        assert answer.citations[0].article.id == article.id
        with pytest.raises(UsageError, match="already in the corpus"):
            service.add(Draft(file=str(upload), title="Kestrel Ward rota agreed", publisher="Ward Weekly",
                              date="2023-06-20", facet="2023 pay"))

        restarted, report = Service.start(service.settings, ui_embedder)
        assert report.unchanged and article.id in restarted.assistant.index.articles
    finally:
        removed = service.remove(article.id)
    assert removed.id == article.id and corpus_files(service) == before
    assert article.id not in service.assistant.index.articles
    answer = service.ask("What does the Kestrel Ward rota agreement give junior doctors?")
    assert all(c.article.id != article.id for c in answer.citations)


def test_html_page_is_kept_as_is_or_converted_when_metadata_is_given(ui_server, tmp_path):
    service = ui_server.service
    page = tmp_path / "page.HTM"
    page.write_text(PAGE)
    article, _ = service.add(Draft(file=str(page)))
    try:
        assert Path(article.source).suffix == ".html"
        assert Path(article.source).read_text() == PAGE
        assert article.title == "Heron Unit trainees win study leave" and article.publisher == "The Local Herald"
        answer = service.ask("How many days of study leave did the Heron Unit trainees win?")
        assert answer.citations and answer.citations[0].article.id == article.id
    finally:
        service.remove(article.id)
    article, _ = service.add(Draft(file=str(page), title="Heron Unit study leave", date="2024-01-15"))
    try:
        assert Path(article.source).suffix == ".txt"
        assert (article.title, article.publisher, article.date) == \
            ("Heron Unit study leave", "The Local Herald", "2024-01-15")
    finally:
        service.remove(article.id)
