"""What every command's parser shares: the program name, one-line usage errors, corpus options."""

from __future__ import annotations

import argparse

from ..config import TOKENIZERS
from ..errors import UsageError

PROG = "palabra2vec"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return v


def _add_corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", nargs="*", metavar="CORPUS",
                   help="text files or directories (.gz/.bz2/.xz too); none: Don Quijote")
    p.add_argument("--tokenizer", choices=TOKENIZERS, default=None,
                   help="spanish (default), whitespace (pre-tokenized, one sentence a line), notebook")
    p.add_argument("--no-lowercase", dest="lowercase", action="store_false", default=None,
                   help="keep the case of words (spanish tokenizer)")
    p.add_argument("--encoding", default=None, help="text encoding (default: UTF-8, Latin-1 if not UTF-8)")
    p.add_argument("--data-dir", default=None,
                   help="directory holding pg2000.txt, to use instead of downloading (or PALABRA2VEC_DATA; "
                        "default: download once and cache)")
