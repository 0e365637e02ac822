"""The batched backend: skip-gram negative sampling as large tensor operations, for GPUs.

One work item is moved to the device once (from pinned memory) and everything else happens
there, with no host synchronisation until the item ends:

1. subsampling (keep[w] > uniform), a window size in 1..window per center, and every
   (center, context) pair inside its sentence, built for all centers at once (one pass per
   offset 1..window);
2. pairs in batches of ``batch_size`` pairs, each batch sharing ``S`` negatives drawn from the
   noise distribution (alias method) instead of K per pair (the shared-negative trick of Ji
   et al. 2016, "Parallelizing Word2Vec in Shared and Distributed Memory", and BlazingText,
   Gupta & Khare 2017): the scores of a batch against its negatives are one matrix product
   (B, D) x (D, S);
3. the gradient of the loss, written out (no autograd), added into the tables with
   ``index_add_``.

Speed on a GPU (measured on an H200, benchmarks/RESULTS.md): work items of ``ITEM_WORDS``
corpus words (16x the CPU kernel's), so that building the pairs and the one host
synchronisation per item are paid rarely; matrix products on TF32 tensor cores (``TF32``); the
loss measured on one batch in ``LOSS_EVERY``; and, on CUDA, the step of a full batch captured
once as a CUDA graph (:class:`GraphedStep`) and replayed, one launch instead of about thirty
kernels (the batch's pairs, negatives and learning rate are copied into the graph's inputs).

Loss of a pair (context c, center w) with shared negatives n_1..n_S (K = ``config.negative``):
    -log sigma(in[c] . out[w]) - (K / S) sum_s log sigma(-in[c] . out[n_s])
whose expectation over the noise equals word2vec's loss with K negatives. Gradients with
g+ = alpha (1 - sigma(in[c] . out[w])) and g-_s = -alpha (K/S) sigma(in[c] . out[n_s]):
    in[c] += g+ out[w] + sum_s g-_s out[n_s];  out[w] += g+ in[c];  out[n_s] += sum_c g-_s in[c]
all from the values before the step.

How a batch's gradients for one row combine is the crux of large batches: sequential SGD
applies a frequent row's n updates one after another, each from the moved row, while a batch
adds them all at the old value. ``ROW_SCALE`` chooses: ``sum-eff`` (the default) adds the
gradients of input and positive rows as they are, and divides each shared negative's summed
gradient by sqrt(B K / S), the number of word2vec draws it stands for; ``rsqrt`` divides every
row's sum by sqrt(n) (the readable path's rule); ``sum`` adds everything (diverges: a shared
negative collects B K / S updates at once); ``capC`` adds up to C occurrences and C times the
mean beyond. Measured on an H200 (benchmarks/gpu.py, corpus-es, 5 epochs, RESULTS.md): sum-eff
with 32,768 pairs and 1,024 shared negatives kept the CPU kernel's Spearman correlations and
lost about 2.7 points of analogy accuracy (means of 3 seeds); every rule traded speed (smaller
batches) against quality. With the speed-ups below, 16,384 pairs and 512 shared negatives (the
same ratio) ran faster than 32,768 and 1,024 (about 26M against 24M words/s) at the same
quality.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..config import TrainConfig
from .sampling import NoiseDistribution

#: negatives shared by one batch of pairs
SHARED_NEGATIVES = 512
#: (center, context) pairs per batch
BATCH_PAIRS = 16384
#: how a row's gradients within one batch combine (see the module docstring)
ROW_SCALE = "sum-eff"
#: corpus words per work item (the trainer's item size for this backend)
ITEM_WORDS = 1 << 20
#: capture full batches as a CUDA graph (CUDA only; rules with a per-batch bincount run eagerly)
CUDA_GRAPHS = True
#: let the matrix products use TF32 tensor cores on CUDA (10-bit mantissa products, float32 sums)
TF32 = True
#: the reported loss is measured on every LOSS_EVERY-th batch of a work item (0: never; the
#: elementwise loss over a batch's (B, S) scores costs about 15% of a step on a GPU)
LOSS_EVERY = 8


def shared_negative_step(inp: torch.Tensor, out: torch.Tensor, ctx: torch.Tensor, cen: torch.Tensor,
                         neg: torch.Tensor, alpha: float | torch.Tensor, k: int,
                         with_loss: bool = True) -> torch.Tensor:
    """One SGD step on a batch of pairs (``ctx``, ``cen``) (B,) with shared negatives ``neg``
    (S,), in place; returns the summed loss (a 0-d tensor, not synchronised; 0 when not
    ``with_loss``)."""
    u = inp[ctx]  # (B, D) input rows
    v = out[cen]  # (B, D) positive output rows
    vn = out[neg]  # (S, D) shared negative rows
    w = k / neg.numel()
    s_pos = (u * v).sum(1)  # (B,)
    s_neg = u @ vn.T  # (B, S)
    loss = (torch.nn.functional.softplus(-s_pos).sum() + w * torch.nn.functional.softplus(s_neg).sum()
            if with_loss else s_pos.new_zeros(()))
    g_pos = alpha * torch.sigmoid(-s_pos)  # (B,) = alpha (1 - sigma(s))
    g_neg = -alpha * w * torch.sigmoid(s_neg)  # (B, S)
    d_in = g_pos[:, None] * v + g_neg @ vn  # (B, D)
    d_out_pos = g_pos[:, None] * u  # (B, D)
    d_out_neg = g_neg.T @ u  # (S, D): each shared negative sums B pairs' gradients
    n_eff = ctx.numel() * w  # a shared negative stands for B K / S draws of word2vec's
    if "-eff" in ROW_SCALE:  # "sum-eff" divides by sqrt(n_eff); "sum-effP" by n_eff ** P
        d_out_neg = d_out_neg * n_eff ** -float(ROW_SCALE.partition("-eff")[2] or 0.5)
    elif ROW_SCALE.startswith("cap"):
        d_out_neg = d_out_neg * min(1.0, int(ROW_SCALE[3:]) / n_eff)
    _add_rows(inp, ctx, d_in)
    _add_rows(out, cen, d_out_pos)
    out.index_add_(0, neg, d_out_neg)
    return loss


def _add_rows(table: torch.Tensor, rows: torch.Tensor, grads: torch.Tensor) -> None:
    """table[rows[i]] += grads[i] / sqrt(n(rows[i])), n = how often the row occurs in ``rows``
    (or the plain sum when ``ROW_SCALE`` is "sum")."""
    if ROW_SCALE.startswith("sum"):
        table.index_add_(0, rows, grads)
        return
    n = torch.bincount(rows, minlength=table.shape[0])[rows].to(grads.dtype)  # (N,)
    if ROW_SCALE.startswith("cap"):  # the plain sum up to c occurrences, c x the mean beyond
        scale = (int(ROW_SCALE[3:]) / n).clamp_(max=1.0)
    else:
        scale = n.rsqrt()
    table.index_add_(0, rows, grads * scale[:, None])


def window_pairs(ids: torch.Tensor, keep: torch.Tensor, window: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Subsample ``ids`` (-1 between sentences) and return (centers, contexts, in-vocabulary
    words) for every center and each context within its random window, inside its sentence."""
    sent = torch.cumsum((ids < 0).to(torch.int32), 0)  # (n,) sentence number of each position
    word = ids.clamp(min=0)
    kept = (ids >= 0) & (torch.rand(ids.shape, generator=generator, device=ids.device) < keep[word])
    w, s = word[kept], sent[kept]  # (m,) the subsampled stream
    m = w.numel()
    b = torch.randint(1, window + 1, (m,), generator=generator, device=ids.device)  # window per center
    centers, contexts = [], []
    for d in range(1, min(window, max(m - 1, 0)) + 1):
        same = s[d:] == s[:-d]  # (m-d,) positions i, i+d in one sentence
        right = same & (b[:-d] >= d)  # center i, context i+d
        left = same & (b[d:] >= d)  # center i+d, context i
        centers += [w[:-d][right], w[d:][left]]
        contexts += [w[d:][right], w[:-d][left]]
    if not centers:
        empty = torch.zeros(0, dtype=torch.long, device=ids.device)
        return empty, empty, kept.sum()
    return torch.cat(centers), torch.cat(contexts), kept.sum()


class _matmul_tf32:
    """Within the block, CUDA matrix products use TF32 when ``on`` (restored after)."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __enter__(self) -> None:
        self.before = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = self.before or self.on

    def __exit__(self, *exc: object) -> None:
        torch.backends.cuda.matmul.allow_tf32 = self.before


class GraphedStep:
    """:func:`shared_negative_step` on full batches of ``pairs`` pairs, captured once as two CUDA
    graphs (with and without the loss) over the live tables and replayed per batch (the tables
    must not be reallocated)."""

    def __init__(self, inp: torch.Tensor, out: torch.Tensor, pairs: int, shared: int, k: int) -> None:
        dev = inp.device
        self.key: tuple = ()
        self.ctx = torch.zeros(pairs, dtype=torch.long, device=dev)
        self.cen = torch.zeros(pairs, dtype=torch.long, device=dev)
        self.neg = torch.zeros(shared, dtype=torch.long, device=dev)
        self.alpha = torch.zeros((), device=dev)  # 0 while warming up: the steps add zeros
        side = torch.cuda.Stream(dev)
        side.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(side):  # warm-up outside the graph (allocator, cuBLAS workspaces)
            for with_loss in (True, False, True):
                shared_negative_step(inp, out, self.ctx, self.cen, self.neg, self.alpha, k, with_loss)
        torch.cuda.current_stream(dev).wait_stream(side)
        self.graphs, self.losses = {}, {}
        for with_loss in (True, False):
            self.graphs[with_loss] = graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.losses[with_loss] = shared_negative_step(inp, out, self.ctx, self.cen, self.neg, self.alpha,
                                                              k, with_loss)

    def __call__(self, ctx: torch.Tensor, cen: torch.Tensor, neg: torch.Tensor, alpha: float,
                 with_loss: bool = True) -> torch.Tensor:
        """One step on this batch; the returned loss is overwritten by the next call."""
        self.ctx.copy_(ctx)
        self.cen.copy_(cen)
        self.neg.copy_(neg)
        self.alpha.fill_(alpha)
        self.graphs[with_loss].replay()
        return self.losses[with_loss]


class BatchedBackend:
    """Skip-gram negative sampling in large batches with shared negatives, on a GPU (or CPU)."""

    deterministic = False
    threads = 1

    @staticmethod
    def unavailable(config: TrainConfig, device: str) -> str | None:
        if config.optimizer != "sgd":
            return "the batched backend trains with SGD only; use --backend torch for Adam"
        if config.subwords:
            return "the batched backend trains word-level skip-gram only; use --backend torch or fast for --subwords"
        if config.model != "sg" or config.hs:
            return ("the batched backend trains skip-gram with negative sampling only; use --backend torch "
                    "(or fast, on CPU) for CBOW and hierarchical softmax")
        return None

    def __init__(self, config: TrainConfig, device: str, keep: np.ndarray, noise: NoiseDistribution,
                 tables: dict[str, np.ndarray], subwords: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config, self.device = config, torch.device(device)
        self.item_words = ITEM_WORDS
        self._graph: GraphedStep | None = None
        if self.device.type == "cpu":
            torch.set_num_threads(config.threads)
        self._tables = {name: torch.from_numpy(np.array(t, dtype=np.float32)).to(self.device)
                        for name, t in tables.items()}
        self.keep = torch.from_numpy(np.asarray(keep, dtype=np.float32)).to(self.device)
        self.alias_prob = torch.from_numpy(noise.prob.astype(np.float32)).to(self.device)
        self.alias_idx = torch.from_numpy(noise.alias.astype(np.int64)).to(self.device)
        self.pin = self.device.type == "cuda"

    def _negatives(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` noise words by the alias method, on the device."""
        slot = torch.randint(0, self.alias_prob.numel(), (n,), generator=generator, device=self.device)
        coin = torch.rand(n, generator=generator, device=self.device)
        return torch.where(coin < self.alias_prob[slot], slot, self.alias_idx[slot])

    @torch.no_grad()
    def train_item(self, chunk: np.ndarray, alpha0: float, alpha1: float, seed: int,
                   slot: int | None = None) -> tuple[float, int]:
        c = self.config
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed)
        host = torch.from_numpy(np.asarray(chunk, dtype=np.int64))
        ids = (host.pin_memory() if self.pin else host).to(self.device, non_blocking=True)
        centers, contexts, _ = window_pairs(ids, self.keep, c.window, gen)
        n = centers.numel()
        order = torch.randperm(n, generator=gen, device=self.device)  # pairs of all offsets mixed
        centers, contexts = centers[order], contexts[order]
        inp, out = self._tables["input"], self._tables["output"]
        batches = max(1, -(-n // BATCH_PAIRS))
        negs = self._negatives(batches * SHARED_NEGATIVES, gen).view(batches, SHARED_NEGATIVES)
        step = self._graphed(inp, out)
        loss, measured = torch.zeros((), device=self.device), 0  # summed loss of `measured` pairs
        with _matmul_tf32(self.device.type == "cuda" and TF32):
            for b in range(batches):
                alpha = alpha0 + (alpha1 - alpha0) * b / batches
                ctx, cen = contexts[b * BATCH_PAIRS:(b + 1) * BATCH_PAIRS], centers[b * BATCH_PAIRS:(b + 1) * BATCH_PAIRS]
                track = LOSS_EVERY > 0 and b % LOSS_EVERY == 0
                if step is not None and ctx.numel() == BATCH_PAIRS:
                    loss += step(ctx, cen, negs[b], alpha, track)
                else:
                    loss += shared_negative_step(inp, out, ctx, cen, negs[b], alpha, c.negative, track)
                measured += ctx.numel() if track else 0
        # one synchronisation per work item; the measured batches' loss stands for all n pairs;
        # loss terms counted as word2vec's: 1 + K per pair
        return float(loss) * n / max(1, measured), n * (1 + c.negative)

    def _graphed(self, inp: torch.Tensor, out: torch.Tensor) -> "GraphedStep | None":
        """The captured step for full batches (None off CUDA, or for rules that count rows)."""
        if not (CUDA_GRAPHS and self.device.type == "cuda" and ROW_SCALE.startswith("sum")):
            return None
        key = (BATCH_PAIRS, SHARED_NEGATIVES, ROW_SCALE, TF32)
        if self._graph is None or self._graph.key != key:
            with _matmul_tf32(TF32):
                self._graph = GraphedStep(inp, out, BATCH_PAIRS, SHARED_NEGATIVES, self.config.negative)
            self._graph.key = key
        return self._graph

    def end_round(self, pool: Any = None) -> None:
        return None

    def release(self) -> None:
        return None

    def tables(self) -> dict[str, np.ndarray]:
        return {name: t.cpu().numpy().copy() for name, t in self._tables.items()}

    def live_tables(self) -> dict[str, torch.Tensor]:
        return self._tables

    def load_tables(self, tables: dict[str, np.ndarray]) -> None:
        for name, t in self._tables.items():
            t.copy_(torch.from_numpy(np.asarray(tables[name], dtype=np.float32)))

    def optimizer_state(self) -> None:
        return None

    def load_optimizer_state(self, tensors: dict[str, np.ndarray], rest: dict[str, Any]) -> None:
        return None
