"""The readable backend: the notebook's padded batches through ``SkipGram`` and autograd."""

from __future__ import annotations

import numpy as np
import torch

from .batches import iter_batches
from ..config import TrainConfig
from .model import SkipGram, masked_bce_loss
from .sampling import NoiseDistribution


@torch.no_grad()
def sparse_sgd_step(weight: torch.Tensor, lr: float) -> None:
    """SGD on a sparse embedding gradient, each row's summed gradient divided by the square
    root of how often the row was looked up in the batch.

    Hogwild word2vec applies one pair at a time, so a frequent word's vector moves and is
    re-scored before its next update; a minibatch sums all of a row's gradients at the old
    value. Measured (Don Quijote, 3 epochs; a small repetitive corpus, 5 epochs, alpha 0.05):
    the plain sum learns (loss 0.443) but diverges to NaN on the small corpus; the per-row
    mean is stable but barely learns (0.493, and 0.693 = log 2 on the small corpus); 1/sqrt(n)
    learns as fast as the sum (0.444) and stays stable (0.69 -> 0.25). Rows seen once get
    word2vec.c's step exactly.
    """
    g = weight.grad  # sparse, uncoalesced: one entry per lookup
    idx, vals = g._indices()[0], g._values()  # (N,), (N, D)
    rows, inverse, counts = torch.unique(idx, return_inverse=True, return_counts=True)
    summed = torch.zeros(len(rows), weight.shape[1], dtype=vals.dtype, device=vals.device)
    summed.index_add_(0, inverse, vals)  # (R, D)
    weight.index_add_(0, rows, summed * counts[:, None].to(vals.dtype).rsqrt(), alpha=-lr)


class TorchBackend:
    """SkipGram + masked BCE + autograd; SGD (linear decay, see sparse_sgd_step) or Adam; CPU or CUDA."""

    def __init__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 syn0: np.ndarray, syn1: np.ndarray) -> None:
        self.config, self.device, self.keep, self.noise = config, torch.device(device), keep, noise
        torch.set_num_threads(config.threads)
        sgd = config.optimizer == "sgd"
        V, D = syn0.shape
        self.model = SkipGram(V, D, sparse=sgd)
        with torch.no_grad():
            self.model.input.weight.copy_(torch.from_numpy(syn0))
            self.model.output.weight.copy_(torch.from_numpy(syn1))
        self.model.to(self.device)
        self.optimizer: torch.optim.Optimizer | None = None
        if not sgd:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.alpha)
        # SGD follows word2vec.c: the summed loss; Adam follows the notebook: per-example means
        self.reduction = "sum" if sgd else "example_mean"

    def train_chunk(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int) -> tuple[float, int]:
        cfg = self.config
        rng = np.random.default_rng(seed)
        batches = list(iter_batches(chunk, self.keep, self.noise, cfg.window, cfg.negative, cfg.batch_size, rng))
        loss_sum, terms = 0.0, 0
        for i, batch in enumerate(batches):
            center, ctx_neg, mask, label = batch.to(self.device)
            scores = self.model(center, ctx_neg)  # (B, 1, L)
            loss = masked_bce_loss(scores, label, mask, self.reduction)
            self.model.zero_grad(set_to_none=True)
            loss.sum().backward()
            if self.optimizer is None:
                lr = alpha0 + (alpha1 - alpha0) * i / max(1, len(batches))
                for table in (self.model.input.weight, self.model.output.weight):
                    sparse_sgd_step(table, lr)
            else:
                self.optimizer.step()
            with torch.no_grad():
                per_pos = masked_bce_loss(scores.detach(), label, mask, "sum")
            loss_sum += float(per_pos)
            terms += int(mask.sum())
        return loss_sum, terms

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.model.input.weight.detach().cpu().numpy().copy(),
                self.model.output.weight.detach().cpu().numpy().copy())

    def load_tables(self, syn0: np.ndarray, syn1: np.ndarray) -> None:
        """Overwrite the tables (resuming from a checkpoint)."""
        with torch.no_grad():
            self.model.input.weight.copy_(torch.from_numpy(np.asarray(syn0)))
            self.model.output.weight.copy_(torch.from_numpy(np.asarray(syn1)))
