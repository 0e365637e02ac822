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
  SemEval17 0.180, below word-level training.

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

Deterministic threads keep the pending updates of the (buckets, D) n-gram table *sparse*: a
slot per bucket (int32, -1 = none) pointing into a compact delta of only the rows touched
this round (:func:`scatter_mean`, :func:`merge_sparse`); the capacity a work item needs is
counted before it runs (:func:`count_touched_buckets`). The input and output tables keep
word2vec's dense (V, D) deltas. The n-gram table itself is compact (only the buckets the
vocabulary reaches, :func:`palabra2vec.variants.ngram_layout`): ``sub`` holds row numbers of it.
"""

from __future__ import annotations

import numpy as np

from .fast import _gradient, gather, njit, noise_word, read_sentence, scatter, window_bounds, window_words


@njit(cache=True, nogil=True, inline="always")
def gather_mean(syn0, d0, ngr, dn, slot, w, off, sub, x):
    """``x = (syn0[w] + sum_g ngr[g]) / max(n, 1)`` over the n rows g in ``sub[off[w]:off[w+1]]``,
    each row plus this thread's pending delta when it keeps one (dense ``d0``, sparse
    ``dn``/``slot``); returns n."""
    D = syn0.shape[1]
    for d in range(D):
        x[d] = syn0[w, d]
    if d0.shape[0] > 0:
        for d in range(D):
            x[d] += d0[w, d]
    sparse = dn.shape[0] > 0
    for k in range(off[w], off[w + 1]):
        r = sub[k]
        for d in range(D):
            x[d] += ngr[r, d]
        if sparse and slot[r] >= 0:
            s = slot[r]
            for d in range(D):
                x[d] += dn[s, d]
    n = off[w + 1] - off[w]  # gensim's scale: the sum of the 1 + n rows over n (1 without n-grams)
    inv = np.float32(1.0) / np.float32(max(n, 1))
    for d in range(D):
        x[d] *= inv
    return n


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter_mean(t0, mark0, touched0, n_touched, ngr, dn, slot, touchedn, w, off, sub, e, scale):
    """Add ``scale * e`` to the word's row of ``t0`` (the input table or its dense delta) and to
    each of its n-gram rows: into ``ngr`` (Hogwild) or the sparse delta ``dn`` via ``slot``
    (deterministic rounds; a bucket's first touch takes the next compact row, listed in
    ``touchedn``, count in ``n_touched[2]``)."""
    D = t0.shape[1]
    if mark0.shape[0] > 0 and mark0[w] == 0:
        mark0[w] = 1
        touched0[n_touched[0]] = w
        n_touched[0] += 1
    for d in range(D):
        t0[w, d] += scale * e[d]
    sparse = dn.shape[0] > 0
    for k in range(off[w], off[w + 1]):
        r = sub[k]
        if sparse:
            s = slot[r]
            if s < 0:
                s = n_touched[2]
                slot[r] = s
                touchedn[s] = r
                n_touched[2] += 1
            for d in range(D):
                dn[s, d] += scale * e[d]
        else:
            for d in range(D):
                ngr[r, d] += scale * e[d]


@njit(cache=True, nogil=True, fastmath=True)
def center_update(syn0, syn1, ngr, off, sub, d0, d1, dn, mark0, mark1, slot, touched0, touched1,
                  touchedn, n_touched, w, outs, m, K, alpha, g, x, rout, e, track):
    """One SGD step for center ``w`` against its ``m`` window words ``outs[:m]`` (positives) and
    ``K`` noise words ``outs[m:m+K]`` shared by the window (each weighted by m), all from the rows
    before the step: ``g[o] = alpha (label - sigmoid(x . u[o]))`` (times m for a noise word),
    ``output[o] += g[o] x``, and each of the N rows composing x gets the whole input step
    ``row += sum_o g[o] output[o]`` (as fastText and gensim do, not the 1/N gradient of the mean).
    Returns the summed (weighted) BCE loss if ``track``."""
    D = syn0.shape[1]
    n_out = m + K
    gather_mean(syn0, d0, ngr, dn, slot, w, off, sub, x[0])  # x: (1, D)
    gather(syn1, d1, outs, n_out, rout)  # (m + K, D)
    weight = np.float32(m)
    loss = 0.0
    for o in range(n_out):
        f = np.float32(0.0)
        for d in range(D):
            f += x[0, d] * rout[o, d]
        g[o, 0], term = _gradient(f, o < m, alpha, track)  # g: (m + K, 1)
        if o >= m:  # a noise word stands for the m window words' draws
            g[o, 0] *= weight
            term *= weight
        loss += term
    t1 = d1 if d1.shape[0] > 0 else syn1
    scatter(t1, mark1, touched1, n_touched, 1, outs, n_out, g, x, 1)  # output step
    for d in range(D):
        e[d] = 0.0
    for o in range(n_out):
        c = g[o, 0]
        for d in range(D):
            e[d] += c * rout[o, d]
    t0 = d0 if d0.shape[0] > 0 else syn0
    scatter_mean(t0, mark0, touched0, n_touched, ngr, dn, slot, touchedn, w, off, sub, e,
                 np.float32(1.0))  # input step: the whole of e to each of the n rows (fastText, gensim)
    return loss


@njit(cache=True, nogil=True)
def merge_sparse(table, dn, slot, touched, n):
    """Add a thread's compact delta rows ``dn[:n]`` into ``table`` rows ``touched[:n]``; clear them."""
    D = table.shape[1]
    for i in range(n):
        r = touched[i]
        for d in range(D):
            table[r, d] += dn[i, d]
            dn[i, d] = 0.0
        slot[r] = -1


@njit(cache=True, nogil=True)
def count_touched_buckets(ids, off, sub, seen_word, seen_bucket):
    """How many distinct n-gram buckets the words of ``ids`` (``-1`` between sentences) have: the
    rows a work item can touch at most. ``seen_*`` are scratch flags, left cleared."""
    count = 0
    for p in range(ids.shape[0]):
        w = ids[p]
        if w < 0 or seen_word[w]:
            continue
        seen_word[w] = True
        for k in range(off[w], off[w + 1]):
            r = sub[k]
            if not seen_bucket[r]:
                seen_bucket[r] = True
                count += 1
    for p in range(ids.shape[0]):  # clear
        w = ids[p]
        if w >= 0 and seen_word[w]:
            seen_word[w] = False
            for k in range(off[w], off[w + 1]):
                seen_bucket[sub[k]] = False
    return count


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk_subwords(ids, syn0, syn1, ngr, off, sub, keep, alias_prob, alias_idx, window, negative,
                         alpha0, alpha1, seed, max_sentence, track_every,
                         d0, d1, dn, mark0, mark1, slot, touched0, touched1, touchedn, n_touched):
    """Train the subword model on one chunk of the id stream (``-1`` between sentences).

    Subsampling, window sizes and the learning-rate ramp as
    :func:`palabra2vec.training.fast.train_chunk`; per center, K negatives shared by its window
    (alias method, never one of its window words; see :func:`center_update`).
    Returns (loss_sum, loss_terms, pairs). Empty deltas (shape (0, D)) mean Hogwild updates of the shared tables.
    """
    D = syn0.shape[1]
    K = negative
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    if state == np.uint64(0):
        state = np.uint64(1)
    sent = np.empty(max_sentence, np.int32)
    outs = np.empty(2 * window + K, np.int32)
    g = np.empty((2 * window + K, 1), np.float32)
    x = np.empty((1, D), np.float32)
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
            loss += center_update(syn0, syn1, ngr, off, sub, d0, d1, dn, mark0, mark1, slot, touched0, touched1,
                                  touchedn, n_touched, sent[i], outs, m, K, alpha, g, x, rout, e, track)
            if track:
                loss_terms += m * (K + 1)  # the per-pair terms the weighted loss stands for
            pairs += m
    return loss, loss_terms, pairs
