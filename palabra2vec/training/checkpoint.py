"""Checkpoints: save a training run's position and tables, and continue from them.

A checkpoint is one file, ``DIR/checkpoint.safetensors``, written atomically (temporary
file, fsync, rename: :func:`palabra2vec.fileio.write_all`), so a kill at any moment
leaves the previous checkpoint whole. It holds

- tensors: the model's named tables (``input``, ``output``, ...: :mod:`palabra2vec.variants`),
  and the optimizer's tensors when it has any (``optim.<param>.<name>``, e.g. Adam's ``exp_avg``);
- metadata (JSON strings, nothing executable): the format and version, the config, the
  position ``(epoch, item, words_done, raw_words_done)``, the epoch's running loss, the
  history, a fingerprint of the vocabulary and the optimizer's non-tensor state.

Training randomness is drawn per work item from ``(seed, epoch, item)`` and work items are
cut deterministically from the encoded corpus, so the tables plus the position (plus the
optimizer state) are all a run needs to continue exactly. Checkpoints are taken only when
no work item is in flight (see ``TrainState.checkpoint_requested``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..config import TrainConfig
from ..errors import Palabra2vecError, UsageError
from ..fileio import read_tables, write_all, write_tables
from .train import Trainer, TrainState
from ..text.vocab import Vocab
from ..variants import check_tables, compact_ngrams

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.safetensors"
FORMAT = "palabra2vec-checkpoint"
FORMAT_VERSION = 1
#: Default time between checkpoints (``--checkpoint-every``).
DEFAULT_EVERY = "5m"
#: The command line writes an epoch-end checkpoint only when the last one is at least this many
#: seconds old (at every epoch end when ``--checkpoint-every`` is shorter): a checkpoint of a
#: subword model of corpus-es (130 MB of tables) took 0.48 s of a 7-8 s epoch (RESULTS.md, round 6).
CLI_EPOCH_END_AFTER = 60.0
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\s*$", re.I)


def parse_duration(text: str) -> float:
    """Seconds in ``'30s'``, ``'5m'``, ``'1h'``, ``'0.2s'`` or a bare number of seconds.

    >>> parse_duration("5m"), parse_duration("1.5h"), parse_duration("30")
    (300.0, 5400.0, 30.0)
    """
    m = _DURATION.match(str(text))
    if not m:
        raise UsageError(f"bad duration {text!r}: use a number with s, m or h, like 30s, 5m, 1h")
    seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if seconds <= 0:
        raise UsageError(f"duration {text!r} must be more than 0 seconds")
    return seconds


def vocab_fingerprint(vocab: Vocab) -> str:
    """SHA-256 of the words and counts, in row order: equal vocabularies, equal prints."""
    h = hashlib.sha256()
    for w, c in zip(vocab.index_to_key, vocab.counts.tolist()):
        h.update(f"{w}\t{c}\n".encode("utf-8"))
    return h.hexdigest()


def save_checkpoint(directory: str | os.PathLike[str], trainer: Trainer) -> Path:
    """Write ``directory/checkpoint.safetensors`` for ``trainer`` at its current position.

    Call only when no work item is in flight (``on_checkpoint``, ``on_epoch_end``,
    ``on_train_end``).
    """

    st = trainer.state
    complete = len(st.history) >= st.epoch and st.epoch > 0  # the current epoch is done
    position = {
        "epoch": st.epoch + 1 if complete else max(1, st.epoch),
        "item": 0 if complete else st.item,
        "words_done": st.words_done,
        "raw_words_done": st.raw_words_done,
        "epoch_loss": st.epoch_loss if not complete else 0.0,
        "epoch_terms": st.epoch_terms if not complete else 0,
        "offset": 0 if complete else st.offset,  # corpus ids of the epoch done
        "item_words": trainer.item_words,  # how work items were cut
        "loss": st.loss,
        "elapsed": st.elapsed,
    }
    tensors = {name: np.ascontiguousarray(t, dtype=np.float32) for name, t in trainer.tables().items()}
    opt = trainer.backend.optimizer_state()
    opt_tensors, opt_rest = opt if opt is not None else ({}, None)
    tensors.update(opt_tensors)
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "backend": trainer.backend_name,
        "config": json.dumps(trainer.config.to_dict()),
        "position": json.dumps(position),
        "history": json.dumps(st.history),
        "chunk_losses": json.dumps(st.chunk_losses),
        "vocab_size": str(len(trainer.vocab)),
        "vocab_sha256": vocab_fingerprint(trainer.vocab),
        "optimizer": json.dumps(opt_rest),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        # streamed to a synced temporary file, then renamed: a kill leaves the old checkpoint
        write_all(d, {CHECKPOINT: lambda path: write_tables(path, tensors, meta)})
    except OSError as e:
        raise Palabra2vecError(f"cannot write the checkpoint in {d}: {e.strerror or e}") from e
    log.debug("checkpoint: epoch %d item %d (%d words done) -> %s", position["epoch"], position["item"],
             st.words_done, d / CHECKPOINT)
    return d / CHECKPOINT


def has_checkpoint(directory: str | os.PathLike[str]) -> bool:
    return (Path(directory) / CHECKPOINT).is_file()


def read_checkpoint(directory: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The tensors and decoded metadata of ``directory``'s checkpoint, checked."""
    path = Path(directory) / CHECKPOINT
    if not path.is_file():
        raise Palabra2vecError(f"no checkpoint in {directory} (nothing to resume; train without --resume)")
    tensors, raw = read_tables(path)  # checksums and finiteness checked
    if raw.get("format") != FORMAT:
        raise Palabra2vecError(f"{path} is not a palabra2vec checkpoint")
    if raw.get("format_version") != str(FORMAT_VERSION):
        raise Palabra2vecError(f"{path} has checkpoint format version {raw.get('format_version')}; "
                               f"this palabra2vec reads {FORMAT_VERSION}")
    try:
        meta = {
            "backend": raw["backend"],
            "config": json.loads(raw["config"]),
            "position": json.loads(raw["position"]),
            "history": json.loads(raw["history"]),
            "chunk_losses": json.loads(raw.get("chunk_losses", "[]")),
            "vocab_size": int(raw["vocab_size"]),
            "vocab_sha256": raw["vocab_sha256"],
            "optimizer": json.loads(raw.get("optimizer", "null")),
        }
    except (KeyError, ValueError) as e:
        raise Palabra2vecError(f"{path} has damaged metadata: {e}") from e
    if "input" not in tensors:
        raise Palabra2vecError(f"{path} lacks the input table")
    return tensors, meta


def checkpoint_config(directory: str | os.PathLike[str]) -> TrainConfig:
    """The config a checkpoint was trained with."""
    return TrainConfig.from_dict(read_checkpoint(directory)[1]["config"])


def restore(trainer: Trainer, directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Load ``directory``'s checkpoint into a fresh ``trainer``; return its position.

    Fails clearly when the trainer's vocabulary (the re-encoded corpus) or table shape is
    not the checkpoint's.
    """
    tensors, meta = read_checkpoint(directory)
    v = trainer.vocab
    if meta["vocab_size"] != len(v) or meta["vocab_sha256"] != vocab_fingerprint(v):
        raise UsageError(
            f"the corpus gives a different vocabulary ({len(v):,} words) than the checkpoint in "
            f"{directory} ({meta['vocab_size']:,} words): resume with the same corpus and settings"
        )
    tables = {k: t for k, t in tensors.items() if not k.startswith("optim.")}
    if trainer.ngram_layout is not None:  # a checkpoint of model format 2: full n-gram table
        tables = compact_ngrams(tables, trainer.config, trainer.ngram_layout)
    wrong = check_tables(tables, trainer.config, len(v), trainer.ngram_rows)
    if wrong:
        raise Palabra2vecError(f"the checkpoint in {directory} does not fit this model: {wrong}")
    if meta["backend"] != trainer.backend_name:
        log.warning("checkpoint was trained with the %s backend, continuing with %s", meta["backend"], trainer.backend_name)
    trainer.backend.load_tables(tables)
    if meta["optimizer"] is not None:
        try:
            trainer.backend.load_optimizer_state(tensors, meta["optimizer"])
        except (KeyError, ValueError, RuntimeError) as e:
            raise Palabra2vecError(f"the checkpoint's optimizer state does not fit this model: {e}") from e
    pos = meta["position"]
    st: TrainState = trainer.state
    st.words_done, st.raw_words_done = int(pos["words_done"]), int(pos["raw_words_done"])
    st.epoch_loss, st.epoch_terms = float(pos["epoch_loss"]), int(pos["epoch_terms"])
    st.loss, st.elapsed = float(pos["loss"]), float(pos["elapsed"])
    st.history = list(meta["history"])
    st.chunk_losses = [tuple(x) for x in meta["chunk_losses"]]
    trainer.start_epoch, trainer.start_item = int(pos["epoch"]), int(pos["item"])
    trainer.start_offset, trainer.resume_item_words = int(pos.get("offset", 0)), pos.get("item_words")
    st.epoch, st.item = trainer.start_epoch - 1 if trainer.start_item == 0 else trainer.start_epoch, trainer.start_item
    st.offset = trainer.start_offset
    log.info("resuming at epoch %d, work item %d (%d words done)", trainer.start_epoch, trainer.start_item, st.words_done)
    return pos


class Checkpointer:
    """Callback: checkpoint every ``every`` seconds (when quiescent), at each epoch end (only
    those at least ``epoch_end_after`` seconds after the last checkpoint) and when training
    stops early. When training finishes, the checkpoint is removed (nothing
    is left to resume) unless ``keep_when_done``: the command line keeps it until the model
    is saved."""

    def __init__(self, directory: str | os.PathLike[str], trainer: Trainer | None = None,
                 every: float | str = DEFAULT_EVERY, keep_when_done: bool = False,
                 epoch_end_after: float = 0.0) -> None:
        self.directory = Path(directory)
        self.keep_when_done = keep_when_done
        #: an epoch's end is checkpointed only when the last checkpoint (or the start of
        #: training) is at least this many seconds old; 0: at every epoch end
        self.epoch_end_after = float(epoch_end_after)
        self.trainer = trainer  #: set by :meth:`attach` when the trainer is built later
        self.every = parse_duration(every) if isinstance(every, str) else float(every)
        self._last = time.monotonic()
        self.saved = 0  #: checkpoints written

    def attach(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def _save(self) -> None:
        if self.trainer is not None:
            save_checkpoint(self.directory, self.trainer)
            self.saved += 1
        self._last = time.monotonic()

    def on_train_begin(self, state: TrainState) -> None:
        self._last = time.monotonic()

    def on_chunk_end(self, state: TrainState) -> None:
        if time.monotonic() - self._last >= self.every:
            state.checkpoint_requested = True

    def on_checkpoint(self, state: TrainState) -> None:
        self._save()

    def on_epoch_end(self, state: TrainState) -> None:
        if time.monotonic() - self._last >= self.epoch_end_after:
            self._save()

    def on_train_end(self, state: TrainState) -> None:
        if state.stop:
            self._save()
        elif not self.keep_when_done:
            (self.directory / CHECKPOINT).unlink(missing_ok=True)

