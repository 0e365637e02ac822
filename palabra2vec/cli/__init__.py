"""The ``palabra2vec`` command line (see :mod:`palabra2vec.cli.main`)."""

from .main import main

__all__ = ["main"]
