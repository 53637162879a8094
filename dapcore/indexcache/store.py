"""The cache directory: entries by key, read safely, written atomically,
kept under a size bound.

An entry's file is ``<sha256(key)[:40]>.idx``. It is read only when it is a
regular file owned by this user and writable by no one else, in a directory
of the same kind (another user's planted file is ignored). It is written to
a temporary file in the same directory and renamed over the old one, so a
reader sees the old file or the new one, never half of one; a write that
fails (no space, no permission, a read-only directory) leaves the cache as
it was and the session goes on without it. Reading an entry marks it used
(its mtime); after each write the least recently used entries are removed
until the directory is under the bound, and temporary files a killed
writer left behind are removed after a while; no other file is ever
removed (the names are checked), so a directory a person named keeps
whatever else it holds.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from dapcore.indexcache.entry import Entry, SourceCRC
from dapcore.indexcache.fileformat import FORMAT, HEAD_SIZE, BadFile, parse_header
from dapcore.indexcache.location import IndexSetting, limit_from_env, resolve

__all__ = ["CacheFile", "IndexCache", "code_digest"]

log = logging.getLogger("dapcore.indexcache")

SUFFIX = ".idx"
# Only files of these names are ever removed (the directory may be one a
# person named, holding other files).
_ENTRY_NAME = re.compile(r"[0-9a-f]{40}\.idx")
_TMP_NAME = re.compile(r"\.[0-9a-f]{40}\.\d+\.\d+\.tmp")
_STALE_TMP = 600.0  # seconds after which a temporary file is a dead writer's
_Part = tuple[str, str, bytes, tuple[str, ...], int]


def code_digest(files: Iterable[str | os.PathLike[str]], version: str) -> str:
    """A hash of the code that derives what is cached (its source files, or
    ``version`` alone when a file cannot be read): a changed dapcore never
    reads what an older one wrote."""
    h = hashlib.sha256(f"{FORMAT}\0{version}".encode())
    for f in files:
        try:
            h.update(Path(f).read_bytes())
        except OSError:
            h.update(os.fspath(f).encode())
    return h.hexdigest()[:32]


class CacheFile:
    """An entry's file, checked when opened; parts are read from it later
    (re-opened, and refused if it was replaced or cut meanwhile)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        fd = _open_private(path)
        try:
            st = os.fstat(fd)
            self._ident = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            self.size = st.st_size
            head = _pread(fd, HEAD_SIZE, 0)
            found, self.parts, self._start = parse_header(
                head, lambda off, n: _pread(fd, n, off), st.st_size)
        finally:
            os.close(fd)
        if found != key:
            raise BadFile("the entry of another file or dapcore (its key differs)")

    def read(self, offset: int, length: int) -> bytes:
        fd = _open_private(self.path)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino, st.st_size) != self._ident[:3]:
                raise BadFile("the file changed since it was opened")
            data = _pread(fd, length, self._start + offset)
        finally:
            os.close(fd)
        if len(data) != length:
            raise BadFile("truncated")
        return data


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (fewer at the end of the file)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: no pread
    return os.read(fd, size)


def _open_private(path: Path) -> int:
    """A read-only descriptor of ``path`` if it is a regular file of ours
    that no one else may write (BadFile otherwise)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or not _private(st):
        os.close(fd)
        raise BadFile("not a regular file of this user's, or writable by others")
    return fd


def _private(st: os.stat_result) -> bool:
    if not hasattr(os, "geteuid"):
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


class IndexCache:
    """The index cache in ``directory`` (bounded to ``limit`` bytes);
    ``code``: :func:`code_digest` of the deriving code."""

    def __init__(self, directory: Path, code: str, limit: int | None = None) -> None:
        self.directory = directory
        self.code = code
        self.limit = limit_from_env() if limit is None else limit
        self._usable: bool | None = None
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._exit_hook = False

    @classmethod
    def from_setting(cls, setting: IndexSetting, code: str) -> IndexCache | None:
        directory = resolve(setting)
        return cls(directory, code) if directory is not None else None

    def key_for(self, fingerprint: str) -> str:
        return f"dapcore-index/{FORMAT}/{self.code}/{fingerprint}"

    def entry(self, fingerprint: str, source_crc: SourceCRC) -> Entry:
        """The entry of the file with ``fingerprint`` (one object per file)."""
        key = self.key_for(fingerprint)
        with self._lock:
            e = self._entries.get(key)
            if e is None:
                e = self._entries[key] = Entry(self, key, source_crc)
                if not self._exit_hook:
                    self._exit_hook = True
                    atexit.register(self.flush)
            return e

    def flush(self) -> None:
        """Save every entry with something new (at exit, and when the front
        end closes)."""
        for e in list(self._entries.values()):
            e.flush()

    def path_of(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:40] + SUFFIX)

    # -- the directory ---------------------------------------------------------

    def usable(self) -> bool:
        """Whether the directory exists (made if not), is ours, and no one
        else may write to it."""
        if self._usable is None:
            self._usable = self._check_dir()
        return self._usable

    def _check_dir(self) -> bool:
        try:
            try:
                st = os.stat(self.directory, follow_symlinks=False)
            except FileNotFoundError:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                st = os.stat(self.directory, follow_symlinks=False)
        except OSError as exc:
            log.info("index cache %s not usable: %s", self.directory, exc)
            return False
        if not stat.S_ISDIR(st.st_mode) or not _private(st):
            log.info("index cache %s not usable: not a directory of this user's, or "
                     "writable by others", self.directory)
            return False
        return True

    def open_entry(self, key: str) -> CacheFile | None:
        """The entry's file, checked (None: none, or one not to be trusted)."""
        if not self.usable():
            return None
        path = self.path_of(key)
        try:
            f = CacheFile(path, key)
        except FileNotFoundError:
            return None
        except (OSError, BadFile) as exc:
            log.info("index cache: %s ignored: %s", path.name, exc)
            return None
        try:
            os.utime(path)  # used now: evicted last
        except OSError:
            pass
        return f

    def fit(self, parts: list[_Part]) -> list[_Part]:
        """``parts`` without the largest ones while they take more than half
        the bound (an entry never pushes out every other one)."""
        total = sum(len(p[2]) for p in parts)
        if total <= self.limit // 2:
            return parts
        out = sorted(parts, key=lambda p: len(p[2]))
        while out and total > self.limit // 2:
            total -= len(out.pop()[2])
        return sorted(out)

    def write_entry(self, key: str, chunks: list[bytes]) -> bool:
        """Write an entry's file atomically, then keep the bound."""
        if not self.usable():
            return False
        path = self.path_of(key)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                for c in chunks:
                    view = memoryview(c)
                    while view:
                        view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            log.info("index cache: %s not written: %s", path.name, exc)
            try:
                tmp.unlink()
            except OSError:
                pass
            return False
        self.evict(keep=path)
        return True

    def evict(self, keep: Path | None = None) -> None:
        """Remove the least recently used entries beyond the bound, and
        temporary files of writers that died."""
        now = time.time()
        files: list[tuple[float, int, Path]] = []
        try:
            with os.scandir(self.directory) as it:
                for d in it:
                    try:
                        st = d.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    if _TMP_NAME.fullmatch(d.name) and now - st.st_mtime > _STALE_TMP:
                        _unlink(Path(d.path))
                    elif _ENTRY_NAME.fullmatch(d.name):
                        files.append((st.st_mtime, st.st_size, Path(d.path)))
        except OSError:
            return
        total = sum(f[1] for f in files)
        for _, size, p in sorted(files):
            if total <= self.limit:
                break
            if p == keep:
                continue
            if _unlink(p):
                total -= size


def _unlink(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:
        return False

