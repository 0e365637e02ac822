"""Where the time and memory of ``palabra2vec train`` go, phase by phase, in one process.

    .venv/bin/python benchmarks/profile_phases.py FILE [--threads 2] [--epochs 5] [--subwords] [--model cbow] [--hs]

FILE is a pre-tokenized corpus (one sentence per line; compare_gensim.py writes one to
/tmp/palabra2vec-bench/). Runs the CLI's steps (``Word2Vec.train`` as ``palabra2vec train``
does, then save, loss plot, neighbour probes) and prints, after each phase, its seconds and
the resident memory: all of it, the anonymous part (heap, tables, deltas) and the part mapped
from files (shared libraries: llvmlite's alone is ~40 MB after import and ~70 MB once the
kernel is loaded), with the peak so far. Training is split into the threads' work items,
the merges of deterministic rounds (``end_round``) and the rest (waiting for the slower
thread of a round, reading chunks, Python between rounds).
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()


def rss_mb() -> dict[str, float]:
    """Current RSS, its anonymous and file-backed parts, and the peak, in MB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) / 1024
    out["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def report(phase: str, t: float) -> float:
    now = time.perf_counter()
    m = rss_mb()
    print(f"| {phase} | {now - t:.2f} | {m.get('VmRSS', 0):.0f} | {m.get('RssAnon', 0) + m.get('RssShmem', 0):.0f} | "
          f"{m.get('RssFile', 0):.0f} | {m['peak']:.0f} |", flush=True)
    return now


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--subwords", action="store_true", help="fastText subwords (n-grams 3-6, 2,000,000 buckets)")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    a = p.parse_args()
    print("| phase | s | RSS MB | anon MB | file MB | peak MB |\n|---|---:|---:|---:|---:|---:|")
    t = T0
    import numpy  # noqa: F401
    t = report("import numpy", t)
    import numba  # noqa: F401
    t = report("import numba (llvmlite)", t)
    from palabra2vec.cli.main import build_parser  # noqa: F401  (what the CLI imports; no torch)
    from palabra2vec.config import TrainConfig
    from palabra2vec.memory import return_free_memory
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus
    from palabra2vec.training.train import Trainer
    from palabra2vec.word2vec import Word2Vec
    t = report("import palabra2vec and its CLI", t)
    cfg = TrainConfig(tokenizer="whitespace", threads=a.threads, epochs=a.epochs, backend="fast", sample=1e-4,
                      subsample_formula="word2vec", model=a.model, hs=a.hs, negative=0 if a.hs else 5,
                      alpha=0.05 if a.model == "cbow" else 0.025,
                      **({"subwords": True, "min_n": 3, "max_n": 6, "buckets": 2_000_000} if a.subwords else {})
                      ).validate()
    vocab, enc = encode_corpus(Corpus([a.file], "whitespace", max_sentence_length=cfg.max_sentence_length), cfg.min_count)
    t = report(f"read+count+encode ({enc.raw_words / 1e6:.1f}M words)", t)
    return_free_memory()
    t = report("give freed heap back (malloc_trim)", t)
    trainer = Trainer(vocab, cfg, progress=False, corpus_words=enc.raw_words)
    t = report("trainer set-up (tables, noise)", t)
    chunk = next(enc.chunks(1024))
    trainer.backend.train_item(chunk, 0.0, 0.0, 1)  # alpha 0: no change, compiles or loads
    t = report("kernel compile/cache load", t)
    backend = trainer.backend
    spent = {"items": 0.0, "merge": 0.0}
    train_item, end_round = backend.train_item, backend.end_round

    def timed_item(*args, **kw):
        t0 = time.thread_time()
        try:
            return train_item(*args, **kw)
        finally:
            spent["items"] += time.thread_time() - t0

    def timed_round(*args, **kw):
        t0 = time.perf_counter()
        try:
            return end_round(*args, **kw)
        finally:
            spent["merge"] += time.perf_counter() - t0

    backend.train_item, backend.end_round = timed_item, timed_round
    state = trainer.train(enc)
    t = report(f"training ({state.words_per_second / 1e6:.2f}M words/s)", t)
    model = Word2Vec(cfg, vocab, trainer.tables(), {}, state.history)
    with tempfile.TemporaryDirectory() as d:
        model.save(Path(d) / "m")
        t = report("saving", t)
        from palabra2vec.cli.plots import write_loss_plot

        write_loss_plot(Path(d) / "m")
        t = report("loss plot (matplotlib)", t)
    enc.close()
    report("total", T0)
    print(f"\ntraining {state.elapsed:.2f} s wall on {a.threads} threads: work items {spent['items']:.2f} CPU-s in all "
          f"({spent['items'] / a.threads:.2f} s per thread), merges of deterministic rounds {spent['merge']:.2f} s, "
          f"the rest (waiting for a round's slower thread, Python) "
          f"{state.elapsed - spent['items'] / a.threads - spent['merge']:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
