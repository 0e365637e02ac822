"""Merging deterministic rounds by stiffness (training/stiff_merge.py): the stiffness a step
adds, and the merge rule x0 + sum_k w_k delta_k (delta_k: thread k's copy - x0) against its formula."""

from __future__ import annotations

import numpy as np
import pytest

from palabra2vec.training import fast
from palabra2vec.training.stiff_merge import add_pull, add_stiffness, clear_pull, merge_weighted

pytestmark = pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")

D = 4


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("positive_first", [False, True])
def test_stiffness_is_the_trace_of_the_steps_jacobian(positive_first):
    """Each (input a, row j) term adds alpha * s (1 - s) * |x_a|^2, s recovered from g."""
    rng = np.random.default_rng(0)
    n_in, n, alpha = 3, 4, np.float32(0.05)
    scores = rng.normal(0, 2, (n_in, n))
    code = np.array([0, 1, 1, 0], np.int8)
    labels = np.array([1, 0, 0, 0]) if positive_first else 1 - code
    g = (alpha * (labels[None, :] - _sigmoid(scores))).astype(np.float32)  # (n_in, n)
    sq = rng.uniform(0.5, 3, n_in).astype(np.float32)
    rows = np.array([5, 2, 7, 0], np.int32)
    slot = np.full(8, -1, np.int32)
    slot[rows] = [3, 0, 1, 2]
    stiff = np.full(4, 0.25, np.float32)
    add_stiffness(stiff, slot, rows, n, g, n_in, sq, positive_first, code, alpha)
    s = _sigmoid(scores)
    want = 0.25 + alpha * (s * (1 - s) * sq[:, None]).sum(axis=0)  # per row j
    np.testing.assert_allclose(stiff[slot[rows]], want, rtol=1e-4)
    empty = np.zeros(0, np.float32)
    add_stiffness(empty, np.zeros(0, np.int32), rows, n, g, n_in, sq, positive_first, code, alpha)  # no delta: no-op


def _slot(x0, rows, deltas, stiffs):
    """One thread's private copies: row r's copy is x0[r] + its change."""
    V = x0.shape[0]
    slot = np.full(V, -1, np.int32)
    touched = np.zeros(V, np.int32)
    copy = np.zeros((V, D), np.float32)
    stiff = np.zeros(V, np.float32)
    for i, (r, dlt, st) in enumerate(zip(rows, deltas, stiffs)):
        slot[r], touched[i], copy[i], stiff[i] = i, r, x0[r] + dlt, st
    return copy, slot, touched, len(rows), stiff


def _merge(table, slots, kappa, ranges=((0, -1),)):
    pull = np.zeros(table.shape[0], np.float64)
    copies, slot, touched, n, stiffs = (tuple(s[i] for s in slots) for i in range(5))
    for lo, hi in ranges:
        for copy, sl, rows, k, stiff in slots:
            add_pull(pull, stiff, rows, k, kappa, lo, hi)
        merge_weighted(table, copies, slot, touched, np.array(n, np.int64), stiffs, pull, lo, hi)
        for copy, sl, rows, k, stiff in slots:
            clear_pull(pull, rows, k, lo, hi)
    return pull


@pytest.mark.parametrize("ranges", [((0, -1),), ((0, 2), (2, 6))])
def test_merge_sums_light_rows_and_averages_stiff_ones(ranges):
    rng = np.random.default_rng(1)
    x0 = rng.normal(0, 1, (6, D)).astype(np.float32)
    d = rng.normal(0, 1, (8, D)).astype(np.float32)
    kappa = 2.0
    # row 0: slot 0 only (stiff); row 1: both, never stiff; row 3: both, very stiff; row 4: both, in between
    a = _slot(x0, [0, 1, 3, 4], [d[0], d[1], d[2], d[3]], [50.0, 0.0, 1e4, 1.0])
    b = _slot(x0, [4, 3, 1], [d[4], d[5], d[6]], [3.0, 1e4, 0.0])
    table = x0.copy()
    pull = _merge(table, [a, b], kappa, ranges)
    np.testing.assert_array_equal(table[0], a[0][0])  # one thread: its copy, bit for bit
    np.testing.assert_array_equal(table[1], a[0][1] + (b[0][2] - x0[1]))  # no stiffness: as merge_copies
    np.testing.assert_array_equal(table[[2, 5]], x0[[2, 5]])  # untouched
    np.testing.assert_allclose(table[3], x0[3] + (d[2] + d[5]) / 2, rtol=1e-5, atol=1e-6)  # the mean
    pa, pb = 1 - np.exp(-1.0 / kappa), 1 - np.exp(-3.0 / kappa)  # row 4: w_k = 1 / (1 + pull of the other)
    np.testing.assert_allclose(table[4], x0[4] + d[3] / (1 + pb) + d[4] / (1 + pa), rtol=1e-5, atol=1e-6)
    for copy, slot, touched, n, stiff in (a, b):  # cleared for the next round
        assert (slot == -1).all() and (stiff == 0).all()
    assert (pull == 0).all()


@pytest.mark.parametrize("model, expected", [("sg", 16.0), ("cbow", 1.0)])
def test_the_merge_takes_the_kappa_of_its_model(model, expected):
    """Skip-gram's steps are larger (one per context word, each with a whole row), so its nodes
    merge with a larger kappa than CBOW's (stiff_merge.KAPPA_SKIP_GRAM, measured in round 8)."""
    from palabra2vec.config import TrainConfig
    from palabra2vec.text.vocab import Vocab
    from palabra2vec.training import stiff_merge
    from palabra2vec.training.train import Trainer

    vocab = Vocab([f"w{i}" for i in range(30)], np.arange(60, 30, -1))
    cfg = TrainConfig(min_count=1, vector_size=8, threads=2, backend="fast", model=model, hs=True, negative=0)
    backend = Trainer(vocab, cfg, progress=False).backend
    assert backend._kappa == stiff_merge.kappa(model) == expected and "hs_nodes" in backend._pull
