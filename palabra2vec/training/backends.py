"""Starting tables, and the fast backend: the compiled kernel on CPU threads (no PyTorch)."""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np

from . import fast
from ..config import TrainConfig
from .sampling import NoiseDistribution


def init_tables(vocab_size: int, vector_size: int, init: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Starting (input, output) tables, float32, from ``seed``.

    ``gensim``: input ~ U(-1/D, 1/D), output = 0 (gensim 4's ``prep_vectors``; measured on the
    Spanish benchmark it scores ~0.004-0.008 Spearman above word2vec.c's narrower start);
    ``word2vec``: input ~ U(-0.5/D, 0.5/D), output = 0 (word2vec.c); ``xavier``: both
    ~ U(-a, a) with a = sqrt(6 / (V + D)) (Glorot & Bengio 2010; the notebook). The same
    distributions as :meth:`palabra2vec.training.model.SkipGram.reset_parameters`; both backends start
    from these arrays.
    """
    rng = np.random.default_rng(seed)
    shape = (vocab_size, vector_size)
    if init in ("gensim", "word2vec"):
        b = (1.0 if init == "gensim" else 0.5) / vector_size
        syn0 = rng.uniform(-b, b, size=shape).astype(np.float32)
        syn1 = np.zeros(shape, dtype=np.float32)
    elif init == "xavier":
        a = float(np.sqrt(6.0 / (vocab_size + vector_size)))
        syn0 = rng.uniform(-a, a, size=shape).astype(np.float32)
        syn1 = rng.uniform(-a, a, size=shape).astype(np.float32)
    else:
        raise ValueError(f"unknown init {init!r}")
    return syn0, syn1


class FastBackend:
    """The compiled kernel on CPU threads.

    ``deterministic`` (threads > 1): each of the T threads has a slot with its own delta
    tables; the trainer runs work items in rounds of T (item k of a round on slot k) and
    calls :meth:`merge` after each round, so results do not depend on thread timing.
    Otherwise threads update the shared tables lock-free (Hogwild).
    """

    def __init__(self, config: TrainConfig, keep: np.ndarray, noise: NoiseDistribution,
                 syn0: np.ndarray, syn1: np.ndarray) -> None:
        self.config, self.keep, self.noise = config, keep, noise
        self.syn0 = np.ascontiguousarray(syn0, dtype=np.float32)  # (V, D) input vectors
        self.syn1 = np.ascontiguousarray(syn1, dtype=np.float32)  # (V, D) output vectors
        self.track_every = 8  # loss is estimated on every 8th center: it costs a log and an exp
        self.deterministic = config.threads > 1 and not config.hogwild
        V, D = self.syn0.shape
        self._none = (np.zeros((0, D), np.float32), np.zeros((0, D), np.float32), np.zeros(0, np.int8),
                      np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(2, np.int64))
        self._slots = []
        if self.deterministic:  # per thread: 2 delta tables, 2 marks, 2 touched lists, 2 counts
            for _ in range(config.threads):
                self._slots.append((np.zeros((V, D), np.float32), np.zeros((V, D), np.float32),
                                    np.zeros(V, np.int8), np.zeros(V, np.int8),
                                    np.zeros(V, np.int32), np.zeros(V, np.int32), np.zeros(2, np.int64)))

    def train_chunk(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                    slot: int | None = None) -> tuple[float, int]:
        c = self.config
        extra = self._slots[slot] if self.deterministic and slot is not None else self._none
        loss, terms, _pairs = fast.train_chunk(
            chunk, self.syn0, self.syn1, self.keep, self.noise.prob, self.noise.alias,
            c.window, c.negative, alpha0, alpha1, seed, c.max_sentence_length, self.track_every, *extra,
        )
        return float(loss), int(terms)

    def merge(self, pool: Executor | None = None) -> None:
        """Add every slot's pending updates to the tables, slot 0 first (the two tables are
        merged on two pool threads at once: they share no memory)."""

        def merge_table(which: int) -> None:
            table = self.syn0 if which == 0 else self.syn1
            for slot in self._slots:
                fast.merge_delta(table, slot[which], slot[2 + which], slot[4 + which], slot[6][which])

        if pool is None:
            merge_table(0)
            merge_table(1)
        else:
            for f in [pool.submit(merge_table, 0), pool.submit(merge_table, 1)]:
                f.result()
        for slot in self._slots:
            slot[6][:] = 0

    def release(self) -> None:
        """Free the per-thread delta tables (after training; they hold no pending update)."""
        self._slots = []
        self.deterministic = False

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        return self.syn0, self.syn1

    def load_tables(self, syn0: np.ndarray, syn1: np.ndarray) -> None:
        """Overwrite the tables (resuming from a checkpoint)."""
        self.syn0[...] = syn0
        self.syn1[...] = syn1
