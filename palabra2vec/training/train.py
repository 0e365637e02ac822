"""The training loop: epochs, learning-rate schedule, threads, device, progress, callbacks.

The loop knows nothing of how one work item of the corpus is trained, nor of the model's
tables: a *backend* does that, behind one explicit protocol
(:class:`palabra2vec.training.backend.Backend`). ``TorchBackend``
(:mod:`~palabra2vec.training.torch_backend`) is the readable path (SkipGram module, padded
batches, autograd, a torch optimizer; CPU or CUDA); ``FastBackend``
(:mod:`~palabra2vec.training.fast_backend`) runs the compiled kernel on CPU threads. Both
see the same work items, subsampling and noise distribution, and start from the same tables
(:func:`palabra2vec.variants.init_tables`). PyTorch is imported only when the torch backend
(or a GPU) is used.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import notebook
from ..config import TrainConfig
from ..errors import UsageError
from ..text.encoded import EncodedCorpus
from ..text.vocab import Vocab
from ..variants import init_tables, ngram_layout
from .backend import Backend, backend_class, resolve_backend
from .balance import balance_round, round_costs

log = logging.getLogger(__name__)

#: Deterministic rounds' work items grow up to this many times ``config.chunk_words`` on large
#: corpora (fewer rounds to merge, fewer first-touch copies; still >= 16 rounds an epoch):
#: word-level skip-gram and CBOW with negative sampling (CBOW + NS since round 6: analogies and SemEval17
#: up, MSL level on corpus-es, seeds 1-3; benchmarks/RESULTS.md, "Round 6: longer
#: deterministic rounds").
ROUND_GROWTH = 4

#: The same for word-level skip-gram + HS: 2x learned as well as 64k-word items (corpus-es,
#: seeds 1-3, analogy / MSL / SemEval17 7.88 / 0.266 / 0.590 vs 7.78 / 0.263 / 0.595), 4x
#: worse on similarity (8.12 / 0.259 / 0.579).
HS_ROUND_GROWTH = 2

#: Work-item size of word-level CBOW + HS and of every subword model in deterministic rounds:
#: not grown. Every HS step moves the top nodes of the Huffman tree, so a thread's round-long
#: staleness costs HS most; even with the nodes merged by stiffness (stiff_merge.py) 4x items
#: learned worse for CBOW + HS (MSL / SemEval17 0.234 / 0.505 vs 0.247 / 0.540). Subwords share
#: their n-gram rows between many words, and learned far better without growth (skip-gram + NS,
#: corpus-es, seeds 1-3: analogy / MSL / SemEval17 40.45 / 0.2524 / 0.4869 against 38.95 /
#: 0.2425 / 0.4528 with 4x items, for 20 % more training time; benchmarks/RESULTS.md, "Round 8").
VARIANT_ROUND_WORDS = 65536


def even_rounds(n_ids: int, size: int, threads: int) -> int:
    """A work-item size near ``size`` that cuts an id file of ``n_ids`` ids (separators
    included: :func:`palabra2vec.text.encoded.sentence_chunks` reads ``size`` of them per
    item) into a multiple of ``threads`` items, so no deterministic round runs fewer items than
    threads (e.g. 39 items on 2 threads: the 20th round would train one item while the other
    thread waits): the item count rounded up to a multiple of ``threads``, the ids shared
    evenly among them. A count that already is a multiple keeps ``size``."""
    items = -(-n_ids // size) if n_ids > 0 else 0
    if threads <= 1 or items % threads == 0:
        return size
    items += threads - items % threads
    return max(1, -(-n_ids // items))


@dataclass
class TrainState:
    """What callbacks see: where training is and how it goes."""

    epoch: int = 0  #: current epoch, from 1
    epochs: int = 0
    words_done: int = 0  #: in-vocabulary words processed, all epochs (drives the lr schedule)
    words_total: int = 0
    raw_words_done: int = 0  #: corpus words (out-of-vocabulary included) processed
    alpha: float = 0.0  #: learning rate now
    loss: float = float("nan")  #: running mean BCE per scored pair (context or negative)
    elapsed: float = 0.0  #: seconds of training
    history: list[dict[str, Any]] = field(default_factory=list)  #: one record per epoch
    chunk_losses: list[tuple[int, float]] = field(default_factory=list)  #: (words_done, loss)
    stop: bool = False  #: a callback sets this to end training early
    item: int = 0  #: work items of the current epoch done (the next one to train)
    offset: int = 0  #: ids of the encoded corpus those items cover: where the next item starts
    epoch_loss: float = 0.0  #: summed loss of the current epoch so far
    epoch_terms: int = 0  #: loss terms of the current epoch so far
    #: a callback sets this to have ``on_checkpoint`` called once no work item is in flight
    checkpoint_requested: bool = False

    @property
    def words_per_second(self) -> float:
        return self.raw_words_done / self.elapsed if self.elapsed > 0 else 0.0


class Callback(Protocol):
    """Any object with some of these methods can watch or steer training."""

    def on_train_begin(self, state: TrainState) -> None: ...
    def on_chunk_end(self, state: TrainState) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_train_end(self, state: TrainState) -> None: ...
    def on_checkpoint(self, state: TrainState) -> None: ...  # quiescent: no item in flight


def _cuda_possible() -> bool:
    """Whether a CUDA GPU may be there, without importing PyTorch when clearly not."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    if sys.platform.startswith("linux"):
        return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")
    return sys.platform == "win32"


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when PyTorch sees a GPU, else ``cpu``; other names are checked."""
    if device == "auto":
        if _cuda_possible():
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        return "cpu"
    if device == "cpu":
        return "cpu"
    import torch

    try:
        dev = torch.device(device)
    except RuntimeError as e:
        raise UsageError(f"unknown device {device!r}") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("device cuda asked for, but PyTorch sees no CUDA GPU (see README: GPU)")
    return str(dev)


def _item_seed(seed: int, epoch: int, item: int) -> int:
    """A distinct 63-bit seed for each (seed, epoch, work item)."""
    x = (seed * 0x9E3779B1 + epoch * 0x85EBCA77 + item * 0xC2B2AE3D + 0x27D4EB2F) % (1 << 63)
    return x or 1


def _progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="w", unit_scale=True, disable=not enabled, dynamic_ncols=True, desc="train")


class Trainer:
    """Runs epochs over an :class:`EncodedCorpus` with a backend, a schedule and callbacks."""

    def __init__(
        self,
        vocab: Vocab,
        config: TrainConfig,
        callbacks: Sequence[Any] = (),
        progress: bool = True,
        corpus_words: int | None = None,
    ) -> None:
        self.vocab = vocab
        self.config = config = config.resolve().validate()
        from .guards import FiniteGuard

        self.callbacks = [FiniteGuard(self), *callbacks]  # first: nothing diverged is checkpointed
        self.progress = progress
        self.device = resolve_device(config.device)
        self.backend_name = resolve_backend(config, self.device)
        #: keep probabilities (filled in by train() when f counts every corpus token and
        #: corpus_words is not given) and the noise distribution; see training/notebook.py
        self.keep = notebook.subsample_keep(vocab.counts, corpus_words or vocab.total, config)
        self._keep_total = corpus_words
        self.noise = notebook.noise_distribution(vocab.counts, config)
        extra = {}
        #: the compact n-gram table's layout (``--subwords``; variants.ngram_layout), else None
        self.ngram_layout = ngram_layout(config, vocab.index_to_key) if config.subwords else None
        if self.ngram_layout is not None:  # each word's rows in the n-gram table, CSR
            extra["subwords"] = (self.ngram_layout.offsets, self.ngram_layout.rows)
        tables = init_tables(config, len(vocab), self.ngram_rows)
        self.backend: Backend = backend_class(self.backend_name)(config, self.device, self.keep, self.noise, tables,
                                                                 **extra)
        self.state = TrainState(epochs=config.epochs)
        #: where training starts: (epoch from 1, work item); set by checkpoint.restore
        self.start_epoch, self.start_item = 1, 0
        #: corpus position (ids) of ``start_item`` and the item size it was cut with; a resume
        #: with another item size (another thread count) starts there (set by checkpoint.restore)
        self.start_offset, self.resume_item_words = 0, None
        self.item_words = config.chunk_words  #: words per work item of this run (set by train)
        self._item_end: dict[int, int] = {}  #: work item -> corpus position after it
        #: per word, a token's expected training cost: rounds are re-cut into items of equal cost (balance.py)
        self.item_costs: np.ndarray | None = None
        self.in_flight = 0  #: work items submitted to threads and not yet accounted for
        log.info("backend %s on %s, %d threads", self.backend_name, self.device, config.threads)

    def _call(self, hook: str) -> None:
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self.state)

    def _alpha(self, words_done: int) -> float:
        """Linear decay alpha -> min_alpha over all epochs (word2vec.c); constant for Adam."""
        c = self.config
        if c.optimizer != "sgd":
            return c.alpha
        frac = min(1.0, words_done / max(1, self.state.words_total))
        return c.alpha - (c.alpha - c.min_alpha) * frac

    def chunk_words(self, corpus: EncodedCorpus) -> int:
        """Words per work item: ``config.chunk_words``, grown up to 4x (skip-gram + HS: 2x)
        for deterministic threads on large corpora (fewer rounds to merge; still >= 16 rounds
        an epoch; CBOW + HS and subword models: at most ``VARIANT_ROUND_WORDS``), then
        evened out (:func:`even_rounds`) so that the epoch's last round keeps every thread busy."""
        c = self.config
        if self.backend.item_words:
            return max(c.chunk_words, self.backend.item_words)
        if not self.backend.deterministic:
            return c.chunk_words
        if c.subwords or (c.model == "cbow" and c.hs):  # see VARIANT_ROUND_WORDS
            size = min(c.chunk_words, VARIANT_ROUND_WORDS)
        else:
            growth = HS_ROUND_GROWTH if c.hs else ROUND_GROWTH
            size = max(c.chunk_words, min(growth * c.chunk_words, corpus.n_words // (16 * c.threads)))
        return even_rounds(corpus.n_ids, size, self.backend.threads)

    def _items(self, corpus: EncodedCorpus, start_item: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        size, offset = self.item_words, 0
        if start_item and self.resume_item_words not in (None, size):
            # resumed with work items cut another way: continue at the stored corpus position,
            # so every word of the epoch is trained once whatever the thread count
            offset = self.start_offset
            chunks = enumerate(corpus.chunks(size, start=offset), start_item)
        else:
            chunks = enumerate(corpus.chunks(size))
        for i, chunk in self._balanced(chunks):
            offset += chunk.size
            if i >= start_item:
                self._item_end[i] = offset
                yield i, chunk

    def _balanced(self, chunks: Iterator[tuple[int, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
        """The items, each round of ``threads`` re-cut into items of equal expected cost when
        ``item_costs`` is set (:func:`palabra2vec.training.balance.balance_round`)."""
        threads = self.backend.threads
        if self.item_costs is None or threads < 2:
            yield from chunks
            return
        while group := list(itertools.islice(chunks, threads)):
            yield from zip([i for i, _ in group], balance_round([c for _, c in group], self.item_costs))

    def train(self, corpus: EncodedCorpus) -> TrainState:
        """Train for ``config.epochs`` epochs over ``corpus``; return the final state."""
        c, st = self.config, self.state
        if c.subsample_total == "corpus" and self._keep_total is None:  # backends share the array
            self.keep[:] = notebook.subsample_keep(self.vocab.counts, corpus.raw_words, c)
        st.words_total = corpus.n_words * c.epochs
        self.item_words = self.chunk_words(corpus)
        if self.backend_name == "fast" and self.backend.deterministic:  # the slower thread sets a round's time
            offsets = None if self.ngram_layout is None else self.ngram_layout.offsets
            self.item_costs = round_costs(c, self.keep, offsets, self.backend.code_lengths)
        raw_per_word = corpus.raw_words / max(1, corpus.n_words)
        threads = self.backend.threads
        pool = ThreadPoolExecutor(threads) if threads > 1 else None
        bar = _progress_bar(corpus.raw_words * c.epochs, self.progress)
        bar.update(st.raw_words_done)  # nonzero when resuming
        start = time.perf_counter() - st.elapsed
        self._call("on_train_begin")
        try:
            for epoch in range(self.start_epoch, c.epochs + 1):
                st.epoch = epoch
                first = self.start_item if epoch == self.start_epoch else 0
                if first == 0:
                    st.epoch_loss, st.epoch_terms, st.offset = 0.0, 0, 0
                ep_start = time.perf_counter()
                finished = True
                for item, results in self._run_epoch(corpus, epoch, pool, threads, first):
                    for (loss, terms), n_words in results:
                        st.epoch_loss += loss
                        st.epoch_terms += terms
                        st.words_done += n_words
                        raw = int(round(n_words * raw_per_word))
                        st.raw_words_done += raw
                        bar.update(raw)
                    st.item = item + 1
                    st.offset = self._item_end.pop(item, st.offset)
                    st.elapsed = time.perf_counter() - start
                    st.alpha = self._alpha(st.words_done)
                    if st.epoch_terms:
                        st.loss = st.epoch_loss / st.epoch_terms
                        st.chunk_losses.append((st.words_done, st.loss))
                    bar.set_postfix_str(
                        f"epoch {epoch}/{c.epochs} loss {st.loss:.4f} lr {st.alpha:.5f} "
                        f"{st.words_per_second / 1e3:,.0f}k w/s",
                        refresh=False,
                    )
                    self._call("on_chunk_end")
                    if self.in_flight == 0:  # quiescent: the tables match the position
                        if st.checkpoint_requested:
                            st.checkpoint_requested = False
                            self._call("on_checkpoint")
                        if st.stop:
                            finished = False
                            break
                if not finished:
                    break
                record = dict(
                    epoch=epoch,
                    loss=st.loss,
                    seconds=time.perf_counter() - ep_start,
                    words_per_second=corpus.raw_words / max(1e-9, time.perf_counter() - ep_start),
                )
                st.history.append(record)
                log.debug("epoch %d/%d loss %.4f %.0f words/s", epoch, c.epochs, st.loss, record["words_per_second"])
                self._call("on_epoch_end")
                if st.stop:
                    break
        finally:
            bar.close()
            if pool is not None:
                pool.shutdown(wait=True)
            self.backend.release()  # per-thread buffers are not needed once training ends
        st.elapsed = time.perf_counter() - start
        self._call("on_train_end")
        return st

    def _run_epoch(self, corpus: EncodedCorpus, epoch: int, pool: ThreadPoolExecutor | None, threads: int,
                   start_item: int = 0):
        """Yield (item, [((loss, terms), words)]) per work item, in order, from ``start_item``.

        When ``state.stop`` or ``state.checkpoint_requested`` is set, no new item is started
        until the ones in flight are yielded (``self.in_flight`` drops to 0).
        """
        st = self.state
        words_before = st.words_done

        def job(item: int, chunk: np.ndarray, w0: int, slot: int | None = None):
            n = int((chunk >= 0).sum())
            a0, a1 = self._alpha(w0), self._alpha(w0 + n)
            seed = _item_seed(self.config.seed, epoch, item)
            return self.backend.train_item(chunk, a0, a1, seed, slot), n

        if pool is None:
            w = words_before
            for item, chunk in self._items(corpus, start_item):
                res = job(item, chunk, w)
                w += res[1]
                yield item, [res]
            return
        if self.backend.deterministic:
            # rounds of `threads` items, item k of a round on slot k, merged in slot order
            items = self._items(corpus, start_item)
            w = words_before
            batch = list(itertools.islice(items, threads))
            while batch:
                futures = []
                for slot, (item, chunk) in enumerate(batch):
                    n = int((chunk >= 0).sum())
                    futures.append((item, pool.submit(job, item, chunk, w, slot)))
                    w += n
                self.in_flight = len(futures)
                batch = list(itertools.islice(items, threads))  # read the next round meanwhile
                results = [(item, f.result()) for item, f in futures]
                self.backend.end_round(pool)
                for item, res in results:
                    self.in_flight -= 1
                    yield item, [res]
                if st.stop:
                    return
            return
        # keep 2 items per thread in flight; results come back in submission order
        pending: list = []
        w = words_before
        for item, chunk in self._items(corpus, start_item):
            pending.append((item, pool.submit(job, item, chunk, w)))
            self.in_flight = len(pending)
            w += int((chunk >= 0).sum())
            while len(pending) >= 2 * threads or (pending and (st.stop or st.checkpoint_requested)):
                done, fut = pending.pop(0)
                self.in_flight = len(pending)
                yield done, [fut.result()]
            if st.stop:
                return
        while pending:
            done, fut = pending.pop(0)
            self.in_flight = len(pending)
            yield done, [fut.result()]

    @property
    def ngram_rows(self) -> int | None:
        """Rows of the compact n-gram table (``--subwords``), else None."""
        return None if self.ngram_layout is None else self.ngram_layout.n_rows

    def tables(self) -> dict[str, np.ndarray]:
        """The model's named tables (NumPy, CPU)."""
        return self.backend.tables()
