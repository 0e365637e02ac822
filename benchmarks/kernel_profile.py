"""Where the fast kernel's time goes, and how far it is from this machine's limits.

    .venv/bin/python benchmarks/kernel_profile.py FILE [--words 1000000] [--reps 5]

FILE is a pre-tokenized corpus (compare_gensim.py writes one to /tmp/palabra2vec-bench/).
One thread trains the first ``--words`` ids with ``fast.train_chunk`` (D=100, window 5,
negative 5, sample 1e-4) in variants compiled from the kernel's own source with one piece
changed, and prints the best CPU time of ``--reps`` runs of each; a piece's cost is the
difference from the full kernel (the pieces overlap in the CPU, so the costs need not add
up). Then the machine: float32 matrix-product rate (OpenBLAS, all cores) and copy bandwidth
(NumPy, one core), against the flops and bytes one trained pair needs.
"""

from __future__ import annotations

import argparse
import time
import types
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parent.parent / "palabra2vec" / "training" / "fast.py"

#: variant -> (what it leaves out, [(text in fast.py, replacement)])
VARIANTS = {
    "full": ("nothing", []),
    "no prefetch": ("the prefetch of the next center's rows", [
        ("            prefetch_copies(syn1, d1, slot1, outs[cur], negative + 1)\n", ""),
        ("            prefetch_copies(syn0, d0, slot0, ctx[cur], m)\n", "")]),
    "no sigmoid table": ("the sigmoid's table look-up (a linear stand-in)", [
        ("s = _SIGMOID[min(int((f + np.float32(_TABLE_EXP)) * scale), _TABLE_BINS - 1)]",
         "s = np.float32(0.5) + np.float32(0.001) * f")]),
    "no noise draws": ("the alias-table draws of negatives (a hash instead)", [
        ("state, outs[cur, k] = noise_word(state, alias_prob, alias_idx, center)",
         "outs[cur, k] = (center * 7919 + k * 104729 + pos) % alias_prob.shape[0]")]),
    "no updates": ("both scatters (scores and gradients still computed)", [
        ("    scatter_copy(t1, slot1", "    if alpha < -1.0:\n        scatter_copy(t1, slot1"),
        ("    scatter_copy(t0, slot0", "    if alpha < -1.0:\n        scatter_copy(t0, slot0")]),
    "draws only": ("the whole step (window_update): reading, subsampling and draws remain", [
        ("                loss += window_update(syn0, syn1, d0, d1, slot0, slot1, touched0, touched1, n_touched,\n"
         "                                      ctx[p], p_m, outs[p], negative + 1, p_alpha, g, rin, rout, p_track)",
         "                loss += p_alpha * outs[p, 1]")]),
}


def build(subs: list[tuple[str, str]]) -> types.ModuleType:
    src = SRC.read_text(encoding="utf-8").replace("cache=True", "cache=False")
    src = src.replace("from .jit import", "from palabra2vec.training.jit import")
    src = src.replace("from .sparse_delta import", "from palabra2vec.training.sparse_delta import")
    for old, new in subs:
        if old not in src:
            raise SystemExit(f"kernel_profile.py is out of date with fast.py: {old[:60]!r} not found")
        src = src.replace(old, new)
    mod = types.ModuleType("fast_variant")
    exec(compile(src, str(SRC), "exec"), mod.__dict__)
    return mod


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--words", type=int, default=1_000_000)
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    from palabra2vec.config import TrainConfig
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus
    from palabra2vec.training.train import Trainer

    cfg = TrainConfig(tokenizer="whitespace", threads=1, backend="fast", sample=1e-4,
                      subsample_formula="word2vec").validate()
    vocab, enc = encode_corpus(Corpus([a.file], "whitespace", max_sentence_length=1000), cfg.min_count)
    tr = Trainer(vocab, cfg, progress=False)
    ids = next(enc.chunks(a.words))
    start = {k: v.copy() for k, v in tr.backend.tables().items()}
    V, D = start["input"].shape
    mods = {name: build(subs) for name, (_, subs) in VARIANTS.items()}

    def run(mod, deterministic: bool) -> tuple[float, int]:
        syn0, syn1 = start["input"].copy(), start["output"].copy()
        if deterministic:  # one thread's row copies, as in a deterministic round
            d0, d1 = np.zeros((V, D), np.float32), np.zeros((V, D), np.float32)
            s0, s1 = np.full(V, -1, np.int32), np.full(V, -1, np.int32)
            t0, t1 = np.zeros(V, np.int32), np.zeros(V, np.int32)
        else:
            d0 = d1 = np.zeros((0, D), np.float32)
            s0 = s1 = t0 = t1 = np.zeros(0, np.int32)
        c = np.zeros(2, np.int64)
        t = time.thread_time()
        _, _, pairs = mod.train_chunk(ids, syn0, syn1, tr.keep, tr.noise.prob, tr.noise.alias, 5, 5, 0.025, 0.02,
                                      1, 1000, 8, d0, d1, s0, s1, t0, t1, c)
        return time.thread_time() - t, pairs

    best: dict[tuple[str, bool], float] = {}
    pairs = 0
    for rep in range(a.reps + 1):
        for name, mod in mods.items():
            for det in (True, False):
                cpu, pairs_run = run(mod, det)
                if name == "full":
                    pairs = pairs_run
                if rep:  # the first round compiles
                    best[name, det] = min(best.get((name, det), 1e9), cpu)
    words = int((ids >= 0).sum())
    print(f"one thread, {words:,} words, {pairs:,} trained (context, center) pairs, D={D}, window 5, negative 5; "
          f"best CPU seconds of {a.reps}\n")
    print("| variant (leaves out) | deterministic (row copies) s | cost | Hogwild s | cost |")
    print("|---|---:|---:|---:|---:|")
    for name, (what, _) in VARIANTS.items():
        det, hog = best[name, True], best[name, False]
        dcost = "" if name == "full" else f"{best['full', True] - det:+.3f}"
        hcost = "" if name == "full" else f"{best['full', False] - hog:+.3f}"
        print(f"| {name} ({what}) | {det:.3f} | {dcost} | {hog:.3f} | {hcost} |")
    full = best["full", True]
    print(f"\nfull kernel, deterministic: {pairs / full / 1e6:.2f}M pairs/s, {words / full / 1e6:.2f}M words/s "
          f"per core; {full / pairs * 1e9:.0f} ns per pair")

    # the machine
    n = 2048
    x = np.random.default_rng(0).random((n, n), dtype=np.float32)
    np.dot(x, x)
    t = time.perf_counter()
    for _ in range(5):
        np.dot(x, x)
    gflops = 5 * 2 * n**3 / (time.perf_counter() - t) / 1e9
    big = np.ones(50_000_000, np.float32)
    out = np.empty_like(big)
    np.copyto(out, big)
    t = time.perf_counter()
    for _ in range(5):
        np.copyto(out, big)
    gbs = 5 * 2 * big.nbytes / (time.perf_counter() - t) / 1e9
    flops_pair = 3 * (1 + 5) * D * 2  # scores, output step, input step: (1+K) rows of D multiply-adds each
    bytes_pair = 4 * D * 2 * (1 + 2 * (1 + 5) / 5.5)  # input row read+write, outputs shared by ~5.5 pairs
    print(f"\nmachine: sgemm {gflops:.0f} GFLOP/s (all cores), copy {gbs:.1f} GB/s (read+write, one core)")
    print(f"per pair: {flops_pair} flops, ~{bytes_pair:.0f} bytes of rows read and written (mostly from cache)")
    print(f"limits: compute {gflops * 1e9 / flops_pair / 1e6:.0f}M pairs/s; rows streamed from memory "
          f"{gbs * 1e9 / bytes_pair / 1e6:.0f}M pairs/s per core; measured {pairs / full / 1e6:.2f}M pairs/s per core")
    enc.close()


if __name__ == "__main__":
    main()
