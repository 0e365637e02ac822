"""``palabra2vec serve MODEL``: the explorer page on a local web server (uvicorn)."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import time
from typing import Any

from ..errors import Palabra2vecError, UsageError
from .common import PROG, _positive_int
from .vectors import MODEL_HELP

DEFAULT_HOST = "127.0.0.1"


def add_serve_parser(sub: Any) -> None:
    """Registers the ``serve`` command on the ``palabra2vec`` parser."""
    p = sub.add_parser("serve", help="explore a model in the browser: neighbours, analogies, a map",
                       description="Serve a local page to explore MODEL: completion as you type, nearest words, "
                                   "analogies, similarity, which word doesn't belong, a 2-D map; JSON API under "
                                   "/api/. Needs: pip install 'palabra2vec[serve]'.")
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to listen on (default %(default)s: this computer only; 0.0.0.0 shares the model "
                        "with your network)")
    p.add_argument("--port", type=int, default=8000, help="port (default %(default)s; 0: any free port)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.add_argument("--restrict-vocab", type=_positive_int, default=None, metavar="N",
                   help="answer from the N most frequent words only (faster queries on large models; default: all)")


def is_loopback(host: str) -> bool:
    """True when ``host`` is only reachable from this computer (127.x.x.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; :class:`Palabra2vecError` says why when it cannot be had."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--host {host!r} is not an address of this computer: {e.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)  # proto IPPROTO_TCP: asyncio then sets TCP_NODELAY (no 40 ms stalls)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise Palabra2vecError(f"cannot listen on {host}:{port}: {e.strerror or e}"
                               + (" (try another --port)" if e.errno in (98, 48, 10048) else "")) from None
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve.app import create_app
    except ImportError as e:
        raise Palabra2vecError(f"serve needs the web extra: pip install 'palabra2vec[serve]' ({e.name} is missing)") from None
    if not is_loopback(args.host):
        print(f"{PROG}: warning: listening on {args.host}: anyone who can reach this computer on port "
              f"{args.port} can query the model", file=sys.stderr)
    sock = bind(args.host, args.port)  # before loading: a busy port fails at once
    start = time.perf_counter()
    print(f"loading {args.model} ...", flush=True)
    app = create_app(args.model, restrict_vocab=args.restrict_vocab)
    ex = app.state.explorer
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    print(f"{len(ex.wv):,} words x {ex.wv.vector_size} dims loaded in {time.perf_counter() - start:.1f}s")
    print(f"explorer at {url}  (Ctrl+C to stop)", flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
