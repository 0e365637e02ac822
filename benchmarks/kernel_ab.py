"""A/B of the fast kernel between two source trees, in one process, on one thread.

    git archive COMMIT palabra2vec | tar -x -C /tmp/old
    .venv/bin/python benchmarks/kernel_ab.py FILE /tmp/old [--reps 7] [--words 2400000]

Trains the first ``--words`` ids of FILE (a pre-tokenized corpus; compare_gensim.py writes one)
in 10 deterministic "rounds" (one thread's delta, merged after each round, as the fast backend
does) with ``fast.train_chunk`` of the old tree and of this one, alternating, and prints CPU
seconds (best and median of ``--reps``) and whether the two give bit-identical tables. Old
trees with dense deltas (``merge_delta``), sparse deltas (``merge_sparse_delta``) and row
copies (``merge_copies``) are all understood.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent


def load_fast(root: Path) -> types.ModuleType:
    """``palabra2vec/training/fast.py`` of ``root``, compiled afresh (its relative imports
    resolved against the same tree)."""
    train = root / "palabra2vec" / "training"
    src = (train / "fast.py").read_text(encoding="utf-8").replace("cache=True", "cache=False")
    for dep in ("jit", "sparse_delta"):
        if (train / f"{dep}.py").exists():
            mod = types.ModuleType(f"{dep}_{id(root)}")
            dsrc = (train / f"{dep}.py").read_text(encoding="utf-8").replace("cache=True", "cache=False")
            dsrc = dsrc.replace("from .jit import", "from palabra2vec.training.jit import")
            exec(compile(dsrc, str(train / f"{dep}.py"), "exec"), mod.__dict__)
            sys.modules[mod.__name__] = mod
            src = src.replace(f"from .{dep} import", f"from {mod.__name__} import")
    mod = types.ModuleType(f"fast_{id(root)}")
    exec(compile(src, str(train / "fast.py"), "exec"), mod.__dict__)
    return mod


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("old_root", type=Path)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--words", type=int, default=2_400_000)
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
    rounds = np.array_split(ids, 10)
    start = {k: v.copy() for k, v in tr.backend.tables().items()}
    V, D = start["input"].shape
    kernels = {"old": load_fast(a.old_root), "new": load_fast(HERE)}

    def run(mod) -> tuple[float, np.ndarray, np.ndarray]:
        syn0, syn1 = start["input"].copy(), start["output"].copy()
        d0, d1 = np.zeros((V, D), np.float32), np.zeros((V, D), np.float32)
        sparse = hasattr(mod, "merge_sparse_delta")
        s0, s1 = (np.full(V, -1, np.int32), np.full(V, -1, np.int32)) if sparse else (np.zeros(V, np.int8), np.zeros(V, np.int8))
        t0, t1 = np.zeros(V, np.int32), np.zeros(V, np.int32)
        merge = mod.merge_sparse_delta if sparse else mod.merge_delta
        if hasattr(mod, "merge_copies"):  # row copies: one thread's copies replace the rows
            def merge(table, copy, slot, touched, n, mod=mod):
                mod.merge_copies(table, (copy,), (slot,), (touched,), np.array([n], np.int64))
        t = time.thread_time()
        for k, chunk in enumerate(rounds):
            c = np.zeros(2, np.int64)
            mod.train_chunk(chunk, syn0, syn1, tr.keep, tr.noise.prob, tr.noise.alias, 5, 5, 0.025, 0.02, k + 1,
                            1000, 8, d0, d1, s0, s1, t0, t1, c)
            merge(syn0, d0, s0, t0, c[0])
            merge(syn1, d1, s1, t1, c[1])
        return time.thread_time() - t, syn0, syn1

    times: dict[str, list[float]] = {"old": [], "new": []}
    tables = {}
    for rep in range(a.reps + 1):
        for name, mod in kernels.items():
            cpu, syn0, syn1 = run(mod)
            if rep:  # the first round compiles
                times[name].append(cpu)
            tables[name] = (syn0, syn1)
    for name, ts in times.items():
        print(f"{name}: best {min(ts):.3f} s, median {statistics.median(ts):.3f} s CPU ({' '.join(f'{t:.2f}' for t in ts)})")
    print(f"new / old: best {min(times['new']) / min(times['old']):.3f}, "
          f"median {statistics.median(times['new']) / statistics.median(times['old']):.3f}")
    same = all(np.array_equal(x, y) for x, y in zip(tables["old"], tables["new"]))
    print(f"bit-identical tables: {same}")
    enc.close()


if __name__ == "__main__":
    main()
