"""How much the Spanish quality figures move when only the cut of the id stream into work items
changes (benchmarks/RESULTS.md, round 5, "how much the Spanish Spearman figures move").

    .venv/bin/python benchmarks/layout_noise.py VARIANTS SEEDS [extra train options]
    .venv/bin/python benchmarks/layout_noise.py even,noeven,size246000,inter,t1,hogwild 1,2,3

Trains compare_gensim.py's palabra2vec command on its pre-tokenized corpus-es
(``/tmp/palabra2vec-bench/corpus-es.txt``) and prints analogy / MSL / SemEval17 per run.
Variants: ``even`` (as shipped), ``noeven`` (items of the plain size, ``train.even_rounds``
off), ``sizeN`` (items of N ids), ``inter`` (a round's items from the two halves of the
corpus, as gensim's ``corpus_file`` threads), ``t1`` (one thread), ``hogwild``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import quality  # noqa: E402

ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
CORPUS = "/tmp/palabra2vec-bench/corpus-es.txt"

PATCH = {
    "noeven": "t.even_rounds = lambda n, size, threads: size\n",
    "inter": '''
orig = t.Trainer._items
def items(self, corpus, start_item=0):
    chunks = [c for _, c in orig(self, corpus, start_item)]
    per = -(-len(chunks) // self.backend.threads)
    order = [k * per + r for r in range(per) for k in range(self.backend.threads) if k * per + r < len(chunks)]
    for i, j in enumerate(order):
        self._item_end[i] = 0
        yield i, chunks[j]
t.Trainer._items = items
''',
}


def run(variant: str, seed: int, out: Path, extra: list[str]) -> None:
    patch = PATCH.get(variant, "")
    if variant.startswith("size"):
        patch = f"t.even_rounds = lambda n, size, threads: {int(variant[4:])}\n"
    code = ("import sys, palabra2vec.training.train as t\n" + patch
            + "from palabra2vec.cli.main import main\nsys.exit(main(sys.argv[1:]))\n")
    cmd = [sys.executable, "-c", code, "train", CORPUS, "--tokenizer", "whitespace", "-q", "--no-plot",
           "-o", str(out), "--overwrite", "--vector-size", "100", "--window", "5", "--negative", "5",
           "--sample", "1e-4", "--subsample-formula", "word2vec", "--min-count", "5", "--epochs", "5",
           "--alpha", "0.025", "--min-alpha", "0.0001", "--threads", "2", "--seed", str(seed),
           "--backend", "fast", *extra]
    cmd += ["--hogwild"] if variant == "hogwild" else []
    cmd += ["--threads", "1"] if variant == "t1" else []
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def main() -> None:
    variants, seeds, extra = sys.argv[1].split(","), [int(s) for s in sys.argv[2].split(",")], sys.argv[3:]
    tmp = Path(tempfile.mkdtemp())
    analogies = quality.analogy_file(sorted((DATA / "eval/es/rukua95/analogy").glob("*")), tmp)
    pairs = {"MSL": quality.pairs_file(DATA / "eval/es/rukua95/MSL.txt", tmp),
             "SEMEVAL17": quality.pairs_file(DATA / "eval/es/muse/ES_SEMEVAL17.txt", tmp)}
    for seed in seeds:
        for v in variants:
            out = tmp / f"{v}-{seed}"
            run(v, seed, out, extra)
            r = quality.evaluate(quality.load_palabra2vec(out), analogies, pairs)
            info = json.loads((out / "config.json").read_text(encoding="utf-8"))
            info = info.get("info", info)
            print(v, seed, {k: round(x, 4) for k, x in r.items()}, "train", info.get("seconds_train"), flush=True)


if __name__ == "__main__":
    main()
