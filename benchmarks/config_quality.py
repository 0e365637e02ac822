"""Train palabra2vec in-process with any TrainConfig fields and print its Spanish quality (GA
analogies, MSL, SemEval17), for quick one-change-at-a-time comparisons on a slice of corpus-es.

    .venv/bin/python benchmarks/config_quality.py /tmp/palabra2vec-bench/corpus-es-first23.txt '{"hs": true}'

CORPUS is pre-tokenized (``compare_fasttext.py --quick`` writes the first 23 files). The JSON
overrides ``compare_fasttext.py``'s settings for palabra2vec --subwords with hierarchical softmax
(100 dims, window 5, negative 0, hs, sample 1e-4, min_count 5, n-grams 3-6, 2M buckets, alpha
0.025 -> 0.0001, 5 epochs, 2 deterministic threads, seed 1), including fields the command line
does not offer (``chunk_words``). Prints the train time (wall, in-process: not a benchmark).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import quality  # noqa: E402
from compare_gensim import DATA  # noqa: E402

from palabra2vec.config import TrainConfig  # noqa: E402
from palabra2vec.word2vec import Word2Vec  # noqa: E402

SETTINGS = dict(tokenizer="whitespace", vector_size=100, window=5, negative=0, hs=True, sample=1e-4, min_count=5,
                epochs=5, alpha=0.025, min_alpha=0.0001, threads=2, seed=1, backend="fast", subwords=True, min_n=3,
                max_n=6, buckets=2_000_000)


def main() -> None:
    corpus, spec = sys.argv[1], sys.argv[2]
    config = TrainConfig(**{**SETTINGS, **json.loads(spec)})
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        t = time.perf_counter()
        model = Word2Vec.train(corpus, config, progress=False)
        wall = time.perf_counter() - t
        model.save(tmp / "m")
        ga = sorted((DATA / "eval/es/rukua95/analogy").glob("GA*.txt"))
        pairs = {"MSL": quality.pairs_file(DATA / "eval/es/rukua95/MSL.txt", tmp),
                 "SEMEVAL17": quality.pairs_file(DATA / "eval/es/muse/ES_SEMEVAL17.txt", tmp)}
        r = quality.evaluate(quality.load_palabra2vec(tmp / "m"), quality.analogy_file(ga, tmp), pairs)
    print(spec, f"train {wall:.1f}s", {k: round(v, 4) for k, v in r.items()})


if __name__ == "__main__":
    main()
