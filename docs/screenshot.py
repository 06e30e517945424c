"""Take the README's screenshot: the chat answering an ordinary question with the model, its passage open.

    python docs/screenshot.py --index /tmp/qidx ["QUESTION"]

Starts `rag serve` (answerer auto: the installed model) on a free loopback port, asks in headless Chromium,
waits for the checked answer, opens its first source and writes docs/screenshot.png.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("question", nargs="?", default="What did Jeremy Hunt offer junior doctors?")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--index", str(args.index), "--port", str(port)],
                              cwd=ROOT, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(600):  # the model loads and reads its instructions before the chat answers
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(300_000)
            page.goto(url)
            page.locator("#question textarea").fill(args.question)
            page.locator("#ask").click()
            page.locator('#chat [data-testid="bot"] a.cite').first.wait_for()
            page.locator('#chat [data-testid="bot"] a.cite').first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
