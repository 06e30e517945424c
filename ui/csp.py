"""A Content-Security-Policy on every response: a backstop behind the escaping in ``ui.html``.

Scripts may come only from this server, and inline scripts only with a fresh per-page nonce, which this
middleware adds to the ``<script>`` tags of Gradio's own page template (user text inside that page is
JSON-escaped by Gradio, ``<`` as ``\\u003c``, so no tag of it can receive the nonce). Inline event handlers
such as ``onerror=`` never run, and images, fonts, styles and connections may only reach this server.
``'unsafe-eval'`` is allowed because Gradio 6 renders ``gr.HTML`` through ``new Function``; it lets no
foreign code in by itself.

>>> "img-src 'self' data: blob:" in policy("abc")
True
>>> "'nonce-abc'" in policy("abc"), "nonce" in policy(None)
(True, False)
"""

from __future__ import annotations

import re
import secrets

_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)
_HEADER = b"content-security-policy"


def policy(nonce: str | None) -> str:
    script = "'self' 'unsafe-eval'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


class ContentSecurityPolicy:
    """Pure ASGI middleware (streamed responses such as Gradio's event stream pass through untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        page: dict = {}

        async def send_with_policy(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER]
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                html = kind.startswith(b"text/html")
                headers.append((_HEADER, policy(nonce if html else None).encode()))
                message = dict(message, headers=headers)
                if html:  # hold the page back until its body has its nonces
                    page.update(start=message, body=[])
                    return
            elif message["type"] == "http.response.body" and page:
                page["body"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', b"".join(page["body"]))
                start = page["start"]
                start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(body)).encode()))
                await send(start)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        await self.app(scope, receive, send_with_policy)
