"""The contract between the training loop and a backend, and the registry that picks one.

A *backend* trains the named tables of a model (:mod:`palabra2vec.variants`) on work items,
chunks of the encoded corpus. The :class:`~palabra2vec.training.train.Trainer`, checkpoints
and distributed averaging talk to it only through :class:`Backend`; they never look inside.

Backends register under a name in :data:`REGISTRY` (``fast``: the compiled kernel on CPU
threads; ``torch``: the readable autograd path, CPU or CUDA; ``batched``: shared-negative batches
as tensor operations, for GPUs). ``--backend auto`` takes the first of :data:`AUTO_ORDER` that can
run the config on the device.
"""

from __future__ import annotations

import importlib
from concurrent.futures import Executor
from typing import Any, Protocol

import numpy as np

from ..config import TrainConfig
from ..errors import UsageError
from .sampling import NoiseDistribution


class Backend(Protocol):
    """What every backend offers the trainer, checkpoints and distributed training."""

    #: True when work items run in rounds of ``threads`` items, item k of a round on slot k,
    #: with :meth:`end_round` after each round (same seed and threads: same vectors).
    deterministic: bool
    #: threads that may call :meth:`train_item` at once (1: the trainer calls it in order)
    threads: int
    #: corpus words per work item this backend asks for (None: ``config.chunk_words`` and the
    #: trainer's rules for deterministic rounds)
    item_words: int | None

    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        """Train on one work item (ids, ``-1`` between sentences) with the learning rate going
        from ``alpha0`` to ``alpha1``; return (summed loss, number of loss terms)."""
        ...

    def end_round(self, pool: Executor | None) -> None:
        """After a round of deterministic work items: apply the slots' updates in slot order."""
        ...

    def tables(self) -> dict[str, np.ndarray]:
        """The named tables as float32 NumPy arrays on CPU (copies when they live elsewhere)."""
        ...

    def live_tables(self) -> dict[str, Any]:
        """The tables as trained, updated in place (NumPy arrays or torch tensors on the device)."""
        ...

    def load_tables(self, tables: dict[str, np.ndarray]) -> None:
        """Overwrite the tables (resuming from a checkpoint)."""
        ...

    def optimizer_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """The optimizer's state as (tensors, JSON-able rest), or None when it has none."""
        ...

    def load_optimizer_state(self, tensors: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        """Restore what :meth:`optimizer_state` returned."""
        ...

    def release(self) -> None:
        """Free per-thread buffers once training ends (they hold no pending update)."""
        ...


class BackendFactory(Protocol):
    def unavailable(self, config: TrainConfig, device: str) -> str | None:
        """Why this backend cannot train ``config`` on ``device`` (None: it can)."""
        ...

    def __call__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> Backend:
        """``subwords`` (only with ``config.subwords``): each vocabulary word's n-gram rows as CSR
        arrays (offsets, ids), see :func:`palabra2vec.text.subwords.vocab_subwords`."""
        ...


#: name -> "module:Class"; imported only when chosen (the torch backend imports PyTorch).
REGISTRY: dict[str, str] = {
    "fast": "palabra2vec.training.fast_backend:FastBackend",
    "torch": "palabra2vec.training.torch_path:torch_path",
    "batched": "palabra2vec.training.batched_backend:BatchedBackend",
}
#: what ``--backend auto`` tries, in order: the compiled kernel on CPU, large shared-negative
#: batches on a GPU (SGD), the readable path for the rest (Adam)
AUTO_ORDER = ("fast", "batched", "torch")


def backend_class(name: str) -> BackendFactory:
    """The registered backend class called ``name``."""
    if name not in REGISTRY:
        raise UsageError(f"unknown backend {name!r} (known: {', '.join(REGISTRY)})")
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def resolve_backend(config: TrainConfig, device: str) -> str:
    """The backend to use: ``config.backend`` if it can run, else the first of AUTO_ORDER that can.
    ``config.draw_once`` (the notebook's pipeline) runs on the torch path only."""
    if config.draw_once:
        if config.backend not in ("auto", "torch"):
            raise UsageError(f"draw_once (the notebook preset) runs on the torch backend, not --backend {config.backend}")
        return "torch"
    if config.backend != "auto":
        why = backend_class(config.backend).unavailable(config, device)
        if why:
            raise UsageError(why)
        return config.backend
    reasons = []
    for name in AUTO_ORDER:
        why = backend_class(name).unavailable(config, device)
        if why is None:
            return name
        reasons.append(f"{name}: {why}")
    raise UsageError("no backend can train this model: " + "; ".join(reasons))
