"""Child process for compare_gensim.py: train gensim Word2Vec on a pre-tokenized file.

Usage: python gensim_train.py FILE OUT_DIR SEED THREADS EPOCHS [MODEL HS NEGATIVE ALPHA]
(MODEL sg or cbow, HS 0 or 1: defaults sg 0 5 0.025).
Prints one JSON line: {"seconds_vocab": ..., "seconds_train": ..., "seconds_save": ...}.
Settings match palabra2vec's defaults: skip-gram, 100 dims, window 5, negative 5,
sample 1e-4 (gensim uses word2vec.c's formula), min_count 5, alpha 0.025 -> 0.0001.
"""

import json
import sys
import time
from pathlib import Path

from gensim.models import Word2Vec


def main() -> None:
    path, out, seed, threads, epochs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    variant, hs, negative, alpha = (sys.argv[6:10] + ["sg", "0", "5", "0.025"][len(sys.argv[6:10]):])
    model = Word2Vec(sg=int(variant == "sg"), vector_size=100, window=5, negative=int(negative), hs=int(hs),
                     sample=1e-4, min_count=5, alpha=float(alpha), cbow_mean=1, min_alpha=0.0001, epochs=epochs,
                     workers=threads, seed=seed)
    t0 = time.perf_counter()
    model.build_vocab(corpus_file=path)
    t1 = time.perf_counter()
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
    t2 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    model.wv.save_word2vec_format(str(out / "vectors.bin"), binary=True)
    t3 = time.perf_counter()
    print(json.dumps(dict(seconds_vocab=t1 - t0, seconds_train=t2 - t1, seconds_save=t3 - t2,
                          corpus_words=model.corpus_total_words)))


if __name__ == "__main__":
    main()
