"""The chat shows the corpus's own words: its corpus.toml's title, intro, examples and facet filter."""

from pathlib import Path

import gradio as gr

from rag.settings import Settings
from ui.app import build
from ui.chat import make_filters
from ui.service import Service

BODY = "Volunteers cleared the beach on Saturday. The council thanked them. More sessions are planned."


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def components(demo: gr.Blocks) -> dict:
    return {c.elem_id: c for c in demo.blocks.values() if getattr(c, "elem_id", None)}


def test_seed_corpus_page_keeps_its_title_and_examples(ui_server):
    demo = ui_server.demo
    found = components(demo)
    assert demo.title == "Junior doctors' disputes: ask the news"
    assert "2016 contract under Jeremy Hunt" in found["intro"].value
    assert found["f-dispute"].label == "Dispute" and found["f-dispute"].visible
    assert [c[0] for c in found["f-dispute"].choices][:2] == ["2016 contract", "2023 pay"]
    assert "examples" in found


def test_another_folder_shows_its_own_title_and_facet(tmp_path, ui_embedder):
    folder = write_corpus(tmp_path / "parish", {
        "corpus.toml": 'title = "Parish news"\nexamples = ["Who cleared the beach?"]\n'
                       '[[facets]]\nname = "parish"\nlabel = "Parish"\n',
        "a.txt": f"---\ntitle: Beach\nparish: St Ives\n---\n{BODY}"})
    service, _ = Service.start(Settings.from_env(corpus_dir=folder, index_dir=tmp_path / "index"), ui_embedder)
    demo = build(service)
    found = components(demo)
    assert demo.title == "Parish news" and "Parish news" in found["intro"].value
    assert found["f-dispute"].label == "Parish" and [c[0] for c in found["f-dispute"].choices] == ["St Ives"]
    answer = service.ask("Who cleared the beach?", filters=make_filters(facets={"parish": ["St Ives"]}))
    assert answer.citations and answer.citations[0].article.facets == (("parish", "St Ives"),)


def test_folder_without_a_corpus_file_has_no_facet_filter(tmp_path, ui_embedder):
    folder = write_corpus(tmp_path / "notes", {"a.txt": f"---\ntitle: Beach\n---\n{BODY}"})
    service, _ = Service.start(Settings.from_env(corpus_dir=folder, index_dir=tmp_path / "index"), ui_embedder)
    demo = build(service)
    found = components(demo)
    assert demo.title == "Notes" and not found["f-dispute"].visible and "examples" not in found
