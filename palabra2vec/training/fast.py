"""The fast CPU training step: skip-gram negative sampling as a compiled Numba kernel.

Same model and objective as :class:`palabra2vec.training.model.SkipGram` with plain SGD on the
summed loss (word2vec.c's update), organised as in HogBatch (Ji et al. 2016, "Parallelizing
Word2Vec in Shared and Distributed Memory"): for each center word the words of its window
are the inputs, and the center plus K negatives shared by the whole window are the outputs,
so the m x (1+K) scores and both updates are small matrix products that stay in cache.

In this orientation a training pair (context c, center w) updates input[c] and output[w];
since every pair appears both ways round in a corpus it is the same objective as the
notebook's center -> context orientation (word2vec.c trains skip-gram this way too).

Gradients (d2l §15.1.3; Mikolov et al. 2013): for score s = input[c] . output[o] and label
y (1 for the center, 0 for a negative), d loss / d s = sigmoid(s) - y, so one SGD step with
rate alpha is, with g = alpha * (y - sigmoid(s)):
    input[c]  += sum_o g[c, o] * output[o]
    output[o] += sum_c g[c, o] * input[c]
both computed from the values before the step. Threads update the shared tables without
locks (Hogwild!, Recht et al. 2011), as word2vec.c and gensim do.

Randomness: a per-work-item xorshift64* generator seeded from (seed, epoch, item).

Threads, two ways: *deterministic* (the default) — T threads train T work items at once,
each reading the shared tables plus its own pending updates: a row's first touch in a round
copies it into the thread's private row copies (:mod:`palabra2vec.training.sparse_delta`:
only the rows the round touched), which it then reads and writes; after the round each
thread's change (copy - the round's start) is added to the tables in thread order, so the
same seed and thread count give bit-identical vectors (a thread sees the others' updates one
round, ~T x 64k words, late). *Hogwild* (``hogwild=True``; word2vec.c and gensim) — threads
update the shared tables lock-free and interleave differently from run to run.
"""

from __future__ import annotations

import numpy as np

from .jit import AVAILABLE, njit
from .sparse_delta import (gather_copy, gather_sparse, merge_copies, merge_sparse_delta, prefetch_copies,
                           scatter_copy, scatter_sparse)

__all__ = ["AVAILABLE", "njit", "merge_copies", "merge_sparse_delta", "train_chunk", "window_update",
           "gather_sparse", "scatter_sparse"]


_MAX_EXP = 20.0  # scores are clipped to +-20 before exp(): sigmoid is 0 or 1 to float32 there

# The skip-gram + NS step's sigmoid, looked up as word2vec.c and gensim do (word2vec.c's
# EXP_TABLE_SIZE 1000, MAX_EXP 6): sigmoid at the centres of 1000 equal bins of [-6, 6), 0 or 1
# outside. A table load instead of an exp per score; the error (at most 0.0025, at +-6) is below
# what the 0.025-scaled SGD steps notice (quality over 3 seeds: benchmarks/RESULTS.md).
_TABLE_EXP = 6.0
_TABLE_BINS = 1000
_SIGMOID = (1.0 / (1.0 + np.exp(-(-_TABLE_EXP + (np.arange(_TABLE_BINS) + 0.5) * (2 * _TABLE_EXP / _TABLE_BINS)))))
_SIGMOID = _SIGMOID.astype(np.float32)


@njit(cache=True, nogil=True, inline="always")
def _next(state):
    """xorshift64* (Vigna 2016): returns (new_state, 64 random bits)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, state * np.uint64(2685821657736338717)


@njit(cache=True, nogil=True, inline="always")
def seed_state(seed):
    """The generator's start for a work item's ``seed`` (never 0, xorshift's fixed point)."""
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    return state if state != np.uint64(0) else np.uint64(1)


@njit(cache=True, nogil=True, inline="always")
def _uniform(bits):
    """A float in [0, 1) from the top 24 bits."""
    return np.float32(bits >> np.uint64(40)) * np.float32(1.0 / 16777216.0)


@njit(cache=True, nogil=True, inline="always")
def _below(bits, n):
    """An integer in [0, n) from the top 32 bits (Lemire's multiply-shift)."""
    return np.int64(((bits >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def _gradient(f, positive, alpha, track):
    """alpha * (label - sigmoid(f)) for score f (label 1 for the positive), and the BCE term
    -log sigmoid(+-f) when ``track``. f is clipped to +-_MAX_EXP first."""
    if f > _MAX_EXP:
        f = _MAX_EXP
    elif f < -_MAX_EXP:
        f = -_MAX_EXP
    s = np.float32(1.0) / (np.float32(1.0) + np.exp(-f))
    label = np.float32(1.0) if positive else np.float32(0.0)
    term = 0.0
    if track:
        z = -f if positive else f
        term = max(z, 0.0) + np.log1p(np.exp(-abs(z)))
    return (label - s) * alpha, term


# -- the draws every kernel shares: a subsampled sentence, a window, a noise word ------------

@njit(cache=True, nogil=True, inline="always")
def read_sentence(ids, pos, keep, state, sent, max_sentence):
    """Read the sentence starting at ``ids[pos]`` (up to the next -1) into ``sent``, each word
    kept with probability ``keep[w]`` (subsampling), at most ``max_sentence`` words.
    Returns (the position after the sentence's -1, its length, the generator state)."""
    n = ids.shape[0]
    L = 0
    while pos < n and ids[pos] >= 0:
        w = ids[pos]
        pos += 1
        kp = keep[w]
        if kp < np.float32(1.0):
            state, bits = _next(state)
            if _uniform(bits) >= kp:
                continue
        if L < max_sentence:
            sent[L] = w
            L += 1
    return pos + 1, L, state


@njit(cache=True, nogil=True, inline="always")
def window_bounds(state, i, L, window):
    """Center ``i``'s window in a sentence of ``L`` words: a size b drawn in 1..window, and the
    positions [lo, hi) it covers. Returns (state, lo, hi)."""
    state, bits = _next(state)
    b = 1 + _below(bits, window)
    return state, max(0, i - b), min(L, i + b + 1)


@njit(cache=True, nogil=True, inline="always")
def window_words(sent, i, lo, hi, out):
    """The words of positions [lo, hi) except the center ``i``, into ``out``; returns how many."""
    m = 0
    for j in range(lo, hi):
        if j != i:
            out[m] = sent[j]
            m += 1
    return m


@njit(cache=True, nogil=True, inline="always")
def list_row(mark, touched, n_touched, which, r):
    """Note row ``r`` in ``touched`` (count in ``n_touched[which]``) the first time a round's
    dense delta touches it (``mark`` empty: the shared table, nothing to note)."""
    if mark.shape[0] > 0 and mark[r] == 0:
        mark[r] = 1
        touched[n_touched[which]] = r
        n_touched[which] += 1


@njit(cache=True, nogil=True, inline="always")
def noise_word(state, alias_prob, alias_idx, avoid):
    """One word from the noise distribution (alias method), never ``avoid`` unless the
    vocabulary has one word. Returns (state, word)."""
    V = alias_prob.shape[0]
    while True:
        state, bits = _next(state)
        slot = _below(bits, V)
        t = slot if _uniform(bits << np.uint64(32)) < alias_prob[slot] else alias_idx[slot]
        if t != avoid or V == 1:
            return state, t


# -- one training step, in three pieces: gather -> loss gradient -> scatter ----------------
# Each piece is inlined into the kernel; a new loss (hierarchical softmax) replaces the
# middle piece, a new model (CBOW, subwords) changes what is gathered and scattered.

@njit(cache=True, nogil=True, inline="always")
def gather(table, delta, rows, n, out):
    """``out[i] = table[rows[i]]`` for i < n, plus ``delta[rows[i]]`` when this thread keeps a
    dense delta (deterministic rounds of CBOW/HS): the rows as this thread sees them."""
    D = table.shape[1]
    with_delta = delta.shape[0] > 0
    for i in range(n):
        r = rows[i]
        if with_delta:
            for d in range(D):
                out[i, d] = table[r, d] + delta[r, d]
        else:
            for d in range(D):
                out[i, d] = table[r, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def ns_gradient(rin, m, rout, n_out, alpha, g, track):
    """Negative sampling: for inputs ``rin[:m]`` and outputs ``rout[:n_out]`` (the first is the
    positive, the rest are noise words), ``g[a, o] = alpha * (label - sigmoid(rin[a] . rout[o]))``
    (Mikolov et al. 2013, eq. 4; d2l 15.1.3). Returns the summed BCE loss when ``track``."""
    D = rin.shape[1]
    loss = 0.0
    for a in range(m):
        for o in range(n_out):
            f = np.float32(0.0)
            for d in range(D):
                f += rin[a, d] * rout[o, d]
            g[a, o], term = _gradient(f, o == 0, alpha, track)
            loss += term
    return loss


@njit(cache=True, nogil=True, inline="always")
def table_sigmoid(f):
    """sigmoid(f) from ``_SIGMOID`` (word2vec.c's table): 1 or 0 past +-``_TABLE_EXP``."""
    if f >= np.float32(_TABLE_EXP):
        return np.float32(1.0)
    if f <= np.float32(-_TABLE_EXP):
        return np.float32(0.0)
    scale = np.float32(_TABLE_BINS / (2 * _TABLE_EXP))
    return _SIGMOID[min(int((f + np.float32(_TABLE_EXP)) * scale), _TABLE_BINS - 1)]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def ns_gradient_table(rin, m, rout, n_out, alpha, g, track):
    """:func:`ns_gradient` with the sigmoid looked up in ``_SIGMOID`` (word2vec.c's table); the
    BCE loss, when ``track``, is still computed exactly from the score."""
    D = rin.shape[1]
    loss = 0.0
    for a in range(m):
        for o in range(n_out):
            f = np.float32(0.0)
            for d in range(D):
                f += rin[a, d] * rout[o, d]
            g[a, o] = ((np.float32(1.0) if o == 0 else np.float32(0.0)) - table_sigmoid(f)) * alpha
            if track:
                loss += _gradient(f, o == 0, alpha, True)[1]
    return loss


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter(target, mark, touched, n_touched, which, rows, n, coef, src, n_src):
    """``target[rows[i]] += sum_j coef[i, j] * src[j]`` for i < n, j < n_src, term by term.

    ``target`` is the shared table (Hogwild) or this thread's dense delta; with a delta, rows
    touched for the first time are listed in ``touched`` (count in ``n_touched[which]``) for
    :func:`merge_delta`."""
    D = target.shape[1]
    for i in range(n):
        r = rows[i]
        list_row(mark, touched, n_touched, which, r)
        for j in range(n_src):
            c = coef[i, j]
            for d in range(D):
                target[r, d] += c * src[j, d]


@njit(cache=True, nogil=True)
def merge_delta(table, delta, mark, touched, n):
    """Add a thread's pending dense delta rows ``touched[:n]`` into ``table`` and clear them."""
    D = table.shape[1]
    for i in range(n):
        r = touched[i]
        for d in range(D):
            table[r, d] += delta[r, d]
            delta[r, d] = 0.0
        mark[r] = 0


@njit(cache=True, nogil=True, fastmath=True, _nrt=False)  # no reference counting (jit.py)
def window_update(syn0, syn1, d0, d1, slot0, slot1, touched0, touched1, n_touched,
                  ctx, m, outs, n_out, alpha, g, rin, rout, track):
    """One SGD step for the inputs ``ctx[:m]`` against outputs ``outs[:n_out]`` (the first is
    the positive, the rest are negatives), both computed from the rows before the step:
    ``output[o] += sum_a g[a, o] input[a]``, ``input[a] += sum_o g[a, o] output[o]``.
    Updates go into the tables, or into the thread's row copies ``d0``/``d1`` when ``slot0``/``slot1``
    are not empty (deterministic threads). Returns the summed BCE loss if ``track``."""
    gather_copy(syn0, d0, slot0, ctx, m, rin)  # (m, D)
    gather_copy(syn1, d1, slot1, outs, n_out, rout)  # (1+K, D)
    loss = ns_gradient_table(rin, m, rout, n_out, alpha, g, track)  # g: (m, 1+K)
    t0 = d0 if slot0.shape[0] > 0 else syn0
    t1 = d1 if slot1.shape[0] > 0 else syn1
    scatter_copy(t1, slot1, touched1, n_touched, 1, outs, n_out, g.T, rin, m, rout)  # output step
    scatter_copy(t0, slot0, touched0, n_touched, 0, ctx, m, g, rout, n_out, rin)  # input step
    return loss


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk(ids, syn0, syn1, keep, alias_prob, alias_idx, window, negative,
                alpha0, alpha1, seed, max_sentence, track_every,
                d0, d1, slot0, slot1, touched0, touched1, n_touched):
    """Train on one chunk of the id stream (``-1`` between sentences).

    Subsampling (keep[w]), a window size in 1..window per center, and K negatives per center
    (alias method, never the center itself) are drawn here. The learning rate goes linearly
    from alpha0 to alpha1 across the chunk. Returns (loss_sum, loss_terms, pairs).

    With empty ``slot0``/``slot1`` the shared tables are updated in place (Hogwild); otherwise
    updates go to this thread's row copies, see :func:`window_update`.

    Pipelined one center deep: a center's window and negatives are drawn, and their rows
    prefetched, before the previous center's step is taken, so the rows' cache misses overlap
    that step. Drawing takes no value from the tables, so the draws and the steps are the
    same, in the same order, as drawing each center just before its step.
    """
    D = syn0.shape[1]
    state = seed_state(seed)
    sent = np.empty(max_sentence, np.int32)
    ctx = np.empty((2, 2 * window), np.int32)  # this center's window words, and the pending one's
    outs = np.empty((2, negative + 1), np.int32)  # center, then K negatives: this one, the pending one
    g = np.empty((2 * window, negative + 1), np.float32)
    rin = np.empty((2 * window, D), np.float32)
    rout = np.empty((negative + 1, D), np.float32)
    n = ids.shape[0]
    loss = 0.0
    loss_terms = 0
    pairs = 0
    centers = 0
    pos = 0
    cur = 0  # the buffers the next center is drawn into; 1 - cur holds the pending one
    pending = False
    p_m, p_alpha, p_track = 0, np.float32(0.0), False  # the pending center's step
    while pos < n:
        pos, L, state = read_sentence(ids, pos, keep, state, sent, max_sentence)
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * min(pos, n) / n)
        for i in range(L):
            state, lo, hi = window_bounds(state, i, L, window)
            m = window_words(sent, i, lo, hi, ctx[cur])
            if m == 0:
                continue
            center = sent[i]
            outs[cur, 0] = center
            for k in range(1, negative + 1):
                state, outs[cur, k] = noise_word(state, alias_prob, alias_idx, center)
            track = track_every > 0 and centers % track_every == 0
            centers += 1
            prefetch_copies(syn1, d1, slot1, outs[cur], negative + 1)
            prefetch_copies(syn0, d0, slot0, ctx[cur], m)
            if pending:  # the previous center's step, while those rows arrive
                p = 1 - cur
                loss += window_update(syn0, syn1, d0, d1, slot0, slot1, touched0, touched1, n_touched,
                                      ctx[p], p_m, outs[p], negative + 1, p_alpha, g, rin, rout, p_track)
                if p_track:
                    loss_terms += p_m * (negative + 1)
                pairs += p_m
            pending = True
            p_m, p_alpha, p_track = m, alpha, track
            cur = 1 - cur
    if pending:
        p = 1 - cur
        loss += window_update(syn0, syn1, d0, d1, slot0, slot1, touched0, touched1, n_touched,
                              ctx[p], p_m, outs[p], negative + 1, p_alpha, g, rin, rout, p_track)
        if p_track:
            loss_terms += p_m * (negative + 1)
        pairs += p_m
    return loss, loss_terms, pairs
