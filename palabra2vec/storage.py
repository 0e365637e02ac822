"""The model directory on disk: tables in safetensors, vocabulary, config, history.

Layout (``FORMAT_VERSION`` 3)::

    DIR/model.safetensors   the model's named float32 tables ("input" (V, D), "output" (V, D), ...)
    DIR/vocab.tsv           word<TAB>count, row order of the tables
    DIR/config.json         {"format": "palabra2vec", "format_version": 3, "config": {...},
                             "tables": {"input": [V, D], ...}, ...}
    DIR/history.json        loss and words/s per epoch

Version 3 stores a subword model's ``ngrams`` table compact: one row per bucket the
vocabulary's n-grams reach, in bucket order (:func:`palabra2vec.variants.ngram_layout`, which
follows from the vocabulary and config alone, so no bucket map is stored). Version 2 stored
all ``buckets`` rows; it is read and cut to the compact rows (the others were never trained).
Version 1 (round 1) had the same files with exactly the "input" and "output" tables and no
"tables" entry; it is still read.

Every file is written to a temporary name, flushed to disk and renamed, so an interrupted
save leaves the previous file intact; files get the permissions the user's umask gives (as
any file ``open`` creates), not ``mkstemp``'s 0600. Every safetensors file (model and
checkpoint) carries a CRC-32 of each table in its metadata, checked on load, and tables
holding NaN or infinite values are neither saved nor loaded. Nothing here can execute code
when loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig
from .fileio import check_finite, read_tables, write_all, write_tables
from .errors import Palabra2vecError
from .text.vocab import Vocab
from .variants import INPUT, check_tables, compact_ngrams, ngram_layout

FORMAT = "palabra2vec"
FORMAT_VERSION = 3
#: versions this release reads
READABLE_VERSIONS = (1, 2, 3)
TABLES = "model.safetensors"
VOCAB = "vocab.tsv"
CONFIG = "config.json"
HISTORY = "history.json"
#: config.json key: vocab.tsv words have \\, \t, \n, \r escaped (absent in older models: raw words)
VOCAB_ESCAPED = "vocab_escaped"


@dataclass
class SavedModel:
    """Everything a model directory holds."""

    config: TrainConfig
    vocab: Vocab
    tables: dict[str, np.ndarray]  #: name -> float32 table (see palabra2vec.variants)
    info: dict[str, Any] = field(default_factory=dict)  #: training summary (time, words/s, loss)
    history: list[dict[str, Any]] = field(default_factory=list)


def save_model(directory: str | os.PathLike[str], model: SavedModel) -> Path:
    """Write ``model`` into ``directory`` (created if needed)."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        tables = {name: np.asarray(t, dtype=np.float32) for name, t in model.tables.items()}
        check_finite(tables, f"refusing to save the model to {d}")  # a diverged model is no result
        meta_st = {"format": FORMAT, "format_version": str(FORMAT_VERSION)}

        def data(path: str) -> None:
            write_tables(path, tables, meta_st)

        vocab = model.vocab.to_tsv()
        try:
            vocab_bytes = vocab.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate, only possible from Python token lists
            bad = vocab[max(0, e.start - 20): e.end + 20].split("\t")[0].split("\n")[-1]
            raise Palabra2vecError(f"cannot save the model to {d}: the word {bad!r} is not valid Unicode "
                                   f"({e.reason}); clean the token lists given to Word2Vec.train") from None
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "config": model.config.to_dict(),
                "tables": {name: list(t.shape) for name, t in tables.items()}, "info": model.info,
                VOCAB_ESCAPED: True}
        # every file is written and synced under a temporary name first, then all are renamed:
        # a full disk (ENOSPC) while writing leaves the previous model whole
        write_all(d, {
            TABLES: data,
            VOCAB: vocab_bytes,
            CONFIG: (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
            HISTORY: (json.dumps(model.history, indent=2) + "\n").encode("utf-8"),
        })
    except OSError as e:
        raise Palabra2vecError(f"cannot save the model to {d}: {e.strerror or e}") from e
    return d


def load_model(directory: str | os.PathLike[str]) -> SavedModel:
    """Read a model directory, checking its format version and that its parts agree."""
    d = Path(directory)
    if not d.is_dir():
        raise Palabra2vecError(f"no model directory at {d}")
    for name in (TABLES, VOCAB, CONFIG):
        if not (d / name).is_file():
            raise Palabra2vecError(f"{d} is not a palabra2vec model directory (no {name})")
    try:
        meta = json.loads((d / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Palabra2vecError(f"{d / CONFIG} is damaged: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise Palabra2vecError(f"{d / CONFIG} is not a palabra2vec model config")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS:
        raise Palabra2vecError(f"{d} has model format version {version}; this palabra2vec reads "
                               f"{', '.join(map(str, READABLE_VERSIONS))}")
    tables, _ = read_tables(d / TABLES)
    vocab = Vocab.load(d / VOCAB, escaped=meta.get(VOCAB_ESCAPED) is True)
    try:
        config = TrainConfig.from_dict(meta.get("config", {})).validate()
    except (TypeError, ValueError, AttributeError) as e:  # UsageError is a ValueError
        raise Palabra2vecError(f"{d / CONFIG} is damaged: bad config ({e})") from e
    inp = tables.get(INPUT)
    if inp is not None and inp.ndim == 2 and inp.shape[0] != len(vocab):
        raise Palabra2vecError(f"{d}: {inp.shape[0]} vectors but {len(vocab)} vocabulary words")
    ngram_rows = None
    if config.subwords:  # version 3: the compact n-gram table; version 2's full table is cut to it
        layout = ngram_layout(config, vocab.index_to_key)
        tables, ngram_rows = compact_ngrams(tables, config, layout), layout.n_rows
    wrong = check_tables(tables, config, len(vocab), ngram_rows)
    if wrong:
        raise Palabra2vecError(f"{d / TABLES} does not fit its config: {wrong}")
    history = []
    if (d / HISTORY).is_file():
        try:
            history = json.loads((d / HISTORY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            history = []
    info = meta.get("info", {})
    return SavedModel(config, vocab, tables, info if isinstance(info, dict) else {}, history)
