"""The readable backend: the notebook's padded batches through ``SkipGram`` and autograd."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .batches import iter_batches
from ..config import TrainConfig
from .model import SkipGram, masked_bce_loss
from .sampling import NoiseDistribution
from .torch_variants import train_variant_item, variant_model


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

    deterministic = False
    item_words: int | None = None
    threads = 1  # one work item at a time; PyTorch uses the config's threads inside each step

    @staticmethod
    def unavailable(config: TrainConfig, device: str) -> str | None:
        return None  # runs every config on every device PyTorch knows

    def __init__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config, self.device, self.keep, self.noise = config, torch.device(device), keep, noise
        torch.set_num_threads(config.threads)
        sgd = config.optimizer == "sgd"
        V, D = tables["input"].shape
        # CBOW and/or hierarchical softmax: Word2VecNet and its batches (torch_variants.py)
        self.variant = config.model != "sg" or config.hs
        if self.variant:  # (with --subwords, Word2VecNet composes the n-gram rows too)
            sub = None if subwords is None else (*subwords, tables["ngrams"].shape[0])
            self.model = variant_model(config, V, D, sgd, noise, sub)
        elif subwords is not None:  # fastText's subword model (--subwords)
            from .subword_model import SubwordSkipGram

            self.model: SkipGram = SubwordSkipGram(V, D, tables["ngrams"].shape[0], *subwords, sparse=sgd)
        else:
            self.model = SkipGram(V, D, sparse=sgd)
        self.load_tables(tables)
        self.model.to(self.device)
        self.optimizer: torch.optim.Optimizer | None = None
        if not sgd:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.alpha)
        # SGD follows word2vec.c: the summed loss; Adam follows the notebook: per-example means
        self.reduction = "sum" if sgd else "example_mean"

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        cfg = self.config
        rng = np.random.default_rng(seed)
        if self.variant:
            return train_variant_item(self, chunk, alpha0, alpha1, rng, sparse_sgd_step)
        batches = list(iter_batches(chunk, self.keep, self.noise, cfg.window, cfg.negative, cfg.batch_size, rng))
        loss_sum = torch.zeros((), device=self.device)  # summed on the device: no host sync per step
        terms = torch.zeros((), dtype=torch.long, device=self.device)
        for i, batch in enumerate(batches):
            center, ctx_neg, mask, label = batch.to(self.device)
            scores = self.model(center, ctx_neg)  # (B, 1, L)
            loss = masked_bce_loss(scores, label, mask, self.reduction)
            self.model.zero_grad(set_to_none=True)
            loss.sum().backward()
            if self.optimizer is None:
                lr = alpha0 + (alpha1 - alpha0) * i / max(1, len(batches))
                for table in self.model.tables().values():
                    sparse_sgd_step(table, lr)
            else:
                self.optimizer.step()
            with torch.no_grad():
                loss_sum += masked_bce_loss(scores.detach(), label, mask, "sum")
                terms += mask.sum().long()
        return float(loss_sum), int(terms)  # one synchronisation per work item

    def end_round(self, pool: Any = None) -> None:
        return None

    def release(self) -> None:
        return None

    def tables(self) -> dict[str, np.ndarray]:
        return {name: t.detach().cpu().numpy().copy() for name, t in self.model.tables().items()}

    def live_tables(self) -> dict[str, torch.Tensor]:
        return {name: t.data for name, t in self.model.tables().items()}

    def load_tables(self, tables: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for name, t in self.model.tables().items():
                t.copy_(torch.from_numpy(np.asarray(tables[name])))

    def optimizer_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """Adam's state: its tensors (``optim.<param>.<name>``) and a JSON-able rest."""
        if self.optimizer is None:
            return None
        sd = self.optimizer.state_dict()
        tensors: dict[str, np.ndarray] = {}
        rest: dict[str, Any] = {"param_groups": sd["param_groups"], "state": {}}
        for pid, pstate in sd["state"].items():
            for key, value in pstate.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optim.{pid}.{key}"] = np.ascontiguousarray(value.detach().cpu().numpy())
                else:
                    rest["state"].setdefault(str(pid), {})[key] = value
        return tensors, rest

    def load_optimizer_state(self, tensors: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        if self.optimizer is None:
            return
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, pid, name = key.split(".", 2)
                state.setdefault(int(pid), {})[name] = torch.from_numpy(np.array(value))
        for pid, extra in rest.get("state", {}).items():
            state.setdefault(int(pid), {}).update(extra)
        self.optimizer.load_state_dict({"state": state, "param_groups": rest["param_groups"]})
