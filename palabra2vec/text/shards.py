"""One rank's share of a corpus: newline-aligned byte ranges of every plain-text file.

Every plain-text file's body is cut into ``world`` byte ranges, each moved forward to the next
line start; rank r reads range r of every file. A compressed file cannot be cut, so it goes
whole to rank ``index % world``. No rank reads everything: only each file's first lines (the
Gutenberg header, the encoding). A sentence that straddles a cut becomes two sentences; no word
is lost or split. :meth:`palabra2vec.text.corpus.Corpus.shard` is the public entry point.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import TrainConfig
from .reading import (_GUTENBERG_END, _GUTENBERG_HEADER_CHARS, _GUTENBERG_HEADER_LINES, _GUTENBERG_START, _OPENERS, MAX_LINE_CHARS,
                      NOTEBOOK_SKIP_LINES, open_binary, _paragraphs, _sniff_encoding, _split_long, file_sentences,
                      tokenize_spanish)


@dataclass(frozen=True)
class Piece:
    """Bytes ``[start, end)`` of ``path`` (``end`` -1: a compressed file, read whole)."""

    file: int  #: index of the file in corpus order
    path: Path
    start: int
    end: int
    encoding: str


def _next_line_start(f: io.BufferedReader, pos: int, limit: int) -> int:
    """The first line start at or after ``pos`` (``pos`` itself if a line starts there)."""
    if pos <= 0:
        return 0
    f.seek(pos - 1)
    while True:
        block = f.read(1 << 16)
        if not block:
            return limit
        i = block.find(b"\n")
        if i >= 0:
            return min(limit, f.tell() - len(block) + i + 1)


def _body_start(f: io.BufferedReader, encoding: str, tokenizer: str) -> int:
    """Where the text starts: after the Gutenberg START line (spanish) or 28 lines (notebook).

    Only the first lines are read, as :func:`~palabra2vec.text.reading.strip_gutenberg` looks no further."""
    if tokenizer == "whitespace":
        return 0
    f.seek(0)
    n = NOTEBOOK_SKIP_LINES if tokenizer == "notebook" else _GUTENBERG_HEADER_LINES
    read = 0
    for i in range(n):
        line = f.readline() if tokenizer == "notebook" else f.readline(_GUTENBERG_HEADER_CHARS)
        if not line:  # a short file: all skipped (notebook) or no START line (spanish)
            return f.tell() if tokenizer == "notebook" else 0
        if tokenizer == "spanish" and _GUTENBERG_START.match(line.decode(encoding, "replace")):
            return f.tell()
        read += len(line)
        if tokenizer == "spanish" and read >= _GUTENBERG_HEADER_CHARS:  # the bounded prefix of strip_gutenberg
            return 0
    return f.tell() if tokenizer == "notebook" else 0


def plan_pieces(files: Sequence[Path], rank: int, world: int, tokenizer: str, encoding: str | None) -> list[Piece]:
    """This rank's pieces of ``files``: range ``rank`` of ``world`` newline-aligned byte ranges."""
    out = []
    for i, path in enumerate(files):
        raw = open_binary(path)
        try:
            head = raw.peek(65536)[:65536] if hasattr(raw, "peek") else b""
        finally:
            raw.close()
        enc = encoding or _sniff_encoding(path, head)
        if path.suffix.lower() in _OPENERS:
            if i % world == rank:
                out.append(Piece(i, path, 0, -1, enc))
            continue
        size = path.stat().st_size
        with open(path, "rb") as f:
            body = _body_start(f, enc, tokenizer)
            lo = _next_line_start(f, body + (size - body) * rank // world, size) if rank else body
            hi = _next_line_start(f, body + (size - body) * (rank + 1) // world, size) if rank + 1 < world else size
        if hi > lo:
            out.append(Piece(i, path, lo, hi, enc))
    return out


class _Bounded(io.RawIOBase):
    """At most ``n`` bytes of an open file, from its current position."""

    def __init__(self, f: io.BufferedReader, n: int) -> None:
        self.f, self.left = f, n

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.left)
        if n <= 0:
            return 0
        data = self.f.read(n)
        b[: len(data)] = data
        self.left -= len(data)
        return len(data)


def _piece_lines(piece: Piece) -> Iterator[str]:
    """Lines of a byte range, decoded and cut as :func:`~palabra2vec.text.reading.read_lines` does."""
    with open(piece.path, "rb") as f:
        f.seek(piece.start)
        raw = io.BufferedReader(_Bounded(f, piece.end - piece.start), 1 << 16)
        enc = "utf-8" if piece.start > 0 and piece.encoding == "utf-8-sig" else piece.encoding
        text = io.TextIOWrapper(raw, encoding=enc, errors="replace", newline=None)
        carry = ""
        while True:
            part = text.readline(MAX_LINE_CHARS)
            if not part:
                break
            if part.endswith("\n") or len(part) < MAX_LINE_CHARS:
                yield carry + part.rstrip("\n")
                carry = ""
                continue
            part = carry + part
            cut = max(part.rfind(" "), part.rfind("\t"))
            cut = cut if cut > 0 else len(part)
            yield part[:cut]
            carry = part[cut:]
        if carry:
            yield carry


def last_marker(piece: Piece) -> int:
    """The last Gutenberg marker line of this range: 0 none, 1 a START line, 2 an END line.
    (A cheap byte test first.)"""
    with open(piece.path, "rb") as f:
        f.seek(piece.start)
        left, tail = piece.end - piece.start, b""
        while left > 0:
            block = tail + f.read(min(left, 1 << 24))
            left -= len(block) - len(tail)
            if b"PROJECT GUTENBERG" in block.upper():
                last = 0
                for line in _piece_lines(piece):
                    last = 1 if _GUTENBERG_START.match(line) else 2 if _GUTENBERG_END.match(line) else last
                return last
            tail = block[-64:]
    return 0


def piece_sentences(piece: Piece, config: TrainConfig, after_end: bool = False) -> Iterator[list[str]]:
    """Sentences of one piece, tokenized as :class:`~palabra2vec.text.corpus.Corpus` tokenizes the whole file.

    ``after_end``: the piece starts between a Gutenberg END line and the next START line."""
    if piece.end < 0:  # compressed: the whole file, as a single-process run reads it
        for s in file_sentences(piece.path, config.tokenizer, config.lowercase, piece.encoding):
            yield from _split_long(s, config.max_sentence_length)
        return
    lines = _piece_lines(piece)
    if config.tokenizer == "spanish":
        def body() -> Iterator[str]:  # text between START and END lines, as reading.strip_gutenberg
            inside = not after_end
            for line in lines:
                if inside:
                    if _GUTENBERG_END.match(line):
                        inside = False
                    else:
                        yield line
                elif _GUTENBERG_START.match(line):
                    inside = True
        sentences: Iterator[list[str]] = (s for para in _paragraphs(body()) for s in tokenize_spanish(para, config.lowercase))
    else:
        sentences = (t for t in (line.split() for line in lines) if t)
    for s in sentences:
        yield from _split_long(s, config.max_sentence_length)


class Shard:
    """The sentences of one rank's pieces of a :class:`~palabra2vec.text.corpus.Corpus`, re-iterable.

    ``skip_files``: files whose last Gutenberg marker before this rank's range is an END line
    (the range starts outside a book, until the next START line)."""

    def __init__(self, corpus: Any, rank: int, world: int, skip_files: set[int] = frozenset()) -> None:
        if not 0 <= rank < world:
            raise ValueError(f"rank {rank} outside 0..{world - 1}")
        self.config = TrainConfig(tokenizer=corpus.tokenizer, lowercase=corpus.lowercase,
                                  max_sentence_length=corpus.max_sentence_length)
        self.pieces = plan_pieces(corpus.files, rank, world, corpus.tokenizer, corpus.encoding)
        self.skip_files = set(skip_files)

    def __iter__(self) -> Iterator[list[str]]:
        for piece in self.pieces:
            yield from piece_sentences(piece, self.config, after_end=piece.file in self.skip_files)
