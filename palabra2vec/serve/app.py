"""The explorer's ASGI app (Starlette): one static page and the JSON API it calls.

Every ``/api/...`` answer is JSON. Bad requests get ``400 {"error": ...}``, unknown words
``404 {"error": ..., "word": ..., "suggestions": [...]}``, anything unexpected ``500
{"error": "internal error"}`` (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import Palabra2vecError, UnknownWordError, UsageError
from ..vectors import WordVectors, load_vectors
from .explorer import MAX_WORD_CHARS, MAX_WORDS, Explorer

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

#: Sent with every answer: the page loads nothing but its own files and shows no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _param(request: Request, name: str, default: str | None = None, max_chars: int = 4 * MAX_WORD_CHARS) -> str:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise UsageError(f"parameter {name!r} given {len(values)} times")
    if not values:
        if default is None:
            raise UsageError(f"missing parameter {name!r}")
        return default
    if len(values[0]) > max_chars:
        raise UsageError(f"parameter {name!r} is too long")
    return values[0]


def _int_param(request: Request, name: str, default: int) -> int:
    text = _param(request, name, str(default))
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise UsageError(f"parameter {name!r} must be a whole number")
    return int(text)


def _api(fn: Callable[[Explorer, Request], dict]) -> Callable:
    """An endpoint that answers JSON and turns every failure into a JSON error status."""

    @functools.wraps(fn)
    def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(fn(request.app.state.explorer, request))
        except UnknownWordError as e:
            return _error(404, str(e), word=e.word, suggestions=e.suggestions)
        except Palabra2vecError as e:
            return _error(400, str(e))
        except Exception:  # a bug: logged with its traceback, the client only learns it failed
            log.exception("internal error answering %s", request.url.path)
            return _error(500, "internal error")

    return endpoint


@_api
def info(ex: Explorer, request: Request) -> dict:
    return ex.info()


@_api
def suggest(ex: Explorer, request: Request) -> dict:
    return ex.suggest(_param(request, "q"), _int_param(request, "limit", 10))


@_api
def neighbours(ex: Explorer, request: Request) -> dict:
    return ex.neighbours(_param(request, "word"), _int_param(request, "topn", 10))


@_api
def analogy(ex: Explorer, request: Request) -> dict:
    return ex.analogy(_param(request, "a"), _param(request, "b"), _param(request, "c"),
                      _int_param(request, "topn", 5))


@_api
def similarity(ex: Explorer, request: Request) -> dict:
    return ex.similarity(_param(request, "w1"), _param(request, "w2"))


@_api
def doesnt_match(ex: Explorer, request: Request) -> dict:
    text = _param(request, "words", max_chars=MAX_WORDS * (MAX_WORD_CHARS + 1))
    return ex.doesnt_match(text.replace(",", " ").split())


@_api
def word_map(ex: Explorer, request: Request) -> dict:
    return ex.map(_param(request, "word"), _int_param(request, "topn", 15))


async def page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


async def _not_found(request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, exc.detail if isinstance(exc.detail, str) else "error")


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + self.extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(model: WordVectors | str | os.PathLike[str], name: str | None = None,
               restrict_vocab: int | None = None) -> Starlette:
    """The explorer for ``model``: a :class:`WordVectors` or a path :func:`load_vectors` reads;
    ``restrict_vocab``: answers from the N most frequent words only."""
    wv = model if isinstance(model, WordVectors) else load_vectors(model)
    if name is None:
        name = Path(model).name if not isinstance(model, WordVectors) else "vectors"
    routes = [
        Route("/", page),
        Route("/api/info", info),
        Route("/api/suggest", suggest),
        Route("/api/neighbours", neighbours),
        Route("/api/analogy", analogy),
        Route("/api/similarity", similarity),
        Route("/api/doesnt-match", doesnt_match),
        Route("/api/map", word_map),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: _not_found})
    app.state.explorer = Explorer(wv, name, restrict_vocab)
    return app
