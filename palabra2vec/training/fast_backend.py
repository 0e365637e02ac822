"""The fast backend: the compiled kernel of :mod:`palabra2vec.training.fast` on CPU threads
(no PyTorch)."""

from __future__ import annotations

import mmap
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..config import TrainConfig
from ..variants import HS_NODES, INPUT, NGRAMS, OUTPUT
from . import fast, stiff_merge
from .huffman import build_huffman
from .sampling import NoiseDistribution
from .sparse_delta import merge_dense


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
    resident memory only once written (``np.zeros`` may reuse, and so touch, heap memory).

    The map asks for transparent huge pages (``MADV_HUGEPAGE``, as NumPy does for its own large
    arrays): the private row copies filled from its start are read at random, and with 4 kB
    pages each row costs a TLB miss (a page walk, dearer in a virtual machine). On corpus-es
    this cut the kernels' CPU time by 7-14 % (word-level) and 12 % (subwords), for up to 2 MB
    more resident memory per thread and table (benchmarks/RESULTS.md, round 7)."""
    nbytes = rows * dim * 4
    if nbytes == 0 or not hasattr(mmap, "MAP_PRIVATE"):  # Windows: no such flags; plain zeros
        return np.zeros((rows, dim), np.float32)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):  # Linux: 2 MB pages where the kernel allows them
        try:
            buf.madvise(mmap.MADV_HUGEPAGE)
        except OSError:  # a kernel built without transparent huge pages (EINVAL): 4 kB pages
            pass
    return np.frombuffer(buf, np.float32).reshape(rows, dim)


class _RowDelta:
    """One thread's pending updates of a (V, D) table in deterministic rounds of the word-level
    kernels: ``slot[r]`` is the compact row of ``delta`` holding this thread's private copy of
    row r (-1: none; :func:`palabra2vec.training.sparse_delta.scatter_copy`), merged by
    :func:`palabra2vec.training.sparse_delta.merge_copies` (the input table, and the output
    table unless it has a dense copy per thread, ``FastBackend._dense``) or by
    stiffness (the HS nodes, :func:`.stiff_merge.merge_weighted`). ``touched`` lists the rows in slot order. ``delta`` has room for
    every row, as lazy zero pages: only the rows a round touches (about a third of the input
    table, nine tenths of the output one on corpus-es) become resident."""

    def __init__(self, rows: int, dim: int) -> None:
        self.delta = lazy_zeros(rows, dim)
        self.slot = np.full(rows, -1, np.int32)
        self.touched = np.zeros(rows, np.int32)
        #: per compact row, its stiffness this round when the table merges weighted (stiff_merge.py)
        self.stiff = np.zeros(0, np.float32)

    @staticmethod
    def empty(dim: int) -> "_RowDelta":
        d = _RowDelta.__new__(_RowDelta)
        d.delta, d.slot, d.touched = np.zeros((0, dim), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        d.stiff = np.zeros(0, np.float32)
        return d


#: the output table gets a dense private copy per thread when one work item is expected to touch
#: at least this share of its rows (:func:`output_coverage`); else first-touch row copies, whose
#: memory grows with the rows touched, not with the vocabulary
DENSE_COVERAGE = 0.5


def output_coverage(noise: NoiseDistribution, keep: np.ndarray, item_words: int, negative: int) -> float:
    """The expected share of the output table's rows that one work item of ``item_words`` corpus
    words touches: each kept center reaches its own row and ``negative`` noise rows, so row r is
    missed with probability exp(-c f_r - c K q_r) (Poisson approximation; c centers, f the kept
    words' frequencies, q the noise distribution). corpus-es, 65,536 words: 0.70; a vocabulary
    of millions of words: far less."""
    counts = np.asarray(noise.counts, np.float64)
    kept = counts * np.minimum(np.asarray(keep, np.float64), 1.0)
    if kept.sum() <= 0:
        return 0.0
    centers = item_words * kept.sum() / counts.sum()
    hits = centers * (kept / kept.sum() + negative * noise.probabilities)
    return float(np.mean(-np.expm1(-hits)))


class FastBackend:
    """The compiled kernel on CPU threads.

    ``deterministic`` (threads > 1, not hogwild): each of the T threads has a slot with its
    own delta per table; the trainer runs work items in rounds of T (item k of a round on
    slot k) and calls :meth:`end_round` after each round, so results do not depend on thread
    timing. Otherwise threads update the shared tables lock-free (Hogwild).

    Word-level rounds keep row copies of the input table (a third of its rows touched a round
    on corpus-es) and a dense copy of the whole output table (nearly every row touched: the
    negatives reach the whole vocabulary), copied from the table when the thread starts an
    item and trained in place; :func:`.sparse_delta.merge_dense` adds the threads' changes.
    Against first-touch row copies this took 11 % off training on corpus-es (RESULTS.md,
    round 7). Only where an item touches most rows (:data:`DENSE_COVERAGE`): with a large
    vocabulary the output table keeps row copies, as the input table does.
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
        # word-level kernels (skip-gram + NS, CBOW/HS) keep sparse row deltas; subwords dense ones
        row_delta = _RowDelta if subwords is None else _Delta
        self._none = {name: row_delta.empty(t.shape[1]) for name, t in self._tables.items()}
        self._slots: list[tuple[dict[str, Any], np.ndarray]] = []  # per thread: deltas, touched counts
        self._private: dict[str, Any] = {}  # subwords, deterministic: fast_subwords.PrivateRows per table
        #: deterministic word-level rounds where an item reaches most output rows: each thread's
        #: dense copy of the output table (one copy at the item's start, no slot per row; no row
        #: copies for it), and the slots whose copies this round has used
        self._dense: dict[str, list[np.ndarray]] = {}
        self._dense_used: set[int] = set()
        if (self.deterministic and subwords is None and OUTPUT in self._tables
                and output_coverage(noise, keep, config.chunk_words, config.negative) >= DENSE_COVERAGE):
            self._dense[OUTPUT] = [np.empty_like(self._tables[OUTPUT]) for _ in range(self.threads)]
        if self.deterministic and subwords is not None:
            from .fast_subwords import PrivateRows

            self._private = {name: PrivateRows(*t.shape, config.threads, lazy_zeros) for name, t in self._tables.items()}
            # touched-row counts: input, output, ngrams (fast_subwords), hs_nodes (fast_subword_variants)
            self._slots = [({}, np.zeros(max(4, len(self._tables)), np.int64)) for _ in range(config.threads)]
        elif self.deterministic:
            for _ in range(config.threads):
                deltas = {name: row_delta.empty(t.shape[1]) if name in self._dense else row_delta(*t.shape)
                          for name, t in self._tables.items()}
                self._slots.append((deltas, np.zeros(len(deltas), np.int64)))
        self._no_counts = np.zeros(len(self._tables), np.int64)
        self._no_slot = np.zeros(0, np.int32)
        self._absent = np.zeros((0, self._tables[INPUT].shape[1]), np.float32)  # a table the variant lacks
        #: tables merged by stiffness (stiff_merge.py) in deterministic rounds -> per-row pull
        self._pull: dict[str, np.ndarray] = {}
        self._subword_variant = None  # subwords with CBOW/HS (subword_variant_backend.py)
        if self._variant and subwords is not None:
            from .subword_variant_backend import SubwordVariants

            self._subword_variant = SubwordVariants(config, noise.counts, self._tables, self._private)
        elif self._variant:
            self._init_variant()

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        c = self.config
        if self.subwords is not None:
            return self._train_item_subwords(chunk, alpha0, alpha1, seed, slot if self.deterministic else None)
        syn1 = self._tables.get(OUTPUT, self._absent)
        if self.deterministic and slot is not None:
            deltas, counts = self._slots[slot]
            if OUTPUT in self._dense:  # the round's start: the table, untouched while the round runs
                syn1 = self._dense[OUTPUT][slot]
                np.copyto(syn1, self._tables[OUTPUT])
                self._dense_used.add(slot)
        else:
            deltas, counts = self._none, self._no_counts
        if self._variant:
            return self._train_variant(chunk, alpha0, alpha1, seed, deltas, counts, syn1)
        d_in, d_out = deltas[INPUT], deltas[OUTPUT]
        loss, terms, _pairs = fast.train_chunk(
            chunk, self._tables[INPUT], syn1, self.keep, self.noise.prob, self.noise.alias,
            c.window, c.negative, alpha0, alpha1, seed, c.max_sentence_length, self.track_every,
            d_in.delta, d_out.delta, d_in.slot, d_out.slot, d_in.touched, d_out.touched, counts,
        )
        return float(loss), int(terms)

    def _train_item_subwords(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                             slot: int | None) -> tuple[float, int]:
        """A work item of the subword model (:mod:`palabra2vec.training.fast_subwords`; with CBOW/HS
        :mod:`palabra2vec.training.subword_variant_backend`), on thread slot ``slot``'s private
        rows (deterministic rounds) or the tables (Hogwild)."""
        from .fast_subwords import train_chunk_subwords

        c = self.config
        if self._subword_variant is not None:
            counts = self._slots[slot][1] if slot is not None else None
            return self._subword_variant.train_item(chunk, alpha0, alpha1, seed, slot, counts, self.keep, self.noise,
                                                    self.subwords, self.track_every)
        offsets, ids = self.subwords
        if slot is not None:
            _, counts = self._slots[slot]
            (l0, s0), (l1, s1), (ln, sn) = [(p.local[slot], p.slot[slot]) for p in
                                            (self._private[INPUT], self._private[OUTPUT], self._private[NGRAMS])]
        else:
            counts = self._no_counts
            l0 = l1 = ln = self._none[INPUT].delta  # (0, D)
            s0 = s1 = sn = self._no_slot
        loss, terms, _pairs = train_chunk_subwords(
            chunk, self._tables[INPUT], self._tables[OUTPUT], self._tables[NGRAMS], offsets, ids, self.keep,
            self.noise.prob, self.noise.alias, c.window, c.negative, alpha0, alpha1, seed,
            c.max_sentence_length, self.track_every, l0, l1, ln, s0, s1, sn, counts,
        )
        return float(loss), int(terms)

    def _end_round_subwords(self, pool: Executor | None) -> None:
        """Add every thread's private rows to the tables (:func:`fast_subwords.merge_private`),
        each table cut into row ranges, on the pool's threads at once (rows are independent)."""
        parts = max(1, self.threads) if pool is not None else 1
        tasks = []
        for name, table in self._tables.items():
            rows = table.shape[0]
            cuts = [rows * i // parts for i in range(parts + 1)]
            tasks += [(self._private[name], table, lo, hi) for lo, hi in zip(cuts, cuts[1:])]
        if pool is None:
            for p, table, lo, hi in tasks:
                p.merge(table, lo, hi)
        else:
            for f in [pool.submit(p.merge, table, lo, hi) for p, table, lo, hi in tasks]:
                f.result()
        for _, counts in self._slots:
            counts[:] = 0

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
        self._empty = _RowDelta.empty(D)
        names = list(self._tables)
        self._which = {name: names.index(name) if name in names else -1 for name in (OUTPUT, HS_NODES)}
        self._kappa = stiff_merge.kappa(self.config.model)
        if self.deterministic:  # HS nodes: merged by stiffness (stiff_merge.py), not summed
            for name in stiff_merge.TABLES:
                if name in self._tables:
                    rows = self._tables[name].shape[0]
                    self._pull[name] = np.zeros(rows, np.float64)
                    for deltas, _ in self._slots:
                        deltas[name].stiff = np.zeros(rows, np.float32)

    def code_lengths(self) -> np.ndarray:
        """Each word's Huffman path length (word-level hierarchical softmax; zeros without it)."""
        lengths = getattr(self, "_lengths", None)  # set by _init_variant
        if lengths is None or len(lengths) != len(self.noise.counts):  # no tree (no_tree's one row)
            return np.zeros(len(self.noise.counts), np.int32)
        return lengths

    def _train_variant(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                       deltas: dict[str, _RowDelta], counts: np.ndarray, syn1: np.ndarray) -> tuple[float, int]:
        c = self.config
        none = self._empty
        d_in, d_out, d_hs = deltas[INPUT], deltas.get(OUTPUT, none), deltas.get(HS_NODES, none)
        loss, terms, _pairs = self._train_chunk_variant(
            chunk, self._tables[INPUT], syn1,
            self._tables.get(HS_NODES, self._absent), self._codes, self._points, self._lengths,
            self.keep, self.noise.prob, self.noise.alias, c.window, c.negative, c.model == "cbow", c.cbow_mean,
            alpha0, alpha1, seed, c.max_sentence_length, self.track_every,
            d_in.delta, d_out.delta, d_hs.delta, d_in.slot, d_out.slot, d_hs.slot,
            d_in.touched, d_out.touched, d_hs.touched, counts, self._which[OUTPUT], self._which[HS_NODES],
            d_in.stiff, d_out.stiff, d_hs.stiff,
        )
        return float(loss), int(terms)

    def end_round(self, pool: Executor | None = None) -> None:
        """Add every slot's pending updates to the tables, slot 0 first, each table on a pool
        thread, cut into row ranges (rows are independent; each range still takes the slots in
        order). The input and output tables keep row copies: a row takes the copy of the first
        slot that touched it plus each later slot's copy minus the round's start
        (:func:`palabra2vec.training.sparse_delta.merge_copies`); the Huffman nodes add their
        changes weighted by stiffness (:mod:`.stiff_merge`); subwords merge their private rows
        (:meth:`_end_round_subwords`)."""
        if self._private:
            return self._end_round_subwords(pool)
        names = list(self._tables)
        parts = max(1, self.threads) if pool is not None else 1
        tasks = []
        for k, name in enumerate(names):
            rows = self._tables[name].shape[0]
            ranged = (self._slots and isinstance(self._slots[0][0][name], _RowDelta)) or name in self._dense
            cuts = [rows * i // parts for i in range(parts + 1)] if ranged else [0, -1]
            tasks += [(k, lo, hi) for lo, hi in zip(cuts, cuts[1:])]

        def merge(k: int, lo: int, hi: int) -> None:
            table = self._tables[names[k]]
            if names[k] in self._dense:
                used = tuple(self._dense[names[k]][i] for i in sorted(self._dense_used))
                if used:
                    merge_dense(table, used, lo, hi if hi >= 0 else table.shape[0])
                return
            if names[k] in self._pull:
                self._merge_weighted(names[k], k, lo, hi)
                return
            slots = [(deltas[names[k]], counts[k]) for deltas, counts in self._slots]
            fast.merge_copies(table, tuple(d.delta for d, _ in slots), tuple(d.slot for d, _ in slots),
                              tuple(d.touched for d, _ in slots), np.array([n for _, n in slots], np.int64), lo, hi)

        if pool is None:
            for task in tasks:
                merge(*task)
        else:
            for f in [pool.submit(merge, *task) for task in tasks]:
                f.result()
        for _, counts in self._slots:
            counts[:] = 0
        self._dense_used.clear()

    def _merge_weighted(self, name: str, k: int, lo: int, hi: int) -> None:
        """Merge table ``name``'s slots by stiffness (:mod:`.stiff_merge`), rows ``[lo, hi)``."""
        table, pull = self._tables[name], self._pull[name]
        for deltas, counts in self._slots:
            d = deltas[name]
            stiff_merge.add_pull(pull, d.stiff, d.touched, counts[k], self._kappa, lo, hi)
        slots = [(deltas[name], counts[k]) for deltas, counts in self._slots]
        stiff_merge.merge_weighted(table, tuple(d.delta for d, _ in slots), tuple(d.slot for d, _ in slots),
                                   tuple(d.touched for d, _ in slots), np.array([n for _, n in slots], np.int64),
                                   tuple(d.stiff for d, _ in slots), pull, lo, hi)
        for deltas, counts in self._slots:
            d = deltas[name]
            stiff_merge.clear_pull(pull, d.touched, counts[k], lo, hi)

    def release(self) -> None:
        """Free the per-thread delta tables (after training; they hold no pending update)."""
        self._slots, self._private, self._dense = [], {}, {}
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
