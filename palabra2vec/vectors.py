"""``WordVectors``: the trained vectors a user keeps and queries (gensim-like API)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np

from .errors import UnknownWordError, UsageError
from .vocab import Vocab


class WordVectors:
    """Word -> vector lookups and cosine-similarity queries.

    Mirrors gensim's ``KeyedVectors``: ``vectors``, ``index_to_key``, ``key_to_index``,
    ``wv["día"]``, ``"día" in wv``, ``most_similar``, ``similarity``.
    """

    def __init__(self, vectors: np.ndarray, index_to_key: Sequence[str], counts: Sequence[int] | None = None) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError("vectors must be (len(index_to_key), dim)")
        self.vectors = vectors
        self.vocab = Vocab(index_to_key, counts if counts is not None else np.zeros(len(index_to_key), np.int64))
        self._norms: np.ndarray | None = None

    # -- the gensim vocabulary surface ---------------------------------------------------
    @property
    def index_to_key(self) -> list[str]:
        return self.vocab.index_to_key

    @property
    def key_to_index(self) -> dict[str, int]:
        return self.vocab.key_to_index

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def get_index(self, word: str) -> int:
        """Row of ``word``; :class:`UnknownWordError` (a ``KeyError``) suggests close words."""
        return self.vocab[word]

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        i = self.get_index(word)
        return self.unit_vectors[i] if norm else self.vectors[i]

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_vector(word)

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), computed once."""
        if self._norms is None:
            n = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._norms = self.vectors / np.where(n > 0, n, 1.0)
        return self._norms

    # -- queries ---------------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def most_similar(
        self,
        positive: str | Iterable[str] | None = None,
        negative: Iterable[str] | None = None,
        topn: int = 10,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words closest by cosine to mean(positive) - mean(negative) of the unit
        vectors (3CosAdd), the query words excluded."""
        if isinstance(positive, str):
            positive = [positive]
        positive, negative = list(positive or []), list(negative or [])
        if not positive and not negative:
            raise UsageError("most_similar needs at least one word")
        if topn < 1:
            raise UsageError("topn must be at least 1")
        ids = [self.get_index(w) for w in positive + negative]
        units = self.unit_vectors
        query = units[ids[: len(positive)]].sum(axis=0) - units[ids[len(positive) :]].sum(axis=0)
        norm = np.linalg.norm(query)
        if norm > 0:
            query = query / norm
        sims = units @ query
        sims[ids] = -np.inf
        k = min(topn, len(sims) - len(set(ids)))
        if k <= 0:
            return []
        best = np.argpartition(-sims, k - 1)[:k]
        best = best[np.argsort(-sims[best], kind="stable")]
        return [(self.index_to_key[i], float(sims[i])) for i in best]

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "WordVectors":
        """Vectors of a model directory written by ``palabra2vec train``."""
        from .storage import load_model

        m = load_model(path)
        return cls(m.input.numpy(), m.vocab.index_to_key, m.vocab.counts)

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.vector_size} dims)"
