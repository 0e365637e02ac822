"""From word ids to the minibatches of CBOW and hierarchical softmax (the readable path).

One example per center: its context words (padded to 2 x window, with a mask), and the
outputs it is scored against: the center and K noise words (negative sampling; never the
center itself, as in the fast kernel), and/or the center's Huffman path (inner nodes, branch
codes and a mask; :mod:`palabra2vec.training.huffman`). :class:`Word2VecNet` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import torch

from .batches import split_sentences
from .huffman import HuffmanTree
from .sampling import NoiseDistribution, subsample, window_contexts


class VariantBatch(NamedTuple):
    """B centers; ``outs`` is None without negative sampling, the path fields without HS."""

    contexts: torch.Tensor  # (B, 2W) int64, padded with 0
    ctx_mask: torch.Tensor  # (B, 2W) float32
    outs: torch.Tensor | None  # (B, 1+K) int64: the center, then K noise words
    points: torch.Tensor | None  # (B, depth) int64: inner nodes of the center's path
    codes: torch.Tensor | None  # (B, depth) int64: branch taken at each node
    path_mask: torch.Tensor | None  # (B, depth) float32

    def to(self, device: torch.device | str) -> "VariantBatch":
        return VariantBatch(*(None if t is None else t.to(device, non_blocking=True) for t in self))

    def terms(self, cbow: bool) -> int:
        """How many binary decisions the batch scores (the loss terms)."""
        inputs = torch.ones_like(self.ctx_mask[:, 0]) if cbow else self.ctx_mask.sum(dim=1)  # (B,)
        n = 0.0
        if self.outs is not None:
            n += float(inputs.sum()) * self.outs.shape[1]
        if self.path_mask is not None:
            n += float((inputs * self.path_mask.sum(dim=1)).sum())
        return int(n)


def draw_center_negatives(centers: np.ndarray, noise: NoiseDistribution, negative: int,
                          rng: np.random.Generator) -> np.ndarray:
    """K noise words per center (B, K), redrawn where one equals its center (one word: kept)."""
    negs = noise.sample((len(centers), negative), rng)
    if len(noise) > 1:
        bad = negs == centers[:, None]
        while bad.any():
            negs[bad] = noise.sample(int(bad.sum()), rng)
            bad = negs == centers[:, None]
    return negs


def iter_variant_batches(chunk: np.ndarray, keep_prob: np.ndarray, noise: NoiseDistribution, window: int,
                         negative: int, tree: HuffmanTree | None, batch_size: int,
                         rng: np.random.Generator) -> Iterator[VariantBatch]:
    """Subsample one chunk of the id stream, draw each center's window, and yield batches of
    its centers with their contexts and outputs (drawn afresh each call, so every epoch)."""
    ids, sentence = split_sentences(chunk)
    kept = subsample(ids, keep_prob, rng)
    ids, sentence = ids[kept], sentence[kept]
    contexts, mask = window_contexts(ids, sentence, window, rng)  # (n, 2W)
    has_context = mask.any(axis=1)
    centers, contexts, mask = ids[has_context], contexts[has_context], mask[has_context]
    depth = tree.depth if tree is not None else 0
    for start in range(0, len(centers), batch_size):
        sl = slice(start, start + batch_size)
        c = centers[sl].astype(np.int64)
        outs = points = codes = path_mask = None
        if negative > 0:
            negs = draw_center_negatives(c, noise, negative, rng)  # (B, K)
            outs = torch.from_numpy(np.concatenate([c[:, None], negs], axis=1).astype(np.int64))
        if tree is not None:
            points = torch.from_numpy(tree.points[c].astype(np.int64))
            codes = torch.from_numpy(tree.codes[c].astype(np.int64))
            path_mask = torch.from_numpy((np.arange(depth)[None, :] < tree.lengths[c][:, None]).astype(np.float32))
        yield VariantBatch(torch.from_numpy(contexts[sl].astype(np.int64)),
                           torch.from_numpy(mask[sl].astype(np.float32)), outs, points, codes, path_mask)
