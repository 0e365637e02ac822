"""Work items of equal expected cost for deterministic rounds (training/balance.py)."""

from __future__ import annotations

import numpy as np

from palabra2vec.training.balance import balance_round, hs_costs, subword_costs


def _chunk(sentences):
    return np.array([i for s in sentences for i in (*s, -1)], dtype=np.int32)


def test_a_round_is_recut_at_sentence_ends_into_items_of_equal_cost():
    costs = np.array([1.0, 10.0])  # word 1 costs ten times word 0
    heavy = _chunk([[1, 1, 1, 1]] * 6)  # 240
    light = _chunk([[0, 0, 0, 0]] * 6)  # 24
    items = balance_round([heavy, light], costs)
    assert len(items) == 2
    assert np.array_equal(np.concatenate(items), np.concatenate([heavy, light]))  # same ids, same order
    assert all(it.size and it[-1] == -1 for it in items)  # each ends a sentence
    cost = [float(costs[it[it >= 0]].sum()) for it in items]
    assert abs(cost[0] - cost[1]) <= 40  # at most one sentence apart (was 240 vs 24)


def test_one_item_or_no_sentence_end_stays_as_it_is():
    costs = np.ones(3)
    one = [_chunk([[0, 1, 2]])]
    assert balance_round(one, costs) is one
    uncut = [np.array([0, 1], np.int32), np.array([2, 2], np.int32)]  # a sentence longer than a chunk
    assert balance_round(uncut, costs) is uncut


def test_subword_costs_grow_with_ngrams_and_keep():
    offsets = np.array([0, 2, 10, 10])  # words with 2, 8 and 0 n-grams
    keep = np.array([1.0, 1.0, 0.5], np.float32)
    c = subword_costs(keep, offsets, outputs=11)
    assert c[1] > c[0] > c[2] > 0
    assert c[2] == 0.5 * (4 * 11 + 2)


def test_hs_costs_grow_with_the_huffman_path_and_count_the_negatives():
    keep = np.array([1.0, 1.0, 0.5], np.float32)
    lengths = np.array([3, 12, 12], np.int32)
    c = hs_costs(keep, lengths, negative=0)
    assert c[1] > c[0] and c[2] == 0.5 * c[1] == 0.5 * (2 + 3 * 12)
    assert np.allclose(hs_costs(keep, lengths, negative=5) - c, keep * 4 * 6)


def test_skip_gram_hs_rounds_are_cut_by_expected_cost_and_stay_deterministic():
    """Deterministic skip-gram + HS re-cuts each round by :func:`hs_costs` of the Huffman
    paths; the cut is a function of the data, so two runs give the same vectors."""
    from palabra2vec.config import TrainConfig
    from palabra2vec.training.train import Trainer
    from palabra2vec.text.encoded import encode_corpus

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    p = 1.0 / np.arange(1, 301)
    sents = [[words[j] for j in rng.choice(300, size=12, p=p / p.sum())] for _ in range(800)]
    cfg = TrainConfig(min_count=1, epochs=1, vector_size=16, threads=2, chunk_words=2000, hs=True, negative=0,
                      backend="fast", seed=3).validate()
    runs = []
    for _ in range(2):
        vocab, enc = encode_corpus(sents, cfg.min_count)
        tr = Trainer(vocab, cfg, progress=False, corpus_words=enc.raw_words)
        tr.train(enc)
        lengths = tr.backend.code_lengths()
        assert lengths.shape == (len(vocab),) and lengths.min() >= 1
        assert np.array_equal(tr.item_costs, hs_costs(tr.keep, lengths, 0))
        runs.append(tr.tables()["input"].copy())
        enc.close()
    assert np.array_equal(runs[0], runs[1])
