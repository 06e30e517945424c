"""Two answers Gradio would give differently, changed at the door (pure ASGI middleware, like ``ui.csp``).

* No remote fetch: Gradio's ``/file=<url>`` route fetches an http(s) URL on the caller's behalf and streams it
  back; the chat never needs that, and it would let anyone make this machine reach the network. Such requests
  get a 403 before Gradio sees them; local files keep Gradio's own checks (its upload folder only).
* A readable "busy": when more questions wait than ``ui_queue_limit``, Gradio answers the join with a 503 and
  the page shows a fixed English line. The guard turns that into a 429 with a ``Retry-After`` header and the
  ``UI_BUSY`` text, which the page shows as it is and API clients can read.

>>> remote_target("/gradio_api/file=https://example.org/x.png"), remote_target("/gradio_api/file=/tmp/gradio/a.txt")
(True, False)
>>> remote_target("/gradio_api/file/http://example.org/x"), remote_target("/gradio_api/proxy=http://x.example/")
(True, True)
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from rag.messages import render

_FILE_ROUTE = re.compile(r"/(?:file[=/]|proxy=)(?P<target>.*)$")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
RETRY_AFTER = 5  # seconds a busy client is asked to wait


def remote_target(path: str) -> bool:
    """Whether a request path asks Gradio's file or proxy route for something that is not a local file."""
    match = _FILE_ROUTE.search(path)
    return match is not None and (path[match.start() + 1:].startswith("proxy=") or bool(_URL.match(match["target"])))


class RequestGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if remote_target(path):
            await _reply(send, 403, {"detail": "Only files of this chat are served."})
            return
        if scope.get("method") == "POST" and path.rstrip("/").endswith("/queue/join"):
            await self.app(scope, receive, _busy_as_429(send))
            return
        await self.app(scope, receive, send)


def _busy_as_429(send):
    held = {}

    async def relay(message):
        if message["type"] == "http.response.start" and message["status"] == 503:
            held["busy"] = True
            return
        if held.get("busy"):
            if message["type"] == "http.response.body" and not message.get("more_body"):
                await _reply(send, 429, {"detail": render("UI_BUSY"), "error": render("UI_BUSY")},
                             [(b"retry-after", str(RETRY_AFTER).encode())])
            return
        await send(message)

    return relay


async def _reply(send, status: int, body: dict, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})
