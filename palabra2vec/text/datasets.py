"""Built-in corpora: Don Quijote (Project Gutenberg eBook #2000), downloaded once and cached.

Where the book comes from, first match wins:

1. ``data_dir`` argument (CLI ``--data-dir``) or ``$PALABRA2VEC_DATA``: a directory holding
   ``pg2000.txt`` (for offline machines);
2. the cache: ``$PALABRA2VEC_CACHE`` or the per-user cache directory
   (``$XDG_CACHE_HOME/palabra2vec``, ``~/.cache/palabra2vec``, ``~/Library/Caches/palabra2vec``
   on macOS, ``%LOCALAPPDATA%\\palabra2vec`` on Windows);
3. a download from Project Gutenberg (``$PALABRA2VEC_QUIJOTE_URL`` overrides the address),
   verified before it enters the cache, so an interrupted download or an error page is never
   taken for the book.
"""

from __future__ import annotations

import http.client
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import Palabra2vecError

log = logging.getLogger(__name__)

QUIJOTE_FILE = "pg2000.txt"
QUIJOTE_URLS = (
    "https://www.gutenberg.org/files/2000/2000-0.txt",
    "https://www.gutenberg.org/cache/epub/2000/pg2000.txt",
)
#: The book is about 2.2 MB; anything much smaller is not it.
_MIN_BYTES = 1_500_000
_MAX_BYTES = 20_000_000
#: Seconds the whole download may take (``$PALABRA2VEC_DOWNLOAD_DEADLINE``); each read has its own timeout.
DOWNLOAD_DEADLINE = 300.0


def cache_dir() -> Path:
    """palabra2vec's per-user cache directory (not created)."""
    if os.environ.get("PALABRA2VEC_CACHE"):
        return Path(os.environ["PALABRA2VEC_CACHE"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "palabra2vec"


def verify_quijote(data: bytes) -> None:
    """Raise unless ``data`` looks like the Gutenberg Don Quijote in UTF-8."""
    if len(data) < _MIN_BYTES:
        raise Palabra2vecError(f"downloaded file is {len(data):,} bytes, too small to be Don Quijote (interrupted download?)")
    head = data[:4096].lower()
    if b"<html" in head or b"<!doctype" in head:
        raise Palabra2vecError("the server sent a web page, not the book")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Palabra2vecError(f"downloaded file is not UTF-8 text: {e}") from e
    if "Quijote" not in text[:20000] or "*** START OF" not in text[:20000]:
        raise Palabra2vecError("downloaded file is not the Project Gutenberg Don Quijote")


def _download(url: str, timeout: float, deadline: float = DOWNLOAD_DEADLINE) -> bytes:
    """The body at ``url``: ``timeout`` seconds at most per read, ``deadline`` for the whole
    download (a server trickling bytes cannot hang it), with a progress bar on a terminal."""
    from tqdm.auto import tqdm

    req = urllib.request.Request(url, headers={"User-Agent": "palabra2vec"})
    start = time.monotonic()
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        expected = resp.headers.get("Content-Length")
        total = int(expected) if expected is not None and expected.isdigit() else None
        parts: list[bytes] = []
        size = 0
        with tqdm(total=total, unit="B", unit_scale=True, desc="download", disable=None, leave=False) as bar:
            while size <= _MAX_BYTES:
                if time.monotonic() - start > deadline:
                    raise Palabra2vecError(f"download from {url} took more than {deadline:g}s "
                                           f"({size:,} bytes received); the server is too slow")
                block = resp.read1(1 << 16)  # what has arrived, without waiting for a full block
                if not block:
                    break
                parts.append(block)
                size += len(block)
                bar.update(len(block))
        data = b"".join(parts)
    if len(data) > _MAX_BYTES:
        raise Palabra2vecError(f"{url} is larger than {_MAX_BYTES:,} bytes: not the book")
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise Palabra2vecError(f"download from {url} stopped after {len(data):,} of {int(expected):,} bytes")
    return data


def quijote_path(data_dir: str | os.PathLike[str] | None = None, url: str | None = None, timeout: float = 60.0,
                 deadline: float | None = None) -> Path:
    """Path of ``pg2000.txt``: a local copy, the cache, or a fresh verified download."""
    local = data_dir or os.environ.get("PALABRA2VEC_DATA")
    if local:
        p = Path(local)
        p = p if p.is_file() else p / QUIJOTE_FILE
        if not p.is_file():
            raise Palabra2vecError(f"no {QUIJOTE_FILE} in {local} (set by --data-dir or PALABRA2VEC_DATA)")
        return p
    cached = cache_dir() / QUIJOTE_FILE
    if cached.is_file():
        return cached
    urls = [url] if url else ([os.environ["PALABRA2VEC_QUIJOTE_URL"]] if os.environ.get("PALABRA2VEC_QUIJOTE_URL") else list(QUIJOTE_URLS))
    errors = []
    for u in urls:
        log.info("downloading Don Quijote from %s", u)
        try:
            data = _download(u, timeout, deadline or float(os.environ.get("PALABRA2VEC_DOWNLOAD_DEADLINE", DOWNLOAD_DEADLINE)))
            verify_quijote(data)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, Palabra2vecError) as e:
            reason = getattr(e, "reason", None) or e
            errors.append(f"{u}: {reason}")
            continue
        cached.parent.mkdir(parents=True, exist_ok=True)
        from ..fileio import mkstemp

        fd, tmp = mkstemp(cached.parent, QUIJOTE_FILE)  # the user's umask, not 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, cached)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("cached Don Quijote at %s", cached)
        return cached
    raise Palabra2vecError(
        "could not download Don Quijote (" + "; ".join(errors) + "); "
        "offline? put pg2000.txt in a directory and pass --data-dir DIR or set PALABRA2VEC_DATA"
    )
