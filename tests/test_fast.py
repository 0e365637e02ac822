"""The compiled kernel against the readable path: one SGD step of fast.window_update equals
autograd on SkipGram with the summed masked BCE loss; and invariants of fast.train_chunk."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from palabra2vec.training import fast
from palabra2vec.training.model import SkipGram, masked_bce_loss

pytestmark = pytest.mark.skipif(not fast.AVAILABLE, reason="numba is not installed")


def _autograd_step(syn0, syn1, ctx, outs, alpha):
    """Plain SGD on the summed loss of every (ctx[a], outs[o]) pair, labels 1 for outs[0]."""
    V, D = syn0.shape
    model = SkipGram(V, D)
    with torch.no_grad():
        model.input.weight.copy_(torch.from_numpy(syn0))
        model.output.weight.copy_(torch.from_numpy(syn1))
    m, n = len(ctx), len(outs)
    centers = torch.tensor(ctx, dtype=torch.long).reshape(m, 1)  # (m, 1)
    ctx_neg = torch.tensor(outs, dtype=torch.long).expand(m, n)  # (m, 1+K)
    labels = torch.zeros(m, n)
    labels[:, 0] = 1.0
    loss = masked_bce_loss(model(centers, ctx_neg), labels, torch.ones(m, n), "sum")
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= alpha * p.grad
    return model.input.weight.detach().numpy(), model.output.weight.detach().numpy(), loss.item()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_window_update_matches_autograd(seed):
    rng = np.random.default_rng(seed)
    V, D, K = 7, 8, 3
    syn0 = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    syn1 = rng.normal(0, 0.5, (V, D)).astype(np.float32)
    m = int(rng.integers(1, 5))
    ctx = rng.integers(0, V, m).astype(np.int32)
    outs = rng.integers(0, V, K + 1).astype(np.int32)
    if seed % 2 == 0:  # duplicate ids on both sides: their gradients must add up
        ctx = np.concatenate([ctx, ctx[:1]]).astype(np.int32)
        outs[2] = outs[1]
        m += 1
    alpha = 0.3
    want0, want1, want_loss = _autograd_step(syn0, syn1, ctx.tolist(), outs.tolist(), alpha)
    g = np.empty((m, K + 1), np.float32)
    got0, got1 = syn0.copy(), syn1.copy()
    loss = fast.window_update(got0, got1, *_no_delta(D), ctx, m, outs, K + 1, np.float32(alpha), g,
                              np.empty((m, D), np.float32), np.empty((K + 1, D), np.float32), True)
    # the kernel's sigmoid is word2vec.c's table: each g[a, o] within alpha * 0.0025 of the exact
    # one, so each row's step within alpha * 0.0025 * (the sum of |its terms' rows|)
    x, y = syn0[ctx], syn1[outs]  # (m, D), (1+K, D)
    bound0, bound1 = np.zeros_like(syn0), np.zeros_like(syn1)
    np.add.at(bound0, ctx, np.abs(y).sum(0)[None, :].repeat(m, 0))
    np.add.at(bound1, outs, np.abs(x).sum(0)[None, :].repeat(K + 1, 0))
    assert (np.abs(got0 - want0) <= alpha * 0.0025 * bound0 + 1e-6).all()
    assert (np.abs(got1 - want1) <= alpha * 0.0025 * bound1 + 1e-6).all()
    assert loss == pytest.approx(want_loss, rel=1e-5)  # the loss is computed exactly
    assert not np.allclose(got0, syn0)  # the step did something


def test_table_sigmoid_is_within_its_bound_and_saturates_outside_six():
    """ns_gradient_table against ns_gradient (the exact sigmoid) on scores from -9 to 9."""
    D, n_out, alpha = 1, 2, np.float32(0.5)
    f = np.linspace(-9, 9, 2001, dtype=np.float32)
    rin = f[:, None].copy()  # (m, 1): score = f * 1
    rout = np.ones((n_out, D), np.float32)
    g_exact, g_table = np.empty((len(f), n_out), np.float32), np.empty((len(f), n_out), np.float32)
    loss_exact = fast.ns_gradient(rin, len(f), rout, n_out, alpha, g_exact, True)
    loss_table = fast.ns_gradient_table(rin, len(f), rout, n_out, alpha, g_table, True)
    assert np.abs(g_table - g_exact).max() <= alpha * 0.0025 + 1e-6
    assert np.abs(g_table - g_exact).max() > 0  # it is a table, not the exact function
    inside = np.abs(f) < 6
    assert np.abs(g_table - g_exact)[inside].max() <= alpha * 0.0015 + 1e-6  # bin half-width x slope 1/4
    assert (g_table[f >= 6, 0] == 0).all() and (g_table[f >= 6, 1] == -alpha).all()
    assert (g_table[f <= -6, 0] == alpha).all() and (g_table[f <= -6, 1] == 0).all()
    assert loss_table == pytest.approx(loss_exact, rel=1e-6)


def _chunk(sentences):
    return np.array([i for s in sentences for i in (*s, -1)], dtype=np.int32)


def _no_delta(D: int):
    """The kernel's "no delta tables" arguments: update the shared tables in place."""
    return (np.zeros((0, D), np.float32), np.zeros((0, D), np.float32), np.zeros(0, np.int32),
            np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(2, np.int64))


def _run(chunk, V=6, D=4, keep=None, window=1, alpha=0.0, seed=5, max_sentence=1000, syn1_zero=True):
    rng = np.random.default_rng(0)
    syn0 = rng.uniform(-0.5 / D, 0.5 / D, (V, D)).astype(np.float32)
    syn1 = np.zeros((V, D), np.float32) if syn1_zero else rng.normal(0, 0.1, (V, D)).astype(np.float32)
    keep = np.ones(V, np.float32) if keep is None else keep
    prob, alias = np.ones(V, np.float32), np.arange(V, dtype=np.int32)  # uniform noise
    before = syn0.copy(), syn1.copy()
    loss, terms, pairs = fast.train_chunk(chunk, syn0, syn1, keep, prob, alias, window, 2,
                                          alpha, alpha, seed, max_sentence, 1, *_no_delta(syn0.shape[1]))
    return before, (syn0, syn1), loss, terms, pairs


def test_train_chunk_counts_pairs_within_sentences():
    sentences = [[0, 1, 2, 3], [4, 5], [1], [2, 3, 4]]
    # window 1: every token pairs with its neighbours in its own sentence only
    _, _, loss, terms, pairs = _run(_chunk(sentences))
    assert pairs == sum(2 * (len(s) - 1) for s in sentences) == 12
    # zero output table: every score is 0, each term costs log 2; all centers tracked
    assert terms == pairs * 3
    assert loss == pytest.approx(terms * math.log(2), rel=1e-5)


def test_train_chunk_alpha_zero_changes_nothing_and_keep_zero_trains_nothing():
    chunk = _chunk([[0, 1, 2, 3, 4, 5]] * 3)
    before, after, *_ = _run(chunk, alpha=0.0, window=3, syn1_zero=False)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    before, after, loss, terms, pairs = _run(chunk, alpha=0.1, keep=np.zeros(6, np.float32))
    assert pairs == terms == 0 and loss == 0.0
    assert np.array_equal(before[0], after[0])


def test_train_chunk_touches_only_input_rows_of_its_words_and_is_deterministic():
    chunk = _chunk([[0, 1, 2], [2, 1, 0, 1]])
    before, after, *_ = _run(chunk, alpha=0.05, window=2, seed=9, syn1_zero=False)
    assert np.array_equal(before[0][3:], after[0][3:])  # words 3..5 are not in the chunk
    assert not np.array_equal(before[0][:3], after[0][:3])
    _, again, *_ = _run(chunk, alpha=0.05, window=2, seed=9, syn1_zero=False)
    assert np.array_equal(after[0], again[0]) and np.array_equal(after[1], again[1])
    _, other, *_ = _run(chunk, alpha=0.05, window=2, seed=10, syn1_zero=False)
    assert not np.array_equal(after[1], other[1])


def test_train_chunk_cuts_sentences_at_max_sentence():
    _, _, _, _, pairs = _run(_chunk([list(range(6)) * 3]), max_sentence=10)
    assert pairs == 2 * (10 - 1)



@pytest.mark.parametrize("seed", [0, 1])
def test_row_copy_update_equals_the_in_place_update(seed):
    """window_update into a thread's private row copies (deterministic threads) takes the same
    step as in place, bit for bit: the copies, stored into the tables, equal the tables updated
    in place, and the shared tables are not written during the round."""
    rng = np.random.default_rng(seed)
    V, D, m, K = 7, 5, 4, 3
    syn0 = rng.normal(size=(V, D)).astype(np.float32)
    syn1 = rng.normal(size=(V, D)).astype(np.float32)
    ctx = np.array([1, 2, 2, 5], np.int32)  # duplicates on both sides
    outs = np.array([3, 2, 6, 6], np.int32)
    g = np.empty((m, K + 1), np.float32)
    a0, a1 = syn0.copy(), syn1.copy()
    fast.window_update(a0, a1, *_no_delta(D), ctx, m, outs, K + 1, np.float32(0.1), g,
                       np.empty((m, D), np.float32), np.empty((K + 1, D), np.float32), False)
    b0, b1 = syn0.copy(), syn1.copy()
    d0, d1 = np.zeros_like(b0), np.zeros_like(b1)
    s0, s1 = np.full(V, -1, np.int32), np.full(V, -1, np.int32)
    t0, t1, n = np.zeros(V, np.int32), np.zeros(V, np.int32), np.zeros(2, np.int64)
    fast.window_update(b0, b1, d0, d1, s0, s1, t0, t1, n, ctx, m, outs, K + 1, np.float32(0.1), g,
                       np.empty((m, D), np.float32), np.empty((K + 1, D), np.float32), False)
    assert np.array_equal(b0, syn0) and np.array_equal(b1, syn1)  # shared tables untouched
    # rows take compact slots in order of first touch: outputs first (3, 2, 6), then inputs (1, 2, 5)
    assert t1[: n[1]].tolist() == [3, 2, 6] and t0[: n[0]].tolist() == [1, 2, 5]
    assert s1[[3, 2, 6]].tolist() == [0, 1, 2] and s1[[0, 1, 4, 5]].tolist() == [-1] * 4
    assert not d0[3:].any() and not d1[3:].any()  # only the compact rows are written
    _merge_one(b0, d0, s0, t0, n[0])
    _merge_one(b1, d1, s1, t1, n[1])
    assert np.array_equal(b0, a0) and np.array_equal(b1, a1)
    assert not np.array_equal(b1, syn1)  # the step did something
    assert (s0 == -1).all() and (s1 == -1).all()  # the next round starts with no pending row


def _merge_one(table, copy, slot, touched, n):
    """Merge one thread's row copies (a round of one thread)."""
    fast.merge_copies(table, (copy,), (slot,), (touched,), np.array([n], np.int64))


def test_merge_of_two_threads_adds_each_threads_change_in_order():
    """Two threads' copies of the same rows: the first thread's copies replace the rows, the
    second's (copy - the round's start) is added; untouched rows and the slots end cleared."""
    rng = np.random.default_rng(7)
    V, D = 6, 4
    start = rng.normal(size=(V, D)).astype(np.float32)
    rows = [np.array([4, 1], np.int32), np.array([1, 2, 5], np.int32)]
    copies, slots, change = [], [], [np.zeros((V, D), np.float32) for _ in rows]
    for k, touched in enumerate(rows):
        slot = np.full(V, -1, np.int32)
        slot[touched] = np.arange(len(touched))
        copy = np.zeros((V, D), np.float32)
        for i, r in enumerate(touched):
            change[k][r] = rng.normal(size=D).astype(np.float32)
            copy[i] = start[r] + change[k][r]
        copies.append(copy)
        slots.append(slot)
    table = start.copy()
    fast.merge_copies(table, tuple(copies), tuple(slots), tuple(rows), np.array([2, 3], np.int64))
    np.testing.assert_allclose(table, start + change[0] + change[1], rtol=1e-5, atol=1e-6)
    # row 1, touched by both: the first thread's copy plus the second's change, in that order
    assert np.array_equal(table[1], copies[0][1] + (copies[1][0] - start[1]))
    assert np.array_equal(table[[0, 3]], start[[0, 3]])  # rows neither thread touched
    assert np.array_equal(table[4], copies[0][0])  # a row only one thread touched: its copy
    assert np.array_equal(table[[2, 5]], copies[1][[1, 2]])
    assert (slots[0] == -1).all() and (slots[1] == -1).all()


def _table_sigmoid(f: np.float32) -> np.float32:
    """word2vec.c's sigmoid table as the kernel reads it: 1000 bins over [-6, 6), 0 or 1 outside."""
    if f >= 6:
        return np.float32(1.0)
    if f <= -6:
        return np.float32(0.0)
    return fast._SIGMOID[min(int((f + np.float32(6)) * np.float32(1000 / 12)), 999)]


def test_row_copies_see_their_own_pending_updates():
    """Two steps in one round: the second reads the thread's copies as the first step left them
    (a thread sees its own updates), as the same steps written out in NumPy with a dense delta."""
    rng = np.random.default_rng(3)
    V, D, m, K = 9, 6, 3, 2
    syn0 = rng.normal(size=(V, D)).astype(np.float32)
    syn1 = rng.normal(size=(V, D)).astype(np.float32)
    steps = [(np.array([1, 4, 4], np.int32), np.array([2, 7, 1], np.int32)),
             (np.array([4, 8, 2], np.int32), np.array([7, 3, 2], np.int32))]
    g = np.empty((m, K + 1), np.float32)
    rin, rout = np.empty((m, D), np.float32), np.empty((K + 1, D), np.float32)
    # sparse (the kernel)
    b0, b1 = syn0.copy(), syn1.copy()
    d0, d1 = np.zeros_like(b0), np.zeros_like(b1)
    s0, s1 = np.full(V, -1, np.int32), np.full(V, -1, np.int32)
    t0, t1, n = np.zeros(V, np.int32), np.zeros(V, np.int32), np.zeros(2, np.int64)
    for ctx, outs in steps:
        fast.window_update(b0, b1, d0, d1, s0, s1, t0, t1, n, ctx, m, outs, K + 1, np.float32(0.2), g,
                           rin, rout, False)
    assert np.array_equal(b0, syn0) and np.array_equal(b1, syn1)  # shared tables untouched
    _merge_one(b0, d0, s0, t0, n[0])
    _merge_one(b1, d1, s1, t1, n[1])
    # dense, written out in NumPy
    c0, c1 = syn0.copy(), syn1.copy()
    e0, e1 = np.zeros_like(c0), np.zeros_like(c1)
    for ctx, outs in steps:
        x, y = c0[ctx] + e0[ctx], c1[outs] + e1[outs]
        gg = np.empty((m, K + 1), np.float32)
        for a in range(m):
            for o in range(K + 1):
                f = np.float32(0.0)
                for d in range(D):
                    f = np.float32(f + x[a, d] * y[o, d])
                s = _table_sigmoid(f)
                gg[a, o] = (np.float32(o == 0) - s) * np.float32(0.2)
        for o in range(K + 1):
            for a in range(m):
                e1[outs[o]] += gg[a, o] * x[a]
        for a in range(m):
            for o in range(K + 1):
                e0[ctx[a]] += gg[a, o] * y[o]
    c0 += e0
    c1 += e1
    np.testing.assert_allclose(b0, c0, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b1, c1, rtol=1e-6, atol=1e-7)
    assert not np.allclose(b0, syn0) and not np.allclose(b1, syn1)


def test_lazy_zeros_is_a_writable_zero_table_resident_only_where_written():
    import sys

    from palabra2vec.training.fast_backend import lazy_zeros

    t = lazy_zeros(50_000, 100)  # 20 MB
    assert t.shape == (50_000, 100) and t.dtype == np.float32 and t.flags.writeable
    assert not t[::997].any()
    if sys.platform.startswith("linux"):
        def rss_kb() -> int:
            with open("/proc/self/status") as f:
                return sum(int(line.split()[1]) for line in f if line.startswith(("RssAnon:", "RssShmem:")))

        before = rss_kb()
        t[:1000] = 1.0  # 400 kB written
        assert rss_kb() - before < 5_000  # not the 20 MB of the whole table
    t[20_000, 3] = 2.5
    assert t[20_000, 3] == 2.5 and t[20_000].sum() == 2.5 and not t[30_000:].any()


def test_lazy_zeros_works_where_the_kernel_refuses_huge_pages(monkeypatch):
    """``lazy_zeros`` asks for transparent huge pages; a kernel without them answers EINVAL,
    which must leave an ordinary zero table, not an error (simulated with an advice value no
    kernel knows)."""
    import mmap
    import sys

    if not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_HUGEPAGE"):
        pytest.skip("madvise(MADV_HUGEPAGE) exists on Linux only")
    from palabra2vec.training.fast_backend import lazy_zeros

    monkeypatch.setattr(mmap, "MADV_HUGEPAGE", 0x7FFF)
    t = lazy_zeros(1_000, 10)
    assert t.shape == (1_000, 10) and not t.any()
    t[5] = 1.0
    assert t.sum() == 10.0


def _tiny_backend(threads: int = 2):
    """A deterministic FastBackend on a 40-word vocabulary, and an item of its id stream."""
    from palabra2vec.config import TrainConfig
    from palabra2vec.training.fast_backend import FastBackend
    from palabra2vec.training.sampling import NoiseDistribution
    from palabra2vec.variants import init_tables

    cfg = TrainConfig(vector_size=8, threads=threads, negative=3, window=2, sample=0, min_count=1, seed=5).validate()
    counts = np.arange(40, 0, -1).astype(np.int64)
    tables = init_tables(cfg, 40)
    tables["output"][:] = np.random.default_rng(1).uniform(-0.1, 0.1, tables["output"].shape)
    backend = FastBackend(cfg, "cpu", np.ones(40, np.float32), NoiseDistribution(counts, 0.75), tables)
    ids = np.random.default_rng(2).integers(0, 40, 600).astype(np.int32)
    ids[::12] = -1
    return backend, ids


def test_dense_output_copies_merge_only_the_threads_that_ran_and_follow_outside_writes():
    """Deterministic rounds keep a dense copy of the output table per thread, refreshed when its
    thread starts an item: a round run by one thread gives that thread's in-place step (within
    rounding), and a table changed between rounds (a restore, torchrun's averaging) is what
    the next item starts from, not a stale copy."""
    backend, ids = _tiny_backend()
    assert backend.deterministic and "output" in backend._dense
    hog, _ = _tiny_backend()
    hog.deterministic = False  # the same item, in place on the tables (Hogwild, one thread)
    hog.train_item(ids, 0.05, 0.05, 9)
    backend.train_item(ids, 0.05, 0.05, 9, 0)  # a round of one item, on slot 0
    backend.end_round()
    for name in ("input", "output"):
        assert np.allclose(backend.tables()[name], hog.tables()[name], atol=1e-6), name
    assert not np.allclose(backend.tables()["output"], _tiny_backend()[0].tables()["output"])
    backend.tables()["output"][:] = 0.25  # written between rounds
    backend.train_item(ids, 0.0, 0.0, 10, 1)  # alpha 0: no step; slot 1's copy must be refreshed
    backend.end_round()
    assert (backend.tables()["output"] == 0.25).all()


def test_the_kernels_inner_functions_are_compiled_without_reference_counting():
    """The per-center steps and the loops that call them carry Numba's ``_nrt=False`` (jit.py):
    with reference counting each call and array view took an atomic count update, 20-33 % of the
    training threads' time (benchmarks/RESULTS.md, "Round 8"); the vectors are the same either way
    (test_regression.py)."""
    from palabra2vec.training import fast_subword_cbow, fast_subword_variants, fast_subwords, fast_variants

    inner = [fast.window_update, fast_variants.variant_loop, fast_subwords.center_update,
             fast_subword_variants.subword_variant_update, fast_subword_cbow.cbow_loop]
    assert [f.__name__ for f in inner if f.targetoptions.get("_nrt", True)] == []
    # and the chunk functions that allocate their work arrays keep it (they could not allocate without)
    outer = [fast.train_chunk, fast_variants.train_chunk_variant, fast_subword_cbow.train_chunk_cbow]
    assert all(f.targetoptions.get("_nrt", True) for f in outer)


def test_the_output_table_is_copied_densely_only_where_an_item_touches_most_of_it():
    """``output_coverage`` is the expected share of output rows one work item touches (checked
    against a simulation of the draws); a large vocabulary keeps first-touch row copies instead
    of a dense copy per thread, and trains the same vectors as the dense scheme within rounding."""
    from palabra2vec.config import TrainConfig
    from palabra2vec.training.fast_backend import DENSE_COVERAGE, FastBackend, _RowDelta, output_coverage
    from palabra2vec.training.sampling import NoiseDistribution
    from palabra2vec.variants import init_tables

    rng = np.random.default_rng(0)
    V, K = 5000, 5
    counts = (1e6 / np.arange(1, V + 1)).astype(np.int64) + 1
    keep = np.full(V, 0.5)
    noise = NoiseDistribution(counts, 0.75)
    for words in (2000, 20000):  # simulate: kept centers by frequency, K noise draws each
        seen = np.zeros(V, bool)
        centers = rng.choice(V, size=int(words * 0.5), p=counts / counts.sum())
        seen[centers] = True
        seen[rng.choice(V, size=centers.size * K, p=noise.probabilities)] = True
        assert output_coverage(noise, keep, words, K) == pytest.approx(seen.mean(), abs=0.02)
    assert output_coverage(noise, keep, 2000, K) < output_coverage(noise, keep, 20000, K)

    cfg = TrainConfig(vector_size=8, threads=2, negative=K, window=2, sample=0, min_count=1, chunk_words=1024).validate()
    big = FastBackend(cfg, "cpu", np.ones(V, np.float32), noise, init_tables(cfg, V))
    assert output_coverage(noise, np.ones(V), 1024, K) < DENSE_COVERAGE and big._dense == {}
    backend, ids = _tiny_backend()  # 40 words: every item reaches them all
    assert "output" in backend._dense
    rows, _ = _tiny_backend()
    rows._dense = {}  # the same rounds with row copies of the output table
    for deltas, _ in rows._slots:
        deltas["output"] = _RowDelta(*rows._tables["output"].shape)
    for b in (backend, rows):
        b.train_item(ids, 0.05, 0.05, 9, 0)
        b.train_item(ids[::-1].copy(), 0.05, 0.05, 10, 1)
        b.end_round()
    for name in ("input", "output"):
        assert np.allclose(backend.tables()[name], rows.tables()[name], atol=1e-6), name
