"""``palabra2vec serve``: explore a model in the browser (needs ``pip install "palabra2vec[serve]"``).

:func:`create_app` builds the Starlette app (one static page and a JSON API under ``/api/``);
:class:`~palabra2vec.serve.explorer.Explorer` holds the queries themselves and needs no web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`palabra2vec.serve.app.create_app` (imported here lazily: Starlette is optional)."""
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)
