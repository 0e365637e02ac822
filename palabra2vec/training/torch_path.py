"""The ``torch`` backend as the registry builds it: the readable autograd path, plain or with
the notebook's examples drawn once (``TrainConfig.draw_once``)."""

from __future__ import annotations

import numpy as np

from ..config import TrainConfig
from .notebook_backend import DrawOnceBackend
from .sampling import NoiseDistribution
from .torch_backend import TorchBackend


class _TorchPath:
    """The ``torch`` backend's factory: :class:`TorchBackend`, or its variant that draws the
    examples once and reuses them every epoch when ``config.draw_once`` (the notebook preset,
    :class:`palabra2vec.training.notebook_backend.DrawOnceBackend`)."""

    unavailable = staticmethod(TorchBackend.unavailable)

    def __call__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> TorchBackend:
        if config.draw_once:
            return DrawOnceBackend(config, device, keep, noise, tables, subwords)
        return TorchBackend(config, device, keep, noise, tables, subwords)


torch_path = _TorchPath()
