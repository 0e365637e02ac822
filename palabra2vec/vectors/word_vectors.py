"""``WordVectors``: the trained vectors a user keeps and queries (gensim-like API)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import UsageError
from ..text.vocab import Vocab

log = logging.getLogger(__name__)

Query = str | np.ndarray


class WordVectors:
    """Word -> vector lookups and cosine-similarity queries.

    Mirrors gensim's ``KeyedVectors``: ``vectors``, ``index_to_key``, ``key_to_index``,
    ``wv["día"]``, ``wv[["día", "noche"]]``, ``"día" in wv``, ``most_similar``,
    ``most_similar_cosmul``, ``similarity``, ``doesnt_match``, ``load_word2vec_format``,
    ``save_word2vec_format``. Unknown words raise :class:`~palabra2vec.errors.UnknownWordError`
    (a ``KeyError``) naming the word and suggesting close vocabulary entries.
    """

    def __init__(self, vectors: np.ndarray, index_to_key: Sequence[str], counts: Sequence[int] | None = None) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError("vectors must be (len(index_to_key), dim)")
        self.vectors = vectors
        self.vocab = Vocab(index_to_key, counts if counts is not None else np.zeros(len(index_to_key), np.int64))
        self._units: np.ndarray | None = None
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

    def has_vector(self, word: str) -> bool:
        """Whether a vector can be given for ``word`` (here: it is in the vocabulary; subword
        models also answer words outside it)."""
        return word in self.key_to_index

    def get_index(self, word: str) -> int:
        """Row of ``word``; :class:`UnknownWordError` (a ``KeyError``) suggests close words."""
        return self.vocab[word]

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The vector of ``word`` (``norm=True``: scaled to unit length; a zero row stays zero)."""
        return self.get_vectors([word], norm=norm)[0]

    def get_vectors(self, words: Iterable[str], norm: bool = False) -> np.ndarray:
        """Vectors of a batch of words, shape (len(words), D); any unknown word raises.
        Unit rows are scaled here, row by row, so a large table is never copied whole."""
        ids = [self.get_index(w) for w in words]
        rows = self.vectors[ids]  # (N, D)
        if not norm:
            return rows
        n = self.norms[ids][:, None]  # (N, 1)
        return rows / np.where(n > 0, n, 1.0)  # the same float32 division as unit_vectors

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        if isinstance(word, str):
            return self.get_vector(word)
        return self.get_vectors(word)

    @property
    def norms(self) -> np.ndarray:
        """L2 norm of each row (float32, as gensim's ``fill_norms``)."""
        if self._norms is None:  # by blocks of rows: no temporary the size of the table
            step = 65536
            self._norms = np.concatenate([np.linalg.norm(self.vectors[s:s + step], axis=1)
                                          for s in range(0, len(self.vectors), step)] or [np.zeros(0, np.float32)])
        return self._norms

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), computed once."""
        if self._units is None:
            n = self.norms[:, None]
            self._units = self.vectors / np.where(n > 0, n, 1.0)
        return self._units

    # -- queries ---------------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        a = self.vectors[self.get_index(w1)].astype(np.float64)
        b = self.vectors[self.get_index(w2)].astype(np.float64)
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0

    def _query(self, positive, negative, topn: int) -> tuple[list, list, list[int]]:
        if isinstance(positive, (str, np.ndarray)):
            positive = [positive]
        if isinstance(negative, (str, np.ndarray)):
            negative = [negative]
        positive, negative = list(positive or []), list(negative or [])
        if not positive and not negative:
            raise UsageError("a query needs at least one word")
        if topn < 1:
            raise UsageError("topn must be at least 1")
        ids = [self.get_index(w) for w in positive + negative if isinstance(w, str)]  # raises on unknown words
        return positive, negative, ids

    def _unit(self, item: Query) -> np.ndarray:
        if isinstance(item, str):
            return self.get_vector(item, norm=True)
        v = np.asarray(item, dtype=np.float32)
        if v.shape != (self.vector_size,):
            raise UsageError(f"a query vector must have {self.vector_size} values, got shape {v.shape}")
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    def _top(self, scores: np.ndarray, exclude: list[int], topn: int) -> list[tuple[str, float]]:
        scores = scores.copy()
        scores[[i for i in exclude if i < len(scores)]] = -np.inf
        k = min(topn, len(scores) - len({i for i in exclude if i < len(scores)}))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in best]

    def most_similar(
        self,
        positive: Query | Iterable[Query] | None = None,
        negative: Query | Iterable[Query] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words closest by cosine to the normalised mean of the unit vectors of
        ``positive`` minus those of ``negative`` (3CosAdd, Mikolov et al. 2013), query words
        excluded; only the first ``restrict_vocab`` (most frequent) words are candidates.
        Words or raw vectors may be given, as in gensim."""
        positive, negative, ids = self._query(positive, negative, topn)
        mean = np.zeros(self.vector_size, dtype=np.float32)
        for item in positive:
            mean += self._unit(item)
        for item in negative:
            mean -= self._unit(item)
        mean /= len(positive) + len(negative)
        n = np.linalg.norm(mean)
        if n > 0:
            mean = (mean / n).astype(np.float32)
        end = len(self) if not restrict_vocab else min(restrict_vocab, len(self))
        norms = self.norms[:end]
        sims = (self.vectors[:end] @ mean) / np.where(norms > 0, norms, 1.0)  # (end,) cosines, as gensim
        return self._top(sims, ids, topn)

    def most_similar_cosmul(
        self,
        positive: Query | Iterable[Query] | None = None,
        negative: Query | Iterable[Query] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """3CosMul (Levy & Goldberg 2014, eq. 4): prod_p cos'(w, p) / (prod_n cos'(w, n) + 1e-6),
        with cosines shifted to [0, 1] as cos' = (1 + cos) / 2 (their footnote 7; gensim's rule).
        Unlike gensim, ``restrict_vocab`` is honoured."""
        positive, negative, ids = self._query(positive, negative, topn)
        if not positive:
            raise UsageError("most_similar_cosmul needs at least one positive word")
        end = len(self) if not restrict_vocab else min(restrict_vocab, len(self))
        units = self.unit_vectors[:end]  # (end, D)
        num = np.ones(end, dtype=np.float64)
        den = np.ones(end, dtype=np.float64)
        for item in positive:
            num *= (1.0 + units @ self._unit(item)) / 2.0
        for item in negative:
            den *= (1.0 + units @ self._unit(item)) / 2.0
        scores = num / (den + 1e-6)  # (end,); den is 1 without negatives, as in gensim
        return self._top(scores, ids, topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 1, method: str = "add",
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """"``a`` is to ``b`` as ``c`` is to ?": words near b - a + c (``method="add"``, 3CosAdd)
        or by 3CosMul (``method="mul"``); the three inputs are never answers."""
        if method == "add":
            return self.most_similar([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        if method == "mul":
            return self.most_similar_cosmul([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        raise UsageError(f"analogy method must be 'add' or 'mul', not {method!r}")

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest (by cosine) from the normalised mean of the words' unit vectors."""
        words = list(words)
        if len(words) < 2:
            raise UsageError("doesnt_match needs at least two words")
        units = self.get_vectors(words, norm=True)  # (N, D)
        mean = units.mean(axis=0)
        n = np.linalg.norm(mean)
        sims = units @ (mean / n if n > 0 else mean)
        return words[int(np.argmin(sims))]

    # -- loading and saving ----------------------------------------------------------------
    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike[str], binary: bool | None = None, encoding: str = "utf-8",
                             unicode_errors: str = "replace", limit: int | None = None) -> "WordVectors":
        """Read a word2vec.c / gensim / fastText ``.vec`` file; ``binary=None`` detects the kind.
        See :func:`palabra2vec.vectors.formats.read_word2vec`."""
        from .formats import read_word2vec

        raw = read_word2vec(path, binary=binary, encoding=encoding, unicode_errors=unicode_errors, limit=limit)
        return cls(raw.vectors, raw.words)

    def save_word2vec_format(self, path: str | os.PathLike[str], binary: bool = False, limit: int | None = None) -> Path:
        """Write the word2vec text (or, ``binary=True``, word2vec.c binary) format, most frequent first."""
        from .formats import save_word2vec_format

        n = len(self) if limit is None else min(limit, len(self))
        return save_word2vec_format(path, self.index_to_key[:n], self.vectors[:n], binary=binary)

    def save_projector(self, directory: str | os.PathLike[str], limit: int | None = None) -> tuple[Path, Path]:
        """Write ``vectors.tsv`` and ``metadata.tsv`` for the TensorBoard projector."""
        from .formats import save_projector

        n = len(self) if limit is None else min(limit, len(self))
        return save_projector(directory, self.index_to_key[:n], self.vectors[:n])

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.vector_size} dims)"
