"""The fast backend: the compiled kernel of :mod:`palabra2vec.training.fast` on CPU threads
(no PyTorch)."""

from __future__ import annotations

import mmap
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..config import TrainConfig
from ..variants import HS_NODES, INPUT, NGRAMS, OUTPUT
from . import fast
from .huffman import build_huffman
from .sampling import NoiseDistribution


class _Delta:
    """One thread's pending updates of one table (deterministic rounds): a dense delta, a mark
    per row and the list of rows touched since the last merge."""

    def __init__(self, rows: int, dim: int) -> None:
        self.delta = np.zeros((rows, dim), np.float32)
        self.mark = np.zeros(rows, np.int8)
        self.touched = np.zeros(rows, np.int32)

    @staticmethod
    def empty(dim: int) -> "_Delta":
        d = _Delta.__new__(_Delta)
        d.delta, d.mark, d.touched = np.zeros((0, dim), np.float32), np.zeros(0, np.int8), np.zeros(0, np.int32)
        return d

    def merge(self, table: np.ndarray, n: int) -> None:
        fast.merge_delta(table, self.delta, self.mark, self.touched, n)


def lazy_zeros(rows: int, dim: int) -> np.ndarray:
    """A (rows, dim) float32 array of zeros in an anonymous memory map: its pages become
    resident memory only once written (``np.zeros`` may reuse, and so touch, heap memory)."""
    nbytes = rows * dim * 4
    if nbytes == 0 or not hasattr(mmap, "MAP_PRIVATE"):  # Windows: no such flags; plain zeros
        return np.zeros((rows, dim), np.float32)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(buf, np.float32).reshape(rows, dim)


class _RowDelta:
    """One thread's pending updates of a (V, D) table in deterministic rounds of skip-gram + NS
    (:func:`palabra2vec.training.sparse_delta.scatter_copy`): ``slot[r]`` is the compact row of
    ``delta`` holding this thread's private copy of row r (-1: none), ``touched`` lists the rows
    in slot order. ``delta`` has room for every row, as lazy zero pages: only the rows a round
    touches (about a third of the input table, nine tenths of the output one on corpus-es)
    become resident."""

    def __init__(self, rows: int, dim: int) -> None:
        self.delta = lazy_zeros(rows, dim)
        self.slot = np.full(rows, -1, np.int32)
        self.touched = np.zeros(rows, np.int32)

    @staticmethod
    def empty(dim: int) -> "_RowDelta":
        d = _RowDelta.__new__(_RowDelta)
        d.delta, d.slot, d.touched = np.zeros((0, dim), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        return d



class _SparseDelta:
    """One thread's pending updates of a large table (the n-gram rows): ``slot[r]`` is the row of
    ``delta`` holding row r's update (-1: none), ``touched`` lists the rows in slot order.
    ``delta`` holds only the rows a work item can touch (:meth:`reserve`), not a dense copy of
    the table (on corpus-es 208,090 x 100 float32, 83 MB per thread)."""

    def __init__(self, rows: int, dim: int, words: int) -> None:
        self.slot = np.full(rows, -1, np.int32)
        self.delta = np.zeros((0, dim), np.float32)
        self.touched = np.zeros(0, np.int32)
        self.seen_word = np.zeros(words, np.bool_)
        self.seen_bucket = np.zeros(rows, np.bool_)

    def reserve(self, chunk: np.ndarray, offsets: np.ndarray, ids: np.ndarray, pending: int) -> None:
        """Make room for the rows ``chunk`` can touch on top of ``pending`` ones (grown by half
        again when short, so that reallocations are rare)."""
        from .fast_subwords import count_touched_buckets

        need = pending + count_touched_buckets(chunk, offsets, ids, self.seen_word, self.seen_bucket)
        if need > self.delta.shape[0]:
            cap = max(need, self.delta.shape[0] * 3 // 2)
            grown = np.zeros((cap, self.delta.shape[1]), np.float32)
            grown[:pending] = self.delta[:pending]
            touched = np.zeros(cap, np.int32)
            touched[:pending] = self.touched[:pending]
            self.delta, self.touched = grown, touched

    def merge(self, table: np.ndarray, n: int) -> None:
        from .fast_subwords import merge_sparse

        merge_sparse(table, self.delta, self.slot, self.touched, n)


class FastBackend:
    """The compiled kernel on CPU threads.

    ``deterministic`` (threads > 1, not hogwild): each of the T threads has a slot with its
    own delta per table; the trainer runs work items in rounds of T (item k of a round on
    slot k) and calls :meth:`end_round` after each round, so results do not depend on thread
    timing. Otherwise threads update the shared tables lock-free (Hogwild).
    """

    item_words: int | None = None  # the trainer's item sizes

    @staticmethod
    def unavailable(config: TrainConfig, device: str) -> str | None:
        if device != "cpu":
            return "the fast backend runs on CPU only; use --backend torch on a GPU"
        if config.optimizer != "sgd":
            return "the fast backend trains with SGD only; use --backend torch for Adam"
        if not fast.AVAILABLE:
            return "the fast backend needs numba (pip install numba)"
        return None

    def __init__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config, self.keep, self.noise = config, keep, noise
        #: (offsets, ids): each vocabulary word's n-gram rows, CSR (text/subwords.vocab_subwords)
        self.subwords = subwords
        self.threads = config.threads
        self._tables = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tables.items()}
        self.track_every = 8  # loss is estimated on every 8th center: it costs a log and an exp
        self.deterministic = config.threads > 1 and not config.hogwild
        # CBOW and/or hierarchical softmax train in fast_variants; sg + NS stays in fast.train_chunk
        self._variant = config.model != "sg" or config.hs
        # skip-gram + NS (words only) keeps sparse row deltas; the other kernels dense ones
        row_delta = _RowDelta if not self._variant and subwords is None else _Delta
        self._none = {name: row_delta.empty(t.shape[1]) for name, t in self._tables.items()}
        self._slots: list[tuple[dict[str, Any], np.ndarray]] = []  # per thread: deltas, touched counts
        if self.deterministic:
            for _ in range(config.threads):
                deltas = {name: _SparseDelta(*t.shape, len(keep)) if name == NGRAMS else row_delta(*t.shape)
                          for name, t in self._tables.items()}
                self._slots.append((deltas, np.zeros(len(deltas), np.int64)))
        self._no_counts = np.zeros(len(self._tables), np.int64)
        self._no_slot = np.zeros(0, np.int32)
        if self._variant:
            self._init_variant()

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        c = self.config
        if self.deterministic and slot is not None:
            deltas, counts = self._slots[slot]
        else:
            deltas, counts = self._none, self._no_counts
        if self._variant:
            return self._train_variant(chunk, alpha0, alpha1, seed, deltas, counts)
        d_in, d_out = deltas[INPUT], deltas[OUTPUT]
        if self.subwords is not None:
            return self._train_item_subwords(chunk, alpha0, alpha1, seed, deltas, counts)
        loss, terms, _pairs = fast.train_chunk(
            chunk, self._tables[INPUT], self._tables[OUTPUT], self.keep, self.noise.prob, self.noise.alias,
            c.window, c.negative, alpha0, alpha1, seed, c.max_sentence_length, self.track_every,
            d_in.delta, d_out.delta, d_in.slot, d_out.slot, d_in.touched, d_out.touched, counts,
        )
        return float(loss), int(terms)

    def _train_item_subwords(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                             deltas: dict[str, Any], counts: np.ndarray) -> tuple[float, int]:
        """A work item of the subword model (:mod:`palabra2vec.training.fast_subwords`)."""
        from .fast_subwords import train_chunk_subwords

        c = self.config
        offsets, ids = self.subwords
        d_in, d_out, d_ng = deltas[INPUT], deltas[OUTPUT], deltas[NGRAMS]
        if isinstance(d_ng, _SparseDelta):
            d_ng.reserve(chunk, offsets, ids, int(counts[2]))
            slot = d_ng.slot
        else:
            slot = self._no_slot
        loss, terms, _pairs = train_chunk_subwords(
            chunk, self._tables[INPUT], self._tables[OUTPUT], self._tables[NGRAMS], offsets, ids, self.keep,
            self.noise.prob, self.noise.alias, c.window, c.negative, alpha0, alpha1, seed,
            c.max_sentence_length, self.track_every, d_in.delta, d_out.delta, d_ng.delta, d_in.mark, d_out.mark,
            slot, d_in.touched, d_out.touched, d_ng.touched, counts,
        )
        return float(loss), int(terms)

    def _init_variant(self) -> None:
        """The Huffman tree (when ``hs``) and empty stand-ins for the tables this variant lacks."""
        from .fast_variants import no_tree, train_chunk_variant

        self._train_chunk_variant = train_chunk_variant
        D = self._tables[INPUT].shape[1]
        if self.config.hs and len(self.noise.counts) > 1:
            tree = build_huffman(self.noise.counts)
            self._codes, self._points, self._lengths = tree.codes, tree.points, tree.lengths
        else:
            self._codes, self._points, self._lengths = no_tree()
        self._absent = np.zeros((0, D), np.float32)
        names = list(self._tables)
        self._which = {name: names.index(name) if name in names else -1 for name in (OUTPUT, HS_NODES)}

    def _train_variant(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                       deltas: dict[str, _Delta], counts: np.ndarray) -> tuple[float, int]:
        c = self.config
        none = _Delta.empty(self._absent.shape[1])
        d_in, d_out, d_hs = deltas[INPUT], deltas.get(OUTPUT, none), deltas.get(HS_NODES, none)
        loss, terms, _pairs = self._train_chunk_variant(
            chunk, self._tables[INPUT], self._tables.get(OUTPUT, self._absent),
            self._tables.get(HS_NODES, self._absent), self._codes, self._points, self._lengths,
            self.keep, self.noise.prob, self.noise.alias, c.window, c.negative, c.model == "cbow", c.cbow_mean,
            alpha0, alpha1, seed, c.max_sentence_length, self.track_every,
            d_in.delta, d_out.delta, d_hs.delta, d_in.mark, d_out.mark, d_hs.mark,
            d_in.touched, d_out.touched, d_hs.touched, counts, self._which[OUTPUT], self._which[HS_NODES],
        )
        return float(loss), int(terms)

    def end_round(self, pool: Executor | None = None) -> None:
        """Add every slot's pending updates to the tables, slot 0 first (row copies: a row takes
        the copy of the first slot that touched it plus each later slot's copy minus the round's
        start, :func:`palabra2vec.training.sparse_delta.merge_copies`).
        On pool threads, at once: the tables share no memory, and a table of row copies is cut
        into row ranges (rows are independent; each range still takes the slots in order)."""
        names = list(self._tables)
        parts = max(1, self.threads) if pool is not None else 1
        tasks = []
        for k, name in enumerate(names):
            rows = self._tables[name].shape[0]
            ranged = self._slots and isinstance(self._slots[0][0][name], _RowDelta)
            cuts = [rows * i // parts for i in range(parts + 1)] if ranged else [0, -1]
            tasks += [(k, lo, hi) for lo, hi in zip(cuts, cuts[1:])]

        def merge(k: int, lo: int, hi: int) -> None:
            table = self._tables[names[k]]
            slots = [(deltas[names[k]], counts[k]) for deltas, counts in self._slots]
            if isinstance(slots[0][0], _RowDelta):  # row copies: all threads in one call
                fast.merge_copies(table, tuple(d.delta for d, _ in slots), tuple(d.slot for d, _ in slots),
                                  tuple(d.touched for d, _ in slots), np.array([n for _, n in slots], np.int64),
                                  lo, hi)
                return
            for d, n in slots:
                d.merge(table, n)

        if pool is None:
            for task in tasks:
                merge(*task)
        else:
            for f in [pool.submit(merge, *task) for task in tasks]:
                f.result()
        for _, counts in self._slots:
            counts[:] = 0

    def release(self) -> None:
        """Free the per-thread delta tables (after training; they hold no pending update)."""
        self._slots = []
        self.deterministic = False

    def tables(self) -> dict[str, np.ndarray]:
        return self._tables

    def live_tables(self) -> dict[str, Any]:
        return self._tables

    def load_tables(self, tables: dict[str, np.ndarray]) -> None:
        for name, t in self._tables.items():
            t[...] = tables[name]

    def optimizer_state(self) -> None:
        return None  # plain SGD: the learning rate follows from the position

    def load_optimizer_state(self, tensors: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        return None
