"""Vector files other tools read: word2vec.c text and binary, the TensorBoard projector TSVs.

word2vec text (``-binary 0``)::

    V D\\n
    word v1 v2 ... vD\\n          (one row per word; values as shortest float32 repr, like gensim)

word2vec binary (``-binary 1``), rows as word2vec.c writes them::

    V D\\n
    word<SPACE><D little-endian float32><\\n>

The reader also takes gensim's binary rows (no ``\\n`` after the floats), word2vec.c and
fastText ``.vec`` text rows (a space after the last value), ``.gz``/``.bz2``/``.xz`` files,
and words that are not valid UTF-8 (word2vec.c cuts long words inside a character).
"""

from __future__ import annotations

import io
import logging
import lzma
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import Palabra2vecError
from ..text.reading import open_binary

log = logging.getLogger(__name__)

FORMATS = ("word2vec-text", "word2vec-binary", "projector")
#: Longest word (UTF-8 bytes) written or read; longer words are refused when writing.
MAX_WORD_BYTES = 1 << 20
_FLOAT = np.dtype("<f4")
#: Bytes the binary reader reads at a time.
_BLOCK = 1 << 24


@dataclass
class RawVectors:
    """What a vector file holds: words in file order and a (V, D) float32 table."""

    words: list[str]
    vectors: np.ndarray


def _check_words(words: list[str]) -> None:
    for w in words:
        if not w or any(ch in w for ch in " \t\n\r"):
            raise Palabra2vecError(f"word {w!r} cannot be stored in a word2vec file (empty or holds whitespace)")
        if len(w) * 4 > MAX_WORD_BYTES and len(w.encode("utf-8")) > MAX_WORD_BYTES:
            raise Palabra2vecError(f"a word of {len(w.encode('utf-8')):,} bytes cannot be stored in a word2vec "
                                   f"file (at most {MAX_WORD_BYTES:,})")


def _fmt(row: np.ndarray) -> str:
    # str(np.float32) is the shortest text that reads back as the same float32 (gensim writes the same)
    return " ".join(str(v) for v in row)


# -- writers -------------------------------------------------------------------------------------
def word2vec_text_bytes(words: list[str], vectors: np.ndarray) -> bytes:
    """The word2vec text format as bytes: header ``V D`` then ``word v1 ... vD`` rows."""
    vectors = np.asarray(vectors, dtype=np.float32)
    _check_words(words)
    out = [f"{len(words)} {vectors.shape[1]}\n"]
    out += [f"{w} {_fmt(row)}\n" for w, row in zip(words, vectors)]
    return "".join(out).encode("utf-8")


def word2vec_binary_bytes(words: list[str], vectors: np.ndarray) -> bytes:
    """The word2vec.c binary format: header, then ``word `` + D float32 (little endian) + ``\\n``."""
    vectors = np.asarray(vectors, dtype=_FLOAT)
    _check_words(words)
    parts = [f"{len(words)} {vectors.shape[1]}\n".encode("utf-8")]
    for w, row in zip(words, vectors):
        parts.append(w.encode("utf-8") + b" " + row.tobytes() + b"\n")
    return b"".join(parts)


def projector_bytes(words: list[str], vectors: np.ndarray) -> tuple[bytes, bytes]:
    """TensorBoard projector files: ``vectors.tsv`` (tab-separated values, no header) and
    ``metadata.tsv`` (one word a line; a single column has no header row)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    for w in words:
        if any(ch in w for ch in "\t\n\r"):
            raise Palabra2vecError(f"word {w!r} holds a tab or newline and cannot go in metadata.tsv")
    vec = "".join("\t".join(str(v) for v in row) + "\n" for row in vectors)
    meta = "".join(f"{w}\n" for w in words)
    return vec.encode("utf-8"), meta.encode("utf-8")


def save_word2vec_format(path: str | os.PathLike[str], words: list[str], vectors: np.ndarray, binary: bool = False) -> Path:
    """Write ``words``/``vectors`` as a word2vec text or binary file (atomically)."""
    from ..fileio import atomic_write

    path = Path(path)
    data = word2vec_binary_bytes(words, vectors) if binary else word2vec_text_bytes(words, vectors)
    try:
        atomic_write(path, lambda f: f.write(data))
    except OSError as e:
        raise Palabra2vecError(f"cannot write {path}: {e.strerror or e}") from e
    return path


def save_projector(directory: str | os.PathLike[str], words: list[str], vectors: np.ndarray) -> tuple[Path, Path]:
    """Write ``DIR/vectors.tsv`` and ``DIR/metadata.tsv`` for projector.tensorflow.org."""
    from ..fileio import atomic_write

    d = Path(directory)
    vec, meta = projector_bytes(words, vectors)
    try:
        d.mkdir(parents=True, exist_ok=True)
        atomic_write(d / "vectors.tsv", lambda f: f.write(vec))
        atomic_write(d / "metadata.tsv", lambda f: f.write(meta))
    except OSError as e:
        raise Palabra2vecError(f"cannot write the projector files in {d}: {e.strerror or e}") from e
    return d / "vectors.tsv", d / "metadata.tsv"


# -- reader --------------------------------------------------------------------------------------
def _parse_header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise Palabra2vecError(f"{path} is not a word2vec file: the first line should be 'WORDS DIMENSIONS', "
                               f"got {line[:60]!r}")
    n, dim = int(parts[0]), int(parts[1])
    if dim < 1:
        raise Palabra2vecError(f"{path}: header says {dim} dimensions")
    return n, dim


def _read_at_most(f: io.BufferedIOBase, limit: int) -> bytes:
    """Up to ``limit`` bytes, read in 16 MB blocks (no allocation of ``limit`` up front)."""
    parts, size = [], 0
    while size < limit:
        block = f.read(min(1 << 24, limit - size))
        if not block:
            break
        parts.append(block)
        size += len(block)
    return b"".join(parts)


def _looks_like_text(body: bytes, dim: int) -> bool:
    """True when the first row is ``word`` + ``dim`` numbers in text."""
    end = body.find(b"\n")
    if end < 0:
        end = len(body)
    parts = body[:end].rstrip().split(b" ")
    if len(parts) != dim + 1:
        return False
    try:
        [float(p) for p in parts[1:]]
    except ValueError:
        return False
    return True


class _Words:
    """Decodes words, counting errors, and drops repeated words (gensim keeps the first too)."""

    def __init__(self, path: Path, encoding: str, errors: str) -> None:
        self.path, self.encoding, self.errors = path, encoding, errors
        self.bad = 0

    def decode(self, raw: bytes, where: str) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError:
            if self.errors == "strict":
                raise Palabra2vecError(f"{self.path}: {where}: word {raw[:40]!r} is not valid {self.encoding} "
                                       "(pass unicode_errors='replace' to read it anyway)") from None
            self.bad += 1
            return raw.decode(self.encoding, errors=self.errors)


def read_word2vec(
    path: str | os.PathLike[str],
    binary: bool | None = None,
    encoding: str = "utf-8",
    unicode_errors: str = "replace",
    limit: int | None = None,
) -> RawVectors:
    """Read a word2vec text or binary file (``binary=None``: detect which from the first row).

    Plain binary files are read by blocks straight into the table (never held whole); no more
    is read than the rows the header announces can take, however much a compressed file
    inflates. Raises :class:`Palabra2vecError` with the reason when the header and the body
    disagree (fewer or more rows, rows of the wrong length), the file is not a vector file, or
    a value is NaN or infinite.
    """
    path = Path(path)
    if not path.is_file():
        raise Palabra2vecError(f"no word2vec file at {path}")
    words = _Words(path, encoding, unicode_errors)
    try:
        with open_binary(path) as f:
            header = f.readline(1000)
            n, dim = _parse_header(header, path)
            # the most a row can take: a word of at most MAX_WORD_BYTES and dim values of at most
            # 64 characters each
            most = n * (MAX_WORD_BYTES + 2 + 65 * dim) + 1024
            plain = isinstance(f, io.BufferedReader)
            if plain:  # its size is known: read it by blocks
                size = os.fstat(f.fileno()).st_size - len(header)
                first = f.read(_BLOCK)
            else:  # compressed: read whole, but never more than the header allows
                first = _read_at_most(f, most + 1)
                size = len(first)
            if size > most:
                raise Palabra2vecError(f"{path}: more data than the {n:,} vectors of {dim} dimensions the header "
                                       "announces (the header disagrees with the body)")
            if size < n * (2 * dim + 1):  # the smallest row: a 1-byte word and dim 1-digit numbers
                raise Palabra2vecError(f"{path}: header says {n} vectors of {dim} dimensions but the body has only "
                                       f"{size:,} bytes (truncated, or a damaged header)")
            if binary is None:
                binary = not _looks_like_text(first, dim)
            want = n if limit is None else min(n, limit)
            if binary:
                raw = _read_binary(f, first, n, dim, want, words, path)
            else:  # text is parsed from one bytes object, read once
                if plain:
                    del first
                    f.seek(len(header))
                    first = f.read()
                raw = _read_text(first, n, dim, want, words, path)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise Palabra2vecError(f"cannot read {path}: {e}") from e
    if words.bad:
        log.warning("%s: %d words were not valid %s; bad bytes replaced", path, words.bad, encoding)
    from ..fileio import check_finite

    check_finite({"vectors": raw.vectors}, str(path))
    return _drop_duplicates(raw, path)


def _read_text(body: bytes, n: int, dim: int, want: int, words: _Words, path: Path) -> RawVectors:
    lines = body.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()
    if len(lines) != n:
        raise Palabra2vecError(f"{path}: header says {n} vectors but the file holds {len(lines)} rows")
    out_words: list[str] = []
    table = np.empty((want, dim), dtype=np.float32)
    for i, line in enumerate(lines[:want]):
        parts = line.rstrip(b" \t\r").split(b" ")
        if len(parts) != dim + 1:
            raise Palabra2vecError(f"{path}:{i + 2}: expected a word and {dim} numbers (header), "
                                   f"found {len(parts) - 1} numbers")
        try:
            table[i] = np.array([float(p) for p in parts[1:]], dtype=np.float64)
        except ValueError:
            raise Palabra2vecError(f"{path}:{i + 2}: a value is not a number") from None
        out_words.append(words.decode(parts[0], f"line {i + 2}"))
    return RawVectors(out_words, table)


def _read_binary(f: io.BufferedIOBase, buf: bytes, n: int, dim: int, want: int, words: _Words,
                 path: Path) -> RawVectors:
    """Rows of a binary file, ``buf`` being its first bytes after the header and ``f`` the rest:
    read by blocks straight into the float32 table, so the file is never held whole in memory."""
    row_bytes = dim * _FLOAT.itemsize
    ahead = MAX_WORD_BYTES + 2 + row_bytes  # newlines, the longest word, a space, a row
    out_words: list[str] = []
    table = np.empty((want, dim), dtype=np.float32)
    pos = 0
    for i in range(n):
        for _ in range(2):  # once before and once after skipping newlines: a whole row is in buf
            if len(buf) - pos < ahead:
                buf = buf[pos:] + f.read(max(_BLOCK, ahead))
                pos = 0
            while pos < len(buf) and buf[pos] in b"\n\r":  # word2vec.c ends each row with "\n"; gensim doesn't
                pos += 1
        space = buf.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if space < 0 or space + 1 + row_bytes > len(buf):
            raise Palabra2vecError(f"{path}: header says {n} vectors of {dim} dimensions but the file ends "
                                   f"after {i} (truncated, or not a binary file?)")
        if i < want:
            out_words.append(words.decode(buf[pos:space], f"vector {i + 1}"))
            table[i] = np.frombuffer(buf, dtype=_FLOAT, count=dim, offset=space + 1)
        pos = space + 1 + row_bytes
    extra = f.read(_BLOCK)  # a bounded look: whatever follows the rows is an error
    rest = buf[pos:] + extra
    if rest.strip(b"\n\r"):
        more = " or more" if len(extra) == _BLOCK and f.read(1) else ""
        raise Palabra2vecError(f"{path}: {len(rest)}{more} bytes follow the {n} vectors the header announces "
                               f"(the header disagrees with the body)")
    return RawVectors(out_words, table)


def _drop_duplicates(raw: RawVectors, path: Path) -> RawVectors:
    seen: dict[str, int] = {}
    keep = []
    for i, w in enumerate(raw.words):
        if w not in seen:
            seen[w] = i
            keep.append(i)
    if len(keep) == len(raw.words):
        return raw
    log.warning("%s: %d repeated words; keeping the first of each", path, len(raw.words) - len(keep))
    return RawVectors([raw.words[i] for i in keep], raw.vectors[keep])
