"""Merging deterministic rounds without overshooting the rows every thread moves a lot.

In a deterministic round (:mod:`.sparse_delta`) T threads start from the same table x0 and
each changes its private copy of a row by delta_k; the plain merge adds the changes up,
x0 + sum_k delta_k.
That is what sequential training gives for a row few steps touch (each step moves it a
little, the moves add up), but not for a row that every step touches, such as the top nodes
of hierarchical softmax's Huffman tree: each thread's thousands of steps pull it all the way
to where its own data wants it, and summing T such pulls overshoots T times.

A row's *stiffness* in a round measures how far its steps pulled it towards a fixed point:
each step with score f = x . y, learning rate alpha and label l moves x by alpha (l -
sigmoid(f)) y, whose Jacobian is -alpha sigmoid'(f) y y^T, of trace alpha sigmoid(f) (1 -
sigmoid(f)) |y|^2 (y: the step's other side, the input for an output row or a node). Over
the round the stiffnesses add up to S_k, and q_k = exp(-S_k / kappa) is the share of x0 that
thread k's steps left in place (1: a row barely touched; 0: a row pulled to its fixed point).

Sequentially, the second thread's steps would have pulled the first's update back by about
(1 - q_2) delta_1 (and vice versa), so the merge weighs each update:
    x = x0 + sum_k w_k delta_k,   w_k = 1 / (1 + sum_{j != k} (1 - q_j))
which is the plain sum for rows touched by one thread or lightly (q = 1), and the mean of
the threads' rows for rows every thread pulled to its fixed point (q = 0). It only depends on
what the round computed, in slot order: the same seed and thread count give the same vectors.
"""

from __future__ import annotations

import numpy as np

from .jit import njit

#: the stiffness that leaves exp(-1) of x0 in place, for CBOW. The trace counts all D
#: directions, yet the steps pull mostly along one (the mean of their other sides): measured on
#: corpus-es, kappa = 1 gave CBOW + HS MSL 0.254 and SemEval17 0.533, kappa = D (100) 0.240 and
#: 0.520, the plain sum 0.234 and 0.500 (benchmarks/RESULTS.md, round 4; round 8: kappa 4 and 16
#: within noise of 1)
KAPPA = 1.0

#: the same for skip-gram, whose steps are larger: one per context word (m of them per center,
#: against CBOW's one) and each with a whole input row, not the context's mean. Measured on
#: corpus-es, seed 1, analogy / MSL / SemEval17: kappa 1 8.00 / 0.266 / 0.581, 4 7.95 / 0.280 /
#: 0.596, 8 7.97 / 0.283 / 0.603, 16 7.89 / 0.285 / 0.606, 32 7.93 / 0.285 / 0.606, 100 7.57 /
#: 0.283 / 0.604; seeds 1-3 at 16: 7.66 / 0.2806 / 0.6038 against 8.02 / 0.2635 / 0.5897 at 1
#: (gensim, same mode: 7.72 / 0.2833 / 0.6082; benchmarks/RESULTS.md, "Round 8")
KAPPA_SKIP_GRAM = 16.0

#: the tables merged this way: hierarchical softmax's nodes (the output rows of negative
#: sampling merged so learned worse: CBOW + NS MSL 0.201 vs 0.216 summed)
TABLES = ("hs_nodes",)


def kappa(model: str) -> float:
    """The merge's kappa for ``model`` ("sg" or "cbow")."""
    return KAPPA_SKIP_GRAM if model == "sg" else KAPPA


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def add_stiffness(stiff, slot, rows, n, g, n_in, sq, positive_first, code, alpha):
    """``stiff[slot[rows[j]]] += sum_a alpha * s (1 - s) * sq[a]`` for j < n, a < n_in, with
    s = sigmoid(score) recovered from ``g[a, j] = alpha (label - s)`` and ``sq[a]`` the
    squared norm of input a. Labels: 1 - ``code[j]`` (hierarchical softmax), or 1 for j = 0
    and 0 after it (``positive_first``: negative sampling). Nothing without private rows."""
    if slot.shape[0] == 0:
        return
    inv = np.float32(1.0) / alpha
    for j in range(n):
        if positive_first:
            label = np.float32(1.0) if j == 0 else np.float32(0.0)
        else:
            label = np.float32(1.0) - np.float32(code[j])
        acc = np.float32(0.0)
        for a in range(n_in):
            s = label - g[a, j] * inv
            acc += s * (np.float32(1.0) - s) * sq[a]
        stiff[slot[rows[j]]] += acc * alpha


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def squared_norms(rin, n, sq):
    """``sq[a] = |rin[a]|^2`` for a < n."""
    for a in range(n):
        acc = np.float32(0.0)
        for d in range(rin.shape[1]):
            acc += rin[a, d] * rin[a, d]
        sq[a] = acc


@njit(cache=True, nogil=True)
def add_pull(pull, stiff, touched, n, kappa, lo, hi):
    """First pass of the merge, per slot: p = 1 - exp(-stiff / kappa) (rounded to float32)
    replaces the row's stiffness in ``stiff`` and ``pull[r] += p``, for this slot's rows r in
    ``[lo, hi)`` (all when ``hi < 0``); :func:`merge_weighted` reads p back (one exp per row
    and thread, not two)."""
    if hi < 0:
        hi = pull.shape[0]
    for i in range(n):
        r = touched[i]
        if lo <= r < hi:
            p = np.float32(1.0 - np.exp(-stiff[i] / kappa))
            stiff[i] = p
            pull[r] += p


@njit(cache=True, nogil=True)
def merge_weighted(table, copies, slots, touched, counts, stiffs, pull, lo, hi):
    """Second pass: the T threads' private row copies (tuples ``copies``, ``slots``,
    ``touched``, ``stiffs`` and ``counts``, as :func:`.sparse_delta.merge_copies` takes them)
    into ``table`` rows in ``[lo, hi)`` (all when ``hi < 0``), one pass per thread: row r,
    x0 at the round's start, becomes ``x0 + sum_k w_k (copy_k[r] - x0)`` over the threads k
    that touched it, in thread order, ``w_k = 1 / (1 + pull[r] - (1 - q_k))``, q_k =
    exp(-stiff_k / kappa) (``stiffs`` hold 1 - q_k, written by :func:`add_pull`); a term with w_k = 1 is the copy itself for the first thread (as
    merge_copies: a row one thread touched lightly becomes its copy exactly). Clears the
    slots and stiffness (``pull`` is cleared by :func:`clear_pull`)."""
    D = table.shape[1]
    if hi < 0:
        hi = table.shape[0]
    start = np.empty(D, table.dtype)
    T = len(copies)
    for k in range(T):
        copy, slot, rows, stiff = copies[k], slots[k], touched[k], stiffs[k]
        for i in range(counts[k]):
            r = rows[i]
            if r < lo or r >= hi or slot[r] < 0:  # outside the range, or merged by an earlier thread
                continue
            w = np.float32(1.0 / (1.0 + pull[r] - stiff[i]))
            for d in range(D):
                start[d] = table[r, d]
            if w == np.float32(1.0):
                for d in range(D):
                    table[r, d] = copy[i, d]
            else:
                for d in range(D):
                    table[r, d] = start[d] + w * (copy[i, d] - start[d])
            slot[r] = -1
            stiff[i] = 0.0
            for j in range(k + 1, T):
                s = slots[j][r]
                if s >= 0:
                    later = copies[j]
                    wj = np.float32(1.0 / (1.0 + pull[r] - stiffs[j][s]))
                    for d in range(D):
                        table[r, d] += wj * (later[s, d] - start[d])
                    slots[j][r] = -1
                    stiffs[j][s] = 0.0


@njit(cache=True, nogil=True)
def clear_pull(pull, touched, n, lo, hi):
    """Third pass, per slot: ``pull[r] = 0`` for this slot's rows in ``[lo, hi)``."""
    if hi < 0:
        hi = pull.shape[0]
    for i in range(n):
        r = touched[i]
        if lo <= r < hi:
            pull[r] = 0.0
