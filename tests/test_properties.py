"""Property tests (hypothesis): invariants of the tokenizer, vocabulary, samplers and batches,
and a fuzz test of the word2vec-format reader."""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palabra2vec.training.batches import batchify, iter_batches
from palabra2vec.text.corpus import tokenize_spanish
from palabra2vec.errors import Palabra2vecError
from palabra2vec.training.sampling import (
    NoiseDistribution,
    centers_and_contexts,
    draw_negatives,
    get_negatives,
    keep_probabilities,
    subsample,
    window_contexts,
)
from palabra2vec.text.vocab import Vocab

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- tokenizer -----------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list("abcñáéíóúüÁÉÑZ ¿?¡!.,;:—«»\n\t'’-0123456789…")) | st.characters(), max_size=200)


@SETTINGS
@given(_TEXT, st.booleans())
def test_tokenizer_tokens_are_words(text, lowercase):
    sentences = tokenize_spanish(text, lowercase)
    for s in sentences:
        assert s, "no empty sentences"
        for tok in s:
            assert tok and not any(ch.isspace() for ch in tok)
            assert tok[0].isalnum() and tok[-1].isalnum()  # punctuation never starts or ends a token
            assert unicodedata.normalize("NFC", tok) == tok
            if lowercase:
                assert tok == tok.lower()
    # tokenizing the tokens again gives the same tokens (as one sentence)
    flat = [t for s in sentences for t in s]
    again = [t for s in tokenize_spanish(" ".join(flat), lowercase) for t in s]
    assert again == flat


# -- vocabulary ----------------------------------------------------------------------------

_WORDS = st.lists(st.lists(st.sampled_from(["de", "que", "y", "la", "día", "niño", "señor", "a", "b", "c"]), max_size=12), max_size=30)


@SETTINGS
@given(_WORDS, st.integers(1, 4))
def test_vocab_counts_order_and_round_trip(tmp_path_factory, sentences, min_count):
    counter = Counter(t for s in sentences for t in s)
    vocab = Vocab.build(sentences, min_count)
    assert {w: c for w, c in zip(vocab.index_to_key, vocab.counts.tolist())} == {w: c for w, c in counter.items() if c >= min_count}
    assert all(np.diff(vocab.counts) <= 0)  # most frequent first
    assert all(vocab[w] == i for i, w in enumerate(vocab.index_to_key))
    ids = vocab.encode([t for s in sentences for t in s])
    assert all(0 <= i < len(vocab) for i in ids)
    p = tmp_path_factory.mktemp("v") / "vocab.tsv"
    vocab.save(p)
    back = Vocab.load(p)
    assert back.index_to_key == vocab.index_to_key and np.array_equal(back.counts, vocab.counts)


# -- centers, contexts, subsampling --------------------------------------------------------

_SENTENCES = st.lists(st.lists(st.integers(0, 19), max_size=15), max_size=8)


@SETTINGS
@given(_SENTENCES, st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_centers_and_contexts_stay_in_window_and_sentence(sentences, max_window, seed):
    centers, contexts = centers_and_contexts(sentences, max_window, np.random.default_rng(seed))
    expected = [(s, i) for s in sentences if len(s) >= 2 for i in range(len(s))]
    assert len(centers) == len(contexts) == len(expected)
    for center, ctx, (s, i) in zip(centers, contexts, expected):
        assert center == s[i]
        # the contexts are exactly the neighbours within some window size k in 1..max_window
        assert any(ctx == s[max(0, i - k) : i] + s[i + 1 : i + 1 + k] for k in range(1, max_window + 1))
        assert 1 <= len(ctx) <= 2 * max_window


@st.composite
def _stream(draw):
    """Token ids and non-decreasing sentence numbers, as split_sentences makes them."""
    lengths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=6))
    ids = np.array(draw(st.lists(st.integers(0, 29), min_size=sum(lengths), max_size=sum(lengths))), dtype=np.int32)
    sentence = np.repeat(np.arange(len(lengths)), lengths)
    return ids, sentence


@SETTINGS
@given(_stream(), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_window_contexts_within_window_and_sentence(stream, W, seed):
    ids, sentence = stream
    contexts, mask = window_contexts(ids, sentence, W, np.random.default_rng(seed))
    n = len(ids)
    offsets = np.concatenate([np.arange(-W, 0), np.arange(1, W + 1)])
    assert contexts.shape == mask.shape == (n, 2 * W)
    for i in range(n):
        pos = i + offsets
        same = (pos >= 0) & (pos < n) & (sentence[np.clip(pos, 0, n - 1)] == sentence[i])
        assert not (mask[i] & ~same).any(), "a context outside the sentence"
        assert (contexts[i][mask[i]] == ids[pos[mask[i]]]).all()
        assert (contexts[i][~mask[i]] == 0).all()
        # the mask is "within a drawn size k" for one k in 1..W (symmetric, contiguous)
        assert any((mask[i] == (same & (np.abs(offsets) <= k))).all() for k in range(1, W + 1))


@SETTINGS
@given(st.lists(st.integers(1, 1000), min_size=1, max_size=30), st.just(0.0) | st.floats(1e-7, 0.5),
       st.integers(0, 2**32 - 1))
def test_subsampling_keeps_probabilities_in_unit_interval(counts, sample, seed):
    counts = np.array(counts)
    for formula in ("word2vec", "notebook"):
        keep = keep_probabilities(counts, sample, formula)
        assert ((keep > 0) & (keep <= 1)).all()
        ids = np.random.default_rng(seed).integers(0, len(counts), 50)
        kept = subsample(ids, keep, np.random.default_rng(seed))
        assert kept.dtype == bool and kept.shape == ids.shape
        assert kept[keep[ids] == 1.0].all()  # words kept with probability 1 always survive


# -- negatives -----------------------------------------------------------------------------

_COUNTS = st.lists(st.integers(1, 500), min_size=12, max_size=40)


@SETTINGS
@given(_COUNTS, st.lists(st.lists(st.integers(0, 11), min_size=1, max_size=6), min_size=1, max_size=6),
       st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_get_negatives_never_a_context(counts, all_contexts, K, seed):
    noise = NoiseDistribution(np.array(counts))
    negs = get_negatives(all_contexts, noise, K, np.random.default_rng(seed))
    for ctx, ng in zip(all_contexts, negs):
        assert len(ng) == K * len(ctx)
        assert not set(ng) & set(ctx)
        assert all(0 <= w < len(counts) for w in ng)


@SETTINGS
@given(_COUNTS, _stream(), st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_draw_negatives_never_a_context_of_the_same_center(counts, stream, W, K, seed):
    V = len(counts)
    ids, sentence = stream
    ids = ids % min(V, 12)  # contexts cover at most 12 < V words: negatives always exist
    rng = np.random.default_rng(seed)
    contexts, mask = window_contexts(ids, sentence, W, rng)
    negs, neg_mask = draw_negatives(contexts, mask, NoiseDistribution(np.array(counts)), K, rng)
    assert negs.shape == neg_mask.shape == (len(ids), 2 * W * K)
    assert (neg_mask == np.repeat(mask, K, axis=1)).all()
    assert ((negs >= 0) & (negs < V)).all()
    assert (negs[~neg_mask] == 0).all()
    for i in range(len(ids)):
        assert not set(negs[i][neg_mask[i]].tolist()) & set(contexts[i][mask[i]].tolist())


# -- batches -------------------------------------------------------------------------------

@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 9), st.lists(st.integers(1, 9), min_size=1, max_size=5),
                          st.lists(st.integers(1, 9), max_size=10)), min_size=1, max_size=8))
def test_batchify_masks_and_labels_agree_with_lengths(examples):
    b = batchify(examples)
    L = max(len(c) + len(n) for _, c, n in examples)
    assert tuple(b.contexts_negatives.shape) == tuple(b.mask.shape) == tuple(b.labels.shape) == (len(examples), L)
    for row, (center, c, n) in enumerate(examples):
        real = len(c) + len(n)
        assert b.centers[row, 0] == center
        assert b.mask[row].tolist() == [1.0] * real + [0.0] * (L - real)
        assert b.labels[row].tolist() == [1.0] * len(c) + [0.0] * (L - len(c))
        assert b.contexts_negatives[row].tolist() == list(c) + list(n) + [0] * (L - real)


@st.composite
def _chunk(draw):
    """An id stream as EncodedCorpus.chunks gives it: sentences separated by -1."""
    sentences = draw(st.lists(st.lists(st.integers(0, 11), min_size=1, max_size=15), min_size=1, max_size=6))
    out: list[int] = []
    for s in sentences:
        out += s + [-1]
    return np.array(out, dtype=np.int32)


@SETTINGS
@given(_chunk(), _COUNTS, st.integers(1, 4), st.integers(1, 4), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_iter_batches_invariants(chunk, counts, W, K, batch_size, seed):
    V = len(counts)
    keep = np.ones(V, dtype=np.float32)
    noise = NoiseDistribution(np.array(counts))
    n_centers = 0
    for b in iter_batches(chunk, keep, noise, W, K, batch_size, np.random.default_rng(seed)):
        B, L = b.contexts_negatives.shape
        assert 1 <= B <= batch_size and b.centers.shape == (B, 1)
        mask, labels, rows = b.mask.numpy(), b.labels.numpy(), b.contexts_negatives.numpy()
        assert ((b.centers >= 0) & (b.centers < V)).all()
        assert ((rows >= 0) & (rows < V)).all()
        assert (labels <= mask).all() and (rows[mask == 0] == 0).all()
        for r in range(B):
            real, n_ctx = int(mask[r].sum()), int(labels[r].sum())
            assert (mask[r, :real] == 1).all() and (labels[r, :n_ctx] == 1).all()  # real first, contexts first
            assert 1 <= n_ctx <= 2 * W and real == n_ctx * (1 + K)
            assert not set(rows[r, n_ctx:real].tolist()) & set(rows[r, :n_ctx].tolist())
        assert (mask.sum(axis=1) == L).any()  # padded to the longest row, no further
        n_centers += B
    # with keep = 1 every token of a sentence of >= 2 tokens is a center
    lengths = np.diff(np.concatenate([[-1], np.flatnonzero(chunk < 0)])) - 1
    assert n_centers == int(lengths[lengths >= 2].sum())


# -- fuzz: the word2vec-format reader ------------------------------------------------------

formats = pytest.importorskip("palabra2vec.vectors.formats", reason="palabra2vec/formats.py is not there yet")


def _read(tmp_path_factory, data: bytes, binary=None):
    p = tmp_path_factory.mktemp("w2v") / "v.bin"
    p.write_bytes(data)
    try:
        raw = formats.read_word2vec(p, binary=binary)
    except Palabra2vecError:
        return None
    assert raw.vectors.ndim == 2 and raw.vectors.shape[0] == len(raw.words)
    assert len(set(raw.words)) == len(raw.words)
    return raw


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_word2vec_reader_on_random_bytes(tmp_path_factory, data):
    """Random bytes: a clean Palabra2vecError or a valid result, never another exception."""
    _read(tmp_path_factory, data)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 40), st.integers(0, 16), st.binary(max_size=600), st.sampled_from([None, True, False]))
def test_word2vec_reader_on_a_valid_header_and_random_body(tmp_path_factory, n, dim, body, binary):
    raw = _read(tmp_path_factory, f"{n} {dim}\n".encode() + body, binary)
    if raw is not None:
        assert raw.vectors.shape[1] == dim and len(raw.words) <= n


@settings(max_examples=100, deadline=2000)
@given(st.lists(st.tuples(st.text(alphabet="abcñé", min_size=1, max_size=6),
                          st.lists(st.floats(-1e3, 1e3, width=32), min_size=3, max_size=3)), max_size=8),
       st.booleans(), st.integers(0, 10**6))
def test_word2vec_reader_on_damaged_valid_files(tmp_path_factory, rows, binary, cut):
    """A valid file cut anywhere: an error or a valid prefix, never a crash."""
    words = list(dict.fromkeys(w for w, _ in rows))
    vectors = np.array([dict(rows)[w] for w in words], dtype=np.float32).reshape(len(words), 3)
    make = formats.word2vec_binary_bytes if binary else formats.word2vec_text_bytes
    data = make(words, vectors)
    whole = _read(tmp_path_factory, data, binary)
    assert whole is not None and whole.words == words and np.array_equal(whole.vectors, vectors)
    _read(tmp_path_factory, data[: cut % (len(data) + 1)], binary)


def test_word2vec_reader_huge_header(tmp_path_factory):
    assert _read(tmp_path_factory, b"99999999999 99999\nab", True) is None
