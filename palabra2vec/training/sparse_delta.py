"""A thread's pending updates of a table kept *sparse*, for deterministic rounds of the fast
kernels: gather, scatter and merge, in two forms.

In a deterministic round each thread reads the tables as they were at the start of the round
plus its own pending updates, and writes only to those updates; after the round they are added
to the tables in thread order. Only the rows a round touches take memory: a row takes the next
compact row of ``delta`` (``slot[r]``, -1: none yet) at its first touch and is listed in
``touched``; allocated as lazy zero pages (``fast_backend.lazy_zeros``), only those become
resident memory (on corpus-es about 22k of the 58.6k input rows and 55k of the output rows per
thread and round; where an item reaches most of the output table, as there, it is kept as one
dense copy per thread instead, merged by :func:`merge_dense`: ``fast_backend.output_coverage``).

*Row copies* (the skip-gram + NS kernel, :mod:`palabra2vec.training.fast`): the compact row is
a private copy of the table's row, taken at the first touch and updated in place, so a step
reads one row per word. At the round's end :func:`merge_copies` gives each touched row the copy
of the first thread (in order) that touched it plus each later thread's change (its copy minus
the round's start), in thread order. Same seed and thread count, same vectors; with one thread
in a round the step is the in-place step, bit for bit (``tests/test_fast.py``).

*Pending deltas* (:func:`gather_sparse`, :func:`scatter_sparse`): the compact row holds only
the change, zeroed at the first touch; row r reads as ``table[r] + delta[slot[r]]``, with the
float operations of a dense (V, D) delta, in the same order.
"""

from __future__ import annotations

import numpy as np

from .jit import njit, prefetch_row


@njit(cache=True, nogil=True, inline="always")
def gather_sparse(table, delta, slot, rows, n, out):
    """``out[i] = table[rows[i]]`` (+ ``delta[slot[rows[i]]]`` when this thread has a pending
    update of that row): the rows as this thread sees them, before the step."""
    D = table.shape[1]
    with_delta = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        s = slot[r] if with_delta else -1
        if s >= 0:
            for d in range(D):
                out[i, d] = table[r, d] + delta[s, d]
        else:
            for d in range(D):
                out[i, d] = table[r, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter_sparse(target, slot, touched, n_touched, which, rows, n, coef, src, n_src):
    """``target[rows[i]] += sum_j coef[i, j] * src[j]`` for i < n, j < n_src, term by term.

    ``target`` is the shared table (Hogwild, empty ``slot``) or this thread's compact delta:
    a row touched for the first time takes compact row ``n_touched[which]`` (``slot[r]``),
    zeroed then, and is listed there in ``touched`` for :func:`merge_sparse_delta`."""
    D = target.shape[1]
    sparse = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        if sparse:
            s = slot[r]
            if s < 0:
                s = n_touched[which]
                slot[r] = s
                touched[s] = r
                n_touched[which] += 1
                for d in range(D):
                    target[s, d] = 0.0
            r = s
        for j in range(n_src):
            c = coef[i, j]
            for d in range(D):
                target[r, d] += c * src[j, d]


@njit(cache=True, nogil=True)
def merge_sparse_delta(table, delta, slot, touched, n, lo=0, hi=-1):
    """Add a thread's compact delta rows ``delta[:n]`` into ``table`` rows ``touched[:n]`` (only
    the rows in ``[lo, hi)``, all when ``hi < 0``) and clear their slots. The delta rows are not
    zeroed: a row's next first touch does that."""
    D = table.shape[1]
    if hi < 0:
        hi = table.shape[0]
    for i in range(n):
        r = touched[i]
        if r < lo or r >= hi:
            continue
        for d in range(D):
            table[r, d] += delta[i, d]
        slot[r] = -1


@njit(cache=True, nogil=True, inline="always")
def prefetch_rows(table, delta, slot, rows, n):
    """Ask for ``table[rows[i]]`` (and the pending ``delta`` row, if any) to be fetched into cache."""
    with_delta = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        prefetch_row(table, r)
        if with_delta:
            s = slot[r]
            if s >= 0:
                prefetch_row(delta, s)


# -- private row copies: the scheme the skip-gram + NS kernel uses ------------------------

@njit(cache=True, nogil=True, inline="always")
def gather_copy(table, copy, slot, rows, n, out):
    """``out[i]`` = this thread's copy of row ``rows[i]`` if it has one, else the table's row."""
    D = table.shape[1]
    with_copy = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        s = slot[r] if with_copy else -1
        if s >= 0:
            for d in range(D):
                out[i, d] = copy[s, d]
        else:
            for d in range(D):
                out[i, d] = table[r, d]


@njit(cache=True, nogil=True, fastmath=True, inline="always")
def scatter_copy(target, slot, touched, n_touched, which, rows, n, coef, src, n_src, base):
    """``target[rows[i]] += sum_j coef[i, j] * src[j]`` for i < n, j < n_src, term by term.

    ``target`` is the shared table (Hogwild, empty ``slot``) or this thread's row copies: a row
    touched for the first time takes copy ``n_touched[which]`` (``slot[r]``), set to ``base[i]``
    (the row as :func:`gather_copy` read it before the step: the table's), and is listed in
    ``touched`` for :func:`merge_copies`."""
    D = target.shape[1]
    sparse = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        if sparse:
            s = slot[r]
            if s < 0:
                s = n_touched[which]
                slot[r] = s
                touched[s] = r
                n_touched[which] += 1
                for d in range(D):
                    target[s, d] = base[i, d]
            r = s
        for j in range(n_src):
            c = coef[i, j]
            for d in range(D):
                target[r, d] += c * src[j, d]


@njit(cache=True, nogil=True)
def merge_copies(table, copies, slots, touched, counts, lo=0, hi=-1):
    """Merge T threads' row copies (tuples ``copies``, ``slots``, ``touched``, and ``counts``)
    into ``table`` rows in ``[lo, hi)`` (all when ``hi < 0``), in one pass per thread: the first
    thread (in order) that touched row r writes ``copy_k[r] + sum over later threads j, in
    order, of (copy_j[r] - start[r])``, start being the row at the round's start, and clears
    every thread's slot of r. A row only one thread touched becomes that thread's copy exactly."""
    D = table.shape[1]
    if hi < 0:
        hi = table.shape[0]
    start = np.empty(D, table.dtype)
    T = len(copies)
    for k in range(T):
        copy, slot, rows = copies[k], slots[k], touched[k]
        for i in range(counts[k]):
            r = rows[i]
            if r < lo or r >= hi or slot[r] < 0:  # outside the range, or merged by an earlier thread
                continue
            for d in range(D):
                start[d] = table[r, d]
                table[r, d] = copy[i, d]
            slot[r] = -1
            for j in range(k + 1, T):
                s = slots[j][r]
                if s >= 0:
                    later = copies[j]
                    for d in range(D):
                        table[r, d] += later[s, d] - start[d]
                    slots[j][r] = -1


@njit(cache=True, nogil=True, inline="always")
def prefetch_copies(table, copy, slot, rows, n):
    """Ask for the rows :func:`gather_copy` will read (the thread's copy, or the table's row)."""
    with_copy = slot.shape[0] > 0
    for i in range(n):
        r = rows[i]
        s = slot[r] if with_copy else -1
        if s >= 0:
            prefetch_row(copy, s)
        else:
            prefetch_row(table, r)


@njit(cache=True, nogil=True)
def merge_dense(table, copies, lo, hi):
    """Merge T threads' dense private copies of ``table`` (tuple ``copies``: each the table at
    the round's start plus that thread's steps) into rows ``[lo, hi)``: ``table[r] += sum_k
    (copy_k[r] - table[r])``, in thread order. A row no thread touched stays bit for bit; the
    copies are refreshed from the table when their thread starts its next item."""
    D = table.shape[1]
    T = len(copies)
    for r in range(lo, hi):
        for d in range(D):
            t = table[r, d]
            acc = t
            for k in range(T):
                acc += copies[k][r, d] - t
            table[r, d] = acc
