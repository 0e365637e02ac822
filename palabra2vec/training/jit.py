"""Compiling the fast kernels: ``njit`` (Numba, with an on-disk cache where one is writable)
and ``prefetch_row``, a hint that asks the CPU to start loading a table row into cache.

Without Numba, ``njit`` returns the Python function and ``AVAILABLE`` is False (the fast
backend then refuses to run; the torch path still works).

The kernels' per-center steps and training loops are compiled with ``_nrt=False`` (Numba's
option to compile without its runtime's reference counting): with it, every call of a compiled
function with array arguments, and every array view, updates each array's count with an atomic
``lock`` instruction, which waits for the core's pending stores, and the kernels store a row per
term. perf put 20-33 % of the training threads' samples in ``NRT_incref``/``NRT_decref``
(benchmarks/RESULTS.md, "Round 8"). Such a function may not allocate (its callers pass every
work array in) and only sees arrays that outlive it; the floats it computes are the same.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

try:
    from llvmlite import ir
    from numba import njit as _numba_njit
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    AVAILABLE = True

    _NO_CACHE: list[str] = []  #: functions compiled without an on-disk cache

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        """``numba.njit``; with ``cache=True`` where no cache directory is writable (package
        directory and ``$HOME`` read-only, ``NUMBA_CACHE_DIR`` unset), compile without one."""

        def wrap(f):
            try:
                return _numba_njit(*args, **kwargs)(f)
            except RuntimeError as e:
                if not kwargs.get("cache") or "cannot cache" not in str(e):
                    raise
                if not _NO_CACHE:  # say it once, not once per function
                    log.info("no writable cache for compiled code (%s); compiling on every run "
                             "(set NUMBA_CACHE_DIR to a writable directory to keep it)", e)
                _NO_CACHE.append(f.__name__)
                return _numba_njit(*args, **dict(kwargs, cache=False))(f)

        return wrap

    @intrinsic
    def prefetch_row(typingctx, table, row):
        """Prefetch every 64-byte line of ``table[row, :]`` (2-D, C order) for reading, into all
        cache levels (LLVM's ``llvm.prefetch``, read, locality 3). Only a hint: no value changes,
        and a row that is not there (never, in the kernels) would not fault."""
        sig = types.void(table, row)

        def codegen(context, builder, signature, args):
            aryty, rowty = signature.args
            ary = context.make_array(aryty)(context, builder, args[0])
            shape = cgutils.unpack_tuple(builder, ary.shape)
            strides = cgutils.unpack_tuple(builder, ary.strides)
            r = context.cast(builder, args[1], rowty, types.intp)
            zero = context.get_constant(types.intp, 0)
            ptr = cgutils.get_item_pointer2(context, builder, ary.data, shape, strides, aryty.layout, [r, zero],
                                            wraparound=False)
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                                "llvm.prefetch.p0")
            base = builder.bitcast(ptr, i8p)
            nbytes = builder.mul(shape[1], context.get_constant(types.intp, context.get_abi_sizeof(
                context.get_data_type(aryty.dtype))))
            step = context.get_constant(types.intp, 64)
            with cgutils.for_range_slice(builder, zero, nbytes, step) as (off, _):
                builder.call(fn, [builder.gep(base, [off]), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return sig, codegen

except ImportError:  # pragma: no cover - numba is a dependency; the torch path still works
    AVAILABLE = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(f):
            return f

        return wrap if not (args and callable(args[0])) else args[0]

    def prefetch_row(table, row):  # type: ignore[no-redef]
        return None
