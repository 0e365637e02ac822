"""What the issue-16 safety checks cost: the divergence guard and the table checksums.

    .venv/bin/python benchmarks/hardening_costs.py [--vocab 100000] [--dim 100] [--repeat 20]

Prints the median time of: the guard's check after one work item (the most frequent rows,
``guards.ROW_BUDGET`` values per table), its whole-table check (checkpoints, epoch ends), and
the CRC-32 of both tables (every save and load), for random float32 tables of the given size.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from palabra2vec.fileio import table_checksums
from palabra2vec.training.guards import ROW_BUDGET, non_finite_rows


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    tables = [rng.standard_normal((a.vocab, a.dim), dtype=np.float32) for _ in range(2)]
    rows = max(1, ROW_BUDGET // a.dim)
    per_item = median_seconds(lambda: [non_finite_rows(t[:rows]) for t in tables], a.repeat)
    whole = median_seconds(lambda: [non_finite_rows(t) for t in tables], a.repeat)
    crc = median_seconds(lambda: table_checksums({"input": tables[0], "output": tables[1]}), a.repeat)
    mb = 2 * tables[0].nbytes / 2**20
    print(f"tables: 2 x {a.vocab:,} x {a.dim} float32 ({mb:,.0f} MB)")
    print(f"guard after each work item ({min(rows, a.vocab):,} rows per table): {per_item * 1e3:.2f} ms")
    print(f"guard over both whole tables (checkpoint, epoch end): {whole * 1e3:.2f} ms")
    print(f"CRC-32 of both tables (each save and load): {crc * 1e3:.2f} ms ({mb / crc:,.0f} MB/s)")


if __name__ == "__main__":
    main()
