"""Child process for compare_phrases.py: gensim's Phrases + FrozenPhrases on a pre-tokenized file.

Usage: python gensim_phrases.py FILE OUT.txt PHRASES.json PASSES MIN_COUNT THRESHOLD SCORING CONNECTORS

The usual gensim recipe, pass after pass: ``Phrases(stream)`` learns, ``freeze()`` gives the
``FrozenPhrases`` that joins, and the next pass learns on the joined stream
(``frozen[stream]``, applied lazily as gensim's documentation does). The last stream is
written one sentence per line. CONNECTORS is a file with one connector word per line (the
same set palabra2vec uses). Prints one JSON line with the phases' seconds; PHRASES.json gets
each pass's ``export_phrases()``.
"""

import json
import sys
import time

from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence


def main() -> None:
    path, out, phrases_out = sys.argv[1], sys.argv[2], sys.argv[3]
    passes, min_count, threshold, scoring = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
    with open(sys.argv[8], encoding="utf-8") as f:
        connectors = frozenset(f.read().split())
    t0 = time.perf_counter()
    stream = LineSentence(path, max_sentence_length=10**9)
    exported, seconds = [], []
    for _ in range(passes):
        t = time.perf_counter()
        model = Phrases(stream, min_count=min_count, threshold=threshold, scoring=scoring,
                        connector_words=connectors, progress_per=10**9)
        frozen = model.freeze()
        exported.append(frozen.phrasegrams)
        del model
        stream = frozen[stream]
        seconds.append(time.perf_counter() - t)
    t = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        for sentence in stream:
            f.write(" ".join(sentence))
            f.write("\n")
    t_write = time.perf_counter() - t
    with open(phrases_out, "w", encoding="utf-8") as f:
        json.dump(exported, f, ensure_ascii=False)
    print(json.dumps(dict(seconds_passes=seconds, seconds_write=t_write, seconds=time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
