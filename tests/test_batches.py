import numpy as np
import torch

from palabra2vec.training.batches import batchify, iter_batches
from palabra2vec.training.sampling import NoiseDistribution


def test_batchify_mission_example():
    b = batchify([(1, [2, 2], [3, 3, 3, 3]), (1, [2, 2, 2], [3, 3])])
    assert b.centers.tolist() == [[1], [1]]
    assert b.contexts_negatives.tolist() == [[2, 2, 3, 3, 3, 3], [2, 2, 2, 3, 3, 0]]
    assert b.mask.tolist() == [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]]
    assert b.labels.tolist() == [[1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0]]


def test_iter_batches_layout_matches_batchify():
    rng = np.random.default_rng(0)
    V = 30
    chunk = np.concatenate([np.append(rng.integers(0, V, rng.integers(1, 15)), -1) for _ in range(60)]).astype(np.int32)
    noise = NoiseDistribution(np.arange(V, 0, -1), 0.75)
    keep = np.ones(V, np.float32)
    total = 0
    for b in iter_batches(chunk, keep, noise, window=3, negative=2, batch_size=16, rng=rng):
        B, L = b.contexts_negatives.shape
        assert b.centers.shape == (B, 1) and b.mask.shape == b.labels.shape == (B, L)
        n_real = b.mask.sum(1)
        n_ctx = b.labels.sum(1)
        assert torch.equal(n_real, n_ctx * 3)  # K = 2 negatives per context
        assert int(n_real.max()) == L  # trimmed to the longest example
        for row, m, y in zip(b.contexts_negatives, b.mask, b.labels):
            k = int(m.sum())
            assert m[:k].all() and not m[k:].any()  # real first, then padding
            c = int(y.sum())
            assert y[:c].all() and not y[c:].any()  # contexts first
            assert (row[k:] == 0).all()
            assert not set(row[c:k].tolist()) & set(row[:c].tolist())  # negatives avoid contexts
            assert 1 <= c <= 6
        total += B
    assert total > 0
