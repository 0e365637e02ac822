"""Work items of equal cost for the rounds of deterministic threads.

A deterministic round trains T work items at once and waits for the slowest (see
:mod:`palabra2vec.training.train`). Items cut by id count differ in work: subsampling keeps
fewer tokens of frequent words, and with ``--subwords`` a center's step costs in proportion to
its n-gram rows, and with skip-gram + hierarchical softmax to its Huffman path.
:func:`balance_round` re-cuts a round's ids into T items of about equal
*expected* cost, at sentence ends, from a per-word cost (:func:`subword_costs`,
:func:`hs_costs`): a function of
the data only, so the same seed and thread count still give the same items and vectors, and a
resumed run re-cuts the same rounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..config import TrainConfig


def subword_costs(keep: np.ndarray, offsets: np.ndarray, outputs: float) -> np.ndarray:
    """Expected cost of one token of each word in the subword kernel: kept with probability
    ``keep[w]``, a center gathers and scatters its 1 + n rows (2 row passes each) and scores
    about ``outputs`` output rows (load, score, step, input error: 4 passes each)."""
    n = np.diff(offsets).astype(np.float64)
    return keep.astype(np.float64) * (4.0 * outputs + 2.0 * (1.0 + n))


def hs_costs(keep: np.ndarray, lengths: np.ndarray, negative: int) -> np.ndarray:
    """Expected cost of one token of each word in skip-gram + hierarchical softmax: kept with
    probability ``keep[w]``, each of its window words reads and steps its input row (2 passes)
    and scores, steps and back-propagates through the L(w) nodes of w's path (3 passes each),
    plus the 1 + K outputs (4 passes each) when negative sampling trains too."""
    per = 2.0 + 3.0 * lengths.astype(np.float64) + (4.0 * (1 + negative) if negative > 0 else 0.0)
    return keep.astype(np.float64) * per


def round_costs(config: TrainConfig, keep: np.ndarray, subword_offsets: np.ndarray | None,
                code_lengths: Callable[[], np.ndarray]) -> np.ndarray | None:
    """The per-word costs by which deterministic rounds of the fast kernel are cut, or None (cut
    by id count): skip-gram + NS with subwords (:func:`subword_costs`, ``subword_offsets`` the
    words' n-gram rows) and word-level skip-gram + HS (:func:`hs_costs`, from ``code_lengths()``).
    Elsewhere a step costs about the same for every word, or (CBOW + HS) cutting by cost was
    measured not to shorten the waits (benchmarks/RESULTS.md, round 7)."""
    if config.model != "sg":
        return None
    if subword_offsets is not None:
        return None if config.hs else subword_costs(keep, subword_offsets, config.window + 1 + config.negative)
    return hs_costs(keep, code_lengths(), config.negative) if config.hs else None


def balance_round(chunks: list[np.ndarray], costs: np.ndarray) -> list[np.ndarray]:
    """``chunks`` (one round's items, id arrays with -1 after each sentence) re-cut into as many
    items of about equal summed ``costs``, each ending at a sentence end (an item may end
    up empty only if one sentence outweighs the rest); a round of one item is returned as is."""
    T = len(chunks)
    if T < 2:
        return chunks
    ids = np.concatenate(chunks)
    w = np.where(ids >= 0, costs[np.maximum(ids, 0)], 0.0)
    total = np.cumsum(w)  # cost up to and including each id
    ends = np.flatnonzero(ids < 0)  # sentence ends: an item may stop after one
    if ends.size == 0 or total[-1] <= 0:
        return chunks
    targets = total[-1] * np.arange(1, T) / T
    at = total[ends]  # cost up to each sentence end
    j = np.minimum(np.searchsorted(at, targets), ends.size - 1)
    below = np.maximum(j - 1, 0)
    j = np.where(np.abs(at[below] - targets) < np.abs(at[j] - targets), below, j)  # the nearest end
    cuts = ends[j] + 1  # after the sentence end
    cuts = np.maximum.accumulate(cuts)
    bounds = [0, *cuts.tolist(), ids.size]
    return [ids[a:b] for a, b in zip(bounds, bounds[1:])]
