"""Reading one text file: decompression, encoding, bounded lines, Gutenberg boilerplate,
paragraphs and the tokenizers. :class:`palabra2vec.text.corpus.Corpus` (whole corpora) and
:mod:`palabra2vec.text.shards` (one rank's byte ranges) both read through these functions.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import itertools
import logging
import lzma
import os
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import Palabra2vecError

log = logging.getLogger(__name__)

#: Longest piece of a line handed on at once: a 200 MB line without newlines is read in pieces.
MAX_LINE_CHARS = 1 << 20
#: Lines the notebook skips at the top of the book (its Gutenberg header).
NOTEBOOK_SKIP_LINES = 28
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}
_GUTENBERG_START = re.compile(r"^\s*\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG", re.I)
_GUTENBERG_END = re.compile(r"^\s*\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG", re.I)
#: How far into a file the Gutenberg start marker is looked for: lines, and characters (so that
#: text without newlines, read in 1 MB pieces, does not hold hundreds of pieces while looking).
_GUTENBERG_HEADER_LINES = 600
_GUTENBERG_HEADER_CHARS = 100_000
#: Errors of the decompressors and of reading (corrupt deflate data is a ``zlib.error``).
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)
#: Bytes read at once when deciding a file's encoding.
_SCAN_BLOCK = 1 << 20
_ASCII = bytes(range(128))

# A word: letters or digits (any script, accents, ñ, ü), joined by inner apostrophes.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Sentence ends: . ! ? … ; and : are clause marks, not sentence ends.
_SENTENCE_END = re.compile(r"[.!?…]+")


def open_binary(path: Path) -> io.BufferedIOBase:
    """``path`` opened for reading bytes, decompressed by its suffix (.gz, .bz2, .xz, .lzma)."""
    opener = _OPENERS.get(path.suffix.lower())
    try:
        return opener(path, "rb") if opener else open(path, "rb")  # type: ignore[return-value]
    except OSError as e:
        raise Palabra2vecError(f"cannot open {path}: {e.strerror or e}") from e


#: A well-formed UTF-8 sequence of 2-4 bytes (rare by chance in Latin-1 text).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _sniff_encoding(path: Path, head: bytes) -> str:
    """The encoding by the evidence of ``head`` only (the distributed reader's shards; a
    whole file is judged by :func:`detect_encoding`)."""
    if b"\x00" in head:
        raise Palabra2vecError(f"{path} looks like a binary file, not text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        if _UTF8_MULTIBYTE.search(head):  # valid UTF-8 letters too: mixed encodings
            # read as UTF-8; the stray bytes are replaced and reported once, at the end
            return "utf-8-sig"
        log.warning("%s is not UTF-8; reading it as Latin-1 (use --encoding to choose)", path)
        return "latin-1"


def detect_encoding(path: str | os.PathLike[str]) -> str:
    """``utf-8-sig`` or ``latin-1``, on the evidence of the whole stream (read in 1 MB blocks).

    UTF-8 unless most non-ASCII bytes are not valid UTF-8: one stray Latin-1 byte in a UTF-8
    file is replaced (and reported by :func:`read_lines`), it does not make the file Latin-1.
    """
    path = Path(path)
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    non_ascii = invalid = 0
    raw = open_binary(path)
    try:
        first = True
        while True:
            block = raw.read(_SCAN_BLOCK)
            if first and b"\x00" in block[:65536]:
                raise Palabra2vecError(f"{path} looks like a binary file, not text")
            first = False
            final = not block
            non_ascii += len(block.translate(None, _ASCII))
            invalid += dec.decode(block, final=final).count("\ufffd")  # one U+FFFD per bad sequence
            if final:
                break
    except _READ_ERRORS as e:
        raise Palabra2vecError(f"cannot read {path}: {e}") from e
    finally:
        raw.close()
    if invalid and 2 * invalid > non_ascii:
        log.warning("%s is not UTF-8 (%d of %d non-ASCII bytes are not valid UTF-8); reading it as "
                    "Latin-1 (use --encoding to choose)", path, invalid, non_ascii)
        return "latin-1"
    return "utf-8-sig"


def read_lines(path: str | os.PathLike[str], encoding: str | None = None) -> Iterator[str]:
    """Yield the lines of a text file (``.gz/.bz2/.xz`` decompressed), without line ends.

    A line longer than ``MAX_LINE_CHARS`` comes out in pieces cut at white space, so memory
    stays bounded. Undecodable bytes are replaced (and reported once).
    """
    path = Path(path)
    raw = open_binary(path)
    try:
        enc = encoding or detect_encoding(path)
        errors_seen = 0

        def on_error(err: UnicodeDecodeError) -> tuple[str, int]:
            nonlocal errors_seen
            errors_seen += 1
            return ("\ufffd", err.end)

        handler = f"palabra2vec-replace-{id(on_error)}"
        codecs.register_error(handler, on_error)
        text = io.TextIOWrapper(raw, encoding=enc, errors=handler, newline=None)
        carry = ""
        try:
            while True:
                piece = text.readline(MAX_LINE_CHARS)
                if not piece:
                    break
                if piece.endswith("\n"):
                    yield carry + piece[:-1]
                    carry = ""
                    continue
                if len(piece) < MAX_LINE_CHARS:  # last line, no newline at the end
                    yield carry + piece
                    carry = ""
                    continue
                piece = carry + piece  # an over-long line: cut at the last white space
                cut = max(piece.rfind(" "), piece.rfind("\t"))
                if cut <= 0:
                    cut = len(piece)
                yield piece[:cut]
                carry = piece[cut:]
            if carry:
                yield carry
        except _READ_ERRORS as e:
            raise Palabra2vecError(f"cannot read {path}: {e}") from e
        if errors_seen:
            log.warning("%s: %d undecodable byte sequences replaced (use --encoding to choose)", path, errors_seen)
    finally:
        raw.close()


def strip_gutenberg(lines: Iterable[str], source: object = "text") -> Iterator[str]:
    """Drop Project Gutenberg headers and footers, if the text has them.

    The first header ends at the ``*** START OF THE PROJECT GUTENBERG EBOOK`` line (looked for
    in a bounded prefix: 600 lines, 100,000 characters); each footer runs from an ``*** END OF
    THE PROJECT GUTENBERG EBOOK`` line to the next START line, so several books concatenated
    in one file all keep their text. Text without the markers passes through unchanged.
    How much was dropped is logged.
    """
    it = iter(lines)
    head: list[str] = []
    chars = 0
    dropped = books = 0
    for line in it:
        if _GUTENBERG_START.match(line):
            dropped, books, head = len(head) + 1, 1, []
            break
        head.append(line)
        chars += len(line)
        if len(head) >= _GUTENBERG_HEADER_LINES or chars >= _GUTENBERG_HEADER_CHARS:
            break
    inside = True
    for line in itertools.chain(head, it):
        if inside:
            if _GUTENBERG_END.match(line):
                inside = False
                dropped += 1
            else:
                yield line
        else:
            dropped += 1
            if _GUTENBERG_START.match(line):
                inside, books = True, books + 1
    if dropped:
        log.info("%s: %d Project Gutenberg book(s); %d lines of header and footer dropped", source, books, dropped)


def _paragraphs(lines: Iterable[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """Join lines into paragraphs (separated by blank lines), each at most ~max_chars."""
    buf: list[str] = []
    size = 0
    for line in lines:
        if not line.strip():
            if buf:
                yield " ".join(buf)
                buf, size = [], 0
            continue
        if buf and size + len(line) > max_chars:  # keep paragraphs near max_chars at most
            yield " ".join(buf)
            buf, size = [], 0
        buf.append(line)
        size += len(line)
        if size >= max_chars:
            yield " ".join(buf)
            buf, size = [], 0
    if buf:
        yield " ".join(buf)


def tokenize_spanish(text: str, lowercase: bool = True) -> list[list[str]]:
    """Split a paragraph into sentences of word tokens.

    Unicode NFC; letters with accents, ñ and ü kept; punctuation (¿ ¡ « » — , ; ...) removed;
    sentences end at ``. ! ? …``.

    >>> tokenize_spanish("¿Qué día es hoy? —Martes, señor.")
    [['qué', 'día', 'es', 'hoy'], ['martes', 'señor']]
    """
    text = unicodedata.normalize("NFC", text)
    if lowercase:
        text = text.lower()
    sentences = []
    for piece in _SENTENCE_END.split(text):
        tokens = _WORD.findall(piece)
        if tokens:
            sentences.append(tokens)
    return sentences


def _split_long(sentence: list[str], max_len: int) -> Iterator[list[str]]:
    if len(sentence) <= max_len:
        yield sentence
    else:
        for i in range(0, len(sentence), max_len):
            yield sentence[i : i + max_len]


def file_sentences(path: Path, tokenizer: str, lowercase: bool = True, encoding: str | None = None) -> Iterator[list[str]]:
    """The sentences of one file as ``tokenizer`` reads it (see :class:`~palabra2vec.text.corpus.Corpus`),
    before long sentences are split."""
    lines = read_lines(path, encoding)
    if tokenizer == "notebook":
        for i, line in enumerate(lines):
            if i >= NOTEBOOK_SKIP_LINES:
                tokens = line.split()
                if tokens:
                    yield tokens
    elif tokenizer == "whitespace":
        for line in lines:
            tokens = line.split()
            if tokens:
                yield tokens
    else:
        for para in _paragraphs(strip_gutenberg(lines, path)):
            yield from tokenize_spanish(para, lowercase)
