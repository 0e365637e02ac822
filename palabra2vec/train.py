"""The training loop: epochs, learning-rate schedule, threads, device, progress, callbacks.

The loop knows nothing of how one chunk of the corpus is trained: a *backend* does that.
``TorchBackend`` is the readable path (SkipGram module, padded batches, autograd, a torch
optimizer; CPU or CUDA); ``FastBackend`` runs the compiled kernel of :mod:`palabra2vec.fast`
on CPU threads. Both see the same chunks, subsampling and noise distribution.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from . import fast
from .batches import iter_batches
from .config import TrainConfig
from .encoded import EncodedCorpus
from .errors import UsageError
from .model import SkipGram, masked_bce_loss
from .sampling import NoiseDistribution, keep_probabilities
from .vocab import Vocab

log = logging.getLogger(__name__)


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


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as e:
        raise UsageError(f"unknown device {device!r}") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("device cuda asked for, but PyTorch sees no CUDA GPU (see README: GPU)")
    return dev


def resolve_backend(config: TrainConfig, device: torch.device) -> str:
    """``fast`` on CPU with SGD when Numba is there; ``torch`` otherwise."""
    if config.backend == "fast":
        if device.type != "cpu":
            raise UsageError("the fast backend runs on CPU only; use --backend torch on a GPU")
        if config.optimizer != "sgd":
            raise UsageError("the fast backend trains with SGD only; use --backend torch for Adam")
        if not fast.AVAILABLE:
            raise UsageError("the fast backend needs numba (pip install numba)")
        return "fast"
    if config.backend == "torch":
        return "torch"
    if device.type == "cpu" and config.optimizer == "sgd" and fast.AVAILABLE:
        return "fast"
    return "torch"


class Backend(Protocol):
    def train_chunk(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int) -> tuple[float, int]:
        """Train on one chunk; return (summed loss, number of loss terms)."""
        ...

    def tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(input, output) embedding tables, on CPU."""
        ...


@torch.no_grad()
def sgd_row_mean_step(weight: torch.Tensor, lr: float) -> None:
    """SGD on a sparse embedding gradient, each row's summed gradient divided by how often
    the row was looked up in the batch.

    Hogwild word2vec applies one pair at a time, so a frequent word's vector moves, then is
    re-scored; a minibatch sums all of its gradients at the old value and overshoots (it
    diverges for words that fill a batch). Averaging per row keeps the step of word2vec.c
    for rows seen once and bounds it for the rest.
    """
    g = weight.grad  # sparse, uncoalesced: one entry per lookup
    idx, vals = g._indices()[0], g._values()  # (N,), (N, D)
    rows, inverse, counts = torch.unique(idx, return_inverse=True, return_counts=True)
    summed = torch.zeros(len(rows), weight.shape[1], dtype=vals.dtype, device=vals.device)
    summed.index_add_(0, inverse, vals)  # (R, D)
    weight.index_add_(0, rows, summed / counts[:, None].to(vals.dtype), alpha=-lr)


class TorchBackend:
    """The readable path: the notebook's batches through :class:`SkipGram` and autograd."""

    def __init__(self, vocab: Vocab, config: TrainConfig, device: torch.device, keep: np.ndarray, noise: NoiseDistribution) -> None:
        self.config, self.device, self.keep, self.noise = config, device, keep, noise
        gen = torch.Generator().manual_seed(config.seed)
        sgd = config.optimizer == "sgd"
        self.model = SkipGram(len(vocab), config.vector_size, sparse=sgd)
        self.model.reset_parameters(config.init, generator=gen)
        self.model.to(device)
        self.optimizer: torch.optim.Optimizer | None = None
        if not sgd:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.alpha)
        # SGD follows word2vec.c: the summed loss; Adam follows the notebook: per-example means
        self.reduction = "sum" if sgd else "example_mean"

    def train_chunk(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int) -> tuple[float, int]:
        cfg = self.config
        rng = np.random.default_rng(seed)
        batches = list(iter_batches(chunk, self.keep, self.noise, cfg.window, cfg.negative, cfg.batch_size, rng))
        loss_sum, terms = 0.0, 0
        for i, batch in enumerate(batches):
            center, ctx_neg, mask, label = batch.to(self.device)
            scores = self.model(center, ctx_neg)  # (B, 1, L)
            loss = masked_bce_loss(scores, label, mask, self.reduction)
            self.model.zero_grad(set_to_none=True)
            loss.sum().backward()
            if self.optimizer is None:
                lr = alpha0 + (alpha1 - alpha0) * i / max(1, len(batches))
                for table in (self.model.input.weight, self.model.output.weight):
                    sgd_row_mean_step(table, lr)
            else:
                self.optimizer.step()
            with torch.no_grad():
                per_pos = masked_bce_loss(scores.detach(), label, mask, "sum")
            loss_sum += float(per_pos)
            terms += int(mask.sum())
        return loss_sum, terms

    def tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.input.weight.detach().cpu(), self.model.output.weight.detach().cpu()


class FastBackend:
    """The compiled kernel on CPU threads, updating shared NumPy tables lock-free."""

    def __init__(self, vocab: Vocab, config: TrainConfig, keep: np.ndarray, noise: NoiseDistribution) -> None:
        self.config, self.keep, self.noise = config, keep, noise
        gen = torch.Generator().manual_seed(config.seed)
        model = SkipGram(len(vocab), config.vector_size)
        model.reset_parameters(config.init, generator=gen)  # same start as the torch path
        self.syn0 = np.ascontiguousarray(model.input.weight.detach().numpy())
        self.syn1 = np.ascontiguousarray(model.output.weight.detach().numpy())
        self.track_every = 8  # loss is estimated on every 8th center: it costs a log and an exp

    def train_chunk(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int) -> tuple[float, int]:
        c = self.config
        loss, terms, _pairs = fast.train_chunk(
            chunk, self.syn0, self.syn1, self.keep, self.noise.prob, self.noise.alias,
            c.window, c.negative, alpha0, alpha1, seed, c.max_sentence_length, self.track_every,
        )
        return float(loss), int(terms)

    def tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self.syn0), torch.from_numpy(self.syn1)


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
    ) -> None:
        self.vocab = vocab
        self.config = config.validate()
        self.callbacks = list(callbacks)
        self.progress = progress
        self.device = resolve_device(config.device)
        self.backend_name = resolve_backend(config, self.device)
        self.keep = keep_probabilities(vocab.counts, config.sample, config.subsample_formula)
        self.noise = NoiseDistribution(vocab.counts, config.ns_exponent)
        if self.backend_name == "fast":
            self.backend: Backend = FastBackend(vocab, config, self.keep, self.noise)
        else:
            torch.set_num_threads(config.threads)
            self.backend = TorchBackend(vocab, config, self.device, self.keep, self.noise)
        self.state = TrainState(epochs=config.epochs)
        #: where training starts: (epoch from 1, work item); set by checkpoint.restore
        self.start_epoch, self.start_item = 1, 0
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

    def _items(self, corpus: EncodedCorpus, start_item: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        for i, chunk in enumerate(corpus.chunks(self.config.chunk_words)):
            if i >= start_item:
                yield i, chunk

    def train(self, corpus: EncodedCorpus) -> TrainState:
        """Train for ``config.epochs`` epochs over ``corpus``; return the final state."""
        c, st = self.config, self.state
        st.words_total = corpus.n_words * c.epochs
        raw_per_word = corpus.raw_words / max(1, corpus.n_words)
        threads = c.threads if self.backend_name == "fast" else 1
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
                    st.epoch_loss, st.epoch_terms = 0.0, 0
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

        def job(item: int, chunk: np.ndarray, w0: int):
            n = int((chunk >= 0).sum())
            a0, a1 = self._alpha(w0), self._alpha(w0 + n)
            return self.backend.train_chunk(chunk, a0, a1, _item_seed(self.config.seed, epoch, item)), n

        if pool is None:
            w = words_before
            for item, chunk in self._items(corpus, start_item):
                res = job(item, chunk, w)
                w += res[1]
                yield item, [res]
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

    def tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.backend.tables()
