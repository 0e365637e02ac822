"""``python -m palabra2vec`` is the ``palabra2vec`` command."""

from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
