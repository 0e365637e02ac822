import math

import numpy as np
import pytest

from palabra2vec import Corpus
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.training.sampling import (
    NoiseDistribution,
    centers_and_contexts,
    draw_negatives,
    get_negatives,
    keep_probabilities,
    subsample_sentences,
    subsampled_counts,
    window_contexts,
)


def test_keep_probability_formulas():
    counts = np.array([9000, 900, 90, 10])  # f = 0.9, 0.09, 0.009, 0.001
    t = 1e-3
    nb = keep_probabilities(counts, t, "notebook")
    w2v = keep_probabilities(counts, t, "word2vec")
    f = counts / counts.sum()
    np.testing.assert_allclose(nb, np.minimum(1, np.sqrt(t / f)), rtol=1e-6)
    np.testing.assert_allclose(w2v, np.minimum(1, (np.sqrt(f / t) + 1) * t / f), rtol=1e-6)
    assert nb[-1] == 1.0 and (w2v >= nb).all()
    assert (keep_probabilities(counts, 0, "word2vec") == 1).all()


def test_subsampling_keeps_the_expected_share():
    counts = np.array([1_000_000, 50])  # f = 0.99995 and 5e-5 < t
    keep = keep_probabilities(counts, 1e-4, "notebook")
    ids = np.repeat([0, 1], counts)
    after = subsampled_counts([ids], keep, np.random.default_rng(0))
    expect = counts[0] * keep[0]
    sd = math.sqrt(expect * (1 - keep[0]))
    assert abs(after[0] - expect) < 4 * sd
    assert after[1] == 50  # words rarer than t are always kept


def test_notebook_subsampling_on_quijote(quijote):
    """MISSION step 3: "que" 19,546 -> ~845 (below 1/20), "mesa" 16 -> 16."""
    vocab, enc = encode_corpus(Corpus([quijote], tokenizer="notebook"), min_count=10)
    with enc:
        keep = keep_probabilities(vocab.counts, 1e-4, "notebook")
        que, mesa = vocab["que"], vocab["mesa"]
        assert vocab.counts[que] == 19546 and vocab.counts[mesa] == 16
        after = subsampled_counts(enc.chunks(), keep, np.random.default_rng(1))
    expect = 19546 * keep[que]
    sd = math.sqrt(expect * (1 - keep[que]))
    assert abs(after[que] - expect) < 4 * sd
    assert abs(845 - expect) < 4 * sd  # the notebook's own draw is consistent with the formula
    assert after[que] < 19546 / 20
    assert after[mesa] == 16


def test_centers_and_contexts_tiny_example():
    """MISSION step 4: max window 2 on [0..6] and [7, 8, 9]."""
    rng = np.random.default_rng(0)
    sentences = [list(range(7)), list(range(7, 10))]
    for _ in range(20):
        centers, contexts = centers_and_contexts(sentences, 2, rng)
        assert centers == list(range(10))
        for c, ctx in zip(centers, contexts):
            assert 1 <= len(ctx) <= 4
            same = range(7) if c < 7 else range(7, 10)
            assert all(x in same and x != c and abs(x - c) <= 2 for x in ctx)
    assert centers_and_contexts([[5]], 2, rng) == ([], [])


def test_window_contexts_matches_the_list_version_in_distribution():
    ids = np.arange(10)
    sentence = np.array([0] * 7 + [1] * 3)
    rng = np.random.default_rng(1)
    sizes = []
    for _ in range(300):
        ctx, mask = window_contexts(ids, sentence, 2, rng)
        for c in range(10):
            got = ctx[c][mask[c]]
            assert set(got) <= {x for x in range(10) if sentence[x] == sentence[c] and 0 < abs(x - c) <= 2}
        sizes.append(mask[3].sum())  # center 3 has 2 or 4 contexts: window 1 or 2, p = 1/2
    assert set(sizes) == {2, 4}
    assert abs(np.mean(np.array(sizes) == 4) - 0.5) < 0.1


def test_noise_distribution_follows_count_power():
    counts = np.array([1000, 100, 10, 1, 0])
    noise = NoiseDistribution(counts, 0.75)
    p = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(noise.probabilities, p)
    draws = noise.sample(400_000, np.random.default_rng(0))
    freq = np.bincount(draws, minlength=5) / draws.size
    tolerance = 4 * np.sqrt(p * (1 - p) / draws.size) + 1e-9
    assert (np.abs(freq - p) < tolerance).all(), (freq, p)
    assert freq[4] == 0


def test_negatives_never_hit_the_centers_contexts():
    noise = NoiseDistribution(np.array([50, 40, 30, 20, 10]), 0.75)
    rng = np.random.default_rng(0)
    contexts = [[0, 1], [2], [0, 1, 2, 3]]
    negs = get_negatives(contexts, noise, 5, rng)
    for ctx, neg in zip(contexts, negs):
        assert len(neg) == 5 * len(ctx) and not set(neg) & set(ctx)
    ctx = np.array([[0, 1, 0], [2, 0, 0]])
    mask = np.array([[True, True, False], [True, False, False]])
    neg, nmask = draw_negatives(ctx, mask, noise, 4, rng)
    assert nmask.sum(axis=1).tolist() == [8, 4]
    assert not np.isin(neg[0][nmask[0]], [0, 1]).any()
    assert not np.isin(neg[1][nmask[1]], [2]).any()


def test_subsample_sentences_list_version():
    keep = np.array([0.0, 1.0], dtype=np.float32)
    assert subsample_sentences([[0, 1, 0, 1], [0]], keep, np.random.default_rng(0)) == [[1, 1], []]
