"""Keeping the ranks of a distributed run in agreement: periodic averaging of table updates.

Local SGD (pWord2Vec, Ji et al. 2016; BlazingText, Gupta & Khare 2017): each rank trains its
shard, and every ``sync_every`` words the updates since the last sync are combined with one
dense ``all_reduce`` over every named table of the model.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import torch
import torch.distributed as dist

from ..errors import UsageError
from .collectives import DIE_ENV, collective

log = logging.getLogger(__name__)


def _live_tables(trainer: Any) -> list[torch.Tensor]:
    """The tables the backend trains, in place (not copies), on their device, in name order."""
    live = trainer.backend.live_tables()
    return [t if isinstance(t, torch.Tensor) else torch.from_numpy(t) for _, t in sorted(live.items())]


class ModelAverager:
    """Callback: every ``sync_every`` words (all ranks together) average the tables' updates.

    With ``ref`` the tables at the last sync and ``d_r = W_r - ref`` rank r's update since,
    the new tables are ``ref + sum_r d_r / n`` where ``n`` is 1 (``average="sum"``, the
    default: each word occurrence gives one SGD step, as in one process, from tables at most
    S words stale), per row the number of ranks whose update of that row is nonzero
    (``"rows"``), or the number of ranks (``"mean"``: plain model averaging, as pWord2Vec and
    BlazingText, whose learning rate is then divided by the number of ranks). At 2 ranks
    "sum" kept the single-process quality and the others lost (README, "Training on several machines").
    One all_reduce per sync carries every table's update plus a row count per table:
    ``(2 V D + 2 V) * 4`` bytes for skip-gram's two (V, D) tables. Updates written by other threads while the sync runs are
    kept (the correction is added, the tables are not overwritten).
    """

    def __init__(self, sync_every: int, average: str = "sum") -> None:
        if sync_every < 1:
            raise UsageError("--sync-every must be at least 1 word")
        if average not in ("rows", "mean", "sum"):
            raise UsageError(f"unknown averaging {average!r} (rows, mean, sum)")
        self.sync_every, self.average = sync_every, average
        self.syncs, self.seconds, self.bytes = 0, 0.0, 0
        self.touched = 0.0  #: summed fraction of rows this rank changed between syncs
        self.trainer: Any = None

    def attach(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, state: Any) -> None:
        self.tables = _live_tables(self.trainer)
        for t in self.tables:  # every rank starts from rank 0's tables
            collective("initial broadcast", dist.broadcast, t, src=0)
        self.refs = [t.clone() for t in self.tables]
        mine = torch.tensor([state.words_total], dtype=torch.int64)
        collective("word-count exchange", dist.all_reduce, mine)
        self.n_syncs = max(1, round(int(mine) / self.sync_every))
        self.local_total = max(1, state.words_total)
        self.next = 1
        log.info("averaging the tables %d times (every %d words over %d ranks, %s)", self.n_syncs,
                 self.sync_every, dist.get_world_size(), self.average)

    def on_chunk_end(self, state: Any) -> None:
        while self.next <= self.n_syncs and state.words_done * self.n_syncs >= self.next * self.local_total:
            self.sync()

    def on_train_end(self, state: Any) -> None:
        while self.next <= self.n_syncs:  # the same number of collectives on every rank
            self.sync()

    @torch.no_grad()
    def sync(self) -> None:
        """One averaging round (a collective: every rank must call it)."""
        test = os.environ.get(DIE_ENV, "").split(":")
        if test[0] == str(dist.get_rank()):  # test hook: "R" exits, "R:hang" stops answering
            log.error("rank %d %s on purpose (%s is set)", dist.get_rank(), "hangs" if test[-1] == "hang" else "exits", DIE_ENV)
            if test[-1] == "hang":
                time.sleep(3600)
            os._exit(3)
        t0 = time.perf_counter()
        deltas = [t - r for t, r in zip(self.tables, self.refs)]  # (V, D) each
        touched = [(d != 0).any(dim=1).to(d.dtype) for d in deltas]  # (V,) each
        buf = torch.cat([d.reshape(-1) for d in deltas] + touched)
        self.touched += float(sum(t.sum() for t in touched)) / sum(len(t) for t in touched)
        collective("table averaging", dist.all_reduce, buf)
        world = dist.get_world_size()
        pos = 0
        sums = []
        for d in deltas:
            sums.append(buf[pos: pos + d.numel()].view_as(d))
            pos += d.numel()
        for t, r, d, s in zip(self.tables, self.refs, deltas, sums):
            n = buf[pos: pos + len(d)].clamp_(min=1)  # (V,) ranks that changed each row
            pos += len(d)
            avg = s / n[:, None] if self.average == "rows" else s / world if self.average == "mean" else s  # (V, D)
            t.add_(avg - d)  # = ref + avg, plus whatever threads wrote meanwhile
            r.add_(avg)
        self.syncs += 1
        self.next += 1
        self.bytes += buf.numel() * buf.element_size()
        self.seconds += time.perf_counter() - t0
