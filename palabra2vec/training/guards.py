"""Divergence guard: training stops with a clear error once the loss or the tables are not finite.

Too large a learning rate makes SGD overflow: the tables fill with inf and then NaN, while the
fast kernel's loss (scores clipped to +-20) may still look finite. :class:`FiniteGuard` is the
trainer's first callback, so a diverged state is never checkpointed:

- after every work item: the running loss, and the rows of the most frequent words (where
  divergence shows first: they get the most updates) — at most ``ROW_BUDGET`` values per
  table, tens of microseconds (in deterministic rounds both threads wait while the trainer's
  thread runs it: 1,000,000 values a table cost 3.5 ms a round, 7 % of CBOW + HS's training
  on corpus-es; benchmarks/RESULTS.md, round 7);
- before every checkpoint and at every epoch end: every row of both tables.

:func:`palabra2vec.storage.save_model` refuses non-finite tables as well, so a NaN model is
never saved as a result.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import Palabra2vecError

#: values per table checked after each work item (the 1,000 most frequent words at 100 dims)
ROW_BUDGET = 100_000


class DivergenceError(Palabra2vecError):
    """Training produced NaN or infinite values (the learning rate is too large)."""


def non_finite_rows(table: np.ndarray) -> int:
    """Rows of a (V, D) table holding a NaN or an infinity."""
    with np.errstate(invalid="ignore", over="ignore"):
        # one pass in the table's own precision; a NaN or inf anywhere makes the sum so (a sum
        # that overflows from finite values falls through to the exact count, which says 0)
        if np.isfinite(table.sum()):
            return 0
    return int((~np.isfinite(table)).any(axis=1).sum())


class FiniteGuard:
    """Callback: raise :class:`DivergenceError` as soon as training stops being finite."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def _fail(self, state: Any, what: str) -> None:
        c = self.trainer.config
        where = f"epoch {state.epoch}, work item {state.item}" if state.item else f"epoch {state.epoch}"
        hint = (f"the learning rate alpha={c.alpha:g} is too large for this corpus and settings: "
                f"train again with a smaller --alpha (e.g. {c.alpha / 10:g})")
        raise DivergenceError(f"training diverged ({where}): {what}; {hint}")

    def _check_tables(self, state: Any, rows: int | None) -> None:
        tables = self.trainer.tables() if rows is None else self.trainer.backend.live_tables()
        for name, table in tables.items():
            part = table if rows is None else table[:rows]
            bad = non_finite_rows(part)
            if bad:
                self._fail(state, f"{bad:,} rows of the {name} table are NaN or infinite")

    def on_chunk_end(self, state: Any) -> None:
        if state.epoch_terms and not math.isfinite(state.loss):
            self._fail(state, f"the loss is {state.loss}")
        live = self.trainer.backend.live_tables()
        if all(isinstance(t, np.ndarray) for t in live.values()):  # on the CPU a slice costs nothing
            d = self.trainer.config.vector_size
            self._check_tables(state, max(1, ROW_BUDGET // d))

    def on_checkpoint(self, state: Any) -> None:
        self._check_tables(state, None)

    def on_epoch_end(self, state: Any) -> None:
        self._check_tables(state, None)

    def on_train_end(self, state: Any) -> None:
        if state.stop:  # stopped early: a checkpoint and a model are about to be written
            self._check_tables(state, None)
