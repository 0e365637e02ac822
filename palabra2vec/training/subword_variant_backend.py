"""What :class:`.fast_backend.FastBackend` calls to train subwords with CBOW and/or hierarchical
softmax: the kernels of :mod:`.fast_subword_variants` (skip-gram) and :mod:`.fast_subword_cbow`
(CBOW) on the backend's tables and a thread's private rows."""

from __future__ import annotations

import numpy as np

from .fast_subword_cbow import train_chunk_cbow
from .fast_subword_variants import N_COUNTS, train_chunk_subword_variant


class SubwordVariants:
    """What :class:`.fast_backend.FastBackend` calls for subwords with CBOW and/or hierarchical
    softmax: the Huffman tree, empty stand-ins for the tables the variant lacks, and a work item
    on a thread's private rows (``private``: the backend's :class:`PrivateRows` per table,
    empty in Hogwild)."""

    def __init__(self, config, counts: np.ndarray, tables: dict[str, np.ndarray], private: dict) -> None:
        from ..variants import HS_NODES, INPUT, NGRAMS, OUTPUT
        from .fast_variants import no_tree
        from .huffman import build_huffman

        self.config, self.private = config, private
        D = tables[INPUT].shape[1]
        self._absent = np.zeros((0, D), np.float32)
        self._names = (INPUT, OUTPUT, NGRAMS, HS_NODES)
        self.tables = tuple(tables.get(name, self._absent) for name in self._names)
        if config.hs and len(counts) > 1:
            tree = build_huffman(counts)
            self.tree = tree.codes, tree.points, tree.lengths
        else:
            self.tree = no_tree()
        self._no_slot = np.zeros(0, np.int32)
        self._no_counts = np.zeros(N_COUNTS, np.int64)

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int, slot: int | None,
                   counts: np.ndarray | None, keep: np.ndarray, noise, subwords, track_every: int
                   ) -> tuple[float, int]:
        """Train one work item on thread slot ``slot``'s private rows (touched-row counts in
        ``counts``), or the tables (Hogwild: ``slot`` None). Returns (loss sum, loss terms)."""
        c = self.config
        if slot is None:
            private = (self._absent,) * 4
            slots = (self._no_slot,) * 4
            counts = self._no_counts
        else:
            rows = [self.private.get(name) for name in self._names]
            private = tuple(self._absent if p is None else p.local[slot] for p in rows)
            slots = tuple(self._no_slot if p is None else p.slot[slot] for p in rows)
        offsets, ids = subwords
        codes, points, lengths = self.tree
        if c.model == "cbow":  # each position's rows once, not each center's bag (fast_subword_cbow.py)
            loss, terms, _pairs = train_chunk_cbow(
                chunk, self.tables, private, slots, counts, offsets, ids, codes, points, lengths, keep, noise.prob,
                noise.alias, c.window, c.negative, c.cbow_mean, alpha0, alpha1, seed, c.max_sentence_length,
                track_every)
            return float(loss), int(terms)
        loss, terms, _pairs = train_chunk_subword_variant(
            chunk, self.tables, private, slots, counts, offsets, ids, codes, points, lengths, keep,
            noise.prob, noise.alias, c.window, c.negative, False, c.cbow_mean, alpha0, alpha1, seed,
            c.max_sentence_length, track_every)
        return float(loss), int(terms)
