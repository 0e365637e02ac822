"""The torch backend's CBOW / hierarchical-softmax step: :class:`Word2VecNet` on
:func:`iter_variant_batches`, SGD (word2vec.c's summed loss, linear decay) or Adam (the mean
loss per center)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import TrainConfig
from .huffman import build_huffman
from .sampling import NoiseDistribution
from .variant_batches import iter_variant_batches
from .variant_model import Word2VecNet


def variant_model(config: TrainConfig, vocab_size: int, vector_size: int, sparse: bool,
                  noise: NoiseDistribution,
                  subwords: tuple[np.ndarray, np.ndarray, int] | None = None) -> Word2VecNet:
    """The readable model of ``config``'s variant, with its Huffman tree (``.tree``, or None);
    ``subwords`` (offsets, ids, n-gram rows) with ``--subwords``."""
    model = Word2VecNet(vocab_size, vector_size, cbow=config.model == "cbow", cbow_mean=config.cbow_mean,
                        negative=config.negative > 0, hs=config.hs, sparse=sparse, subwords=subwords)
    model.tree = build_huffman(noise.counts) if config.hs and vocab_size > 1 else None
    return model


def train_variant_item(backend: Any, chunk: np.ndarray, alpha0: float, alpha1: float, rng: np.random.Generator,
                       sgd_step: Callable[[Any, float], None]) -> tuple[float, int]:
    """Train one work item on the torch backend's Word2VecNet; return (loss sum, loss terms).
    ``sgd_step(table, lr)`` applies a table's sparse gradient (the backend's ``sparse_sgd_step``)."""
    cfg, model = backend.config, backend.model
    batches = list(iter_variant_batches(chunk, backend.keep, backend.noise, cfg.window, cfg.negative,
                                        model.tree, cfg.batch_size, rng))
    loss_sum, terms = 0.0, 0
    for i, batch in enumerate(batches):
        b = batch.to(backend.device)
        loss = model.loss(b.contexts, b.ctx_mask, b.outs, b.points, b.codes, b.path_mask)
        model.zero_grad(set_to_none=True)
        if backend.optimizer is None:
            loss.backward()
            lr = alpha0 + (alpha1 - alpha0) * i / max(1, len(batches))
            for table in model.tables().values():
                if table.grad is not None:
                    sgd_step(table, lr)
        else:
            (loss / b.contexts.shape[0]).backward()
            backend.optimizer.step()
        loss_sum += float(loss.detach())
        terms += batch.terms(model.cbow)
    return loss_sum, terms
