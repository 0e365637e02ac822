"""CBOW with subwords in the fast kernel, each word's rows gathered and scattered once per
sentence position instead of once per center.

fastText's and gensim's CBOW (and :func:`.fast_subword_variants.subword_variant_update`) gather,
for every center, the whole bag of its m context words' rows (each word's own row and its
n-gram rows: about m (1 + n) rows, some 120 on corpus-es) and add the hidden error back to
each of them: two passes over every row of the bag per center, though consecutive centers'
windows share most of their words. Here each position p of the sentence is read once, when
the first window reaches it, into its row sum ``S[p] = input[w_p] + sum_g ngrams[g]``; a
center's hidden vector is the sum of its context positions' S (over the bag's size with
``cbow_mean``); its error e is added to each context position's pending step ``E[p] += e``
and to its sum ``S[p] += (1 + n_p) e`` (every one of its 1 + n_p rows moved by e, so their
sum moved by (1 + n_p) e); when p leaves the last window its rows get E[p] (a ring of
2 window + 1 positions). The same steps as the per-center scheme, except where two positions
of one window share a row (the same word twice, or a common n-gram): there a position's sum
misses the other's pending steps until the rows are written. Measured on corpus-es:
benchmarks/RESULTS.md ("Subwords with CBOW and hierarchical softmax in the fast kernel").
"""

from __future__ import annotations

import numpy as np

from .fast import njit, noise_word, read_sentence, seed_state, window_bounds
from .fast_subword_variants import ns_window, path_steps
from .fast_subwords import own_row, scatter_mean


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def load_position(syn0, l0, s0, ngr, ln, sn, n_touched, w, off, sub, S, E, r):
    """``S[r]`` = word w's own row plus its n-gram rows (as this thread sees them), ``E[r] = 0``."""
    D = syn0.shape[1]
    t0 = l0 if s0.shape[0] > 0 else syn0
    tn = ln if sn.shape[0] > 0 else ngr
    i = own_row(syn0, l0, s0, n_touched, 0, w)
    for d in range(D):
        S[r, d] = t0[i, d]
        E[r, d] = 0.0
    for k in range(off[w], off[w + 1]):
        i = own_row(ngr, ln, sn, n_touched, 2, sub[k])
        for d in range(D):
            S[r, d] += tn[i, d]


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk_cbow(ids, tables, private, slots, n_touched, off, sub, codes, points, lengths, keep, alias_prob,
                     alias_idx, window, negative, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every):
    """:func:`.fast_subword_variants.train_chunk_subword_variant` for CBOW (the same draws:
    subsampling, window sizes, K noise words per center never the center), with each
    position's rows read and written once (module docstring). ``tables``, ``private``,
    ``slots``: (input, output, ngrams, hs_nodes) as there. Returns (loss_sum, loss_terms, pairs)."""
    D = tables[0].shape[1]
    K = negative
    R = 2 * window + 1  # positions alive at once: a window's reach on either side of the center
    S = np.empty((R, D), np.float32)  # each alive position's row sum
    E = np.empty((R, D), np.float32)  # and its pending step
    size_of = np.empty(R, np.int64)  # 1 + its n-gram count
    sent = np.empty(max_sentence, np.int32)
    outs = np.empty(K + 1, np.int32)
    g = np.empty(K + 1, np.float32)
    x = np.empty(D, np.float32)
    e = np.empty(D, np.float32)
    rout = np.empty((K + 1, D), np.float32)
    return cbow_loop(ids, tables, private, slots, n_touched, off, sub, codes, points, lengths, keep, alias_prob,
                     alias_idx, window, negative, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every,
                     (S, E, rout), size_of, sent, outs, g, x, e)


@njit(cache=True, nogil=True, fastmath=True, _nrt=False)
def cbow_loop(ids, tables, private, slots, n_touched, off, sub, codes, points, lengths, keep, alias_prob,
              alias_idx, window, negative, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every,
              rows, size_of, sent, outs, g, x, e):
    """:func:`train_chunk_cbow`'s loop, in the work arrays it allocated (``rows``: S, E and
    rout); compiled without reference counting (:mod:`.jit`), as every array it sees outlives it."""
    syn0, syn1, ngr, nodes = tables
    l0, l1, ln, lh = private
    s0, s1, sn, sh = slots
    S, E, rout = rows
    D = syn0.shape[1]
    K = negative
    hs = nodes.shape[0] > 0
    R = 2 * window + 1
    state = seed_state(seed)
    n = ids.shape[0]
    loss = 0.0
    loss_terms = 0
    pairs = 0
    centers = 0
    pos = 0
    while pos < n:
        pos, L, state = read_sentence(ids, pos, keep, state, sent, max_sentence)
        alpha = np.float32(alpha0 + (alpha1 - alpha0) * min(pos, n) / n)
        loaded = 0  # positions [0, loaded) have been read; those before loaded - R written back
        for i in range(L):
            state, lo, hi = window_bounds(state, i, L, window)
            m = hi - lo - 1
            if m == 0:
                continue
            w = sent[i]
            outs[0] = w
            for k in range(K):
                state, outs[1 + k] = noise_word(state, alias_prob, alias_idx, w)
            while loaded < hi:  # read the new positions, writing back the ones they replace
                r = loaded % R
                if loaded >= R:
                    scatter_mean(syn0, l0, s0, ngr, ln, sn, sent[loaded - R], off, sub, E[r], 1.0)
                load_position(syn0, l0, s0, ngr, ln, sn, n_touched, sent[loaded], off, sub, S, E, r)
                size_of[r] = 1 + off[sent[loaded] + 1] - off[sent[loaded]]
                loaded += 1
            for d in range(D):
                x[d] = 0.0
                e[d] = 0.0
            size = 0
            for p in range(lo, hi):
                if p != i:
                    r = p % R
                    size += size_of[r]
                    for d in range(D):
                        x[d] += S[r, d]
            if cbow_mean:
                inv = np.float32(1.0) / np.float32(size)
                for d in range(D):
                    x[d] *= inv
            track = track_every > 0 and centers % track_every == 0
            centers += 1
            if K > 0:
                loss += ns_window(x, syn1, l1, s1, n_touched, outs, 1, K, np.float32(1.0), alpha, g, rout, e, track, True)
            if hs:
                loss += path_steps(x, nodes, lh, sh, n_touched, points[w], codes[w], lengths[w], alpha, e, track, True)
            for p in range(lo, hi):  # the error to every row of the bag: pending, and in the sums
                if p != i:
                    r = p % R
                    c = np.float32(size_of[r])
                    for d in range(D):
                        E[r, d] += e[d]
                        S[r, d] += c * e[d]
            if track:
                loss_terms += (K + 1 if K > 0 else 0) + (lengths[w] if hs else 0)
            pairs += m
        for p in range(max(0, loaded - R), loaded):  # the sentence's last positions
            scatter_mean(syn0, l0, s0, ngr, ln, sn, sent[p], off, sub, E[p % R], 1.0)
    return loss, loss_terms, pairs
