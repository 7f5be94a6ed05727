"""Content hashes of files, folders, notebooks and the Python environment.

Hashes are of content, never timestamps. A stat cache (path, size, mtime, inode -> hash), as
git's index keeps, spares re-reading a file that has not been touched since it was hashed; a
touched file is re-read, so a changed timestamp never changes a hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
# A file changed within this window of being hashed could change again without its mtime
# moving (coarse timestamps): like git's "racily clean" entries, such hashes are not kept.
_RACY_NS = 2_000_000_000


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_json(value: Any) -> str:
    """Hash of a JSON-able value, independent of key order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Hasher:
    """Hashes project paths, remembering hashes by file stat in ``stat_file`` when given."""

    def __init__(self, root: Path, stat_file: Path | None = None) -> None:
        self.root = root
        self.stat_file = stat_file
        # path -> [size, mtime_ns, inode, sha256]
        self._stats: dict[str, list[Any]] = self._load()
        self._dirty = False

    def _load(self) -> dict[str, list[Any]]:
        if self.stat_file and self.stat_file.is_file():
            try:
                stats: dict[str, list[Any]] = json.loads(self.stat_file.read_text())
                return stats
            except (OSError, ValueError):
                return {}
        return {}

    def save(self) -> None:
        """Persist the stat cache (atomically) if it changed."""
        if self.stat_file and self._dirty:
            self.stat_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.stat_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._stats))
            os.replace(tmp, self.stat_file)
            self._dirty = False

    def file(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        sig = [st.st_size, st.st_mtime_ns, st.st_ino]
        cached = self._stats.get(key)
        if cached and cached[:3] == sig:
            known: str = cached[3]
            return known
        digest = sha256_file(path)
        if time.time_ns() - st.st_mtime_ns > _RACY_NS:
            self._stats[key] = [*sig, digest]
            self._dirty = True
        return digest

    def manifest(self, rel: str) -> dict[str, str]:
        """``{relative file path: hash}`` for a file or every file under a folder."""
        path = self.root / rel
        if path.is_file():
            return {rel: self.file(path)}
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return {p.relative_to(self.root).as_posix(): self.file(p) for p in files}

    def path(self, rel: str) -> str | None:
        """Hash of a file, or of a folder's manifest; ``None`` when it does not exist."""
        path = self.root / rel
        if path.is_file():
            return self.file(path)
        if path.is_dir():
            return "dir:" + sha256_json(self.manifest(rel))
        return None


def notebook_source_hash(path: Path) -> str:
    """Hash of what a notebook does: its cells' types and sources, and its kernel.

    Outputs, execution counts and metadata are left out, so running or re-saving a
    notebook by hand does not invalidate its stage; editing a cell or a tag does.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        [
            c.get("cell_type"),
            _source(c.get("source", "")),
            sorted(c.get("metadata", {}).get("tags", [])),
        ]
        for c in nb.get("cells", [])
    ]
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("language", "python")
    return sha256_json({"cells": cells, "language": kernel})


def _source(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def environment_fingerprint() -> dict[str, Any]:
    """The Python version and the installed package set, read from dist-info folder names.

    Reading folder names instead of every package's METADATA keeps this under a few ms.
    """
    packages: set[str] = set()
    for entry in sys.path:
        if not entry or not os.path.isabs(entry):
            continue  # the working folder: it changes with the caller, not the environment
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                packages.add(name.rsplit(".", 1)[0].lower())
    python = ".".join(map(str, sys.version_info[:3]))
    listing = sorted(packages)
    return {
        "python": python,
        "packages": len(listing),
        "hash": sha256_json({"python": python, "packages": listing}),
        "listing": listing,
    }
