"""Three answers Gradio would give differently, changed at the door (pure ASGI middleware, like ``ui.csp``).

* No remote fetch: Gradio's ``/file=<url>`` route fetches an http(s) URL on the caller's behalf and streams it
  back; the chat never needs that, and it would let anyone make this machine reach the network. Such requests
  get a 403 before Gradio sees them; local files keep Gradio's own checks (its upload folder only).
* A readable "busy": when more questions wait than ``ui_queue_limit``, Gradio answers the join with a 503 and
  the page shows a fixed English line. The guard turns that into a 429 with a ``Retry-After`` header and the
  ``UI_BUSY`` text, which the page shows as it is and API clients can read.
* A readable "no such function": a raw call to the queue or the run API with an ``fn_index`` the chat lacks
  (9999, -1, "x") or an endpoint name it lacks makes Gradio fail with a 500 and a traceback in the server's log.
  The guard answers 404 with the ``UI_NO_FUNCTION`` text before Gradio sees the call.

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
_CALL = re.compile(r"/gradio_api/(?:queue/join|(?:run|api)/(?P<name>[^/]+))/?$")
RETRY_AFTER = 5  # seconds a busy client is asked to wait


def remote_target(path: str) -> bool:
    """Whether a request path asks Gradio's file or proxy route for something that is not a local file."""
    match = _FILE_ROUTE.search(path)
    return match is not None and (path[match.start() + 1:].startswith("proxy=") or bool(_URL.match(match["target"])))


def unknown_call(body: bytes, api_name: str | None, ids: set[int], names: set[str]) -> bool:
    """Whether a call names a function the chat lacks: an ``fn_index`` not among ``ids`` (negative, too large,
    not a whole number), or without one, an ``api_name`` not among ``names`` (None: the queue, which needs an
    ``fn_index``). A body that is not a JSON object is left to Gradio, which answers it with a 422.

    >>> [unknown_call(b'{"fn_index": %s}' % n, None, {0, 3}, {"ask"}) for n in (b"9999", b"-1", b'"3"', b"3")]
    [True, True, True, False]
    >>> unknown_call(b'{"data": []}', "predict", {0}, {"ask"}), unknown_call(b'{"data": []}', "ask", {0}, {"ask"})
    (True, False)
    """
    try:
        call = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if not isinstance(call, dict):
        return False
    fn_index = call.get("fn_index")
    if fn_index is None:
        return api_name not in names
    return type(fn_index) is not int or fn_index not in ids


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
        call = _CALL.search(path) if scope.get("method") == "POST" else None
        blocks = getattr(scope.get("app"), "get_blocks", lambda: None)()
        if call and blocks is not None:
            body = await read_body(receive)
            # The chat renders no functions per session (no gr.render), so the Blocks' own are all there are.
            names = {fn.api_name for fn in blocks.fns.values() if fn.api_name}
            if unknown_call(body, call["name"], set(blocks.fns), names):
                await _reply(send, 404, {"detail": render("UI_NO_FUNCTION"), "error": render("UI_NO_FUNCTION")})
                return
            receive = replay(body, receive)
        if call and call["name"] is None:  # the queue
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


async def read_body(receive, most: float = float("inf")) -> bytes | None:
    """The whole request body, or None past ``most`` bytes."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > most:
            return None
        if not message.get("more_body"):
            return body


def replay(body: bytes, receive):
    """A ``receive`` that hands the app a body already read, then what the client sends next (its disconnect)."""
    sent = False

    async def again():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _reply(send, status: int, body: dict, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})
