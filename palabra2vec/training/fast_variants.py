"""The fast kernel for CBOW and hierarchical softmax, from the pieces of :mod:`.fast`.

Skip-gram with negative sampling alone keeps :func:`palabra2vec.training.fast.train_chunk`
(bit for bit); every other combination of model (``sg`` | ``cbow``) and loss (negative
sampling, hierarchical softmax, or both) trains here, with the same subsampling, window
draws, negatives, learning-rate schedule and thread schemes (Hogwild or per-thread row copies).

One step, for a center w with context words c_1..c_m (word2vec.c, ``TrainModelThread``):

* inputs: skip-gram uses each context row ``input[c_a]`` (m inputs, as :mod:`.fast`);
  CBOW uses one hidden vector h = sum_a input[c_a], divided by m when ``cbow_mean``.
* negative sampling (``ns_gradient``): outputs are w and K noise words, label 1 for w;
* hierarchical softmax (``hs_gradient``): outputs are the inner nodes ``points[w, :L]`` of
  w's Huffman path (``hs_nodes`` rows), label 1 - ``codes[w, j]`` (word2vec.c: ``g = (1 -
  code - sigmoid(f)) * alpha``), so that P(w | h) = prod_j sigmoid(+-h . node_j)
  (Mikolov et al. 2013, eq. 3);
* outputs and nodes step by ``g[a, o] * input_a``; skip-gram inputs by ``sum_o g[a, o] *
  output_o``; in CBOW the hidden layer's error e = sum_o g[o] output_o is added to every
  context row, undivided even with the mean (word2vec.c and gensim's default; the readable
  model writes this as a straight-through mean, see :mod:`.variant_model`).

All from the rows before the step, except skip-gram's hierarchical softmax: as in word2vec.c
and gensim (``fast_sentence_sg_hs``), the context words take their steps along the path one
after another, each scoring the nodes as the context words before it left them
(:func:`hs_context_steps`; scoring the whole window against the nodes before the step, as
HogBatch does for negative sampling, learned worse: benchmarks/RESULTS.md). Both losses at
once add both gradients to the inputs.

Deterministic threads keep private copies of the rows they touch in a round
(:func:`.sparse_delta.gather_copy`/``scatter_copy``, as skip-gram + NS: one row read per access
instead of the table's row plus a pending delta), merged after the round by
:func:`.sparse_delta.merge_copies`; the HS nodes' steps work on their rows in place (the
table's in Hogwild, the private copies otherwise: :func:`own_rows`; no gathered copy, no
scatter), and add up each node's stiffness, by which the round's merge weighs the threads'
changes of the nodes every thread moved a lot (:func:`.stiff_merge.merge_weighted`).

Every score's sigmoid comes from word2vec.c's 1000-bin table over [-6, 6) (the ``table``
flag; :func:`.fast.table_sigmoid`, as the skip-gram + NS kernel and gensim take it: one load
instead of an ``exp``, at most 0.0025 off); the loss, every 8th center, stays exact.
"""

from __future__ import annotations

import numpy as np

from .fast import (_gradient, njit, noise_word, ns_gradient, ns_gradient_table, read_sentence, seed_state, table_sigmoid,
                   window_bounds, window_words)
from .sparse_delta import gather_copy, prefetch_copies, scatter_copy
from .stiff_merge import add_stiffness, squared_norms


def no_tree() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (codes, points, lengths) arguments without hierarchical softmax: one empty row, so
    that the kernel's per-center row lookup stays in bounds."""
    return np.zeros((1, 0), np.int8), np.zeros((1, 0), np.int32), np.zeros(1, np.int32)


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def score_gradient(f, positive, alpha, track, table):
    """``alpha * (label - sigmoid(f))`` (label 1 for ``positive``) and, when ``track``, the
    exact BCE term -log sigmoid(+-f). With ``table`` the sigmoid is word2vec.c's 1000-bin
    lookup (:func:`.fast.table_sigmoid`, off by at most 0.0025), as :func:`.fast.ns_gradient_table`
    takes it; else ``exp`` (:func:`.fast._gradient`, which the tests compare with autograd)."""
    if not table:
        return _gradient(f, positive, alpha, track)
    g = ((np.float32(1.0) if positive else np.float32(0.0)) - table_sigmoid(f)) * alpha
    term = _gradient(f, positive, alpha, True)[1] if track else 0.0
    return g, term


@njit(cache=True, nogil=True, inline="always")
def own_rows(table, copy, slot, touched, n_touched, which, rows, n, at):
    """Where this thread reads and writes each row ``rows[j]``, j < n: row ``at[j]`` of the
    returned array, which is the table itself (Hogwild, empty ``slot``) or this thread's
    private copies (deterministic rounds: ``copy[slot[r]]``, copied from the table at the
    row's first touch in the round and listed in ``touched``, count ``n_touched[which]``;
    :func:`.sparse_delta.scatter_copy`'s scheme). The HS steps then work on the rows in place."""
    if slot.shape[0] == 0:
        for j in range(n):
            at[j] = rows[j]
        return table
    D = table.shape[1]
    for j in range(n):
        r = rows[j]
        s = slot[r]
        if s < 0:
            s = n_touched[which]
            slot[r] = s
            touched[s] = r
            n_touched[which] += 1
            for d in range(D):
                copy[s, d] = table[r, d]
        at[j] = s
    return copy


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def hs_gradient(rin, m, nodes, at, code, n_nodes, alpha, g, track, table):
    """Hierarchical softmax: for inputs ``rin[:m]`` and the path's nodes ``nodes[at[:n_nodes]]``
    with branches ``code``, ``g[a, j] = alpha * (1 - code[j] - sigmoid(rin[a] . node_j))``
    (word2vec.c; Morin & Bengio 2005; the sigmoid looked up when ``table``). Returns the
    summed -log P(branch) when ``track``."""
    D = rin.shape[1]
    loss = 0.0
    for a in range(m):
        for j in range(n_nodes):
            r = at[j]
            f = np.float32(0.0)
            for d in range(D):
                f += rin[a, d] * nodes[r, d]
            g[a, j], term = score_gradient(f, code[j] == 0, alpha, track, table)
            loss += term
    return loss


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def hs_hidden_steps(nodes, at, n_nodes, gh, h, e):
    """CBOW's node steps, word2vec.c's loop: for each node j of the path, ``e[0] += gh[0, j]
    node_j`` (the hidden error, from the node before its step), then ``node_j += gh[0, j] h[0]``,
    one pass over each node row ``nodes[at[j]]``."""
    D = h.shape[1]
    for j in range(n_nodes):
        r = at[j]
        c = gh[0, j]
        for d in range(D):
            e[0, d] += c * nodes[r, d]
            nodes[r, d] += c * h[0, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def hs_context_steps(rin, m, nodes, at, code, n_nodes, alpha, g, e, track, table):
    """Skip-gram's hierarchical softmax in word2vec.c's order, on the node rows
    ``nodes[at[:n_nodes]]`` in place: for each input a in turn,
    ``g[a, j] = alpha * (1 - code[j] - sigmoid(rin[a] . node_j))`` for every node j of the
    path, then ``e[a] = sum_j g[a, j] * node_j`` (input a's step, applied by the caller)
    and ``node_j += g[a, j] * rin[a]`` (the nodes as the next input sees them). The L
    scores of one input are independent (each node appears once on a path), so they are all
    taken before its updates, as word2vec.c's interleaved loop would give them; input a + 1's
    score against node j is taken in the same pass as node j's step for input a (one pass
    over the node instead of two). The sigmoid is looked up when ``table``. Returns the summed
    loss when ``track``."""
    D = rin.shape[1]
    loss = 0.0
    if m == 0:
        return loss
    for j in range(n_nodes):  # the first input's scores; each later input's come with the updates
        r = at[j]
        f = np.float32(0.0)
        for d in range(D):
            f += rin[0, d] * nodes[r, d]
        g[0, j] = f
    for a in range(m):
        for j in range(n_nodes):  # g[a] holds input a's scores: now its gradients
            g[a, j], term = score_gradient(g[a, j], code[j] == 0, alpha, track, table)
            loss += term
        for d in range(D):
            e[a, d] = np.float32(0.0)
        nxt = a + 1
        for j in range(n_nodes):
            r = at[j]
            c = g[a, j]
            if nxt < m:  # one pass over node j: its step, and the next input's score against it
                f = np.float32(0.0)
                for d in range(D):
                    e[a, d] += c * nodes[r, d]
                    x = nodes[r, d] + c * rin[a, d]
                    nodes[r, d] = x
                    f += x * rin[nxt, d]
                g[nxt, j] = f
            else:
                for d in range(D):
                    e[a, d] += c * nodes[r, d]
                    nodes[r, d] += c * rin[a, d]
    return loss


@njit(cache=True, nogil=True, inline="always")
def scatter_rows(target, slot, touched, n_touched, which, rows, n, src, base):
    """``target[rows[i]] += src[i]`` for i < n. With a ``slot`` (deterministic rounds) a row's
    first touch takes the thread's next private copy, listed in ``touched``, set to ``base[i]``
    (the row before the step; :func:`.sparse_delta.scatter_copy`)."""
    D = target.shape[1]
    sparse = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        if sparse:
            s = slot[r]
            if s < 0:
                s = n_touched[which]
                slot[r] = s
                touched[s] = r
                n_touched[which] += 1
                for d in range(D):
                    target[s, d] = base[i, d]
            r = s
        for d in range(D):
            target[r, d] += src[i, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def cbow_hidden(rin, m, mean, h):
    """``h[0] = sum_a rin[a]`` over a < m, divided by m when ``mean`` (CBOW's hidden layer)."""
    D = rin.shape[1]
    for d in range(D):
        h[0, d] = rin[0, d]
    for a in range(1, m):
        for d in range(D):
            h[0, d] += rin[a, d]
    if mean:
        inv = np.float32(1.0) / np.float32(m)
        for d in range(D):
            h[0, d] *= inv


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def hidden_error(g, rout, n_out, e):
    """``e[0] = sum_o g[0, o] rout[o]``: negative sampling's part of the gradient step of CBOW's
    hidden vector, which every context row receives (:func:`hs_hidden_steps` adds the nodes')."""
    D = rout.shape[1]
    for d in range(D):
        e[0, d] = np.float32(0.0)
    for o in range(n_out):
        c = g[0, o]
        for d in range(D):
            e[0, d] += c * rout[o, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def variant_update(tables, copies, slots, touched, n_touched, which1, whichn, ctx, m, outs, n_out,
                   path, code, n_path, cbow, cbow_mean, alpha, bufs, stiff, track, table):
    """One SGD step of any variant for the context ``ctx[:m]`` of one center: negative sampling
    against ``outs[:n_out]`` (center first; n_out = 0 without it) and hierarchical softmax
    along ``path[:n_path]`` with branches ``code`` (n_path = 0 without it).

    ``tables`` is (input, output, hs_nodes); updates go into them, or into this thread's
    private row copies ``copies`` (the same three, :mod:`.sparse_delta`: row r's copy in
    ``copy[slot[r]]``, rows listed in ``touched``; empty ``slots`` when not kept;
    ``which1``/``whichn``: the output's and nodes' counts in ``n_touched``). The HS steps work
    on the node rows in place (:func:`own_rows`). ``stiff`` (the same three, each empty or one
    float per private row) collects the rows' stiffness for :mod:`.stiff_merge`. ``bufs`` are
    the work arrays (:func:`work_buffers`). ``table``: every score's sigmoid from word2vec.c's
    table (training), else exact (the tests' comparison with autograd). Returns the summed
    loss if ``track``. (Tuples keep the call under 30 arguments, which Numba needs to inline
    it into the work-item loop.)"""
    syn0, syn1, nodes = tables
    d0, d1, dn = copies
    slot0, slot1, slotn = slots
    touched0, touched1, touchedn = touched
    g, gh, rin, rout, at, h, e, esg, ones, sq = bufs
    _st0, st1, stn = stiff
    gather_copy(syn0, d0, slot0, ctx, m, rin)  # (m, D): this thread's copies, or the table's rows
    src, n_in = rin, m
    if cbow:
        cbow_hidden(rin, m, cbow_mean, h)  # (1, D)
        src, n_in = h, 1
    loss = 0.0
    if n_out > 0:
        gather_copy(syn1, d1, slot1, outs, n_out, rout)  # (1+K, D)
        if table:
            loss += ns_gradient_table(src, n_in, rout, n_out, alpha, g, track)  # g: (n_in, 1+K)
        else:
            loss += ns_gradient(src, n_in, rout, n_out, alpha, g, track)
    tn = own_rows(nodes, dn, slotn, touchedn, n_touched, whichn, path, n_path, at)  # node j: tn[at[j]]
    if cbow:
        loss += hs_gradient(src, n_in, tn, at, code, n_path, alpha, gh, track, table)  # gh: (1, L)
    else:  # the nodes step in place, context word after context word
        loss += hs_context_steps(rin, m, tn, at, code, n_path, alpha, gh, esg, track, table)  # esg: (m, D)
    t0 = d0 if slot0.shape[0] > 0 else syn0
    t1 = d1 if slot1.shape[0] > 0 else syn1
    scatter_copy(t1, slot1, touched1, n_touched, which1, outs, n_out, g.T, src, n_in, rout)  # output step
    if st1.shape[0] > 0 or stn.shape[0] > 0:
        squared_norms(src, n_in, sq)
        if st1.shape[0] > 0:
            add_stiffness(st1, slot1, outs, n_out, g, n_in, sq, True, code, alpha)
        if stn.shape[0] > 0:
            add_stiffness(stn, slotn, path, n_path, gh, n_in, sq, False, code, alpha)
    if cbow:
        hidden_error(g, rout, n_out, e)  # (1, D)
        hs_hidden_steps(tn, at, n_path, gh, h, e)  # e += the nodes' part; node step
        scatter_copy(t0, slot0, touched0, n_touched, 0, ctx, m, ones, e, 1, rin)  # every context row += e
    else:
        scatter_copy(t0, slot0, touched0, n_touched, 0, ctx, m, g, rout, n_out, rin)
        if n_path > 0:
            scatter_rows(t0, slot0, touched0, n_touched, 0, ctx, m, esg, rin)
    return loss


@njit(cache=True, nogil=True)
def work_buffers(max_inputs, n_out, depth, D):
    """The work arrays of :func:`variant_update` for up to ``max_inputs`` context words,
    ``n_out`` outputs and paths of ``depth`` nodes: (g, gh, rin, rout, at, h, e, esg, ones, sq)."""
    g = np.empty((max_inputs, max(n_out, 1)), np.float32)
    gh = np.empty((max_inputs, max(depth, 1)), np.float32)
    rin = np.empty((max_inputs, D), np.float32)
    rout = np.empty((max(n_out, 1), D), np.float32)
    at = np.empty(max(depth, 1), np.int64)
    h = np.empty((1, D), np.float32)
    e = np.empty((1, D), np.float32)
    esg = np.empty((max_inputs, D), np.float32)
    ones = np.ones((max_inputs, 1), np.float32)
    sq = np.empty(max_inputs, np.float32)
    return g, gh, rin, rout, at, h, e, esg, ones, sq


@njit(cache=True, nogil=True, fastmath=True)
def train_chunk_variant(ids, syn0, syn1, nodes, codes, points, lengths, keep, alias_prob, alias_idx,
                        window, negative, cbow, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every,
                        d0, d1, dn, slot0, slot1, slotn, touched0, touched1, touchedn, n_touched, which1, whichn,
                        st0, st1, stn):
    """:func:`palabra2vec.training.fast.train_chunk` for any model and loss: the same draws
    (subsampling, window sizes, K negatives per center from the same generator), then
    :func:`variant_update` (``st0``/``st1``/``stn``: its ``stiff``). ``negative`` 0: no
    negative sampling (``syn1`` may be empty); ``codes`` with 0 columns (:func:`no_tree`): no
    hierarchical softmax. Pipelined one center deep as ``train_chunk`` is: a center's draws
    are made, and its rows prefetched, before the previous center's step (the same draws and
    steps in the same order). Returns (loss_sum, loss_terms, pairs)."""
    n_out = negative + 1 if negative > 0 else 0
    sent = np.empty(max_sentence, np.int32)
    ctx = np.empty((2, 2 * window), np.int32)  # this center's window words, and the pending one's
    outs = np.empty((2, max(n_out, 1)), np.int32)  # center, then K negatives: this one, the pending one
    bufs = work_buffers(2 * window, n_out, codes.shape[1], syn0.shape[1])
    return variant_loop(ids, syn0, syn1, nodes, codes, points, lengths, keep, alias_prob, alias_idx,
                        window, negative, cbow, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every,
                        d0, d1, dn, slot0, slot1, slotn, touched0, touched1, touchedn, n_touched, which1, whichn,
                        st0, st1, stn, sent, ctx, outs, bufs)


@njit(cache=True, nogil=True, fastmath=True, _nrt=False)
def variant_loop(ids, syn0, syn1, nodes, codes, points, lengths, keep, alias_prob, alias_idx,
                 window, negative, cbow, cbow_mean, alpha0, alpha1, seed, max_sentence, track_every,
                 d0, d1, dn, slot0, slot1, slotn, touched0, touched1, touchedn, n_touched, which1, whichn,
                 st0, st1, stn, sent, ctx, outs, bufs):
    """:func:`train_chunk_variant`'s loop, in the work arrays it allocated; compiled without
    reference counting (:mod:`.jit`), as every array it sees outlives it."""
    hs = codes.shape[1] > 0 and nodes.shape[0] > 0
    state = seed_state(seed)
    n_out = negative + 1 if negative > 0 else 0
    tables, copies = (syn0, syn1, nodes), (d0, d1, dn)
    slots, touched = (slot0, slot1, slotn), (touched0, touched1, touchedn)
    stiff = (st0, st1, stn)
    n = ids.shape[0]
    loss = 0.0
    loss_terms = 0
    pairs = 0
    centers = 0
    pos = 0
    cur = 0  # the buffers the next center is drawn into; 1 - cur holds the pending one
    pending = False
    p_m, p_row, p_alpha, p_track = 0, 0, np.float32(0.0), False  # the pending center's step
    while True:
        done = pos >= n
        L = 0
        alpha = np.float32(alpha1)
        if not done:
            pos, L, state = read_sentence(ids, pos, keep, state, sent, max_sentence)
            alpha = np.float32(alpha0 + (alpha1 - alpha0) * min(pos, n) / n)
        for i in range(L + (1 if done else 0)):
            m = 0
            if not done:
                state, lo, hi = window_bounds(state, i, L, window)
                m = window_words(sent, i, lo, hi, ctx[cur])
                if m == 0:
                    continue
                center = sent[i]
                if hs:  # the path's node rows, while the pending step runs
                    prefetch_copies(nodes, dn, slotn, points[center], lengths[center])
                if n_out > 0:
                    outs[cur, 0] = center
                    for k in range(1, n_out):
                        state, outs[cur, k] = noise_word(state, alias_prob, alias_idx, center)
                    prefetch_copies(syn1, d1, slot1, outs[cur], n_out)
                prefetch_copies(syn0, d0, slot0, ctx[cur], m)
            if pending:  # the previous center's step, while those rows arrive
                p = 1 - cur
                n_path = lengths[p_row] if hs else 0
                loss += variant_update(tables, copies, slots, touched, n_touched, which1, whichn, ctx[p], p_m,
                                       outs[p], n_out, points[p_row], codes[p_row], n_path, cbow, cbow_mean,
                                       p_alpha, bufs, stiff, p_track, True)
                if p_track:
                    loss_terms += (1 if cbow else p_m) * (n_out + n_path)
                pairs += p_m
                pending = False
            if done:
                break
            pending = True
            p_m, p_alpha = m, alpha
            p_row = sent[i] if hs else 0  # without a tree: the one empty row of no_tree()
            p_track = track_every > 0 and centers % track_every == 0
            centers += 1
            cur = 1 - cur
        if done:
            break
    return loss, loss_terms, pairs
