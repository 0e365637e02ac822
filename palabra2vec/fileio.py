"""Files that survive interruptions: a temporary file beside the target, flushed and synced,
then renamed over it (a kill -9 or a full disk leaves the previous file whole), created with
the mode the user's umask gives; safetensors tables written with a CRC-32 per table and read
back checked (damaged, truncated, NaN or non-float tables are errors)."""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import Palabra2vecError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mkstemp(directory: str | os.PathLike[str], name: str) -> tuple[int, str]:
    """``tempfile.mkstemp`` for a file that will be renamed to ``directory/name``, with the
    mode a plain ``open`` would give (0666 less the umask) instead of 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
    except (AttributeError, OSError):  # pragma: no cover - Windows, or a file system without modes
        pass
    return fd, tmp


def refuse_special(path: Path) -> None:
    """Raise unless ``path`` is absent or a regular file: a rename would replace a symbolic
    link, FIFO or device by a plain file."""
    import stat

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
                else "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket")
        raise Palabra2vecError(f"{path} is {kind}, not a regular file: palabra2vec replaces only regular files")


def atomic_write(path: Path, write) -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it, rename it to ``path``."""
    path = Path(path)
    refuse_special(path)
    fd, tmp = mkstemp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fsync_path(path: str | os.PathLike[str]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(directory: Path, files: dict[str, bytes | Callable[[str], None]]) -> None:
    """Write every ``name -> bytes`` (or ``name -> writer(path)``, for files streamed to disk)
    to a synced temporary file in ``directory``, then rename them all; on any error remove
    the temporary files and leave the old ones."""
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp = mkstemp(directory, name)
            staged.append((tmp, directory / name))
            if callable(data):
                os.close(fd)
                data(tmp)
                os.chmod(tmp, 0o666 & ~_umask())  # safetensors creates its files 0600
                _fsync_path(tmp)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


#: metadata key of the per-table checksums in every safetensors file palabra2vec writes
CHECKSUMS = "checksums"


def table_checksums(tensors: dict[str, np.ndarray]) -> dict[str, str]:
    """``name -> "crc32:XXXXXXXX"`` of each table's bytes (C order, as stored)."""
    return {k: f"crc32:{zlib.crc32(memoryview(np.ascontiguousarray(v)).cast('B')) & 0xFFFFFFFF:08x}"
            for k, v in tensors.items()}


def check_finite(tensors: dict[str, np.ndarray], where: str) -> None:
    """Raise when a float table holds NaN or infinite values, or a table is not float."""
    for name, t in tensors.items():
        if not np.issubdtype(t.dtype, np.floating):
            raise Palabra2vecError(f"{where}: table {name!r} holds {t.dtype} values, not floats")
        if t.size and not np.isfinite(t).all():
            bad = int((~np.isfinite(t)).any(axis=tuple(range(1, t.ndim))).sum()) if t.ndim > 1 else int((~np.isfinite(t)).sum())
            raise Palabra2vecError(f"{where}: table {name!r} holds NaN or infinite values ({bad:,} of "
                                   f"{t.shape[0]:,} rows)")


def _oserror(e: Exception) -> OSError:
    """An OSError for a safetensors I/O error (it reports ``Os { code: 28, ... }`` as text)."""
    m = re.search(r"code: (\d+)", str(e))
    if m:
        code = int(m.group(1))
        return OSError(code, os.strerror(code))
    return OSError(errno.EIO, str(e))


def write_tables(path: str, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """safetensors file of float32 tables, streamed to ``path`` (no copy of the tables in
    memory), with their checksums added to ``metadata``. A write error is an ``OSError``."""
    from safetensors import SafetensorError
    from safetensors.numpy import save_file

    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    metadata = dict(metadata, **{CHECKSUMS: json.dumps(table_checksums(tensors), sort_keys=True)})
    try:
        save_file(tensors, path, metadata=metadata)
    except SafetensorError as e:
        raise _oserror(e) from e


def read_tables(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tables and metadata of a safetensors file, checked: readable, checksums equal
    (files written before checksums existed have none to check), finite floats."""
    from safetensors import SafetensorError, safe_open

    try:
        tensors: dict[str, np.ndarray] = {}
        with safe_open(str(path), framework="np") as f:
            meta = f.metadata() or {}
            for key in f.keys():
                tensors[key] = f.get_tensor(key)
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as e:
        raise Palabra2vecError(f"{path} is damaged or truncated: {e}") from e
    if CHECKSUMS in meta:
        try:
            want = json.loads(meta[CHECKSUMS])
            assert isinstance(want, dict)
        except (ValueError, AssertionError):
            raise Palabra2vecError(f"{path} is damaged or truncated: unreadable checksums") from None
        got = table_checksums(tensors)
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                raise Palabra2vecError(f"{path} is damaged or truncated: table {name!r} does not match "
                                       f"its checksum ({got.get(name)} != {want.get(name)})")
    check_finite(tensors, str(path))
    return tensors, meta
