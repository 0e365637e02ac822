"""Don Quijote: downloaded (here from a local server), verified, cached, then read from the cache."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from palabra2vec.text.datasets import QUIJOTE_FILE, cache_dir, quijote_path, verify_quijote
from palabra2vec.errors import Palabra2vecError


@pytest.fixture
def book_server(quijote):
    """An HTTP server on 127.0.0.1 serving ../shared/data/quijote/ and counting requests."""
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    handler = functools.partial(Handler, directory=str(quijote.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{quijote.name}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_quijote_is_downloaded_verified_and_cached(book_server, quijote, monkeypatch):
    url, hits = book_server
    monkeypatch.setenv("PALABRA2VEC_QUIJOTE_URL", url)
    cached = cache_dir() / QUIJOTE_FILE
    assert not cached.exists()
    path = quijote_path()
    assert path == cached
    assert path.read_bytes() == quijote.read_bytes()
    assert hits == ["/" + quijote.name]
    assert [p.name for p in cached.parent.iterdir()] == [QUIJOTE_FILE]  # no temporary file left
    # the second call uses the cache: no request
    assert quijote_path() == cached
    assert len(hits) == 1


def test_data_dir_wins_over_cache_and_download(quijote, tmp_path):
    assert quijote_path(quijote.parent) == quijote
    with pytest.raises(Palabra2vecError, match="no pg2000.txt in"):
        quijote_path(tmp_path)


def test_verify_rejects_what_is_not_the_book(quijote):
    data = quijote.read_bytes()
    verify_quijote(data)
    with pytest.raises(Palabra2vecError, match="too small"):
        verify_quijote(data[: len(data) // 2])
    with pytest.raises(Palabra2vecError, match="web page"):
        verify_quijote(b"<!DOCTYPE html><html>" + data)
    with pytest.raises(Palabra2vecError, match="not UTF-8"):
        verify_quijote(data.replace("ñ".encode(), b"\xf1"))
    with pytest.raises(Palabra2vecError, match="not the Project Gutenberg Don Quijote"):
        verify_quijote(data.replace(b"Quijote", b"Quixote"))
