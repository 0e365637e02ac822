"""The skip-gram model with negative sampling (SGNS) and its masked loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SkipGram(nn.Module):
    """Two embedding tables: ``input`` for center words, ``output`` for context/noise words.

    score(c, o) = input[c] . output[o], for every context/negative o of center c
    (Mikolov et al. 2013; d2l §15.4). The input vector of a word is one row today;
    :meth:`input_vectors` is the piece a subword model replaces (a sum of n-gram rows).
    """

    def __init__(self, vocab_size: int, vector_size: int, sparse: bool = False) -> None:
        super().__init__()
        self.input = nn.Embedding(vocab_size, vector_size, sparse=sparse)
        self.output = nn.Embedding(vocab_size, vector_size, sparse=sparse)

    def tables(self) -> dict[str, torch.Tensor]:
        """The named tables (see :mod:`palabra2vec.variants`), as the module's weights."""
        return {"input": self.input.weight, "output": self.output.weight}

    def input_vectors(self, centers: torch.Tensor) -> torch.Tensor:
        """Input vectors of center words: (B, 1) ids -> (B, 1, D)."""
        return self.input(centers)

    def forward(self, centers: torch.Tensor, contexts_negatives: torch.Tensor) -> torch.Tensor:
        """Scores (B, 1, L) of each center against each of its L contexts/negatives."""
        v = self.input_vectors(centers)  # (B, 1, D)
        u = self.output(contexts_negatives)  # (B, L, D)
        return torch.bmm(v, u.permute(0, 2, 1))  # (B, 1, L)

    @torch.no_grad()
    def reset_parameters(self, init: str = "gensim", generator: torch.Generator | None = None) -> None:
        """``gensim``: input ~ U(-1/D, 1/D), output = 0 (gensim 4); ``word2vec``: input
        ~ U(-0.5/D, 0.5/D), output = 0 (word2vec.c); ``xavier``: both Xavier-uniform (the notebook)."""
        D = self.input.embedding_dim
        if init in ("gensim", "word2vec"):
            b = (1.0 if init == "gensim" else 0.5) / D
            self.input.weight.uniform_(-b, b, generator=generator)
            self.output.weight.zero_()
        elif init == "xavier":
            nn.init.xavier_uniform_(self.input.weight, generator=generator)
            nn.init.xavier_uniform_(self.output.weight, generator=generator)
        else:
            raise ValueError(f"unknown init {init!r}")


def masked_bce_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, reduction: str = "example_mean"
) -> torch.Tensor:
    """Sigmoid binary cross-entropy on logits, ignoring padding.

    loss(s, y) = -[y log sigmoid(s) + (1 - y) log sigmoid(-s)], multiplied by ``mask``.

    ``example_mean`` (the notebook): one loss per example, the mean over its unmasked
    positions, shape (B,). ``sum``: the sum over all unmasked positions, the objective
    word2vec.c follows with plain SGD.
    """
    scores = scores.reshape(labels.shape).float()
    per_pos = F.binary_cross_entropy_with_logits(scores, labels, weight=mask, reduction="none")
    if reduction == "example_mean":
        return per_pos.sum(dim=1) / mask.sum(dim=1).clamp_min(1)
    if reduction == "sum":
        return per_pos.sum()
    raise ValueError(f"unknown reduction {reduction!r}")
