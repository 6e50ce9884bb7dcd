"""Paths, folders, globs and archives → the events to triage, each a group of files.

How this works: every argument is expanded to files (a folder recursively, in name order; a
glob with `**`); a file whose content is a zip or tar archive (also tar.gz, by content, not by
name) stands for its members, read in place, never unpacked to disk. Each file gets the SHA-256
of its content. Files are then grouped into events: by default the files that share a *stem*
(the name up to its first dot) in one folder — `case.pcap`, `case.pjsip-logger.log` and
`case.pjsip.conf` are one event, as `sipdiag analyze` reads several files of one event — or one
event per folder (`group="folder"`, an archive counts as a folder), or one per file. An event's
id is made from the content hashes of its files, so a re-run recognises unchanged events.

Archive members are bounded: a member larger than `MEMBER_CAP` decompressed, or one that
decompresses to more than `RATIO_CAP` times its compressed size (a zip bomb), is not read
further and its event becomes an error row naming the cap. Plain files are read by the worker
through `sources/`, which bounds its own reads.
"""

from __future__ import annotations

import glob
import hashlib
import os
import tarfile
import zipfile
from dataclasses import dataclass, field

from ..errors import UsageError
from ..sources.gunzip import GZIP_MAGIC, open_gunzip

MEMBER_CAP = 512 << 20
"""Most bytes read from one archive member (decompressed)."""
RATIO_CAP = 200
"""Most decompressed bytes per compressed byte of a zip member (above 1 MiB decompressed)."""
CHUNK = 1 << 20
GROUPINGS = ("stem", "folder", "file")
ARCHIVE_SEP = "!/"


@dataclass
class EventFile:
    """One input file of an event: a file on disk, or a member of an archive on disk."""

    name: str
    """What the file is called in rows and reports: its path, or `archive.zip!/member`."""
    path: str
    """The file on disk (the archive, for a member)."""
    member: str | None = None
    """The member's name inside the archive at `path`; None for a plain file."""
    archive: str | None = None
    """zip or tar (tar, tar.gz); None for a plain file."""
    sha256: str = ""
    size: int = 0
    """Bytes of content (decompressed, for a member)."""
    problem: str | None = None
    """Why this member is not read (a cap was exceeded); None when it can be read."""


@dataclass
class EventSpec:
    """One event to analyse: its files and what the worker must do with them."""

    event_id: str
    label: str
    """The folder and stem (or folder, or file) the event was grouped by."""
    files: list[EventFile]
    redact: bool = False
    options: dict = field(default_factory=dict)


def expand(paths: list[str], exclude: str | None = None) -> list[EventFile]:
    """Every input file named by `paths`, archive members included, with their content hashes.

    Raises UsageError when a path names nothing; `exclude` (the output folder) is skipped."""
    files: list[EventFile] = []
    seen: set[str] = set()
    skip = os.path.realpath(exclude) if exclude else None
    for arg in paths:
        if os.path.exists(arg):
            matches = [arg]
        else:
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise UsageError(f"{arg}: no such file, folder or matching glob")
        for match in matches:
            for path in _walk(match, skip):
                real = os.path.realpath(path)
                if real in seen:
                    continue
                seen.add(real)
                files.extend(_open_file(path))
    return files


def _walk(path: str, skip: str | None):
    if not os.path.isdir(path):
        yield path
        return
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and os.path.realpath(os.path.join(root, d)) != skip)
        for name in sorted(names):
            if not name.startswith("."):
                yield os.path.join(root, name)


def archive_kind(path: str) -> str | None:
    """zip or tar when the file's content is such an archive (a gzip'd tar too), else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if head in (b"PK\x03\x04", b"PK\x05\x06"):
                return "zip"
            fh.seek(0)
            if head[:2] == GZIP_MAGIC:
                with open_gunzip(open(path, "rb")) as unzipped:
                    block = unzipped.read(512)
            else:
                block = head + fh.read(508)
    except OSError:
        return None
    return "tar" if block[257:262] == b"ustar" else None


def _open_file(path: str) -> list[EventFile]:
    kind = archive_kind(path)
    if kind is None:
        return [EventFile(name=path, path=path, sha256=_hash_file(path), size=_size(path))]
    try:
        return _zip_members(path) if kind == "zip" else _tar_members(path)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        # a damaged archive: one file whose event says why it cannot be read
        return [EventFile(name=path, path=path, sha256=_hash_file(path), size=_size(path),
                          problem=f"damaged {kind} archive: {exc}")]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _hash_file(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:  # unreadable: the worker reports it; the hash names the failure
        digest.update(f"unreadable:{path}:{exc}".encode())
    return digest.hexdigest()


def _zip_members(path: str) -> list[EventFile]:
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or os.path.basename(info.filename).startswith("."):
                continue
            f = EventFile(name=path + ARCHIVE_SEP + info.filename, path=path, member=info.filename, archive="zip")
            with zf.open(info) as stream:
                _hash_member(f, stream, info.compress_size)
            out.append(f)
    return out


def _tar_members(path: str) -> list[EventFile]:
    out = []
    with tarfile.open(path, "r:*") as tf:
        for info in tf:
            if not info.isfile() or os.path.basename(info.name).startswith("."):
                continue
            f = EventFile(name=path + ARCHIVE_SEP + info.name, path=path, member=info.name, archive="tar")
            stream = tf.extractfile(info)
            if stream is not None:
                _hash_member(f, stream, None)
            out.append(f)
    return out


def _hash_member(f: EventFile, stream, compressed: int | None) -> None:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        digest.update(chunk)
        f.problem = cap_problem(size, compressed)
        if f.problem:
            break
    f.sha256, f.size = digest.hexdigest(), size


def cap_problem(size: int, compressed: int | None) -> str | None:
    """Why a member of `size` bytes so far (from `compressed` bytes) must not be read further."""
    if size > MEMBER_CAP:
        return f"archive member larger than the {MEMBER_CAP >> 20} MiB cap on archive members; not read"
    if compressed is not None and size > 1 << 20 and size > RATIO_CAP * max(compressed, 1):
        return (f"archive member decompresses to more than {RATIO_CAP} times its compressed size "
                f"(the cap against zip bombs); not read")
    return None


def read_member(f: EventFile) -> bytes:
    """The content of an archive member, within the caps (raises ValueError naming the cap)."""
    if f.problem:
        raise ValueError(f.problem)
    chunks, size = [], 0
    if f.archive == "zip":
        with zipfile.ZipFile(f.path) as zf:
            info = zf.getinfo(f.member)
            with zf.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    problem = cap_problem(size, info.compress_size)
                    if problem:
                        raise ValueError(problem)
                    chunks.append(chunk)
    else:
        with tarfile.open(f.path, "r:*") as tf:
            stream = tf.extractfile(f.member)
            while stream is not None and (chunk := stream.read(CHUNK)):
                size += len(chunk)
                problem = cap_problem(size, None)
                if problem:
                    raise ValueError(problem)
                chunks.append(chunk)
    return b"".join(chunks)


def _folder_and_name(f: EventFile) -> tuple[str, str]:
    if f.member is None:
        return os.path.dirname(f.name), os.path.basename(f.name)
    inner = os.path.dirname(f.member)
    return f.path + ARCHIVE_SEP + inner if inner else f.path, os.path.basename(f.member)


def group(files: list[EventFile], how: str = "stem") -> list[tuple[str, list[EventFile]]]:
    """Files → (label, files) per event, in the order the first file of each was found."""
    if how not in GROUPINGS:
        raise UsageError(f"--group must be one of {', '.join(GROUPINGS)}, not {how!r}")
    groups: dict[str, list[EventFile]] = {}
    for f in files:
        folder, name = _folder_and_name(f)
        if how == "file":
            key = f.name
        elif how == "folder":
            key = folder or "."
        else:
            key = os.path.join(folder, name.split(".", 1)[0] or name) if folder else (name.split(".", 1)[0] or name)
        groups.setdefault(key, []).append(f)
    return list(groups.items())


def event_id(files: list[EventFile]) -> str:
    """The event's key: made from the content hashes of its files (names do not matter)."""
    return hashlib.sha256("\n".join(sorted(f.sha256 for f in files)).encode()).hexdigest()[:20]


def plan(paths: list[str], how: str = "stem", exclude: str | None = None, redact: bool = False,
         options: dict | None = None) -> list[EventSpec]:
    """The events named by `paths`, grouped `how`; identical events (same contents) once."""
    specs: dict[str, EventSpec] = {}
    for label, files in group(expand(paths, exclude), how):
        eid = event_id(files)
        if eid not in specs:
            specs[eid] = EventSpec(eid, label, files, redact, dict(options or {}))
    return list(specs.values())
