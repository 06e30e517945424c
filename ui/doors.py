"""Who may knock, and how often: the Host header, logins, and uploads (pure ASGI middleware, like ``ui.guard``).

* Host: only the names this server is served on. An IP address is always accepted (no DNS rebinding goes
  through one), ``localhost`` too, and any other name only when it is the bound host or in ``ui_hosts``;
  ``Host: evil.example:7871`` (a rebinding page in a browser on this machine) gets a 421.
* Login: with ``--auth``, a visitor without a session reaches the login page and nothing else (no API, no
  manifest, no heartbeat or reset), the page's embedded API description is blanked, and each address may try
  ``LOGIN_TRIES`` logins a minute; past that it is told to wait (429, ``Retry-After``).
* Uploads: only from this server's own page (a cross-origin upload is refused), one file per request of at
  most ``max_upload_bytes``, and at most ``UPLOADS_PER_MINUTE`` files a minute per address.

>>> host_allowed("127.0.0.1:7860", {"127.0.0.1"}), host_allowed("evil.example:7871", {"127.0.0.1"})
(True, False)
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections import defaultdict, deque

from rag.messages import render
from ui.guard import _reply, read_body, replay

LOGIN_TRIES = 10  # login attempts per address per minute: a person mistyping never meets it, a guesser does
UPLOADS_PER_MINUTE = 10  # files per address per minute
_OPEN_PATHS = ("/", "/login", "/login/", "/config", "/config/", "/theme.css", "/favicon.ico")
_OPEN_PREFIXES = ("/assets/", "/static/", "/login_check", "/gradio_api/login", "/gradio_api/theme.css",
                  "/gradio_api/startup-events")  # the last: Gradio calls it itself as it starts
_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)


def host_allowed(host_header: str, names: set[str]) -> bool:
    host = host_header.strip().lower()
    host = host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]
    if host == "localhost" or host in names:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Doors:
    def __init__(self, app, hosts: set[str], max_upload_bytes: int):
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.max_upload_bytes = max_upload_bytes
        self.logins: dict[str, deque] = defaultdict(deque)
        self.uploads: dict[str, deque] = defaultdict(deque)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if not host_allowed(headers.get("host", ""), self.hosts):
            await _reply(send, 421, {"detail": render("UI_WRONG_HOST")})
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        client = (scope.get("client") or ("?", 0))[0]
        app = scope.get("app")
        if getattr(app, "auth", None) and not _logged_in(app, headers):
            if method == "POST" and path.rstrip("/").endswith("/login"):
                if not _within(self.logins[client], LOGIN_TRIES):
                    await _reply(send, 429, {"detail": render("UI_LOGIN_LIMIT")}, [(b"retry-after", b"60")])
                    return
            elif path not in _OPEN_PATHS and not path.startswith(_OPEN_PREFIXES):
                await _reply(send, 401, {"detail": "Not authenticated"})
                return
            if method == "GET" and path == "/":
                await self.app(scope, receive, _without_api_info(send))
                return
        if method == "POST" and path.rstrip("/").endswith("/upload"):
            refusal = _upload_refusal(headers, self.max_upload_bytes)
            if refusal is None and not _within(self.uploads[client], UPLOADS_PER_MINUTE):
                refusal = 429, render("UI_UPLOAD_LIMIT", files=UPLOADS_PER_MINUTE)
            if refusal is None:
                body = await read_body(receive, self.max_upload_bytes + 65536)
                if body is None or body.count(b"filename=") > 1:
                    refusal = 413, render("UI_UPLOAD_ONE", limit=self.max_upload_bytes)
                else:
                    await self.app(scope, replay(body, receive), send)
                    return
            await _reply(send, refusal[0], {"detail": refusal[1]})
            return
        await self.app(scope, receive, send)


def _logged_in(app, headers: dict[str, str]) -> bool:
    cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    cookie_id = getattr(app, "cookie_id", "")
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return bool(token) and token in getattr(app, "tokens", {})


def _within(times: deque, most: int, window: float = 60.0) -> bool:
    """Record one more event now; whether ``times`` holds at most ``most`` events in the last ``window`` s."""
    now = time.monotonic()
    while times and now - times[0] > window:
        times.popleft()
    if len(times) >= most:
        return False
    times.append(now)
    return True


def _upload_refusal(headers: dict[str, str], limit: int) -> tuple[int, str] | None:
    origin = headers.get("origin")
    if origin is not None and re.sub(r"^[a-z]+://", "", origin.lower()).rstrip("/") != headers.get("host", "").lower():
        return 403, render("UI_UPLOAD_ORIGIN")
    length = headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit + 65536:  # one file, plus the form's own bytes
        return 413, render("UI_UPLOAD_ONE", limit=limit)
    return None


def _without_api_info(send):
    """The login page as Gradio writes it, less the API description it embeds (it lists the corpus's
    publishers and disputes)."""
    held: dict = {}

    async def relay(message):
        if message["type"] == "http.response.start":
            held["start"], held["body"] = message, b""
            return
        held["body"] += message.get("body", b"")
        if message.get("more_body"):
            return
        body = _API_INFO.sub(b"window.gradio_api_info = null;</script>", held["body"])
        headers = [(k, v) for k, v in held["start"]["headers"] if k.lower() != b"content-length"]
        await send({**held["start"], "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return relay
