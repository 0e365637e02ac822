"""``SubwordVectors``: word vectors that also answer words outside the vocabulary, from their
character n-grams (fastText's model, Bojanowski et al. 2017).

A vocabulary word's vector is the mean of its own input row and its n-gram rows; a word
outside the vocabulary gets the mean of its n-gram rows alone (fastText's ``getWordVector``,
gensim's ``FastTextKeyedVectors.get_vector``). As gensim does, only the lookup of a vector is
overridden: queries, evaluation and export go through it unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import UnknownWordError, UsageError
from ..training.fast import njit
from ..text.subwords import bucket_rows, compact_rows, ngram_ids, vocab_subwords
from .word_vectors import WordVectors

log = logging.getLogger(__name__)


@njit(cache=True, nogil=True)
def _compose(words_table, ngrams, offsets, ids, out):
    V, D = words_table.shape
    for i in range(V):
        for d in range(D):
            out[i, d] = words_table[i, d]
        for k in range(offsets[i], offsets[i + 1]):
            r = ids[k]
            for d in range(D):
                out[i, d] += ngrams[r, d]
        inv = np.float32(1.0) / np.float32(1 + offsets[i + 1] - offsets[i])
        for d in range(D):
            out[i, d] *= inv


def compose_vocab_vectors(words_table: np.ndarray, ngrams: np.ndarray, offsets: np.ndarray,
                          ids: np.ndarray) -> np.ndarray:
    """``(words_table[i] + sum_g ngrams[g]) / (1 + n_i)`` for every word i, g over its n-gram rows
    ``ids[offsets[i]:offsets[i+1]]`` (float32, summed in float32 in fastText's order)."""
    out = np.empty(words_table.shape, np.float32)  # (V, D)
    _compose(np.ascontiguousarray(words_table, dtype=np.float32), np.asarray(ngrams, dtype=np.float32),
             np.asarray(offsets, np.int64), np.asarray(ids, np.int64), out)
    return out


class SubwordVectors(WordVectors):
    """:class:`WordVectors` whose lookups compose words outside the vocabulary from n-grams.

    ``vectors`` holds the composed vectors of the vocabulary words (what queries rank);
    ``ngrams`` the n-gram table, ``min_n``/``max_n`` the n-gram lengths, ``buckets`` the hash
    range. The table has a row per bucket (a fastText ``.bin``; ``used`` None) or only the
    buckets the vocabulary reaches, row r holding bucket ``used[r]`` (a palabra2vec model,
    :func:`palabra2vec.variants.ngram_layout`): an unknown word's n-gram in a bucket without a
    row contributes nothing (a zero row, as in its ``.bin`` export) but still counts in the mean.
    ``"w" in wv`` stays vocabulary membership; :meth:`has_vector` says whether a vector can be
    built. An out-of-vocabulary word none of whose n-grams was trained (all its rows zero or
    absent) is an :class:`UnknownWordError`.
    """

    def __init__(self, vectors: np.ndarray, index_to_key: Sequence[str], counts: Sequence[int] | None,
                 ngrams: np.ndarray, min_n: int, max_n: int, words_table: np.ndarray | None = None,
                 buckets: int | None = None, used: np.ndarray | None = None) -> None:
        super().__init__(vectors, index_to_key, counts)
        self.ngrams = ngrams
        self.min_n, self.max_n = int(min_n), int(max_n)
        #: the words' own input rows (before composition), kept for fastText export
        self.words_table = words_table
        self._buckets = int(ngrams.shape[0] if buckets is None else buckets)
        #: the bucket of each n-gram row (sorted), or None: row b is bucket b
        self.used = used

    @classmethod
    def compose(cls, words_table: np.ndarray, ngrams: np.ndarray, index_to_key: Sequence[str],
                counts: Sequence[int] | None, min_n: int, max_n: int, buckets: int | None = None) -> "SubwordVectors":
        """Build from a model's ``input`` (V, D) and ``ngrams`` tables: (buckets, D), or the compact
        (reached buckets, D) when ``buckets`` is larger than its rows."""
        buckets = ngrams.shape[0] if buckets is None else int(buckets)
        offsets, ids = vocab_subwords(index_to_key, min_n, max_n, buckets)
        used = None
        if ngrams.shape[0] != buckets:  # compact: rows of the buckets the vocabulary reaches
            used, ids = compact_rows(ids, buckets)
            if len(used) != ngrams.shape[0]:
                raise ValueError(f"an n-gram table of {ngrams.shape[0]} rows for {len(used)} reached buckets")
        vectors = compose_vocab_vectors(words_table, ngrams, offsets, ids)
        return cls(vectors, index_to_key, counts, ngrams, min_n, max_n, words_table, buckets, used)

    @property
    def buckets(self) -> int:
        return self._buckets

    def _ngram_rows(self, word: str) -> tuple[np.ndarray, int]:
        """The n-gram table rows of ``word``'s n-grams that exist, and its number of n-grams."""
        ids = ngram_ids(word, self.min_n, self.max_n, self.buckets)
        rows = bucket_rows(ids, self.used)
        return self.ngrams[rows[rows >= 0]], len(ids)  # (n', D)

    def oov_vector(self, word: str) -> np.ndarray:
        """The vector of a word outside the vocabulary: the mean of its n-gram rows."""
        rows, n = self._ngram_rows(word)
        if n == 0 or not rows.any():
            raise UnknownWordError(word, self.vocab.suggest(word))
        return rows.sum(axis=0, dtype=np.float32) / np.float32(n)

    def has_vector(self, word: str) -> bool:
        """Whether ``word`` is in the vocabulary or has at least one trained n-gram."""
        if word in self.key_to_index:
            return True
        rows, n = self._ngram_rows(word)
        return n > 0 and bool(rows.any())

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        i = self.key_to_index.get(word)
        if i is not None:
            return self.unit_vectors[i] if norm else self.vectors[i]
        v = self.oov_vector(word)
        if norm:
            n = np.linalg.norm(v)
            return v / n if n > 0 else v
        return v

    def get_vectors(self, words: Iterable[str], norm: bool = False) -> np.ndarray:
        words = list(words)
        if not words:
            return np.zeros((0, self.vector_size), np.float32)
        return np.stack([self.get_vector(w, norm) for w in words])  # (N, D)

    def similarity(self, w1: str, w2: str) -> float:
        a = self.get_vector(w1).astype(np.float64)
        b = self.get_vector(w2).astype(np.float64)
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0

    def _query(self, positive, negative, topn: int) -> tuple[list, list, list[int]]:
        pos = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive or [])
        neg = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative or [])
        if not pos and not neg:
            raise UsageError("a query needs at least one word")
        if topn < 1:
            raise UsageError("topn must be at least 1")
        ids = []
        for w in pos + neg:
            if isinstance(w, str):
                if w in self.key_to_index:
                    ids.append(self.key_to_index[w])  # vocabulary query words are never answers
                else:
                    self.oov_vector(w)  # raises for a word with no trained n-gram
        return pos, neg, ids

    def _unit(self, item) -> np.ndarray:
        if isinstance(item, str):
            return self.get_vector(item, norm=True)
        return super()._unit(item)

    def doesnt_match(self, words: Sequence[str]) -> str:
        words = list(words)
        if len(words) < 2:
            return super().doesnt_match(words)
        units = self.get_vectors(words, norm=True)  # (N, D)
        mean = units.mean(axis=0)
        n = np.linalg.norm(mean)
        return words[int(np.argmin(units @ (mean / n if n > 0 else mean)))]

    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self)} words x {self.vector_size} dims, "
                f"{self.buckets:,} n-gram buckets, n = {self.min_n}..{self.max_n})")
