"""How the work-item size of deterministic rounds (or --hogwild) changes a variant's quality.

    .venv/bin/python benchmarks/round_size.py CORPUS.txt ROUND_WORDS '{"model": "cbow", "hs": true, ...}' ...
    .venv/bin/python benchmarks/round_size.py --corpus-en /tmp/palabra2vec-bench/corpus-en.txt 0 '{...}'

CORPUS.txt is a pre-tokenized file (compare_gensim.py writes one to /tmp/palabra2vec-bench);
ROUND_WORDS overrides the trainer's work-item size (0: the trainer's own choice); each JSON
argument is a TrainConfig (2 threads, whitespace tokenizer unless it says otherwise). Prints
analogy accuracy and the Spearman of MSL and SemEval17 (quality.py's evaluator); with
``--corpus-en``, compare_gensim.py's English sets (questions-words, SimLex-999, SemEval17-en).

With ``P2V_GENSIM_SCHEDULE=1`` in the environment the learning rate follows gensim 4.4's
``corpus_file`` schedule with 2 workers instead of word2vec.c's linear one: each worker's
progress counts only its own half of an epoch (``get_next_alpha`` in
``word2vec_corpusfile.pyx``), so in epoch e (from 0) of E alpha falls from
alpha0 (1 - e/E) to alpha0 (1 - (e + 1/2)/E) and jumps back at the next epoch.
"""

import os

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import quality  # noqa: E402
from compare_gensim import eval_sets  # noqa: E402
from palabra2vec import TrainConfig  # noqa: E402
from palabra2vec.training.train import Trainer  # noqa: E402
from palabra2vec.word2vec import Word2Vec  # noqa: E402


def _gensim_corpusfile_alpha(self: Trainer, words_done: int) -> float:
    """gensim's corpus_file schedule with 2 workers (see the module docstring)."""
    c = self.config
    per_epoch = self.state.words_total / c.epochs
    epoch, done = divmod(min(words_done, self.state.words_total - 1), per_epoch)
    progress = (epoch + done / per_epoch / 2) / c.epochs
    return max(c.min_alpha, c.alpha - (c.alpha - c.min_alpha) * progress)


def main() -> None:
    args = sys.argv[1:]
    lang = "en" if "--corpus-en" in args else "es"
    args = [a for a in args if a != "--corpus-en"]
    corpus, round_words, specs = args[0], int(args[1]), args[2:]
    if round_words:
        Trainer.chunk_words = lambda self, encoded: round_words
    if os.environ.get("P2V_GENSIM_SCHEDULE") == "1":
        Trainer._alpha = _gensim_corpusfile_alpha
    tmp = Path(tempfile.mkdtemp(prefix="p2v-rounds-"))
    analogies, pairs = eval_sets(lang, tmp)
    for spec in specs:
        kw = json.loads(spec)
        model = Word2Vec.train(corpus, TrainConfig(**{"tokenizer": "whitespace", "threads": 2, **kw}), progress=False)
        out = tmp / "model"
        model.save(out)
        r = quality.evaluate(quality.load_palabra2vec(out), analogies, pairs)
        print(f"rounds {round_words or 'default'} {kw}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.items())
              + f", train {model.info['seconds_train']:.0f}s", flush=True)
        shutil.rmtree(out)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
