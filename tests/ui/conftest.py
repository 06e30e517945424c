"""One real chat server for all UI tests: a copy of corpus/ indexed in a temporary folder with the real model,
served by Gradio on a free 127.0.0.1 port in a background thread, closed at the end of the session.

Tests may add and remove articles: they change only the copy, never the repository's corpus/.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

import httpx  # noqa: E402
import pytest  # noqa: E402
from llm_servers import free_port  # noqa: E402  (tests here import it from this conftest)

from embeddings import load_embedder  # noqa: E402
from rag.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the browser tests skip without it
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 30_000  # ms; answers take about a second on two cores, an upload's ingest a few


@dataclass
class Server:
    url: str
    service: object  # ui.service.Service
    settings: Settings
    demo: object  # gradio.Blocks


def wait_for_queue(url: str, holds: Callable[[int], bool], within: float = 60) -> bool:
    """Watch how many questions wait in the server's queue (Gradio's /queue/status) until ``holds(waiting)``;
    False if it never does within ``within`` seconds. ``wait_for_queue(url, lambda n: n == 0)``: drained."""
    deadline = time.monotonic() + within
    status = f"{url.rstrip('/')}/gradio_api/queue/status"
    while not holds(httpx.get(status, timeout=10).json()["queue_size"]):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="session")
def ui_embedder():
    settings = Settings.from_env()
    return load_embedder(settings.model, settings.embed_batch)


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory, ui_embedder) -> Server:
    from ui.server import launch
    from ui.service import Service

    root = tmp_path_factory.mktemp("ui-server")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = Settings.from_env(corpus_dir=root / "corpus", index_dir=root / "index")
    service, report = Service.start(settings, ui_embedder)
    assert report.articles >= 5 and not report.skipped
    demo, url = launch(service, "127.0.0.1", free_port())
    try:
        yield Server(url, service, settings, demo)
    finally:
        demo.close()


@pytest.fixture(scope="session")
def small_queue(ui_server, ui_embedder):
    """The same index served with room for one answer at a time and two waiting."""
    from ui.server import launch
    from ui.service import Service

    # Slow streaming keeps the one worker busy long enough for a burst to fill the queue.
    settings = ui_server.settings.replace(ui_concurrency=1, ui_queue_limit=2, ui_stream_delay=1.0)
    demo, url = launch(Service(settings, ui_embedder), "127.0.0.1", free_port())
    try:
        yield url
    finally:
        demo.close()


ROTA = """Junior doctors at the Kestrel Ward of St Aldhelm's Hospital have agreed a new rota with managers.

The Kestrel Ward rota agreement gives junior doctors two protected rest days after every run of night shifts.

Dr Imogen Tarrant, who negotiated the Kestrel Ward deal, said rest after nights had been the sticking point.

Managers said the agreement would cost nothing extra and would make rota gaps easier to fill.
"""


@pytest.fixture(scope="session")
def rota_text() -> str:
    """A made-up article no corpus file mentions, for add/ask/remove tests."""
    return ROTA


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --- the chat in a real headless Chromium (Playwright) ---


@dataclass
class Tab:
    page: object
    requests: list[str] = field(default_factory=list)

    def ask(self, question: str) -> None:
        box = self.page.locator("#question textarea")
        box.fill(question)
        self.page.locator("#ask").click()

    def last_answer(self) -> str:
        return self.page.locator('#chat [data-testid="bot"]').last.inner_text()

    def choose_file(self, path: Path, attempts: int = 3) -> None:
        """Choose a file in the Articles form and wait until the File component shows its name. A file chosen
        while the component is (re)mounting, as after "Add" empties the form, can be missed: choose it again."""
        from playwright.sync_api import TimeoutError as NotShown

        files = self.page.locator("#a-file input[type=file]")
        for attempt in range(1, attempts + 1):
            try:
                # No input: the component is remounting (seen once in a full CI run), or it already holds the file
                # chosen last time and is still uploading it, which showed its name after more than 10 s in one
                # full run; choosing again would wait for an input that never comes. Either way, wait and look.
                if files.count():
                    files.set_input_files(str(path), timeout=15_000)
                self.page.locator("#a-file").get_by_text(path.name).first.wait_for(timeout=10_000)
                return
            except NotShown:
                if attempt == attempts:
                    raise

    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if urlparse(u).scheme not in ("data", "blob")
                and urlparse(u).hostname != "127.0.0.1"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """The test's own report (its call, not setup or teardown) kept on it, so ``tab`` can tell a failed test."""
    report = yield
    if report.when == "call":
        item.call_report = report
    return report


@pytest.fixture
def tab(browser, ui_server, request):
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    tab = Tab(page)
    page.on("request", lambda request: tab.requests.append(request.url))
    page.goto(ui_server.url)
    page.locator("#question textarea").wait_for()
    yield tab
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        keep_failed_page(page, request.node.name)
    context.close()


def keep_failed_page(page, name: str) -> None:
    """The page as it stood when a test failed (a screenshot and its HTML) under tests/artifacts/failed/: a
    failure seen once in a full run (a file input missing after "Add") cannot be read from a timeout alone."""
    folder = ARTIFACTS / "failed"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        (folder / f"{name}.html").write_text(page.content())
    except Exception as e:  # the page may be gone with the failure; the test's own error says the rest
        print(f"could not keep the failed page of {name}: {e}")


def pytest_collection_modifyitems(items):
    # Gradio's queue calls pandas APIs that pandas 3 deprecates; not ours to fix.
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):
            continue
        item.add_marker(pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"))
        item.add_marker(pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"))
