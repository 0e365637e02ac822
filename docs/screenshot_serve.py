"""Draws docs/img/serve.png: the explorer page for MODEL in headless Chromium (Playwright).

    .venv/bin/python docs/screenshot_serve.py MODEL [--query '?word=caballero'] [--size 1200x820]
        [-o docs/img/serve.png] [--chromium /usr/bin/chromium]

Serves MODEL as `palabra2vec serve` does, on a free port of 127.0.0.1, opens the page at QUERY,
waits for the results and saves a screenshot of the whole page.
"""

from __future__ import annotations

import argparse
import threading
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--query", default="?word=caballero")
    p.add_argument("--size", default="1200x820")
    p.add_argument("-o", "--output", default="docs/img/serve.png")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    a = p.parse_args()
    import uvicorn
    from playwright.sync_api import sync_playwright

    from palabra2vec.cli.serve import bind
    from palabra2vec.serve.app import create_app

    width, height = (int(v) for v in a.size.split("x"))
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(a.model), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=a.chromium, args=flags, headless=True)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/{a.query}")
        page.wait_for_selector("#results h2, #results .error")
        page.wait_for_timeout(300)
        page.screenshot(path=a.output, full_page=True)
        browser.close()
    server.should_exit = True
    thread.join(10)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
