"""The torch backend with the notebook's examples drawn once and reused every epoch.

Selected by ``TrainConfig.draw_once`` (``--preset notebook``); see
:mod:`palabra2vec.training.notebook` for why the notebook does this and what it changes.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np

from ..config import TrainConfig
from .batches import pack_batch
from .model import masked_bce_loss
from .notebook import Examples, draw_examples
from .sampling import NoiseDistribution
from .torch_backend import TorchBackend, sparse_sgd_step

log = logging.getLogger(__name__)


def _digest(chunk: np.ndarray, size: int) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(chunk).tobytes(), digest_size=size).digest()


def chunk_rng(seed: int, chunk: np.ndarray) -> np.random.Generator:
    """A generator that depends on the run's seed and the chunk's content, not on the epoch:
    the same examples every epoch, and again after a resume."""
    return np.random.default_rng([seed, int.from_bytes(_digest(chunk, 8), "little")])


class DrawOnceBackend(TorchBackend):
    """The torch backend, but each chunk's examples (subsampling, windows, negatives) are
    drawn on its first epoch and reused, in a new random order, on every later one.

    The loss it reports is the notebook's: the mean over examples of each example's mean
    loss (a center with 2 contexts weighs as much as one with 10), not the mean per scored
    pair that the other backends report.
    """

    def __init__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__(config, device, keep, noise, tables, subwords)
        self._examples: dict[bytes, Examples] = {}

    def examples(self, chunk: np.ndarray) -> Examples:
        """The chunk's examples, drawn the first time it is seen."""
        key = _digest(chunk, 16)
        ex = self._examples.get(key)
        if ex is None:
            cfg = self.config
            ex = draw_examples(chunk, self.keep, self.noise, cfg.window, cfg.negative, chunk_rng(cfg.seed, chunk))
            self._examples[key] = ex
            log.info("drawn once, reused every epoch: %s centers, %s center-context pairs",
                     f"{len(ex):,}", f"{int(ex.mask.sum()):,}")
        return ex

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        cfg = self.config
        ex = self.examples(chunk)
        order = np.random.default_rng(seed).permutation(len(ex))  # a new order every epoch
        n_batches = -(-len(ex) // cfg.batch_size)
        loss_sum = 0.0
        for i in range(n_batches):
            sl = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
            batch = pack_batch(ex.centers[sl], ex.contexts[sl], ex.mask[sl], ex.negatives[sl], ex.neg_mask[sl])
            center, ctx_neg, mask, label = batch.to(self.device)
            scores = self.model(center, ctx_neg)  # (B, 1, L)
            per_example = masked_bce_loss(scores, label, mask, "example_mean")  # (B,)
            if self.reduction == "example_mean":  # adam: the notebook's sum of example means
                loss = per_example.sum()
            else:  # sgd: word2vec.c's summed loss, as the torch backend
                loss = masked_bce_loss(scores, label, mask, "sum")
            self.model.zero_grad(set_to_none=True)
            loss.backward()
            if self.optimizer is None:
                lr = alpha0 + (alpha1 - alpha0) * i / max(1, n_batches)
                for table in self.model.tables().values():
                    sparse_sgd_step(table, lr)
            else:
                self.optimizer.step()
            loss_sum += float(per_example.detach().sum())
        return loss_sum, len(ex)

    def release(self) -> None:
        """Drop the stored examples once training ends."""
        self._examples = {}
