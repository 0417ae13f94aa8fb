"""Smoke test of the built site in a real headless browser.

The site (see ``conftest.py``) is served over HTTP from a local server (the
search index is fetched by a web worker, which ``file://`` forbids) and
opened page by page in the system's Chromium (Debian's ``chromium`` package;
``$HOLOGRAM_DOCS_BROWSER`` names another binary), driven through the DevTools
protocol over a websocket. Every page must load with no console error, no
uncaught exception and no error-level log entry (a failed request included),
and show its article with a heading; typing "Executor" into the search box
must list at least one result. Nothing is written outside temporary
directories. Without Chromium the test skips, saying how to install it.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_support import require

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOAD_TIMEOUT_S = 30.0
SETTLE_S = 0.4  # after the load event: scripts that run late (the search worker) may still log


def find_browser() -> str | None:
    given = os.environ.get("HOLOGRAM_DOCS_BROWSER")
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site_dir: Path) -> Iterator[str]:
    """The base URL of the site, served from a local HTTP server on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class DevTools:
    """A minimal DevTools-protocol client on one page target: calls, and the events in between."""

    def __init__(self, url: str) -> None:
        import websocket

        self._ws = websocket.create_connection(url, timeout=LOAD_TIMEOUT_S, suppress_origin=True,
                                               enable_multithread=False)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self._ws.close()

    def _receive(self, deadline: float) -> dict[str, Any]:
        self._ws.settimeout(max(0.05, deadline - time.monotonic()))
        message: dict[str, Any] = json.loads(self._ws.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        call_id = self._next_id
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            message = self._receive(deadline)
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def wait_for_event(self, method: str, timeout: float = LOAD_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = len(self.events)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            self._receive(deadline)

    def drain(self, seconds: float) -> None:
        """Collects events for ``seconds``."""
        import websocket

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._receive(deadline)
            except websocket.WebSocketTimeoutException:
                return

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def poll(self, expression: str, until: Callable[[Any], bool], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        value = self.evaluate(expression)
        while not until(value) and time.monotonic() < deadline:
            self.drain(0.1)
            value = self.evaluate(expression)
        return value


def errors_in(events: list[dict[str, Any]]) -> list[str]:
    """The console errors, uncaught exceptions and error-level log entries among ``events``."""
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            found.append(f"console.{params['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            found.append(f"uncaught: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    """Headless Chromium with one blank page, its DevTools session attached."""
    require("websocket", "the test drives Chromium through its DevTools websocket")
    binary = find_browser()
    if binary is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium; or set HOLOGRAM_DOCS_BROWSER): "
                    "the site's browser smoke test needs one")
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--remote-debugging-port=0", "--remote-allow-origins=*",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while not (port_file.is_file() and port_file.read_text().strip()) and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"{binary} exited {proc.returncode} at start:\n{proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.05)
        assert port_file.is_file(), f"{binary} did not open its DevTools port within {LOAD_TIMEOUT_S} s"
        port = int(port_file.read_text().split()[0])
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=LOAD_TIMEOUT_S) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        client = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            client.call(f"{domain}.enable")
        yield client
        client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def site_pages(site_dir: Path) -> list[str]:
    """Every page of the built site, as URL paths ("" is the home page)."""
    out = []
    for html in sorted(site_dir.rglob("*.html")):
        rel = html.relative_to(site_dir).as_posix()
        out.append(rel.removesuffix("index.html"))
    return out


def open_page(browser: DevTools, url: str) -> list[str]:
    """Loads ``url``; the errors it logged."""
    browser.events.clear()
    browser.call("Page.navigate", url=url)
    browser.wait_for_event("Page.loadEventFired")
    browser.drain(SETTLE_S)
    return errors_in(browser.events)


def test_every_page_renders_without_errors(browser: DevTools, served: str, site_dir: Path) -> None:
    pages = site_pages(site_dir)
    assert len(pages) >= 15, pages
    problems: dict[str, list[str]] = {}
    for path in pages:
        errors = open_page(browser, served + path)
        rendered = browser.evaluate(
            "(() => { const a = document.querySelector('article.md-content__inner');"
            " return {title: document.title, text: a ? a.innerText.length : 0,"
            " h1: !!(a && a.querySelector('h1'))}; })()")
        if not rendered["title"] or rendered["text"] < 10 or not rendered["h1"]:
            errors.append(f"the page did not render its article: {rendered}")
        if errors:
            problems[path or "/"] = errors
    assert not problems, json.dumps(problems, indent=2)


def test_search_finds_executor(browser: DevTools, served: str) -> None:
    assert open_page(browser, served) == []
    browser.evaluate("document.querySelector('label.md-search__icon, .md-header__button[for=__search]')?.click();"
                     "document.querySelector('input.md-search__input').focus(); true")
    browser.call("Input.insertText", text="Executor")
    results = browser.poll("document.querySelectorAll('.md-search-result__item').length",
                           lambda n: bool(n), timeout=LOAD_TIMEOUT_S)
    meta = browser.evaluate("document.querySelector('.md-search-result__meta')?.innerText || ''")
    assert results, f"searching 'Executor' listed no result (the search box says {meta!r})"
    titles = browser.evaluate(
        "[...document.querySelectorAll('.md-search-result__item h1, .md-search-result__item h2')]"
        ".map(e => e.innerText).slice(0, 10)")
    assert any("Executor" in t for t in titles), titles
    assert errors_in(browser.events) == []
