"""CBOW and hierarchical softmax in the compiled kernel against the readable model: one SGD
step of fast_variants.variant_update equals autograd on Word2VecNet (summed BCE), for every
model x loss (skip-gram's hierarchical softmax: one autograd step per context word in turn,
word2vec.c's order); and train_chunk_variant's invariants."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from palabra2vec.training import fast
from palabra2vec.training.fast_variants import no_tree, train_chunk_variant, variant_update, work_buffers
from palabra2vec.training.huffman import build_huffman
from palabra2vec.training.variant_model import Word2VecNet

pytestmark = pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")

V, D, K = 9, 8, 3
COUNTS = np.array([30, 20, 12, 9, 7, 5, 3, 2, 1])


def _tables(rng, negative, hs):
    t = {"input": rng.normal(0, 0.5, (V, D)).astype(np.float32)}
    if negative:
        t["output"] = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    if hs:
        t["hs_nodes"] = rng.normal(0, 0.5, (V - 1, D)).astype(np.float32)
    return t


def _autograd_step(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha):
    model = Word2VecNet(V, D, cbow=cbow, cbow_mean=cbow_mean, negative="output" in tables, hs="hs_nodes" in tables)
    with torch.no_grad():
        for name, w in model.tables().items():
            w.copy_(torch.from_numpy(tables[name]))
    contexts = torch.tensor([ctx], dtype=torch.long)  # (1, m)
    mask = torch.ones(1, len(ctx))
    kw = {}
    if "output" in tables:
        kw["outs"] = torch.tensor([outs], dtype=torch.long)  # (1, 1+K)
    if "hs_nodes" in tables:
        n = int(tree.lengths[center])
        kw.update(points=torch.from_numpy(tree.points[center:center + 1, :n].astype(np.int64)),
                  codes=torch.from_numpy(tree.codes[center:center + 1, :n].astype(np.int64)),
                  path_mask=torch.ones(1, n))
    loss = model.loss(contexts, mask, **kw)
    loss.backward()
    with torch.no_grad():
        return {name: (w - alpha * w.grad).numpy() for name, w in model.tables().items()}, loss.item()


def _sequential_sg_step(tables, ctx, outs, tree, center, alpha):
    """Skip-gram with hierarchical softmax as word2vec.c orders it: negative sampling (if any)
    for the whole window from the rows before the step, then each context word's HS step in
    turn, against the nodes as the previous context words left them (input rows as before)."""
    want = {k: v.copy() for k, v in tables.items()}
    loss = 0.0
    if "output" in tables:
        ns = {k: v for k, v in tables.items() if k != "hs_nodes"}
        stepped, loss = _autograd_step(ns, False, True, ctx, outs, tree, center, alpha)
        want.update(stepped)
    nodes = tables["hs_nodes"].copy()
    for c in ctx:
        one = {"input": tables["input"], "hs_nodes": nodes}
        stepped, part = _autograd_step(one, False, True, [c], outs, tree, center, alpha)
        want["input"] += stepped["input"] - tables["input"]
        nodes = stepped["hs_nodes"]
        loss += part
    want["hs_nodes"] = nodes
    return want, loss


def _kernel_step(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha, table=False):
    got = {k: v.copy() for k, v in tables.items()}
    empty = np.zeros((0, D), np.float32)
    m, n_out = len(ctx), (len(outs) if "output" in tables else 0)
    n_path = int(tree.lengths[center]) if "hs_nodes" in tables else 0
    i32 = np.zeros(0, np.int32)
    loss = variant_update(
        (got["input"], got.get("output", empty), got.get("hs_nodes", empty)), (empty, empty, empty),
        (i32, i32, i32), (i32, i32, i32), np.zeros(3, np.int64), 1, 2,
        np.array(ctx, np.int32), m, np.array(outs, np.int32), n_out, tree.points[center], tree.codes[center],
        n_path, cbow, cbow_mean, np.float32(alpha), work_buffers(m, K + 1, tree.depth, D),
        (np.zeros(0, np.float32),) * 3, True, table)
    return got, loss


# every model x loss but skip-gram + NS alone (fast.window_update, tested in test_fast.py)
VARIANTS = [(model, mean, neg, hs) for model, mean in [("sg", True), ("cbow", True), ("cbow", False)]
            for neg, hs in [(True, False), (False, True), (True, True)] if model == "cbow" or hs]


@pytest.mark.parametrize("model,cbow_mean,negative,hs", VARIANTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_variant_update_matches_autograd(model, cbow_mean, negative, hs, seed):
    rng = np.random.default_rng(seed)
    tables = _tables(rng, negative, hs)
    tree = build_huffman(COUNTS)
    m = int(rng.integers(2, 6))
    ctx = rng.integers(0, V, m).tolist()
    ctx.append(ctx[0])  # a duplicate context word: both its updates add up
    center = int(rng.integers(0, V))
    outs = [center] + rng.integers(0, V, K).tolist()
    alpha = 0.3
    if model == "sg":  # skip-gram always has hierarchical softmax here
        want, want_loss = _sequential_sg_step(tables, ctx, outs, tree, center, alpha)
    else:
        want, want_loss = _autograd_step(tables, True, cbow_mean, ctx, outs, tree, center, alpha)
    got, loss = _kernel_step(tables, model == "cbow", cbow_mean, ctx, outs, tree, center, alpha)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=name)
        assert not np.allclose(got[name], tables[name]), name  # the step moved every table
    assert loss == pytest.approx(want_loss, rel=1e-5)


def test_hs_gradient_table_is_within_its_bound_for_both_branches():
    """The HS scores' sigmoid from word2vec.c's table: each g within alpha * 0.0025 of the
    exact one (0.0015 inside +-6), saturated outside, for code 0 and 1; the loss stays exact."""
    from palabra2vec.training.fast_variants import hs_gradient

    f = np.linspace(-9, 9, 2001, dtype=np.float32)
    rin, rnode = f[:, None].copy(), np.ones((2, 1), np.float32)  # score = f
    code, alpha = np.array([0, 1], np.int8), np.float32(0.5)
    g_exact, g_table = np.empty((len(f), 2), np.float32), np.empty((len(f), 2), np.float32)
    at = np.arange(2)
    loss_exact = hs_gradient(rin, len(f), rnode, at, code, 2, alpha, g_exact, True, False)
    loss_table = hs_gradient(rin, len(f), rnode, at, code, 2, alpha, g_table, True, True)
    err = np.abs(g_table - g_exact)
    assert err.max() <= alpha * 0.0025 + 1e-6 and err.max() > 0
    assert err[np.abs(f) < 6].max() <= alpha * 0.0015 + 1e-6
    assert (g_table[f >= 6, 0] == 0).all() and (g_table[f >= 6, 1] == -alpha).all()  # code 0: label 1
    assert (g_table[f <= -6, 0] == alpha).all() and (g_table[f <= -6, 1] == 0).all()
    assert loss_table == pytest.approx(loss_exact, rel=1e-6)


def _table_bounds(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha):
    """Elementwise bounds on |table step - exact step| of every table, from the sigmoid table's
    error (at most 0.0025 per score, so tol = alpha * 0.0025 per g) and sigmoid's slope (at most
    1/4). Skip-gram's HS steps are chained (each context word scores the nodes as the previous
    ones left them), so the nodes' difference dN carries into the later scores:
    |dg| <= tol + alpha / 4 * |x| . dN, and the input step e = sum_j g_j N_j differs by at most
    sum_j |dg_j| |N_j| + alpha dN_j, with |N_j| <= |N_j before| + alpha sum of the earlier |x|.
    Returns (bounds per table, bound on the loss's difference: each BCE term moves at most as
    much as its score, |x| . dN)."""
    tol = alpha * 0.0025
    x = np.abs(tables["input"][ctx]).astype(np.float64)  # (m, D)
    bound = {k: np.zeros(v.shape, np.float64) for k, v in tables.items()}
    n_path = int(tree.lengths[center]) if "hs_nodes" in tables else 0
    path = tree.points[center, :n_path]
    nodes = np.abs(tables["hs_nodes"][path]).astype(np.float64) if n_path else np.zeros((0, D))  # (L, D)
    u = np.abs(tables["output"][outs]).astype(np.float64) if "output" in tables else np.zeros((0, D))  # (1+K, D)
    if cbow:
        h = x.sum(0) / (len(ctx) if cbow_mean else 1)  # |hidden| bound
        e = tol * (u.sum(0) + nodes.sum(0))
        for c in ctx:
            bound["input"][c] += e
        for o in outs if "output" in tables else []:
            bound["output"][o] += tol * h
        for j, p in enumerate(path):
            bound["hs_nodes"][p] += tol * h
        return bound, 0.0
    for o in outs if "output" in tables else []:  # negative sampling: from the rows before the step
        bound["output"][o] += tol * x.sum(0)
    for c in ctx:
        bound["input"][c] += tol * u.sum(0)
    dN = np.zeros_like(nodes)
    loss = 0.0
    for a, c in enumerate(ctx):
        df = dN @ x[a]  # (L,): bound on the scores' difference
        loss += df.sum()
        dg = tol + alpha / 4 * df
        bound["input"][c] += (dg[:, None] * nodes + alpha * dN).sum(0)
        dN += dg[:, None] * x[a]
        nodes += alpha * x[a]  # |N| after this input's step, in either run
    for j, p in enumerate(path):
        bound["hs_nodes"][p] += dN[j]
    return bound, loss


@pytest.mark.parametrize("model,cbow_mean,negative,hs", VARIANTS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variant_update_with_the_sigmoid_table_stays_near_the_exact_step(model, cbow_mean, negative, hs, seed):
    """Training looks every score's sigmoid up in word2vec.c's table: each table's step stays
    within :func:`_table_bounds` of the exact step (which equals autograd, above); the loss is
    still computed exactly (from scores that differ only after skip-gram's chained HS steps)."""
    rng = np.random.default_rng(10 + seed)
    tables = _tables(rng, negative, hs)
    tables["input"] *= 4  # scores past +-6 too, where the table saturates
    tree = build_huffman(COUNTS)
    ctx = rng.integers(0, V, int(rng.integers(2, 6))).tolist()
    ctx.append(ctx[0])
    center = int(rng.integers(0, V))
    outs = [center] + rng.integers(0, V, K).tolist()
    alpha, cbow = 0.3, model == "cbow"
    exact, loss_exact = _kernel_step(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha)
    table, loss_table = _kernel_step(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha, table=True)
    bound, loss_bound = _table_bounds(tables, cbow, cbow_mean, ctx, outs, tree, center, alpha)
    for name in tables:
        assert (np.abs(table[name] - exact[name]) <= bound[name] + 1e-5).all(), name
    assert any(not np.array_equal(table[n], exact[n]) for n in tables)  # the table did change the step
    assert abs(loss_table - loss_exact) <= loss_bound + 1e-5 * loss_exact  # exact but for skip-gram's chained HS


def test_cbow_mean_steps_every_context_row_by_the_hidden_error():
    """word2vec.c's CBOW: the mean's 1/m is not applied to the rows' step (sum and mean give
    the same step to the rows when the hidden vectors are equal)."""
    rng = np.random.default_rng(3)
    tables = _tables(rng, True, False)
    tables["input"][[1, 2]] = 0.0  # sum == mean == 0 for the context {1, 2}
    tree = build_huffman(COUNTS)
    a, _ = _kernel_step(tables, True, True, [1, 2], [0, 3, 4, 5], tree, 0, 0.5)
    b, _ = _kernel_step(tables, True, False, [1, 2], [0, 3, 4, 5], tree, 0, 0.5)
    np.testing.assert_array_equal(a["input"], b["input"])
    np.testing.assert_array_equal(a["input"][1], a["input"][2])
    assert np.abs(a["input"][1]).sum() > 0


def _chunk(sentences):
    return np.array([i for s in sentences for i in (*s, -1)], dtype=np.int32)


def _train(chunk, cbow, negative, hs, seed=5, deltas=False):
    rng = np.random.default_rng(0)
    tables = _tables(rng, negative > 0, hs)
    empty = np.zeros((0, D), np.float32)
    tree = build_huffman(COUNTS) if hs else None
    codes, points, lengths = (tree.codes, tree.points, tree.lengths) if hs else no_tree()
    names = list(tables)
    which1 = names.index("output") if "output" in names else -1
    whichn = names.index("hs_nodes") if "hs_nodes" in names else -1

    def delta(name):  # a sparse delta (sparse_delta.py): compact rows, a slot per row, touched rows
        if deltas and name in tables:
            n = tables[name].shape[0]
            return np.full((n, D), np.nan, np.float32), np.full(n, -1, np.int32), np.zeros(n, np.int32)
        return empty, np.zeros(0, np.int32), np.zeros(0, np.int32)

    d = [delta(n) for n in ("input", "output", "hs_nodes")]
    counts = np.zeros(3, np.int64)
    prob, alias = np.ones(V, np.float32), np.arange(V, dtype=np.int32)
    before = {k: v.copy() for k, v in tables.items()}
    loss, terms, pairs = train_chunk_variant(
        chunk, tables["input"], tables.get("output", empty), tables.get("hs_nodes", empty), codes,
        points, lengths, np.ones(V, np.float32), prob, alias, 2, negative, cbow, True, 0.05, 0.01,
        seed, 1000, 1, d[0][0], d[1][0], d[2][0], d[0][1], d[1][1], d[2][1], d[0][2], d[1][2], d[2][2],
        counts, which1, whichn, *(np.zeros(0, np.float32),) * 3)
    return before, tables, d, counts, (loss, terms, pairs)


@pytest.mark.parametrize("cbow,negative,hs", [(False, 0, True), (True, 2, False), (True, 0, True), (True, 2, True)])
def test_train_chunk_variant_touches_only_seen_rows(cbow, negative, hs):
    chunk = _chunk([[0, 1, 2], [3, 4], [5]])  # word 5 is alone: never a context nor a center
    before, after, _, _, (loss, terms, pairs) = _train(chunk, cbow, negative, hs)
    assert 6 <= pairs <= 8 and terms > 0 and loss > 0  # windows of 1 or 2
    moved = np.abs(after["input"] - before["input"]).sum(axis=1) > 0
    assert moved.tolist() == [True] * 5 + [False] * 4
    if hs:  # only the nodes on the paths of the centers 0..4 move
        tree = build_huffman(COUNTS)
        used = {int(p) for w in range(5) for p in tree.points[w, :tree.lengths[w]]}
        nodes_moved = np.abs(after["hs_nodes"] - before["hs_nodes"]).sum(axis=1) > 0
        assert {int(i) for i in np.flatnonzero(nodes_moved)} == used


@pytest.mark.parametrize("cbow,negative,hs", [(False, 0, True), (True, 2, True)])
def test_deltas_hold_the_step_and_list_their_rows(cbow, negative, hs):
    """Deterministic rounds: the tables stay; the private copies of the input and output rows
    and of the HS nodes hold the Hogwild rows."""
    chunk = _chunk([[0, 1, 2, 3], [4, 1, 0]])
    _, hogwild, _, _, _ = _train(chunk, cbow, negative, hs)
    before, after, d, counts, _ = _train(chunk, cbow, negative, hs, deltas=True)
    for name, (delta, slot, touched) in zip(("input", "output", "hs_nodes"), d):
        if name not in after:
            continue
        np.testing.assert_array_equal(after[name], before[name])
        n = int(counts[list(after).index(name)])
        rows = touched[:n].tolist()
        assert len(set(rows)) == n and sorted(rows) == sorted(np.flatnonzero(slot >= 0).tolist())
        assert slot[rows].tolist() == list(range(n))  # compact rows in order of first touch
        assert not np.isnan(delta[:n]).any() and np.isnan(delta[n:]).all()  # set at first touch only
        assert sorted(rows) == sorted(np.flatnonzero(np.abs(hogwild[name] - before[name]).sum(axis=1) > 0).tolist())
        # one sentence at a time sees its own earlier updates through its rows: same as Hogwild
        dense = before[name].copy()
        dense[rows] = delta[:n]  # a private copy: the row after the steps
        np.testing.assert_array_equal(dense, hogwild[name])
