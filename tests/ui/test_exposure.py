"""What the chat server exposes: only its own files, no remote fetch, a login when asked for, a warning when it
listens beyond this machine, and uploads whose names cannot place a file anywhere."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import REPO, free_port
from gradio_client import Client

from rag.errors import UsageError
from rag.settings import Settings
from ui.articles import Draft
from ui.server import launch, logins
from ui.service import Service

PASSWD = "root:x:0:0"


def fetches(url: str, paths: list[str]) -> dict[str, tuple[int, str]]:
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as client:
        return {p: (r.status_code, r.text) for p in paths for r in [client.get(p)]}


def test_no_file_outside_the_chat_is_served(ui_server):
    settings = ui_server.settings
    corpus_file = next(settings.corpus_dir.glob("*.txt"))
    index_file = next((settings.index_dir / "versions").glob("*/chunks.jsonl"))
    secret = corpus_file.read_text()[:200]
    targets = ["/etc/passwd", "/etc//passwd", "/tmp/../etc/passwd", "%2Fetc%2Fpasswd", "..%2F..%2F..%2Fetc%2Fpasswd",
               str(corpus_file), str(index_file), str(settings.index_dir / "CURRENT"), "corpus/" + corpus_file.name,
               str(REPO / "pyproject.toml"), "pyproject.toml", str(REPO / "rag" / "settings.py"),
               f"/proc/{os.getpid()}/environ"]
    paths = [f"{prefix}{t}" for t in targets for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/")]
    paths += ["/static/../../../../etc/passwd", "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
              "/gradio_api/static/../../../etc/passwd", "/favicon.ico/../../etc/passwd"]
    for path, (status, body) in fetches(ui_server.url, paths).items():
        assert PASSWD not in body and secret not in body and "chunk_tokens" not in body, path
        assert status != 200 or "<html" in body.lower()[:200], (path, status)  # at most the chat's own page


def test_remote_urls_are_never_fetched(ui_server):
    paths = ["/gradio_api/file=http://example.com/", "/gradio_api/file=https://example.com/a.png",
             "/gradio_api/file=//example.com/a.png", "/gradio_api/file/http://example.com/",
             "/gradio_api/proxy=https://example.com/", "/file=http://example.com/"]
    for path, (status, body) in fetches(ui_server.url, paths).items():
        assert status == 403 and "Only files of this chat are served" in body, (path, status, body[:200])


def test_upload_names_cannot_place_files(ui_server, tmp_path, rota_text):
    """An upload named ``../../../../tmp/x`` lands in Gradio's own upload folder, and the corpus file the
    Articles tab makes of it is named from its content; nothing appears where the name pointed."""
    target = Path("/tmp") / f"escaped-{uuid.uuid4().hex}.txt"
    names = [f"../../../..{target}", f"..\\..\\..\\..{target}", str(target), f"%2e%2e%2f%2e%2e%2f{target.name}"]
    service = ui_server.service
    before = {p.name for p in service.settings.corpus_dir.iterdir() if not p.name.startswith(".")}
    with httpx.Client(base_url=ui_server.url, timeout=30) as client:
        for n, name in enumerate(names):
            content = (rota_text + f"\nUpload {n} was read by the trust.\n").encode()
            response = client.post("/gradio_api/upload", files=[("files", (name, content, "text/plain"))])
            assert response.status_code == 200, response.text
            [stored] = response.json()
            assert not target.exists() and Path(stored).resolve() != target
            assert Path(stored).read_bytes() == content
            assert ".." not in Path(stored).relative_to(Path(stored).anchor).parts
            article, _ = service.add(Draft(file=stored))
            try:
                assert Path(article.source).parent == service.settings.corpus_dir
                assert Path(article.source).name.startswith("web-")
            finally:
                service.remove(article.id)
    assert not target.exists()
    assert {p.name for p in service.settings.corpus_dir.iterdir() if not p.name.startswith(".")} == before


@pytest.mark.parametrize("value", ["nocolon", ":password", "user:", " : "])
def test_bad_login_settings_are_refused(value, tmp_path):
    with pytest.raises(UsageError, match="must hold USER:PASSWORD"):
        logins(Settings(ui_auth=value))
    file = tmp_path / "logins"
    file.write_text(f"ana:good password\n{value}\n")
    with pytest.raises(UsageError, match=f"{file} must hold USER:PASSWORD"):
        logins(Settings(ui_auth_file=str(file)))
    with pytest.raises(UsageError, match="cannot read the login file"):
        logins(Settings(ui_auth_file=str(tmp_path / "missing")))


def test_login_file_allows_several_users(tmp_path):
    file = tmp_path / "logins"
    file.write_text("# who may use the chat\nana:correct horse\nben:battery:staple\n\n")
    assert logins(Settings(ui_auth_file=str(file), ui_auth="cy:pw")) == [
        ("cy", "pw"), ("ana", "correct horse"), ("ben", "battery:staple")]
    assert logins(Settings()) is None


def test_exposed_without_login_warns(ui_server, capsys):
    """Any address but loopback gets a warning first (here the port is taken, so it stops right after)."""
    port = int(ui_server.url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(UsageError, match=f"cannot serve on 0.0.0.0:{port}"):
        launch(ui_server.service, "0.0.0.0", port)
    assert capsys.readouterr().err.splitlines()[0] == (
        "warning: serving on 0.0.0.0, which other machines may reach; the chat has no login. Use --host 127.0.0.1 "
        "to keep it on this machine, or --auth USER:PASSWORD to require a login.")
    assert Settings().serve_host == "127.0.0.1"


@pytest.fixture(scope="module")
def login_server(ui_server, ui_embedder, tmp_path_factory):
    """A second server on the same index, with a login, listening on all addresses (as a shared one would)."""
    file = tmp_path_factory.mktemp("login") / "logins"
    file.write_text("ana:correct horse\n")
    settings = ui_server.settings.replace(ui_auth="ben:battery:staple", ui_auth_file=str(file))
    service = Service(settings, ui_embedder)
    port = free_port()
    warning = io.StringIO()
    with contextlib.redirect_stderr(warning):
        demo, _ = launch(service, "0.0.0.0", port)
    try:
        yield f"http://127.0.0.1:{port}/", warning.getvalue()
    finally:
        demo.close()


def test_login_is_required_when_set(login_server):
    url, warning = login_server
    assert warning.splitlines() == ["warning: serving on 0.0.0.0, which other machines may reach; a login is "
                                    "required. Use --host 127.0.0.1 to keep it on this machine."]
    with httpx.Client(base_url=url, timeout=30) as client:
        for path in ("/config", "/gradio_api/info", "/gradio_api/file=/etc/passwd"):
            assert client.get(path).status_code == 401, path
        join = client.post("/gradio_api/queue/join", json={"data": ["Who is the health secretary?", [], {}, None],
                                                           "fn_index": 0, "session_hash": "x"})
        assert join.status_code == 401
        assert client.post("/login", data={"username": "ana", "password": "wrong"}).status_code == 400
        assert client.post("/login", data={"username": "eve", "password": "correct horse"}).status_code == 400
        assert client.get("/config").status_code == 401  # failed logins give no access
        assert client.post("/login", data={"username": "ana", "password": "correct horse"}).status_code == 200
        assert client.get("/config").status_code == 200  # the session cookie now lets it in
    with pytest.raises(Exception):
        Client(url, verbose=False)
    with pytest.raises(Exception):
        Client(url, auth=("ana", "correct horsE"), verbose=False)
    for user, password in (("ana", "correct horse"), ("ben", "battery:staple")):
        result = Client(url, auth=(user, password), verbose=False).predict(
            "Who invited the BMA to pay talks in 2023?", api_name="/ask")
        assert "Barclay" in result["answer"]


def test_serve_refuses_a_bad_login_before_loading_anything(tmp_path):
    run = subprocess.run([sys.executable, "-m", "rag", "serve", "--auth", "nocolon", "--corpus", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 2 and run.stderr.splitlines() == [
        "rag: --auth (RAG_UI_AUTH) must hold USER:PASSWORD (one per line in a file), with neither part empty."]


def test_nothing_about_the_corpus_before_login_and_logins_are_rate_limited(login_server, ui_server):
    url, _ = login_server
    publisher = ui_server.service.publishers()[0]
    with httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200 and publisher not in page.text
        for path in ("/manifest.json", "/gradio_api/cancel", "/reset", "/heartbeat/x"):
            assert client.get(path).status_code == 401, path
            assert client.post(path, json={}).status_code == 401, path
        codes = [client.post("/login", data={"username": "ana", "password": f"guess {n}"}).status_code
                 for n in range(12)]
        assert 429 in codes and codes.index(429) <= 10, codes
        right = client.post("/login", data={"username": "ana", "password": "correct horse"})
        assert right.status_code == 429 and "Too many login attempts" in right.text
