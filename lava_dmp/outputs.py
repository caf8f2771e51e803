"""Output folders and files: nothing a user has is lost.

Every command that writes results goes through this module:

* :func:`claim_output` refuses a folder that already holds the files a run
  would write (another run's results), unless the caller asked to overwrite
  them, and refuses a path that is a file;
* :class:`FolderLock` refuses a second run on a folder that is in use;
* :func:`atomic_write` writes a file under a unique temporary name and renames
  it into place, so a crash or a full disk leaves the previous file whole and
  no stray temporary file;
* :func:`staged_output` builds a run's files in a temporary folder beside the
  output and swaps them in only when the run has succeeded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

__all__ = [
    "claim_output",
    "check_output_file",
    "FolderLock",
    "atomic_write",
    "atomic_write_text",
    "staged_output",
    "save_figure",
    "LOCK_NAME",
]

#: Lock file of a folder in use (left out when a folder's contents are listed).
LOCK_NAME = ".lava-dmp.lock"


def claim_output(
    folder: str | os.PathLike,
    produces: Iterable[str],
    overwrite: bool = False,
    name: str = "output",
    hint: str = "--overwrite",
) -> Path:
    """Check that ``folder`` may receive the files ``produces`` (names
    relative to it) without losing anything.

    Raises ``ValueError`` naming ``name`` if ``folder`` is an existing file,
    or if it already holds any of ``produces`` and ``overwrite`` is False
    (the message lists them and names ``hint``). Writes nothing.
    """
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}: {path} is a file; expected a folder")
    if overwrite or not path.is_dir():
        return path
    present = sorted(p for p in produces if (path / p).exists())
    if present:
        raise ValueError(
            f"{name}: {path} holds another run's files ({', '.join(present)}); "
            f"pass {hint} to replace them or choose another folder"
        )
    return path


def check_output_file(
    path: str | os.PathLike, overwrite: bool = False, name: str = "output"
) -> Path:
    """Check that a single output file may be written at ``path``.

    Refuses a directory, a missing parent folder and (unless ``overwrite``)
    an existing file. Writes nothing.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{name}: {path} is a folder; expected a file name")
    if not path.parent.is_dir():
        raise ValueError(f"{name}: the folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise ValueError(
            f"{name}: {path} exists; pass --overwrite to replace it or choose "
            f"another name"
        )
    return path


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else 022."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def _tmp_name(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp makes the file private (0600); the result gets the usual mode
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(tmp)


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], None], what: str = "file"
) -> None:
    """Call ``write(tmp)`` on a unique temporary path beside ``path``, then
    rename it onto ``path``.

    On any failure (also an interrupt) the temporary file is removed and
    ``path`` keeps its previous content; an ``OSError`` of the write (a full
    disk, a file size limit) becomes a ``ValueError`` naming ``what``.
    """
    path = Path(path)
    tmp = _tmp_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) or _is_write_error(err):
            raise ValueError(
                f"{what}: could not write {path} ({_reason(err)}); the previous "
                f"file, if any, is unchanged"
            ) from err
        raise


def _is_write_error(err: BaseException) -> bool:
    # torch.save reports a failed write as RuntimeError from its C++ writer
    return isinstance(err, RuntimeError) and "writ" in str(err).lower()


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.errno in (errno.EFBIG, errno.ENOSPC):
        return f"{os.strerror(err.errno)}: file size limit or full disk"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return f"{type(err).__name__}: {err}"


def atomic_write_text(path: str | os.PathLike, text: str, what: str = "file") -> None:
    """:func:`atomic_write` of a text."""
    atomic_write(path, lambda tmp: tmp.write_text(text), what)


class FolderLock:
    """An exclusive lock on a folder for the time of a run.

    A second run on the same folder (another process) is refused with a
    ``ValueError`` naming the folder and the process that holds it. The lock
    is an ``flock`` on ``folder/.lava-dmp.lock``, released by the kernel if
    the process dies; the file is removed when the run ends.
    """

    def __init__(self, folder: str | os.PathLike, name: str = "output") -> None:
        self.path = Path(folder) / LOCK_NAME
        self.name = name
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise ValueError(
                    f"{self.name}: {self.path.parent} is in use by another run "
                    f"(process {holder}); wait for it to end or choose another "
                    f"folder"
                ) from None
            # the holder may have removed the file between our open and lock:
            # then we locked an orphaned inode and must start again
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def staged_output(folder: str | os.PathLike) -> Iterator[Path]:
    """Build a run's outputs in a temporary folder, then move each entry
    into ``folder`` (replacing an earlier one of the same name).

    If the block raises (also on an interrupt), the temporary folder is
    removed and ``folder`` is left exactly as it was. The swap itself
    renames one entry at a time: a replaced folder is first renamed aside,
    so no entry is ever half-written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        for entry in sorted(stage.iterdir()):
            dest = out / entry.name
            if dest.is_dir() and not dest.is_symlink():
                aside = Path(tempfile.mkdtemp(prefix=".old-", dir=out))
                os.replace(dest, aside / entry.name)
                os.replace(entry, dest)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(entry, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """``fig.savefig`` through :func:`atomic_write` (format from the suffix)."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi), "figure")
