"""What installing the package ships: the lab extension prebuilt and the server extension
enabled, in this (editable) environment and in binder's, where a plain (not editable) install
built the wheel."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def listed(*command: str) -> str:
    result = subprocess.run(
        [str(BIN / "jupyter"), *command], capture_output=True, text=True, timeout=120, check=False
    )
    return ANSI.sub("", result.stdout + result.stderr)


def test_both_extensions_are_installed_enabled_and_ok():
    assert re.search(r"mlmom-lab v\S+ enabled\s+OK", listed("labextension", "list"))
    assert re.search(r"mlmom_lab\.server\s+OK", listed("server", "extension", "list"))
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "mlmom-lab"
    assert not installed.is_symlink()  # Voilà refuses a symlinked (develop-mode) extension
    assert list((installed / "static").glob("remoteEntry.*.js"))


def test_a_plain_install_ships_the_built_frontend_once_and_enables_the_server_extension(
    binder_build,
):
    """What a wheel puts where, read in the environment binder/postBuild installed the
    package into, plainly (not editable): the wheel was built from the repository there."""
    venv = binder_build.venv
    (site,) = venv.glob("lib/python3*/site-packages")
    shared = venv / "share" / "jupyter" / "labextensions" / "mlmom-lab"
    for path in (
        shared / "package.json",
        shared / "install.json",
        shared / "schemas" / "mlmom-lab" / "plugin.json",  # the settings schema
        venv / "etc" / "jupyter" / "jupyter_server_config.d" / "mlmom_lab.json",
        # the dashboards, and the Voilà template they name in their metadata
        site / "mlmom_lab" / "_example" / "dashboards" / "explain.ipynb",
        site / "mlmom_lab" / "_example" / "dashboards" / "drift.ipynb",
        venv / "share" / "jupyter" / "voila" / "templates" / "mlmom" / "index.html.j2",
    ):
        assert path.is_file(), f"the install did not ship {path.relative_to(venv)}"
    assert list((shared / "static").glob("remoteEntry.*.js"))
    assert not (site / "mlmom_lab" / "labextension").exists()  # shipped once, as shared data


def _requirements() -> tuple[list[str], dict[str, list[str]]]:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project["dependencies"], project["optional-dependencies"]


def test_only_an_extra_brings_onnx_runtime():
    """The two builds of ONNX Runtime install the same module, so the second one installed
    overwrites the first's files: no requirement of mlmom-lab's, nor of any package installed
    here, may bring the CPU build along with the ``gpu`` extra."""
    from importlib import metadata

    from packaging.requirements import Requirement

    base, extras = _requirements()
    assert not [r for r in base if Requirement(r).name.startswith("onnxruntime")]
    assert [Requirement(r).name for r in extras["cpu"]] == ["onnxruntime"]
    (gpu,) = (Requirement(r) for r in extras["gpu"])
    assert (gpu.name, gpu.extras) == ("onnxruntime-gpu", {"cuda", "cudnn"})
    needs_it = sorted(
        dist.metadata["Name"]
        for dist in metadata.distributions()
        for line in dist.requires or []
        if Requirement(line).name == "onnxruntime" and dist.metadata["Name"] != "mlmom-lab"
    )
    assert not needs_it, f"these require the CPU build of ONNX Runtime: {needs_it}"


@pytest.mark.slow
def test_the_gpu_extra_brings_the_cuda_and_cudnn_libraries():
    """pip's resolver, against the package registries, installing nothing."""
    import json

    _, extras = _requirements()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", "-", *extras["gpu"]],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    names = {i["metadata"]["name"].lower() for i in json.loads(done.stdout)["install"]}
    assert "onnxruntime-gpu" in names and "onnxruntime" not in names, sorted(names)
    assert any(name.startswith("nvidia-cudnn") for name in names), sorted(names)
    assert any(name.startswith("nvidia-cuda-runtime") for name in names), sorted(names)


def test_without_an_onnx_runtime_a_version_is_still_registered_and_says_why(monkeypatch):
    """ONNX Runtime comes with an extra: where neither build is installed, the twin is skipped
    with the install command and anything that needs a session fails in one line."""
    import builtins

    from mlmom_lab.errors import InvalidRequest
    from mlmom_lab.registry import onnx, providers

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    monkeypatch.setattr(onnx.importlib.util, "find_spec", lambda name: None)
    skipped = onnx.Exporting(object(), None, kind="sklearn").result()
    assert (skipped.status, skipped.reason) == ("skipped", onnx.NOT_INSTALLED)
    with pytest.raises(InvalidRequest, match=r"pip install 'mlmom-lab\[cpu\]'"):
        providers.execution_providers()
