"""The course notebook's data pipeline, exactly: the three choices of ``--preset notebook``.

palabra2vec's defaults follow word2vec.c and gensim; the notebook (d2l "Pretraining
word2vec" on Don Quijote) makes three other choices, each selected by a
:class:`~palabra2vec.config.TrainConfig` field whose default keeps palabra2vec's behaviour:

- ``subsample_total="corpus"``: f(w) in the subsampling formula is count(w) / (every token
  of the corpus, words below ``min_count`` included), not / (in-vocabulary tokens). The
  notebook subsamples before it drops the out-of-vocabulary tokens, so its total is all
  389,511 tokens of the book; f is smaller and every word keeps more occurrences
  (MISSION.md step 3: "que" keeps sqrt(1e-4 / (19546 / 389511)) = 0.0446).
- ``noise_skip_first=True``: the negative sampler never draws id 0, the most frequent word
  (the notebook's sampler skips id 0 as if it were ``<unk>``, though its vocabulary has none).
- ``draw_once=True``: subsampling, window sizes, contexts and negatives are drawn once,
  before training, and the same examples are reused every epoch in a new random order (the
  notebook's ``DataLoader(shuffle=True)`` over a fixed dataset). Redrawing every epoch, the
  default, shows the model more distinct pairs; reusing them lets it fit those pairs
  better, hence a lower training loss. Draw-once holds every example in memory (about 300
  bytes per center with window 5 and 5 negatives): it is meant for a book, not a
  corpus of billions of words. Torch backend only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ..config import TrainConfig
from .sampling import NoiseDistribution, draw_negatives, keep_probabilities, subsample, window_contexts


def subsample_keep(counts: np.ndarray, corpus_words: int, config: TrainConfig) -> np.ndarray:
    """Keep probability of each word for ``config``.

    ``subsample_total="vocab"``: f = count / sum(counts) (:func:`keep_probabilities`);
    ``"corpus"``: f = count / corpus_words, every token of the corpus counted. The formula
    (``config.subsample_formula``) is the same; only the denominator of f changes.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if config.subsample_total == "vocab" or counts.size == 0:
        return keep_probabilities(counts, config.sample, config.subsample_formula)
    if corpus_words < counts.sum():
        raise ValueError(f"corpus_words {corpus_words} is less than the in-vocabulary tokens {counts.sum():.0f}")
    # keep_probabilities divides by counts.sum(); a pseudo-word holding the out-of-vocabulary
    # tokens makes that sum the corpus total (its own keep probability is discarded)
    rest = corpus_words - counts.sum()
    return keep_probabilities(np.append(counts, rest), config.sample, config.subsample_formula)[:-1]


def noise_distribution(counts: np.ndarray, config: TrainConfig) -> NoiseDistribution:
    """Noise words ~ count ** ``ns_exponent``; with ``noise_skip_first`` id 0 (the most
    frequent word) gets probability 0, as in the notebook."""
    counts = np.asarray(counts, dtype=np.float64)
    if config.noise_skip_first and counts.size > 1:
        counts = counts.copy()
        counts[0] = 0.0
    return NoiseDistribution(counts, config.ns_exponent)


class Examples(NamedTuple):
    """Skip-gram examples of one chunk: a center, its context slots and its negative slots."""

    centers: np.ndarray  # (n,) int32
    contexts: np.ndarray  # (n, 2W) int32, 0 where masked
    mask: np.ndarray  # (n, 2W) bool
    negatives: np.ndarray  # (n, 2W*K) int32, 0 where masked
    neg_mask: np.ndarray  # (n, 2W*K) bool

    def __len__(self) -> int:
        return len(self.centers)


def _split_sentences(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens of a chunk (``-1`` separates sentences) and the sentence number of each (as
    :func:`palabra2vec.training.batches.split_sentences`, which imports PyTorch)."""
    sep = chunk < 0
    return chunk[~sep], np.cumsum(sep)[~sep]


def draw_examples(chunk: np.ndarray, keep: np.ndarray, noise: NoiseDistribution, window: int,
                  negative: int, rng: np.random.Generator, block: int = 4096) -> Examples:
    """Subsample one chunk of the id stream, draw windows and negatives: the notebook's
    ``subsample`` + ``get_centers_and_contexts`` + ``get_negatives``, vectorized (the same
    steps :func:`palabra2vec.training.batches.iter_batches` takes per minibatch)."""
    ids, sentence = _split_sentences(chunk)
    kept = subsample(ids, keep, rng)
    ids, sentence = ids[kept], sentence[kept]
    contexts, mask = window_contexts(ids, sentence, window, rng)  # (n, 2W)
    has_context = mask.any(axis=1)  # tokens of sentences with >= 2 tokens
    centers, contexts, mask = ids[has_context], contexts[has_context], mask[has_context]
    negs, neg_masks = [], []
    for start in range(0, len(centers), block):
        n, m = draw_negatives(contexts[start:start + block], mask[start:start + block], noise, negative, rng)
        negs.append(n.astype(np.int32))
        neg_masks.append(m)
    S = contexts.shape[1]
    return Examples(centers.astype(np.int32), contexts.astype(np.int32), mask,
                    np.concatenate(negs) if negs else np.zeros((0, S * negative), np.int32),
                    np.concatenate(neg_masks) if neg_masks else np.zeros((0, S * negative), bool))


def count_pairs(chunks: Iterable[np.ndarray], keep: np.ndarray, window: int, rng: np.random.Generator) -> tuple[int, int]:
    """(centers, center-context pairs) of one epoch: one subsampling and window draw over
    the id stream, as training draws them (the notebook's "# center-context pairs")."""
    centers = pairs = 0
    for chunk in chunks:
        ids, sentence = _split_sentences(chunk)
        kept = subsample(ids, keep, rng)
        _, mask = window_contexts(ids[kept], sentence[kept], window, rng)
        per_center = mask.sum(axis=1)
        centers += int((per_center > 0).sum())
        pairs += int(per_center.sum())
    return centers, pairs
