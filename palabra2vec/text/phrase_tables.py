"""Compiled core of phrase detection: counting, pruning and joining word-id pairs (Numba).

A phrase candidate is a non-connector word ``a``, any run of connector words, and the next
non-connector word ``b`` (gensim's ``Phrases`` rule). It is keyed by three int32s
``(a, node, b)``, where ``node`` numbers the run of connectors: node 0 is the empty run and
every other node is a ``(parent node, connector id)`` entry of a trie, so runs of any length
get exact, distinct numbers.

Both the pair counts and the trie live in open-addressing hash tables with linear probing:
``keys`` (capacity x 3, int32, ``-1`` in column 0 marks a free slot) and one int64 value per
slot (a count, a trie node or a phrase's token id). Capacities are powers of two, kept at most
about 75% full; the Python side grows a table when a kernel stops and says so.

The corpus is a stream of int32 ids with ``-1`` between sentences (as in ``encoded.py``).
"""

from __future__ import annotations

import numpy as np
from ..training.jit import njit

EMPTY = -1
#: A table is grown (capacity doubled) when it holds more than this share of its slots.
MAX_LOAD = 0.75
# Reasons a counting kernel returns early.
DONE, GROW_PAIRS, GROW_TRIE, PRUNE = 0, 1, 2, 3
# Positions in the counting state array.
S_START, S_NODE, S_PAIRS, S_NODES, S_UNIGRAMS, S_WORDS = range(6)


def new_table(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty hash table: keys (capacity, 3) int32 filled with -1, values int64 zeros."""
    cap = 1 << max(4, int(capacity - 1).bit_length())
    return np.full((cap, 3), EMPTY, dtype=np.int32), np.zeros(cap, dtype=np.int64)


@njit(inline="always")
def _hash(a, m, b):
    h = np.uint64(a) * np.uint64(0x9E3779B97F4A7C15)
    h ^= np.uint64(m) * np.uint64(0xC2B2AE3D27D4EB4F)
    h ^= np.uint64(b) * np.uint64(0x165667B19E3779F9)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h


@njit(inline="always")
def find_slot(keys, a, m, b):
    """The slot holding key (a, m, b), or the free slot where it would go."""
    mask = np.uint64(keys.shape[0] - 1)
    h = np.int64(_hash(a, m, b) & mask)
    while True:
        k0 = keys[h, 0]
        if k0 == EMPTY or (k0 == a and keys[h, 1] == m and keys[h, 2] == b):
            return h
        h = np.int64((np.uint64(h) + np.uint64(1)) & mask)


@njit(cache=True)
def count_chunk(ids, pos, state, is_conn, unigrams, pkeys, pcounts, tkeys, tvals, max_entries):
    """Count unigrams and candidate pairs of ``ids[pos:]``, as gensim's ``_learn_vocab``.

    Connector words are not counted as unigrams; a candidate is counted once per occurrence.
    ``state`` carries (start word, trie node, pairs, trie nodes, distinct unigrams, tokens)
    across calls. Returns (position reached, reason): ``DONE``, ``GROW_PAIRS``/``GROW_TRIE``
    (a table is full: grow it and call again from the position) or ``PRUNE`` (after a
    sentence, unigrams + pairs exceed ``max_entries``: prune, then call again).
    """
    n = ids.shape[0]
    pair_limit = np.int64(pkeys.shape[0] * MAX_LOAD)
    trie_limit = np.int64(tkeys.shape[0] * MAX_LOAD)
    start = state[S_START]
    node = state[S_NODE]
    n_pairs = state[S_PAIRS]
    n_nodes = state[S_NODES]
    n_uni = state[S_UNIGRAMS]
    words = state[S_WORDS]
    i = pos
    reason = DONE
    while i < n:
        if n_pairs >= pair_limit:
            reason = GROW_PAIRS
            break
        if n_nodes >= trie_limit:
            reason = GROW_TRIE
            break
        w = ids[i]
        i += 1
        if w < 0:  # end of a sentence
            start = -1
            node = 0
            if n_uni + n_pairs > max_entries:
                reason = PRUNE
                break
            continue
        words += 1
        if not is_conn[w]:
            if unigrams[w] == 0:
                n_uni += 1
            unigrams[w] += 1
            if start >= 0:
                s = find_slot(pkeys, start, node, w)
                if pkeys[s, 0] == EMPTY:
                    pkeys[s, 0] = start
                    pkeys[s, 1] = node
                    pkeys[s, 2] = w
                    n_pairs += 1
                pcounts[s] += 1
            start = w  # the end of one candidate is the start of the next
            node = 0
        elif start >= 0:  # a connector inside a candidate: one step down the trie
            s = find_slot(tkeys, node, w, 0)
            if tkeys[s, 0] == EMPTY:
                tkeys[s, 0] = node
                tkeys[s, 1] = w
                tkeys[s, 2] = 0
                n_nodes += 1
                tvals[s] = n_nodes
            node = tvals[s]
    state[S_START] = start
    state[S_NODE] = node
    state[S_PAIRS] = n_pairs
    state[S_NODES] = n_nodes
    state[S_UNIGRAMS] = n_uni
    state[S_WORDS] = words
    return i, reason


@njit(cache=True)
def rehash(keys, vals, capacity, min_value):
    """A new table of ``capacity`` slots holding the entries whose value is >= min_value."""
    new_keys = np.full((capacity, 3), EMPTY, dtype=np.int32)
    new_vals = np.zeros(capacity, dtype=np.int64)
    kept = 0
    for s in range(keys.shape[0]):
        if keys[s, 0] != EMPTY and vals[s] >= min_value:
            t = find_slot(new_keys, keys[s, 0], keys[s, 1], keys[s, 2])
            new_keys[t, 0] = keys[s, 0]
            new_keys[t, 1] = keys[s, 1]
            new_keys[t, 2] = keys[s, 2]
            new_vals[t] = vals[s]
            kept += 1
    return new_keys, new_vals, kept


@njit(cache=True)
def build_phrase_table(a, b, mid_offsets, mids, token_ids, pkeys, pvals, tkeys, tvals):
    """Fill a lookup table (a, trie node, b) -> phrase token id from phrases given as arrays.

    Phrase ``p`` is ``a[p]``, connectors ``mids[mid_offsets[p]:mid_offsets[p + 1]]``, ``b[p]``;
    the trie of connector runs is built in ``tkeys``/``tvals`` (sized by the caller).
    Returns the number of trie nodes.
    """
    n_nodes = 0
    for p in range(a.shape[0]):
        node = 0
        for j in range(mid_offsets[p], mid_offsets[p + 1]):
            s = find_slot(tkeys, node, mids[j], 0)
            if tkeys[s, 0] == EMPTY:
                tkeys[s, 0] = node
                tkeys[s, 1] = mids[j]
                tkeys[s, 2] = 0
                n_nodes += 1
                tvals[s] = n_nodes
            node = tvals[s]
        s = find_slot(pkeys, a[p], node, b[p])
        pkeys[s, 0] = a[p]
        pkeys[s, 1] = node
        pkeys[s, 2] = b[p]
        pvals[s] = token_ids[p]
    return n_nodes


@njit(cache=True)
def apply_chunk(ids, is_conn, pkeys, pvals, tkeys, tvals, out):
    """Join the phrases of ``ids`` (whole sentences) into ``out``; return its length.

    Greedy, left to right, as gensim's ``analyze_sentence``: a candidate that is a phrase
    becomes one token and the next candidate starts after it; one that is not gives back its
    first word and connectors, and its last word starts the next candidate. Connectors
    outside a candidate pass through.
    """
    k = 0
    start = -1  # position of the candidate's first word, -1 when none
    node = 0  # trie node of the connectors seen since; -1: a run no phrase has
    for i in range(ids.shape[0]):
        w = ids[i]
        if w < 0:
            if start >= 0:
                for j in range(start, i):
                    out[k] = ids[j]
                    k += 1
                start = -1
            out[k] = w
            k += 1
        elif not is_conn[w]:
            if start >= 0:
                found = -1
                if node >= 0:
                    s = find_slot(pkeys, ids[start], node, w)
                    if pkeys[s, 0] != EMPTY:
                        found = pvals[s]
                if found >= 0:
                    out[k] = found
                    k += 1
                    start = -1
                    continue
                for j in range(start, i):
                    out[k] = ids[j]
                    k += 1
            start = i
            node = 0
        elif start >= 0:
            if node >= 0:
                s = find_slot(tkeys, node, w, 0)
                node = tvals[s] if tkeys[s, 0] != EMPTY else -1
        else:
            out[k] = w
            k += 1
    if start >= 0:
        for j in range(start, ids.shape[0]):
            out[k] = ids[j]
            k += 1
    return k


@njit(cache=True)
def score_pairs(pkeys, pcounts, unigrams, scoring, min_count, len_vocab, corpus_words, threshold):
    """Scores of every counted pair; a pair is a phrase when its score > threshold.

    ``scoring`` 0 is gensim's ``original_scorer`` (Mikolov et al. 2013, eq. 6):
    ``(count(ab) - min_count) / (count(a) * count(b)) * len_vocab``; 1 is ``npmi_scorer``
    (Bouma 2009): ``ln(p(ab) / (p(a) p(b))) / -ln(p(ab))``, p(x) = count(x) / corpus words,
    and -inf below min_count. Pairs with a pruned word score -inf (gensim: not a phrase).
    Returns the slots of the phrases and their scores.
    """
    total = float(corpus_words)
    slots = np.empty(0, dtype=np.int64)
    scores = np.empty(0, dtype=np.float64)
    n = 0
    for sweep in range(2):  # first count the phrases, then fill arrays of that size
        if sweep == 1:
            slots = np.empty(n, dtype=np.int64)
            scores = np.empty(n, dtype=np.float64)
            n = 0
        for s in range(pkeys.shape[0]):
            if pkeys[s, 0] == EMPTY:
                continue
            ca = unigrams[pkeys[s, 0]]
            cb = unigrams[pkeys[s, 2]]
            cab = pcounts[s]
            if ca <= 0 or cb <= 0 or cab <= 0:
                continue
            if scoring == 0:
                score = (cab - min_count) / float(ca * cb) * len_vocab
            else:
                if cab < min_count:
                    continue
                pa = ca / total
                pb = cb / total
                pab = cab / total
                score = np.log(pab / (pa * pb)) / -np.log(pab)
            if score > threshold:
                if sweep == 1:
                    slots[n] = s
                    scores[n] = score
                n += 1
    return slots, scores
