"""Work items of equal expected cost for deterministic rounds (training/balance.py)."""

from __future__ import annotations

import numpy as np

from palabra2vec.training.balance import balance_round, subword_costs


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
