"""Where CFDI files come from: files, folders (recursively) and ``.zip`` archives, read safely.

``collect(paths)`` lists what an import will read — cheap: directory entries and zip central
directories only — so a progress bar knows the total. ``Reader.read(item)`` then returns the bytes
of one item, never more than ``max_bytes``:

* a named file is read whatever its extension; inside folders only ``*.xml`` files are read and
  ``*.zip`` archives opened (the PDFs that travel with invoices are skipped silently);
  symbolic links to folders are not followed;
* an archive is never extracted to disk. What is wrong with the archive as a whole refuses it
  whole, reported once under the archive's own path: it cannot be read as a zip, more than
  ``MAX_MEMBERS`` members, more than ``MAX_ARCHIVE_BYTES`` declared uncompressed, or members that
  overlap each other (the "overlap" zip bomb: which member is the bad one cannot be told). What is
  wrong with one member refuses that member alone, with its own reason, and the others are still
  imported: a path that is absolute or climbs out with ``..`` (path traversal — nothing is ever
  written to disk, the name is refused as a sign of a crafted file), a compression ratio above
  ``MAX_RATIO`` (a zip-bomb member, refused by its declared sizes without inflating it), a member
  larger than ``max_bytes`` (by its declared size, without decompressing it), an encrypted or
  nested archive, or content the parser refuses (malformed or hostile XML). No read ever goes past
  ``max_bytes + 1`` bytes (the declared size bounds what zipfile inflates, and its CRC check
  catches a lying header).
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .parser import CfdiError

MAX_RATIO = 200  # CFDI XML compresses 5-20x; a zip bomb thousands of times
MAX_MEMBERS = 1_000_000
MAX_ARCHIVE_BYTES = 16 * 1024**3  # declared uncompressed total of one archive


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to import. ``path`` is what the report shows (``archive.zip!dir/file.xml``)."""

    path: str
    file: str | None = None  # a file on disk
    archive: str | None = None  # or a member of this archive
    member: zipfile.ZipInfo | None = None
    error: str | None = None  # already known to be unreadable / refused

    @property
    def name(self) -> str:
        return self.path


def _is_xml(name: str) -> bool:
    return name.lower().endswith(".xml")


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def unsafe_member_name(name: str) -> bool:
    """Absolute, drive-qualified or ``..``-climbing member paths (zip path traversal)."""
    if not name or "\x00" in name:
        return True
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return True
    return any(part == ".." for part in normalized.split("/"))


def collect(paths: Iterable[str | os.PathLike[str]]) -> list[Item]:
    """Every item to import, in a stable order (each argument in turn, folders sorted)."""
    out: list[Item] = []
    for raw in paths:
        path = os.fspath(raw)
        try:
            st = os.stat(path)
        except OSError as exc:
            out.append(Item(path, file=path, error=f"cannot read file: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            out.extend(_walk(path))
        elif _is_zip(path) and stat.S_ISREG(st.st_mode):
            out.extend(_archive(path))
        else:
            out.append(Item(path, file=path))  # parse_cfdi_file refuses devices, FIFOs, huge files
    return out


def _walk(root: str) -> Iterator[Item]:
    """``*.xml`` and ``*.zip`` under ``root``, in path order (symbolic links to folders not followed)."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            if _is_xml(name) or _is_zip(name):
                found.append(os.path.join(dirpath, name))
    for full in sorted(found):
        if _is_xml(full):
            yield Item(full, file=full)
            continue
        try:
            regular = stat.S_ISREG(os.stat(full).st_mode)
        except OSError:
            regular = False
        if regular:
            yield from _archive(full)


def _archive(path: str) -> list[Item]:
    def whole(reason: str) -> list[Item]:
        return [Item(path, archive=path, error=reason)]  # one line for the archive, not one per member

    try:
        size = os.path.getsize(path)
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return whole(f"not a readable zip archive: {exc}")
    if len(infos) > MAX_MEMBERS:
        return whole(f"archive rejected: {len(infos)} members (limit {MAX_MEMBERS})")
    files = [i for i in infos if not i.is_dir()]
    declared = sum(i.file_size for i in files)
    if declared > MAX_ARCHIVE_BYTES:
        return whole(f"archive rejected: {declared} bytes uncompressed (limit {MAX_ARCHIVE_BYTES})")
    # Overlapping members (the "quoted overlap" zip bomb) reuse the same compressed bytes.
    if sum(i.compress_size for i in files) > size:
        return whole("archive rejected: members overlap (zip bomb)")
    by_offset = sorted(files, key=lambda i: i.header_offset)
    for a, b in zip(by_offset, by_offset[1:]):
        if a.header_offset + a.compress_size > b.header_offset:
            return whole("archive rejected: members overlap (zip bomb)")
    out: list[Item] = []
    for i in infos:
        name = i.filename
        display = f"{path}!{name}"
        # A hostile member is reported whatever its extension (even one that would be skipped).
        if unsafe_member_name(name):
            out.append(Item(display, archive=path, member=i,
                            error=f"member {name!r} has an unsafe path (path traversal): not read"))
        elif i.is_dir():
            continue
        elif i.file_size > MAX_RATIO * max(i.compress_size, 1) and i.file_size > 64 * 1024:
            out.append(Item(display, archive=path, member=i, error=(
                f"member {name!r} expands {i.file_size // max(i.compress_size, 1)}x (zip bomb): not read")))
        elif _is_xml(name):
            out.append(Item(display, archive=path, member=i))
        elif _is_zip(name):
            out.append(Item(display, archive=path, member=i, error="nested archive not opened: extract it first"))
    return out


class Reader:
    """Reads items; keeps the last archive open while its members are read in a row."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._zip_path: str | None = None
        self._zip: zipfile.ZipFile | None = None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self._zip = self._zip_path = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, item: Item) -> bytes | None:
        """The member's bytes; ``None`` for a file on disk (parse it with ``parse_cfdi_file``)."""
        if item.error is not None:
            raise CfdiError(item.error)
        if item.member is None:
            return None
        info = item.member
        if info.flag_bits & 0x1:
            raise CfdiError("encrypted archive member")
        if info.file_size > self.max_bytes:
            raise CfdiError(f"file is too large: {info.file_size} bytes (limit {self.max_bytes})")
        if self._zip_path != item.archive:
            self.close()
            try:
                self._zip = zipfile.ZipFile(item.archive)  # type: ignore[arg-type]
            except (OSError, zipfile.BadZipFile, ValueError) as exc:
                raise CfdiError(f"not a readable zip archive: {exc}") from None
            self._zip_path = item.archive
        assert self._zip is not None
        try:
            with self._zip.open(info) as fh:
                data = fh.read(self.max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise CfdiError(f"cannot read archive member: {exc}") from None
        if len(data) > self.max_bytes:
            raise CfdiError(f"file is too large: more than {self.max_bytes} bytes (limit {self.max_bytes})")
        return data
