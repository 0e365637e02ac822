"""From word ids to padded minibatches ``(center, contexts_negatives, mask, labels)``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import torch

from .sampling import NoiseDistribution, draw_negatives, subsample, window_contexts


class Batch(NamedTuple):
    """One minibatch; B examples padded to the longest ``contexts + negatives``."""

    centers: torch.Tensor  # (B, 1) int64
    contexts_negatives: torch.Tensor  # (B, L) int64, padded with 0
    mask: torch.Tensor  # (B, L) float32, 1 = real, 0 = padding
    labels: torch.Tensor  # (B, L) float32, 1 = context, 0 = negative or padding

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(*(t.to(device, non_blocking=True) for t in self))


def batchify(examples: Sequence[tuple[int, Sequence[int], Sequence[int]]]) -> Batch:
    """The notebook's ``batchify``: pad each example's ``contexts + negatives`` with 0.

    >>> b = batchify([(1, [2, 2], [3, 3, 3, 3]), (1, [2, 2, 2], [3, 3])])
    >>> b.contexts_negatives.tolist()
    [[2, 2, 3, 3, 3, 3], [2, 2, 2, 3, 3, 0]]
    """
    max_len = max(len(c) + len(n) for _, c, n in examples)
    centers, rows, masks, labels = [], [], [], []
    for center, context, negative in examples:
        cur = len(context) + len(negative)
        centers.append([center])
        rows.append(list(context) + list(negative) + [0] * (max_len - cur))
        masks.append([1] * cur + [0] * (max_len - cur))
        labels.append([1] * len(context) + [0] * (max_len - len(context)))
    return Batch(
        torch.tensor(centers, dtype=torch.long),
        torch.tensor(rows, dtype=torch.long),
        torch.tensor(masks, dtype=torch.float32),
        torch.tensor(labels, dtype=torch.float32),
    )


def split_sentences(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens of a chunk (``-1`` separates sentences) and the sentence number of each."""
    sep = chunk < 0
    sentence = np.cumsum(sep)[~sep]
    return chunk[~sep], sentence


def iter_batches(
    chunk: np.ndarray,
    keep_prob: np.ndarray,
    noise: NoiseDistribution,
    window: int,
    negative: int,
    batch_size: int,
    rng: np.random.Generator,
) -> Iterator[Batch]:
    """Vectorized version of the notebook's pipeline on one chunk of the id stream.

    Subsampling, window sizes and negatives are drawn afresh each call (so every epoch).
    Each batch has the exact layout of :func:`batchify`: a center's contexts, then its
    negatives, then padding.
    """
    ids, sentence = split_sentences(chunk)
    kept = subsample(ids, keep_prob, rng)
    ids, sentence = ids[kept], sentence[kept]
    contexts, mask = window_contexts(ids, sentence, window, rng)  # (n, 2W)
    has_context = mask.any(axis=1)
    centers, contexts, mask = ids[has_context], contexts[has_context], mask[has_context]
    for start in range(0, len(centers), batch_size):
        sl = slice(start, start + batch_size)
        c, m = contexts[sl], mask[sl]
        negs, neg_mask = draw_negatives(c, m, noise, negative, rng)  # (B, 2W*K)
        yield pack_batch(centers[sl], c, m, negs, neg_mask)


def pack_batch(centers: np.ndarray, contexts: np.ndarray, mask: np.ndarray, negatives: np.ndarray,
               neg_mask: np.ndarray) -> Batch:
    """One :class:`Batch` from B centers, their context slots (B, 2W) and negative slots
    (B, 2W*K) with masks: the layout of :func:`batchify` (contexts, negatives, padding)."""
    rows = np.concatenate([contexts, negatives], axis=1)  # (B, 2W(1+K))
    real = np.concatenate([mask, neg_mask], axis=1)
    is_ctx = np.concatenate([mask, np.zeros_like(neg_mask)], axis=1)
    # move real entries to the front, keeping their order (a stable sort on "padding")
    order = np.argsort(~real, axis=1, kind="stable")
    length = int(real.sum(axis=1).max()) if len(real) else 0
    order = order[:, :length]
    rows = np.take_along_axis(rows, order, axis=1)
    real = np.take_along_axis(real, order, axis=1)
    is_ctx = np.take_along_axis(is_ctx, order, axis=1)
    return Batch(
        torch.from_numpy(centers.astype(np.int64)[:, None]),
        torch.from_numpy(np.where(real, rows, 0).astype(np.int64)),
        torch.from_numpy(real.astype(np.float32)),
        torch.from_numpy(is_ctx.astype(np.float32)),
    )
