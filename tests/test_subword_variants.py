"""``--subwords`` with CBOW and hierarchical softmax (the readable torch path): how the inputs are
composed from word and n-gram rows, where the gradient goes, and training end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from palabra2vec.config import TrainConfig
from palabra2vec.training.backend import resolve_backend
from palabra2vec.training.variant_model import Word2VecNet

# 4 words; word w's n-gram rows (CSR): 0 -> [0, 1], 1 -> [], 2 -> [1, 2, 3], 3 -> [4]
OFFSETS = np.array([0, 2, 2, 5, 6])
IDS = np.array([0, 1, 1, 2, 3, 4])


def _net(cbow: bool, cbow_mean: bool = True) -> Word2VecNet:
    torch.manual_seed(0)
    net = Word2VecNet(4, 3, cbow=cbow, cbow_mean=cbow_mean, negative=True, hs=True, subwords=(OFFSETS, IDS, 5))
    with torch.no_grad():
        for t in net.tables().values():
            t.normal_()
    return net


def _bag(net: Word2VecNet, w: int) -> torch.Tensor:
    """Word w's own row plus its n-gram rows, summed."""
    rows = [net.input.weight[w]] + [net.ngrams.weight[IDS[k]] for k in range(OFFSETS[w], OFFSETS[w + 1])]
    return torch.stack(rows).sum(0)


def test_skip_gram_composes_each_context_word_over_its_ngram_count():
    net = _net(cbow=False)
    contexts, mask = torch.tensor([[0, 1, 2, 3]]), torch.ones(1, 4)
    h, in_mask = net.inputs(contexts, mask)
    assert h.shape == (1, 4, 3) and torch.equal(in_mask, mask)
    for j, w in enumerate([0, 1, 2, 3]):
        n = max(1, OFFSETS[w + 1] - OFFSETS[w])  # gensim's training scale; a word with none: its own row
        torch.testing.assert_close(h[0, j], _bag(net, w) / n)


def test_cbow_averages_the_whole_bag_of_the_context_rows():
    net = _net(cbow=True)
    contexts, mask = torch.tensor([[0, 2, 3, 1]]), torch.tensor([[1.0, 1.0, 0.0, 1.0]])  # word 3 is padding
    h, in_mask = net.inputs(contexts, mask)
    size = 3 + 2 + 0 + 3  # rows in the bag: each word's own row and its n-grams (0: 1+2, 2: 1+3, 1: 1+0)
    torch.testing.assert_close(h[0, 0], (_bag(net, 0) + _bag(net, 2) + _bag(net, 1)) / size)
    assert h.shape == (1, 1, 3) and torch.equal(in_mask, torch.ones(1, 1))
    summed, _ = _net(cbow=True, cbow_mean=False).inputs(contexts, mask)
    torch.testing.assert_close(summed[0, 0], _bag(net, 0) + _bag(net, 2) + _bag(net, 1))


@pytest.mark.parametrize("cbow", [False, True])
def test_every_row_of_a_bag_gets_the_whole_gradient(cbow):
    """As fastText and gensim: the word row and each n-gram row move by the full gradient of the
    composed input, not a share of it (CBOW and hierarchical softmax keep equal steps)."""
    net = _net(cbow=cbow)
    contexts, mask = torch.tensor([[2]]), torch.ones(1, 1)
    outs = torch.tensor([[1, 0]])
    points, codes, path_mask = torch.tensor([[0, 1]]), torch.tensor([[1, 0]]), torch.ones(1, 2)
    net.loss(contexts, mask, outs, points, codes, path_mask).backward()
    g_word = net.input.weight.grad.to_dense()[2] if net.input.weight.grad.is_sparse else net.input.weight.grad[2]
    g_ng = net.ngrams.weight.grad
    g_ng = g_ng.to_dense() if g_ng.is_sparse else g_ng
    assert g_word.abs().sum() > 0
    for r in (1, 2, 3):  # word 2's n-gram rows
        torch.testing.assert_close(g_ng[r], g_word)
    assert not g_ng[[0, 4]].any()  # rows of other words: untouched


def _train(corpus, **kw):
    from palabra2vec.word2vec import Word2Vec

    cfg = TrainConfig(subwords=True, min_count=1, epochs=3, sample=0.0, vector_size=16, buckets=5000, threads=1,
                      seed=5, **kw)
    return Word2Vec.train(corpus, cfg, progress=False)


@pytest.mark.parametrize("variant", [dict(model="cbow", alpha=0.05), dict(hs=True, negative=0),
                                     dict(model="cbow", hs=True, negative=0, alpha=0.05), dict(hs=True)])
def test_subword_variants_train_on_the_torch_path(tiny_corpus, tmp_path, variant):
    variant = dict(variant, backend="torch")  # (auto picks the fast kernel: test_fast_subword_variants.py)
    cfg = TrainConfig(subwords=True, **variant)
    assert resolve_backend(cfg, "cpu") == "torch"
    m = _train(tiny_corpus, **variant)
    names = {"input", "ngrams"} | ({"hs_nodes"} if cfg.hs else set()) | ({"output"} if cfg.negative else set())
    assert m.tables.keys() == names and m.tables["ngrams"].any()
    losses = [h["loss"] for h in m.history]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]  # it learns
    again = _train(tiny_corpus, **variant)
    for name in names:  # same seed, same vectors
        np.testing.assert_array_equal(m.tables[name], again.tables[name])
    m.save(tmp_path / "m")
    from palabra2vec.vectors.loading import load_vectors

    wv = load_vectors(tmp_path / "m")
    assert "caballeros" not in wv and wv.has_vector("caballeros")  # unknown word, from its n-grams
    np.testing.assert_allclose(wv["caballeros"], m.wv["caballeros"])


def test_auto_picks_the_fast_kernel_for_every_subword_variant():
    for variant in (dict(model="cbow"), dict(hs=True), dict(model="cbow", hs=True, negative=0)):
        assert resolve_backend(TrainConfig(subwords=True, backend="fast", **variant), "cpu") == "fast"
        assert resolve_backend(TrainConfig(subwords=True, **variant), "cpu") == "fast"
