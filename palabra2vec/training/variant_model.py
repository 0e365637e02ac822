"""The readable model of every variant: skip-gram or CBOW, negative sampling and/or
hierarchical softmax, as a PyTorch module whose autograd gradient is the fast kernel's step.

As in fastText (``Model`` takes a bag of input rows, the loss is its own piece), the model is
two independent choices: how the inputs are made (:meth:`Word2VecNet.inputs`: each context
row for skip-gram, one hidden vector for CBOW) and which outputs score them
(:meth:`Word2VecNet.ns_scores` against the center and K noise words,
:meth:`Word2VecNet.hs_scores` along the center's Huffman path, see
:mod:`palabra2vec.training.huffman`). The loss is the summed binary cross-entropy of every
score with its label (1 for the center, 0 for noise; 1 - code on the path), the objective
word2vec.c follows with plain SGD.

With ``subwords`` (fastText's model, ``--subwords``) a word's input is its own row plus its
character n-gram rows (an ``ngrams`` table): skip-gram composes each context word as
:class:`palabra2vec.training.subword_model.SubwordSkipGram` composes its center (the sum over
its n-gram count, gensim's training scale); CBOW averages the whole bag of the context words'
rows, word rows and n-gram rows together, as fastText (``computeHidden``) and gensim's
``fasttext_inner`` do. The gradient reaches every row of the bag undivided in both.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .subword_model import ngram_sums


def straight_through_mean(rows: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of the unmasked ``rows`` (B, C, D) -> (B, 1, D) whose gradient reaches every
    row undivided, as word2vec.c and gensim (``cbow_mean=1``) apply CBOW's hidden-layer error
    to each context row: value sum / count, backward as the sum."""
    s = (rows * mask[..., None]).sum(dim=1, keepdim=True)  # (B, 1, D)
    count = mask.sum(dim=1).clamp_min(1)[:, None, None]  # (B, 1, 1)
    return (s / count).detach() + s - s.detach()


class Word2VecNet(nn.Module):
    """The named tables of one variant (``input``; ``output`` with negative sampling;
    ``hs_nodes`` with hierarchical softmax) and the scores of one center's step."""

    def __init__(self, vocab_size: int, vector_size: int, cbow: bool = False, cbow_mean: bool = True,
                 negative: bool = True, hs: bool = False, sparse: bool = False,
                 subwords: tuple[np.ndarray, np.ndarray, int] | None = None) -> None:
        """``subwords``: (offsets, ids, rows): each word's n-gram rows as CSR arrays and the
        rows of the n-gram table (:func:`palabra2vec.variants.ngram_layout`)."""
        super().__init__()
        self.cbow, self.cbow_mean = cbow, cbow_mean
        self.input = nn.Embedding(vocab_size, vector_size, sparse=sparse)
        self.output = nn.Embedding(vocab_size, vector_size, sparse=sparse) if negative else None
        self.hs_nodes = nn.Embedding(max(0, vocab_size - 1), vector_size, sparse=sparse) if hs else None
        self.ngrams = None
        if subwords is not None:
            offsets, ids, rows = subwords
            self.ngrams = nn.Embedding(rows, vector_size, sparse=sparse)
            self.register_buffer("sub_offsets", torch.as_tensor(np.asarray(offsets, np.int64)), persistent=False)
            self.register_buffer("sub_ids", torch.as_tensor(np.asarray(ids, np.int64)), persistent=False)

    def tables(self) -> dict[str, torch.Tensor]:
        """The named tables (see :mod:`palabra2vec.variants`), as the module's weights."""
        named = {"input": self.input, "output": self.output, "hs_nodes": self.hs_nodes, "ngrams": self.ngrams}
        return {name: e.weight for name, e in named.items() if e is not None}

    def _subword_rows(self, contexts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each context word's own row plus its n-gram rows, summed (B, C, D), and how many
        n-grams it has (B, C). Every row takes the same step, as in fastText and gensim (the
        larger step of the word's own row, :data:`palabra2vec.variants.WORD_ROW_STEP`, is
        skip-gram + negative sampling's, :class:`.subword_model.SubwordSkipGram`)."""
        flat = contexts.reshape(-1)
        summed, counts = ngram_sums(self.ngrams, self.sub_offsets, self.sub_ids, flat)
        rows = self.input(flat) + summed
        return rows.reshape(*contexts.shape, -1), counts.reshape(contexts.shape)

    def inputs(self, contexts: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What predicts the center, and which of it is real: skip-gram, each context row
        (B, C, D) with ``mask`` (B, C); CBOW, the sum or (straight-through) mean of the rows
        (B, 1, D) with a mask of ones (B, 1)."""
        if self.ngrams is not None:
            return self._subword_inputs(contexts, mask)
        rows = self.input(contexts)  # (B, C, D)
        if not self.cbow:
            return rows, mask
        if self.cbow_mean:
            h = straight_through_mean(rows, mask)  # (B, 1, D)
        else:
            h = (rows * mask[..., None]).sum(dim=1, keepdim=True)  # (B, 1, D)
        return h, torch.ones_like(mask[:, :1])

    def _subword_inputs(self, contexts: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`inputs` with subwords: skip-gram, each context word's rows summed over its
        n-gram count (B, C, D); CBOW, the bag of all the context words' rows summed, over its
        size for the mean (B, 1, D). Straight through: every row gets the whole gradient."""
        rows, counts = self._subword_rows(contexts)  # (B, C, D), (B, C)
        if not self.cbow:
            n = counts.clamp(min=1).to(rows.dtype)[..., None]  # gensim's scale: 1 / n-grams
            return rows + (rows / n - rows).detach(), mask
        s = (rows * mask[..., None]).sum(dim=1, keepdim=True)  # (B, 1, D)
        if self.cbow_mean:
            size = ((1 + counts) * mask).sum(dim=1).clamp_min(1)[:, None, None]  # rows in the bag
            s = s + (s / size - s).detach()
        return s, torch.ones_like(mask[:, :1])

    def ns_scores(self, h: torch.Tensor, outs: torch.Tensor) -> torch.Tensor:
        """Scores (B, I, 1+K) of each input against the center and its K noise words (B, 1+K)."""
        return torch.bmm(h, self.output(outs).transpose(1, 2))  # (B, I, D) x (B, D, 1+K)

    def hs_scores(self, h: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """Scores (B, I, L) of each input against the inner nodes (B, L) of the center's path."""
        return torch.bmm(h, self.hs_nodes(points).transpose(1, 2))  # (B, I, D) x (B, D, L)

    def loss(self, contexts: torch.Tensor, ctx_mask: torch.Tensor, outs: torch.Tensor | None = None,
             points: torch.Tensor | None = None, codes: torch.Tensor | None = None,
             path_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Summed BCE of a batch of centers: ``contexts``/``ctx_mask`` (B, C); ``outs`` (B, 1+K)
        (center first) for negative sampling; ``points``/``codes``/``path_mask`` (B, L) for
        hierarchical softmax, label 1 - code (P(branch) = sigmoid(+-h . node))."""
        h, in_mask = self.inputs(contexts, ctx_mask)  # (B, I, D), (B, I)
        total = h.new_zeros(())
        if outs is not None:
            s = self.ns_scores(h, outs)  # (B, I, 1+K)
            labels = torch.zeros_like(s)
            labels[..., 0] = 1.0
            w = in_mask[..., None].expand_as(s)
            total = total + F.binary_cross_entropy_with_logits(s, labels, weight=w, reduction="sum")
        if points is not None:
            s = self.hs_scores(h, points)  # (B, I, L)
            labels = (1.0 - codes.float())[:, None, :].expand_as(s)
            w = in_mask[..., None] * path_mask[:, None, :]  # (B, I, L)
            total = total + F.binary_cross_entropy_with_logits(s, labels, weight=w, reduction="sum")
        return total
