"""Where the fast CPU path's resident memory goes, stage by stage (issue 17's peak-RSS mark).

    .venv/bin/python benchmarks/memory_profile.py /tmp/palabra2vec-bench/corpus-es.txt [--hogwild]

Runs ``Word2Vec.train``'s steps in-process with ``compare_gensim.py``'s settings (skip-gram + NS,
100 dims, 2 threads, whitespace tokenizer, 1 epoch: memory does not grow with epochs) and prints
the resident set (``VmRSS``) after each, split into libllvmlite's pages, anonymous memory and the
C heap, and the high-water mark (``VmHWM``). Two reference lines come from child processes:
Numba loading a trivial cached function (its code generator and runtime, whatever the kernel),
and importing gensim's ``Word2Vec`` (the other side's floor).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def rss_line(tag: str) -> str:
    """One line: VmRSS, VmHWM and the llvmlite / anonymous / heap shares, in MB."""
    shares: dict[str, int] = {}
    name = ""
    with open("/proc/self/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = parts[5] if len(parts) > 5 else "[anon]"
            elif line.startswith("Rss:"):
                shares[name] = shares.get(name, 0) + int(line.split()[1])
    status = open("/proc/self/status").read()
    rss, hwm = (int(re.search(rf"{k}:\s+(\d+)", status).group(1)) // 1024 for k in ("VmRSS", "VmHWM"))
    llvm = sum(v for k, v in shares.items() if "llvmlite" in k) // 1024
    return (f"{tag:34s} rss {rss:4d} MB  peak {hwm:4d}  llvmlite {llvm:3d}  anon {shares.get('[anon]', 0) // 1024:4d}"
            f"  heap {shares.get('[heap]', 0) // 1024:3d}")


TRIVIAL = """
import re, sys
sys.path.insert(0, {dir!r})
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024
import numpy as np
import numba
before = rss()
import trivial_kernel
trivial_kernel.f(np.ones(3))
print(before, rss())
"""


def numba_floor() -> str:
    """RSS of a child that imports Numba, then loads a one-line cached function (compiled once
    first, in a throw-away cache directory)."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "trivial_kernel.py").write_text(textwrap.dedent("""
            import numba
            @numba.njit(cache=True)
            def f(a):
                return a.sum()
        """))
        code = TRIVIAL.format(dir=d)
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # compile + cache
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    before, after = out.split()
    return f"{'numba, trivial cached function':34s} rss {before} MB after import, {after} MB once loaded"


def gensim_floor() -> str:
    code = ("import re\nfrom gensim.models import Word2Vec\n"
            "print(int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return f"{'gensim, import Word2Vec':34s} " + (f"rss {p.stdout.strip()} MB" if p.returncode == 0 else "(gensim not installed)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", help="a pre-tokenized file (one sentence per line)")
    p.add_argument("--hogwild", action="store_true", help="lock-free threads (no private row copies)")
    args = p.parse_args()
    print(rss_line("start (python)"), flush=True)
    from palabra2vec.config import TrainConfig
    from palabra2vec.memory import return_free_memory
    from palabra2vec.text.encoded import encode_corpus
    from palabra2vec.training.train import Trainer
    from palabra2vec.word2vec import as_corpus
    print(rss_line("import palabra2vec (numpy, numba)"), flush=True)
    cfg = TrainConfig(vector_size=100, window=5, negative=5, sample=1e-4, subsample_formula="word2vec", min_count=5,
                      epochs=1, threads=2, seed=1, backend="fast", model="sg", tokenizer="whitespace",
                      hogwild=args.hogwild).resolve(builtin_corpus=False).validate()
    vocab, encoded = encode_corpus(as_corpus(args.corpus, cfg, None, None), cfg.min_count, None)
    print(rss_line("read + count + encode"), flush=True)
    return_free_memory()
    print(rss_line("free memory returned (malloc_trim)"), flush=True)
    trainer = Trainer(vocab, cfg, [], False, corpus_words=encoded.raw_words)
    print(rss_line(f"trainer ({len(vocab):,} words x 100)"), flush=True)
    try:
        trainer.train(encoded)
    finally:
        encoded.close()
    print(rss_line("trained 1 epoch" + (" (hogwild)" if args.hogwild else "")), flush=True)
    print(numba_floor(), flush=True)
    print(gensim_floor(), flush=True)


if __name__ == "__main__":
    main()
