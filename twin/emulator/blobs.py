"""S3 object bytes as files on disk, the way a real object store keeps them.

moto keeps each object's bytes (``FakeKey._value_buffer``) in a SpooledTemporaryFile: in
memory up to 5 MiB, in an anonymous temporary file above, gone when the process ends.
Here every object (and every uploaded part) gets a file of its own under the state's
``objects/`` directory instead, so the bytes survive a restart and are never held in the
emulator's memory between requests. A file is opened only while it is read or written:
thousands of objects cost no file descriptors.

A file is removed only once nothing kept refers to it: moto "disposes" a buffer as soon
as an object is overwritten or deleted, before the journal has recorded the change, so a
disposed file is only a candidate (``BlobStore.garbage``) until the journal says it is
no longer referenced (``BlobStore.collect``).
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

CHUNK = 16 * 1024 * 1024


class PartsValue:
    """An object's bytes as the concatenation of its parts' files (a completed multipart upload).

    moto joins the parts of a completed upload in memory; handed this instead, the new
    object's file is written by copying the part files, a chunk at a time.
    """

    def __init__(self, parts: Sequence[BlobFile]) -> None:
        self.parts = list(parts)

    def __len__(self) -> int:
        return sum(part.size() for part in self.parts)


class BlobBody:
    """Bytes ``[start, start + length)`` of an object's file, for a GET answer to stream.

    Quacks enough like ``bytes`` for moto's GetObject path (``len``, truthiness, slicing
    for Range requests) and iterates in chunks, so werkzeug sends the file without holding
    it in memory.
    """

    def __init__(self, path: Path, start: int, length: int) -> None:
        self.path, self.start, self.length = path, start, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, item: slice) -> BlobBody:
        begin, end, _ = item.indices(self.length)
        return BlobBody(self.path, self.start + begin, max(0, end - begin))

    def __iter__(self):  # type: ignore[no-untyped-def]
        remaining = self.length
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            while remaining > 0:
                chunk = fh.read(min(CHUNK // 16, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk


class BlobFile:
    """The file-like buffer moto's FakeKey expects (seek, tell, read, write, truncate, close)."""

    def __init__(self, store: BlobStore, path: Path | None = None) -> None:
        self.store = store
        self.path = path or store.new_path()
        self._pos = 0
        self.closed = False

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size()}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read(self, size: int = -1) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._pos)
                data = fh.read(size if size is not None and size >= 0 else -1)
        except FileNotFoundError:
            data = b""  # an empty object has no file
        self._pos += len(data)
        return data

    def write(self, data: bytes | PartsValue) -> int:
        size = len(data)
        if not size:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "r+b" if self.path.exists() else "wb") as fh:
            fh.seek(self._pos)
            if isinstance(data, PartsValue):
                for part in (p for p in data.parts if p.path.exists()):
                    with open(part.path, "rb") as src:
                        shutil.copyfileobj(src, fh, CHUNK)
            else:
                fh.write(data)
        self._pos += size
        return size

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if self.path.exists():
            with open(self.path, "r+b") as fh:
                fh.truncate(size)
        return size

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.store.discard(self.path)


class BlobStore:
    """The directory of object files, and the files that may be removed once unreferenced."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._garbage: set[Path] = set()
        self._lock = threading.Lock()

    def new_path(self) -> Path:
        name = uuid.uuid4().hex  # os.urandom: moto's seeded RNG would repeat names on replay
        return self.root / name[:2] / name

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def absolute(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"object file outside the store: {name}")
        return path

    def discard(self, path: Path) -> None:
        with self._lock:
            self._garbage.add(path)

    def collect(self, referenced: set[str]) -> int:
        """Remove discarded files the journal no longer refers to; the number removed."""
        with self._lock:
            candidates, self._garbage = self._garbage, set()
        removed = 0
        for path in candidates:
            if self.relative(path) in referenced:
                continue
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def sweep(self, referenced: set[str]) -> int:
        """Remove every file nothing refers to (at start, after the journal is compacted)."""
        removed = 0
        for path in self.files():
            if self.relative(path) not in referenced:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def files(self) -> Iterable[Path]:
        return (p for p in self.root.glob("*/*") if p.is_file())

    def usage(self) -> tuple[int, int]:
        """(files, bytes) on disk."""
        count = size = 0
        for path in self.files():
            count += 1
            size += path.stat().st_size
        return count, size


class _TempfileShim:
    """Stands in for the ``tempfile`` module inside ``moto.s3.models``: keys get BlobFiles."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def SpooledTemporaryFile(self, *args: object, **kwargs: object) -> BlobFile:
        return BlobFile(self.store)


def install(store: BlobStore) -> None:
    """Make every S3 object moto creates from now on keep its bytes in ``store``."""
    import moto.s3.models as s3_models

    s3_models.tempfile = _TempfileShim(store)  # type: ignore[assignment]
