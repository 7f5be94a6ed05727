"""The content-addressed stage cache.

A stage's key is the hash of everything that decides its result: the notebook's source, the
parameters, the content of its deps, the kernel and the Python environment. After a
successful run the cache keeps a record under that key, with the hashes of the outs, and a
copy of every out file stored by its own hash. A later run with the same key finds the outs
intact (cached) or puts them back from the store (restored) instead of running the notebook:
reverting a parameter brings back the earlier result without running anything.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_json
from .hashing import Hasher, notebook_source_hash, sha256_file, sha256_json

if TYPE_CHECKING:
    from ..project import Project


@dataclass(frozen=True)
class StageKey:
    """The inputs of one stage run, and the key they hash to."""

    stage: str
    notebook: str
    params: dict[str, Any]
    deps: dict[str, str | None]
    outs: list[str]
    env: str
    kernel: str
    key: str = field(init=False)

    def __post_init__(self) -> None:
        parts = {
            "notebook": self.notebook,
            "params": self.params,
            "deps": self.deps,
            "outs": self.outs,
            "env": self.env,
            "kernel": self.kernel,
        }
        object.__setattr__(self, "key", sha256_json(parts))

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "key": self.key,
            "notebook": self.notebook,
            "params": self.params,
            "deps": self.deps,
            "outs_declared": self.outs,
            "env": self.env,
            "kernel": self.kernel,
        }


def stage_key(
    project: Project, name: str, params: dict[str, Any], hasher: Hasher, env: str
) -> StageKey:
    """Compute a stage's key from the files as they are now."""
    stage = project.spec.stages[name]
    return StageKey(
        stage=name,
        notebook=notebook_source_hash(project.root / stage.notebook),
        params=params,
        deps={dep: hasher.path(dep) for dep in stage.deps},
        outs=sorted(stage.outs),
        env=env,
        kernel=stage.kernel,
    )


class StageCache:
    """Records of successful stage runs by key, and the out files they produced, by hash."""

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self.dir = cache_dir
        self.root = root
        self.objects = cache_dir / "objects"

    def _record_path(self, stage: str, name: str) -> Path:
        return self.dir / "stages" / stage / f"{name}.json"

    def lookup(self, key: StageKey) -> dict[str, Any] | None:
        return _record(self._record_path(key.stage, key.key))

    def latest(self, stage: str) -> dict[str, Any] | None:
        """The record of the stage's last successful run, whatever its key."""
        return _record(self._record_path(stage, "latest"))

    def save(
        self, key: StageKey, outs: list[str], hasher: Hasher, run: dict[str, Any]
    ) -> dict[str, Any]:
        """Store the outs by content and record the run under its key."""
        manifests = {out: hasher.manifest(out) for out in outs}
        for manifest in manifests.values():
            for rel, digest in manifest.items():
                self._store(self.root / rel, digest)
        record = {
            **key.as_dict(),
            "outs": {o: hasher.path(o) for o in outs},
            "manifests": manifests,
            **run,
        }
        for name in (key.key, "latest"):
            write_json(self._record_path(key.stage, name), record)
        return record

    def outs_intact(self, record: dict[str, Any], hasher: Hasher) -> bool:
        return all(hasher.path(out) == digest for out, digest in record["outs"].items())

    def restore(self, record: dict[str, Any]) -> bool:
        """Put the record's outs back exactly as they were produced.

        Every object is copied to the cache's temp folder and its hash checked before anything
        in the project is touched; a missing or damaged object means nothing is restored
        (``False``: the stage must run instead), and a damaged one is deleted.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            for manifest in record["manifests"].values():
                for rel, digest in manifest.items():
                    staged.append((self._stage_copy(digest), self.root / rel))
        except _Damaged:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            return False
        for out in record["manifests"]:
            if (self.root / out).is_dir():
                shutil.rmtree(self.root / out)
        for tmp, dest in staged:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
        write_json(self._record_path(record["stage"], "latest"), record)
        return True

    def _stage_copy(self, digest: str) -> Path:
        """A verified copy of an object, in the cache's own temp folder (same file system)."""
        obj = self._object(digest)
        if not obj.is_file():
            raise _Damaged(digest)
        (self.dir / "tmp").mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.dir / "tmp", prefix="restore-")
        with os.fdopen(fd, "wb") as out, obj.open("rb") as src:
            shutil.copyfileobj(src, out)
        if sha256_file(Path(name)) != digest:
            Path(name).unlink()
            obj.unlink(missing_ok=True)
            raise _Damaged(digest)
        return Path(name)

    def save_environment(self, env: dict[str, Any]) -> None:
        """Keep an environment's package listing once, so status can say what changed."""
        path = self.dir / "envs" / f"{env['hash']}.json"
        if not path.is_file():
            write_json(path, env)

    def environment(self, env_hash: str) -> dict[str, Any] | None:
        env: dict[str, Any] | None = _read_json(self.dir / "envs" / f"{env_hash}.json")
        return env

    def _object(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest[2:]

    def _store(self, path: Path, digest: str) -> None:
        obj = self._object(digest)
        if obj.is_file():
            return
        obj.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=obj.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, obj)  # two stages storing the same content race harmlessly here


class _Damaged(Exception):
    """A stored object no longer has the content its name promises."""


_RECORD_KEYS = {
    "stage",
    "key",
    "notebook",
    "params",
    "deps",
    "env",
    "kernel",
    "outs",
    "manifests",
    "run_id",
}


def _record(path: Path) -> dict[str, Any] | None:
    """A cache record, or ``None`` when missing or damaged (it then counts as a miss)."""
    record = _read_json(path)
    return record if isinstance(record, dict) and _RECORD_KEYS <= record.keys() else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
