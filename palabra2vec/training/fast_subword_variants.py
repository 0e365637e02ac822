"""The fast kernel for subwords (``--subwords``) with CBOW and/or hierarchical softmax: the
subword model of :mod:`.fast_subwords` with the losses and inputs of :mod:`.fast_variants`.

Skip-gram (fastText's and gensim's orientation, ``skipgram`` / ``fasttext_fast_sentence_sg_hs``:
input = the center's subwords, target = the context word): the center w's input vector x is
composed once per window by :func:`.fast_subwords.gather_mean` (``(input[w] + sum_g
ngrams[g]) / n``, gensim's training scale), then

* hierarchical softmax: for each window word c_j in turn, the inner nodes of *c_j's* Huffman
  path (:func:`path_steps`), ``g = alpha (1 - code - sigmoid(x . node))`` (word2vec.c;
  Morin & Bengio 2005), ``e += g node``, ``node += g x``; a node shared by two paths (the
  top of the tree) is scored by the second as the first left it (one pass over each node per
  context word, as :func:`.fast_variants.hs_context_steps`);
* negative sampling (with ``--hs`` too, or alone through :mod:`.fast_subwords`): the window
  words and K noise words shared by the window, each weighted by m (:func:`ns_window`,
  the loss of :func:`.fast_subwords.center_update`);
* the input step e (both losses' summed) is added whole to each of the N rows composing x
  (:func:`.fast_subwords.scatter_mean`), once per window: x stays the rows before the step
  for the whole window, where fastText and gensim recompose it after each context word
  (one gather and scatter of the N rows per center instead of m).

CBOW (fastText's ``cbow``, gensim's ``fasttext_fast_sentence_cbow_*``): the hidden vector is
the bag of every context word's own row and its n-gram rows, summed, divided by the bag's
size with ``cbow_mean`` (:func:`gather_bag`); it is scored against the center and K noise
words and/or along the center's path, and its error e is added undivided to every row of the
bag (:func:`scatter_bag`), as fastText (``Model::update``) and gensim do with the mean.
(Without ``cbow_mean`` gensim divides the error by the bag size; here, as word2vec.c's sum
and the readable :class:`.variant_model.Word2VecNet`, it is not.) That per-center step is the
reference; training runs :mod:`.fast_subword_cbow`, which reads and writes each sentence
position's rows once instead of each center's whole bag.

Every score's sigmoid in training comes from word2vec.c's 1000-bin table (the ``table`` flag,
:func:`.fast_variants.score_gradient`, as the word-level kernels and gensim); the loss stays exact.

Rows are read and written as :mod:`.fast_subwords` does: this thread's private copies in
deterministic rounds (:func:`.fast_subwords.own_row`; the Huffman nodes too), merged after the
round by :func:`.fast_subwords.merge_private` (each thread's change added, thread 0 first), the
tables in Hogwild. The nodes' changes are summed, not weighted by stiffness as the word-level
kernels' are (:mod:`.stiff_merge`): measured on the first 23 files of corpus-es (1 seed,
benchmarks/RESULTS.md), the weighted merge scored lower for skip-gram + HS (analogy 28.58 %,
MSL 0.132, SemEval17 0.287 against 34.06 / 0.139 / 0.304 summed) and for CBOW + HS (32.58 /
0.097 / 0.244 against 36.65 / 0.105 / 0.270).
"""

from __future__ import annotations

import numpy as np

from .fast import njit, noise_word, read_sentence, seed_state, window_bounds, window_words
from .fast_subwords import gather_mean, own_row, row_of, scatter_mean
from .fast_variants import score_gradient
from .jit import prefetch_row

#: which count of ``n_touched`` each table's private rows use (input, output, ngrams as
#: :mod:`.fast_subwords`; the Huffman nodes fourth)
N_COUNTS = 4


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def path_steps(x, nodes, lh, sh, n_touched, path, code, n_path, alpha, e, track, table):
    """Hierarchical softmax of input ``x`` along one word's path ``path[:n_path]`` (branches
    ``code``), node by node: ``g = alpha (1 - code[j] - sigmoid(x . node))``, ``e += g node``
    (the node before its step), ``node += g x``; the sigmoid from word2vec.c's table when ``table``
    (:func:`.fast_variants.score_gradient`). Returns the summed -log P(branch) when ``track``."""
    D = x.shape[0]
    t = lh if sh.shape[0] > 0 else nodes
    loss = 0.0
    for j in range(n_path):
        i = own_row(nodes, lh, sh, n_touched, 3, path[j])
        f = np.float32(0.0)
        for d in range(D):
            f += x[d] * t[i, d]
        g, term = score_gradient(f, code[j] == 0, alpha, track, table)
        loss += term
        for d in range(D):
            e[d] += g * t[i, d]
            t[i, d] += g * x[d]
    return loss


@njit(cache=True, nogil=True, inline="always")
def prefetch_path(nodes, lh, sh, path, n_path):
    """Ask for the rows of ``path[:n_path]`` as :func:`path_steps` will read them (this thread's
    copy if it has one, else the table's row) to be fetched into cache."""
    for j in range(n_path):
        r = path[j]
        if sh.shape[0] > 0 and sh[r] >= 0:
            prefetch_row(lh, sh[r])
        else:
            prefetch_row(nodes, r)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def ns_window(x, syn1, l1, s1, n_touched, outs, m, K, weight, alpha, g, rout, e, track, table):
    """Negative sampling of input ``x`` against ``outs[:m]`` (label 1) and ``outs[m:m+K]``
    (label 0, gradient and loss weighted by ``weight``), all from the rows before the step:
    ``output[o] += g[o] x``, ``e += sum_o g[o] output[o]``; the sigmoid from word2vec.c's table
    when ``table``. Returns the summed loss when ``track``."""
    D = x.shape[0]
    n_out = m + K
    t1 = l1 if s1.shape[0] > 0 else syn1
    for o in range(n_out):  # (m + K, D)
        i = own_row(syn1, l1, s1, n_touched, 1, outs[o])
        for d in range(D):
            rout[o, d] = t1[i, d]
    loss = 0.0
    for o in range(n_out):
        f = np.float32(0.0)
        for d in range(D):
            f += x[d] * rout[o, d]
        g[o], term = score_gradient(f, o < m, alpha, track, table)
        if o >= m:
            g[o] *= weight
            term *= weight
        loss += term
    for o in range(n_out):
        i = row_of(s1, outs[o])
        c = g[o]
        for d in range(D):
            t1[i, d] += c * x[d]
            e[d] += c * rout[o, d]
    return loss


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def gather_bag(syn0, l0, s0, ngr, ln, sn, n_touched, ctx, m, off, sub, mean, h):
    """CBOW's hidden vector: ``h = sum`` of every context word's own row and n-gram rows (the
    bag), over the bag's size when ``mean``; each row as this thread sees it."""
    D = syn0.shape[1]
    t0 = l0 if s0.shape[0] > 0 else syn0
    tn = ln if sn.shape[0] > 0 else ngr
    for d in range(D):
        h[d] = 0.0
    size = 0
    for a in range(m):
        w = ctx[a]
        i = own_row(syn0, l0, s0, n_touched, 0, w)
        for d in range(D):
            h[d] += t0[i, d]
        for k in range(off[w], off[w + 1]):
            i = own_row(ngr, ln, sn, n_touched, 2, sub[k])
            for d in range(D):
                h[d] += tn[i, d]
        size += 1 + off[w + 1] - off[w]
    if mean and size > 0:
        inv = np.float32(1.0) / np.float32(size)
        for d in range(D):
            h[d] *= inv


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter_bag(syn0, l0, s0, ngr, ln, sn, ctx, m, off, sub, e):
    """Add ``e`` to every row of the bag (once per occurrence), owned by :func:`gather_bag`."""
    D = syn0.shape[1]
    t0 = l0 if s0.shape[0] > 0 else syn0
    tn = ln if sn.shape[0] > 0 else ngr
    for a in range(m):
        w = ctx[a]
        i = row_of(s0, w)
        for d in range(D):
            t0[i, d] += e[d]
        for k in range(off[w], off[w + 1]):
            i = row_of(sn, sub[k])
            for d in range(D):
                tn[i, d] += e[d]


@njit(cache=True, nogil=True, fastmath=True, _nrt=False)  # no reference counting (jit.py)
def subword_variant_update(tables, private, slots, n_touched, off, sub, codes, points, lengths,
                           w, ctx, m, outs, K, cbow, cbow_mean, alpha, g, x, rout, e, track, table):
    """One step of center ``w`` with window words ``ctx[:m]``. ``tables``: (input, output,
    ngrams, hs_nodes) (output empty without negative sampling, hs_nodes empty without
    hierarchical softmax); ``private``/``slots``: this thread's private rows of the same four
    (empty slots: Hogwild).
    Skip-gram: ``outs[:m]`` are the window words and ``outs[m:m+K]`` K noise words shared by
    the window (weighted by m); CBOW: ``outs[0]`` is w and ``outs[1:1+K]`` its noise words.
    ``table``: every score's sigmoid from word2vec.c's table (training), else exact (the tests'
    comparison with autograd). Returns the summed loss when ``track``."""
    syn0, syn1, ngr, nodes = tables
    l0, l1, ln, lh = private
    s0, s1, sn, sh = slots
    hs = nodes.shape[0] > 0
    D = syn0.shape[1]
    for d in range(D):
        e[d] = 0.0
    loss = 0.0
    if cbow:
        gather_bag(syn0, l0, s0, ngr, ln, sn, n_touched, ctx, m, off, sub, cbow_mean, x)  # x: (D,) hidden
        if K > 0:
            loss += ns_window(x, syn1, l1, s1, n_touched, outs, 1, K, np.float32(1.0), alpha, g, rout, e, track, table)
        if hs:
            loss += path_steps(x, nodes, lh, sh, n_touched, points[w], codes[w], lengths[w], alpha, e, track, table)
        scatter_bag(syn0, l0, s0, ngr, ln, sn, ctx, m, off, sub, e)  # every row of the bag += e
        return loss
    if hs:
        prefetch_path(nodes, lh, sh, points[ctx[0]], lengths[ctx[0]])
    gather_mean(syn0, l0, s0, ngr, ln, sn, n_touched, w, off, sub, x)  # x: (D,) the center's input
    if K > 0:
        loss += ns_window(x, syn1, l1, s1, n_touched, outs, m, K, np.float32(m), alpha, g, rout, e, track, table)
    if hs:
        for j in range(m):  # each window word's path, the nodes as the words before left them
            c = ctx[j]
            if j + 1 < m:  # the next path's rows, while this one is walked
                prefetch_path(nodes, lh, sh, points[ctx[j + 1]], lengths[ctx[j + 1]])
            loss += path_steps(x, nodes, lh, sh, n_touched, points[c], codes[c], lengths[c], alpha, e, track, table)
    scatter_mean(syn0, l0, s0, ngr, ln, sn, w, off, sub, e, 1.0)  # the whole of e to each of the N rows
    return loss


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk_subword_variant(ids, tables, private, slots, n_touched, off, sub, codes, points, lengths,
                                keep, alias_prob, alias_idx, window, negative, cbow, cbow_mean,
                                alpha0, alpha1, seed, max_sentence, track_every):
    """Train one chunk of the id stream (``-1`` between sentences) with
    :func:`subword_variant_update`: subsampling, window sizes and the learning-rate ramp as
    :func:`.fast_subwords.train_chunk_subwords`; noise words (``negative`` > 0) shared by the
    window and never one of its words (skip-gram, as there) or K per center, never the
    center (CBOW, as :func:`.fast_variants.train_chunk_variant`). Returns (loss_sum,
    loss_terms, pairs)."""
    D = tables[0].shape[1]
    K = negative
    state = seed_state(seed)
    sent = np.empty(max_sentence, np.int32)
    ctx = np.empty(2 * window, np.int32)
    outs = np.empty(2 * window + K + 1, np.int32)
    g = np.empty(2 * window + K + 1, np.float32)
    x = np.empty(D, np.float32)
    e = np.empty(D, np.float32)
    rout = np.empty((2 * window + K + 1, D), np.float32)
    hs = tables[3].shape[0] > 0
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
            m = window_words(sent, i, lo, hi, ctx)
            if m == 0:
                continue
            w = sent[i]
            n_pos = 1 if cbow else m
            if cbow:
                outs[0] = w
            else:
                for j in range(m):
                    outs[j] = ctx[j]
            for k in range(K):
                if cbow:
                    state, t = noise_word(state, alias_prob, alias_idx, w)
                else:
                    for _ in range(16):  # as train_chunk_subwords: none of the window's words
                        state, t = noise_word(state, alias_prob, alias_idx, w)
                        clash = False
                        for j in range(m):
                            clash |= outs[j] == t
                        if not clash:
                            break
                outs[n_pos + k] = t
            track = track_every > 0 and centers % track_every == 0
            centers += 1
            loss += subword_variant_update(tables, private, slots, n_touched, off, sub, codes, points, lengths,
                                           w, ctx, m, outs, K, cbow, cbow_mean, alpha, g, x, rout, e, track, True)
            if track:
                if K > 0:
                    loss_terms += n_pos * (K + 1)
                if hs:
                    if cbow:
                        loss_terms += lengths[w]
                    else:
                        for j in range(m):
                            loss_terms += lengths[ctx[j]]
            pairs += m
    return loss, loss_terms, pairs
