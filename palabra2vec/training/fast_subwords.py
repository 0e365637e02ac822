"""The fast kernel for fastText's subword model (``--subwords``): skip-gram negative sampling
where the center word's input vector is the mean of its own row and its n-gram rows.

Same three pieces as :mod:`palabra2vec.training.fast` (gather -> loss gradient -> scatter),
with two new ends:

* :func:`gather_mean`: the center's input vector ``x = (input[w] + sum_g ngrams[g]) / n``,
  n = the number of n-grams of w (1 when it has none): the sum of its N = 1 + n rows scaled as
  gensim's ``fasttext_inner`` scales it (``norm_factor = 1 / len(subwords)``), not fastText's
  mean (``computeHidden``, 1 / N). Measured on corpus-es (1 seed, benchmarks/RESULTS.md),
  1 / n against 1 / N: analogy 40.25 vs 39.55 %, MSL 0.2398 vs 0.2358, SemEval17 0.4422 vs
  0.4376. (What users query stays fastText's mean, 1 / N: what fastText's files mean.) The
  rows are those this thread sees, its pending deltas included;
* :func:`scatter_mean`: the input step ``e = sum_o g[o] output[o]`` added whole to each of the
  same N rows, as fastText (``Model::update``: the gradient is divided by N only for
  supervised models) and gensim (``fasttext_inner``) do for skip-gram: N times the gradient
  of the mean. Measured on corpus-es (1 seed, benchmarks/RESULTS.md), the exact gradient of
  the mean (``e / N`` each) learned about N times slower: analogy 7.3 %, MSL 0.087,
  SemEval17 0.180, below word-level training. The word's own row takes ``WORD_ROW_STEP``
  (3) times e (:data:`palabra2vec.variants.WORD_ROW_STEP`; fastText and gensim: 1): on
  corpus-es, 3 seeds, MSL 0.2397 -> 0.2443 and SemEval17 0.4271 -> 0.4487 for analogy
  39.45 -> 39.20 % (benchmarks/RESULTS.md, round 5). Numba compiles the constant in: after
  changing it, clear the kernel cache (or touch this file).

Scores go through word2vec.c's sigmoid table (:data:`palabra2vec.training.fast._SIGMOID`, as
the skip-gram kernel's): one epoch's thread CPU 11.1-11.2 -> 10.7 s, seed-1 quality equal to the
printed digits (benchmarks/RESULTS.md, round 5).

Orientation and negatives: for each center w (the one input, composed once) the outputs are
its m window words as positives and K noise words drawn *once for the whole window* (none
equal to a window word; HogBatch's shared negatives, Ji et al. 2016), m + K scores per center,
all from the rows before the step. fastText and gensim draw K noise words per window word
(m (1 + K) scores); with shared noise words each one stands for m of those draws, so its
gradient and loss term are weighted by m:

    L(w) = sum_j -log sigma(x . u[c_j]) + m sum_k -log sigma(-x . u[n_k])

an unbiased estimate of the per-pair loss sum_j [-log sigma(x . u[c_j]) + sum_k -log sigma(-x . u[n_jk])]
(every n_jk comes from the same noise distribution). Measured on corpus-es (1 seed,
benchmarks/RESULTS.md), against per-pair negatives (analogy 35.96 %, MSL 0.2196, SemEval17
0.4084): shared and weighted 37.44 / 0.2327 / 0.4237 with about a third of the output rows;
shared *unweighted* (K noise words for m positives) fell to 27.37 / 0.1744 / 0.3370.
fastText trains the same pairs this way round (input = the center's subwords, output = the
context word).

Deterministic threads copy each row on its first touch in a round (copy-on-first-touch,
:class:`PrivateRows`, :func:`own_row`): a thread then reads and writes only its private copy
of the row, one row per access as in Hogwild, where a pending delta (the table row plus the
delta row) costs two. After the round each thread's change (its copy minus the row at the
start of the round) is added to the table, thread 0 first, in row ranges on the pool
(:func:`merge_private`): the same seed and thread count give the same vectors. All three
tables (input, output, n-grams) work this way; the private rows are compact (the k-th row
a thread touches takes row k) in lazily allocated zero pages, so only touched rows become
resident. Measured on corpus-es (1 epoch, benchmarks/RESULTS.md "Subwords, round 4"), this
replaced dense (V, D) deltas of the word rows and a sparse n-gram delta whose capacity was
counted per work item. The n-gram table itself is compact (only the buckets the vocabulary
reaches, :func:`palabra2vec.variants.ngram_layout`): ``sub`` holds row numbers of it.
"""

from __future__ import annotations

import numpy as np

from ..variants import WORD_ROW_STEP
from .fast import _gradient, njit, noise_word, read_sentence, seed_state, table_sigmoid, window_bounds, window_words


class PrivateRows:
    """Every thread's private copies of one table's rows for deterministic rounds: thread k
    reads and writes row r in ``local[k, slot[k, r]]`` (``slot`` -1: not touched this round),
    copied from the table at the row's first touch (:func:`own_row`); :func:`merge_private`
    adds each thread's change to the table after the round. ``local`` has room for every row,
    in zero pages allocated by ``alloc`` (``fast_backend.lazy_zeros``), so only the rows a
    round touches become resident memory (no dense copy of the table per thread)."""

    def __init__(self, rows: int, dim: int, threads: int, alloc) -> None:
        self.local = alloc(threads * rows, dim).reshape(threads, rows, dim)
        self.slot = np.full((threads, rows), -1, np.int32)

    def merge(self, table: np.ndarray, lo: int, hi: int) -> None:
        """Add every thread's changes to rows ``[lo, hi)`` of ``table``, thread 0 first."""
        merge_private(table, self.local, self.slot, lo, hi)


@njit(cache=True, nogil=True, inline="always")
def own_row(table, local, slot, n_touched, which, r):
    """Where this thread reads and writes row ``r`` of ``table``: with a private copy (``slot``
    not empty, deterministic rounds) the row ``slot[r]`` of ``local``, copied from the table
    at its first touch this round (the next compact row, count in ``n_touched[which]``);
    otherwise (Hogwild) row ``r`` of the table itself."""
    if slot.shape[0] == 0:
        return r
    s = slot[r]
    if s < 0:
        s = n_touched[which]
        n_touched[which] += 1
        slot[r] = s
        for d in range(table.shape[1]):
            local[s, d] = table[r, d]
    return s


@njit(cache=True, nogil=True, inline="always")
def row_of(slot, r):
    """The row of ``r`` already owned by this thread (:func:`own_row`): ``slot[r]``, or r (Hogwild)."""
    return r if slot.shape[0] == 0 else slot[r]


@njit(cache=True, nogil=True, inline="always")
def gather_mean(syn0, l0, s0, ngr, ln, sn, n_touched, w, off, sub, x):
    """``x = (syn0[w] + sum_g ngr[g]) / max(n, 1)`` over the n rows g in ``sub[off[w]:off[w+1]]``,
    each row as this thread sees it (:func:`own_row`); returns n."""
    D = syn0.shape[1]
    t0 = l0 if s0.shape[0] > 0 else syn0
    tn = ln if sn.shape[0] > 0 else ngr
    i = own_row(syn0, l0, s0, n_touched, 0, w)
    for d in range(D):
        x[d] = t0[i, d]
    for k in range(off[w], off[w + 1]):
        i = own_row(ngr, ln, sn, n_touched, 2, sub[k])
        for d in range(D):
            x[d] += tn[i, d]
    n = off[w + 1] - off[w]  # gensim's scale: the sum of the 1 + n rows over n (1 without n-grams)
    inv = np.float32(1.0) / np.float32(max(n, 1))
    for d in range(D):
        x[d] *= inv
    return n


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter_mean(syn0, l0, s0, ngr, ln, sn, w, off, sub, e, word_step):
    """Add ``e`` to each of the word's n-gram rows and ``word_step * e`` to its own input row
    (skip-gram + NS: ``WORD_ROW_STEP``; the other subword kernels: 1) (this thread's copies in deterministic rounds,
    owned by :func:`gather_mean`; the tables in Hogwild)."""
    D = syn0.shape[1]
    t0 = l0 if s0.shape[0] > 0 else syn0
    tn = ln if sn.shape[0] > 0 else ngr
    i = row_of(s0, w)
    step = np.float32(word_step)  # the word's own row (variants.WORD_ROW_STEP in skip-gram + NS)
    for d in range(D):
        t0[i, d] += step * e[d]
    for k in range(off[w], off[w + 1]):
        i = row_of(sn, sub[k])
        for d in range(D):
            tn[i, d] += e[d]


@njit(cache=True, nogil=True, fastmath=True, _nrt=False)  # no reference counting (jit.py)
def center_update(syn0, syn1, ngr, off, sub, l0, l1, ln, s0, s1, sn, n_touched,
                  w, outs, m, K, alpha, g, x, rout, e, track, table):
    """One SGD step for center ``w`` against its ``m`` window words ``outs[:m]`` (positives) and
    ``K`` noise words ``outs[m:m+K]`` shared by the window (each weighted by m), all from the rows
    before the step: ``g[o] = alpha (label - sigmoid(x . u[o]))`` (times m for a noise word;
    the sigmoid from word2vec.c's table when ``table``, as the skip-gram kernel's, else exact),
    ``output[o] += g[o] x``, and each of the N rows composing x gets the whole input step
    ``row += sum_o g[o] output[o]`` (as fastText and gensim do, not the 1/N gradient of the mean).
    Rows are this thread's private copies (``l*``/``s*``, :class:`PrivateRows`) or, with empty
    ``s*``, the tables (Hogwild). Returns the summed (weighted) BCE loss if ``track``."""
    D = syn0.shape[1]
    n_out = m + K
    gather_mean(syn0, l0, s0, ngr, ln, sn, n_touched, w, off, sub, x)  # x: (D,)
    t1 = l1 if s1.shape[0] > 0 else syn1
    for o in range(n_out):  # (m + K, D)
        i = own_row(syn1, l1, s1, n_touched, 1, outs[o])
        for d in range(D):
            rout[o, d] = t1[i, d]
    weight = np.float32(m)
    loss = 0.0
    for o in range(n_out):
        f = np.float32(0.0)
        for d in range(D):
            f += x[d] * rout[o, d]
        if not table:  # the exact sigmoid (tests compare this with autograd)
            g[o], term = _gradient(f, o < m, alpha, track)
        else:  # word2vec.c's table, as fast.ns_gradient_table; the loss stays exact
            g[o] = ((np.float32(1.0) if o < m else np.float32(0.0)) - table_sigmoid(f)) * alpha
            term = _gradient(f, o < m, alpha, True)[1] if track else 0.0
        if o >= m:  # a noise word stands for the m window words' draws
            g[o] *= weight
            term *= weight
        loss += term
    for o in range(n_out):  # output step
        i = row_of(s1, outs[o])
        c = g[o]
        for d in range(D):
            t1[i, d] += c * x[d]
    for d in range(D):
        e[d] = 0.0
    for o in range(n_out):
        c = g[o]
        for d in range(D):
            e[d] += c * rout[o, d]
    scatter_mean(syn0, l0, s0, ngr, ln, sn, w, off, sub, e, WORD_ROW_STEP)  # input step: e to each row, more to the word's
    return loss


@njit(cache=True, nogil=True)
def merge_private(table, local, slot, lo, hi):
    """After a deterministic round, for each row r in ``[lo, hi)`` touched by some thread:
    ``table[r] += local[k, slot[k, r]] - table0[r]`` for k = 0, 1, ... (table0: the row at the
    start of the round), and clear the slots."""
    T = slot.shape[0]
    D = table.shape[1]
    orig = np.empty(D, np.float32)
    for r in range(lo, hi):
        first = True
        for k in range(T):
            s = slot[k, r]
            if s < 0:
                continue
            if first:
                for d in range(D):
                    orig[d] = table[r, d]
                first = False
            for d in range(D):
                table[r, d] += local[k, s, d] - orig[d]
            slot[k, r] = -1


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk_subwords(ids, syn0, syn1, ngr, off, sub, keep, alias_prob, alias_idx, window, negative,
                         alpha0, alpha1, seed, max_sentence, track_every, l0, l1, ln, s0, s1, sn, n_touched):
    """Train the subword model on one chunk of the id stream (``-1`` between sentences).

    Subsampling, window sizes and the learning-rate ramp as
    :func:`palabra2vec.training.fast.train_chunk`; per center, K negatives shared by its window
    (alias method, never one of its window words; see :func:`center_update`).
    Returns (loss_sum, loss_terms, pairs). ``l*``/``s*``: this thread's private rows of the input,
    output and n-gram tables (:class:`PrivateRows`: ``local[k]``, ``slot[k]``); empty ``s*``
    mean Hogwild updates of the shared tables.
    """
    D = syn0.shape[1]
    K = negative
    state = seed_state(seed)
    sent = np.empty(max_sentence, np.int32)
    outs = np.empty(2 * window + K, np.int32)
    g = np.empty(2 * window + K, np.float32)
    x = np.empty(D, np.float32)
    e = np.empty(D, np.float32)
    rout = np.empty((2 * window + K, D), np.float32)
    n = ids.shape[0]
    loss = 0.0
    loss_terms = 0
    pairs = 0
    centers = 0
    pos = 0
    while pos < n:
        pos, L, state = read_sentence(ids, pos, keep, state, sent, max_sentence)
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * min(pos, n) / n)
        for i in range(L):
            state, lo, hi = window_bounds(state, i, L, window)
            m = window_words(sent, i, lo, hi, outs)
            if m == 0:
                continue
            for k in range(K):  # K noise words for the whole window, none of its words
                for _ in range(16):  # (a vocabulary of only window words: give up after 16 draws)
                    state, t = noise_word(state, alias_prob, alias_idx, sent[i])
                    clash = False
                    for j in range(m):
                        clash |= outs[j] == t
                    if not clash:
                        break
                outs[m + k] = t
            track = track_every > 0 and centers % track_every == 0
            centers += 1
            loss += center_update(syn0, syn1, ngr, off, sub, l0, l1, ln, s0, s1, sn, n_touched,
                                  sent[i], outs, m, K, alpha, g, x, rout, e, track, True)
            if track:
                loss_terms += m * (K + 1)  # the per-pair terms the weighted loss stands for
            pairs += m
    return loss, loss_terms, pairs
