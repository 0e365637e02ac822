"""The vocabulary pass (reading + counting + encoding) against gensim's ``build_vocab``, and how
it grows with the corpus.

    .venv/bin/python benchmarks/vocab_pass.py                  # corpus-es 1x, 4x, 16x
    .venv/bin/python benchmarks/vocab_pass.py --copies 1 4 --repeats 1

The pre-tokenized ``corpus-es`` (one sentence per line, as compare_gensim.py writes it to
``--cache-dir``) is concatenated 1x/4x/16x into a temporary directory, deleted afterwards.
Each side runs as its own child process on the same file, back to back:

* palabra2vec: ``encode_corpus(Corpus([FILE], "whitespace"), min_count=5)``, the pass ``train``
  runs (read, split, count, select the vocabulary, write the int32 id file), timed in-process,
  with 1 thread (``palabra2vec``) and with ``--workers`` threads counting parts of each block
  (``pal-Nt``, where N > 1); ``--readable`` also times the plain Python pass (``compiled=False``);
* gensim: ``Word2Vec(min_count=5).build_vocab(corpus_file=FILE)``, timed in-process (gensim
  reads a ``corpus_file`` through ``LineSentence`` for its vocabulary; no faster way exists).

seconds = the pass in-process (imports and process start-up excluded: numba's and gensim's;
loading palabra2vec's compiled kernel from numba's cache is included); peak RSS = the whole
child (``/usr/bin/time``). With ``--repeats`` > 1 the fastest run of each is kept. The slope
is a least-squares line through (million words, seconds) over the sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare_gensim import DATA, pretokenize  # noqa: E402

PY = sys.executable

OURS = """
import json, sys, time
t0 = time.perf_counter()
from palabra2vec.text.corpus import Corpus
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.text import fast_encode  # numba (train imports it anyway, for training)
fast_encode.WORKERS = int(sys.argv[3])
t1 = time.perf_counter()
vocab, enc = encode_corpus(Corpus([sys.argv[1]], "whitespace"), 5, compiled=sys.argv[2] == "compiled")
t2 = time.perf_counter()
print(json.dumps(dict(seconds=t2 - t1, imports=t1 - t0, words=enc.raw_words, vocab=len(vocab))))
enc.close()
"""

GENSIM = """
import json, logging, sys, time
t0 = time.perf_counter()
from gensim.models import Word2Vec
t1 = time.perf_counter()
model = Word2Vec(min_count=5, workers=2)
model.build_vocab(corpus_file=sys.argv[1])
t2 = time.perf_counter()
print(json.dumps(dict(seconds=t2 - t1, imports=t1 - t0, words=model.corpus_total_words, vocab=len(model.wv))))
"""


def run(code: str, *args: str) -> dict:
    """Run ``code`` in a child process; its JSON line plus its peak RSS (MB)."""
    fd, rss_name = tempfile.mkstemp(prefix="p2v-rss-")
    os.close(fd)
    cmd = [PY, "-c", code, *args]
    if os.path.exists("/usr/bin/time"):
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_name] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"child failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    text = Path(rss_name).read_text().split()
    os.unlink(rss_name)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["rss"] = float(text[-1]) / 1024 if text else float("nan")
    return out


def best(code: str, repeats: int, *args: str) -> dict:
    runs = [run(code, *args) for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"])


def slope(words: list[int], seconds: list[float]) -> tuple[float, float, float]:
    """(seconds per million words, intercept seconds, largest residual / largest time)."""
    x = np.array(words, dtype=float) / 1e6
    y = np.array(seconds)
    a, b = np.polyfit(x, y, 1)
    return a, b, float(np.max(np.abs(y - (a * x + b))) / y.max())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--readable", action="store_true", help="also time the plain Python pass")
    p.add_argument("--workers", type=int, default=2, help="also time the pass with this many threads (1: no)")
    p.add_argument("--cache-dir", default="/tmp/palabra2vec-bench")
    a = p.parse_args()
    base, tokens = pretokenize(DATA / "corpus-es", Path(a.cache_dir), "corpus-es")
    print(f"corpus: {base} ({tokens:,} tokens, {base.stat().st_size / 1e6:.1f} MB)", flush=True)
    run(OURS, str(base), "compiled", "1")  # compiles the kernel into numba's cache once
    threaded = [f"pal-{a.workers}t"] if a.workers > 1 else []
    sides = ["palabra2vec"] + threaded + (["readable"] if a.readable else []) + ["gensim"]
    rows: dict[str, list[dict]] = {s: [] for s in sides}
    with tempfile.TemporaryDirectory(prefix="p2v-vocab-") as tmp:
        for copies in a.copies:
            path = Path(tmp) / f"corpus-es-x{copies}.txt"
            data = base.read_bytes()
            with open(path, "wb") as f:
                for _ in range(copies):
                    f.write(data)
            del data
            t0 = time.perf_counter()
            for side in sides:
                if side == "gensim":
                    r = best(GENSIM, a.repeats, str(path))
                else:
                    workers = str(a.workers) if side in threaded else "1"
                    r = best(OURS, a.repeats, str(path), "readable" if side == "readable" else "compiled", workers)
                r["copies"] = copies
                rows[side].append(r)
                print(f"  {copies:>2}x {side:<11}: {r['seconds']:7.2f} s, {r['words']:,} words, "
                      f"vocabulary {r['vocab']:,}, peak RSS {r['rss']:.0f} MB", flush=True)
            print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
            path.unlink()
    print()
    ours = ["palabra2vec"] + threaded
    print("| corpus | words | " + " | ".join(f"{s} s | {s} words/s | {s} peak RSS" for s in sides)
          + "".join(f" | gensim s / {s} s" for s in ours) + " |")
    print("|---|---:|" + "---:|---:|---:|" * len(sides) + "---:|" * len(ours))
    for i, copies in enumerate(a.copies):
        cells = []
        for s in sides:
            r = rows[s][i]
            cells += [f"{r['seconds']:.2f}", f"{r['words'] / r['seconds'] / 1e6:.2f}M", f"{r['rss']:.0f} MB"]
        cells += [f"{rows['gensim'][i]['seconds'] / rows[s][i]['seconds']:.2f}x" for s in ours]
        print(f"| {copies}x | {rows['palabra2vec'][i]['words']:,} | " + " | ".join(cells) + " |")
    if len(a.copies) >= 2:
        print()
        for s in sides:
            k, b, res = slope([r["words"] for r in rows[s]], [r["seconds"] for r in rows[s]])
            print(f"slope {s:<11}: {k:.3f} s per million words (+ {b:.2f} s; largest residual "
                  f"{100 * res:.1f}% of the largest time)")
    same = {s: [r["vocab"] for r in rows[s]] for s in sides}
    print(f"vocabulary sizes: {same}")


if __name__ == "__main__":
    main()
