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
linear probing and at most half full; a slot holds the upper 32 bits of the word's 64-bit
FNV-1a hash and its id. Per word id, ``entries`` holds the offset of its bytes in ``arena``
(each word there is followed by ``\\n``, which no token contains, so the arena decodes and
splits into the word list in one call), their length, its count and its hash. The kernel
stops when they are full (``FULL``); :func:`reserve` makes room.
"""

from __future__ import annotations

import numpy as np

from ..training.fast import njit

EMPTY = -1
# What encode_lines says when it returns (state[STATUS]).
DONE, BAD_UTF8, LONG_LINE, FULL = 0, 1, 2, 3
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
def reserve(table, entries, arena, n_words, used, words, nbytes):
    """Room for ``words`` more words of ``nbytes`` bytes in all: (table, entries, arena), copied
    into larger arrays where needed (doubling; the table rehashed, ids in order)."""
    if n_words + words > entries.shape[0]:
        rows = entries.shape[0]
        while rows < n_words + words:
            rows *= 2
        bigger = np.zeros((rows, ENTRY), dtype=np.int64)
        bigger[:n_words] = entries[:n_words]
        entries = bigger
    if used + nbytes > arena.size:
        size = arena.size
        while size < used + nbytes:
            size *= 2
        bigger_arena = np.zeros(size, dtype=np.uint8)
        bigger_arena[:used] = arena[:used]
        arena = bigger_arena
    if 2 * (n_words + words) > table.size:
        cap = table.size
        while cap < 2 * (n_words + words):
            cap *= 2
        table = np.full(cap, EMPTY, dtype=np.int64)
        mask = cap - 1
        for w in range(n_words):
            h = np.uint64(entries[w, E_HASH])
            s = np.int64(h & np.uint64(mask))
            while table[s] != EMPTY:
                s = (s + 1) & mask
            table[s] = (np.int64(h >> np.uint64(32)) << 32) | w
    return table, entries, arena


@njit(cache=True, nogil=True, inline="always")
def _find(src, t0, n, h, table, entries, arena):
    """(slot, id) of the word ``src[t0:t0 + n]`` (hash ``h``); id -1 (and the free slot where
    it goes) when the table does not hold it yet."""
    mask = table.size - 1
    tag = np.int64(h >> np.uint64(32))  # a slot holds (upper 32 bits of the hash, id)
    s = np.int64(h & np.uint64(mask))
    while True:  # linear probing
        slot = table[s]
        if slot == EMPTY:
            return s, -1
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
                    return s, w
        s = (s + 1) & mask


@njit(cache=True, nogil=True, inline="always")
def _add(src, t0, n, h, s, table, entries, arena, w, used):
    """Put word ``src[t0:t0 + n]`` in free slot ``s`` with id ``w``, its bytes at ``arena[used:]``
    (the caller has made room: :func:`reserve`)."""
    arena[used: used + n] = src[t0: t0 + n]
    arena[used + n] = 10
    entries[w, E_START] = used
    entries[w, E_LEN] = n
    entries[w, E_HASH] = np.int64(h)
    table[s] = (np.int64(h >> np.uint64(32)) << 32) | w


@njit(cache=True, nogil=True)
def encode_lines(buf, pos, end, max_len, max_line, state, table, entries, arena, ids):
    """Count and encode the whole lines of ``buf[pos:end]``; write their ids into ``ids``.

    ``max_len``: sentences are cut every ``max_len`` tokens; ``max_line``: a line of this many
    bytes or more stops the kernel (``LONG_LINE``). ``state`` carries the counters between
    calls (``N_WORDS`` ... ``STATUS``); ``SKIP_LINES`` lines are read but not counted (the
    notebook tokenizer). ``ids`` needs ``end - pos + 1`` slots. Returns (ids written, byte
    where it stopped). When a new word finds no room, the line is undone and the kernel stops
    at its start (``FULL``): :func:`reserve`, then call again from there. (The arrays are never
    replaced in here: doing so in the loop costs reference counting on every token.)
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
        line_ids = n_ids
        line_tokens = tokens
        line_sentences = sentences
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
            n = i - t0
            s, w = _find(buf, t0, n, h, table, entries, arena)
            if w < 0:  # a new word: the next id
                if n_words == entries.shape[0] or 2 * (n_words + 1) > table.size or used + n + 1 > arena.size:
                    status = FULL
                    break
                w = n_words
                _add(buf, t0, n, h, s, table, entries, arena, w, used)
                n_words += 1
                used += n + 1
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
        if status == FULL:  # undo this line; the caller makes room and starts it again
            for j in range(line_ids, n_ids):
                if ids[j] >= 0:
                    entries[ids[j], E_COUNT] -= 1
            n_ids, tokens, sentences, i = line_ids, line_tokens, line_sentences, line_start
            break
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
    return n_ids, i


@njit(cache=True, nogil=True)
def forget_after(table, n_words):
    """Free the slots of ids ``n_words`` and above (the words first seen after that point).

    With linear probing this leaves a valid table: every probe run of an older word was filled
    before any newer word was placed."""
    for s in range(table.size):
        if table[s] != EMPTY and (table[s] & 0xFFFFFFFF) >= n_words:
            table[s] = EMPTY


@njit(cache=True, nogil=True)
def merge_into(state, table, entries, arena, part_state, part_entries, part_arena, mapping):
    """Add a table filled from the text *after* this one's (another thread's byte range):
    its words in its id order (first sighting there), counts and counters. ``mapping[p]``
    becomes the id here of its word ``p``. The caller has made room (:func:`reserve`)."""
    n_words = state[N_WORDS]
    used = state[ARENA_USED]
    for p in range(part_state[N_WORDS]):
        a = part_entries[p, E_START]
        n = part_entries[p, E_LEN]
        h = np.uint64(part_entries[p, E_HASH])
        s, w = _find(part_arena, a, n, h, table, entries, arena)
        if w < 0:
            w = n_words
            _add(part_arena, a, n, h, s, table, entries, arena, w, used)
            n_words += 1
            used += n + 1
        entries[w, E_COUNT] += part_entries[p, E_COUNT]
        mapping[p] = w
    state[N_WORDS] = n_words
    state[ARENA_USED] = used
    state[TOKENS] += part_state[TOKENS]
    state[SENTENCES] += part_state[SENTENCES]
