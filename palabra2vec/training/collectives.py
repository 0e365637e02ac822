"""Joining the process group torchrun describes, and collectives that fail in one line."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from ..errors import Palabra2vecError, UsageError

log = logging.getLogger(__name__)


#: Test hook: rank R exits (code 3) at its first sync when this is "R", or hangs if "R:hang".
DIE_ENV = "PALABRA2VEC_TEST_DIE_RANK"


def init(device: str | None = None) -> None:
    """Join the process group torchrun describes (gloo for CPU tensors, NCCL for CUDA ones)."""
    if dist.is_initialized():
        return
    if "MASTER_ADDR" not in os.environ or "RANK" not in os.environ:
        raise UsageError("WORLD_SIZE > 1 but RANK/MASTER_ADDR are not set: launch with torchrun")
    timeout = timedelta(seconds=float(os.environ.get("PALABRA2VEC_DIST_TIMEOUT", "600")))
    backend = "gloo"
    if device is not None and device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = "cpu:gloo,cuda:nccl"
    dist.init_process_group(backend=backend, timeout=timeout)
    log.info("rank %d of %d joined (%s, timeout %s)", dist.get_rank(), dist.get_world_size(), backend, timeout)


def collective(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a collective; a dead or stuck peer becomes a one-line Palabra2vecError."""
    try:
        return fn(*args, **kwargs)
    except (RuntimeError, dist.DistBackendError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Palabra2vecError(f"rank {dist.get_rank()}: {what} failed, another rank probably died or "
                               f"hung ({first[:200]})") from e
