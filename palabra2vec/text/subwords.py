"""Character n-grams of words and their bucket ids, exactly as fastText computes them.

fastText (Bojanowski et al. 2017, "Enriching Word Vectors with Subword Information") represents
a word by its own row plus one row per character n-gram of ``<word>``; the n-gram rows live in
a table of ``buckets`` rows, an n-gram's row being its hash modulo ``buckets``. The definitions
here follow fastText's ``src/dictionary.cc`` (``computeSubwords``, ``hash``), which gensim's
``compute_ngrams_bytes`` / ``ft_hash_bytes`` reproduce:

* n-grams are taken of ``"<" + word + ">"`` for n = min_n..max_n, n counted in UTF-8
  *characters* (a continuation byte never starts an n-gram); the one-character n-grams ``<``
  and ``>`` are skipped; the whole ``<word>`` is itself an n-gram when short enough; repeated
  n-grams are kept (each adds its row);
* the hash is 32-bit FNV-1a over the UTF-8 bytes, **each byte sign-extended** first
  (``uint32_t(int8_t(c))``): ``ñ`` is ``c3 b1``, hashed as ``0xffffffc3, 0xffffffb1``, not as
  ``0xc3, 0xb1`` as textbook FNV-1a would. It changes the bucket of every n-gram with an
  accented letter.

:func:`vocab_subwords` precomputes every vocabulary word's n-gram ids as CSR arrays
(``offsets``, ``ids``) that the training kernels read (hashed by a compiled loop, checked
against :func:`ngram_ids`, the readable definition). :func:`compact_rows` maps them to the rows
of a *compact* n-gram table holding only the buckets the vocabulary reaches (see
:mod:`palabra2vec.variants`): on corpus-es, 208,090 of 2,000,000 buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..training.fast import njit

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
BOW, EOW = "<", ">"


def ft_hash(data: bytes) -> int:
    """fastText's 32-bit FNV-1a hash of ``data`` with sign-extended bytes (dictionary.cc ``hash``).

    >>> ft_hash("ñ".encode())
    620380921
    """
    h = _FNV_OFFSET
    for b in data:
        h ^= b | 0xFFFFFF00 if b & 0x80 else b  # uint32_t(int8_t(b))
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[bytes]:
    """The UTF-8 n-grams of ``<word>`` that fastText uses, in its order (by start, then length).

    >>> [g.decode() for g in char_ngrams("sí", 3, 4)]
    ['<sí', '<sí>', 'sí>']
    """
    if max_n < min_n or max_n <= 0:
        return []
    chars = [c.encode("utf-8") for c in BOW + word + EOW]
    out = []
    last = len(chars)
    for i in range(last):
        gram = b""
        for n in range(1, max_n + 1):
            j = i + n
            if j > last:
                break
            gram += chars[j - 1]
            if n >= min_n and not (n == 1 and (i == 0 or j == last)):
                out.append(gram)
    return out


def ngram_ids(word: str, min_n: int = 3, max_n: int = 6, buckets: int = 2_000_000) -> np.ndarray:
    """Bucket ids (rows of the ``ngrams`` table) of the n-grams of ``word``: hash % buckets."""
    if buckets <= 0:
        return np.zeros(0, np.int32)
    return np.array([ft_hash(g) % buckets for g in char_ngrams(word, min_n, max_n)], dtype=np.int32)


@njit(cache=True, nogil=True)
def _hash_ngrams(data, starts, min_n, max_n, buckets, offsets, out, fill):
    """For each word ``data[starts[i]:starts[i+1]]`` (UTF-8 of ``<word>``): count its n-grams into
    ``offsets[i+1]`` (``fill`` False), or write their ``hash % buckets`` from ``out[offsets[i]]``
    (``fill`` True). The loop of fastText's ``computeSubwords``, the hash extended byte by byte."""
    for w in range(starts.shape[0] - 1):
        a, b = starts[w], starts[w + 1]
        k = offsets[w]
        count = 0
        for i in range(a, b):
            if (data[i] & 0xC0) == 0x80:  # a continuation byte starts no n-gram
                continue
            h = np.uint64(_FNV_OFFSET)
            j = i
            n = 1
            while j < b and n <= max_n:
                while True:  # one UTF-8 character: its lead byte, then continuation bytes
                    c = np.uint64(data[j])
                    if c & np.uint64(0x80):
                        c |= np.uint64(0xFFFFFF00)  # uint32_t(int8_t(c))
                    h = ((h ^ c) * np.uint64(_FNV_PRIME)) & np.uint64(0xFFFFFFFF)
                    j += 1
                    if j >= b or (data[j] & 0xC0) != 0x80:
                        break
                if n >= min_n and not (n == 1 and (i == a or j == b)):
                    if fill:
                        out[k] = np.int32(h % np.uint64(buckets))
                        k += 1
                    else:
                        count += 1
                n += 1
        if not fill:
            offsets[w + 1] = offsets[w] + count


def vocab_subwords(words: Sequence[str], min_n: int, max_n: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of every word's n-gram ids: word ``i``'s ids are ``ids[offsets[i]:offsets[i+1]]``
    (each equal to ``ngram_ids(words[i], ...)``).

    ``offsets`` is int64 (len(words) + 1), ``ids`` int32; the kernels read them directly.
    """
    encoded = [(BOW + w + EOW).encode("utf-8") for w in words]
    starts = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=starts[1:])
    data = np.frombuffer(b"".join(encoded), np.uint8)
    offsets = np.zeros(len(encoded) + 1, np.int64)
    if buckets <= 0 or max_n < min_n or max_n <= 0:
        return offsets, np.zeros(0, np.int32)
    ids = np.zeros(0, np.int32)
    _hash_ngrams(data, starts, min_n, max_n, buckets, offsets, ids, False)
    ids = np.empty(int(offsets[-1]), np.int32)
    _hash_ngrams(data, starts, min_n, max_n, buckets, offsets, ids, True)
    return offsets, ids


def compact_rows(ids: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The buckets ``ids`` reach, sorted (int32), and ``ids`` as rows of a table holding only those
    buckets in that order (int32): bucket ``used[r]`` is row ``r``."""
    reached = np.zeros(buckets, np.int32)
    reached[ids] = 1
    row_of = np.cumsum(reached, dtype=np.int32) - 1  # (buckets,): a reached bucket's row
    return np.flatnonzero(reached).astype(np.int32), row_of[ids]


def bucket_rows(ids: np.ndarray, used: np.ndarray | None) -> np.ndarray:
    """Rows of the n-gram table holding buckets ``ids``: the ids themselves for a full
    (buckets, D) table (``used`` None), else their rows in the compact table, -1 for a bucket no
    vocabulary word reaches (never trained: it contributes nothing)."""
    if used is None:
        return np.asarray(ids, np.int64)
    pos = np.searchsorted(used, ids)
    pos_c = np.minimum(pos, max(len(used) - 1, 0))
    found = (pos < len(used)) & (used[pos_c] == ids) if len(used) else np.zeros(len(ids), bool)
    return np.where(found, pos_c, -1).astype(np.int64)


@dataclass(frozen=True)
class SubwordRows:
    """Every vocabulary word's rows in the *compact* n-gram table: word ``i``'s n-grams are rows
    ``rows[offsets[i]:offsets[i+1]]``; row ``r`` holds bucket ``used[r]`` of ``buckets``."""

    offsets: np.ndarray  #: int64, (V + 1,)
    rows: np.ndarray  #: int32, one per n-gram occurrence
    used: np.ndarray  #: int32, sorted: the buckets the vocabulary's n-grams reach

    @property
    def n_rows(self) -> int:
        return len(self.used)


def subword_rows(words: Sequence[str], min_n: int, max_n: int, buckets: int) -> SubwordRows:
    """The compact layout of the n-gram table for ``words`` (:func:`vocab_subwords` then
    :func:`compact_rows`)."""
    offsets, ids = vocab_subwords(words, min_n, max_n, buckets)
    used, rows = compact_rows(ids, buckets)
    return SubwordRows(offsets, rows, used)
