"""Subwords with CBOW and hierarchical softmax in the fast kernel (``fast_subword_variants``): one
step against autograd on the readable model (``Word2VecNet`` with subwords), private rows (the
Huffman nodes' too), deterministic threads, exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from palabra2vec.config import TrainConfig
from palabra2vec.text.subwords import vocab_subwords
from palabra2vec.training import fast
from palabra2vec.training.backend import resolve_backend
from palabra2vec.training.huffman import build_huffman

pytestmark = pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")

WORDS = ["sol", "luna", "mar", "río", "ñu", "pan", "té"]
COUNTS = np.array([30, 20, 12, 9, 5, 3, 2])


def _toy(seed, B=13, D=5):
    rng = np.random.default_rng(seed)
    V = len(WORDS)
    offsets, ids = vocab_subwords(WORDS, 2, 3, B)
    tables = {"input": rng.normal(0, 0.3, (V, D)), "output": rng.normal(0, 0.3, (V, D)),
              "ngrams": rng.normal(0, 0.3, (B, D)), "hs_nodes": rng.normal(0, 0.3, (V - 1, D))}
    return offsets, ids, {k: v.astype(np.float32) for k, v in tables.items()}


def _kernel_step(tables, offsets, ids, w, ctx, outs, K, cbow, cbow_mean, alpha, hs, private, table=False):
    """One :func:`subword_variant_update` on copies of ``tables``: on the tables (Hogwild) or on
    thread 1's private rows of 2, merged afterwards."""
    from palabra2vec.training.fast_backend import lazy_zeros
    from palabra2vec.training.fast_subword_variants import subword_variant_update
    from palabra2vec.training.fast_subwords import PrivateRows

    t = {k: v.copy() for k, v in tables.items()}
    D = t["input"].shape[1]
    empty = np.zeros((0, D), np.float32)
    names = ("input", "output", "ngrams", "hs_nodes")
    if not hs:
        t["hs_nodes"] = empty
    if K == 0:
        t["output"] = empty
    tree = build_huffman(COUNTS)
    counts = np.zeros(4, np.int64)
    if private:
        rows = {n: PrivateRows(*t[n].shape, 2, lazy_zeros) for n in names}
        priv = tuple(rows[n].local[1] for n in names)
        slots = tuple(rows[n].slot[1] for n in names)
    else:
        priv, slots = (empty,) * 4, (np.zeros(0, np.int32),) * 4
    n_out = len(outs)
    g = np.zeros(n_out, np.float32)
    x, e = np.zeros(D, np.float32), np.zeros(D, np.float32)
    rout = np.zeros((n_out, D), np.float32)
    loss = subword_variant_update(tuple(t[n] for n in names), priv, slots, counts, offsets, ids, tree.codes,
                                  tree.points, tree.lengths, w, np.asarray(ctx, np.int32), len(ctx),
                                  np.asarray(outs, np.int32), K, cbow, cbow_mean, np.float32(alpha), g, x, rout, e,
                                  True, table)
    if private:
        for n in names:
            np.testing.assert_array_equal(t[n], tables[n] if t[n].shape[0] else t[n])  # waiting for the merge
            assert (rows[n].slot[0] == -1).all()
            rows[n].merge(t[n], 0, t[n].shape[0] // 2)  # in two row ranges, as on the pool
            rows[n].merge(t[n], t[n].shape[0] // 2, t[n].shape[0])
            assert (rows[n].slot == -1).all()
    return t, loss, tree


def _net(tables, offsets, ids, cbow, cbow_mean, K, hs):
    from palabra2vec.training.variant_model import Word2VecNet

    V, D = tables["input"].shape
    net = Word2VecNet(V, D, cbow=cbow, cbow_mean=cbow_mean, negative=K > 0, hs=hs,
                      subwords=(offsets, ids, tables["ngrams"].shape[0]))
    with torch.no_grad():
        for name, p in net.tables().items():
            p.copy_(torch.from_numpy(tables[name]))
    return net


def _path(tree, c):
    L = int(tree.lengths[c])
    return (torch.tensor(tree.points[c:c + 1, :L].astype(np.int64)), torch.tensor(tree.codes[c:c + 1, :L].astype(np.int64)),
            torch.ones(1, L))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("K,hs", [(0, True), (2, True), (2, False)])
@pytest.mark.parametrize("private", [False, True])
def test_skip_gram_step_matches_autograd(seed, K, hs, private):
    """Input: the center's subwords (gensim's 1/n scale), from the rows before the step for the
    whole window; HS walks each window word's path in turn (the nodes as the words before left
    them); NS scores the window words and K shared noise words (weighted by m); every row of the
    center gets the summed input step whole."""
    offsets, ids, tables = _toy(seed)
    rng = np.random.default_rng(50 + seed)
    V = len(WORDS)
    w, m, alpha = int(rng.integers(V)), 3, 0.1
    ctx = [int(c) for c in rng.integers(0, V, m)]
    ctx[1] = ctx[0]  # a window word twice: its path twice
    ctx[2] = (w + 1) % V  # and one that is not the center
    outs = ctx + [int(c) for c in rng.integers(0, V, K)]
    t, loss, tree = _kernel_step(tables, offsets, ids, w, ctx, outs, K, False, True, alpha, hs, private)

    net = _net(tables, offsets, ids, False, True, K, hs)
    center, one = torch.tensor([[w]]), torch.ones(1, 1)
    total = 0.0
    if K > 0:
        h, _ = net.inputs(center, one)  # (1, 1, D)
        s = net.ns_scores(h, torch.tensor([outs]))  # (1, 1, m + K)
        labels = torch.zeros_like(s)
        labels[..., :m] = 1.0
        ref = torch.nn.functional.binary_cross_entropy_with_logits(s, labels, weight=torch.where(labels > 0, 1.0, float(m)),
                                                                   reduction="sum")
        ref.backward()
        total += ref.item()
    if hs:
        for c in ctx:  # the input's rows wait for the end of the window; each path's nodes step at once
            net.hs_nodes.weight.grad = None
            ref = net.loss(center, one, None, *_path(tree, c))
            ref.backward()
            total += ref.item()
            with torch.no_grad():
                net.hs_nodes.weight -= alpha * net.hs_nodes.weight.grad
        net.hs_nodes.weight.grad = None
    with torch.no_grad():
        for p in net.tables().values():
            if p.grad is not None:
                p -= alpha * p.grad
    assert loss == pytest.approx(total, rel=1e-5)
    for name, p in net.tables().items():
        np.testing.assert_allclose(t[name], p.detach().numpy(), atol=2e-6, err_msg=name)
    assert not np.array_equal(t["ngrams"], tables["ngrams"])  # the n-gram rows did move
    if hs:
        assert not np.array_equal(t["hs_nodes"], tables["hs_nodes"])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("K,hs", [(0, True), (2, True), (2, False)])
@pytest.mark.parametrize("cbow_mean", [True, False])
@pytest.mark.parametrize("private", [False, True])
def test_cbow_step_matches_autograd(seed, K, hs, cbow_mean, private):
    """The hidden vector is the bag of the context words' own rows and n-gram rows (summed, over
    the bag's size with the mean); its error reaches every row of the bag whole."""
    offsets, ids, tables = _toy(seed)
    rng = np.random.default_rng(70 + seed)
    V = len(WORDS)
    w, alpha = int(rng.integers(V)), 0.1
    ctx = [int(c) for c in rng.integers(0, V, 4)]
    ctx[2] = ctx[0]
    outs = [w] + [int(c) for c in rng.integers(0, V, K)]
    t, loss, tree = _kernel_step(tables, offsets, ids, w, ctx, outs, K, True, cbow_mean, alpha, hs, private)

    net = _net(tables, offsets, ids, True, cbow_mean, K, hs)
    path = _path(tree, w) if hs else (None, None, None)
    ref = net.loss(torch.tensor([ctx]), torch.ones(1, len(ctx)), torch.tensor([outs]) if K else None, *path)
    ref.backward()
    with torch.no_grad():
        for p in net.tables().values():
            p -= alpha * p.grad
    assert loss == pytest.approx(ref.item(), rel=1e-5)
    for name, p in net.tables().items():
        np.testing.assert_allclose(t[name], p.detach().numpy(), atol=2e-6, err_msg=name)
    assert not np.array_equal(t["ngrams"], tables["ngrams"])


def _table_bounds(tables, offsets, ids, tree, w, ctx, outs, K, cbow, alpha, hs):
    """Elementwise bounds on |table step - exact step| per table (as test_fast_variants'
    ``_table_bounds``): each g is within tol = alpha * 0.0025 (times a noise word's weight m)
    of the exact one, plus, for skip-gram's paths walked one after another, alpha / 4 times the
    score's difference |x| . dN carried by the nodes an earlier path moved. Returns (bounds,
    bound on the loss's difference)."""
    tol = alpha * 0.0025
    t = {k: v.astype(np.float64) for k, v in tables.items()}
    bound = {k: np.zeros_like(v) for k, v in t.items()}

    def rows(c):  # the word's own row and its n-gram rows
        return [("input", c)] + [("ngrams", int(g)) for g in ids[offsets[c]:offsets[c + 1]]]

    if cbow:
        bag = [r for c in ctx for r in rows(c)]
        x = sum(np.abs(t[n][r]) for n, r in bag) / len(bag)  # |the hidden vector| (the bag's mean)
        path = tree.points[w, :tree.lengths[w]] if hs else []
        e = tol * (sum(np.abs(t["output"][o]) for o in outs) if K else 0) + tol * sum(np.abs(t["hs_nodes"][p]) for p in path)
        for n, r in bag:
            bound[n][r] += e
        for o in outs if K else []:
            bound["output"][o] += tol * x
        for p in path:
            bound["hs_nodes"][p] += tol * x
        return bound, 0.0
    center = rows(w)
    x = np.abs(sum(t[n][r] for n, r in center)) / len(center)
    e = np.zeros_like(x)
    m = len(ctx)
    for i, o in enumerate(outs if K else []):
        wt = 1.0 if i < m else float(m)
        bound["output"][o] += tol * wt * x
        e += tol * wt * np.abs(t["output"][o])
    loss = 0.0
    if hs:
        A, dN = np.abs(t["hs_nodes"]), np.zeros_like(t["hs_nodes"])
        for c in ctx:
            for p in tree.points[c, :tree.lengths[c]]:
                df = x @ dN[p]
                loss += df
                dg = tol + alpha / 4 * df
                e += dg * A[p] + alpha * dN[p]
                dN[p] += dg * x
                A[p] += alpha * x
        bound["hs_nodes"] += dN
    for n, r in center:
        bound[n][r] += e
    return bound, loss


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("K,hs", [(0, True), (2, True), (2, False)])
@pytest.mark.parametrize("cbow", [False, True])
def test_step_with_the_sigmoid_table_stays_near_the_exact_step(seed, K, hs, cbow):
    """Training looks every score's sigmoid up in word2vec.c's table: each table's step stays
    within :func:`_table_bounds` of the exact step (which equals autograd, above)."""
    offsets, ids, tables = _toy(seed)
    tables["input"] *= 12  # scores past +-6 too, where the table saturates
    tables["ngrams"] *= 12
    rng = np.random.default_rng(90 + seed)
    V = len(WORDS)
    w, alpha = int(rng.integers(V)), 0.1
    ctx = [int(c) for c in rng.integers(0, V, 3)]
    ctx[1] = ctx[0]
    outs = ([w] if cbow else list(ctx)) + [int(c) for c in rng.integers(0, V, K)]
    exact, loss_exact, tree = _kernel_step(tables, offsets, ids, w, ctx, outs, K, cbow, True, alpha, hs, False)
    table, loss_table, _ = _kernel_step(tables, offsets, ids, w, ctx, outs, K, cbow, True, alpha, hs, False, table=True)
    bound, loss_bound = _table_bounds(tables, offsets, ids, tree, w, ctx, outs, K, cbow, alpha, hs)
    for name in tables:
        if table[name].shape[0]:
            assert (np.abs(table[name] - exact[name]) <= bound[name] + 1e-5).all(), name
    assert any(not np.array_equal(table[n], exact[n]) for n in tables)  # the table did change the step
    assert abs(loss_table - loss_exact) <= loss_bound + 1e-5 * loss_exact


VARIANTS = [dict(hs=True, negative=0), dict(hs=True), dict(model="cbow", alpha=0.05),
            dict(model="cbow", hs=True, negative=0, alpha=0.05)]


def _train(corpus, **kw):
    from palabra2vec.word2vec import Word2Vec

    cfg = TrainConfig(subwords=True, min_count=1, epochs=3, sample=0.0, vector_size=16, buckets=5000,
                      chunk_words=1024, **kw)
    return Word2Vec.train(corpus, cfg, progress=False)


@pytest.mark.parametrize("variant", VARIANTS)
def test_fast_backend_trains_subword_variants_deterministically(tiny_corpus, variant):
    assert resolve_backend(TrainConfig(subwords=True, **variant), "cpu") == "fast"
    a = _train(tiny_corpus, threads=2, seed=4, **variant)
    b = _train(tiny_corpus, threads=2, seed=4, **variant)
    names = {"input", "ngrams"} | ({"hs_nodes"} if variant.get("hs") else set()) | \
        ({"output"} if variant.get("negative", 5) else set())
    assert a.tables.keys() == names and a.tables["ngrams"].any()
    for name in names:  # same seed and threads, same vectors
        np.testing.assert_array_equal(a.tables[name], b.tables[name])
    losses = [h["loss"] for h in a.history]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]  # it learns
    hog = _train(tiny_corpus, threads=2, hogwild=True, seed=4, **variant)
    assert np.isfinite(hog.history[-1]["loss"]) and hog.history[-1]["loss"] < hog.history[0]["loss"]
    assert a.wv.has_vector("caballeros") and "caballeros" not in a.wv  # unknown word, from its n-grams


@pytest.mark.parametrize("K,hs", [(3, False), (0, True), (3, True)])
@pytest.mark.parametrize("cbow_mean", [True, False])
def test_cbow_reads_each_position_once_with_the_per_center_steps(K, hs, cbow_mean):
    """fast_subword_cbow: each position's rows read once and written once give the steps of the
    per-center kernel (the same draws) when no two words of a window share a row (different
    letters, no sentence repeating a word). (Where rows are shared the two differ: measured on
    corpus-es, benchmarks/RESULTS.md.)"""
    from palabra2vec.training.fast_subword_cbow import train_chunk_cbow
    from palabra2vec.training.fast_subword_variants import train_chunk_subword_variant
    from palabra2vec.training.sampling import NoiseDistribution

    words = ["ab", "cd", "ef", "gh", "ij", "kl", "mn", "op"]
    offsets, ids = vocab_subwords(words, 2, 3, 100_003)
    assert len(set(ids.tolist())) == len(ids) == 5 * len(words)  # disjoint n-gram rows
    rng = np.random.default_rng(9)
    chunk = np.concatenate([np.append(rng.permutation(8)[:int(rng.integers(2, 9))], -1) for _ in range(30)])
    chunk = chunk.astype(np.int32)
    V, D, rows = 8, 6, int(ids.max()) + 1
    counts = np.array([9, 8, 7, 6, 5, 4, 3, 2])
    noise, tree = NoiseDistribution(counts), build_huffman(counts)
    base = {"input": rng.normal(0, 0.3, (V, D)), "output": rng.normal(0, 0.3, (V if K else 0, D)),
            "ngrams": rng.normal(0, 0.3, (rows, D)), "hs_nodes": rng.normal(0, 0.3, (V - 1 if hs else 0, D))}
    names = ("input", "output", "ngrams", "hs_nodes")
    args = (offsets, ids, tree.codes, tree.points, tree.lengths, np.ones(V, np.float32), noise.prob, noise.alias, 2, K)
    empty = ((np.zeros((0, D), np.float32),) * 4, (np.zeros(0, np.int32),) * 4, np.zeros(4, np.int64))
    a = tuple(base[n].astype(np.float32) for n in names)
    b = tuple(t.copy() for t in a)
    ra = train_chunk_cbow(chunk, a, *empty, *args, cbow_mean, 0.1, 0.05, 7, 100, 1)
    rb = train_chunk_subword_variant(chunk, b, *empty, *args, True, cbow_mean, 0.1, 0.05, 7, 100, 1)
    assert ra[1:] == rb[1:] and ra[2] > 100  # the same loss terms and pairs: the same draws
    assert ra[0] == pytest.approx(rb[0], rel=1e-4)
    for n, x, y in zip(names, a, b):
        np.testing.assert_allclose(x, y, atol=2e-5, err_msg=n)
    assert np.abs(a[2] - base["ngrams"]).max() > 0.01  # the n-gram rows did move
