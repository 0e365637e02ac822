"""The vocabulary pass of a :class:`~palabra2vec.text.corpus.Corpus` in compiled code.

The readable pass (:func:`palabra2vec.text.encoded.count_sentences`) looks every token up in a
Python dictionary. This one gives the same provisional ids, counts and sentence ends (the
tests compare them on awkward input) with Python touching only blocks of bytes and each
distinct word once:

* ``whitespace`` and ``notebook`` corpora in UTF-8 (the default guess, or ``--encoding
  utf-8``) are read in blocks of 1 MB, cut after the last line end, and handed whole to
  :func:`palabra2vec.text.token_table.encode_lines`, which splits, counts and encodes them;
* a file the kernel cannot read as the readable path would (malformed UTF-8, which that path
  replaces or reads as Latin-1; a line of ``MAX_LINE_CHARS`` bytes or more, which it cuts;
  NUL bytes at the start, which it refuses) is rolled back and read again by the readable
  reader, whose sentences are then fed to the kernel as lines of space-separated tokens;
* so are the files of the ``spanish`` tokenizer (its sentences come from the readable
  tokenizer; only the look-ups move to the kernel) and of other encodings.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import Palabra2vecError
from . import reading
from .corpus import Corpus
from .reading import _READ_ERRORS, NOTEBOOK_SKIP_LINES, file_sentences, open_binary
from .token_table import (AFTER_CR, ARENA_USED, DONE, E_COUNT, FULL, N_WORDS, SENTENCES, SKIP_LINES, STATUS,
                          TOKENS, encode_lines, forget_after, merge_into, new_state, reserve)

log = logging.getLogger(__name__)

#: Bytes read from a file at once, per worker.
BLOCK = 1 << 20
#: Threads counting parts of each block (the first part in the calling thread). One: on the
#: 2-core development machine, shared with other work, a second thread did not pay (merging
#: the parts' words costs about what it saves; benchmarks/RESULTS.md, "The vocabulary pass").
WORKERS = 1
#: The smallest part worth a thread.
MIN_PART = 1 << 16
#: Sentences of the readable tokenizer joined into one block for the kernel.
_FEED_SENTENCES = 1 << 14
#: What ``max_line`` is when the lines come from the readable tokenizer (never too long).
_NO_LIMIT = 1 << 62
#: The encodings whose bytes the kernel reads itself.
_UTF8 = ("utf-8", "utf-8-sig")


class TokenCounter:
    """The hash table of :mod:`~palabra2vec.text.token_table` and the id file it writes to."""

    def __init__(self, out: BinaryIO, max_len: int, on_progress: Callable[[int], None] | None = None,
                 workers: int = 1) -> None:
        self.state, self.table, self.entries, self.arena = new_state()
        self.out = out
        self.max_len = max_len
        self.on_progress = on_progress
        self.written = 0  #: ids in the file so far, separators included
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self.workers - 1) if self.workers > 1 else None
        self._ids = np.empty(0, dtype=np.int32)

    @property
    def n_words(self) -> int:
        """Distinct words counted so far."""
        return int(self.state[N_WORDS])

    @property
    def tokens(self) -> int:
        return int(self.state[TOKENS])

    @property
    def sentences(self) -> int:
        return int(self.state[SENTENCES])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _cuts(self, data: bytes, start: int, end: int) -> list[int]:
        """``start``, the line starts that split ``data[start:end]`` into ``workers`` parts, ``end``."""
        cuts = [start]
        if self._pool is not None and end - start >= 2 * MIN_PART and self.state[SKIP_LINES] == 0:
            for j in range(1, self.workers):
                c = data.find(b"\n", max(start + j * (end - start) // self.workers, cuts[-1]), end)
                if c < 0 or c + 1 >= end:
                    break
                cuts.append(c + 1)
        return cuts + [end]

    def feed(self, data: bytes, start: int, end: int, max_line: int = _NO_LIMIT) -> int:
        """Count and encode the whole lines of ``data[start:end]``; return the kernel's status
        (``DONE``, ``BAD_UTF8`` or ``LONG_LINE``; the ids up to that point are written).

        With several workers the lines are cut into parts at line starts: the first part is
        counted into the table, each other one into a table of its own, in other threads, and
        those are merged into the table in text order (:func:`~.token_table.merge_into`), so
        ids stay in order of first sighting."""
        cuts = self._cuts(data, start, end)
        buf = np.frombuffer(data, dtype=np.uint8)
        parts = [self._pool.submit(_encode_part, buf, a, b, self.max_len, max_line)  # type: ignore[union-attr]
                 for a, b in zip(cuts[1:-1], cuts[2:])]
        if self._ids.size < cuts[1] - start + 1:
            self._ids = np.empty(max(cuts[1] - start + 1, BLOCK), dtype=np.int32)
        n, self.table, self.entries, self.arena = _encode(buf, start, cuts[1], self.max_len, max_line, self.state,
                                                          self.table, self.entries, self.arena, self._ids)
        self._write(self._ids[:n])
        status = int(self.state[STATUS])
        for part in parts:
            state, entries, arena, ids = part.result()
            if status != DONE:
                continue
            status = int(state[STATUS])
            if status != DONE:
                continue
            self.table, self.entries, self.arena = reserve(self.table, self.entries, self.arena, self.state[N_WORDS],
                                                           self.state[ARENA_USED], state[N_WORDS], state[ARENA_USED])
            mapping = np.empty(state[N_WORDS] + 1, dtype=np.int32)
            mapping[-1] = -1  # so that mapping[ids] keeps the sentence ends
            merge_into(self.state, self.table, self.entries, self.arena, state, entries, arena, mapping)
            self._write(mapping[ids])
            self.state[AFTER_CR] = state[AFTER_CR]
        return status

    def _write(self, ids: np.ndarray) -> None:
        ids.tofile(self.out)
        self.written += ids.size
        if self.on_progress:
            self.on_progress(ids.size)

    def feed_sentences(self, sentences: Iterable[Sequence[str]]) -> None:
        """Count and encode sentences of tokens (none empty, none holding white space)."""
        batch: list[str] = []
        for sentence in sentences:
            batch.append(" ".join(sentence))
            if len(batch) >= _FEED_SENTENCES:
                self._feed_lines(batch)
                batch = []
        if batch:
            self._feed_lines(batch)

    def _feed_lines(self, lines: list[str]) -> None:
        data = "\n".join(lines).encode("utf-8") + b"\n"
        self.feed(data, 0, len(data))

    def mark(self) -> tuple[np.ndarray, int]:
        """A point to come back to with :meth:`rollback`."""
        return self.state.copy(), self.written

    def rollback(self, mark: tuple[np.ndarray, int]) -> None:
        """Undo everything counted and written since ``mark``."""
        state, written = mark
        self.out.flush()
        with open(self.out.name, "rb") as f:
            f.seek(written * 4)
            while (ids := np.fromfile(f, dtype=np.int32, count=BLOCK)).size:
                ids = ids[ids >= 0]
                self.entries[:, E_COUNT] -= np.bincount(ids, minlength=self.entries.shape[0])
        self.out.seek(written * 4)
        self.out.truncate()
        forget_after(self.table, state[N_WORDS])
        self.state[:] = state
        self.written = written

    def words(self) -> list[str]:
        """The distinct words, in order of first sighting (provisional id order)."""
        text = self.arena[: self.state[ARENA_USED]].tobytes().decode("utf-8")
        return text.split("\n")[:-1]

    def word_counts(self) -> np.ndarray:
        return self.entries[: self.state[N_WORDS], E_COUNT].copy()


def _encode(buf: np.ndarray, start: int, end: int, max_len: int, max_line: int, state: np.ndarray,
            table: np.ndarray, entries: np.ndarray, arena: np.ndarray,
            ids: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~.token_table.encode_lines` over ``buf[start:end]``, making room whenever the
    table is full: (ids written, table, entries, arena)."""
    written, pos = 0, start
    while True:
        n, pos = encode_lines(buf, pos, end, max_len, max_line, state, table, entries, arena, ids[written:])
        written += n
        if state[STATUS] != FULL:
            return written, table, entries, arena
        table, entries, arena = reserve(table, entries, arena, state[N_WORDS], state[ARENA_USED],
                                        entries.shape[0], arena.size)  # twice as much room


def _encode_part(buf: np.ndarray, start: int, end: int, max_len: int,
                 max_line: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count one part of a block into a table of its own: (state, entries, arena, its ids)."""
    state, table, entries, arena = new_state(1 << 14)
    ids = np.empty(end - start + 1, dtype=np.int32)
    n, table, entries, arena = _encode(buf, start, end, max_len, max_line, state, table, entries, arena, ids)
    return state, entries, arena, ids[:n]


def _read_file(counter: TokenCounter, path: Path, skip_lines: int, bom: bool, nul_check: bool,
               start: int = 0, end: int = -1) -> bool:
    """Feed one file's bytes to the kernel (bytes ``[start, end)`` of an uncompressed file when
    ``end >= 0``: a range that starts a line); False (and nothing counted) where the readable
    path must read it instead."""
    mark = counter.mark()
    counter.state[SKIP_LINES] = skip_lines
    counter.state[AFTER_CR] = 0
    max_line = reading.MAX_LINE_CHARS  # (looked up now: tests make it small)
    raw = open_binary(path) if end < 0 else open(path, "rb")
    try:
        if end >= 0:
            raw.seek(start)
        left = end - start if end >= 0 else -1  # bytes of the range still to read
        carry, seen, ok = b"", 0, True
        while ok:
            want = BLOCK * counter.workers
            block = raw.read(want if left < 0 else min(want, left))
            left -= len(block) if left >= 0 else 0
            if nul_check and seen < 65536 and b"\x00" in block[: 65536 - seen]:
                ok = False  # the readable path says it is a binary file
                break
            data = carry + block if carry else block
            first = 3 if seen == 0 and bom and data.startswith(codecs.BOM_UTF8) else 0
            seen += len(block)
            stop = len(data) if not block else max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
            if stop > first:
                ok = counter.feed(data, first, stop, max_line) == DONE
            else:
                stop = first
            carry = data[stop:]
            ok = ok and len(carry) < max_line
            if not block:
                break
    except _READ_ERRORS as e:
        raise Palabra2vecError(f"cannot read {path}: {e}") from e
    finally:
        raw.close()
    if not ok:
        counter.rollback(mark)
        log.debug("%s: read by the readable path", path)
    counter.state[SKIP_LINES] = 0
    return ok


def read_range(counter: TokenCounter, path: Path, start: int, end: int, bom: bool) -> bool:
    """Count bytes ``[start, end)`` of an uncompressed UTF-8 file (``start`` at a line start),
    split as ``str.split()`` splits lines, a byte-order mark at ``start`` dropped when ``bom``;
    False (nothing counted) where the readable path must read them (malformed UTF-8, a line
    too long)."""
    return _read_file(counter, path, 0, bom=bom, nul_check=False, start=start, end=end)


def count_corpus(corpus: Corpus, out: BinaryIO, on_progress: Callable[[int], None] | None = None,
                 workers: int | None = None) -> tuple[list[str], np.ndarray, int, int]:
    """Count ``corpus``'s tokens and write provisional ids (first sighting order, ``-1`` after
    each sentence) to ``out``; return (words, counts, tokens, sentences) as
    :func:`palabra2vec.text.encoded.count_sentences` does. ``workers``: threads that count
    parts of each block (default ``WORKERS``); the result is the same for any number."""
    workers = workers or WORKERS
    counter = TokenCounter(out, corpus.max_sentence_length, on_progress, workers)
    enc = corpus.encoding
    name = codecs.lookup(enc).name if enc is not None else None
    by_bytes = corpus.tokenizer in ("whitespace", "notebook") and (name is None or name in _UTF8)
    skip = NOTEBOOK_SKIP_LINES if corpus.tokenizer == "notebook" else 0
    try:
        for path in corpus.files:
            if by_bytes and _read_file(counter, path, skip, bom=name != "utf-8", nul_check=enc is None):
                continue
            counter.feed_sentences(file_sentences(path, corpus.tokenizer, corpus.lowercase, enc))
    finally:
        counter.close()
    return counter.words(), counter.word_counts(), counter.tokens, counter.sentences
