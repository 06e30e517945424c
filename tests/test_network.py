"""No network traffic at run time: ingest, ask and serve (with requests, including one asking the server to
fetch a remote URL) run in subprocesses whose every connection attempt and name lookup is recorded, and none
may leave this machine. The product's own offline switches are on trial, so the test environment's
(HF_HUB_OFFLINE, GRADIO_ANALYTICS_ENABLED, ...) are removed first."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, ROOT, cli_env, stop_server

# Loaded by every Python process that has its folder on PYTHONPATH: records where each socket tries to go.
WATCH = r'''
import ipaddress, json, os, socket

_LOG = os.environ["NETWATCH_LOG"]


def _record(kind, target):
    with open(_LOG, "a") as f:
        f.write(json.dumps({"pid": os.getpid(), "kind": kind, "target": str(target)}) + "\n")


def _local(host):
    if host in (None, "", "localhost", "localhost.localdomain") or (
            isinstance(host, str) and host.endswith(".localhost")):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _check(kind, address):
    if isinstance(address, tuple) and address and not _local(address[0]):
        _record(kind, address)


_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _record("lookup", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto


def connect(self, address):
    _check("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    _check("connect", address)
    return _connect_ex(self, address)


def sendto(self, data, *rest):
    _check("sendto", rest[-1])
    return _sendto(self, data, *rest)


socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
_record("started", os.getpid())
'''

OFFLINE_SWITCHES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "GRADIO_ANALYTICS_ENABLED",
                    "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")


@pytest.fixture
def watched(tmp_path):
    """(environment that records network attempts, function returning what was recorded)."""
    folder = tmp_path / "watch"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(WATCH)
    log = tmp_path / "network.jsonl"
    env = {k: v for k, v in cli_env().items() if k not in OFFLINE_SWITCHES}
    env.update(PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]), NETWATCH_LOG=str(log))

    def records() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return env, records


def run(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


def test_the_watch_sees_an_attempt(watched):
    """The recorder itself works: a deliberate connection to a documentation address is caught."""
    env, records = watched
    code = ("import socket; s = socket.socket(); s.settimeout(0.01)\n"
            "try: s.connect(('192.0.2.1', 9))\nexcept OSError: pass")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert [r for r in records() if r["kind"] == "connect"] == [{"pid": records()[0]["pid"], "kind": "connect",
                                                                  "target": "('192.0.2.1', 9)"}]


def listening(port: int) -> list[str]:
    """Local addresses listening on ``port`` (IPv4 and IPv6), from /proc/net."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.model
def test_ingest_ask_and_serve_stay_on_this_machine(watched, tmp_path):
    env, records = watched
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    index = tmp_path / "index"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (corpus / "extra.txt").write_text("Junior doctors at the Avocet Unit voted to accept the rota offer on Friday.\n")
    # serve first: it loads the model and ingests the corpus (no index yet), as `rag ingest` would
    server = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port), "--index", str(index),
                               "--corpus", str(corpus)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert listening(port) == ["0100007F"]  # 127.0.0.1 only, by default
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.get("/config").status_code == 200
            assert client.get("/gradio_api/file=https://example.com/logo.png").status_code == 403
            assert client.get("/gradio_api/file=/etc/passwd").status_code == 403
        from gradio_client import Client

        chat = Client(url + "/", verbose=False)
        assert "Barclay" in chat.predict("Who invited the BMA to pay talks in 2023?", api_name="/ask")["answer"]
        assert "Avocet" in chat.predict("What did the Avocet Unit junior doctors vote for?", api_name="/ask")["answer"]
        messages, _, _ = chat.predict("What is full pay restoration?", [], [], "", "", 5, api_name="/chat")
        assert messages[-1]["role"] == "assistant"
    finally:
        stop_server(server)
    ingested = run(env, "ingest", str(corpus), "--index", str(index))  # serve's ingest embedded it all already
    assert ingested.returncode == 0 and "unchanged" in ingested.stderr, ingested.stderr
    asked = run(env, "ask", "--json", "What did the Avocet Unit junior doctors vote for?", "--index", str(index))
    assert asked.returncode == 0 and "Avocet" in asked.stdout, asked.stderr
    seen = records()
    started = {r["target"] for r in seen if r["kind"] == "started"}
    assert len(started) >= 3  # ingest, ask and serve each ran under the watch
    assert [r for r in seen if r["kind"] != "started"] == []
