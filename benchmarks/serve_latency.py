"""`palabra2vec serve` on a large model: load time, memory and query latency.

    .venv/bin/python benchmarks/serve_latency.py [--words 1000000] [--dim 300] [--queries 1000]

Writes a word2vec binary file of random vectors (``--words`` x ``--dim``, float32, random
Spanish-looking words, seed 0) into a temporary directory (deleted at the end, never committed),
then, in a fresh child process (so its memory is the server's alone), loads it as
`palabra2vec serve FILE` does (``create_app``: ``load_vectors``, row norms, completion index),
serves it with uvicorn on 127.0.0.1 and sends ``--queries`` neighbour requests
(``GET /api/neighbours?word=W&topn=10``, W drawn uniformly from the vocabulary, seed 1) and as many
completion requests (``GET /api/suggest?q=P``, P the first 1-4 letters of a drawn word) over one
keep-alive HTTP connection, timing each from request sent to answer read. Prints load time,
resident memory (current and peak), the time of one bare pass over the table (``vectors @ q``,
the floor of a neighbour query) and latency percentiles.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np

LETTERS = list("abcdefghijklmnopqrstuvwxyz") * 4 + list("áéíóúñü")


def write_vectors(path: Path, n: int, dim: int, seed: int = 0, block: int = 50_000) -> None:
    """A word2vec binary file (gensim's layout: ``word`` + space + dim float32, no newline), by blocks."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    with open(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        for start in range(0, n, block):
            m = min(block, n - start)
            lengths = rng.integers(3, 13, size=m)
            letters = rng.integers(0, len(LETTERS), size=(m, 12))
            rows = rng.standard_normal((m, dim), dtype=np.float32)  # (m, dim)
            out = bytearray()
            for k in range(m):
                w = "".join(LETTERS[j] for j in letters[k, : lengths[k]])
                while w in seen:
                    w += LETTERS[int(rng.integers(0, 26))]
                seen.add(w)
                out += w.encode() + b" " + rows[k].astype("<f4").tobytes()
            f.write(out)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    with open("/proc/self/statm") as f:
        cur = int(f.read().split()[1]) * resource.getpagesize() / 2**20
    return cur, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str, queries: int, restrict_vocab: int | None = None) -> None:
    """Load and serve ``path``, time the requests, print one JSON line of figures."""
    import uvicorn

    from palabra2vec.cli.serve import bind
    from palabra2vec.serve.app import create_app

    t0 = time.perf_counter()
    app = create_app(path, restrict_vocab=restrict_vocab)
    load_s = time.perf_counter() - t0
    rss_loaded, peak_loaded = rss_mb()
    ex = app.state.explorer
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    rng = np.random.default_rng(1)
    words = [ex.wv.index_to_key[i] for i in rng.integers(0, len(ex.wv), size=queries)]
    conn = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=60)

    def timed(url: str) -> float:
        t = time.perf_counter()
        conn.request("GET", url)
        r = conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t
        if r.status != 200:
            raise SystemExit(f"{url}: {r.status} {body[:200]!r}")
        return dt

    q = ex.wv.get_vector(words[0], norm=True)
    floor = []
    for _ in range(20):  # the memory-bound core of a query: one pass over the table
        t = time.perf_counter()
        ex.wv.vectors @ q
        floor.append(time.perf_counter() - t)
    timed("/api/neighbours?word=" + quote(words[0]))  # one warm-up request
    near = [timed(f"/api/neighbours?word={quote(w)}&topn=10") for w in words]
    prefixes = [w[: 1 + k % 4] for k, w in enumerate(words)]
    sugg = [timed(f"/api/suggest?q={quote(p)}&limit=10") for p in prefixes]
    rss_end, peak_end = rss_mb()
    server.should_exit = True
    thread.join(10)
    print(json.dumps({"words": len(ex.wv), "dim": ex.wv.vector_size, "load_s": load_s,
                      "rss_loaded_mb": rss_loaded, "peak_loaded_mb": peak_loaded,
                      "rss_end_mb": rss_end, "peak_end_mb": peak_end,
                      "matvec_ms": float(np.median(floor)) * 1000,
                      "neighbours_ms": [float(np.percentile(near, q)) * 1000 for q in (50, 90, 99)] + [max(near) * 1000],
                      "suggest_ms": [float(np.percentile(sugg, q)) * 1000 for q in (50, 90, 99)] + [max(sugg) * 1000]}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--words", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--restrict-vocab", type=int, default=None,
                   help="as `serve --restrict-vocab N`: answers from the N most frequent words")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child, a.queries, a.restrict_vocab)
    with tempfile.TemporaryDirectory(prefix="palabra2vec-serve-bench-") as tmp:
        path = Path(tmp) / "vectors.bin"
        t = time.perf_counter()
        write_vectors(path, a.words, a.dim)
        size = os.path.getsize(path)
        print(f"wrote {a.words:,} x {a.dim} random vectors, word2vec binary, {size / 2**20:,.0f} MB "
              f"({time.perf_counter() - t:.1f}s)", flush=True)
        extra = ["--restrict-vocab", str(a.restrict_vocab)] if a.restrict_vocab else []
        out = subprocess.run([sys.executable, __file__, "--child", str(path), "--queries", str(a.queries), *extra],
                             check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    table_mb = r["words"] * r["dim"] * 4 / 2**20
    print(f"load (read file, norms, completion index): {r['load_s']:.1f}s")
    print(f"RSS after load: {r['rss_loaded_mb']:,.0f} MB (peak while loading {r['peak_loaded_mb']:,.0f} MB; "
          f"the float32 table alone is {table_mb:,.0f} MB)")
    print(f"RSS after the queries: {r['rss_end_mb']:,.0f} MB (peak {r['peak_end_mb']:,.0f} MB)")
    print(f"one pass over the table (vectors @ query, numpy): median {r['matvec_ms']:.1f} ms over 20")
    restricted = f", restrict_vocab {a.restrict_vocab:,}" if a.restrict_vocab else ""
    for name, key in ((f"neighbours (topn 10{restricted})", "neighbours_ms"), ("suggest (limit 10)", "suggest_ms")):
        p50, p90, p99, worst = r[key]
        print(f"{name:<22} over {a.queries:,} HTTP requests: p50 {p50:.1f} ms, p90 {p90:.1f} ms, "
              f"p99 {p99:.1f} ms, max {worst:.1f} ms")


if __name__ == "__main__":
    main()
