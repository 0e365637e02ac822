"""Training on several processes or machines with ``torch.distributed``, launched by torchrun.

``torchrun --nproc-per-node N -m palabra2vec train CORPUS... --output DIR --sync-every S``
starts N copies of the command; each one (a *rank*) finds ``RANK``/``WORLD_SIZE`` in its
environment and calls :func:`train`:

1. **Shards by byte ranges.** Every plain-text file's body is cut into ``WORLD_SIZE`` byte
   ranges, each moved forward to the next newline; rank r reads range r of every file (a
   compressed file cannot be cut, so it goes whole to rank ``index % WORLD_SIZE``). No rank
   reads everything: only each file's first lines (Gutenberg header, encoding sniffing).
2. **One vocabulary.** Each rank counts its shard, writing provisional ids to its own file;
   rank 0 gathers the per-rank counts, merges them and broadcasts the vocabulary. Ties are
   broken by first sighting in the corpus order (file, range, position), so the vocabulary
   is exactly the single-process one. Each rank then rewrites its ids with the merged vocab.
3. **Local SGD with periodic averaging.** Each rank runs the ordinary :class:`Trainer` on
   its shard (the usual learning-rate schedule over its own words). Every ``sync_every``
   words (counted over all ranks) the updates since the last sync are combined with one
   ``all_reduce`` (summed by default, see :class:`ModelAverager`). The same idea as pWord2Vec (Ji et al. 2016) and BlazingText
   (Gupta & Khare 2017): exchange whole tables rarely instead of sparse gradients often.

Only rank 0 writes the model. A rank that dies ends the job: torchrun stops the others, and a
collective that waits longer than ``PALABRA2VEC_DIST_TIMEOUT`` seconds (default 600) fails.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ..config import TrainConfig
from ..errors import Palabra2vecError, UsageError
from ..text.corpus import Corpus
from ..text.encoded import EncodedCorpus
from ..text.fast_encode import TokenCounter, read_range
from ..locking import DirectoryLock, remove_dead_workdirs
from ..text.shards import Shard, last_marker, piece_sentences
from ..text.vocab import Vocab
from .averaging import ModelAverager
from .collectives import collective, init

log = logging.getLogger(__name__)


def world_size() -> int:
    """``WORLD_SIZE`` set by torchrun; 1 when not launched by it."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise UsageError(f"WORLD_SIZE must be a whole number, got {os.environ['WORLD_SIZE']!r}") from None


def is_distributed() -> bool:
    return world_size() > 1


def _count_shard(shard: Shard, path: Path) -> tuple[list[str], np.ndarray, np.ndarray, int, int]:
    """Write provisional ids of this rank's shard; return (words in first-seen order, counts,
    file of first sighting, raw words, sentences). The look-ups and counts run in the compiled
    token table (:class:`palabra2vec.text.fast_encode.TokenCounter`): a ``whitespace`` piece in
    UTF-8 as bytes, split by the kernel (:func:`palabra2vec.text.fast_encode.read_range`), as a
    single process reads its files; other pieces as the readable tokenizer's sentences."""
    first_file: list[int] = []
    by_bytes = shard.config.tokenizer == "whitespace"  # the kernel splits lines as str.split() does
    with open(path, "wb") as out:
        counter = TokenCounter(out, shard.config.max_sentence_length)
        try:
            for piece in shard.pieces:
                n0 = len(first_file)
                if not (by_bytes and piece.end >= 0 and piece.encoding in ("utf-8", "utf-8-sig")
                        and read_range(counter, piece.path, piece.start, piece.end,
                                       bom=piece.start == 0 and piece.encoding == "utf-8-sig")):
                    counter.feed_sentences(piece_sentences(piece, shard.config, after_end=piece.file in shard.skip_files))
                first_file.extend([piece.file] * (counter.n_words - n0))
        finally:
            counter.close()
    return (counter.words(), counter.word_counts(), np.asarray(first_file, dtype=np.int64), counter.tokens,
            counter.sentences)


def merge_counts(parts: Sequence[tuple[list[str], np.ndarray, np.ndarray]], min_count: int) -> Vocab:
    """Merge per-rank ``(words, counts, first_file)`` (list index = rank) into the vocabulary a
    single process would build: counts summed, descending; ties by first sighting, i.e. by
    (file, rank, position in the rank's shard)."""
    total: dict[str, int] = {}
    first: dict[str, tuple[int, int, int]] = {}
    for rank, (words, counts, files) in enumerate(parts):
        for pos, (w, c, fi) in enumerate(zip(words, counts.tolist(), files.tolist())):
            total[w] = total.get(w, 0) + c
            key = (fi, rank, pos)
            if w not in first or key < first[w]:
                first[w] = key
    seen = sorted(total, key=first.__getitem__)  # first-sighting order, as one process sees them
    vocab, _ = Vocab.select(seen, np.array([total[w] for w in seen], dtype=np.int64), min_count)
    if not len(vocab):
        raise Palabra2vecError(f"no word occurs at least min_count={min_count} times ({len(total)} distinct words)")
    return vocab


def build_sharded(corpus: Sequence[str | os.PathLike[str]], config: TrainConfig, workdir: str | os.PathLike[str] | None = None,
                  encoding: str | None = None) -> tuple[Vocab, EncodedCorpus]:
    """Read this rank's shard, merge the vocabulary over all ranks, encode the shard."""
    rank, world = dist.get_rank(), dist.get_world_size()
    whole = Corpus(corpus, config.tokenizer, config.lowercase, config.max_sentence_length, encoding)
    shard = whole.shard(rank, world)
    pieces = shard.pieces
    # Gutenberg END and START lines switch the text off and on: a range starts outside a book
    # when the last marker in the ranges before it is an END line
    marks = torch.zeros((world, len(whole.files)), dtype=torch.int64)
    if config.tokenizer == "spanish":
        for p in pieces:
            if p.end >= 0:
                marks[rank, p.file] = last_marker(p)
    collective("Gutenberg-marker exchange", dist.all_reduce, marks, op=dist.ReduceOp.SUM)
    for p in pieces:
        before = [int(m) for m in marks[:rank, p.file].tolist() if m]
        if p.end >= 0 and before and before[-1] == 2:
            shard.skip_files.add(p.file)
    remove_dead_workdirs(workdir if workdir is not None else tempfile.gettempdir())  # left by killed runs
    tmp = Path(tempfile.mkdtemp(prefix=f"palabra2vec-rank{rank}-", dir=workdir))
    lock = DirectoryLock(tmp, f"palabra2vec rank {rank}'s encoded shard").acquire()
    try:
        words, counts, files, raw, sents = _count_shard(shard, tmp / "provisional.i32")
        gathered: list[Any] = [None] * world if rank == 0 else []
        collective("vocabulary gather", dist.gather_object, (words, counts, files), gathered if rank == 0 else None, dst=0)
        msg: list[Any] = [None]
        if rank == 0:
            try:
                v = merge_counts(gathered, config.min_count)
                msg = [(v.index_to_key, v.counts)]
            except Palabra2vecError as e:
                msg = [str(e)]
            del gathered
        collective("vocabulary broadcast", dist.broadcast_object_list, msg, src=0)
        if isinstance(msg[0], str):
            raise Palabra2vecError(msg[0])
        vocab = Vocab(*msg[0])
        remap = np.array([vocab.key_to_index.get(w, -2) for w in words] or [0], dtype=np.int32)
        ids = np.fromfile(tmp / "provisional.i32", dtype=np.int32)
        mapped = np.where(ids < 0, -1, remap[np.maximum(ids, 0)])
        mapped = mapped[mapped != -2]
        mapped.tofile(tmp / "ids.i32")
        (tmp / "provisional.i32").unlink()
        totals = torch.tensor([raw, sents], dtype=torch.int64)
        collective("word-count exchange", dist.all_reduce, totals)
        log.info("rank %d: %d pieces, %d of %d corpus words; vocabulary %d words", rank, len(pieces), raw,
                 int(totals[0]), len(vocab))
        enc = EncodedCorpus(tmp / "ids.i32", int(mapped.size), raw, sents, len(words), owns_dir=tmp)
        enc._lock = lock  # released (and the directory removed) by enc.close()
        return vocab, enc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        raise


def train(corpus: Sequence[str | os.PathLike[str]] | None, config: TrainConfig, sync_every: int = 200_000,
          callbacks: Sequence[Any] = (), progress: bool = True, workdir: str | os.PathLike[str] | None = None,
          encoding: str | None = None, data_dir: str | None = None, average: str | None = None) -> Any:
    """Train one model over all ranks (call it on every rank, under torchrun); every rank
    returns the same :class:`Word2Vec`. ``info`` holds the distributed figures.

    ``average``: ``rows`` or ``mean`` (see :class:`ModelAverager`); default from the
    ``PALABRA2VEC_DIST_AVERAGE`` variable, else ``sum``."""
    from ..config import default_threads
    from .train import Trainer, resolve_device
    from ..word2vec import Word2Vec

    config = config.resolve(builtin_corpus=corpus is None).validate()
    if config.draw_once or config.subsample_total != "vocab":  # each rank sees only its shard
        raise UsageError("the notebook's pipeline (draw_once, subsample_total=corpus) is not supported under torchrun")
    device = resolve_device(config.device)
    init(device)
    rank, world = dist.get_rank(), dist.get_world_size()
    if config.threads == default_threads():  # the cores are shared by the ranks of a machine
        config = dataclasses.replace(config, threads=max(1, config.threads // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))
    if corpus is None:  # Don Quijote: rank 0 downloads it first
        from ..text.datasets import quijote_path

        if rank == 0:
            quijote_path(data_dir)
        collective("barrier", dist.barrier)
        corpus = [quijote_path(data_dir)]
    elif isinstance(corpus, (str, os.PathLike)):
        corpus = [corpus]
    t0 = time.perf_counter()
    vocab, encoded = build_sharded(corpus, config, workdir, encoding)
    t_vocab = time.perf_counter() - t0
    average = average or os.environ.get("PALABRA2VEC_DIST_AVERAGE", "sum")
    averager = ModelAverager(sync_every, average)
    try:
        trainer = Trainer(vocab, config, [averager, *callbacks], progress and rank == 0)
        averager.attach(trainer)
        state = trainer.train(encoded)
        tables = {name: t.copy() for name, t in trainer.tables().items()}
    finally:
        encoded.close()
    figures = torch.tensor([encoded.raw_words, encoded.n_sentences, state.elapsed * 1e6], dtype=torch.float64)
    total = figures.clone()
    collective("summary", dist.all_reduce, total)
    slowest = figures[2:].clone()
    collective("summary", dist.all_reduce, slowest, op=dist.ReduceOp.MAX)
    seconds = float(slowest[0]) / 1e6
    info = dict(
        backend=trainer.backend_name, device=str(trainer.device), threads=config.threads,
        corpus_words=int(total[0]), vocab_words=len(vocab), sentences=int(total[1]),
        epochs_done=len(state.history), stopped_early=state.stop, final_loss=state.loss,
        seconds_vocab=round(t_vocab, 3), seconds_train=round(seconds, 3),
        words_per_second_train=round(int(total[0]) * len(state.history) / max(seconds, 1e-9), 1),
        torch_version=torch.__version__, world_size=world, sync_every=sync_every, averaging=average,
        syncs=averager.syncs, sync_bytes=averager.bytes // max(1, averager.syncs),
        sync_seconds=round(averager.seconds, 3),
        sync_rows_touched=round(averager.touched / max(1, averager.syncs), 4),
    )
    return Word2Vec(config, vocab, tables, info, state.history)


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", "0"))


def finish() -> None:
    """Leave the process group (every rank, after the last collective)."""
    if dist.is_initialized():
        dist.destroy_process_group()
