"""Child process for compare_fasttext.py: train fastText (its PyPI module) or gensim's FastText
on a pre-tokenized file and save the vocabulary words' vectors (word row + n-gram rows, mean).

Usage: python fasttext_train.py {fasttext,gensim} FILE OUT_DIR SEED THREADS EPOCHS [MODEL HS NEGATIVE ALPHA]
(MODEL sg|cbow, HS 0|1; defaults sg 0 5 0.025).
Prints one JSON line: {"seconds_train": ..., "seconds_save": ..., "vocab_words": ...}.
Settings: skip-gram, 100 dims, window 5, negative 5, sample 1e-4, min_count 5, n-grams 3-6,
2,000,000 buckets, alpha 0.025 (fastText: linear decay to 0; gensim: to 0.0001).
"""

import json
import sys
import time
from pathlib import Path

import numpy as np


def save_vectors(out: Path, words: list[str], vectors: np.ndarray) -> None:
    """word2vec binary, as gensim_train.py writes it."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words, np.ascontiguousarray(vectors, dtype=np.float32))
    out.mkdir(parents=True, exist_ok=True)
    kv.save_word2vec_format(str(out / "vectors.bin"), binary=True)


def main() -> None:
    system, path, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    seed, threads, epochs = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    model_kind, hs, negative, alpha = (sys.argv[7:11] + ["sg", "0", "5", "0.025"][len(sys.argv[7:11]):])
    hs, negative, alpha = int(hs), int(negative), float(alpha)
    t0 = time.perf_counter()
    if system == "fasttext":
        import fasttext

        model = fasttext.train_unsupervised(path, model="skipgram" if model_kind == "sg" else "cbow", dim=100, ws=5,
                                            neg=negative, loss="hs" if hs else "ns", t=1e-4, minCount=5,
                                            minn=3, maxn=6, bucket=2_000_000, epoch=epochs, thread=threads,
                                            lr=alpha, verbose=0)  # this module takes no seed
        t1 = time.perf_counter()
        words = [w for w in model.get_words() if w != "</s>"]
        vectors = np.stack([model.get_word_vector(w) for w in words])
    else:
        from gensim.models import FastText

        model = FastText(sg=int(model_kind == "sg"), vector_size=100, window=5, negative=negative, hs=hs, sample=1e-4,
                         min_count=5, min_n=3, max_n=6, bucket=2_000_000, alpha=alpha, min_alpha=0.0001, epochs=epochs,
                         workers=threads, seed=seed)
        model.build_vocab(corpus_file=path)
        model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
        t1 = time.perf_counter()
        words, vectors = list(model.wv.index_to_key), model.wv.vectors
    save_vectors(out, words, vectors)
    t2 = time.perf_counter()
    print(json.dumps(dict(seconds_train=t1 - t0, seconds_save=t2 - t1, vocab_words=len(words))))


if __name__ == "__main__":
    main()
