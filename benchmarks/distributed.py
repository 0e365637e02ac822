"""Distributed training on this machine: words/s, sync cost and quality for 1 and N processes.

    .venv/bin/python benchmarks/distributed.py --files 25 --epochs 3 --seeds 1 2 --procs 1 2

Each run is the real command line (``palabra2vec train`` for 1 process, ``torchrun
--nproc-per-node N -m palabra2vec train`` for N); its printed summary is parsed, and the
model is scored on the Spanish similarity sets (Spearman rho, pairs with both words known).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PALABRA2VEC_SHARED_DATA", ROOT.parent / "shared" / "data"))
SIM_SETS = {"MSL": DATA / "eval/es/rukua95/MSL.txt", "WS353": DATA / "eval/es/muse/ES_WS-353.txt"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def similarity_rho(model_dir: Path, path: Path) -> tuple[float, int]:
    """Spearman rho between gold scores and cosines, over the pairs whose words are known."""
    from scipy.stats import spearmanr

    from palabra2vec.vectors import load_vectors

    wv = load_vectors(model_dir)
    gold, pred = [], []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].lower() in wv and parts[1].lower() in wv:
            gold.append(float(parts[2]))
            pred.append(wv.similarity(parts[0].lower(), parts[1].lower()))
    return float(spearmanr(gold, pred)[0]), len(gold)


def train_command(procs: int, files: list[str], out: Path, extra: list[str]) -> list[str]:
    bindir = Path(sys.executable).parent
    if procs == 1:
        return [str(bindir / "palabra2vec"), "train", *files, "--output", str(out), "--no-plot", *extra]
    return [str(bindir / "torchrun"), "--nproc-per-node", str(procs), "--master-addr", "127.0.0.1",
            "--master-port", str(free_port()), "-m", "palabra2vec", "train", *files, "--output", str(out), *extra]


def run(procs: int, files: list[str], out: Path, extra: list[str], env: dict[str, str] | None = None) -> str:
    cmd = train_command(procs, files, out, extra)
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if res.returncode != 0:
        raise SystemExit(f"failed ({res.returncode}): {' '.join(cmd)}\n{res.stderr[-2000:]}")
    return res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=25, help="first N files of corpus-es")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--sync-every", type=int, nargs="+", default=[200_000])
    ap.add_argument("--average", nargs="+", default=["sum"], choices=["rows", "mean", "sum"])
    args = ap.parse_args()
    files = sorted(str(p) for p in (DATA / "corpus-es").glob("*.txt"))[: args.files]
    if not files:
        raise SystemExit(f"no corpus in {DATA / 'corpus-es'}")
    print(f"{len(files)} files of corpus-es, {args.epochs} epochs, {os.cpu_count()} cores")
    print("| procs | average | sync every | seed | words/s (training) | syncs x bytes | sync s | "
          + " | ".join(f"{k} rho (pairs)" for k in SIM_SETS) + " |")
    with tempfile.TemporaryDirectory() as tmp:
        for procs in args.procs:
            for average in (args.average if procs > 1 else ["-"]):
                for sync in (args.sync_every if procs > 1 else [0]):
                    for seed in args.seeds:
                        out = Path(tmp) / f"m{procs}-{average}-{sync}-{seed}"
                        extra = ["--epochs", str(args.epochs), "--seed", str(seed), "-q"]
                        if procs > 1:
                            extra += ["--sync-every", str(sync)]
                        text = run(procs, files, out, extra, {"PALABRA2VEC_DIST_AVERAGE": average} if procs > 1 else None)
                        wps = re.search(r"([\d,]+) words/s", text).group(1)
                        m = re.search(r"(\d+) syncs of ([\d,]+) bytes each took ([\d.]+)s", text)
                        syncs = f"{m.group(1)} x {m.group(2)}" if m else "-"
                        sync_s = m.group(3) if m else "-"
                        rhos = [similarity_rho(out, p) for p in SIM_SETS.values()]
                        print(f"| {procs} | {average} | {sync or '-'} | {seed} | {wps} | {syncs} | {sync_s} | "
                              + " | ".join(f"{r:.3f} ({n})" for r, n in rhos) + " |", flush=True)


if __name__ == "__main__":
    main()
