"""Start the chat: load the model once, bring the index in line with the corpus, launch Gradio locally.

``rag serve`` calls ``serve``; tests and benchmarks call ``launch`` with a ``Service`` of their own.
Nothing leaves the machine: no share link, no analytics, no monitoring or MCP endpoints, no run history,
no remote fetch through Gradio's file route, and a Content-Security-Policy that keeps the page to this server.
It binds 127.0.0.1 unless told otherwise (and then warns); a login can be required for a shared deployment.

>>> logins(Settings(ui_auth="ana:s3cret: with colon"))
[('ana', 's3cret: with colon')]
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import time
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from rag.errors import UsageError
from rag.messages import render
from rag.settings import Settings
from ui.app import CSS, SCRIPT, build, theme
from ui.csp import ContentSecurityPolicy
from ui.doors import Doors
from ui.guard import RequestGuard
from ui.service import Service
from ui.uploads import upload_folder

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether ``host`` keeps the chat on this machine.

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "192.168.1.5", "example.org")]
    [True, True, True, False, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def logins(settings: Settings) -> list[tuple[str, str]] | None:
    """The (user, password) pairs the chat asks for: ``ui_auth`` and the lines of ``ui_auth_file``; None: no login."""
    pairs = [_login(settings.ui_auth, "--auth (RAG_UI_AUTH)")] if settings.ui_auth else []
    if settings.ui_auth_file:
        path = Path(settings.ui_auth_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(f"cannot read the login file {path} ({getattr(e, 'strerror', None) or 'not UTF-8'})") \
                from None
        found = [_login(line, str(path)) for line in lines if line.strip() and not line.startswith("#")]
        if not found:
            raise UsageError(render("BAD_LOGIN", source=str(path)))
        pairs += found
    return pairs or None


def _login(text: str, source: str) -> tuple[str, str]:
    user, sep, password = text.rstrip("\r\n").partition(":")
    if not sep or not user.strip() or not password:
        raise UsageError(render("BAD_LOGIN", source=source))
    return user.strip(), password


def launch(service: Service, host: str = "127.0.0.1", port: int = 7860,
           block: bool = False) -> tuple[gr.Blocks, str]:
    """Serve the chat for ``service``; returns the Blocks and the local URL (``block`` waits until Ctrl+C)."""
    settings = service.settings
    auth = logins(settings)
    if not is_loopback(host):
        print(render("SERVE_EXPOSED_LOGIN" if auth else "SERVE_EXPOSED", host=host), file=sys.stderr)
    # Gradio reads its upload folder from the environment, also while serving: one per process, the chat's own,
    # cleared of earlier runs' uploads (a second server in this process, as in the tests, shares it).
    if "GRADIO_TEMP_DIR" not in os.environ:
        os.environ["GRADIO_TEMP_DIR"] = str(upload_folder(settings, port))
    demo = build(service)
    # A bounded queue: past ui_queue_limit waiting questions a client is told to retry (ui.guard), so a burst
    # costs a quick refusal instead of memory and ever longer waits.
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_limit)
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            share=False,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
            max_file_size=settings.max_upload_bytes,
            auth=auth,
            blocked_paths=[str(settings.corpus_dir.resolve()), str(settings.index_dir.resolve())],
            footer_links=["api"],
            run_history=False,
            enable_monitoring=False,
            mcp_server=False,
            ssr_mode=False,
            pwa=False,
            strict_cors=True,
            css=CSS,
            js=SCRIPT,
            theme=theme(),
            app_kwargs={"middleware": [Middleware(Doors, hosts={host, *settings.ui_hosts.split(",")} - {""},
                                                  max_upload_bytes=settings.max_upload_bytes),
                                       Middleware(RequestGuard), Middleware(ContentSecurityPolicy)]},
        )
    except OSError as e:  # the port is taken, or the address is not this machine's
        raise UsageError(render("SERVE_PORT", host=host, port=port, reason=str(e).split(".")[0])) from None
    if block:
        print(render("SERVE_READY", url=url), file=sys.stderr)
        try:
            while demo.is_running:
                time.sleep(0.2)
        finally:
            demo.close()
    return demo, url


def serve(settings: Settings, host: str, port: int) -> int:
    """``rag serve``: index the corpus if needed (only new passages are embedded), then open the chat."""
    from rag.progress import Progress

    logins(settings)  # a bad login setting fails now, not after loading the model
    with Progress("embedding", sys.stderr) as progress:
        service, report = Service.start(settings, progress=progress.update)
    if report is None:
        print(render("SERVE_INDEX_ONLY", folder=str(settings.corpus_dir), index=str(settings.index_dir)),
              file=sys.stderr)
    else:
        state = "up to date" if report.unchanged else f"embedded {report.embedded} new passages"
        print(f"{report.articles} articles, {report.chunks} passages ({state}), {len(report.skipped)} files "
              f"skipped -> {settings.index_dir}/", file=sys.stderr)
        for skipped in report.skipped:
            print(f"  skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    service.assistant.warm()  # the answering model loads and reads its instructions before the chat is ready
    launch(service, host, port, block=True)
    return 0
