"""The batched (GPU) backend: its written-out step equals autograd on its loss, its pairs are
word2vec's pairs, and it trains."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from palabra2vec import TrainConfig, Word2Vec
from palabra2vec.training.batched_backend import shared_negative_step, window_pairs


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scale", ["rsqrt", "sum-eff"])
def test_shared_negative_step_equals_autograd(seed, scale, monkeypatch):
    import palabra2vec.training.batched_backend as bb

    monkeypatch.setattr(bb, "ROW_SCALE", scale)
    g = torch.Generator().manual_seed(seed)
    V, D, B, S, K, alpha = 20, 6, 5, 4, 5, 0.1
    inp, out = torch.randn(V, D, generator=g) * 0.5, torch.randn(V, D, generator=g) * 0.5
    perm = torch.randperm(V, generator=g)
    ctx, cen, neg = perm[:B], perm[B:2 * B], perm[2 * B:2 * B + S]  # no row twice: no 1/sqrt(n)
    a_in, a_out = inp.clone().requires_grad_(), out.clone().requires_grad_()
    u, v, vn = a_in[ctx], a_out[cen], a_out[neg]
    loss = -torch.nn.functional.logsigmoid((u * v).sum(1)).sum() \
        - K / S * torch.nn.functional.logsigmoid(-(u @ vn.T)).sum()
    loss.backward()
    want_out = out - alpha * a_out.grad
    if scale == "sum-eff":  # a shared negative's step is divided by sqrt(B K / S)
        want_out[neg] = out[neg] - alpha * a_out.grad[neg] * (B * K / S) ** -0.5
    got_in, got_out = inp.clone(), out.clone()
    got_loss = shared_negative_step(got_in, got_out, ctx, cen, neg, alpha, K)
    torch.testing.assert_close(got_in, inp - alpha * a_in.grad, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got_out, want_out, rtol=1e-5, atol=1e-6)
    assert float(got_loss) == pytest.approx(float(loss), rel=1e-5)


@pytest.mark.parametrize("scale, factor", [("rsqrt", 0.5), ("sum-eff", 1.0), ("cap2", 0.5)])
def test_a_row_repeated_in_a_batch_gets_its_summed_gradient_scaled(scale, factor, monkeypatch):
    import palabra2vec.training.batched_backend as bb

    monkeypatch.setattr(bb, "ROW_SCALE", scale)
    V, D = 4, 3
    inp, out = torch.ones(V, D), torch.zeros(V, D)
    out[1] = 1.0
    ctx, cen, neg = torch.tensor([0, 0, 0, 0]), torch.tensor([1, 1, 1, 1]), torch.tensor([2])
    before = inp.clone()
    shared_negative_step(inp, out, ctx, cen, neg, 1.0, 1)
    # each of the 4 pairs: g+ = sigmoid(-3) times out[1]; the 4 summed, then scaled
    want = before[0] + factor * 4 * torch.sigmoid(torch.tensor(-3.0)) * torch.ones(D)
    torch.testing.assert_close(inp[0], want)


def test_window_pairs_stay_in_their_sentence_and_window():
    ids = torch.tensor([0, 1, 2, 3, 4, 5, 6, -1, 7, 8, 9, -1])
    keep = torch.ones(10)
    g = torch.Generator().manual_seed(3)
    cen, ctx, kept = window_pairs(ids, keep, 2, g)
    assert int(kept) == 10
    sentence = {w: (0 if w <= 6 else 1) for w in range(10)}
    pairs = list(zip(cen.tolist(), ctx.tolist()))
    assert pairs and all(sentence[a] == sentence[b] and 1 <= abs(a - b) <= 2 for a, b in pairs)
    per_center = {w: sum(1 for a, _ in pairs if a == w) for w in range(10)}
    assert all(1 <= per_center[w] <= 4 for w in range(10))  # MISSION step 4: 1..4 contexts each
    # no subsampled word appears: keep 0 for word 3
    keep[3] = 0.0
    cen, ctx, kept = window_pairs(ids, keep, 2, torch.Generator().manual_seed(3))
    assert 3 not in cen.tolist() and 3 not in ctx.tolist() and int(kept) == 9


def test_batched_backend_trains_and_is_reproducible(tiny_corpus, monkeypatch):
    import palabra2vec.training.batched_backend as bb

    monkeypatch.setattr(bb, "BATCH_PAIRS", 64)  # a tiny corpus is one batch of the default size
    cfg = TrainConfig(backend="batched", device="cpu", min_count=1, epochs=6, vector_size=16, alpha=0.05, threads=1,
                      sample=0)  # CPU: CUDA's index_add_ sums in no fixed order
    a = Word2Vec.train(tiny_corpus, cfg, progress=False)
    b = Word2Vec.train(tiny_corpus, cfg, progress=False)
    losses = [h["loss"] for h in a.history]
    assert a.info["backend"] == "batched" and np.isfinite(a.input).all()
    assert losses[-1] < losses[0] - 0.05, losses
    assert np.array_equal(a.input, b.input)  # the same seed on the same device: the same vectors


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device (run on a GPU machine)")
def test_graphed_step_equals_the_eager_step_on_cuda():
    import palabra2vec.training.batched_backend as bb

    g = torch.Generator(device="cuda").manual_seed(0)
    V, D, B, S, K = 500, 32, 256, 64, 5
    inp = torch.randn(V, D, device="cuda", generator=g) * 0.1
    out = torch.randn(V, D, device="cuda", generator=g) * 0.1
    step = bb.GraphedStep(inp, out, B, S, K)  # captured on (inp, out): its warm-up adds zeros only
    eager_in, eager_out = inp.clone(), out.clone()
    for alpha, with_loss in ((0.025, True), (0.02, False), (0.01, True)):
        ctx = torch.randint(0, V, (B,), device="cuda", generator=g)
        cen = torch.randint(0, V, (B,), device="cuda", generator=g)
        neg = torch.randint(0, V, (S,), device="cuda", generator=g)
        want = bb.shared_negative_step(eager_in, eager_out, ctx, cen, neg, alpha, K, with_loss)
        got = step(ctx, cen, neg, alpha, with_loss)
        assert (float(got) > 0) == with_loss
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(inp, eager_in, rtol=1e-4, atol=1e-5)  # atomics: summation order may differ
    torch.testing.assert_close(out, eager_out, rtol=1e-4, atol=1e-5)
