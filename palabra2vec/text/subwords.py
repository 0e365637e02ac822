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
(``offsets``, ``ids``) that the training kernels read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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


def vocab_subwords(words: Sequence[str], min_n: int, max_n: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of every word's n-gram ids: word ``i``'s ids are ``ids[offsets[i]:offsets[i+1]]``.

    ``offsets`` is int64 (len(words) + 1), ``ids`` int32; the kernels read them directly.
    """
    parts = [ngram_ids(w, min_n, max_n, buckets) for w in words]
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    ids = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
    return offsets, ids
