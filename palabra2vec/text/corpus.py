"""Reading text: files, directories, compressed files, Gutenberg boilerplate, tokenizers.

Everything streams: a corpus is an iterable of sentences (lists of tokens) that can be
iterated again; no more than one bounded block of text is held at a time.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Palabra2vecError, UsageError
from .reading import _split_long, file_sentences, read_lines, strip_gutenberg, tokenize_spanish

if TYPE_CHECKING:
    from .shards import Shard

__all__ = ["Corpus", "expand_paths", "read_lines", "strip_gutenberg", "tokenize_spanish"]


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files named and files found (recursively, sorted) in directories named."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            if not found:
                raise Palabra2vecError(f"directory {p} holds no files")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif p.exists():
            raise Palabra2vecError(f"{p} is not a regular file or directory")
        else:
            raise Palabra2vecError(f"no such file or directory: {p}")
    return out


class Corpus:
    """Sentences (lists of tokens) read from files and directories, re-iterable.

    ``tokenizer``: ``spanish`` (default; Gutenberg header/footer stripped, see
    :func:`tokenize_spanish`), ``whitespace`` (pre-tokenized: one sentence per line, tokens
    as given) or ``notebook`` (the course notebook: skip 28 lines, split each line on white
    space, no other change).
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        tokenizer: str = "spanish",
        lowercase: bool = True,
        max_sentence_length: int = 1000,
        encoding: str | None = None,
    ) -> None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        if not paths:
            raise UsageError("no corpus files given")
        if tokenizer not in ("spanish", "whitespace", "notebook"):
            raise UsageError(f"unknown tokenizer {tokenizer!r} (spanish, whitespace, notebook)")
        self.files = expand_paths(paths)
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.max_sentence_length = max_sentence_length
        if encoding is not None:
            try:
                info = codecs.lookup(encoding)
            except LookupError:
                raise UsageError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252)") from None
            if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13: bytes to bytes
                raise UsageError(f"{encoding!r} is not a text encoding (try utf-8, latin-1, cp1252)")
        self.encoding = encoding

    def __iter__(self) -> Iterator[list[str]]:
        m = self.max_sentence_length
        for path in self.files:
            for sentence in file_sentences(path, self.tokenizer, self.lowercase, self.encoding):
                if len(sentence) <= m:  # the common case, without a generator per sentence
                    yield sentence
                else:
                    yield from _split_long(sentence, m)

    def shard(self, rank: int, world: int) -> "Shard":
        """Rank ``rank``'s share of this corpus out of ``world`` (see :mod:`palabra2vec.text.shards`)."""
        from .shards import Shard

        return Shard(self, rank, world)

    def __repr__(self) -> str:
        return f"Corpus({len(self.files)} files, tokenizer={self.tokenizer!r})"
