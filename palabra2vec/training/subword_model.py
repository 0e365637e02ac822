"""The readable subword skip-gram (fastText's model) as a PyTorch module: the center's input
vector is an EmbeddingBag-style mean of its own row and its character n-gram rows."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..variants import WORD_ROW_STEP
from .model import SkipGram


class SubwordSkipGram(SkipGram):
    """:class:`SkipGram` whose input vector of word w is
    ``(input[w] + sum_{g in G(w)} ngrams[g]) / max(|G(w)|, 1)`` (Bojanowski et al. 2017's sum of
    the word's rows, scaled as gensim's ``fasttext_inner`` does in training: by 1 / |G(w)|, not
    fastText's mean 1 / (1 + |G(w)|); measured better, see
    :mod:`palabra2vec.training.fast_subwords`), G(w) the n-gram rows of w given as CSR arrays
    (``offsets``, ``ids``; :func:`palabra2vec.variants.ngram_layout`).

    The training step follows fastText (``Model::update``) and gensim (``fasttext_inner``):
    each of the N = 1 + |G(w)| rows moves by the *whole* gradient of the composed vector, N
    times the gradient of the mean; the word's own row by ``WORD_ROW_STEP`` times that
    (:data:`palabra2vec.variants.WORD_ROW_STEP`, measured). Measured on corpus-es (1 seed), the exact gradient of the
    mean (1/N each) learned N times slower and scored far below word-level training (MSL 0.087
    vs 0.24; see benchmarks/RESULTS.md). Here the forward value is the mean and the backward
    passes the gradient through unscaled, so autograd computes the same step as the fast
    kernel's ``scatter_mean``.
    """

    def __init__(self, vocab_size: int, vector_size: int, buckets: int, offsets: np.ndarray, ids: np.ndarray,
                 sparse: bool = False) -> None:
        super().__init__(vocab_size, vector_size, sparse=sparse)
        self.ngrams = nn.Embedding(buckets, vector_size, sparse=sparse)
        self.register_buffer("sub_offsets", torch.as_tensor(np.asarray(offsets, np.int64)), persistent=False)
        self.register_buffer("sub_ids", torch.as_tensor(np.asarray(ids, np.int64)), persistent=False)

    def tables(self) -> dict[str, torch.Tensor]:
        return {**super().tables(), "ngrams": self.ngrams.weight}

    def input_vectors(self, centers: torch.Tensor) -> torch.Tensor:
        """(B, 1) center ids -> (B, 1, D) composed input vectors."""
        c = centers.reshape(-1)  # (B,)
        summed, counts = ngram_sums(self.ngrams, self.sub_offsets, self.sub_ids, c)  # (B, D), (B,)
        total_rows = word_row_step(self.input(c)) + summed  # (B, D) sum of the N rows
        n = counts.clamp(min=1).to(summed.dtype)[:, None]  # (B, 1): gensim's scale, 1 / n (n-grams), not 1 / N
        v = total_rows + (total_rows / n - total_rows).detach()  # value: sum / n; gradient: to each row whole
        return v[:, None, :]  # (B, 1, D)


def word_row_step(rows: torch.Tensor) -> torch.Tensor:
    """The words' own rows, unchanged in value, with their gradient scaled by
    :data:`palabra2vec.variants.WORD_ROW_STEP`: the larger step the word's row takes than its
    n-gram rows (as the fast kernel's ``scatter_mean``)."""
    return rows + ((WORD_ROW_STEP - 1.0) * (rows - rows.detach()))


def ngram_sums(ngrams: nn.Embedding, offsets: torch.Tensor, ids: torch.Tensor,
               words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For word ids ``words`` (B,): the sum of each word's n-gram rows (B, D; 0 for a word with
    none) and how many it has (B,), the rows given as CSR arrays ``offsets``/``ids`` (an
    EmbeddingBag in sum mode over the words' bags, laid end to end)."""
    starts = offsets[words]  # (B,)
    counts = offsets[words + 1] - starts  # (B,) n-grams per word
    bag_starts = torch.cumsum(counts, 0) - counts  # (B,) where each bag starts in ``flat``
    total = int(counts.sum())
    pos = (torch.arange(total, device=words.device) - torch.repeat_interleave(bag_starts, counts)
           + torch.repeat_interleave(starts, counts))  # (total,) positions in ``ids``
    flat = ids[pos]  # (total,) n-gram rows, bag after bag
    summed = F.embedding_bag(flat, ngrams.weight, bag_starts, mode="sum", sparse=ngrams.sparse)  # (B, D)
    return summed, counts
