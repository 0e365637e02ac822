"""Reading text: files, directories, compressed files, Gutenberg boilerplate, tokenizers.

Everything streams: a corpus is an iterable of sentences (lists of tokens) that can be
iterated again; no more than one bounded block of text is held at a time.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import logging
import lzma
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import Palabra2vecError, UsageError

log = logging.getLogger(__name__)

#: Longest piece of a line handed on at once: a 200 MB line without newlines is read in pieces.
MAX_LINE_CHARS = 1 << 20
#: Lines the notebook skips at the top of the book (its Gutenberg header).
NOTEBOOK_SKIP_LINES = 28
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}
_GUTENBERG_START = re.compile(r"^\s*\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG", re.I)
_GUTENBERG_END = re.compile(r"^\s*\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG", re.I)
#: How far into a file the Gutenberg start marker is looked for.
_GUTENBERG_HEADER_LINES = 600

# A word: letters or digits (any script, accents, ñ, ü), joined by inner apostrophes.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Sentence ends: . ! ? … ; and : are clause marks, not sentence ends.
_SENTENCE_END = re.compile(r"[.!?…]+")


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


def _open_binary(path: Path) -> io.BufferedIOBase:
    opener = _OPENERS.get(path.suffix.lower())
    try:
        return opener(path, "rb") if opener else open(path, "rb")  # type: ignore[return-value]
    except OSError as e:
        raise Palabra2vecError(f"cannot open {path}: {e.strerror or e}") from e


#: A well-formed UTF-8 sequence of 2-4 bytes (rare by chance in Latin-1 text).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _sniff_encoding(path: Path, head: bytes) -> str:
    """UTF-8 unless the first block is not UTF-8 (then Latin-1, with a warning)."""
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


def read_lines(path: str | os.PathLike[str], encoding: str | None = None) -> Iterator[str]:
    """Yield the lines of a text file (``.gz/.bz2/.xz`` decompressed), without line ends.

    A line longer than ``MAX_LINE_CHARS`` comes out in pieces cut at white space, so memory
    stays bounded. Undecodable bytes are replaced (and reported once).
    """
    path = Path(path)
    raw = _open_binary(path)
    try:
        try:
            head = raw.peek(65536)[:65536] if hasattr(raw, "peek") else b""
        except (OSError, EOFError, lzma.LZMAError) as e:
            raise Palabra2vecError(f"cannot read {path}: {e}") from e
        enc = encoding or _sniff_encoding(path, head)
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
        except (OSError, EOFError, lzma.LZMAError) as e:
            raise Palabra2vecError(f"cannot read {path}: {e}") from e
        if errors_seen:
            log.warning("%s: %d undecodable byte sequences replaced (use --encoding to choose)", path, errors_seen)
    finally:
        raw.close()


def strip_gutenberg(lines: Iterable[str]) -> Iterator[str]:
    """Drop a Project Gutenberg header and footer, if the text has them.

    The header ends at the ``*** START OF THE PROJECT GUTENBERG EBOOK`` line (looked for in
    the first lines only); the footer starts at ``*** END OF THE PROJECT GUTENBERG EBOOK``.
    Text without the markers passes through unchanged.
    """
    it = iter(lines)
    head: list[str] = []
    for line in it:
        if _GUTENBERG_START.match(line):
            head = []
            break
        head.append(line)
        if len(head) >= _GUTENBERG_HEADER_LINES:
            break
    for line in head:
        if _GUTENBERG_END.match(line):
            return
        yield line
    for line in it:
        if _GUTENBERG_END.match(line):
            return
        yield line


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
                codecs.lookup(encoding)
            except LookupError:
                raise UsageError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252)") from None
        self.encoding = encoding

    def _file_sentences(self, path: Path) -> Iterator[list[str]]:
        lines = read_lines(path, self.encoding)
        if self.tokenizer == "notebook":
            for i, line in enumerate(lines):
                if i >= NOTEBOOK_SKIP_LINES:
                    tokens = line.split()
                    if tokens:
                        yield tokens
        elif self.tokenizer == "whitespace":
            for line in lines:
                tokens = line.split()
                if tokens:
                    yield tokens
        else:
            for para in _paragraphs(strip_gutenberg(lines)):
                yield from tokenize_spanish(para, self.lowercase)

    def __iter__(self) -> Iterator[list[str]]:
        m = self.max_sentence_length
        for path in self.files:
            for sentence in self._file_sentences(path):
                if len(sentence) <= m:  # the common case, without a generator per sentence
                    yield sentence
                else:
                    yield from _split_long(sentence, m)

    def __repr__(self) -> str:
        return f"Corpus({len(self.files)} files, tokenizer={self.tokenizer!r})"
