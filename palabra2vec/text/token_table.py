"""Compiled core of the vocabulary pass: whitespace tokens of UTF-8 bytes, counted and encoded.

:func:`encode_lines` reads a block of whole lines (UTF-8 bytes), splits each line into tokens
at white space exactly as Python's ``str.split()`` does (the characters for which
``str.isspace()`` is true), and looks every token up in an open-addressing hash table keyed by
its bytes: a new token gets the next id (so ids are in order of first sighting, as the
readable path's ``dict.setdefault`` gives them), and the token's count goes up by one. The
block's ids come out with ``-1`` after each sentence (a line, cut every ``max_len`` tokens).
Python touches each *distinct* word once, when the table's bytes are decoded at the end.

Lines end at ``\\n``, ``\\r`` or ``\\r\\n`` (the universal newlines of the readable path).
The bytes are checked to be well-formed UTF-8 as Python's strict decoder defines it (no
overlong forms, no surrogates, nothing above U+10FFFF); a block that is not stops the kernel
(``BAD_UTF8``), and so does a line of ``max_line`` bytes or more (``LONG_LINE``): the caller
then reads that file with the readable path, which replaces bad bytes or guesses Latin-1 and
cuts over-long lines.

The table: ``table`` (capacity, a power of two) holds word ids, ``-1`` for a free slot, with
linear probing and at most half full; per word id, ``hashes`` (FNV-1a, 64 bits), ``starts``
(offset of its bytes in ``arena``; each word there is followed by ``\\n``, which no token
contains, so the arena decodes and splits into the word list in one call) and ``counts``.
Arrays that fill up are doubled inside the kernel and returned.
"""

from __future__ import annotations

import numpy as np

from ..training.fast import njit

EMPTY = -1
# What encode_lines says when it returns (state[STATUS]).
DONE, BAD_UTF8, LONG_LINE = 0, 1, 2
# Positions in the state array (int64) that carries the scalars between calls.
N_WORDS, ARENA_USED, TOKENS, SENTENCES, AFTER_CR, SKIP_LINES, STATUS = range(7)
STATE_SIZE = 7
# Columns of the per-word entries (int64): where its bytes start in the arena, their length,
# its count, its 64-bit hash.
E_START, E_LEN, E_COUNT, E_HASH = range(4)
ENTRY = 4
# Character classes.
_WORD, _SPACE, _LINE_END, _BAD = 0, 1, 2, 3
#: Class of each ASCII byte: line ends \n \r; white space \t \v \f, the separators 1C-1F, space.
_ASCII_CLASS = np.array([_LINE_END if b in (10, 13) else _SPACE if b == 32 or 9 <= b <= 12 or 28 <= b <= 31
                         else _WORD for b in range(128)], dtype=np.int64)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)  # FNV-1a (Fowler, Noll, Vo), 64-bit parameters
_FNV_PRIME = np.uint64(0x100000001B3)


def new_state(words: int = 1 << 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An empty table with room for about ``words`` words: (state, table, entries, arena)."""
    words = max(16, int(words))
    cap = 1 << (2 * words - 1).bit_length()
    return (np.zeros(STATE_SIZE, dtype=np.int64), np.full(cap, EMPTY, dtype=np.int64),
            np.zeros((words, ENTRY), dtype=np.int64), np.zeros(words * 8, dtype=np.uint8))


@njit(cache=True, nogil=True, inline="always")
def char_class(buf, i, end):
    """(class, length in bytes) of the UTF-8 character at ``buf[i]``: a word character, white
    space (``str.isspace()``, line ends apart), a line end (``\\n`` or ``\\r``) or malformed."""
    b = buf[i]
    if b < 0x80:
        if b == 10 or b == 13:
            return _LINE_END, 1
        if b == 32 or (9 <= b <= 12) or (28 <= b <= 31):  # \t \v \f, the ASCII separators 1C-1F
            return _SPACE, 1
        return _WORD, 1
    if b < 0xC2:  # a continuation byte, or an overlong 2-byte lead (C0, C1)
        return _BAD, 1
    if b < 0xE0:
        if i + 1 >= end or (buf[i + 1] & 0xC0) != 0x80:
            return _BAD, 1
        if b == 0xC2 and (buf[i + 1] == 0x85 or buf[i + 1] == 0xA0):  # U+0085, U+00A0
            return _SPACE, 2
        return _WORD, 2
    if b < 0xF0:
        if i + 2 >= end or (buf[i + 1] & 0xC0) != 0x80 or (buf[i + 2] & 0xC0) != 0x80:
            return _BAD, 1
        c1 = buf[i + 1]
        c2 = buf[i + 2]
        if (b == 0xE0 and c1 < 0xA0) or (b == 0xED and c1 >= 0xA0):  # overlong; surrogates
            return _BAD, 1
        if ((b == 0xE1 and c1 == 0x9A and c2 == 0x80)  # U+1680
                or (b == 0xE2 and c1 == 0x80 and (c2 <= 0x8A or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF))
                or (b == 0xE2 and c1 == 0x81 and c2 == 0x9F)  # U+205F
                or (b == 0xE3 and c1 == 0x80 and c2 == 0x80)):  # U+3000
            return _SPACE, 3  # (U+2000-U+200A, U+2028, U+2029, U+202F in the E2 80 line)
        return _WORD, 3
    if b < 0xF5:
        if (i + 3 >= end or (buf[i + 1] & 0xC0) != 0x80 or (buf[i + 2] & 0xC0) != 0x80
                or (buf[i + 3] & 0xC0) != 0x80):
            return _BAD, 1
        if (b == 0xF0 and buf[i + 1] < 0x90) or (b == 0xF4 and buf[i + 1] >= 0x90):  # overlong; > U+10FFFF
            return _BAD, 1
        return _WORD, 4
    return _BAD, 1


@njit(cache=True, nogil=True)
def _rehash(table, entries, n_words):
    """A table twice as large holding ids 0..n_words-1, inserted in id order."""
    new = np.full(table.size * 2, EMPTY, dtype=np.int64)
    mask = new.size - 1
    for w in range(n_words):
        h = np.uint64(entries[w, E_HASH])
        s = np.int64(h & np.uint64(mask))
        while new[s] != EMPTY:
            s = (s + 1) & mask
        new[s] = (np.int64(h >> np.uint64(32)) << 32) | w
    return new


@njit(cache=True, nogil=True)
def _resized(a, size):
    """``a`` copied into a zeroed array of ``size`` elements."""
    b = np.zeros(size, dtype=a.dtype)
    b[: a.size] = a
    return b


@njit(cache=True, nogil=True)
def _more_rows(a):
    """``a`` (n, ENTRY) copied into a zeroed array of twice as many rows."""
    b = np.zeros((2 * a.shape[0], a.shape[1]), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True, nogil=True, inline="always")
def _find_or_add(src, t0, n, h, table, entries, arena, n_words, used):
    """The id of the word ``src[t0:t0 + n]`` (hash ``h``); a new word gets the next id.
    Returns (id, table, entries, arena, n_words, used): the arrays may be new, larger ones."""
    if 2 * (n_words + 1) > table.size:
        table = _rehash(table, entries, n_words)
    mask = table.size - 1
    tag = np.int64(h >> np.uint64(32))  # a slot holds (upper 32 bits of the hash, id)
    s = np.int64(h & np.uint64(mask))
    while True:  # linear probing
        slot = table[s]
        if slot == EMPTY:  # a new word: the next id
            w = n_words
            if w == entries.shape[0]:
                entries = _more_rows(entries)
            if used + n + 1 > arena.size:
                arena = _resized(arena, 2 * (used + n + 1))
            arena[used: used + n] = src[t0: t0 + n]
            arena[used + n] = 10
            entries[w, E_START] = used
            entries[w, E_LEN] = n
            entries[w, E_HASH] = np.int64(h)
            table[s] = (tag << 32) | w
            return w, table, entries, arena, n_words + 1, used + n + 1
        if ((slot >> 32) & 0xFFFFFFFF) == tag:
            w = slot & 0xFFFFFFFF
            if entries[w, E_LEN] == n:
                a = entries[w, E_START]
                same = True
                for j in range(n):
                    if arena[a + j] != src[t0 + j]:
                        same = False
                        break
                if same:
                    return w, table, entries, arena, n_words, used
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def encode_lines(buf, pos, end, max_len, max_line, state, table, entries, arena, ids):
    """Count and encode the whole lines of ``buf[pos:end]``; write their ids into ``ids``.

    ``max_len``: sentences are cut every ``max_len`` tokens; ``max_line``: a line of this many
    bytes or more stops the kernel (``LONG_LINE``). ``state`` carries the counters between
    calls (``N_WORDS`` ... ``STATUS``); ``SKIP_LINES`` lines are read but not counted (the
    notebook tokenizer). ``ids`` needs ``end - pos + 1`` slots. Returns (ids written, byte
    where it stopped, table, entries, arena) - the arrays may be new, larger ones.
    """
    n_words = state[N_WORDS]
    used = state[ARENA_USED]
    skip = state[SKIP_LINES]
    tokens = state[TOKENS]
    sentences = state[SENTENCES]
    status = DONE
    n_ids = 0
    i = pos
    if state[AFTER_CR] == 1 and i < end and buf[i] == 10:  # the \n of a \r\n cut between blocks
        i += 1
    state[AFTER_CR] = 0
    while i < end:  # one line per turn
        line_start = i
        in_sentence = 0
        kind = _LINE_END
        while i < end:
            b = buf[i]
            if b < 0x80:  # ASCII: one look-up
                kind, k = _ASCII_CLASS[b], 1
            else:
                kind, k = char_class(buf, i, end)
            if kind == _SPACE:
                i += k
                continue
            if kind != _WORD:
                break
            t0 = i  # a token: hash its bytes up to the next space, line end or malformed byte
            h = _FNV_OFFSET
            while True:
                if k == 1:
                    h = (h ^ np.uint64(b)) * _FNV_PRIME
                else:
                    for j in range(k):
                        h = (h ^ np.uint64(buf[i + j])) * _FNV_PRIME
                i += k
                if i >= end:
                    kind = _LINE_END
                    break
                b = buf[i]
                if b < 0x80:
                    kind, k = _ASCII_CLASS[b], 1
                else:
                    kind, k = char_class(buf, i, end)
                if kind != _WORD:
                    break
            if kind == _BAD:
                break
            if skip > 0:
                continue
            w, table, entries, arena, n_words, used = _find_or_add(buf, t0, i - t0, h, table, entries, arena,
                                                                   n_words, used)
            if in_sentence == max_len:
                ids[n_ids] = -1
                n_ids += 1
                sentences += 1
                in_sentence = 0
            ids[n_ids] = w
            n_ids += 1
            entries[w, E_COUNT] += 1
            in_sentence += 1
            tokens += 1
        if kind == _BAD:
            status = BAD_UTF8
            break
        if i - line_start >= max_line:
            status = LONG_LINE
            break
        if in_sentence > 0:
            ids[n_ids] = -1
            n_ids += 1
            sentences += 1
        if i < end:  # the line end: \n, \r or \r\n
            if buf[i] == 13:
                if i + 1 < end and buf[i + 1] == 10:
                    i += 1
                elif i + 1 == end:
                    state[AFTER_CR] = 1
            i += 1
            if skip > 0:
                skip -= 1
        elif i > line_start and skip > 0:  # the last line, without a line end
            skip -= 1
    state[N_WORDS] = n_words
    state[ARENA_USED] = used
    state[SKIP_LINES] = skip
    state[TOKENS] = tokens
    state[SENTENCES] = sentences
    state[STATUS] = status
    return n_ids, i, table, entries, arena


@njit(cache=True, nogil=True)
def forget_after(table, n_words):
    """Free the slots of ids ``n_words`` and above (the words first seen after that point).

    With linear probing this leaves a valid table: every probe run of an older word was filled
    before any newer word was placed."""
    for s in range(table.size):
        if table[s] != EMPTY and (table[s] & 0xFFFFFFFF) >= n_words:
            table[s] = EMPTY


@njit(cache=True, nogil=True)
def merge_into(state, table, entries, arena, part_state, part_entries, part_arena):
    """Add a table filled from the text *after* this one's (another thread's byte range):
    its words in its id order (first sighting there), counts and counters. Returns (ids of
    its words here, with -1 appended so that ``mapping[-1]`` keeps sentence ends; table,
    entries, arena)."""
    n_part = part_state[N_WORDS]
    mapping = np.empty(n_part + 1, dtype=np.int32)
    mapping[n_part] = -1
    n_words = state[N_WORDS]
    used = state[ARENA_USED]
    for p in range(n_part):
        a = part_entries[p, E_START]
        h = np.uint64(part_entries[p, E_HASH])
        w, table, entries, arena, n_words, used = _find_or_add(part_arena, a, part_entries[p, E_LEN], h, table,
                                                               entries, arena, n_words, used)
        entries[w, E_COUNT] += part_entries[p, E_COUNT]
        mapping[p] = w
    state[N_WORDS] = n_words
    state[ARENA_USED] = used
    state[TOKENS] += part_state[TOKENS]
    state[SENTENCES] += part_state[SENTENCES]
    return mapping, table, entries, arena
