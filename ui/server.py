"""Start the chat: load the model once, bring the index in line with the corpus, launch Gradio locally.

``rag serve`` calls ``serve``; tests and benchmarks call ``launch`` with a ``Service`` of their own.
Nothing leaves the machine: no share link, no analytics, no monitoring or MCP endpoints, no run history,
and a Content-Security-Policy that keeps the page to this server.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import time

import gradio as gr
from starlette.middleware import Middleware

from rag.errors import UsageError
from rag.prompts import render
from rag.settings import Settings
from ui.app import CSS, build, theme
from ui.csp import ContentSecurityPolicy
from ui.service import Service

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


def launch(service: Service, host: str = "127.0.0.1", port: int = 7860,
           block: bool = False) -> tuple[gr.Blocks, str]:
    """Serve the chat for ``service``; returns the Blocks and the local URL (``block`` waits until Ctrl+C)."""
    if not is_loopback(host):
        print(render("SERVE_EXPOSED", host=host), file=sys.stderr)
    demo = build(service)
    demo.queue(default_concurrency_limit=service.settings.ui_concurrency)
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            share=False,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
            max_file_size=service.settings.max_upload_bytes,
            footer_links=["api"],
            run_history=False,
            enable_monitoring=False,
            mcp_server=False,
            ssr_mode=False,
            pwa=False,
            strict_cors=True,
            css=CSS,
            theme=theme(),
            app_kwargs={"middleware": [Middleware(ContentSecurityPolicy)]},
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

    with Progress("embedding", sys.stderr) as progress:
        service, report = Service.start(settings, progress=progress.update)
    state = "up to date" if report.unchanged else f"embedded {report.embedded} new passages"
    print(f"{report.articles} articles, {report.chunks} passages ({state}), {len(report.skipped)} files skipped "
          f"-> {settings.index_dir}/", file=sys.stderr)
    for skipped in report.skipped:
        print(f"  skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    launch(service, host, port, block=True)
    return 0
