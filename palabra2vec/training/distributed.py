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

import io
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ..config import TrainConfig
from ..text.corpus import (_GUTENBERG_END, _GUTENBERG_HEADER_LINES, _GUTENBERG_START, _OPENERS, MAX_LINE_CHARS,
                     NOTEBOOK_SKIP_LINES, Corpus, _open_binary, _paragraphs, _sniff_encoding, _split_long,
                     expand_paths, tokenize_spanish)
from ..text.encoded import EncodedCorpus
from ..errors import Palabra2vecError, UsageError
from ..text.vocab import Vocab

log = logging.getLogger(__name__)

#: Test hook: rank R exits (code 3) at its first sync when this is "R", or hangs if "R:hang".
_DIE_ENV = "PALABRA2VEC_TEST_DIE_RANK"


def world_size() -> int:
    """``WORLD_SIZE`` set by torchrun; 1 when not launched by it."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise UsageError(f"WORLD_SIZE must be a whole number, got {os.environ['WORLD_SIZE']!r}") from None


def is_distributed() -> bool:
    return world_size() > 1


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


def _collective(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a collective; a dead or stuck peer becomes a one-line Palabra2vecError."""
    try:
        return fn(*args, **kwargs)
    except (RuntimeError, dist.DistBackendError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Palabra2vecError(f"rank {dist.get_rank()}: {what} failed, another rank probably died or "
                               f"hung ({first[:200]})") from e


# -- 1. shards by byte ranges --------------------------------------------------------------

@dataclass(frozen=True)
class Piece:
    """Bytes ``[start, end)`` of ``path`` (``end`` -1: a compressed file, read whole)."""

    file: int  #: index of the file in corpus order
    path: Path
    start: int
    end: int
    encoding: str


def _next_line_start(f: io.BufferedReader, pos: int, limit: int) -> int:
    """The first line start at or after ``pos`` (``pos`` itself if a line starts there)."""
    if pos <= 0:
        return 0
    f.seek(pos - 1)
    while True:
        block = f.read(1 << 16)
        if not block:
            return limit
        i = block.find(b"\n")
        if i >= 0:
            return min(limit, f.tell() - len(block) + i + 1)


def _body_start(f: io.BufferedReader, encoding: str, tokenizer: str) -> int:
    """Where the text starts: after the Gutenberg START line (spanish) or 28 lines (notebook).

    Only the first lines are read, as :func:`corpus.strip_gutenberg` looks no further."""
    if tokenizer == "whitespace":
        return 0
    f.seek(0)
    n = NOTEBOOK_SKIP_LINES if tokenizer == "notebook" else _GUTENBERG_HEADER_LINES
    for i in range(n):
        line = f.readline()
        if not line:  # a short file: all skipped (notebook) or no START line (spanish)
            return f.tell() if tokenizer == "notebook" else 0
        if tokenizer == "spanish" and _GUTENBERG_START.match(line.decode(encoding, "replace")):
            return f.tell()
    return f.tell() if tokenizer == "notebook" else 0


def plan_pieces(files: Sequence[Path], rank: int, world: int, tokenizer: str, encoding: str | None) -> list[Piece]:
    """This rank's pieces of ``files``: range ``rank`` of ``world`` newline-aligned byte ranges."""
    out = []
    for i, path in enumerate(files):
        raw = _open_binary(path)
        try:
            head = raw.peek(65536)[:65536] if hasattr(raw, "peek") else b""
        finally:
            raw.close()
        enc = encoding or _sniff_encoding(path, head)
        if path.suffix.lower() in _OPENERS:
            if i % world == rank:
                out.append(Piece(i, path, 0, -1, enc))
            continue
        size = path.stat().st_size
        with open(path, "rb") as f:
            body = _body_start(f, enc, tokenizer)
            lo = _next_line_start(f, body + (size - body) * rank // world, size) if rank else body
            hi = _next_line_start(f, body + (size - body) * (rank + 1) // world, size) if rank + 1 < world else size
        if hi > lo:
            out.append(Piece(i, path, lo, hi, enc))
    return out


class _Bounded(io.RawIOBase):
    """At most ``n`` bytes of an open file, from its current position."""

    def __init__(self, f: io.BufferedReader, n: int) -> None:
        self.f, self.left = f, n

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.left)
        if n <= 0:
            return 0
        data = self.f.read(n)
        b[: len(data)] = data
        self.left -= len(data)
        return len(data)


def _piece_lines(piece: Piece) -> Iterator[str]:
    """Lines of a byte range, decoded and cut as :func:`corpus.read_lines` does."""
    with open(piece.path, "rb") as f:
        f.seek(piece.start)
        raw = io.BufferedReader(_Bounded(f, piece.end - piece.start), 1 << 16)
        enc = "utf-8" if piece.start > 0 and piece.encoding == "utf-8-sig" else piece.encoding
        text = io.TextIOWrapper(raw, encoding=enc, errors="replace", newline=None)
        carry = ""
        while True:
            part = text.readline(MAX_LINE_CHARS)
            if not part:
                break
            if part.endswith("\n") or len(part) < MAX_LINE_CHARS:
                yield carry + part.rstrip("\n")
                carry = ""
                continue
            part = carry + part
            cut = max(part.rfind(" "), part.rfind("\t"))
            cut = cut if cut > 0 else len(part)
            yield part[:cut]
            carry = part[cut:]
        if carry:
            yield carry


def _has_end_marker(piece: Piece) -> bool:
    """Does this range hold a Gutenberg END line? (A cheap byte test first.)"""
    with open(piece.path, "rb") as f:
        f.seek(piece.start)
        left, tail = piece.end - piece.start, b""
        while left > 0:
            block = tail + f.read(min(left, 1 << 24))
            left -= len(block) - len(tail)
            if b"END OF THE PROJECT GUTENBERG" in block.upper() or b"END OF THIS PROJECT GUTENBERG" in block.upper():
                return any(_GUTENBERG_END.match(line) for line in _piece_lines(piece))
            tail = block[-64:]
    return False


def piece_sentences(piece: Piece, config: TrainConfig, after_end: bool = False) -> Iterator[list[str]]:
    """Sentences of one piece, tokenized as :class:`corpus.Corpus` tokenizes the whole file."""
    if piece.end < 0:  # compressed: the whole file, as a single-process run reads it
        yield from Corpus([piece.path], config.tokenizer, config.lowercase, config.max_sentence_length, piece.encoding)
        return
    if after_end:
        return
    lines = _piece_lines(piece)
    if config.tokenizer == "spanish":
        def body() -> Iterator[str]:
            for line in lines:
                if _GUTENBERG_END.match(line):
                    return
                yield line
        sentences: Iterator[list[str]] = (s for para in _paragraphs(body()) for s in tokenize_spanish(para, config.lowercase))
    else:
        sentences = (t for t in (line.split() for line in lines) if t)
    for s in sentences:
        yield from _split_long(s, config.max_sentence_length)


# -- 2. one vocabulary, merged across ranks ------------------------------------------------

def _count_shard(pieces: Sequence[Piece], skip: set[int], config: TrainConfig, path: Path) -> tuple[list[str], np.ndarray, np.ndarray, int, int]:
    """Write provisional ids of this rank's shard; return (words in first-seen order, counts,
    file of first sighting, raw words, sentences)."""
    index: dict[str, int] = {}
    first_file: list[int] = []
    buf: list[int] = []
    raw = sents = 0
    with open(path, "wb") as out:
        for piece in pieces:
            for s in piece_sentences(piece, config, after_end=piece.file in skip):
                n0 = len(index)
                buf.extend([index.setdefault(w, len(index)) for w in s])
                first_file.extend([piece.file] * (len(index) - n0))
                buf.append(-1)
                raw += len(s)
                sents += 1
                if len(buf) >= 1 << 18:
                    np.array(buf, dtype=np.int32).tofile(out)
                    buf = []
        np.array(buf, dtype=np.int32).tofile(out)
    ids = np.fromfile(path, dtype=np.int32)  # TODO(scale): count in blocks
    counts = np.bincount(ids[ids >= 0], minlength=len(index)).astype(np.int64)
    return list(index), counts, np.asarray(first_file, dtype=np.int64), raw, sents


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
    kept = sorted((w for w, c in total.items() if c >= min_count), key=lambda w: (-total[w], first[w]))
    if not kept:
        raise Palabra2vecError(f"no word occurs at least min_count={min_count} times ({len(total)} distinct words)")
    return Vocab(kept, [total[w] for w in kept])


def build_sharded(corpus: Sequence[str | os.PathLike[str]], config: TrainConfig, workdir: str | os.PathLike[str] | None = None,
                  encoding: str | None = None) -> tuple[Vocab, EncodedCorpus]:
    """Read this rank's shard, merge the vocabulary over all ranks, encode the shard."""
    rank, world = dist.get_rank(), dist.get_world_size()
    pieces = plan_pieces(expand_paths(corpus), rank, world, config.tokenizer, encoding)
    # a Gutenberg END line ends its file: ranges after the one holding it are skipped
    n_files = len(expand_paths(corpus))
    end_rank = torch.full((n_files,), world, dtype=torch.int64)
    if config.tokenizer == "spanish":
        for p in pieces:
            if p.end >= 0 and _has_end_marker(p):
                end_rank[p.file] = rank
    _collective("END-marker exchange", dist.all_reduce, end_rank, op=dist.ReduceOp.MIN)
    skip = {p.file for p in pieces if p.end >= 0 and end_rank[p.file] < rank}
    tmp = Path(tempfile.mkdtemp(prefix=f"palabra2vec-rank{rank}-", dir=workdir))
    try:
        words, counts, files, raw, sents = _count_shard(pieces, skip, config, tmp / "provisional.i32")
        gathered: list[Any] = [None] * world if rank == 0 else []
        _collective("vocabulary gather", dist.gather_object, (words, counts, files), gathered if rank == 0 else None, dst=0)
        msg: list[Any] = [None]
        if rank == 0:
            try:
                v = merge_counts(gathered, config.min_count)
                msg = [(v.index_to_key, v.counts)]
            except Palabra2vecError as e:
                msg = [str(e)]
            del gathered
        _collective("vocabulary broadcast", dist.broadcast_object_list, msg, src=0)
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
        _collective("word-count exchange", dist.all_reduce, totals)
        log.info("rank %d: %d pieces, %d of %d corpus words; vocabulary %d words", rank, len(pieces), raw,
                 int(totals[0]), len(vocab))
        return vocab, EncodedCorpus(tmp / "ids.i32", int(mapped.size), raw, sents, len(words), owns_dir=tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# -- 3. local SGD with periodic averaging --------------------------------------------------

def _live_tables(trainer: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """The tables the backend trains, in place (not copies), on their device."""
    model = getattr(trainer.backend, "model", None)
    if model is not None:
        return model.input.weight.data, model.output.weight.data
    syn0, syn1 = trainer.backend.tables()  # FastBackend: its NumPy tables, shared as torch views
    return torch.from_numpy(syn0), torch.from_numpy(syn1)


class ModelAverager:
    """Callback: every ``sync_every`` words (all ranks together) average the tables' updates.

    With ``ref`` the tables at the last sync and ``d_r = W_r - ref`` rank r's update since,
    the new tables are ``ref + sum_r d_r / n`` where ``n`` is 1 (``average="sum"``, the
    default: each word occurrence gives one SGD step, as in one process, from tables at most
    S words stale), per row the number of ranks whose update of that row is nonzero
    (``"rows"``), or the number of ranks (``"mean"``: plain model averaging, as pWord2Vec and
    BlazingText, whose learning rate is then divided by the number of ranks). At 2 ranks
    "sum" kept the single-process quality and the others lost (docs/readme-distributed.md). One all_reduce per sync carries both tables' updates plus two row counts:
    ``(2 V D + 2 V) * 4`` bytes. Updates written by other threads while the sync runs are
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
            _collective("initial broadcast", dist.broadcast, t, src=0)
        self.refs = [t.clone() for t in self.tables]
        mine = torch.tensor([state.words_total], dtype=torch.int64)
        _collective("word-count exchange", dist.all_reduce, mine)
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
        test = os.environ.get(_DIE_ENV, "").split(":")
        if test[0] == str(dist.get_rank()):  # test hook: "R" exits, "R:hang" stops answering
            log.error("rank %d %s on purpose (%s is set)", dist.get_rank(), "hangs" if test[-1] == "hang" else "exits", _DIE_ENV)
            if test[-1] == "hang":
                time.sleep(3600)
            os._exit(3)
        t0 = time.perf_counter()
        deltas = [t - r for t, r in zip(self.tables, self.refs)]  # (V, D) each
        touched = [(d != 0).any(dim=1).to(d.dtype) for d in deltas]  # (V,) each
        buf = torch.cat([d.reshape(-1) for d in deltas] + touched)
        self.touched += float(sum(t.sum() for t in touched)) / sum(len(t) for t in touched)
        _collective("table averaging", dist.all_reduce, buf)
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
        config.threads = max(1, config.threads // int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    if corpus is None:  # Don Quijote: rank 0 downloads it first
        from ..text.datasets import quijote_path

        if rank == 0:
            quijote_path(data_dir)
        _collective("barrier", dist.barrier)
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
        inp, out = trainer.tables()
    finally:
        encoded.close()
    figures = torch.tensor([encoded.raw_words, encoded.n_sentences, state.elapsed * 1e6], dtype=torch.float64)
    total = figures.clone()
    _collective("summary", dist.all_reduce, total)
    slowest = figures[2:].clone()
    _collective("summary", dist.all_reduce, slowest, op=dist.ReduceOp.MAX)
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
    return Word2Vec(config, vocab, inp.copy(), out.copy(), info, state.history)


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", "0"))


def finish() -> None:
    """Leave the process group (every rank, after the last collective)."""
    if dist.is_initialized():
        dist.destroy_process_group()
