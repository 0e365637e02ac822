"""Random steps of skip-gram training: subsampling, window sizes, contexts, negatives.

Each function takes an explicit ``numpy.random.Generator``; the same generator state gives
the same draws. The small list-based functions mirror the course notebook step by step; the
array-based ones do the same work vectorized for training.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import UsageError

# ----------------------------------------------------------------------------------------
# Subsampling of frequent words (Mikolov et al. 2013, "Distributed Representations ...", §2.3)
# ----------------------------------------------------------------------------------------


def keep_probabilities(counts: np.ndarray, sample: float, formula: str = "word2vec") -> np.ndarray:
    """Probability of keeping each occurrence of each word, as float32.

    With f(w) = count(w) / total and threshold t = ``sample``:

    - ``notebook`` (the paper, d2l): discard with P(w) = max(1 - sqrt(t / f(w)), 0),
      i.e. keep with min(1, sqrt(t / f(w)));
    - ``word2vec`` (word2vec.c, gensim): keep with min(1, (sqrt(f(w) / t) + 1) * t / f(w)),
      i.e. sqrt(t / f) + t / f, which keeps a little more of every word.

    ``sample == 0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise UsageError("sample must be >= 0")
    if sample == 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float32)
    f = counts / counts.sum()
    ratio = sample / np.maximum(f, 1e-300)
    if formula == "notebook":
        keep = np.sqrt(ratio)
    elif formula == "word2vec":
        keep = np.sqrt(ratio) + ratio
    else:
        raise UsageError(f"unknown subsampling formula {formula!r} (notebook, word2vec)")
    return np.minimum(keep, 1.0).astype(np.float32)


def subsample(ids: np.ndarray, keep_prob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of the tokens kept: token i survives with probability keep_prob[ids[i]]."""
    return rng.random(len(ids), dtype=np.float32) < keep_prob[ids]


def subsampled_counts(
    chunks: Iterable[np.ndarray], keep_prob: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """How many times each word survives one subsampling pass over an id stream."""
    out = np.zeros(len(keep_prob), dtype=np.int64)
    for chunk in chunks:
        ids = chunk[chunk >= 0]
        out += np.bincount(ids[subsample(ids, keep_prob, rng)], minlength=len(keep_prob))
    return out


def subsample_sentences(
    sentences: Sequence[Sequence[int]], keep_prob: np.ndarray, rng: np.random.Generator
) -> list[list[int]]:
    """The notebook's ``subsample``: each sentence with its discarded tokens removed."""
    out = []
    for s in sentences:
        ids = np.asarray(s, dtype=np.int64)
        out.append(ids[subsample(ids, keep_prob, rng)].tolist())
    return out


# ----------------------------------------------------------------------------------------
# Centers and contexts with a dynamic window (d2l §15.3.2; word2vec.c's "b" shrink)
# ----------------------------------------------------------------------------------------


def centers_and_contexts(
    sentences: Sequence[Sequence[int]], max_window: int, rng: np.random.Generator
) -> tuple[list[int], list[list[int]]]:
    """The notebook's ``get_centers_and_contexts``.

    For every sentence of >= 2 tokens, every token is a center; its window size is drawn
    uniformly from 1..max_window and the tokens of the same sentence within that distance
    are its contexts.
    """
    centers: list[int] = []
    contexts: list[list[int]] = []
    for s in sentences:
        if len(s) < 2:
            continue
        sizes = rng.integers(1, max_window + 1, size=len(s))
        for i, w in enumerate(s):
            lo, hi = max(0, i - sizes[i]), min(len(s), i + 1 + sizes[i])
            centers.append(s[i])
            contexts.append([s[j] for j in range(lo, hi) if j != i])
    return centers, contexts


def window_contexts(
    ids: np.ndarray, sentence: np.ndarray, max_window: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized centers and contexts for a stream of tokens.

    ``ids[i]`` is a token and ``sentence[i]`` the (non-decreasing) sentence number it
    belongs to. Returns ``contexts`` (n, 2*max_window) and ``mask`` (n, 2*max_window):
    slot j holds the token at offset ``[-W..-1, 1..W][j]`` when that offset is within the
    center's drawn window and in the same sentence.
    """
    n = len(ids)
    W = max_window
    sizes = rng.integers(1, W + 1, size=n)
    offsets = np.concatenate([np.arange(-W, 0), np.arange(1, W + 1)])  # (2W,)
    pos = np.arange(n)[:, None] + offsets[None, :]  # (n, 2W)
    inside = (pos >= 0) & (pos < n)
    pos_c = np.clip(pos, 0, max(0, n - 1))
    mask = inside & (np.abs(offsets)[None, :] <= sizes[:, None])
    mask &= sentence[pos_c] == sentence[:, None]
    contexts = np.where(mask, ids[pos_c], 0)
    return contexts, mask


# ----------------------------------------------------------------------------------------
# Negative sampling: noise words ~ count ** 0.75 (Mikolov et al. 2013, §2.2)
# ----------------------------------------------------------------------------------------


class NoiseDistribution:
    """Draws word ids with P(w) proportional to count(w) ** exponent, in O(1) per draw.

    Uses Walker's alias method (Vose's construction): ``prob`` and ``alias`` tables of the
    vocabulary's size, shared with the fast kernel.
    """

    def __init__(self, counts: np.ndarray, exponent: float = 0.75) -> None:
        counts = np.asarray(counts, dtype=np.float64)
        if counts.size == 0:
            raise UsageError("the vocabulary is empty: nothing to sample negatives from")
        w = np.where(counts > 0, counts, 0.0) ** exponent
        w[counts <= 0] = 0.0
        if w.sum() <= 0:
            raise UsageError("the noise distribution has no mass")
        self.probabilities = w / w.sum()
        self.counts = counts  #: the word counts it was built from (hierarchical softmax's tree reads them)
        self.prob, self.alias = _alias_tables(self.probabilities)

    def __len__(self) -> int:
        return len(self.prob)

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Word ids (int64) of the given shape."""
        n = len(self.prob)
        slot = rng.integers(0, n, size=size)
        coin = rng.random(size=size, dtype=np.float32)
        return np.where(coin < self.prob[slot], slot, self.alias[slot])


def _alias_tables(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method: prob (float32) and alias (int32) tables for distribution p."""
    n = len(p)
    scaled = p * n
    prob = np.zeros(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    for i in large + small:  # leftovers are 1 up to rounding
        prob[i] = 1.0
    return prob.astype(np.float32), alias.astype(np.int32)


def get_negatives(
    all_contexts: Sequence[Sequence[int]], noise: NoiseDistribution, K: int, rng: np.random.Generator
) -> list[list[int]]:
    """The notebook's ``get_negatives``: K noise words per context word, none of them one
    of the center's own context words."""
    out = []
    for contexts in all_contexts:
        banned = set(contexts)
        negs: list[int] = []
        while len(negs) < K * len(contexts):
            for w in noise.sample(K * len(contexts), rng).tolist():
                if w not in banned and len(negs) < K * len(contexts):
                    negs.append(w)
        out.append(negs)
    return out


def draw_negatives(
    contexts: np.ndarray, mask: np.ndarray, noise: NoiseDistribution, K: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized negatives: K per real context slot, never equal to a real context of the
    same center. Returns ``negatives`` (n, 2W*K) and their ``mask``."""
    n, S = contexts.shape
    neg_mask = np.repeat(mask, K, axis=1)  # (n, S*K)
    negs = noise.sample((n, S * K), rng)
    real_ctx = np.where(mask, contexts, -1)  # (n, S)
    for _ in range(100):
        clash = (negs[:, :, None] == real_ctx[:, None, :]).any(axis=2) & neg_mask
        if not clash.any():
            break
        negs[clash] = noise.sample(int(clash.sum()), rng)
    else:  # a center whose contexts cover the whole noise distribution
        raise UsageError("cannot draw negatives distinct from the contexts: vocabulary too small")
    return np.where(neg_mask, negs, 0), neg_mask
