"""A training callback that writes loss and words/s into the model directory as training goes.

``DIR/training_log.csv`` has one row per chunk (``kind = chunk``) and one per finished epoch
(``kind = epoch``), flushed as it is written, so it can be read (or plotted with
``palabra2vec plot loss DIR``) while training still runs or after it was interrupted::

    kind,epoch,progress,words_done,raw_words_done,seconds,loss,alpha,words_per_second
    chunk,1,0.0312,65536,71012,0.081,4.158320,0.024219,876690
    epoch,1,1.0000,2097152,2272400,2.531,3.101045,0.020000,897810

- ``progress``: epochs done, as a fraction (1.5 = half way through the second epoch);
- ``loss``: the trainer's running mean BCE per scored pair since the epoch began;
- ``words_per_second``: raw corpus words per second, over the last ``WINDOW`` chunks for a
  chunk row (threads finish chunks in bursts), over the whole epoch for an epoch row.
"""

from __future__ import annotations

import csv
import logging
import math
from collections import deque
import os
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import Palabra2vecError
from .train import TrainState

log = logging.getLogger(__name__)

LOG_NAME = "training_log.csv"
WINDOW = 8  #: chunks over which a chunk row's words/s is measured
COLUMNS = ("kind", "epoch", "progress", "words_done", "raw_words_done", "seconds", "loss", "alpha", "words_per_second")


class TrainingLog:
    """Callback: append a row to ``DIR/training_log.csv`` after every chunk and epoch.

    ``append=True`` (a resumed training) keeps the rows of the earlier run up to the point
    training resumes from; otherwise the file is started afresh when training begins.
    """

    def __init__(self, directory: str | os.PathLike[str], append: bool = False) -> None:
        self.path = Path(directory) / LOG_NAME
        self.append = append
        self._file: IO[str] | None = None
        self._writer: Any = None
        self._recent: deque[tuple[int, float]] = deque(maxlen=WINDOW + 1)  # (raw words, elapsed)

    # -- Trainer hooks -------------------------------------------------------------------
    def on_train_begin(self, state: TrainState) -> None:
        self._open(state)
        self._recent.clear()
        self._recent.append((state.raw_words_done, state.elapsed))

    def on_chunk_end(self, state: TrainState) -> None:
        self._recent.append((state.raw_words_done, state.elapsed))
        raw0, t0 = self._recent[0]
        dt = state.elapsed - t0
        wps = (state.raw_words_done - raw0) / dt if dt > 0 else 0.0
        self._row("chunk", state, wps)

    def on_epoch_end(self, state: TrainState) -> None:
        rec = state.history[-1] if state.history else {}
        self._row("epoch", state, float(rec.get("words_per_second", state.words_per_second)))

    def on_train_end(self, state: TrainState) -> None:
        self.close()

    # -- file ----------------------------------------------------------------------------
    def _open(self, state: TrainState | None = None) -> None:
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keep: list[list[str]] = []
        if self.append and self.path.is_file():
            # a resumed run: keep the rows up to the checkpoint it resumes from
            done = state.words_done if state is not None else float("inf")
            with open(self.path, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            if rows and tuple(rows[0]) == COLUMNS:
                keep = [r for r in rows[1:] if len(r) == len(COLUMNS) and _float(r[3]) <= done]
        try:
            self._file = open(self.path, "w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(COLUMNS)
            self._writer.writerows(keep)
            self._file.flush()
        except OSError as e:
            raise Palabra2vecError(f"cannot write the training log {self.path}: {e.strerror or e}") from e

    def _row(self, kind: str, st: TrainState, wps: float) -> None:
        if self._file is None:  # used without on_train_begin
            self._open()
        per_epoch = st.words_total / st.epochs if st.epochs and st.words_total else 0
        progress = st.words_done / per_epoch if per_epoch else float(st.epoch)
        try:
            self._writer.writerow([
                kind, st.epoch, f"{progress:.4f}", st.words_done, st.raw_words_done,
                f"{st.elapsed:.3f}", f"{st.loss:.6f}", f"{st.alpha:.6g}", f"{wps:.0f}",
            ])
            self._file.flush()  # readable while training goes on
        except OSError as e:  # a full disk: say so in one line
            raise Palabra2vecError(f"cannot write the training log {self.path}: {e.strerror or e}") from e

    def close(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            try:
                f.close()
            except OSError as e:  # the rows already written stay; the error was reported when it happened
                log.debug("closing the training log %s: %s", self.path, e)
            log.debug("training log written to %s", self.path)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # never a traceback from the garbage collector
            pass


def read_training_log(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The columns of a training log (a file or a model directory) as NumPy arrays.

    ``kind`` is an array of str; the other columns are float64 (``nan`` where a value is
    missing or not a number).
    """
    p = Path(path)
    if p.is_dir():
        p = p / LOG_NAME
    if not p.is_file():
        raise Palabra2vecError(f"no training log at {p} (written by 'palabra2vec train' since this version)")
    try:
        with open(p, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise Palabra2vecError(f"cannot read the training log {p}: {e}") from e
    if not rows or tuple(rows[0]) != COLUMNS:
        raise Palabra2vecError(f"{p} is not a palabra2vec training log (unexpected header)")
    body = [r for r in rows[1:] if len(r) == len(COLUMNS)]  # a row cut by a crash is skipped
    out: dict[str, np.ndarray] = {"kind": np.array([r[0] for r in body], dtype=str)}
    for j, name in enumerate(COLUMNS[1:], 1):
        out[name] = np.array([_float(r[j]) for r in body], dtype=np.float64)
    return out


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def log_from_history(history: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """A training log with epoch rows only, from a model's ``history.json`` records (for
    models trained without :class:`TrainingLog`)."""
    n = len(history)
    seconds = np.cumsum([float(h.get("seconds", math.nan)) for h in history]) if n else np.zeros(0)
    out: dict[str, np.ndarray] = {"kind": np.array(["epoch"] * n, dtype=str)}
    out["epoch"] = np.array([float(h.get("epoch", i + 1)) for i, h in enumerate(history)])
    out["progress"] = out["epoch"].copy()
    out["seconds"] = np.asarray(seconds, dtype=np.float64)
    out["loss"] = np.array([float(h.get("loss", math.nan)) for h in history])
    out["words_per_second"] = np.array([float(h.get("words_per_second", math.nan)) for h in history])
    for name in ("words_done", "raw_words_done", "alpha"):
        out[name] = np.full(n, math.nan)
    return out


__all__ = ["TrainingLog", "read_training_log", "log_from_history", "LOG_NAME", "COLUMNS"]
